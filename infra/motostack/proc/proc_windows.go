package proc

import (
	"os"
	"os/exec"
)

// Group leaves cmd as it is: Windows has no process groups that a signal reaches.
func Group(*exec.Cmd) {}

// Signal kills p: Windows cannot deliver other signals to a process.
func Signal(p *os.Process, _ os.Signal) error { return p.Kill() }

// DieWithParent does nothing here: only Linux has a parent-death signal.
func DieWithParent() {}
