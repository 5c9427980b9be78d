// Package register implements "zlctl register".
package register

import (
	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/output"
)

// Options are the inputs of "zlctl register".
type Options struct {
	IO     *cmdutil.IOStreams
	Client func() (cmdutil.Client, error)
	Clock  output.Clock
	Output output.Format

	PID    int
	Name   string
	Policy cmdutil.PolicyChange
}

// NewCmdRegister returns the register command; runF, if not nil, runs
// instead of the real work (for tests).
func NewCmdRegister(f *cmdutil.Factory, runF func(*Options) error) *cobra.Command {
	opts := &Options{IO: f.IO, Client: f.Client, Clock: f.Uptime}
	var policy *cmdutil.PolicyFlags
	cmd := &cobra.Command{
		Use:   "register --pid PID [--name NAME] [policy flags]",
		Short: "Register a process as a service",
		Long: "Register a process as a service: when it takes a transient fault, the\n" +
			"kernel restarts it in place, keeping its PID, parent and open files.\n\n" +
			cmdutil.PolicyFlagsHelp + "\n\n" +
			"Registering another user's process takes the right to ptrace it or\n" +
			"CAP_SYS_ADMIN.",
		Example: "  zlctl register --pid 1234 --name api\n" +
			"  zlctl register --pid 1234 --fault-signals SEGV,ABRT --fault-exit-codes 2 --max-restarts 3 --window 30s",
		DisableFlagsInUseLine: true,
		Args:                  cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Output
			if !cmd.Flags().Changed("pid") {
				return cmdutil.FlagErrorf("--pid is required: give the process to register")
			}
			if err := cmdutil.CheckPID(opts.PID); err != nil {
				return err
			}
			if err := cmdutil.CheckName(opts.Name); err != nil {
				return err
			}
			opts.Policy = policy.Change(cmd)
			if runF != nil {
				return runF(opts)
			}
			return run(opts)
		},
	}
	cmdutil.AddPIDFlag(cmd, &opts.PID, "process to register (required)")
	cmd.Flags().StringVar(&opts.Name, "name", "", "name of the service (default: the process's command name)")
	policy = cmdutil.AddPolicyFlags(cmd)
	return cmd
}

func run(opts *Options) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()

	svc, err := c.Register(cmdutil.Registration(opts.PID, opts.Name, opts.Policy))
	if err != nil {
		return err
	}
	return cmdutil.PrintService(opts.IO, opts.Output, svc, opts.Clock)
}
