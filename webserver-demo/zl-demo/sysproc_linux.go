package main

import "syscall"

// sysProcAttr puts a program zl-demo starts in a process group of its own,
// so that a ^C reaches zl-demo alone, which stops the program in order, and
// kills it if zl-demo dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
