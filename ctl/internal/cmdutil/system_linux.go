//go:build linux

package cmdutil

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// systemStreams returns the process's standard streams.
func systemStreams() *IOStreams {
	_, err := unix.IoctlGetTermios(int(os.Stdout.Fd()), unix.TCGETS)
	return &IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr, OutIsTerminal: err == nil}
}

// uptime returns the time since boot, on the clock zlr registration times
// use.
func uptime() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0, err
	}
	return time.Duration(ts.Nano()), nil
}
