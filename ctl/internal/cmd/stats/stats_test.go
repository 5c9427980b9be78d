package stats

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/cmdutil/cmdtest"
	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

func TestNewCmdStats(t *testing.T) {
	tests := []struct {
		name    string
		args    string
		wantErr string
	}{
		{name: "no arguments", args: ""},
		{name: "an argument", args: "3", wantErr: `unexpected argument "3"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cmdtest.ParseOptions(t, NewCmdStats, strings.Fields(tt.args), tt.wantErr)
			if got == nil {
				return
			}
			if got.Output != output.Table || got.Client == nil || got.IO == nil {
				t.Errorf("options = %+v, want table output, a client and streams", got)
			}
		})
	}
}

var totals = &libzl.Stats{
	Services: 2, ReplayHeld: 1536, ReplayLimit: 64 << 20, ReplayStreams: 3,
	Replays: 4, ReplayBytes: 10 << 10, ReplayOverflows: 1,
}

func TestRun(t *testing.T) {
	tests := []struct {
		name    string
		format  output.Format
		fake    cmdtest.FakeClient
		want    string
		wantErr error
	}{
		{
			name:   "table",
			format: output.Table,
			fake:   cmdtest.FakeClient{Totals: totals},
			want: `services:         2
replay held:      1536B
replay limit:     64MiB
replay streams:   3
replays:          4
replayed bytes:   10KiB
replay overflows: 1
`,
		},
		{
			name:   "json",
			format: output.JSON,
			fake:   cmdtest.FakeClient{Totals: totals},
			want: `{
  "services": 2,
  "replay_held": 1536,
  "replay_limit": 67108864,
  "replay_streams": 3,
  "replays": 4,
  "replay_bytes": 10240,
  "replay_overflows": 1
}
`,
		},
		{
			name:   "nothing registered",
			format: output.JSON,
			fake:   cmdtest.FakeClient{Totals: &libzl.Stats{ReplayLimit: 1 << 30}},
			want: `{
  "services": 0,
  "replay_held": 0,
  "replay_limit": 1073741824,
  "replay_streams": 0,
  "replays": 0,
  "replay_bytes": 0,
  "replay_overflows": 0
}
`,
		},
		{
			name:    "refused",
			format:  output.Table,
			fake:    cmdtest.FakeClient{Err: libzl.ErrNotSupported},
			wantErr: libzl.ErrNotSupported,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := tt.fake
			var out bytes.Buffer
			opts := &Options{
				IO:     &cmdutil.IOStreams{Out: &out, ErrOut: &bytes.Buffer{}},
				Client: func() (cmdutil.Client, error) { return &fc, nil },
				Output: tt.format,
			}
			err := run(opts)
			if !errors.Is(err, tt.wantErr) || (err != nil) != (tt.wantErr != nil) {
				t.Fatalf("error = %v, want %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, out.String()); diff != "" {
				t.Errorf("output (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]cmdtest.Call{{Method: "Stats"}}, fc.Calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if !fc.Closed {
				t.Error("client not closed")
			}
		})
	}
}
