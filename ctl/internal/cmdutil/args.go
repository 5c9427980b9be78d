package cmdutil

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

// NoArgs refuses positional arguments, as a usage error.
func NoArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return FlagErrorf("unexpected argument %q", args[0])
	}
	return nil
}

// NoSubcommand is the Args of a command that only groups others: an
// argument is a mistyped subcommand, a usage error.
func NoSubcommand(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		quoted := make([]string, len(s))
		for i, name := range s {
			quoted[i] = strconv.Quote(name)
		}
		msg += fmt.Sprintf("; did you mean %s?", strings.Join(quoted, " or "))
	}
	return &FlagError{Err: fmt.Errorf("%s", msg)}
}

// ShowHelp is the RunE of a command that only groups others.
func ShowHelp(cmd *cobra.Command, _ []string) error { return cmd.Help() }

// PrintService writes s in the chosen format: key: value lines, or JSON.
func PrintService(io *IOStreams, format output.Format, s *libzl.Service, clock output.Clock) error {
	if format == output.JSON {
		return output.WriteJSON(io.Out, output.NewServiceJSON(s))
	}
	return output.WriteService(io.Out, s, clock)
}

// PolicyFlagsHelp describes the policy flags, for commands' long help.
var PolicyFlagsHelp = strings.TrimSpace(`
Only the policy flags given change anything; the others keep their value
(for a new service, the kernel's defaults: fault signals ILL,ABRT,BUS,FPE,
SEGV,SYS, no fault exit codes, 5 restarts per 1m window, no backoff, no
minimum uptime, a 16MiB replay limit, replay and dedup on). The replay
limit bounds the input kept for all the service's streams together.`)
