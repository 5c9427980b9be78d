//go:build !linux

package libzl

// fcntlCommit is the stand-in for the Linux implementation.
func fcntlCommit(uintptr) error { return errNoFcntl }
