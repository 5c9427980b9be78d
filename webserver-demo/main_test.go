package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zl-dev/zl/internal/demo"
	"github.com/zl-dev/zl/internal/demo/fault"
	"github.com/zl-dev/zl/libzl"
)

// A child is the test binary running as the server.
type child struct {
	cmd    *exec.Cmd
	addr   string
	stdout bytes.Buffer

	mu     sync.Mutex
	stderr strings.Builder
	done   chan struct{}
}

// startServer starts the server with args on 127.0.0.1:0 and the
// environment with env added, and returns once it said "ready".
func startServer(t *testing.T, env []string, args ...string) *child {
	t.Helper()
	c := &child{done: make(chan struct{})}
	c.cmd = exec.Command(os.Args[0], append([]string{"-addr", "127.0.0.1:0"}, args...)...)
	c.cmd.Env = append(testEnv(), modeEnv+"=main")
	c.cmd.Env = append(c.cmd.Env, env...)
	stdout, err := c.cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := c.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.cmd.Process.Kill()
		<-c.done
	})

	addr := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			line := s.Text()
			c.mu.Lock()
			c.stderr.WriteString(line + "\n")
			c.mu.Unlock()
			if _, a, ok := strings.Cut(line, " listening on "); ok {
				a, _, _ = strings.Cut(a, ",")
				addr <- a
			}
		}
	}()
	ready := make(chan error, 1)
	go func() {
		defer close(c.done)
		r := bufio.NewReader(stdout)
		line, err := r.ReadString('\n')
		if err == nil && line != "ready\n" {
			err = fmt.Errorf("the server said %q", line)
		}
		c.stdout.WriteString(line)
		ready <- err
		rest, _ := io.ReadAll(r)
		c.stdout.Write(rest)
		_ = c.cmd.Wait()
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatalf("waiting for ready: %v; stderr:\n%s", err, c.logs())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("the server is not ready after 30s; stderr:\n%s", c.logs())
	}
	c.addr = <-addr
	return c
}

// testEnv returns the test's environment without the variables that would
// change what the server does.
func testEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case faultEnv, journalEnv, libzl.IncarnationEnv, modeEnv, "LISTEN_FDS", "LISTEN_PID":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func (c *child) logs() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.stderr.String()
}

// wait waits for the server to exit and returns how.
func (c *child) wait(t *testing.T) syscall.WaitStatus {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("the server did not exit; stderr:\n%s", c.logs())
	}
	return c.cmd.ProcessState.Sys().(syscall.WaitStatus)
}

// get sends GET target on a new connection and returns the response body
// it got before the connection ended, and whether the response was
// complete.
func (c *child) get(t *testing.T, target string) ([]byte, bool) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", c.addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if err := conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n", target)
	all, err := io.ReadAll(conn)
	if err != nil && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatal(err)
	}
	head, body, ok := bytes.Cut(all, []byte("\r\n\r\n"))
	if !ok {
		return nil, false
	}
	var n int
	for _, line := range strings.Split(string(head), "\r\n") {
		if v, ok := strings.CutPrefix(line, "Content-Length: "); ok {
			fmt.Sscan(v, &n)
		}
		if strings.HasPrefix(line, "Date: ") {
			t.Errorf("GET %s: %s", target, line)
		}
	}
	return body, len(body) == n
}

func TestServer(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "static")
	c := startServer(t, nil, "-root", dir, "-gen-static")
	for _, i := range []int{0, 6} {
		body, complete := c.get(t, "/static/"+demo.StaticName(i))
		if !complete || !bytes.Equal(body, demo.StaticContent(i)) {
			t.Errorf("GET /static/%s: %d bytes, complete %v", demo.StaticName(i), len(body), complete)
		}
	}
	if body, _ := c.get(t, "/healthz"); string(body) != "ok\n" {
		t.Errorf("GET /healthz: %q", body)
	}
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	c.wait(t)
	if got := c.stdout.String(); got != "ready\n" {
		t.Errorf("stdout %q, want one line \"ready\"", got)
	}
}

func TestServerFaults(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		// The server crashes on the second request, with this status.
		wantSignal syscall.Signal
		wantExit   int
		wantLog    string
		// wantHalf says the second response stops halfway, else it has no
		// body at all.
		wantHalf bool
	}{
		{
			name:       "segv mid-response",
			args:       []string{"-fault-every", "2", "-fault-kind", "segv", "-fault-point", "mid-response"},
			wantSignal: syscall.SIGSEGV,
			wantLog:    "fault: request 2 kind segv point mid-response",
			wantHalf:   true,
		},
		{
			name:       "abort before the body, from the environment",
			env:        []string{faultEnv + "=every=2,kind=abort,point=before-body"},
			wantSignal: syscall.SIGABRT,
			wantLog:    "fault: request 2 kind abort point before-body",
		},
		{
			name:     "panic after the body",
			args:     []string{"-fault-every", "2", "-fault-kind", "panic", "-fault-point", "after-body"},
			wantExit: 2,
			wantLog:  "fault: request 2 kind panic point after-body",
		},
		{
			name:       "mix",
			args:       []string{"-fault-rate", "0", "-fault-every", "2"},
			wantSignal: syscall.SIGABRT,
			wantLog:    "fault: request 2 kind abort point before-body",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := startServer(t, tt.env, tt.args...)
			const size = 100001
			want := demo.Dynamic(5, size)
			target := fmt.Sprintf("/dyn?seed=5&size=%d", size)
			if body, complete := c.get(t, target); !complete || !bytes.Equal(body, want) {
				t.Fatalf("first request: %d bytes, complete %v; stderr:\n%s", len(body), complete, c.logs())
			}
			body, complete := c.get(t, target)
			wantLen := 0
			if tt.wantHalf {
				wantLen = size / 2
			}
			if complete || len(body) != wantLen || !bytes.Equal(body, want[:len(body)]) {
				t.Errorf("second request: %d bytes, complete %v; want the first %d", len(body), complete, wantLen)
			}
			c.checkEnd(t, tt.wantSignal, tt.wantExit)
			if !strings.Contains(c.logs(), tt.wantLog+"\n") {
				t.Errorf("the log does not say %q:\n%s", tt.wantLog, c.logs())
			}
		})
	}
}

// TestServerFaultFlagsWin checks that the fault flags replace the
// environment's spec: with -fault-every 0, nothing crashes.
func TestServerFaultFlagsWin(t *testing.T) {
	c := startServer(t, []string{faultEnv + "=every=1,kind=segv"}, "-fault-every", "0")
	for i := range 3 {
		if body, complete := c.get(t, "/dyn?seed=1&size=10"); !complete || len(body) != 10 {
			t.Fatalf("request %d: %d bytes, complete %v; stderr:\n%s", i, len(body), complete, c.logs())
		}
	}
}

// TestServerFaultOnSignal checks that SIGUSR1 crashes a server run with
// -fault-on-signal, with the fault of its kind, and leaves one without it be.
func TestServerFaultOnSignal(t *testing.T) {
	for _, tt := range []struct {
		kind       string
		env        []string
		wantSignal syscall.Signal
		wantExit   int
	}{
		{kind: "segv", wantSignal: syscall.SIGSEGV},
		{kind: "abort", wantSignal: syscall.SIGABRT},
		{kind: "panic", wantExit: 2},
		// mix: the incarnation's turn, 1 for abort.
		{kind: "mix", env: []string{libzl.IncarnationEnv + "=1"}, wantSignal: syscall.SIGABRT},
	} {
		t.Run(tt.kind, func(t *testing.T) {
			c := startServer(t, tt.env, "-fault-on-signal", "-fault-kind", tt.kind)
			if body, complete := c.get(t, "/dyn?seed=1&size=10"); !complete || len(body) != 10 {
				t.Fatalf("request: %d bytes, complete %v; stderr:\n%s", len(body), complete, c.logs())
			}
			if err := c.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
				t.Fatal(err)
			}
			c.checkEnd(t, tt.wantSignal, tt.wantExit)
			if want := "fault: SIGUSR1, kind " + strings.Replace(tt.kind, "mix", "abort", 1) + "\n"; !strings.Contains(c.logs(), want) {
				t.Errorf("the log does not say %q:\n%s", want, c.logs())
			}
		})
	}

	// Without the flag, SIGUSR1 does nothing to the server.
	c := startServer(t, nil)
	if err := c.cmd.Process.Signal(syscall.SIGUSR1); err != nil {
		t.Fatal(err)
	}
	if body, complete := c.get(t, "/dyn?seed=1&size=10"); !complete || len(body) != 10 {
		t.Fatalf("after SIGUSR1: %d bytes, complete %v; stderr:\n%s", len(body), complete, c.logs())
	}
}

// checkEnd waits for the server to exit and checks that it died by
// wantSignal or, when that is 0, exited with wantExit.
func (c *child) checkEnd(t *testing.T, wantSignal syscall.Signal, wantExit int) {
	t.Helper()
	ws := c.wait(t)
	switch {
	case wantSignal != 0 && (!ws.Signaled() || ws.Signal() != wantSignal):
		t.Errorf("the server ended with %v, want death by %v", describe(ws), wantSignal)
	case wantSignal == 0 && (!ws.Exited() || ws.ExitStatus() != wantExit):
		t.Errorf("the server ended with %v, want exit status %d", describe(ws), wantExit)
	}
}

func describe(ws syscall.WaitStatus) string {
	if ws.Signaled() {
		return "death by " + ws.Signal().String()
	}
	return fmt.Sprintf("exit status %d", ws.ExitStatus())
}

func TestCrash(t *testing.T) {
	for _, tt := range []struct {
		kind       fault.Kind
		wantSignal syscall.Signal
	}{
		{fault.KindSEGV, syscall.SIGSEGV},
		{fault.KindAbort, syscall.SIGABRT},
		{fault.KindPanic, 0},
	} {
		t.Run(tt.kind.String(), func(t *testing.T) {
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(testEnv(), modeEnv+"=crash-"+tt.kind.String())
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) {
				t.Fatalf("the child did not crash: %v", err)
			}
			ws := ee.Sys().(syscall.WaitStatus)
			if tt.wantSignal != 0 {
				if !ws.Signaled() || ws.Signal() != tt.wantSignal {
					t.Errorf("the child ended with %s, want death by %v; stderr:\n%s", describe(ws), tt.wantSignal, stderr.String())
				}
				return
			}
			if !ws.Exited() || ws.ExitStatus() != 2 || !strings.Contains(stderr.String(), "panic: fault injection: panic") {
				t.Errorf("the child ended with %s, want exit status 2 after a panic; stderr:\n%s", describe(ws), stderr.String())
			}
		})
	}
}

func TestUsage(t *testing.T) {
	tests := []struct {
		args    []string
		env     string
		wantErr string
	}{
		{args: []string{"-nope"}, wantErr: "flag provided but not defined: -nope"},
		{args: []string{"extra"}, wantErr: `unexpected argument "extra"`},
		{args: []string{"-gen-static"}, wantErr: "-gen-static needs -root"},
		{args: []string{"-fault-rate", "2"}, wantErr: `invalid value "2" for flag -fault-rate: rate "2" is not a number from 0 to 1`},
		{args: []string{"-fault-kind", "bus"}, wantErr: `unknown fault kind "bus"`},
		{args: []string{"-fault-point", "end"}, wantErr: `unknown fault point "end"`},
		{args: []string{"-cgi-fault", "often=1"}, wantErr: `-cgi-fault: fault spec "often=1": unknown setting "often"`},
		{env: "kind=bus", wantErr: `ZL_DEMO_FAULT: fault spec "kind=bus": unknown fault kind "bus"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " ")+tt.env, func(t *testing.T) {
			var stderr strings.Builder
			getenv := func(k string) string {
				if k == faultEnv {
					return tt.env
				}
				return ""
			}
			_, err := parseOptions(tt.args, getenv, &stderr)
			if err == nil {
				t.Fatal("no error")
			}
			msg := stderr.String() + err.Error()
			if !strings.Contains(msg, tt.wantErr) {
				t.Errorf("error output %q, want %q", msg, tt.wantErr)
			}
		})
	}
	var stdout, stderr strings.Builder
	if code := run([]string{"-gen-static"}, &stdout, &stderr); code != 2 || stdout.Len() != 0 {
		t.Errorf("run with a usage error: exit %d, stdout %q", code, stdout.String())
	}
}

func TestOptions(t *testing.T) {
	getenv := func(k string) string {
		if k == faultEnv {
			return "every=200,rate=0.01,kind=mix,point=mix"
		}
		return ""
	}
	opts, err := parseOptions([]string{"-root", "r", "-cgi", "c", "-journal", "j", "-cgi-fault", "every=3"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	want := options{
		addr: ":8080", root: "r", cgi: "c", journal: "j", cgiFault: "every=3",
		fault: fault.Spec{Every: 200, Rate: 0.01, Seed: 1, Kind: fault.KindMix, Point: fault.PointMix},
	}
	if opts != want {
		t.Errorf("options %+v, want %+v", opts, want)
	}
	opts, err = parseOptions([]string{"-fault-kind", "panic", "-fault-seed", "9"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if want := (fault.Spec{Seed: 9, Kind: fault.KindPanic, Point: fault.PointMix}); opts.fault != want {
		t.Errorf("with fault flags, fault %+v, want %+v", opts.fault, want)
	}
}
