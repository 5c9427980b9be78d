package main

import "syscall"

// sysProcAttr puts the command in a process group of its own, so that a
// ^C on the terminal reaches the supervisor alone (which passes it on) and
// is not taken for a crash, and kills it if the supervisor dies.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
