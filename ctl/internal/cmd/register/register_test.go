package register

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/cmdutil/cmdtest"
	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

func ptr[T any](v T) *T { return &v }

func TestNewCmdRegister(t *testing.T) {
	tests := []struct {
		name     string
		args     string
		wantPID  int
		wantName string
		want     cmdutil.PolicyChange
		wantErr  string
	}{
		{
			name:    "pid only sends no policy",
			args:    "--pid 42",
			wantPID: 42,
		},
		{
			name:     "some flags",
			args:     "--pid 42 --name api --max-restarts 0 --replay=false",
			wantPID:  42,
			wantName: "api",
			want: cmdutil.PolicyChange{
				Config: libzl.PolicyConfig{MaxRestarts: ptr[uint32](0)},
				Replay: ptr(false),
			},
		},
		{
			name:    "durations",
			args:    "--pid 42 --backoff 1s --min-uptime 2m",
			wantPID: 42,
			want: cmdutil.PolicyChange{
				Config: libzl.PolicyConfig{Backoff: ptr(time.Second), MinUptime: ptr(2 * time.Minute)},
			},
		},
		{
			name:    "replay limit in bytes, replay and dedup off",
			args:    "--pid 42 --replay-limit 4194304 --replay=false --dedup=false",
			wantPID: 42,
			want: cmdutil.PolicyChange{
				Config: libzl.PolicyConfig{ReplayLimit: ptr[uint32](4 << 20)},
				Replay: ptr(false),
				Dedup:  ptr(false),
			},
		},
		{
			name:    "replay limit in KiB, replay on",
			args:    "--pid 42 --replay-limit 512KiB --replay",
			wantPID: 42,
			want: cmdutil.PolicyChange{
				Config: libzl.PolicyConfig{ReplayLimit: ptr[uint32](512 << 10)},
				Replay: ptr(true),
			},
		},
		{name: "no pid", args: "--name api", wantErr: "--pid is required: give the process to register"},
		{name: "argument", args: "--pid 1 api", wantErr: `unexpected argument "api"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cmdtest.ParseOptions(t, NewCmdRegister, strings.Fields(tt.args), tt.wantErr)
			if got == nil {
				return
			}
			if got.PID != tt.wantPID || got.Name != tt.wantName || got.Output != output.Table {
				t.Errorf("pid, name, output = %d, %q, %q; want %d, %q, table", got.PID, got.Name, got.Output, tt.wantPID, tt.wantName)
			}
			if diff := cmp.Diff(tt.want, got.Policy); diff != "" {
				t.Errorf("policy change (-want +got):\n%s", diff)
			}
		})
	}
}
