package set

import (
	"bytes"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/cmdutil/cmdtest"
	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

func TestNewCmdSet(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		wantSel libzl.Selector
		want    cmdutil.PolicyChange
		wantErr string
	}{
		{
			name:    "by id",
			args:    "3 --fault-signals SEGV",
			wantSel: libzl.ByID(3),
			want:    cmdutil.PolicyChange{Config: libzl.PolicyConfig{FaultSignals: []syscall.Signal{syscall.SIGSEGV}}},
		},
		{
			name:    "by pid",
			args:    "--pid 9 --fault-exit-codes 2",
			wantSel: libzl.ByPID(9),
			want:    cmdutil.PolicyChange{Config: libzl.PolicyConfig{FaultExitCodes: []uint8{2}}},
		},
		{
			name:    "replay limit in MiB, dedup off",
			args:    "3 --replay-limit 4MiB --dedup=false",
			wantSel: libzl.ByID(3),
			want: cmdutil.PolicyChange{
				Config: libzl.PolicyConfig{ReplayLimit: ptr[uint32](4 << 20)},
				Dedup:  ptr(false),
			},
		},
		{name: "nothing", args: "3", wantErr: "nothing to change: give at least one policy flag"},
		{name: "no service", args: "--replay", wantErr: "give a service ID or --pid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(&cmdtest.FakeClient{}, nil, false)
			var got *Options
			cmd := NewCmdSet(f, func(o *Options) error { got = o; return nil })
			cmd.SetArgs(strings.Fields(tt.args))
			cmd.SilenceErrors, cmd.SilenceUsage = true, true
			err := cmd.Execute()
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr || cmdutil.ExitCode(err) != cmdutil.ExitUsage {
					t.Fatalf("error = %v, want usage error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Selector != tt.wantSel {
				t.Errorf("selector = %v, want %v", got.Selector, tt.wantSel)
			}
			if diff := cmp.Diff(tt.want, got.Policy); diff != "" {
				t.Errorf("policy change (-want +got):\n%s", diff)
			}
		})
	}
}

// TestRunReadsFlagsOnlyWhenNeeded checks that the service is fetched only
// when one of the two switches changes alone.
func TestRunReadsFlagsOnlyWhenNeeded(t *testing.T) {
	yes, no := true, false
	svc := &libzl.Service{ID: 3, Policy: libzl.Policy{Flags: libzl.FlagDedup}}
	tests := []struct {
		name   string
		change cmdutil.PolicyChange
		want   []string
		flags  *libzl.PolicyFlags
	}{
		{name: "replay on", change: cmdutil.PolicyChange{Replay: &yes}, want: []string{"Service", "SetPolicy"}, flags: ptr(libzl.FlagReplay | libzl.FlagDedup)},
		{name: "both", change: cmdutil.PolicyChange{Replay: &yes, Dedup: &no}, want: []string{"SetPolicy"}, flags: ptr(libzl.FlagReplay)},
		{name: "neither", change: cmdutil.PolicyChange{Config: libzl.PolicyConfig{FaultExitCodes: []uint8{}}}, want: []string{"SetPolicy"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := &cmdtest.FakeClient{Svc: svc}
			opts := &Options{
				IO:       &cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}},
				Client:   func() (cmdutil.Client, error) { return fc, nil },
				Output:   output.JSON,
				Selector: libzl.ByID(3),
				Policy:   tt.change,
			}
			if err := run(opts); err != nil {
				t.Fatal(err)
			}
			var methods []string
			for _, c := range fc.Calls {
				methods = append(methods, c.Method)
			}
			if diff := cmp.Diff(tt.want, methods); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.flags, fc.Calls[len(fc.Calls)-1].Policy.Flags); diff != "" {
				t.Errorf("flags sent (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }
