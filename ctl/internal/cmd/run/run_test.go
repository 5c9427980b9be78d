package run

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/zl-dev/zl/ctl/internal/cmdutil"
	"github.com/zl-dev/zl/ctl/internal/cmdutil/cmdtest"
	"github.com/zl-dev/zl/libzl"
)

func ptr[T any](v T) *T { return &v }

func TestNewCmdRun(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantName string
		wantCmd  []string
		want     cmdutil.PolicyChange
		wantErr  string
	}{
		{
			name:     "command only",
			args:     []string{"--", "./server"},
			wantName: "server",
			wantCmd:  []string{"./server"},
		},
		{
			name:     "name, policy and the command's own flags",
			args:     []string{"--name", "api", "--max-restarts", "3", "--replay=false", "--", "api-server", "--name", "x", "-o", "json", "--", "y"},
			wantName: "api",
			wantCmd:  []string{"api-server", "--name", "x", "-o", "json", "--", "y"},
			want: cmdutil.PolicyChange{
				Config: libzl.PolicyConfig{MaxRestarts: ptr[uint32](3)},
				Replay: ptr(false),
			},
		},
		{
			name:     "durations and signals",
			args:     []string{"--fault-signals", "SEGV", "--window", "30s", "--", "/usr/local/bin/web"},
			wantName: "web",
			wantCmd:  []string{"/usr/local/bin/web"},
			want: cmdutil.PolicyChange{Config: libzl.PolicyConfig{
				FaultSignals: []syscall.Signal{syscall.SIGSEGV},
				Window:       ptr(30 * time.Second),
			}},
		},
		{
			name:     "empty name means the default",
			args:     []string{"--name", "", "--", "bin/worker"},
			wantName: "worker",
			wantCmd:  []string{"bin/worker"},
		},
		{
			name:     "long base name cut to 31 bytes",
			args:     []string{"--", "/opt/" + strings.Repeat("a", 40)},
			wantName: strings.Repeat("a", 31),
			wantCmd:  []string{"/opt/" + strings.Repeat("a", 40)},
		},
		{
			name:    "nothing",
			args:    nil,
			wantErr: `give the command to run after "--", as in: zlctl run --name api -- ./server --port 8080`,
		},
		{
			name:    "nothing after --",
			args:    []string{"--name", "api", "--"},
			wantErr: `give the command to run after "--", as in: zlctl run --name api -- ./server --port 8080`,
		},
		{
			name:    "command without --",
			args:    []string{"--name", "api", "server", "--port", "80"},
			wantErr: `unexpected argument "server": give the command to run after "--", as in: zlctl run --name api -- ./server --port 8080`,
		},
		{
			name:    "empty command",
			args:    []string{"--", ""},
			wantErr: `empty command after "--": give the command to run after "--", as in: zlctl run --name api -- ./server --port 8080`,
		},
		{
			name:    "long name",
			args:    []string{"--name", strings.Repeat("n", 32), "--", "server"},
			wantErr: "invalid --name: at most 31 bytes, got 32",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cmdtest.ParseOptions(t, NewCmdRun, tt.args, tt.wantErr)
			if got == nil {
				return
			}
			if got.Name != tt.wantName {
				t.Errorf("name = %q, want %q", got.Name, tt.wantName)
			}
			if diff := cmp.Diff(tt.wantCmd, got.Command); diff != "" {
				t.Errorf("command (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, got.Policy); diff != "" {
				t.Errorf("policy change (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRun(t *testing.T) {
	svc := &libzl.Service{ID: 3, PID: 1234, Name: "api"}
	lookPath := func(file string) (string, error) {
		if file == "api-server" {
			return "/usr/bin/api-server", nil
		}
		return "", &exec.Error{Name: file, Err: exec.ErrNotFound}
	}
	env := []string{"HOME=/root", "ZL_INCARNATION=2", "PATH=/usr/bin", "ZL_INCARNATIONS=x"}
	register := cmdtest.Call{
		Method: "Register",
		Registration: libzl.Registration{
			Name:   "api",
			Policy: libzl.PolicyConfig{MaxRestarts: ptr[uint32](3), Flags: ptr(libzl.FlagDedup)},
		},
	}
	execCall := cmdtest.ExecCall{
		Argv0: "/usr/bin/api-server",
		Argv:  []string{"api-server", "--port", "8080"},
		Env:   []string{"HOME=/root", "PATH=/usr/bin", "ZL_INCARNATIONS=x"},
	}

	tests := []struct {
		name      string
		command   []string
		fake      cmdtest.FakeClient
		dialErr   error
		execErr   error
		wantErr   string
		wantCalls []cmdtest.Call
		wantExec  []cmdtest.ExecCall
	}{
		{
			name:      "registers itself, then executes the command",
			command:   []string{"api-server", "--port", "8080"},
			wantCalls: []cmdtest.Call{register},
			wantExec:  []cmdtest.ExecCall{execCall},
		},
		{
			name:    "command not found: nothing registered",
			command: []string{"api-srever"},
			wantErr: `command "api-srever" not found: no executable file of that name in $PATH`,
		},
		{
			name:    "no zlr: nothing executed",
			command: []string{"api-server", "--port", "8080"},
			dialErr: libzl.ErrNotSupported,
			wantErr: libzl.ErrNotSupported.Error(),
		},
		{
			name:      "register refused: nothing executed",
			command:   []string{"api-server", "--port", "8080"},
			fake:      cmdtest.FakeClient{Err: &libzl.Error{Op: "register", Message: "pid 1234 is already registered as service 2", Err: unix.EEXIST}},
			wantErr:   "zlr register: pid 1234 is already registered as service 2",
			wantCalls: []cmdtest.Call{register},
		},
		{
			name:    "exec fails: unregistered",
			command: []string{"api-server", "--port", "8080"},
			execErr: unix.ENOEXEC,
			wantErr: "cannot run /usr/bin/api-server: exec format error",
			wantCalls: []cmdtest.Call{
				register,
				{Method: "Unregister", Selector: libzl.Selector{ID: 3, PID: 1234}},
			},
			wantExec: []cmdtest.ExecCall{execCall},
		},
		{
			name:    "exec and unregister fail",
			command: []string{"api-server", "--port", "8080"},
			fake: cmdtest.FakeClient{ErrFor: map[string]error{
				"Unregister": &libzl.Error{Op: "unregister", Message: "service 3 is restarting", Err: unix.EBUSY},
			}},
			execErr: unix.E2BIG,
			wantErr: "cannot run /usr/bin/api-server: argument list too long; and unregistering service 3 failed: service 3 is restarting",
			wantCalls: []cmdtest.Call{
				register,
				{Method: "Unregister", Selector: libzl.Selector{ID: 3, PID: 1234}},
			},
			wantExec: []cmdtest.ExecCall{execCall},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := tt.fake
			fc.Svc = svc
			fe := &cmdtest.FakeExec{Err: tt.execErr}
			var stdout, stderr bytes.Buffer
			opts := &Options{
				IO: &cmdutil.IOStreams{Out: &stdout, ErrOut: &stderr},
				Client: func() (cmdutil.Client, error) {
					if tt.dialErr != nil {
						return nil, tt.dialErr
					}
					return &fc, nil
				},
				LookPath: lookPath,
				Environ:  func() []string { return slices.Clone(env) },
				Exec:     fe.Exec,
				Name:     "api",
				Policy:   cmdutil.PolicyChange{Config: libzl.PolicyConfig{MaxRestarts: ptr[uint32](3)}, Replay: ptr(false)},
				Command:  tt.command,
			}

			err := run(opts)

			if tt.wantErr == "" && err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr) {
				t.Fatalf("error = %v, want %q", err, tt.wantErr)
			}
			if tt.execErr != nil && !errors.Is(err, tt.execErr) {
				t.Errorf("error %v does not wrap %v", err, tt.execErr)
			}
			if diff := cmp.Diff(tt.wantCalls, fc.Calls); diff != "" {
				t.Errorf("client calls (-want +got):\n%s", diff)
			}
			if len(fc.Calls) > 0 && !fc.Closed {
				t.Errorf("client not closed")
			}
			if diff := cmp.Diff(tt.wantExec, fe.Calls); diff != "" {
				t.Errorf("exec calls (-want +got):\n%s", diff)
			}
			if stdout.Len() != 0 || stderr.Len() != 0 {
				t.Errorf("run printed %q and %q; the output is the command's", stdout.String(), stderr.String())
			}
		})
	}
}

// TestRunEnvironment checks that the command gets zlctl's environment
// without ZL_INCARNATION.
func TestRunEnvironment(t *testing.T) {
	t.Setenv("ZL_RUN_TEST", "kept")
	t.Setenv(libzl.IncarnationEnv, "4")
	fc := &cmdtest.FakeClient{Svc: &libzl.Service{ID: 1}}
	fe := &cmdtest.FakeExec{}
	f, _, _ := cmdtest.Factory(fc, nil, false)
	f.Exec = fe.Exec
	cmd := NewCmdRun(f, func(o *Options) error {
		o.LookPath = func(file string) (string, error) { return "/bin/" + file, nil }
		return run(o)
	})
	cmd.SetArgs([]string{"--", "true"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if len(fe.Calls) != 1 {
		t.Fatalf("exec calls = %d, want 1", len(fe.Calls))
	}
	env := fe.Calls[0].Env
	if !slices.Contains(env, "ZL_RUN_TEST=kept") {
		t.Errorf("environment lacks ZL_RUN_TEST=kept: %q", env)
	}
	for _, kv := range env {
		if strings.HasPrefix(kv, libzl.IncarnationEnv+"=") {
			t.Errorf("environment has %s", kv)
		}
	}
	if want := len(os.Environ()) - 1; len(env) != want {
		t.Errorf("environment has %d variables, want %d", len(env), want)
	}
}

// TestLookPath runs the real exec.LookPath on files it makes.
func TestLookPath(t *testing.T) {
	dir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"server": 0o755, "data": 0o644} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)

	tests := []struct {
		name    string
		path    string // $PATH
		command string
		want    string
		wantErr string
	}{
		{name: "in PATH", path: dir, command: "server", want: filepath.Join(dir, "server")},
		{name: "a path", path: "/nonexistent", command: "./server", want: "./server"},
		{name: "an absolute path", path: "", command: filepath.Join(dir, "server"), want: filepath.Join(dir, "server")},
		{
			name: "not in PATH", path: "/nonexistent", command: "server",
			wantErr: `command "server" not found: no executable file of that name in $PATH`,
		},
		{
			name: "not executable in PATH", path: dir, command: "data",
			wantErr: `command "data" not found: no executable file of that name in $PATH`,
		},
		{
			name: "through a relative PATH entry", path: ".", command: "server",
			wantErr: `command "server" is server, found through a relative directory in $PATH: give its path to run it, as in: zlctl run -- ./server`,
		},
		{name: "no such file", path: dir, command: "./nope", wantErr: "cannot run ./nope: no such file"},
		{name: "not executable", path: dir, command: "./data", wantErr: "cannot run ./data: permission denied (is it executable?)"},
		{name: "a directory", path: dir, command: "./sub", wantErr: "cannot run ./sub: it is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path)
			got, err := lookPath(exec.LookPath, tt.command)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("lookPath(%q) = %q, want %q", tt.command, got, tt.want)
			}
		})
	}
}

func TestDefaultName(t *testing.T) {
	for _, tt := range []struct{ command, want string }{
		{"server", "server"},
		{"./bin/server", "server"},
		{"/usr/bin/" + strings.Repeat("x", 31), strings.Repeat("x", 31)},
		{strings.Repeat("x", 32), strings.Repeat("x", 31)},
		// A 2-byte rune across the limit is dropped whole.
		{strings.Repeat("x", 30) + "éé", strings.Repeat("x", 30)},
		// Bytes that are not UTF-8 are cut where the limit falls.
		{strings.Repeat("x", 30) + "\xff\xfe\xfd", strings.Repeat("x", 30) + "\xff"},
	} {
		if got := defaultName(tt.command); got != tt.want {
			t.Errorf("defaultName(%q) = %q, want %q", tt.command, got, tt.want)
		}
	}
}
