//go:build unix && !linux

package proc

import "syscall"

func groupAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// DieWithParent does nothing here: only Linux has a parent-death signal.
func DieWithParent() {}
