// Package set implements "zlctl policy set".
package set

import (
	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

// Options are the inputs of "zlctl policy set".
type Options struct {
	IO     *cmdutil.IOStreams
	Client func() (cmdutil.Client, error)
	Clock  output.Clock
	Output output.Format

	Selector libzl.Selector
	Policy   cmdutil.PolicyChange
}

// NewCmdSet returns the policy set command; runF, if not nil, runs instead
// of the real work (for tests).
func NewCmdSet(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Client: f.Client, Clock: f.Uptime}
	var pid int
	var policy *cmdutil.PolicyFlags
	cmd := &cobra.Command{
		Use:   "set (ID | --pid PID) [policy flags]",
		Short: "Change the restart policy of a service",
		Long: "Change the restart policy of a service and show the service.\n\n" +
			cmdutil.PolicyFlagsHelp,
		Example: "  zlctl policy set 3 --max-restarts 10 --window 5m\n" +
			"  zlctl policy set --pid 1234 --fault-exit-codes '' --replay=false",
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			sel, err := cmdutil.Selector(cmd, args, pid)
			if err != nil {
				return err
			}
			opts.Selector = sel
			opts.Policy = policy.Change(cmd)
			if opts.Policy.IsEmpty() {
				return cmdutil.FlagErrorf("nothing to change: give at least one policy flag")
			}
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	cmdutil.AddPIDFlag(cmd, &pid, "process of the service")
	policy = cmdutil.AddPolicyFlags(cmd)
	return cmd
}

func run(opts *Options) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()

	var base libzl.PolicyFlags
	if opts.Policy.NeedsBase() {
		// Only one of replay and dedup changes; the kernel sets both.
		svc, err := c.Service(opts.Selector)
		if err != nil {
			return err
		}
		base = svc.Policy.Flags
	}
	svc, err := c.SetPolicy(opts.Selector, opts.Policy.Resolve(base))
	if err != nil {
		return err
	}
	return cmdutil.PrintService(opts.IO, opts.Output, svc, opts.Clock)
}
