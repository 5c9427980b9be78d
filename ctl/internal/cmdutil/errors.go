package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/zl-dev/zl/libzl"
)

// Exit codes of zlctl.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// A FlagError is a usage error: a bad flag, argument or command.
type FlagError struct {
	Err error
}

// FlagErrorf returns a FlagError with a formatted message.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// ExitCode is the one place that maps errors to zlctl's exit codes: 0 for
// success, 2 for usage errors and 1 for everything else.
func ExitCode(err error) int {
	var ferr *FlagError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ferr):
		return ExitUsage
	default:
		return ExitFailure
	}
}

// The hints added to the kernel's refusals.
const (
	notSupportedMessage = "this kernel has no zlr support: apply linux-patches/ and build with CONFIG_ZLR=y"
	permissionHint      = "you must own the process or have CAP_SYS_ADMIN"

	commandMissingMessage = "this kernel's zlr has no %s command: build it from the current linux-patches/"
)

// ErrorMessage turns err into a sentence for the person who ran zlctl: the
// kernel's own message when it gave one, with a hint where one helps, and
// no netlink jargon.
func ErrorMessage(err error) string {
	var ferr *FlagError
	var zerr *libzl.Error
	switch {
	case errors.As(err, &ferr):
		return ferr.Error()
	case errors.Is(err, libzl.ErrNotSupported):
		return notSupportedMessage
	case errors.As(err, &zerr):
		msg := zerr.Message
		if msg == "" && errors.Is(err, syscall.EOPNOTSUPP) {
			// The family is there, the command is not.
			msg = fmt.Sprintf(commandMissingMessage, zerr.Op)
		}
		if msg == "" {
			msg = fmt.Sprintf("%s refused: %s", zerr.Op, errnoText(zerr.Err))
		}
		if errors.Is(err, os.ErrPermission) {
			msg += " (" + permissionHint + ")"
		}
		return msg
	default:
		return err.Error()
	}
}

// errnoText is the description of the errno in err, or err's own text.
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	if err == nil {
		return "unknown error"
	}
	return err.Error()
}
