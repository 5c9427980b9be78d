// Package restart implements "zlctl restart".
package restart

import (
	"fmt"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

// Options are the inputs of "zlctl restart".
type Options struct {
	IO     *cmdutil.IOStreams
	Client func() (cmdutil.Client, error)
	Output output.Format

	Selector libzl.Selector

	// Exe is the absolute path of the executable to restart into, or ""
	// for the service's own.
	Exe string
}

// NewCmdRestart returns the restart command; runF, if not nil, runs instead
// of the real work (for tests).
func NewCmdRestart(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Client: f.Client}
	var (
		pid int
		exe string
	)
	cmd := &cobra.Command{
		Use:   "restart (ID | --pid PID) [--exec PATH]",
		Short: "Restart a service in place",
		Long: "Restart a service in place now, without a fault (online maintenance):\n" +
			"it keeps its PID, its parent, its listening sockets and its connections,\n" +
			"as in a restart after a fault; the restart budget, the minimum uptime and\n" +
			"the backoff do not apply. The service restarts from the executable it\n" +
			"last executed, as it is on disk now: replace the binary, then restart.\n\n" +
			"--exec restarts it into another executable, which stays the service's for\n" +
			"later restarts. The kernel requires an absolute path: a relative one is\n" +
			"made absolute against zlctl's working directory.\n\n" +
			"The kernel accepts the request at once and restarts the service when one\n" +
			"of its threads next returns to user space; 'zlctl events' shows the\n" +
			"outcome, a restart event or, when the executable cannot be run, a giveup\n" +
			"event (the service then runs on unchanged).",
		Example: "  zlctl restart 3\n" +
			"  zlctl restart --pid 1234 --exec /usr/local/bin/api-2.1\n" +
			"  zlctl restart 3 -o json",
		DisableFlagsInUseLine: true,
		Args:                  cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			sel, err := cmdutil.Selector(cmd, args, pid)
			if err != nil {
				return err
			}
			opts.Selector = sel
			if cmd.Flags().Changed("exec") {
				if exe == "" {
					return cmdutil.FlagErrorf("invalid --exec: give the path of an executable")
				}
				abs, err := filepath.Abs(exe)
				if err != nil {
					return fmt.Errorf("cannot make --exec %s absolute: %w", exe, err)
				}
				opts.Exe = abs
			}
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	cmdutil.AddPIDFlag(cmd, &pid, "process of the service")
	cmd.Flags().StringVar(&exe, "exec", "", "executable to restart into (default: the service's own)")
	return cmd
}

func run(opts *Options) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()

	svc, err := c.Restart(opts.Selector, opts.Exe)
	if err != nil {
		return err
	}
	if opts.Output == output.JSON {
		return output.WriteJSON(opts.IO.Out, output.NewServiceJSON(svc))
	}
	name := ""
	if svc.Name != "" {
		name = " (" + svc.Name + ")"
	}
	fmt.Fprintf(opts.IO.Out, "restart of service %d%s requested\n", svc.ID, name)
	return nil
}
