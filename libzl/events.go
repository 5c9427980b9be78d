package libzl

import (
	"errors"
	"fmt"
	"syscall"
	"time"

	"github.com/zl-dev/zl/libzl/internal/zlrnl"
)

// An EventKind says what happened to a service; its values are the
// commands of the kernel's notifications.
type EventKind uint8

// The kinds of events.
const (
	// EventRegister: a process was registered as a service.
	EventRegister EventKind = zlrnl.ZLR_CMD_REGISTER_NTF

	// EventUnregister: a service was unregistered; its process runs on.
	EventUnregister EventKind = zlrnl.ZLR_CMD_UNREGISTER_NTF

	// EventFault: a service took a fault its policy lists.
	EventFault EventKind = zlrnl.ZLR_CMD_FAULT_NTF

	// EventRestart: a service was restarted in place, after a fault or on
	// request.
	EventRestart EventKind = zlrnl.ZLR_CMD_RESTART_NTF

	// EventReady: a restarted service reported that it serves again.
	EventReady EventKind = zlrnl.ZLR_CMD_READY_NTF

	// EventGiveUp: the kernel let a fault take its ordinary course, or
	// dropped a restart request.
	EventGiveUp EventKind = zlrnl.ZLR_CMD_GIVEUP_NTF

	// EventExit: the process of a service ended.
	EventExit EventKind = zlrnl.ZLR_CMD_EXIT_NTF

	// EventReplayOverflow: a stream of a service lost its replay guarantee
	// until its next request boundary, because its replay log could not
	// grow: a restart before that boundary does not replay its input.
	// Event.StreamKind and Event.StreamIno name the stream,
	// Event.OverflowReason says why.
	EventReplayOverflow EventKind = zlrnl.ZLR_CMD_REPLAY_OVERFLOW_NTF
)

// String returns the kind's name: "register", "unregister", "fault",
// "restart", "ready", "giveup", "exit" or "replay-overflow", or "kind(N)"
// for a kind this package does not know.
func (k EventKind) String() string {
	switch k {
	case EventRegister:
		return "register"
	case EventUnregister:
		return "unregister"
	case EventFault:
		return "fault"
	case EventRestart:
		return "restart"
	case EventReady:
		return "ready"
	case EventGiveUp:
		return "giveup"
	case EventExit:
		return "exit"
	case EventReplayOverflow:
		return "replay-overflow"
	default:
		return fmt.Sprintf("kind(%d)", uint8(k))
	}
}

// known reports whether k is one of the kinds above.
func (k EventKind) known() bool {
	return k >= EventRegister && k <= EventExit || k == EventReplayOverflow
}

// A RestartCause says why a service was restarted, or was to be.
type RestartCause uint32

// The causes of a restart.
const (
	// CauseFault: the service took a fault its policy lists.
	CauseFault RestartCause = zlrnl.ZLR_RESTART_CAUSE_FAULT

	// CauseRequest: Client.Restart asked for it (online maintenance).
	CauseRequest RestartCause = zlrnl.ZLR_RESTART_CAUSE_REQUEST
)

// String returns "fault" or "request", or "cause(N)" for a cause this
// package does not know.
func (c RestartCause) String() string {
	switch c {
	case CauseFault:
		return "fault"
	case CauseRequest:
		return "request"
	default:
		return fmt.Sprintf("cause(%d)", uint32(c))
	}
}

// A GiveUpReason says why the kernel let a fault take its course, or
// dropped a restart request.
type GiveUpReason uint32

// The reasons for giving up.
const (
	// ReasonDisabled: the policy allows no restarts (MaxRestarts is 0).
	ReasonDisabled GiveUpReason = zlrnl.ZLR_GIVEUP_REASON_DISABLED

	// ReasonTooSoon: the fault came sooner than the policy's MinUptime
	// after the last restart.
	ReasonTooSoon GiveUpReason = zlrnl.ZLR_GIVEUP_REASON_TOO_SOON

	// ReasonBudget: MaxRestarts restarts happened within the window
	// already.
	ReasonBudget GiveUpReason = zlrnl.ZLR_GIVEUP_REASON_BUDGET

	// ReasonExecFailed: the restart image could not be executed; Event.Err
	// says why. A fault then takes its course; a requested restart is
	// dropped and the service runs on unchanged.
	ReasonExecFailed GiveUpReason = zlrnl.ZLR_GIVEUP_REASON_EXEC_FAILED

	// ReasonKilled: a fatal signal arrived during the backoff or the exec.
	ReasonKilled GiveUpReason = zlrnl.ZLR_GIVEUP_REASON_KILLED
)

// String returns "disabled", "too-soon", "budget", "exec-failed" or
// "killed", or "reason(N)" for a reason this package does not know.
func (r GiveUpReason) String() string {
	switch r {
	case ReasonDisabled:
		return "disabled"
	case ReasonTooSoon:
		return "too-soon"
	case ReasonBudget:
		return "budget"
	case ReasonExecFailed:
		return "exec-failed"
	case ReasonKilled:
		return "killed"
	default:
		return fmt.Sprintf("reason(%d)", uint32(r))
	}
}

// A StreamKind says what kind of stream a replay log belongs to.
type StreamKind uint32

// The kinds of streams.
const (
	// StreamTCP: a connected TCP socket.
	StreamTCP StreamKind = zlrnl.ZLR_STREAM_KIND_TCP

	// StreamUnix: a connected UNIX stream socket.
	StreamUnix StreamKind = zlrnl.ZLR_STREAM_KIND_UNIX

	// StreamPipe: a pipe or a FIFO.
	StreamPipe StreamKind = zlrnl.ZLR_STREAM_KIND_PIPE
)

// String returns "tcp", "unix" or "pipe", or "stream-kind(N)" for a kind
// this package does not know.
func (k StreamKind) String() string {
	switch k {
	case StreamTCP:
		return "tcp"
	case StreamUnix:
		return "unix"
	case StreamPipe:
		return "pipe"
	default:
		return fmt.Sprintf("stream-kind(%d)", uint32(k))
	}
}

// An OverflowReason says why a stream lost its replay guarantee.
type OverflowReason uint32

// The reasons for an overflow.
const (
	// OverflowServiceLimit: the service's replay logs, over all its
	// streams, would outgrow its policy's ReplayLimit.
	OverflowServiceLimit OverflowReason = zlrnl.ZLR_OVERFLOW_REASON_SERVICE_LIMIT

	// OverflowGlobalLimit: the replay logs of all services would outgrow
	// the kernel.zlr.replay_limit sysctl (Stats.ReplayLimit).
	OverflowGlobalLimit OverflowReason = zlrnl.ZLR_OVERFLOW_REASON_GLOBAL_LIMIT

	// OverflowNoMem: the kernel could not allocate memory for the log.
	OverflowNoMem OverflowReason = zlrnl.ZLR_OVERFLOW_REASON_NOMEM

	// OverflowTruncated: the service discarded input without reading it
	// (MSG_TRUNC), so the log cannot hold what it consumed.
	OverflowTruncated OverflowReason = zlrnl.ZLR_OVERFLOW_REASON_TRUNCATED

	// OverflowUserLimit: the replay logs of all the services of the
	// service's user would outgrow the kernel.zlr.replay_limit_per_user
	// sysctl.
	OverflowUserLimit OverflowReason = zlrnl.ZLR_OVERFLOW_REASON_USER_LIMIT
)

// String returns "service-limit", "user-limit", "global-limit", "nomem" or
// "truncated", or "overflow-reason(N)" for a reason this package does not
// know.
func (r OverflowReason) String() string {
	switch r {
	case OverflowServiceLimit:
		return "service-limit"
	case OverflowUserLimit:
		return "user-limit"
	case OverflowGlobalLimit:
		return "global-limit"
	case OverflowNoMem:
		return "nomem"
	case OverflowTruncated:
		return "truncated"
	default:
		return fmt.Sprintf("overflow-reason(%d)", uint32(r))
	}
}

// An Event is something that happened to a service, as the kernel reported
// it to a Monitor. Every event carries the fields from Kind to Time; the
// others are set only for the kinds their comments name and are zero
// otherwise.
type Event struct {
	// Kind says what happened.
	Kind EventKind

	// ID is the service's id.
	ID uint32

	// PID is the service's process, in the initial PID namespace (unlike
	// Service.PID, which is in the caller's).
	PID int

	// Name is the service's name, at most MaxNameLen bytes.
	Name string

	// Incarnation is the service's incarnation after the event.
	Incarnation uint32

	// Time is when the event happened, as time since boot
	// (CLOCK_BOOTTIME); WallTime converts it.
	Time time.Duration

	// Fault is the fault: set for EventFault, for EventGiveUp after a
	// fault and for EventRestart with CauseFault; nil otherwise.
	Fault *Fault

	// Cause is why the service was restarted (EventRestart), or was to be
	// (EventGiveUp).
	Cause RestartCause

	// Latency is, for EventRestart, the time from the interception of the
	// fault (or of the request) to the end of the exec; for EventReady, the
	// time from the interception to the new incarnation's ready call.
	Latency time.Duration

	// Exe is the executable the restart ran (EventRestart).
	Exe string

	// Retained is the number of descriptors the restart kept open
	// (EventRestart).
	Retained int

	// Reason is why the kernel gave up (EventGiveUp).
	Reason GiveUpReason

	// Err is the error of the exec that failed, a positive errno, for
	// EventGiveUp with ReasonExecFailed; 0 otherwise.
	Err syscall.Errno

	// ExitStatus is the process's wait status, as wait(2) reports it
	// (EventExit).
	ExitStatus syscall.WaitStatus

	// StreamKind is the kind of the stream that lost its replay guarantee
	// (EventReplayOverflow).
	StreamKind StreamKind

	// StreamIno is that stream's inode number, as in the socket:[N] and
	// pipe:[N] links of /proc/PID/fd (EventReplayOverflow).
	StreamIno uint64

	// OverflowReason is why the stream lost its guarantee
	// (EventReplayOverflow).
	OverflowReason OverflowReason

	// ReplayLimit is the limit that was reached, in bytes: the policy's
	// ReplayLimit for OverflowServiceLimit, the global limit for
	// OverflowGlobalLimit (EventReplayOverflow).
	ReplayLimit uint64
}

// WallTime returns the wall-clock time of the event, given the wall-clock
// time now and the time since boot at that same moment, sinceBoot (as
// SinceBoot returns it). The event's time is on CLOCK_BOOTTIME, which keeps
// counting during suspend and is not changed by setting the clock; the
// result is exact to the precision with which now and sinceBoot were read
// together, and assumes the clock was not set since the event.
func (e *Event) WallTime(now time.Time, sinceBoot time.Duration) time.Time {
	return now.Add(e.Time - sinceBoot)
}

// SinceBoot returns the time since boot on CLOCK_BOOTTIME, the clock of
// Event.Time, Service.Registered and Fault.Time. On systems other than
// Linux it returns ErrNotSupported.
func SinceBoot() (time.Duration, error) { return sinceBoot() }

// ErrEventsLost is returned by Monitor.Next when the kernel dropped events
// because the monitor's socket buffer was full: the reader was too slow.
// The monitor keeps working, and the next call of Next returns the next
// event; the counters of Client.Service are complete.
var ErrEventsLost = errors.New("zlr: events lost: the reader was too slow")

// A Monitor receives the events of services from the kernel as they
// happen. Next may be called from one goroutine at a time; Close and
// SetDeadline may be called from any, at any time.
type Monitor struct {
	// The operating system-specific monitor.
	m *monitor
}

// DialMonitor opens a Monitor, subscribed to the kernel's events from now
// on. It returns ErrNotSupported when the kernel has no zlr family.
//
// The kernel sends a service's events to a monitor only when it was opened
// by the service's user (as registered) or by a holder of CAP_SYS_ADMIN,
// in the initial user namespace, and only in the network namespace the
// service was registered from and in the initial one. Events it cannot
// allocate are lost without notice.
func DialMonitor() (*Monitor, error) {
	m, err := newMonitor()
	if err != nil {
		return nil, err
	}
	return &Monitor{m: m}, nil
}

// Next blocks until the next event and returns it. It skips the messages
// that are not events of the zlr family, and the events of kinds this
// package does not know.
//
// Next returns an error matching ErrEventsLost when the kernel dropped
// events, an error wrapping os.ErrDeadlineExceeded when the deadline set
// with SetDeadline passed, and one wrapping net.ErrClosed once Close was
// called (including when Close interrupts a pending Next). An event that
// cannot be decoded is an error too. After ErrEventsLost and after an event
// that cannot be decoded, the next call of Next returns the next event;
// after a deadline, it does once the deadline is moved.
func (m *Monitor) Next() (*Event, error) { return m.m.next() }

// SetDeadline sets the time after which Next fails with an error wrapping
// os.ErrDeadlineExceeded, including a pending call; the zero time means no
// deadline.
func (m *Monitor) SetDeadline(t time.Time) error { return m.m.setDeadline(t) }

// Close releases the Monitor's netlink socket; a pending Next returns an
// error wrapping net.ErrClosed.
func (m *Monitor) Close() error { return m.m.Close() }
