//go:build linux

package zlhttp

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// checkListening refuses a descriptor that is not a listening socket, which
// net.FileListener would take.
func checkListening(fd int) error {
	v, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	switch {
	case errors.Is(err, unix.ENOTSOCK):
		return errNotListening
	case err != nil:
		return os.NewSyscallError("getsockopt", err)
	case v == 0:
		return errNotListening
	}
	return nil
}
