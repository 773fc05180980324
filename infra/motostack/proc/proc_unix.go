//go:build unix

package proc

import (
	"os"
	"os/exec"
	"syscall"
)

// Group starts cmd in a process group of its own, so that Signal reaches its children
// too (moto's workers, the runtime's function).
func Group(cmd *exec.Cmd) {
	cmd.SysProcAttr = groupAttr()
}

// Signal sends sig to p's process group.
func Signal(p *os.Process, sig os.Signal) error {
	s, ok := sig.(syscall.Signal)
	if !ok {
		return p.Signal(sig)
	}
	return syscall.Kill(-p.Pid, s)
}
