//go:build linux

package libzl

import "golang.org/x/sys/unix"

// fZLRCommit is F_ZLR_COMMIT of <linux/fcntl.h>.
const fZLRCommit = 1024 + 15 // F_LINUX_SPECIFIC_BASE + 15

// fcntlCommit commits fd with fcntl(2).
func fcntlCommit(fd uintptr) error {
	_, err := unix.FcntlInt(fd, fZLRCommit, 0)
	return err
}
