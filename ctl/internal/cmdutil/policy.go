package cmdutil

import (
	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/libzl"
)

// A PolicyChange is what the policy flags asked for.
type PolicyChange struct {
	// Config holds the settings whose flag was given, except the flags.
	Config libzl.PolicyConfig

	// Replay and Dedup are the switches whose flag was given.
	Replay, Dedup *bool
}

// IsEmpty reports whether the change changes nothing.
func (c PolicyChange) IsEmpty() bool {
	p := c.Config
	return p.FaultSignals == nil && p.FaultExitCodes == nil && p.MaxRestarts == nil &&
		p.Window == nil && p.Backoff == nil && p.MinUptime == nil && p.ReplayLimit == nil &&
		p.Flags == nil && c.Replay == nil && c.Dedup == nil
}

// DefaultFlags are the policy flags the kernel gives a new service.
const DefaultFlags = libzl.FlagReplay | libzl.FlagDedup

// Registration returns the registration of the process pid (0: the calling
// process) as the service name (empty: the kernel's default), with the
// policy change applied to the kernel's defaults.
func Registration(pid int, name string, policy PolicyChange) libzl.Registration {
	return libzl.Registration{
		PID:    pid,
		Name:   name,
		Policy: policy.Resolve(DefaultFlags),
	}
}

// CheckName refuses a --name the kernel would not take.
func CheckName(name string) error {
	if len(name) > libzl.MaxNameLen {
		return FlagErrorf("invalid --name: at most %d bytes, got %d", libzl.MaxNameLen, len(name))
	}
	return nil
}

// NeedsBase reports whether the change switches only one of replay and
// dedup: the kernel sets the flags as a whole, so the other must be known.
func (c PolicyChange) NeedsBase() bool { return (c.Replay == nil) != (c.Dedup == nil) }

// Resolve returns the policy config to send, with the switches applied to
// base, the service's current flags (used only when NeedsBase).
func (c PolicyChange) Resolve(base libzl.PolicyFlags) libzl.PolicyConfig {
	cfg := c.Config
	if c.Replay == nil && c.Dedup == nil {
		return cfg
	}
	flags := base
	set := func(b *bool, f libzl.PolicyFlags) {
		switch {
		case b == nil:
		case *b:
			flags |= f
		default:
			flags &^= f
		}
	}
	set(c.Replay, libzl.FlagReplay)
	set(c.Dedup, libzl.FlagDedup)
	cfg.Flags = &flags
	return cfg
}

// PolicyFlags binds the flags that change a policy.
type PolicyFlags struct {
	faultSignals signalsValue
	exitCodes    exitCodesValue
	maxRestarts  uint32Value
	window       durationValue
	backoff      durationValue
	minUptime    durationValue
	replayLimit  bytesValue
	replay       boolValue
	dedup        boolValue
}

// AddPolicyFlags adds the policy flags to cmd.
func AddPolicyFlags(cmd *cobra.Command) *PolicyFlags {
	p := &PolicyFlags{}
	fs := cmd.Flags()
	fs.SortFlags = false
	fs.Var(&p.faultSignals, "fault-signals", `signals that count as a fault, such as SEGV,ABRT or 11,6; "" for none`)
	fs.Var(&p.exitCodes, "fault-exit-codes", `exit statuses that count as a fault, such as 2,70; "" for none`)
	fs.Var(&p.maxRestarts, "max-restarts", "restarts allowed within the window; 0 disables restarting")
	fs.Var(&p.window, "window", "length of the sliding restart window, such as 30s or 1m")
	fs.Var(&p.backoff, "backoff", "delay before each restart, such as 100ms")
	fs.Var(&p.minUptime, "min-uptime", "faults sooner than this after a restart are not restarted, such as 5s")
	fs.Var(&p.replayLimit, "replay-limit", "bytes of unanswered input kept for replay, all streams together, such as 512KiB or 4MiB")
	fs.Var(&p.replay, "replay", "replay unanswered input after a restart; --replay=false turns it off")
	fs.Var(&p.dedup, "dedup", "drop output the previous incarnation had already written; --dedup=false turns it off")
	for _, name := range []string{"replay", "dedup"} {
		fs.Lookup(name).NoOptDefVal = "true"
		_ = cmd.RegisterFlagCompletionFunc(name, cobra.FixedCompletions([]string{"true", "false"}, cobra.ShellCompDirectiveNoFileComp))
	}
	return p
}

// Change returns the change the flags given on the command line ask for:
// only they are set.
func (p *PolicyFlags) Change(cmd *cobra.Command) PolicyChange {
	fs := cmd.Flags()
	var c PolicyChange
	if fs.Changed("fault-signals") {
		c.Config.FaultSignals = p.faultSignals.sigs
	}
	if fs.Changed("fault-exit-codes") {
		c.Config.FaultExitCodes = p.exitCodes.codes
	}
	if fs.Changed("max-restarts") {
		c.Config.MaxRestarts = &p.maxRestarts.n
	}
	if fs.Changed("window") {
		c.Config.Window = &p.window.d
	}
	if fs.Changed("backoff") {
		c.Config.Backoff = &p.backoff.d
	}
	if fs.Changed("min-uptime") {
		c.Config.MinUptime = &p.minUptime.d
	}
	if fs.Changed("replay-limit") {
		c.Config.ReplayLimit = &p.replayLimit.n
	}
	if fs.Changed("replay") {
		c.Replay = &p.replay.b
	}
	if fs.Changed("dedup") {
		c.Dedup = &p.dedup.b
	}
	return c
}
