// Package run implements "zlctl run".
package run

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/libzl"
)

// Options are the inputs of "zlctl run".
type Options struct {
	IO     *cmdutil.IOStreams
	Client func() (cmdutil.Client, error)

	// LookPath finds the command's executable, as exec.LookPath.
	LookPath func(file string) (string, error)

	// Environ returns zlctl's environment, as os.Environ; the command gets
	// it without ZL_INCARNATION.
	Environ func() []string

	// Exec replaces zlctl with the command, as syscall.Exec; it returns
	// only when it fails.
	Exec func(argv0 string, argv, envv []string) error

	// Name is the service's name: --name, or the command's base name.
	Name   string
	Policy cmdutil.PolicyChange

	// Command is the command to run and its arguments.
	Command []string
}

// NewCmdRun returns the run command; runF, if not nil, runs instead of the
// real work (for tests).
func NewCmdRun(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{
		IO:       f.IO,
		Client:   f.Client,
		LookPath: exec.LookPath,
		Environ:  os.Environ,
		Exec:     f.Exec,
	}
	var policy *cmdutil.PolicyFlags
	cmd := &cobra.Command{
		Use:   "run [--name NAME] [policy flags] -- COMMAND [ARG...]",
		Short: "Run a command as a service",
		Long: "Run a command as a service: zlctl registers itself, then executes the\n" +
			"command in its place, so that the command is a service from its first\n" +
			"instruction, with zlctl's PID. The kernel restarts it in place from the\n" +
			"command's executable, arguments, environment and working directory;\n" +
			"each restart finds its number in $ZL_INCARNATION (1 for the first).\n\n" +
			"zlctl prints nothing when it succeeds: the output is the command's.\n" +
			"A command that is not found or not executable is not registered.\n\n" +
			cmdutil.PolicyFlagsHelp,
		Example: "  zlctl run -- ./server --port 8080\n" +
			"  zlctl run --name api --fault-exit-codes 2 --max-restarts 3 --window 30s -- api-server -c /etc/api.conf",
		DisableFlagsInUseLine: true,
		Args:                  commandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := cmdutil.CheckName(opts.Name); err != nil {
				return err
			}
			opts.Command = args
			if opts.Name == "" {
				opts.Name = defaultName(args[0])
			}
			opts.Policy = policy.Change(cmd)
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	// Flags end at the command, so that its own flags are not zlctl's.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().StringVar(&opts.Name, "name", "", "name of the service (default: the command's base name)")
	policy = cmdutil.AddPolicyFlags(cmd)
	return cmd
}

// commandArgs requires the command, after "--".
func commandArgs(cmd *cobra.Command, args []string) error {
	const how = `give the command to run after "--", as in: zlctl run --name api -- ./server --port 8080`
	switch dash := cmd.ArgsLenAtDash(); {
	case len(args) == 0:
		return cmdutil.FlagErrorf("%s", how)
	case dash != 0:
		return cmdutil.FlagErrorf("unexpected argument %q: %s", args[0], how)
	case args[0] == "":
		return cmdutil.FlagErrorf("empty command after \"--\": %s", how)
	}
	return nil
}

// defaultName returns the base name of the command, cut to the longest
// name the kernel takes (and not within a UTF-8 sequence).
func defaultName(command string) string {
	name := filepath.Base(command)
	if len(name) <= libzl.MaxNameLen {
		return name
	}
	n := libzl.MaxNameLen
	if utf8.ValidString(name) {
		for n > 0 && !utf8.RuneStart(name[n]) {
			n--
		}
	}
	return name[:n]
}

func run(opts *Options) error {
	// Find the executable before registering, so that a mistyped command
	// leaves nothing behind.
	path, err := lookPath(opts.LookPath, opts.Command[0])
	if err != nil {
		return err
	}

	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()

	// Register zlctl itself: the kernel moves the service's restart image
	// to the command when zlctl executes it. The client's socket is
	// close-on-exec, so the command does not inherit it.
	svc, err := c.Register(cmdutil.Registration(0, opts.Name, opts.Policy))
	if err != nil {
		return err
	}
	err = opts.Exec(path, opts.Command, commandEnv(opts.Environ()))
	if err == nil {
		return nil // only a fake Exec returns without an error
	}

	// zlctl is still the service: forget it, or the policy could restart
	// zlctl when it exits with an error.
	err = fmt.Errorf("cannot run %s: %w", path, err)
	if uerr := c.Unregister(libzl.Selector{ID: svc.ID, PID: svc.PID}); uerr != nil {
		return fmt.Errorf("%w; and unregistering service %d failed: %s", err, svc.ID, cmdutil.ErrorMessage(uerr))
	}
	return err
}

// lookPath finds the executable of command with look, and explains why
// when there is none.
func lookPath(look func(string) (string, error), command string) (string, error) {
	path, err := look(command)
	switch {
	case err == nil:
		return path, nil
	case errors.Is(err, exec.ErrDot):
		return "", fmt.Errorf("command %q is %s, found through a relative directory in $PATH: give its path to run it, as in: zlctl run -- ./%s",
			command, path, filepath.Clean(path))
	case errors.Is(err, exec.ErrNotFound):
		return "", fmt.Errorf("command %q not found: no executable file of that name in $PATH", command)
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("cannot run %s: no such file", command)
	case errors.Is(err, fs.ErrPermission):
		return "", fmt.Errorf("cannot run %s: permission denied (is it executable?)", command)
	case errors.Is(err, syscall.EISDIR):
		return "", fmt.Errorf("cannot run %s: it is a directory", command)
	default:
		var eerr *exec.Error
		if errors.As(err, &eerr) {
			err = eerr.Err
		}
		return "", fmt.Errorf("cannot run %s: %w", command, err)
	}
}

// commandEnv returns env without ZL_INCARNATION: the kernel sets it in
// the command's restarts, and the command's original process has none, even
// when zlctl inherited one from a service that ran it.
func commandEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, libzl.IncarnationEnv+"=") {
			out = append(out, kv)
		}
	}
	return out
}
