// Package unregister implements "zlctl unregister".
package unregister

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

// Options are the inputs of "zlctl unregister".
type Options struct {
	IO     *cmdutil.IOStreams
	Client func() (cmdutil.Client, error)
	Output output.Format

	Selector libzl.Selector
}

// NewCmdUnregister returns the unregister command; runF, if not nil, runs
// instead of the real work (for tests).
func NewCmdUnregister(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Client: f.Client}
	var pid int
	cmd := &cobra.Command{
		Use:   "unregister (ID | --pid PID)",
		Short: "Forget a service",
		Long: "Forget a service. Its process keeps running, as an ordinary process\n" +
			"that the kernel no longer restarts.",
		Example:               "  zlctl unregister 3\n  zlctl unregister --pid 1234",
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

	if err := c.Unregister(opts.Selector); err != nil {
		return err
	}
	if opts.Output == output.Table {
		fmt.Fprintf(opts.IO.Out, "unregistered %s\n", opts.Selector)
	}
	return nil
}
