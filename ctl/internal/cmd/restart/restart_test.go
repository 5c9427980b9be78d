package restart

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/zl-dev/zl/ctl/internal/cmdutil/cmdtest"
	"github.com/zl-dev/zl/ctl/internal/output"
	"github.com/zl-dev/zl/libzl"
)

func TestNewCmdRestart(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)

	tests := []struct {
		name    string
		args    string
		wantSel libzl.Selector
		wantExe string
		wantErr string
	}{
		{name: "by id", args: "3", wantSel: libzl.ByID(3)},
		{name: "by pid", args: "--pid 1234", wantSel: libzl.ByPID(1234)},
		{name: "absolute exe", args: "3 --exec /usr/bin/web-2", wantSel: libzl.ByID(3), wantExe: "/usr/bin/web-2"},
		{name: "relative exe", args: "3 --exec bin/web-2", wantSel: libzl.ByID(3), wantExe: filepath.Join(dir, "bin/web-2")},
		{name: "exe with dots", args: "3 --exec ../web/./web-2", wantSel: libzl.ByID(3), wantExe: filepath.Join(filepath.Dir(dir), "web/web-2")},
		{name: "empty exe", args: "3 --exec=", wantErr: "invalid --exec: give the path of an executable"},
		{name: "no service", args: "--exec /usr/bin/web", wantErr: "give a service ID or --pid"},
		{name: "id and pid", args: "3 --pid 4", wantErr: "give a service ID or --pid, not both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cmdtest.ParseOptions(t, NewCmdRestart, strings.Fields(tt.args), tt.wantErr)
			if got == nil {
				return
			}
			if got.Selector != tt.wantSel || got.Exe != tt.wantExe || got.Output != output.Table {
				t.Errorf("selector, exe, output = %v, %q, %q; want %v, %q, table",
					got.Selector, got.Exe, got.Output, tt.wantSel, tt.wantExe)
			}
		})
	}
}
