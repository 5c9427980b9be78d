// Package completion implements "zlctl completion".
package completion

import (
	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
)

var shells = []string{"bash", "zsh", "fish"}

// NewCmdCompletion returns the completion command, which prints cobra's
// completion script for a shell.
func NewCmdCompletion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: "Print the completion script for a shell. For example:\n\n" +
			"  bash: source <(zlctl completion bash)\n" +
			"  zsh:  zlctl completion zsh > \"${fpath[1]}/_zlctl\"\n" +
			"  fish: zlctl completion fish > ~/.config/fish/completions/zlctl.fish",
		ValidArgs: shells,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return cmdutil.FlagErrorf("give one shell: bash, zsh or fish")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root, out := cmd.Root(), f.IO.Out
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			default:
				return cmdutil.FlagErrorf("unsupported shell %q: want bash, zsh or fish", args[0])
			}
		},
		DisableFlagsInUseLine: true,
	}
}
