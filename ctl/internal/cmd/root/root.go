// Package root assembles zlctl's commands and runs them.
package root

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/cmd/completion"
	"github.com/zl-dev/zl/ctl/internal/cmd/events"
	"github.com/zl-dev/zl/ctl/internal/cmd/list"
	"github.com/zl-dev/zl/ctl/internal/cmd/policy"
	"github.com/zl-dev/zl/ctl/internal/cmd/register"
	"github.com/zl-dev/zl/ctl/internal/cmd/restart"
	"github.com/zl-dev/zl/ctl/internal/cmd/run"
	"github.com/zl-dev/zl/ctl/internal/cmd/show"
	"github.com/zl-dev/zl/ctl/internal/cmd/stats"
	"github.com/zl-dev/zl/ctl/internal/cmd/unregister"
	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/output"
)

// NewCmdRoot returns the zlctl command with all its subcommands.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "zlctl <command> [flags]",
		Short: "Control zero-loss restart of services",
		Long: "zlctl registers processes with the kernel's zero-loss restart (zlr):\n" +
			"a registered service that takes a transient fault is restarted in place,\n" +
			"keeping its PID, its parent and its open files, and the input it had\n" +
			"not answered yet is replayed to it.",
		Example: "  zlctl run --name api --max-restarts 3 --window 30s -- ./api-server\n" +
			"  zlctl register --pid 1234 --name api --max-restarts 3 --window 30s\n" +
			"  zlctl list\n" +
			"  zlctl policy set --pid 1234 --fault-exit-codes 2\n" +
			"  zlctl restart --pid 1234 --exec /usr/local/bin/api-server-2.1\n" +
			"  zlctl events\n" +
			"  zlctl stats\n" +
			"  zlctl unregister --pid 1234",
		Args:          cmdutil.NoSubcommand,
		RunE:          cmdutil.ShowHelp,
		SilenceErrors: true,
		SilenceUsage:  true,
		CompletionOptions: cobra.CompletionOptions{
			DisableDefaultCmd: true,
		},
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &cmdutil.FlagError{Err: err}
	})
	cmd.PersistentFlags().VarP(&f.Output, "output", "o", "output format: "+strings.Join(output.Formats, " or "))
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions(output.Formats, cobra.ShellCompDirectiveNoFileComp))

	cmd.AddCommand(
		register.NewCmdRegister(f, nil),
		run.NewCmdRun(f, nil),
		unregister.NewCmdUnregister(f, nil),
		list.NewCmdList(f, nil),
		show.NewCmdShow(f, nil),
		policy.NewCmdPolicy(f),
		restart.NewCmdRestart(f, nil),
		events.NewCmdEvents(f, nil),
		stats.NewCmdStats(f, nil),
		completion.NewCmdCompletion(f),
	)
	return cmd
}

// Main runs zlctl with args and returns its exit code: 0 for success, 1 for
// a failure, 2 for a usage error. Errors go to f's error stream as
// "zlctl: ..." sentences.
func Main(args []string, f *cmdutil.Factory) int {
	root := NewCmdRoot(f)
	root.SetArgs(args)
	root.SetIn(f.IO.In)
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)

	cmd, err := root.ExecuteC()
	code := cmdutil.ExitCode(err)
	if err != nil {
		fmt.Fprintf(f.IO.ErrOut, "zlctl: %s\n", cmdutil.ErrorMessage(err))
		if code == cmdutil.ExitUsage && cmd != nil {
			fmt.Fprintf(f.IO.ErrOut, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
	}
	return code
}
