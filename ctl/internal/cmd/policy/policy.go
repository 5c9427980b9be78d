// Package policy implements "zlctl policy", which groups the commands on a
// service's restart policy.
package policy

import (
	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/cmd/policy/set"
	"github.com/zl-dev/zl/ctl/internal/cmd/policy/show"
	"github.com/zl-dev/zl/ctl/internal/cmdutil"
)

// NewCmdPolicy returns the policy command and its subcommands.
func NewCmdPolicy(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy <command>",
		Short: "Show or change the restart policy of a service",
		Args:  cmdutil.NoSubcommand,
		RunE:  cmdutil.ShowHelp,
	}
	cmd.AddCommand(set.NewCmdSet(f, nil))
	cmd.AddCommand(show.NewCmdShow(f, nil))
	return cmd
}
