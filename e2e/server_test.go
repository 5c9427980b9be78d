//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/zl-dev/zl/libzl"
)

// serverAddrEnv gives the address of the server mode of the test binary.
const serverAddrEnv = "ZL_E2E_ADDR"

// serverMain is the "server" service mode: a TCP server made restartable with libzl. It adopts
// its listener, serves the connections it kept first, and greets every connection with
// "hello <incarnation>". After the greeting, a client may send a command: "panic N" (a nil
// dereference in the handler), "abort N" (SIGABRT to itself), each only in incarnation N, or
// "exit" (a clean exit). The first
// incarnation says "listening" on descriptor 3 once it listens.
func serverMain() int {
	l, err := libzl.Listen("tcp", os.Getenv(serverAddrEnv))
	if err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		return 110
	}
	if l, err = libzl.Resume(l); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		return 111
	}
	if !libzl.Restarted() {
		report := os.NewFile(3, "report")
		fmt.Fprintln(report, "listening")
		report.Close()
	}
	if err := libzl.Ready(); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		return 112
	}
	for {
		c, err := l.Accept()
		if err != nil {
			fmt.Fprintln(os.Stderr, "server:", err)
			return 113
		}
		go serve(c)
	}
}

func serve(c net.Conn) {
	defer c.Close()
	if _, err := fmt.Fprintf(c, "hello %d\n", libzl.Incarnation()); err != nil {
		return
	}
	line, _ := bufio.NewReader(c).ReadString('\n')
	var cmd string
	var inc uint32
	if n, _ := fmt.Sscanf(line, "%s %d", &cmd, &inc); n == 2 && inc != libzl.Incarnation() {
		// The kernel replays the request that crashed the previous incarnation: a crash
		// is for the incarnation it names, or it would recur.
		return
	}
	switch cmd {
	case "panic":
		var p *int
		*p = 1
	case "abort":
		_ = syscall.Kill(os.Getpid(), syscall.SIGABRT)
		select {}
	case "exit":
		os.Exit(0)
	}
}

// greet connects to addr and reads the greeting; cmd, if any, is sent after it.
func greet(addr, cmd string) error {
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return fmt.Errorf("reading the greeting: %w", err)
	}
	if !strings.HasPrefix(line, "hello ") {
		return fmt.Errorf("greeting %q", line)
	}
	if cmd != "" {
		_, err = fmt.Fprintln(c, cmd)
	}
	return err
}

// eventsJSON is one line of `zlctl events -o json`, decoded independently of zlctl's code.
type eventsJSON struct {
	Event       string `json:"event"`
	ID          uint32 `json:"id"`
	PID         int    `json:"pid"`
	Incarnation uint32 `json:"incarnation"`
	LatencyNS   int64  `json:"latency_ns"`
}

// followEvents starts `zlctl events -o json` and returns once it listens: it registers a
// sleeper until zlctl reports that. Lines holds what zlctl printed after that; stop ends it.
func followEvents(t *testing.T) (lines func() []eventsJSON, stop func()) {
	t.Helper()
	cmd := exec.Command("zlctl", "events", "-o", "json")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	got := make(chan eventsJSON, 4096)
	go func() {
		defer close(got)
		s := bufio.NewScanner(out)
		for s.Scan() {
			var ev eventsJSON
			if err := json.Unmarshal(s.Bytes(), &ev); err != nil {
				t.Errorf("zlctl events printed %q: %v", s.Text(), err)
				continue
			}
			got <- ev
		}
	}()

	// Until zlctl has joined the group, a registration goes unseen: repeat it.
	sleeper := startSleeper(t, 0)
	c, err := libzl.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	heard := false
	for attempt := 0; !heard && attempt < 60; attempt++ {
		svc, err := c.Register(libzl.Registration{PID: sleeper.Process.Pid})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-got:
			heard = ev.Event == "register" && ev.PID == sleeper.Process.Pid
		case <-time.After(time.Second):
		}
		if err := c.Unregister(libzl.ByID(svc.ID)); err != nil {
			t.Fatal(err)
		}
	}
	if !heard {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("zlctl events never reported a registration; stderr:\n%s", stderr.String())
	}

	var mu sync.Mutex
	var evs []eventsJSON
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range got {
			mu.Lock()
			evs = append(evs, ev)
			mu.Unlock()
		}
	}()
	lines = func() []eventsJSON {
		mu.Lock()
		defer mu.Unlock()
		return append([]eventsJSON(nil), evs...)
	}
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		if err := cmd.Wait(); err != nil {
			t.Errorf("zlctl events after SIGINT: %v; stderr:\n%s", err, stderr.String())
		}
		<-done
	}
	return lines, stop
}

// A Go server started with zlctl run is crashed 100 times, by a nil dereference panic, by
// SIGSEGV from outside and by abort, while clients open new connections in a tight loop: no
// connection is refused or reset, every client is greeted, the pid stays the same, and zlctl
// events shows 100 restart events with their latencies.
func TestServerCrashedHundredTimesLosesNoConnection(t *testing.T) {
	const crashes = 100
	const addr = "127.0.0.1:18282"

	mon, err := libzl.DialMonitor()
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	events, stopEvents := followEvents(t)

	var stderr bytes.Buffer
	cmd, report := startService(t, "server", []string{"GOTRACEBACK=crash", serverAddrEnv + "=" + addr}, &stderr,
		"--name", "e2e-server", "--fault-exit-codes", "2", "--max-restarts", "1000", "--window", "1m")
	line, err := bufio.NewReader(report).ReadString('\n')
	if err != nil || line != "listening\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the server did not start (%q, %v); stderr:\n%s", line, err, stderr.String())
	}
	pid := cmd.Process.Pid
	c, err := libzl.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	svc, err := c.Service(libzl.ByPID(pid))
	if err != nil {
		t.Fatal(err)
	}

	// Clients in a tight loop, each on a new connection.
	var greeted, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := greet(addr, ""); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				greeted.Add(1)
			}
		}()
	}

	mon.SetDeadline(time.Now().Add(10 * time.Minute))
	for i := uint32(1); i <= crashes; i++ {
		kind := []string{"panic", "segv", "abort"}[i%3]
		var err error
		if kind == "segv" {
			err = syscall.Kill(pid, syscall.SIGSEGV)
		} else {
			err = greet(addr, fmt.Sprintf("%s %d", kind, i-1))
		}
		if err != nil {
			t.Fatalf("crash %d (%s): %v", i, kind, err)
		}
		// The new incarnation is ready when its ready event comes.
		for {
			ev, err := mon.Next()
			if err != nil {
				t.Fatalf("crash %d (%s): %v; stderr:\n%s", i, kind, err, stderr.String())
			}
			if ev.ID != svc.ID {
				continue
			}
			if ev.PID != pid {
				t.Fatalf("%s event of service %d with pid %d, want %d", ev.Kind, ev.ID, ev.PID, pid)
			}
			if ev.Kind == libzl.EventGiveUp || ev.Kind == libzl.EventExit {
				t.Fatalf("crash %d (%s): %s event: %+v", i, kind, ev.Kind, ev)
			}
			if ev.Kind == libzl.EventReady && ev.Incarnation == i {
				break
			}
		}
	}
	close(stop)
	wg.Wait()
	if err := greet(addr, "exit"); err != nil {
		t.Errorf("asking the server to exit: %v", err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the server's parent saw %v, want a clean exit", err)
	}
	if cmd.ProcessState.Pid() != pid {
		t.Errorf("the server's pid changed")
	}
	t.Logf("%d connections greeted across %d crashes, %d failed", greeted.Load(), crashes, failed.Load())
	if n := failed.Load(); n != 0 {
		t.Errorf("%d connections failed, the first with: %v", n, firstErr.Load())
	}
	if greeted.Load() == 0 {
		t.Errorf("no connection was greeted")
	}

	// zlctl events saw every restart, with its latency.
	for {
		ev, err := mon.Next()
		if err != nil {
			t.Fatalf("waiting for the exit event: %v", err)
		}
		if ev.ID == svc.ID && ev.Kind == libzl.EventExit {
			break
		}
	}
	stopEvents()
	restarts := 0
	for _, ev := range events() {
		if ev.ID != svc.ID || ev.Event != "restart" {
			continue
		}
		restarts++
		if ev.LatencyNS <= 0 || ev.PID != pid {
			t.Errorf("zlctl events: restart %+v, want a latency and pid %d", ev, pid)
		}
	}
	if restarts != crashes {
		t.Errorf("zlctl events showed %d restart events, want %d", restarts, crashes)
	}
	if t.Failed() {
		t.Logf("the server's stderr (last 4 KiB):\n%s", tail(stderr.String(), 4096))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// Online maintenance: zlctl restart moves a running server into a new binary in place, keeping
// its listener; show reports the new executable and what the restart kept; a bad executable is
// refused with the kernel's words and changes nothing.
func TestZlctlRestartIntoNewBinary(t *testing.T) {
	const addr = "127.0.0.1:18283"
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	v2 := t.TempDir() + "/e2e-v2"
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(v2, bin, 0o755); err != nil {
		t.Fatal(err)
	}

	mon, err := libzl.DialMonitor()
	if err != nil {
		t.Fatal(err)
	}
	defer mon.Close()
	var stderr bytes.Buffer
	cmd, report := startService(t, "server", []string{serverAddrEnv + "=" + addr}, &stderr, "--name", "e2e-maint")
	if line, err := bufio.NewReader(report).ReadString('\n'); err != nil || line != "listening\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the server did not start (%q, %v); stderr:\n%s", line, err, stderr.String())
	}
	defer func() {
		if err := greet(addr, "exit"); err != nil {
			t.Errorf("asking the server to exit: %v", err)
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("the server's parent saw %v, want a clean exit; stderr:\n%s", err, stderr.String())
		}
	}()
	var svc serviceJSON
	decode(t, mustZlctl(t, "show", "--pid", pidArg(cmd), "-o", "json"), &svc)
	id := strconv.FormatUint(uint64(svc.ID), 10)

	r := zlctl(t, "restart", id, "--exec", "/nonexistent/e2e")
	if r.code != 1 || !strings.Contains(r.stderr, "cannot find executable /nonexistent/e2e") {
		t.Errorf("zlctl restart --exec /nonexistent/e2e: %v", r)
	}

	out := mustZlctl(t, "restart", id, "--exec", v2)
	if want := fmt.Sprintf("restart of service %s (e2e-maint) requested\n", id); out != want {
		t.Errorf("zlctl restart printed %q, want %q", out, want)
	}
	mon.SetDeadline(time.Now().Add(2 * time.Minute))
	var restart *libzl.Event
	for {
		ev, err := mon.Next()
		if err != nil {
			t.Fatalf("waiting for the restart: %v; stderr:\n%s", err, stderr.String())
		}
		if ev.ID != svc.ID {
			continue
		}
		if ev.Kind == libzl.EventGiveUp || ev.Kind == libzl.EventExit {
			t.Fatalf("%s event: %+v", ev.Kind, ev)
		}
		if ev.Kind == libzl.EventRestart {
			restart = ev
		}
		if ev.Kind == libzl.EventReady {
			break
		}
	}
	if restart == nil || restart.Cause != libzl.CauseRequest || restart.Exe != v2 || restart.Fault != nil ||
		restart.Incarnation != 1 || restart.PID != cmd.Process.Pid || restart.Latency <= 0 {
		t.Errorf("restart event %+v, want cause request, exe %s, incarnation 1, pid %d", restart, v2, cmd.Process.Pid)
	}

	var shown struct {
		serviceJSON
		Exe         string `json:"exe"`
		Retained    int    `json:"retained"`
		RetainedFDs []int  `json:"retained_fds"`
	}
	decode(t, mustZlctl(t, "show", id, "-o", "json"), &shown)
	if shown.Exe != v2 || shown.Incarnation != 1 || shown.Restarts != 1 || shown.Faults != 0 {
		t.Errorf("after the restart, show says exe %q, incarnation %d, restarts %d, faults %d", shown.Exe,
			shown.Incarnation, shown.Restarts, shown.Faults)
	}
	// stdin, stdout, stderr and the listener at least.
	if shown.Retained < 4 || len(shown.RetainedFDs) != shown.Retained {
		t.Errorf("show: retained %d, retained fds %v", shown.Retained, shown.RetainedFDs)
	}
	if err := greet(addr, ""); err != nil {
		t.Errorf("the restarted server does not greet: %v", err)
	}
}
