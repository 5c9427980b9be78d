// Package events implements "zlctl events".
package events

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

// Options are the inputs of "zlctl events".
type Options struct {
	IO         *cmdutil.IOStreams
	Client     func() (cmdutil.Client, error)
	Monitor    func() (cmdutil.Monitor, error)
	Interrupts func() (<-chan os.Signal, func())
	Clock      output.Clock
	Now        func() time.Time
	Output     output.Format

	// Selector chooses the service whose events to print; the zero
	// Selector means every service.
	Selector libzl.Selector

	// Follow keeps printing the chosen service's events after it exits or
	// is unregistered.
	Follow bool

	// Count, if not 0, is the number of events to print before stopping.
	Count int
}

// NewCmdEvents returns the events command; runF, if not nil, runs instead
// of the real work (for tests).
func NewCmdEvents(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{
		IO:         f.IO,
		Client:     f.Client,
		Monitor:    f.Monitor,
		Interrupts: f.Interrupts,
		Clock:      f.Uptime,
		Now:        f.Now,
	}
	var pid int
	cmd := &cobra.Command{
		Use:   "events [ID | --pid PID] [--follow] [--count N]",
		Short: "Print the events of services as they happen",
		Long: "Print the events of the services you may see as the kernel reports them,\n" +
			"one line each: when (local time), the service, its pid, what happened and\n" +
			"its incarnation afterwards, then what the event carries:\n\n" +
			"  register, unregister\n" +
			"  fault      the signal (and address) or \"exit N\"\n" +
			"  restart    the cause (fault or request), the latency from the fault or\n" +
			"             request to the new program, the executable of a requested\n" +
			"             restart, the number of descriptors kept\n" +
			"  ready      the latency from the fault or request to the ready call\n" +
			"  giveup     why the kernel let the fault through, or dropped the request\n" +
			"  exit       how the process ended\n" +
			"  replay-overflow\n" +
			"             the stream that lost its replay guarantee until its next\n" +
			"             request boundary (tcp socket:[N], unix socket:[N] or pipe:[N],\n" +
			"             as in /proc/PID/fd), why (service-limit, user-limit,\n" +
			"             global-limit, nomem, truncated) and the limit reached\n\n" +
			"-o json prints one JSON object per line. With a service, zlctl prints\n" +
			"only its events and stops after it exits or is unregistered, unless\n" +
			"--follow is given; without one, it runs until interrupted. --count stops\n" +
			"after that many events. When events come faster than zlctl reads them,\n" +
			"the kernel drops some and zlctl says so on stderr; the counters of\n" +
			"'zlctl list' stay complete.\n\n" +
			"The kernel reports a service's events to its own user and to holders of\n" +
			"CAP_SYS_ADMIN. The pid is as the initial PID namespace sees it.",
		Example: "  zlctl events\n" +
			"  zlctl events 3\n" +
			"  zlctl events --pid 1234 --follow -o json\n" +
			"  zlctl events --count 1",
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			if len(args) > 0 || cmd.Flags().Changed("pid") {
				sel, err := cmdutil.Selector(cmd, args, pid)
				if err != nil {
					return err
				}
				opts.Selector = sel
			}
			if cmd.Flags().Changed("count") && opts.Count < 1 {
				return cmdutil.FlagErrorf("invalid --count %d: want a number of events from 1 up", opts.Count)
			}
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	cmdutil.AddPIDFlag(cmd, &pid, "process of the service")
	cmd.Flags().BoolVarP(&opts.Follow, "follow", "f", false, "with a service, keep going after it exits or is unregistered")
	cmd.Flags().IntVarP(&opts.Count, "count", "n", 0, "stop after this many events")
	return cmd
}

// lostMessage is the warning printed when the kernel dropped events.
const lostMessage = "zlctl: events lost: zlctl read them too slowly (the counters of 'zlctl list' are complete)"

func run(opts *Options) error {
	m, err := opts.Monitor()
	if err != nil {
		return err
	}
	var closeOnce sync.Once
	closeMonitor := func() { closeOnce.Do(func() { _ = m.Close() }) }
	defer closeMonitor()

	// An interrupt closes the monitor, which ends a pending Next.
	sigs, stop := opts.Interrupts()
	defer stop()
	var interrupted atomic.Bool
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-sigs:
			interrupted.Store(true)
			closeMonitor()
		case <-done:
		}
	}()

	// Subscribed first, so that no event of the service is missed between
	// the look-up and the subscription.
	var id uint32
	if opts.Selector != (libzl.Selector{}) {
		if id, err = lookUp(opts); err != nil {
			return err
		}
	}

	for printed := 0; ; {
		e, err := m.Next()
		switch {
		case err != nil && interrupted.Load():
			return nil
		case errors.Is(err, libzl.ErrEventsLost):
			fmt.Fprintln(opts.IO.ErrOut, lostMessage)
			continue
		case err != nil:
			return err
		}
		if id != 0 && e.ID != id {
			continue
		}
		if err := opts.printEvent(e); err != nil {
			return err
		}
		printed++
		if opts.Count > 0 && printed >= opts.Count {
			return nil
		}
		if id != 0 && !opts.Follow && (e.Kind == libzl.EventExit || e.Kind == libzl.EventUnregister) {
			return nil
		}
	}
}

// lookUp returns the id of the service opts.Selector chooses.
func lookUp(opts *Options) (uint32, error) {
	c, err := opts.Client()
	if err != nil {
		return 0, err
	}
	defer c.Close()
	svc, err := c.Service(opts.Selector)
	if err != nil {
		return 0, err
	}
	return svc.ID, nil
}

// printEvent writes e as one line, at once.
func (opts *Options) printEvent(e *libzl.Event) error {
	t := output.NewEventTime(e, opts.Clock, opts.Now())
	var b bytes.Buffer
	if opts.Output == output.JSON {
		if err := output.WriteJSONLine(&b, output.NewEventJSON(e, t)); err != nil {
			return err
		}
	} else {
		b.WriteString(output.EventLine(e, t))
		b.WriteByte('\n')
	}
	if _, err := opts.IO.Out.Write(b.Bytes()); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	if f, ok := opts.IO.Out.(interface{ Flush() error }); ok {
		return f.Flush()
	}
	return nil
}
