// Package stats implements "zlctl stats".
package stats

import (
	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/output"
)

// Options are the inputs of "zlctl stats".
type Options struct {
	IO     *cmdutil.IOStreams
	Client func() (cmdutil.Client, error)
	Output output.Format
}

// NewCmdStats returns the stats command; runF, if not nil, runs instead of
// the real work (for tests).
func NewCmdStats(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Show the state of zlr as a whole",
		Long: "Show the state of zlr as a whole, over the services of every namespace:\n" +
			"the services registered, the bytes all replay logs hold against the\n" +
			"kernel's limit (the kernel.zlr.replay_limit sysctl), the streams logged\n" +
			"now, and since boot the streams and bytes replayed after restarts and the\n" +
			"times a stream lost its replay guarantee (its log would have outgrown its\n" +
			"service's replay limit or the kernel's; 'zlctl events' names the stream).",
		Example: "  zlctl stats\n  zlctl stats -o json",
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

	st, err := c.Stats()
	if err != nil {
		return err
	}
	if opts.Output == output.JSON {
		return output.WriteJSON(opts.IO.Out, output.NewStatsJSON(st))
	}
	return output.WriteStats(opts.IO.Out, st)
}
