// Package cmdutil holds what zlctl's commands share: the Factory that gives
// them I/O streams and a client, the mapping of errors to messages and exit
// codes, and the flags for choosing a service and changing a policy.
package cmdutil

import (
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

// A Client is what the commands need of a libzl.Client; tests give them a
// fake one.
type Client interface {
	Register(r libzl.Registration) (*libzl.Service, error)
	Unregister(sel libzl.Selector) error
	Service(sel libzl.Selector) (*libzl.Service, error)
	Services() ([]*libzl.Service, error)
	SetPolicy(sel libzl.Selector, p libzl.PolicyConfig) (*libzl.Service, error)
	Restart(sel libzl.Selector, exe string) (*libzl.Service, error)
	Stats() (*libzl.Stats, error)
	Close() error
}

var _ Client = (*libzl.Client)(nil)

// A Monitor is what the commands need of a libzl.Monitor; tests give them a
// fake one.
type Monitor interface {
	// Next blocks until the next event.
	Next() (*libzl.Event, error)
	// Close releases the monitor and interrupts a pending Next.
	Close() error
}

var _ Monitor = (*libzl.Monitor)(nil)

// IOStreams are the standard streams of a command.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// OutIsTerminal says whether Out is a terminal, where tables get
	// borders.
	OutIsTerminal bool
}

// A Factory gives commands their streams, their client and the global
// settings; one is made per run of zlctl.
type Factory struct {
	IO *IOStreams

	// Client opens a connection to the kernel; the caller closes it.
	Client func() (Client, error)

	// Monitor subscribes to the kernel's events; the caller closes it.
	Monitor func() (Monitor, error)

	// Now returns the wall-clock time, to show when events happened.
	Now func() time.Time

	// Interrupts returns a channel that receives SIGINT and SIGTERM, for
	// commands that run until interrupted, and a function that stops the
	// delivery.
	Interrupts func() (<-chan os.Signal, func())

	// Uptime returns the time since boot (CLOCK_BOOTTIME), to show how
	// long ago services were registered.
	Uptime func() (time.Duration, error)

	// Exec replaces zlctl with a program, as syscall.Exec does: argv0 is
	// the executable, argv the arguments starting with the program's name,
	// envv the environment. It returns only when it fails.
	Exec func(argv0 string, argv, envv []string) error

	// Output is the format the global -o flag chose.
	Output output.Format
}

// New returns the Factory of a real run: the process's standard streams and
// a libzl.Client.
func New() *Factory {
	return &Factory{
		IO: systemStreams(),
		Client: func() (Client, error) {
			c, err := libzl.Dial()
			if err != nil {
				return nil, err
			}
			return c, nil
		},
		Monitor: func() (Monitor, error) {
			m, err := libzl.DialMonitor()
			if err != nil {
				return nil, err
			}
			return m, nil
		},
		Now:        time.Now,
		Interrupts: interrupts,
		Uptime:     uptime,
		Exec:       syscall.Exec,
		Output:     output.Table,
	}
}

// interrupts delivers SIGINT and SIGTERM to the returned channel, instead
// of letting them end the process, until the returned function is called.
func interrupts() (<-chan os.Signal, func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM)
	return c, func() { signal.Stop(c) }
}
