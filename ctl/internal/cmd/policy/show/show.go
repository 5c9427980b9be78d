// Package show implements "zlctl policy show".
package show

import (
	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

// Options are the inputs of "zlctl policy show".
type Options struct {
	IO     *cmdutil.IOStreams
	Client func() (cmdutil.Client, error)
	Output output.Format

	Selector libzl.Selector
}

// NewCmdShow returns the policy show command; runF, if not nil, runs
// instead of the real work (for tests).
func NewCmdShow(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Client: f.Client}
	var pid int
	cmd := &cobra.Command{
		Use:                   "show (ID | --pid PID)",
		SuggestFor:            []string{"get", "status"},
		Short:                 "Show the restart policy of a service",
		Example:               "  zlctl policy show 3\n  zlctl policy show --pid 1234 -o json",
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			sel, err := cmdutil.Selector(cmd, args, pid)
			if err != nil {
				return err
			}
			opts.Selector = sel
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	cmdutil.AddPIDFlag(cmd, &pid, "process of the service")
	return cmd
}

func run(opts *Options) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()

	svc, err := c.Service(opts.Selector)
	if err != nil {
		return err
	}
	if opts.Output == output.JSON {
		return output.WriteJSON(opts.IO.Out, output.NewPolicyJSON(svc.Policy))
	}
	return output.WritePolicy(opts.IO.Out, svc.Policy)
}
