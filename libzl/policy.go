package libzl

import (
	"fmt"
	"math"
	"strings"
	"syscall"
	"time"

	"github.com/zl-dev/zl/libzl/internal/zlrnl"
)

// PolicyFlags are the behaviour switches of a Policy.
type PolicyFlags uint32

// Possible PolicyFlags values.
const (
	// FlagReplay keeps the bytes a service read on each of its streams
	// (TCP and UNIX stream sockets, pipes and FIFOs) since the stream's
	// last request boundary and replays them to the next incarnation after
	// a restart.
	FlagReplay PolicyFlags = zlrnl.ZLR_POLICY_FLAGS_REPLAY

	// FlagDedup drops the bytes the previous incarnation had already
	// written since the boundary, so that peers see them only once.
	FlagDedup PolicyFlags = zlrnl.ZLR_POLICY_FLAGS_DEDUP
)

// policyFlagNames lists the known flags in bit order.
var policyFlagNames = []struct {
	flag PolicyFlags
	name string
}{
	{FlagReplay, "replay"},
	{FlagDedup, "dedup"},
}

// Names returns the names of the flags set in f in bit order ("replay",
// "dedup"), with unknown bits as hexadecimal numbers. It returns an empty
// slice when no flag is set.
func (f PolicyFlags) Names() []string {
	names := []string{}
	for _, n := range policyFlagNames {
		if f&n.flag != 0 {
			names = append(names, n.name)
			f &^= n.flag
		}
	}
	if f != 0 {
		names = append(names, fmt.Sprintf("%#x", uint32(f)))
	}
	return names
}

// String returns the flags set in f joined by "|", such as "replay|dedup",
// or "none".
func (f PolicyFlags) String() string {
	if f == 0 {
		return "none"
	}
	return strings.Join(f.Names(), "|")
}

// A Policy is the complete restart policy of a service, as the kernel
// reports it.
type Policy struct {
	// FaultSignals are the signals that count as a transient fault, in
	// ascending order. The kernel accepts SIGILL, SIGTRAP, SIGABRT,
	// SIGBUS, SIGFPE, SIGSEGV and SIGSYS.
	FaultSignals []syscall.Signal

	// FaultExitCodes are the exit statuses that count as a fault, in
	// ascending order.
	FaultExitCodes []uint8

	// MaxRestarts is the number of restarts allowed within Window; 0
	// disables restarting.
	MaxRestarts uint32

	// Window is the length of the sliding window MaxRestarts applies to.
	Window time.Duration

	// Backoff is the delay before each restart.
	Backoff time.Duration

	// MinUptime is the least time since the last restart for a fault to be
	// restarted.
	MinUptime time.Duration

	// ReplayLimit is the number of bytes of unanswered input the kernel
	// keeps for the service's replay, over all its streams together (not
	// per stream). A stream whose log would take the service beyond it
	// loses its replay guarantee until its next request boundary, and an
	// EventReplayOverflow says so; Service.Replay.Held is what the logs
	// hold now.
	ReplayLimit uint32

	// Flags are the policy's switches.
	Flags PolicyFlags
}

// A PolicyConfig is a change to a policy: the kernel changes only the
// settings whose field is set (non-nil) and keeps the others. On Register
// the others keep the kernel's defaults: fault signals SIGILL, SIGABRT,
// SIGBUS, SIGFPE, SIGSEGV and SIGSYS, no fault exit codes, 5 restarts per
// minute, no backoff, no minimum uptime, a 16 MiB replay limit and flags
// FlagReplay|FlagDedup.
type PolicyConfig struct {
	// FaultSignals, if non-nil, replaces the fault signals; an empty
	// non-nil slice means none.
	FaultSignals []syscall.Signal

	// FaultExitCodes, if non-nil, replaces the fault exit codes; an empty
	// non-nil slice clears them. The kernel accepts at most 255 of them.
	FaultExitCodes []uint8

	// MaxRestarts, if non-nil, sets the restarts allowed within the window.
	MaxRestarts *uint32

	// Window, if non-nil, sets the restart window. It must be a whole
	// number of milliseconds; the kernel requires at least one.
	Window *time.Duration

	// Backoff, if non-nil, sets the delay before each restart, in whole
	// milliseconds.
	Backoff *time.Duration

	// MinUptime, if non-nil, sets the minimum uptime, in whole milliseconds.
	MinUptime *time.Duration

	// ReplayLimit, if non-nil, sets the replay limit in bytes: the most
	// the replay logs of all the service's streams may hold together. The
	// kernel accepts up to 1 GiB.
	ReplayLimit *uint32

	// Flags, if non-nil, replaces all the policy's flags.
	Flags *PolicyFlags
}

// maxSignal is the highest signal a fault signal mask can hold.
const maxSignal = 63

// maxFaultExitCodes is the most fault exit codes the kernel accepts, one
// byte for each exit status from 1 to 255.
const maxFaultExitCodes = 255

// check refuses the settings of p that cannot be sent, or that the kernel
// refuses whatever its state.
func (p *PolicyConfig) check(op string) error {
	for _, s := range p.FaultSignals {
		if s < 1 || s > maxSignal {
			return invalidf(op, "signal %d out of range 1-%d", int(s), maxSignal)
		}
	}
	if len(p.FaultExitCodes) > maxFaultExitCodes {
		return invalidf(op, "%d fault exit codes, more than %d", len(p.FaultExitCodes), maxFaultExitCodes)
	}
	for _, d := range []struct {
		name string
		d    *time.Duration
	}{
		{"window", p.Window},
		{"backoff", p.Backoff},
		{"min-uptime", p.MinUptime},
	} {
		if d.d == nil {
			continue
		}
		if _, err := durationMS(*d.d); err != nil {
			return invalidf(op, "%s %v", d.name, err)
		}
	}
	return nil
}

// durationMS converts d to whole milliseconds that fit a u32.
func durationMS(d time.Duration) (uint32, error) {
	switch {
	case d < 0:
		return 0, fmt.Errorf("%v must not be negative", d)
	case d%time.Millisecond != 0:
		return 0, fmt.Errorf("%v is not a whole number of milliseconds", d)
	case d/time.Millisecond > math.MaxUint32:
		return 0, fmt.Errorf("%v is longer than %d ms", d, uint32(math.MaxUint32))
	}
	return uint32(d / time.Millisecond), nil
}
