// Package list implements "zlctl list".
package list

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/output"
)

// Options are the inputs of "zlctl list".
type Options struct {
	IO     *cmdutil.IOStreams
	Client func() (cmdutil.Client, error)
	Clock  output.Clock
	Output output.Format
}

// NewCmdList returns the list command; runF, if not nil, runs instead of
// the real work (for tests).
func NewCmdList(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Client: f.Client, Clock: f.Uptime}
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List the services you may see",
		Long: "List the registered services you may see, with their counters and the\n" +
			"main points of their policy. INC is the incarnation, LAST FAULT the\n" +
			"signal or exit status of the last fault, KEPT the number of descriptors\n" +
			"the last restart kept open (- before any restart).\n" +
			"MAX/WINDOW is the number of restarts allowed within the window.",
		Example: "  zlctl list\n  zlctl list -o json",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	return cmd
}

func run(opts *Options) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()

	svcs, err := c.Services()
	if err != nil {
		return err
	}
	if opts.Output == output.JSON {
		list := make([]output.ServiceJSON, 0, len(svcs))
		for _, s := range svcs {
			list = append(list, output.NewServiceJSON(s))
		}
		return output.WriteJSON(opts.IO.Out, list)
	}
	if len(svcs) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "no services registered")
		return nil
	}
	return output.WriteServices(opts.IO.Out, svcs, opts.Clock, opts.IO.OutIsTerminal)
}
