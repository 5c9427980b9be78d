package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/zl-dev/zl/libzl"
)

// EventTimeLayout is the layout of event times on event lines: RFC 3339
// with microseconds.
const EventTimeLayout = "2006-01-02T15:04:05.000000Z07:00"

// An EventTime is when an event happened: on the wall clock when it is
// known (Known), and since boot.
type EventTime struct {
	Wall  time.Time
	Known bool
}

// NewEventTime returns the time of e given clock, the time since boot, and
// now, the wall-clock time; the wall-clock time is unknown when clock is
// nil or fails.
func NewEventTime(e *libzl.Event, clock Clock, now time.Time) EventTime {
	sinceBoot, ok := clock.now()
	if !ok {
		return EventTime{}
	}
	return EventTime{Wall: e.WallTime(now, sinceBoot), Known: true}
}

// EventLine describes e on one line, without the newline: its time, the
// service, the kind and the incarnation, and what the kind carries, as in
//
//	2026-11-22T14:13:36.123639Z service 3 (web) pid 1234: restart, incarnation 1, cause fault (SIGSEGV), latency 183µs, kept 5
//
// When the wall-clock time is unknown, the time is since boot, as in
// "boot+100.000000s".
func EventLine(e *libzl.Event, t EventTime) string {
	var b strings.Builder
	if t.Known {
		b.WriteString(t.Wall.Format(EventTimeLayout))
	} else {
		fmt.Fprintf(&b, "boot+%.6fs", e.Time.Seconds())
	}
	fmt.Fprintf(&b, " service %d", e.ID)
	if e.Name != "" {
		fmt.Fprintf(&b, " (%s)", e.Name)
	}
	fmt.Fprintf(&b, " pid %d: %s, incarnation %d", e.PID, e.Kind, e.Incarnation)
	for _, d := range eventDetails(e) {
		b.WriteString(", ")
		b.WriteString(d)
	}
	return b.String()
}

// eventDetails returns what an event of e's kind carries, for people.
func eventDetails(e *libzl.Event) []string {
	var d []string
	switch e.Kind {
	case libzl.EventFault:
		d = append(d, faultWithAddr(e.Fault))
	case libzl.EventRestart:
		cause := "cause " + e.Cause.String()
		if e.Cause == libzl.CauseFault && e.Fault != nil {
			cause += " (" + ShortFault(e.Fault) + ")"
		}
		d = append(d, cause, "latency "+Latency(e.Latency))
		if e.Cause == libzl.CauseRequest && e.Exe != "" {
			d = append(d, "exe "+e.Exe)
		}
		d = append(d, fmt.Sprintf("kept %d", e.Retained))
	case libzl.EventReady:
		d = append(d, "latency "+Latency(e.Latency))
	case libzl.EventGiveUp:
		reason := "reason " + e.Reason.String()
		if e.Err != 0 {
			reason += " (" + e.Err.Error() + ")"
		}
		d = append(d, reason)
		switch {
		case e.Fault != nil:
			d = append(d, "fault "+ShortFault(e.Fault))
		case e.Cause == libzl.CauseRequest:
			d = append(d, "cause request")
		}
	case libzl.EventExit:
		d = append(d, WaitStatus(e.ExitStatus))
	case libzl.EventReplayOverflow:
		d = append(d,
			Stream(e.StreamKind, e.StreamIno),
			"reason "+e.OverflowReason.String(),
			"limit "+Bytes(e.ReplayLimit))
	}
	return d
}

// Stream names a stream as the links of /proc/PID/fd do, with the kind of
// a socket: "tcp socket:[12345]", "unix socket:[12345]", "pipe:[12345]".
func Stream(kind libzl.StreamKind, ino uint64) string {
	switch kind {
	case libzl.StreamTCP, libzl.StreamUnix:
		return fmt.Sprintf("%s socket:[%d]", kind, ino)
	case libzl.StreamPipe:
		return fmt.Sprintf("pipe:[%d]", ino)
	default:
		return fmt.Sprintf("%s inode %d", kind, ino)
	}
}

// faultWithAddr names f with the address of the signals that report one:
// "SIGSEGV at 0x0", "SIGABRT", "exit 2".
func faultWithAddr(f *libzl.Fault) string {
	if f != nil && f.Signal != 0 && hasFaultAddr(f.Signal) {
		return fmt.Sprintf("%s at %#x", ShortFault(f), f.Addr)
	}
	return ShortFault(f)
}

// Latency returns d rounded to microseconds, such as "183µs" or "1.234ms";
// a latency under a microsecond is left as it is.
func Latency(d time.Duration) string {
	if d >= time.Microsecond {
		d = d.Round(time.Microsecond)
	}
	return d.String()
}

// WaitStatus describes a wait status in words: "exited 0", "killed by
// SIGSEGV", "killed by SIGABRT (core dumped)".
func WaitStatus(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exited %d", ws.ExitStatus())
	case ws.Signaled():
		s := "killed by " + SignalName(ws.Signal(), false)
		if ws.CoreDump() {
			s += " (core dumped)"
		}
		return s
	default:
		return fmt.Sprintf("wait status %#x", uint32(ws))
	}
}

// EventJSON is the pinned JSON form of an event, one object per line. The
// fields from Time to Incarnation are always there; the others only for
// the kinds that carry them.
type EventJSON struct {
	Time        string     `json:"time"`    // RFC 3339 with ns, "" when unknown
	TimeNS      int64      `json:"time_ns"` // since boot (CLOCK_BOOTTIME)
	Event       string     `json:"event"`   // the kind: "register", "fault", ...
	ID          uint32     `json:"id"`
	Name        string     `json:"name"`
	PID         int        `json:"pid"`
	Incarnation uint32     `json:"incarnation"`
	Fault       *FaultJSON `json:"fault,omitempty"`      // fault; restart and giveup after a fault
	Cause       string     `json:"cause,omitempty"`      // restart, giveup: "fault" or "request"
	LatencyNS   *int64     `json:"latency_ns,omitempty"` // restart, ready
	Exe         string     `json:"exe,omitempty"`        // restart
	Retained    *int       `json:"retained,omitempty"`   // restart
	Reason      string     `json:"reason,omitempty"`     // giveup
	Errno       int        `json:"errno,omitempty"`      // giveup with reason exec-failed
	Error       string     `json:"error,omitempty"`      // the errno's text
	Exit        *ExitJSON  `json:"exit,omitempty"`       // exit

	StreamKind     string  `json:"stream_kind,omitempty"`     // replay-overflow: "tcp", "unix" or "pipe"
	StreamIno      *uint64 `json:"stream_ino,omitempty"`      // replay-overflow: as in socket:[N], pipe:[N]
	OverflowReason string  `json:"overflow_reason,omitempty"` // replay-overflow: "service-limit", ...
	ReplayLimit    *uint64 `json:"replay_limit,omitempty"`    // replay-overflow: the limit reached, in bytes
}

// ExitJSON is the pinned JSON form of the wait status of an exit event.
type ExitJSON struct {
	Status     uint32 `json:"status"`      // as wait(2) reports it
	Code       *int   `json:"code"`        // the exit status; null when killed
	Signal     string `json:"signal"`      // the signal that killed it, or ""
	CoreDumped bool   `json:"core_dumped"` // whether it dumped core
}

// NewEventJSON returns the JSON form of e, which happened at t.
func NewEventJSON(e *libzl.Event, t EventTime) EventJSON {
	j := EventJSON{
		TimeNS:      e.Time.Nanoseconds(),
		Event:       e.Kind.String(),
		ID:          e.ID,
		Name:        e.Name,
		PID:         e.PID,
		Incarnation: e.Incarnation,
		Fault:       NewFaultJSON(e.Fault),
	}
	if t.Known {
		j.Time = t.Wall.Format(time.RFC3339Nano)
	}
	latency := e.Latency.Nanoseconds()
	switch e.Kind {
	case libzl.EventRestart:
		j.Cause = e.Cause.String()
		j.LatencyNS = &latency
		j.Exe = e.Exe
		retained := e.Retained
		j.Retained = &retained
	case libzl.EventReady:
		j.LatencyNS = &latency
	case libzl.EventGiveUp:
		j.Cause = e.Cause.String()
		j.Reason = e.Reason.String()
		if e.Err != 0 {
			j.Errno = int(e.Err)
			j.Error = e.Err.Error()
		}
	case libzl.EventExit:
		ws := e.ExitStatus
		x := &ExitJSON{Status: uint32(ws)}
		switch {
		case ws.Exited():
			code := ws.ExitStatus()
			x.Code = &code
		case ws.Signaled():
			x.Signal = SignalName(ws.Signal(), false)
			x.CoreDumped = ws.CoreDump()
		}
		j.Exit = x
	case libzl.EventReplayOverflow:
		ino, limit := e.StreamIno, e.ReplayLimit
		j.StreamKind = e.StreamKind.String()
		j.StreamIno = &ino
		j.OverflowReason = e.OverflowReason.String()
		j.ReplayLimit = &limit
	}
	return j
}

// WriteJSONLine writes v as JSON on one line.
func WriteJSONLine(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}
