//go:build !linux

package cmdutil

import (
	"errors"
	"os"
	"time"
)

// systemStreams returns the process's standard streams.
func systemStreams() *IOStreams {
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr}
}

// uptime is not available: zlr exists only in Linux.
func uptime() (time.Duration, error) {
	return 0, errors.New("no CLOCK_BOOTTIME on this system")
}
