package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/zl-dev/zl/internal/demoload"
)

// childEnv makes the test binary a command to supervise: "serve" serves
// HTTP on descriptor 3 (GET /pid answers its PID, GET /exit exits with
// status 3), "exit" exits with status 4 at once.
const childEnv = "ZL_SUPERVISE_TEST_CHILD"

func TestMain(m *testing.M) {
	switch os.Getenv(childEnv) {
	case "":
		os.Exit(m.Run())
	case "serve":
		os.Exit(serveChild())
	default:
		os.Exit(4)
	}
}

func serveChild() int {
	if os.Getenv("LISTEN_FDS") != "1" {
		fmt.Fprintln(os.Stderr, "child: LISTEN_FDS is not 1")
		return 10
	}
	l, err := net.FileListener(os.NewFile(3, "listener"))
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 11
	}
	fmt.Println("hello")
	fmt.Println("ready")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /pid", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, os.Getpid()) })
	mux.HandleFunc("GET /exit", func(w http.ResponseWriter, r *http.Request) { os.Exit(3) })
	_ = http.Serve(l, mux)
	return 12
}

// lineWriter collects lines and tells when one is "ready".
type lineWriter struct {
	mu    sync.Mutex
	buf   strings.Builder
	ready chan struct{}
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if string(p) == "ready\n" {
		w.ready <- struct{}{}
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func get(t *testing.T, url string) (string, error) {
	t.Helper()
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

func TestSuperviseRestarts(t *testing.T) {
	t.Setenv(childEnv, "serve")
	t.Setenv("LISTEN_PID", "1") // not passed on
	l, err := net.ListenTCP("tcp", &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	statsFile := filepath.Join(t.TempDir(), "stats.json")
	out := &lineWriter{ready: make(chan struct{}, 10)}
	var errOut strings.Builder
	sigs := make(chan os.Signal, 1)
	opts := &Options{
		Listener: l, StatsFile: statsFile, StopTimeout: 10 * time.Second,
		Command: []string{os.Args[0]}, Stdout: out, Stderr: &errOut, Signals: sigs,
	}
	done := make(chan error, 1)
	go func() { done <- Supervise(opts) }()

	waitReady := func() {
		t.Helper()
		select {
		case <-out.ready:
		case err := <-done:
			t.Fatalf("Supervise returned early: %v; stderr: %s", err, errOut.String())
		case <-time.After(20 * time.Second):
			t.Fatal("no ready line")
		}
	}
	waitReady()
	pid1, err := get(t, url+"/pid")
	if err != nil {
		t.Fatalf("first process: %v", err)
	}
	for i := range 2 {
		if _, err := get(t, url+"/exit"); err == nil {
			t.Fatalf("GET /exit answered")
		}
		// The listener stays: this request waits in its backlog for the
		// next process.
		pid, err := get(t, url+"/pid")
		if err != nil {
			t.Fatalf("after exit %d: %v", i+1, err)
		}
		if pid == pid1 {
			t.Fatalf("same process %s after exit %d", pid, i+1)
		}
		waitReady()
	}
	sigs <- syscall.SIGTERM
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Supervise: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Supervise did not return after SIGTERM")
	}

	b, err := os.ReadFile(statsFile)
	if err != nil {
		t.Fatal(err)
	}
	var stats demoload.SupervisorStats
	if err := json.Unmarshal(b, &stats); err != nil {
		t.Fatalf("stats %s: %v", b, err)
	}
	if stats.Starts != 3 || stats.Restarts != 2 || stats.Exits["exit status 3"] != 2 || len(stats.Exits) != 1 ||
		len(stats.Ready) != 2 || stats.Latency.Count != 2 || stats.Latency.Max <= 0 {
		t.Errorf("stats: %s", b)
	}
	if got := strings.Count(out.String(), "hello\nready\n"); got != 3 {
		t.Errorf("output %q: want the command's lines 3 times", out.String())
	}
	if !strings.Contains(errOut.String(), "2 restarts; death to ready: p50 ") {
		t.Errorf("summary %q", errOut.String())
	}
}

func TestSuperviseGivesUp(t *testing.T) {
	t.Setenv(childEnv, "exit")
	var errOut strings.Builder
	opts := &Options{
		Listen: "127.0.0.1:0", StopTimeout: time.Second,
		Command: []string{os.Args[0]}, Stdout: io.Discard, Stderr: &errOut, Signals: make(chan os.Signal),
	}
	err := Supervise(opts)
	if err == nil || !strings.Contains(err.Error(), `exited 5 times in a row without saying "ready" (last: exit status 4)`) {
		t.Errorf("Supervise: %v", err)
	}
}

func TestSuperviseNoCommand(t *testing.T) {
	opts := &Options{
		Listen: "127.0.0.1:0", StopTimeout: time.Second,
		Command: []string{filepath.Join(t.TempDir(), "none")}, Stdout: io.Discard, Stderr: io.Discard,
	}
	if err := Supervise(opts); err == nil || !strings.Contains(err.Error(), "starting") {
		t.Errorf("Supervise: %v", err)
	}
}

func TestParseFlags(t *testing.T) {
	opts, err := parseFlags([]string{"-listen", ":8080", "-stats", "s.json", "--", "srv", "-addr", "x"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Listen != ":8080" || opts.StatsFile != "s.json" || strings.Join(opts.Command, " ") != "srv -addr x" {
		t.Errorf("options %+v", opts)
	}
	for _, args := range [][]string{{"--", "srv"}, {"-listen", ":1"}, {"-listen", ":1", "-restart-delay", "-1s", "--", "x"}, {"-bogus"}} {
		if _, err := parseFlags(args, io.Discard); err == nil {
			t.Errorf("parseFlags(%q) succeeded", args)
		}
	}
	if got := Main([]string{"-listen", ":1"}, io.Discard, io.Discard); got != exitUsage {
		t.Errorf("usage error: exit %d", got)
	}
}

func TestWithoutListenEnv(t *testing.T) {
	got := withoutListenEnv([]string{"A=1", "LISTEN_FDS=2", "LISTEN_PID=3", "LISTEN_FDNAMES=x", "LISTEN=4"})
	if strings.Join(got, " ") != "A=1 LISTEN=4" {
		t.Errorf("got %q", got)
	}
}

func TestSummary(t *testing.T) {
	s := &demoload.SupervisorStats{
		Restarts: 3,
		Exits:    map[string]int{"signal: segmentation fault": 1, "exit status 2": 2},
		Latency:  demoload.Latency{Count: 3, P50: 12 * time.Millisecond, P99: 30 * time.Millisecond, Max: 31 * time.Millisecond},
	}
	want := "3 restarts; death to ready: p50 12ms, p99 30ms, max 31ms; exits: exit status 2 ×2, signal: segmentation fault ×1"
	if got := summary(s); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
