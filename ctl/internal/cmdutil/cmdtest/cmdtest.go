// Package cmdtest provides a fake client and a Factory with buffers for
// testing zlctl's commands.
package cmdtest

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

// A Call is one method call on a FakeClient.
type Call struct {
	Method       string
	Selector     libzl.Selector
	Registration libzl.Registration
	Policy       libzl.PolicyConfig
	Exe          string
}

// A FakeClient records the calls made on it and answers with its fields.
type FakeClient struct {
	Calls  []Call
	Closed bool

	// Svc answers Register, Service, SetPolicy and Restart.
	Svc *libzl.Service
	// List answers Services.
	List []*libzl.Service
	// Totals answers Stats.
	Totals *libzl.Stats
	// Err, if set, is what every method returns; ErrFor, if it has an
	// entry for a method, what that method returns.
	Err    error
	ErrFor map[string]error
}

var _ cmdutil.Client = (*FakeClient)(nil)

func (c *FakeClient) err(method string) error {
	if err, ok := c.ErrFor[method]; ok {
		return err
	}
	return c.Err
}

func (c *FakeClient) answer(call Call) (*libzl.Service, error) {
	c.Calls = append(c.Calls, call)
	if err := c.err(call.Method); err != nil {
		return nil, err
	}
	if c.Svc == nil {
		return nil, errors.New("cmdtest: no Svc to answer with")
	}
	return c.Svc, nil
}

// Register implements cmdutil.Client.
func (c *FakeClient) Register(r libzl.Registration) (*libzl.Service, error) {
	return c.answer(Call{Method: "Register", Registration: r})
}

// Unregister implements cmdutil.Client.
func (c *FakeClient) Unregister(sel libzl.Selector) error {
	c.Calls = append(c.Calls, Call{Method: "Unregister", Selector: sel})
	return c.err("Unregister")
}

// Service implements cmdutil.Client.
func (c *FakeClient) Service(sel libzl.Selector) (*libzl.Service, error) {
	return c.answer(Call{Method: "Service", Selector: sel})
}

// Services implements cmdutil.Client.
func (c *FakeClient) Services() ([]*libzl.Service, error) {
	c.Calls = append(c.Calls, Call{Method: "Services"})
	if err := c.err("Services"); err != nil {
		return nil, err
	}
	return c.List, nil
}

// SetPolicy implements cmdutil.Client.
func (c *FakeClient) SetPolicy(sel libzl.Selector, p libzl.PolicyConfig) (*libzl.Service, error) {
	return c.answer(Call{Method: "SetPolicy", Selector: sel, Policy: p})
}

// Restart implements cmdutil.Client.
func (c *FakeClient) Restart(sel libzl.Selector, exe string) (*libzl.Service, error) {
	return c.answer(Call{Method: "Restart", Selector: sel, Exe: exe})
}

// Stats implements cmdutil.Client.
func (c *FakeClient) Stats() (*libzl.Stats, error) {
	c.Calls = append(c.Calls, Call{Method: "Stats"})
	if err := c.err("Stats"); err != nil {
		return nil, err
	}
	if c.Totals == nil {
		return nil, errors.New("cmdtest: no Totals to answer with")
	}
	return c.Totals, nil
}

// Close implements cmdutil.Client.
func (c *FakeClient) Close() error {
	c.Closed = true
	return nil
}

// ErrNoMoreEvents is what a FakeMonitor's Next returns once it has handed
// out its Items, unless it simulates an interrupt: a test must not wait
// for events that never come.
var ErrNoMoreEvents = errors.New("cmdtest: no more events")

// A FakeMonitor stands in for a libzl.Monitor: Next returns its Items in
// turn. Once they are used up, it returns ErrNoMoreEvents, or, when
// Interrupt is set, it sends os.Interrupt on the channel of its Interrupts
// and blocks until Close, as a monitor does when someone presses ^C.
type FakeMonitor struct {
	// Items are what Next returns in turn: each an event or an error.
	Items []MonitorItem
	// Interrupt makes the monitor simulate an interrupt once the Items
	// are used up.
	Interrupt bool
	// DialErr, if set, is what Dial returns.
	DialErr error

	mu      sync.Mutex
	dialed  bool
	closed  bool
	stopped bool
	done    chan struct{}
	sigs    chan os.Signal
}

// A MonitorItem is one result of FakeMonitor.Next.
type MonitorItem struct {
	Event *libzl.Event
	Err   error
}

var _ cmdutil.Monitor = (*FakeMonitor)(nil)

// Dial returns m, as Factory.Monitor does a real monitor.
func (m *FakeMonitor) Dial() (cmdutil.Monitor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.DialErr != nil {
		return nil, m.DialErr
	}
	m.dialed = true
	m.init()
	return m, nil
}

// init makes the channels; m.mu is held.
func (m *FakeMonitor) init() {
	if m.done == nil {
		m.done = make(chan struct{})
		m.sigs = make(chan os.Signal, 1)
	}
}

// Interrupts stands in for Factory.Interrupts: the monitor's simulated
// interrupt arrives on the channel.
func (m *FakeMonitor) Interrupts() (<-chan os.Signal, func()) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.init()
	return m.sigs, func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.stopped = true
	}
}

// Next implements cmdutil.Monitor.
func (m *FakeMonitor) Next() (*libzl.Event, error) {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil, fmt.Errorf("cmdtest: Next after Close: %w", net.ErrClosed)
	}
	if len(m.Items) > 0 {
		it := m.Items[0]
		m.Items = m.Items[1:]
		m.mu.Unlock()
		return it.Event, it.Err
	}
	if !m.Interrupt {
		m.mu.Unlock()
		return nil, ErrNoMoreEvents
	}
	m.Interrupt = false
	m.sigs <- os.Interrupt
	done := m.done
	m.mu.Unlock()
	<-done
	return nil, fmt.Errorf("cmdtest: monitor closed: %w", net.ErrClosed)
}

// Close implements cmdutil.Monitor.
func (m *FakeMonitor) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return fmt.Errorf("cmdtest: second Close: %w", net.ErrClosed)
	}
	m.closed = true
	m.init()
	close(m.done)
	return nil
}

// Dialed reports whether Dial returned the monitor.
func (m *FakeMonitor) Dialed() bool { return m.state(&m.dialed) }

// Closed reports whether the monitor was closed.
func (m *FakeMonitor) Closed() bool { return m.state(&m.closed) }

// Stopped reports whether the delivery of interrupts was stopped.
func (m *FakeMonitor) Stopped() bool { return m.state(&m.stopped) }

func (m *FakeMonitor) state(b *bool) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return *b
}

// An ExecCall is one call of a FakeExec.
type ExecCall struct {
	Argv0 string
	Argv  []string
	Env   []string
}

// A FakeExec stands in for syscall.Exec: it records the calls and returns
// Err, where the real one would not return at all unless it failed.
type FakeExec struct {
	Calls []ExecCall
	Err   error
}

// Exec records a call and returns e.Err.
func (e *FakeExec) Exec(argv0 string, argv, envv []string) error {
	e.Calls = append(e.Calls, ExecCall{Argv0: argv0, Argv: argv, Env: envv})
	return e.Err
}

// errNoExec is what a test Factory's Exec returns unless the test gave a
// FakeExec: a test must never replace itself with another program.
var errNoExec = errors.New("cmdtest: Exec called without a FakeExec")

// Uptime is the time since boot the test Factory reports.
const Uptime = 2 * time.Hour

// Now is the wall-clock time the test Factory reports, at Uptime.
var Now = time.Date(2026, 11, 22, 14, 13, 36, 0, time.UTC)

// errNoMonitor is what a test Factory's Monitor returns unless the test
// gave a FakeMonitor.
var errNoMonitor = errors.New("cmdtest: Monitor called without a FakeMonitor")

// Factory returns a Factory whose streams are the returned buffers, whose
// client is fc (or dialErr, if not nil), whose uptime is Uptime and wall
// clock Now. Its Exec fails; set it to a FakeExec's to test commands that
// execute others. Its Monitor fails and interrupts never come; set them to
// a FakeMonitor's Dial and Interrupts to test commands that watch events.
func Factory(fc *FakeClient, dialErr error, terminal bool) (f *cmdutil.Factory, stdout, stderr *bytes.Buffer) {
	stdout, stderr = &bytes.Buffer{}, &bytes.Buffer{}
	f = &cmdutil.Factory{
		IO: &cmdutil.IOStreams{
			In:            &bytes.Buffer{},
			Out:           stdout,
			ErrOut:        stderr,
			OutIsTerminal: terminal,
		},
		Client: func() (cmdutil.Client, error) {
			if dialErr != nil {
				return nil, dialErr
			}
			return fc, nil
		},
		Monitor:    func() (cmdutil.Monitor, error) { return nil, errNoMonitor },
		Now:        func() time.Time { return Now },
		Interrupts: func() (<-chan os.Signal, func()) { return nil, func() {} },
		Uptime:     func() (time.Duration, error) { return Uptime, nil },
		Exec:       func(string, []string, []string) error { return errNoExec },
		Output:     output.Table,
	}
	return f, stdout, stderr
}

// ParseOptions builds a command with newCmd, runs it on args with a run
// function that only captures its options, and returns them. When wantErr is
// set, the command must fail with exactly that message as a usage error, and
// ParseOptions returns nil.
func ParseOptions[O any](t testing.TB, newCmd func(*cmdutil.Factory, func(*O) error) *cobra.Command,
	args []string, wantErr string) *O {
	t.Helper()
	f, _, _ := Factory(&FakeClient{}, nil, false)
	var got *O
	cmd := newCmd(f, func(o *O) error { got = o; return nil })
	cmd.SetArgs(args)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	err := cmd.Execute()
	if wantErr != "" {
		if err == nil || err.Error() != wantErr {
			t.Fatalf("error = %v, want %q", err, wantErr)
		}
		if cmdutil.ExitCode(err) != cmdutil.ExitUsage {
			t.Errorf("not a usage error: %v", err)
		}
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	if got == nil {
		t.Fatal("the command did not reach its run function")
	}
	return got
}
