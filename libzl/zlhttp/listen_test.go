package zlhttp

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/zl-dev/zl/libzl"
)

// childEnv makes the test binary a child that calls Listen (see
// listenChild) instead of running the tests.
const childEnv = "ZLHTTP_TEST_LISTEN_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(listenChild())
	}
	os.Exit(m.Run())
}

// listenChild calls Listen("tcp", "127.0.0.1:0") and prints the listener's
// address or the error, and which socket-activation variables are left in
// its environment.
func listenChild() int {
	l, err := Listen("tcp", "127.0.0.1:0")
	switch {
	case err != nil:
		fmt.Printf("error %v\n", err)
	default:
		fmt.Printf("addr %s\n", l.Addr())
	}
	var left []string
	for _, k := range []string{listenFDsEnv, listenPIDEnv, listenFDNamesEnv} {
		if _, ok := os.LookupEnv(k); ok {
			left = append(left, k)
		}
	}
	fmt.Printf("env %s\n", strings.Join(left, ","))
	return 0
}

func TestActivation(t *testing.T) {
	const pid = 4242
	tests := []struct {
		name    string
		env     map[string]string
		want    int
		wantErr string
	}{
		{name: "none", env: nil, want: 0},
		{name: "fds without pid", env: map[string]string{"LISTEN_FDS": "1"}, want: 1},
		{name: "fds for us", env: map[string]string{"LISTEN_FDS": "2", "LISTEN_PID": "4242"}, want: 2},
		{name: "fds for another process", env: map[string]string{"LISTEN_FDS": "1", "LISTEN_PID": "4243"}, want: 0},
		{name: "zero fds", env: map[string]string{"LISTEN_FDS": "0", "LISTEN_PID": "4242"}, want: 0},
		{name: "pid without fds", env: map[string]string{"LISTEN_PID": "4242"}, want: 0},
		{name: "names only", env: map[string]string{"LISTEN_FDNAMES": "http"}, want: 0},
		{
			name:    "bad fds",
			env:     map[string]string{"LISTEN_FDS": "one"},
			wantErr: `LISTEN_FDS="one" is not a number of descriptors`,
		},
		{
			name:    "negative fds",
			env:     map[string]string{"LISTEN_FDS": "-1"},
			wantErr: `LISTEN_FDS="-1" is not a number of descriptors`,
		},
		{
			name:    "bad pid",
			env:     map[string]string{"LISTEN_FDS": "1", "LISTEN_PID": "self"},
			wantErr: `LISTEN_PID="self" is not a process id`,
		},
		{
			name:    "zero pid",
			env:     map[string]string{"LISTEN_FDS": "1", "LISTEN_PID": "0"},
			wantErr: `LISTEN_PID="0" is not a process id`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) {
				v, ok := tt.env[k]
				return v, ok
			}
			got, err := activation(lookup, pid)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if got != tt.want || gotErr != tt.wantErr {
				t.Errorf("activation = %d, %q; want %d, %q", got, gotErr, tt.want, tt.wantErr)
			}
		})
	}
}

// TestListenActivated runs the test binary as a child process with a
// descriptor at 3 and the socket-activation variables set, as systemd
// starts a service.
func TestListenActivated(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	lf, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()

	tests := []struct {
		name string
		fd3  *os.File
		env  []string
		// want is the first line of the child's output; "other" stands for
		// any address but l's.
		want string
	}{
		{
			name: "passed listener",
			fd3:  lf,
			env:  []string{"LISTEN_FDS=1", "LISTEN_FDNAMES=http"},
			want: "addr " + l.Addr().String(),
		},
		{
			name: "passed to another process",
			fd3:  lf,
			env:  []string{"LISTEN_FDS=1", "LISTEN_PID=1"},
			want: "other",
		},
		{
			name: "not activated",
			fd3:  lf,
			env:  nil,
			want: "other",
		},
		{
			name: "passed pipe",
			fd3:  pr,
			env:  []string{"LISTEN_FDS=1"},
			want: "error zlhttp: socket activation: descriptor 3: not a listening socket",
		},
		{
			name: "malformed",
			fd3:  lf,
			env:  []string{"LISTEN_FDS=x"},
			want: `error zlhttp: socket activation: LISTEN_FDS="x" is not a number of descriptors`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(childEnvironment(), childEnv+"=1")
			cmd.Env = append(cmd.Env, tt.env...)
			cmd.ExtraFiles = []*os.File{tt.fd3}
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("child: %v; output:\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
			if len(lines) != 2 {
				t.Fatalf("child printed %q", out)
			}
			got := lines[0]
			if tt.want == "other" && strings.HasPrefix(got, "addr ") && got != "addr "+l.Addr().String() {
				got = "other"
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("child's listener (-want +got):\n%s", diff)
			}
			if lines[1] != "env " {
				t.Errorf("child's environment after Listen still has %s", strings.TrimPrefix(lines[1], "env "))
			}
		})
	}
}

// childEnvironment returns the test's environment without the variables
// that would change what the child's Listen does.
func childEnvironment() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case listenFDsEnv, listenPIDEnv, listenFDNamesEnv, libzl.IncarnationEnv, childEnv:
			continue
		}
		env = append(env, kv)
	}
	return env
}

func TestListenPlain(t *testing.T) {
	for _, k := range []string{listenFDsEnv, listenPIDEnv, libzl.IncarnationEnv} {
		if _, ok := os.LookupEnv(k); ok {
			t.Skipf("%s is set in the test's environment", k)
		}
	}
	l, err := Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().(*net.TCPAddr)
	if !addr.IP.IsLoopback() || addr.Port == 0 {
		t.Errorf("Listen(tcp, 127.0.0.1:0) listens at %v", addr)
	}
	c, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	a, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	if got, want := a.RemoteAddr().String(), c.LocalAddr().String(); got != want {
		t.Errorf("accepted a connection from %s, want %s", got, want)
	}
	if _, err := Listen("tcp", addr.String()); err == nil || !strings.Contains(err.Error(), "address already in use") {
		t.Errorf("Listen on a used address: %v, want EADDRINUSE", err)
	}
}
