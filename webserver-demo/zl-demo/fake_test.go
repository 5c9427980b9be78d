package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/zl-dev/zl/internal/demoload/demotest"
	"github.com/zl-dev/zl/libzl"
)

// The test binary stands in for the programs zl-demo runs, by the name it
// is run under: zlctl (whose "run" executes the command after "--"), and
// zl-webserver-demo (the demo's HTTP contract, with -fault-every).
func TestMain(m *testing.M) {
	switch filepath.Base(os.Args[0]) {
	case "zlctl":
		os.Exit(fakeZlctl(os.Args[1:]))
	case serverProgram:
		os.Exit(fakeServer(os.Args[1:]))
	case cgiProgram:
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func fakeZlctl(args []string) int {
	for i, a := range args {
		if a == "--" && len(args) > i+1 && args[0] == "run" {
			err := syscall.Exec(args[i+1], args[i+1:], os.Environ())
			fmt.Fprintln(os.Stderr, "fake zlctl:", err)
			return 1
		}
	}
	fmt.Fprintln(os.Stderr, "fake zlctl: bad arguments", args)
	return 2
}

func fakeServer(args []string) int {
	fs := flag.NewFlagSet(serverProgram, flag.ContinueOnError)
	addr := fs.String("addr", "", "")
	journal := fs.String("journal", "", "")
	every := fs.Int("fault-every", 0, "")
	fs.String("root", "", "")
	fs.Bool("gen-static", false, "")
	fs.String("cgi", "", "")
	fs.String("fault-kind", "", "")
	fs.String("fault-point", "", "")
	fs.String("cgi-fault", "", "")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var l net.Listener
	var err error
	if os.Getenv("LISTEN_FDS") == "1" {
		l, err = net.FileListener(os.NewFile(3, "listener"))
	} else {
		l, err = net.Listen("tcp", *addr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake server:", err)
		return 1
	}
	var n atomic.Int64
	s := &demotest.Server{Journal: *journal}
	s.Before = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
		if *every > 0 && n.Add(1)%int64(*every) == 0 {
			os.Exit(2) // a crash in the middle of a request
		}
		return false
	}
	fmt.Println("ready")
	err = http.Serve(l, s)
	fmt.Fprintln(os.Stderr, "fake server:", err)
	return 3
}

// fakeBin returns a directory with the test binary under the names of the
// programs zl-demo runs, and a real zl-supervise when withSupervise.
func fakeBin(t *testing.T, withSupervise bool) string {
	t.Helper()
	dir := t.TempDir()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"zlctl", serverProgram, cgiProgram} {
		if err := os.Symlink(self, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if withSupervise {
		gobin, err := exec.LookPath("go")
		if err != nil {
			t.Skip("no go command to build zl-supervise:", err)
		}
		out, err := exec.Command(gobin, "build", "-o", filepath.Join(dir, superviseProgram), "github.com/zl-dev/zl/webserver-demo/zl-supervise").CombinedOutput()
		if err != nil {
			t.Fatalf("building zl-supervise: %v\n%s", err, out)
		}
	}
	return dir
}

// fakeMonitor hands out events, then blocks until closed.
type fakeMonitor struct {
	mu     sync.Mutex
	events []*libzl.Event
	errs   []error // returned before the events
	closed chan struct{}
	once   sync.Once
}

func newFakeMonitor(errs []error, events ...*libzl.Event) *fakeMonitor {
	return &fakeMonitor{events: events, errs: errs, closed: make(chan struct{})}
}

func (m *fakeMonitor) Next() (*libzl.Event, error) {
	m.mu.Lock()
	if len(m.errs) > 0 {
		err := m.errs[0]
		m.errs = m.errs[1:]
		m.mu.Unlock()
		return nil, err
	}
	if len(m.events) > 0 {
		ev := m.events[0]
		m.events = m.events[1:]
		m.mu.Unlock()
		return ev, nil
	}
	m.mu.Unlock()
	<-m.closed
	return nil, fmt.Errorf("fake monitor: %w", net.ErrClosed)
}

func (m *fakeMonitor) Close() error {
	m.once.Do(func() { close(m.closed) })
	return nil
}
