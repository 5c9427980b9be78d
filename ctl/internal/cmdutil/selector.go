package cmdutil

import (
	"errors"
	"math"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/zl-dev/zl/libzl"
)

// AddPIDFlag adds the --pid flag that chooses a service by its process.
func AddPIDFlag(cmd *cobra.Command, pid *int, usage string) {
	cmd.Flags().Var(&pidValue{pid}, "pid", usage)
}

// pidValue is a process ID.
type pidValue struct{ pid *int }

func (v *pidValue) Set(s string) error {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return errors.New("want a process ID, a number from 1 up")
	}
	*v.pid = int(n)
	return nil
}

func (v *pidValue) String() string {
	if v.pid == nil {
		return "0"
	}
	return strconv.Itoa(*v.pid)
}

func (v *pidValue) Type() string { return "pid" }

// Selector returns the service chosen by an ID argument or by --pid,
// exactly one of which must be given.
func Selector(cmd *cobra.Command, args []string, pid int) (libzl.Selector, error) {
	pidSet := cmd.Flags().Changed("pid")
	switch {
	case len(args) > 1:
		return libzl.Selector{}, FlagErrorf("too many arguments: give one service ID or --pid")
	case len(args) == 1 && pidSet:
		return libzl.Selector{}, FlagErrorf("give a service ID or --pid, not both")
	case len(args) == 1:
		id, err := strconv.ParseUint(args[0], 10, 32)
		if err != nil || id == 0 {
			return libzl.Selector{}, FlagErrorf("invalid service ID %q: want a number from 1 to %d", args[0], uint32(math.MaxUint32))
		}
		return libzl.ByID(uint32(id)), nil
	case pidSet:
		if err := CheckPID(pid); err != nil {
			return libzl.Selector{}, err
		}
		return libzl.ByPID(pid), nil
	default:
		return libzl.Selector{}, FlagErrorf("give a service ID or --pid")
	}
}

// CheckPID refuses a --pid that cannot name a process.
func CheckPID(pid int) error {
	if pid < 1 || uint64(pid) > math.MaxUint32 {
		return FlagErrorf("invalid --pid %d: want a process ID from 1 up", pid)
	}
	return nil
}
