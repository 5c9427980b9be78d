package proc

import "syscall"

// sysProcAttr puts the program in a process group of its own and kills it
// if the caller dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
