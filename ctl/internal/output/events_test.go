package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/zl-dev/zl/libzl"
)

func TestRanges(t *testing.T) {
	for _, tt := range []struct {
		ns   []int
		want string
	}{
		{nil, ""},
		{[]int{4}, "4"},
		{[]int{0, 1, 2, 5, 7}, "0-2,5,7"},
		{[]int{5, 6}, "5-6"},
		{[]int{0, 2, 4}, "0,2,4"},
		{[]int{3, 4, 5, 9, 10, 11, 12, 20}, "3-5,9-12,20"},
	} {
		if got := Ranges(tt.ns); got != tt.want {
			t.Errorf("Ranges(%v) = %q, want %q", tt.ns, got, tt.want)
		}
	}
}

func TestRetained(t *testing.T) {
	many := make([]int, libzl.MaxRetainedFDs)
	for i := range many {
		many[i] = i
	}
	for _, tt := range []struct {
		name           string
		svc            libzl.Service
		wantN, wantFDs string
	}{
		{"never restarted", libzl.Service{}, "-", "-"},
		{"kept nothing", libzl.Service{Incarnation: 1}, "0", "none"},
		{"kept some", libzl.Service{Incarnation: 2, Retained: 4, RetainedFDs: []int{0, 1, 2, 9}}, "4", "0-2,9"},
		{"kept more than listed", libzl.Service{Incarnation: 1, Retained: 1500, RetainedFDs: many}, "1500", "0-1023 (the first 1024 of 1500)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := Retained(&tt.svc); got != tt.wantN {
				t.Errorf("Retained = %q, want %q", got, tt.wantN)
			}
			if got := RetainedFDs(&tt.svc); got != tt.wantFDs {
				t.Errorf("RetainedFDs = %q, want %q", got, tt.wantFDs)
			}
		})
	}
}

func TestShortFault(t *testing.T) {
	for _, tt := range []struct {
		f    *libzl.Fault
		want string
	}{
		{nil, "-"},
		{&libzl.Fault{Signal: syscall.SIGSEGV, Addr: 0x10}, "SIGSEGV"},
		{&libzl.Fault{ExitCode: 2}, "exit 2"},
		{&libzl.Fault{Signal: 40}, "40"},
	} {
		if got := ShortFault(tt.f); got != tt.want {
			t.Errorf("ShortFault(%+v) = %q, want %q", tt.f, got, tt.want)
		}
	}
}

func TestWaitStatus(t *testing.T) {
	for _, tt := range []struct {
		ws   syscall.WaitStatus
		want string
	}{
		{0, "exited 0"},
		{2 << 8, "exited 2"},
		{syscall.WaitStatus(syscall.SIGKILL), "killed by SIGKILL"},
		{syscall.WaitStatus(syscall.SIGSEGV) | 0x80, "killed by SIGSEGV (core dumped)"},
		{0x137f, "wait status 0x137f"}, // stopped by SIGSTOP
	} {
		if got := WaitStatus(tt.ws); got != tt.want {
			t.Errorf("WaitStatus(%#x) = %q, want %q", uint32(tt.ws), got, tt.want)
		}
	}
}

func TestLatency(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{183 * time.Microsecond, "183µs"},
		{183_456 * time.Nanosecond, "183µs"},
		{77_544_321 * time.Nanosecond, "77.544ms"},
		{1500 * time.Millisecond, "1.5s"},
		{1500 * time.Nanosecond, "2µs"},
		{800 * time.Nanosecond, "800ns"},
		{0, "0s"},
	} {
		if got := Latency(tt.d); got != tt.want {
			t.Errorf("Latency(%d) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// Events of the service "web", one of each kind and variant, at 100s
// after boot.
var (
	evSegv  = &libzl.Fault{Signal: syscall.SIGSEGV, Code: 1, Addr: 0x18, IP: 0x401136, Time: 99 * time.Second}
	evAbort = &libzl.Fault{Signal: syscall.SIGABRT, Code: -6, Addr: 0x1234, IP: 0x401136, Time: 99 * time.Second}
)

func webEvent(k libzl.EventKind, fn func(*libzl.Event)) *libzl.Event {
	e := &libzl.Event{Kind: k, ID: 3, PID: 1234, Name: "web", Incarnation: 1, Time: 100*time.Second + 123456789}
	if fn != nil {
		fn(e)
	}
	return e
}

var eventTests = []struct {
	name     string
	event    *libzl.Event
	wantLine string
	wantJSON string
}{
	{
		name:     "register",
		event:    webEvent(libzl.EventRegister, func(e *libzl.Event) { e.Incarnation = 0 }),
		wantLine: "service 3 (web) pid 1234: register, incarnation 0",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"register","id":3,"name":"web","pid":1234,"incarnation":0}`,
	},
	{
		name:     "unregister",
		event:    webEvent(libzl.EventUnregister, nil),
		wantLine: "service 3 (web) pid 1234: unregister, incarnation 1",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"unregister","id":3,"name":"web","pid":1234,"incarnation":1}`,
	},
	{
		name:     "fault signal",
		event:    webEvent(libzl.EventFault, func(e *libzl.Event) { e.Fault = evSegv }),
		wantLine: "service 3 (web) pid 1234: fault, incarnation 1, SIGSEGV at 0x18",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"fault","id":3,"name":"web","pid":1234,"incarnation":1,` +
			`"fault":{"signal":"SIGSEGV","exit_code":0,"code":1,"addr":24,"ip":4198710,"time_ns":99000000000}}`,
	},
	{
		name:     "fault signal without an address",
		event:    webEvent(libzl.EventFault, func(e *libzl.Event) { e.Fault = evAbort }),
		wantLine: "service 3 (web) pid 1234: fault, incarnation 1, SIGABRT",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"fault","id":3,"name":"web","pid":1234,"incarnation":1,` +
			`"fault":{"signal":"SIGABRT","exit_code":0,"code":-6,"addr":4660,"ip":4198710,"time_ns":99000000000}}`,
	},
	{
		name:     "fault exit status",
		event:    webEvent(libzl.EventFault, func(e *libzl.Event) { e.Fault = &libzl.Fault{ExitCode: 2, Time: 99 * time.Second} }),
		wantLine: "service 3 (web) pid 1234: fault, incarnation 1, exit 2",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"fault","id":3,"name":"web","pid":1234,"incarnation":1,` +
			`"fault":{"signal":"","exit_code":2,"code":0,"addr":0,"ip":0,"time_ns":99000000000}}`,
	},
	{
		name: "restart after a fault",
		event: webEvent(libzl.EventRestart, func(e *libzl.Event) {
			e.Fault, e.Cause, e.Latency, e.Exe, e.Retained = evSegv, libzl.CauseFault, 183456*time.Nanosecond, "/usr/bin/web", 5
		}),
		wantLine: "service 3 (web) pid 1234: restart, incarnation 1, cause fault (SIGSEGV), latency 183µs, kept 5",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"restart","id":3,"name":"web","pid":1234,"incarnation":1,` +
			`"fault":{"signal":"SIGSEGV","exit_code":0,"code":1,"addr":24,"ip":4198710,"time_ns":99000000000},` +
			`"cause":"fault","latency_ns":183456,"exe":"/usr/bin/web","retained":5}`,
	},
	{
		name: "restart on request",
		event: webEvent(libzl.EventRestart, func(e *libzl.Event) {
			e.Cause, e.Latency, e.Exe = libzl.CauseRequest, 1234567*time.Nanosecond, "/usr/bin/web-2"
		}),
		wantLine: "service 3 (web) pid 1234: restart, incarnation 1, cause request, latency 1.235ms, exe /usr/bin/web-2, kept 0",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"restart","id":3,"name":"web","pid":1234,"incarnation":1,` +
			`"cause":"request","latency_ns":1234567,"exe":"/usr/bin/web-2","retained":0}`,
	},
	{
		name:     "ready",
		event:    webEvent(libzl.EventReady, func(e *libzl.Event) { e.Latency = 77544321 }),
		wantLine: "service 3 (web) pid 1234: ready, incarnation 1, latency 77.544ms",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"ready","id":3,"name":"web","pid":1234,"incarnation":1,"latency_ns":77544321}`,
	},
	{
		name: "giveup over budget",
		event: webEvent(libzl.EventGiveUp, func(e *libzl.Event) {
			e.Fault, e.Cause, e.Reason = evSegv, libzl.CauseFault, libzl.ReasonBudget
		}),
		wantLine: "service 3 (web) pid 1234: giveup, incarnation 1, reason budget, fault SIGSEGV",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"giveup","id":3,"name":"web","pid":1234,"incarnation":1,` +
			`"fault":{"signal":"SIGSEGV","exit_code":0,"code":1,"addr":24,"ip":4198710,"time_ns":99000000000},` +
			`"cause":"fault","reason":"budget"}`,
	},
	{
		name: "giveup of a request whose exec failed",
		event: webEvent(libzl.EventGiveUp, func(e *libzl.Event) {
			e.Cause, e.Reason, e.Err = libzl.CauseRequest, libzl.ReasonExecFailed, syscall.EACCES
		}),
		wantLine: "service 3 (web) pid 1234: giveup, incarnation 1, reason exec-failed (permission denied), cause request",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"giveup","id":3,"name":"web","pid":1234,"incarnation":1,` +
			`"cause":"request","reason":"exec-failed","errno":13,"error":"permission denied"}`,
	},
	{
		name:     "exit",
		event:    webEvent(libzl.EventExit, func(e *libzl.Event) { e.ExitStatus = 0 }),
		wantLine: "service 3 (web) pid 1234: exit, incarnation 1, exited 0",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"exit","id":3,"name":"web","pid":1234,"incarnation":1,` +
			`"exit":{"status":0,"code":0,"signal":"","core_dumped":false}}`,
	},
	{
		name:     "exit killed",
		event:    webEvent(libzl.EventExit, func(e *libzl.Event) { e.ExitStatus = syscall.WaitStatus(syscall.SIGSEGV) | 0x80 }),
		wantLine: "service 3 (web) pid 1234: exit, incarnation 1, killed by SIGSEGV (core dumped)",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"exit","id":3,"name":"web","pid":1234,"incarnation":1,` +
			`"exit":{"status":139,"code":null,"signal":"SIGSEGV","core_dumped":true}}`,
	},
	{
		name: "replay overflow of a tcp socket",
		event: webEvent(libzl.EventReplayOverflow, func(e *libzl.Event) {
			e.Incarnation, e.StreamKind, e.StreamIno, e.OverflowReason, e.ReplayLimit = 2, libzl.StreamTCP, 12345, libzl.OverflowServiceLimit, 1<<20
		}),
		wantLine: "service 3 (web) pid 1234: replay-overflow, incarnation 2, tcp socket:[12345], reason service-limit, limit 1MiB",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"replay-overflow","id":3,"name":"web","pid":1234,"incarnation":2,` +
			`"stream_kind":"tcp","stream_ino":12345,"overflow_reason":"service-limit","replay_limit":1048576}`,
	},
	{
		name: "replay overflow of a unix socket against the global limit",
		event: webEvent(libzl.EventReplayOverflow, func(e *libzl.Event) {
			e.StreamKind, e.StreamIno, e.OverflowReason, e.ReplayLimit = libzl.StreamUnix, 1<<40, libzl.OverflowGlobalLimit, 1000000
		}),
		wantLine: "service 3 (web) pid 1234: replay-overflow, incarnation 1, unix socket:[1099511627776], reason global-limit, limit 1000000B",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"replay-overflow","id":3,"name":"web","pid":1234,"incarnation":1,` +
			`"stream_kind":"unix","stream_ino":1099511627776,"overflow_reason":"global-limit","replay_limit":1000000}`,
	},
	{
		name: "replay overflow of a pipe read with MSG_TRUNC, zero fields kept",
		event: webEvent(libzl.EventReplayOverflow, func(e *libzl.Event) {
			e.StreamKind, e.OverflowReason = libzl.StreamPipe, libzl.OverflowTruncated
		}),
		wantLine: "service 3 (web) pid 1234: replay-overflow, incarnation 1, pipe:[0], reason truncated, limit 0B",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"replay-overflow","id":3,"name":"web","pid":1234,"incarnation":1,` +
			`"stream_kind":"pipe","stream_ino":0,"overflow_reason":"truncated","replay_limit":0}`,
	},
	{
		name: "replay overflow of an unknown stream",
		event: webEvent(libzl.EventReplayOverflow, func(e *libzl.Event) {
			e.StreamKind, e.StreamIno, e.OverflowReason, e.ReplayLimit = 7, 99, 8, 4096
		}),
		wantLine: "service 3 (web) pid 1234: replay-overflow, incarnation 1, stream-kind(7) inode 99, reason overflow-reason(8), limit 4KiB",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"replay-overflow","id":3,"name":"web","pid":1234,"incarnation":1,` +
			`"stream_kind":"stream-kind(7)","stream_ino":99,"overflow_reason":"overflow-reason(8)","replay_limit":4096}`,
	},
	{
		name:     "no name, unknown kind",
		event:    &libzl.Event{Kind: 20, ID: 9, PID: 1, Time: 100*time.Second + 123456789},
		wantLine: "service 9 pid 1: kind(20), incarnation 0",
		wantJSON: `{"time":"2026-11-22T14:13:36.123456789Z","time_ns":100123456789,"event":"kind(20)","id":9,"name":"","pid":1,"incarnation":0}`,
	},
}

// eventClock puts 100s after boot at 14:13:36 UTC.
func eventClock() (Clock, time.Time) {
	return func() (time.Duration, error) { return 200 * time.Second, nil },
		time.Date(2026, 11, 22, 14, 15, 16, 0, time.UTC)
}

func TestEventLine(t *testing.T) {
	clock, now := eventClock()
	for _, tt := range eventTests {
		t.Run(tt.name, func(t *testing.T) {
			got := EventLine(tt.event, NewEventTime(tt.event, clock, now))
			if want := "2026-11-22T14:13:36.123456Z " + tt.wantLine; got != want {
				t.Errorf("EventLine:\n got %q\nwant %q", got, want)
			}
		})
	}
}

func TestEventLineWithoutClock(t *testing.T) {
	e := webEvent(libzl.EventRegister, nil)
	failing := Clock(func() (time.Duration, error) { return 0, errors.New("no clock") })
	for _, clock := range []Clock{nil, failing} {
		got := EventLine(e, NewEventTime(e, clock, time.Now()))
		if want := "boot+100.123457s service 3 (web) pid 1234: register, incarnation 1"; got != want {
			t.Errorf("EventLine = %q, want %q", got, want)
		}
		var b bytes.Buffer
		if err := WriteJSONLine(&b, NewEventJSON(e, NewEventTime(e, clock, time.Now()))); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(b.String(), `{"time":"","time_ns":100123456789,`) {
			t.Errorf("JSON without a clock: %s", b.String())
		}
	}
}

// TestEventJSON pins the JSON form of each kind of event: scripts depend
// on the field names and on which fields each kind has.
func TestEventJSON(t *testing.T) {
	clock, now := eventClock()
	for _, tt := range eventTests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJSONLine(&b, NewEventJSON(tt.event, NewEventTime(tt.event, clock, now))); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantJSON+"\n", b.String()); diff != "" {
				t.Errorf("JSON line (-want +got):\n%s", diff)
			}
			if !json.Valid(b.Bytes()) {
				t.Errorf("not valid JSON: %s", b.String())
			}
		})
	}
}

func TestEventJSONLocalTime(t *testing.T) {
	clock, now := eventClock()
	zone := time.FixedZone("CET", 3600)
	e := webEvent(libzl.EventReady, nil)
	tm := NewEventTime(e, clock, now.In(zone))
	if got, want := NewEventJSON(e, tm).Time, "2026-11-22T15:13:36.123456789+01:00"; got != want {
		t.Errorf("time = %q, want %q", got, want)
	}
	if got, want := EventLine(e, tm)[:32], "2026-11-22T15:13:36.123456+01:00"; got != want {
		t.Errorf("line time = %q, want %q", got, want)
	}
}
