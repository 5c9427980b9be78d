package events

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/zl-dev/zl/ctl/internal/cmdutil/cmdtest"
	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

// at returns the time since boot that is the wall-clock time hh:mm:ss.us on
// cmdtest.Now's day, as the test Factory's clocks say.
func at(clock string) time.Duration {
	wall, err := time.Parse(time.RFC3339Nano, "2026-11-22T"+clock+"Z")
	if err != nil {
		panic(err)
	}
	return cmdtest.Uptime + wall.Sub(cmdtest.Now)
}

// ev returns an event of kind k of service id (web for 3, db for 4) at the
// wall-clock time clock.
func ev(id uint32, k libzl.EventKind, clock string, fn func(*libzl.Event)) cmdtest.MonitorItem {
	e := &libzl.Event{Kind: k, ID: id, PID: 1234, Name: "web", Incarnation: 1, Time: at(clock)}
	if id == 4 {
		e.PID, e.Name = 77, "db"
	}
	if fn != nil {
		fn(e)
	}
	return cmdtest.MonitorItem{Event: e}
}

func lost() cmdtest.MonitorItem {
	return cmdtest.MonitorItem{Err: fmt.Errorf("%w (netlink receive: recvmsg: no buffer space available)", libzl.ErrEventsLost)}
}

var segv = &libzl.Fault{Signal: syscall.SIGSEGV, Code: 1, IP: 0x401136, Time: at("14:13:36.100000")}

// story is what a monitor sees of web crashing and coming back, with an
// event of db in between.
func story() []cmdtest.MonitorItem {
	return []cmdtest.MonitorItem{
		ev(3, libzl.EventRegister, "14:13:30.000000", func(e *libzl.Event) { e.Incarnation = 0 }),
		ev(3, libzl.EventFault, "14:13:36.100000", func(e *libzl.Event) { e.Incarnation, e.Fault = 0, segv }),
		ev(3, libzl.EventRestart, "14:13:36.100183", func(e *libzl.Event) {
			e.Fault, e.Cause, e.Latency, e.Exe, e.Retained = segv, libzl.CauseFault, 183*time.Microsecond, "/usr/bin/web", 5
		}),
		ev(4, libzl.EventRegister, "14:13:36.150000", nil),
		ev(3, libzl.EventReady, "14:13:36.177544", func(e *libzl.Event) { e.Latency = 77544 * time.Microsecond }),
		ev(3, libzl.EventExit, "14:14:00.000001", func(e *libzl.Event) { e.ExitStatus = 0 }),
		ev(3, libzl.EventRegister, "14:14:01.000000", func(e *libzl.Event) { e.Incarnation = 0 }),
	}
}

const (
	lineRegister = "2026-11-22T14:13:30.000000Z service 3 (web) pid 1234: register, incarnation 0\n"
	lineFault    = "2026-11-22T14:13:36.100000Z service 3 (web) pid 1234: fault, incarnation 0, SIGSEGV at 0x0\n"
	lineRestart  = "2026-11-22T14:13:36.100183Z service 3 (web) pid 1234: restart, incarnation 1, cause fault (SIGSEGV), latency 183µs, kept 5\n"
	lineDB       = "2026-11-22T14:13:36.150000Z service 4 (db) pid 77: register, incarnation 1\n"
	lineReady    = "2026-11-22T14:13:36.177544Z service 3 (web) pid 1234: ready, incarnation 1, latency 77.544ms\n"
	lineExit     = "2026-11-22T14:14:00.000001Z service 3 (web) pid 1234: exit, incarnation 1, exited 0\n"
	lineAgain    = "2026-11-22T14:14:01.000000Z service 3 (web) pid 1234: register, incarnation 0\n"
)

func TestEvents(t *testing.T) {
	web := &libzl.Service{ID: 3, PID: 1234, Name: "web"}
	tests := []struct {
		name      string
		args      string
		items     []cmdtest.MonitorItem
		interrupt bool
		dialErr   error
		fake      cmdtest.FakeClient

		wantErr   string
		wantOut   string
		wantWarn  string
		wantCalls []cmdtest.Call
		wantLeft  int // events left unread
	}{
		{
			name:      "every service until interrupted",
			items:     story(),
			interrupt: true,
			wantOut:   lineRegister + lineFault + lineRestart + lineDB + lineReady + lineExit + lineAgain,
		},
		{
			name:      "one service until it exits",
			args:      "3",
			items:     story(),
			wantOut:   lineRegister + lineFault + lineRestart + lineReady + lineExit,
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByID(3)}},
			wantLeft:  1,
		},
		{
			name:      "one service by pid, followed",
			args:      "--pid 1234 --follow",
			items:     story(),
			interrupt: true,
			wantOut:   lineRegister + lineFault + lineRestart + lineReady + lineExit + lineAgain,
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByPID(1234)}},
		},
		{
			name: "one service until it is unregistered",
			args: "-n 10 3",
			items: []cmdtest.MonitorItem{
				ev(3, libzl.EventUnregister, "14:13:36.000000", nil),
				ev(3, libzl.EventRegister, "14:13:37.000000", nil),
			},
			wantOut:   "2026-11-22T14:13:36.000000Z service 3 (web) pid 1234: unregister, incarnation 1\n",
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByID(3)}},
			wantLeft:  1,
		},
		{
			name:     "count",
			args:     "--count 2",
			items:    story(),
			wantOut:  lineRegister + lineFault,
			wantLeft: 5,
		},
		{
			name:      "count of one service",
			args:      "4 -n 1 --follow",
			items:     story(),
			fake:      cmdtest.FakeClient{Svc: &libzl.Service{ID: 4, PID: 77, Name: "db"}},
			wantOut:   lineDB,
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByID(4)}},
			wantLeft:  3,
		},
		{
			name: "json lines",
			args: "-o json",
			items: []cmdtest.MonitorItem{
				ev(3, libzl.EventReady, "14:13:36.177544", func(e *libzl.Event) { e.Latency = 77544 * time.Microsecond }),
				ev(3, libzl.EventExit, "14:14:00.000001", func(e *libzl.Event) {
					e.ExitStatus = syscall.WaitStatus(syscall.SIGSEGV) | 0x80
				}),
			},
			interrupt: true,
			wantOut: `{"time":"2026-11-22T14:13:36.177544Z","time_ns":7200177544000,"event":"ready","id":3,"name":"web","pid":1234,"incarnation":1,"latency_ns":77544000}` + "\n" +
				`{"time":"2026-11-22T14:14:00.000001Z","time_ns":7224000001000,"event":"exit","id":3,"name":"web","pid":1234,"incarnation":1,` +
				`"exit":{"status":139,"code":null,"signal":"SIGSEGV","core_dumped":true}}` + "\n",
		},
		{
			name:      "events lost",
			items:     []cmdtest.MonitorItem{story()[0], lost(), lost(), story()[1]},
			interrupt: true,
			wantOut:   lineRegister + lineFault,
			wantWarn:  lostMessage + "\n" + lostMessage + "\n",
		},
		{
			name: "monitor fails",
			items: []cmdtest.MonitorItem{
				story()[0],
				{Err: errors.New("zlr monitor: decode fault event: unsigned integer attribute of 2 bytes, want 4 or 8")},
				story()[1],
			},
			wantOut:  lineRegister,
			wantErr:  "zlr monitor: decode fault event: unsigned integer attribute of 2 bytes, want 4 or 8",
			wantLeft: 1,
		},
		{
			name:    "kernel without zlr",
			dialErr: fmt.Errorf("dial: %w", libzl.ErrNotSupported),
			wantErr: "dial: zlr: not supported: the kernel has no zlr generic netlink family",
		},
		{
			name:      "unknown service",
			args:      "7",
			items:     story(),
			fake:      cmdtest.FakeClient{Err: &libzl.Error{Op: "get", Message: "no service with id 7", Err: unix.ENOENT}},
			wantErr:   "zlr get: no service with id 7",
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByID(7)}},
			wantLeft:  7,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := tt.fake
			if fc.Svc == nil && fc.Err == nil {
				fc.Svc = web
			}
			f, stdout, stderr := cmdtest.Factory(&fc, nil, false)
			fm := &cmdtest.FakeMonitor{Items: tt.items, Interrupt: tt.interrupt, DialErr: tt.dialErr}
			f.Monitor, f.Interrupts = fm.Dial, fm.Interrupts
			f.Output = output.Table
			cmd := NewCmdEvents(f, nil)
			cmd.PersistentFlags().VarP(&f.Output, "output", "o", "")
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SilenceErrors, cmd.SilenceUsage = true, true

			err := cmd.Execute()

			if tt.wantErr == "" && err != nil {
				t.Errorf("unexpected error: %v", err)
			}
			if tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Errorf("error = %v, want %q", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantOut, stdout.String()); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantWarn, stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCalls, fc.Calls); diff != "" {
				t.Errorf("client calls (-want +got):\n%s", diff)
			}
			if len(fc.Calls) > 0 && !fc.Closed {
				t.Error("client not closed")
			}
			if fm.Dialed() && !fm.Closed() {
				t.Error("monitor not closed")
			}
			if fm.Dialed() && !fm.Stopped() {
				t.Error("interrupts not stopped")
			}
			if len(fm.Items) != tt.wantLeft {
				t.Errorf("%d events left unread, want %d", len(fm.Items), tt.wantLeft)
			}
		})
	}
}

func TestNewCmdEvents(t *testing.T) {
	tests := []struct {
		name       string
		args       string
		wantSel    libzl.Selector
		wantFollow bool
		wantCount  int
		wantErr    string
	}{
		{name: "every service", args: ""},
		{name: "by id", args: "3", wantSel: libzl.ByID(3)},
		{name: "by pid, followed", args: "--pid 1234 -f", wantSel: libzl.ByPID(1234), wantFollow: true},
		{name: "count", args: "--count 5", wantCount: 5},
		{name: "count zero", args: "--count 0", wantErr: "invalid --count 0: want a number of events from 1 up"},
		{name: "negative count", args: "-n -2", wantErr: "invalid --count -2: want a number of events from 1 up"},
		{name: "id and pid", args: "3 --pid 4", wantErr: "give a service ID or --pid, not both"},
		{name: "two ids", args: "3 4", wantErr: "too many arguments: give one service ID or --pid"},
		{name: "bad id", args: "web", wantErr: `invalid service ID "web": want a number from 1 to 4294967295`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cmdtest.ParseOptions(t, NewCmdEvents, strings.Fields(tt.args), tt.wantErr)
			if got == nil {
				return
			}
			if got.Selector != tt.wantSel || got.Follow != tt.wantFollow || got.Count != tt.wantCount {
				t.Errorf("selector, follow, count = %v, %v, %d; want %v, %v, %d",
					got.Selector, got.Follow, got.Count, tt.wantSel, tt.wantFollow, tt.wantCount)
			}
		})
	}
}
