//go:build e2e

package e2e

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zl-dev/zl/internal/demo"
	"github.com/zl-dev/zl/libzl"
)

// webDemo is zl-webserver-demo running under zlctl run.
type webDemo struct {
	cmd  *exec.Cmd
	addr string
	pid  int
}

// startWebDemo starts the web server demo under `zlctl run` with zlctlArgs before the command
// and serverArgs after it, and returns once it prints "ready".
func startWebDemo(t *testing.T, zlctlArgs []string, serverArgs ...string) *webDemo {
	t.Helper()
	bin, err := filepath.Abs("../build/bin/zl-webserver-demo")
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	args := append([]string{"run", "--name", "webdemo", "--fault-exit-codes", "2",
		"--max-restarts", "100", "--window", "60s"}, zlctlArgs...)
	args = append(args, "--", bin, "-addr", addr, "-root", t.TempDir(), "-gen-static")
	args = append(args, serverArgs...)
	cmd := exec.Command("zlctl", args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	ready := make(chan error, 1)
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			if s.Text() == "ready" {
				select {
				case ready <- nil:
				default:
				}
			}
		}
		ready <- errors.New("the server's stdout closed before it was ready")
	}()
	select {
	case err := <-ready:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * time.Minute):
		t.Fatal("the server never printed ready")
	}
	return &webDemo{cmd: cmd, addr: addr, pid: cmd.Process.Pid}
}

// nextEvent returns the next event of the process pid, of one of kinds.
func nextEvent(t *testing.T, m *libzl.Monitor, pid int, kinds ...libzl.EventKind) *libzl.Event {
	t.Helper()
	if err := m.SetDeadline(time.Now().Add(2 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	for {
		ev, err := m.Next()
		if err != nil {
			t.Fatalf("waiting for %v of pid %d: %v", kinds, pid, err)
		}
		if ev.PID != pid {
			continue
		}
		for _, k := range kinds {
			if ev.Kind == k {
				return ev
			}
		}
	}
}

// sumResponse is what POST /sum answers for body.
func sumResponse(body []byte) string {
	sum := sha256.Sum256(body)
	return fmt.Sprintf("length: %d\nsha256: %s\n", len(body), hex.EncodeToString(sum[:]))
}

// readResponse reads one HTTP/1.1 response with a Content-Length from r and returns its body.
func readResponse(r *bufio.Reader) (status string, body []byte, err error) {
	status, err = r.ReadString('\n')
	if err != nil {
		return "", nil, err
	}
	n := -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return status, nil, err
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(strings.ToLower(line), "content-length: "); ok {
			fmt.Sscan(v, &n)
		}
	}
	if n < 0 {
		return status, nil, errors.New("no Content-Length")
	}
	body = make([]byte, n)
	_, err = io.ReadFull(r, body)
	return status, body, err
}

// A request whose first half the server read before it crashed, and whose second half the
// client sends after the restart, is answered once and right: the new incarnation reads the
// first half again from the kernel's replay log, then the rest.
func TestWebDemoRequestInPiecesAcrossCrash(t *testing.T) {
	m, err := libzl.DialMonitor()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	srv := startWebDemo(t, nil)
	c, err := libzl.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	body := demo.Bytes(42, 300<<10)
	head := fmt.Sprintf("POST /sum HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(body))
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	first := append([]byte(head), body[:len(body)/2]...)
	if _, err := conn.Write(first); err != nil {
		t.Fatal(err)
	}
	// Crash the server once it has read (and the kernel logged) all of the first piece.
	for attempt := 0; ; attempt++ {
		svc, err := c.Service(libzl.ByPID(srv.pid))
		if err != nil {
			t.Fatal(err)
		}
		if svc.Replay.Held >= uint64(len(first)) {
			break
		}
		if attempt == 3000 {
			t.Fatalf("the server read %d of the %d bytes sent", svc.Replay.Held, len(first))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := syscall.Kill(srv.pid, syscall.SIGSEGV); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, m, srv.pid, libzl.EventRestart)
	nextEvent(t, m, srv.pid, libzl.EventReady)

	if _, err := conn.Write(body[len(body)/2:]); err != nil {
		t.Fatal(err)
	}
	conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
	status, got, err := readResponse(bufio.NewReader(conn))
	if err != nil {
		t.Fatalf("response: %q, %v", status, err)
	}
	if !strings.HasPrefix(status, "HTTP/1.1 200") || string(got) != sumResponse(body) {
		t.Fatalf("got %q %q, want 200 %q", status, got, sumResponse(body))
	}
	svc, err := c.Service(libzl.ByPID(srv.pid))
	if err != nil {
		t.Fatal(err)
	}
	if svc.Replay.Replays == 0 || svc.Replay.Bytes < uint64(len(first)) {
		t.Errorf("replay counters %+v: want a replay of at least %d bytes", svc.Replay, len(first))
	}
}

// A request larger than the service's replay limit loses its guarantee: the kernel sends a
// replay-overflow event that names the connection, and after a crash the request is not
// replayed (the client must time out and retry), while the server goes on serving.
func TestWebDemoRequestOverReplayLimit(t *testing.T) {
	m, err := libzl.DialMonitor()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	// The second request of each incarnation crashes once its body is read.
	srv := startWebDemo(t, []string{"--replay-limit", "64KiB"},
		"-fault-every", "2", "-fault-kind", "segv", "-fault-point", "after-body")

	get := func() {
		t.Helper()
		conn, err := net.Dial("tcp", srv.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "GET /dyn?seed=7&size=100 HTTP/1.1\r\nHost: x\r\n\r\n")
		conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		status, got, err := readResponse(bufio.NewReader(conn))
		if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") || string(got) != string(demo.Dynamic(7, 100)) {
			t.Fatalf("GET /dyn: %q %q %v", status, got, err)
		}
	}
	get()

	body := demo.Bytes(43, 256<<10)
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /sum HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", len(body))
	if _, err := conn.Write(body); err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, m, srv.pid, libzl.EventReplayOverflow)
	if ev.StreamKind != libzl.StreamTCP || ev.OverflowReason != libzl.OverflowServiceLimit ||
		ev.ReplayLimit != 64<<10 || ev.StreamIno == 0 {
		t.Errorf("overflow event %+v: want tcp, service-limit, 65536", ev)
	}
	nextEvent(t, m, srv.pid, libzl.EventRestart)
	nextEvent(t, m, srv.pid, libzl.EventReady)

	// The server serves new connections...
	get()
	// ...but the request that overflowed is lost: no response comes.
	conn.SetReadDeadline(time.Now().Add(3 * time.Second))
	var b [1]byte
	if n, err := conn.Read(b[:]); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("the overflowed request got %d bytes, %v; want no response", n, err)
	}
}

// A 1 MiB CGI order, larger than the socket and pipe buffers, whose answer the server was half
// way through when it crashed, is completed once: the new incarnation reads the order again
// from the replay log and goes on with the CGI program the crashed one had started (zlcgi.Host),
// which is not run again, and the kernel drops the part of the answer the client already has.
func TestWebDemoLargeCGIOrderAcrossCrash(t *testing.T) {
	m, err := libzl.DialMonitor()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	cgiBin, err := filepath.Abs("../build/bin/zl-cgi-demo")
	if err != nil {
		t.Fatal(err)
	}
	journal := filepath.Join(t.TempDir(), "orders")
	srv := startWebDemo(t, []string{"--replay-limit", "8MiB"}, "-cgi", cgiBin, "-journal", journal)

	const key = "e2e-large-order"
	body := demo.Bytes(7, 1<<20)
	want := demo.CGIResponse(key, body)
	head := fmt.Sprintf("POST /cgi-bin/order HTTP/1.1\r\nHost: x\r\n%s: %s\r\nContent-Length: %d\r\n\r\n",
		demo.IdempotencyHeader, key, len(body))
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(3 * time.Minute))
	go conn.Write(append([]byte(head), body...))

	// Read the head of the answer and its first 64 KiB, then crash the server: the CGI program
	// has more to write than the pipe and socket buffers hold, so the answer is half sent.
	r := bufio.NewReader(conn)
	status, err := r.ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 200") {
		t.Fatalf("status %q, %v", status, err)
	}
	n := -1
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if v, ok := strings.CutPrefix(strings.ToLower(line), "content-length: "); ok {
			fmt.Sscan(v, &n)
		}
	}
	if n != len(want) {
		t.Fatalf("Content-Length %d, want %d", n, len(want))
	}
	got := make([]byte, len(want))
	if _, err := io.ReadFull(r, got[:64<<10]); err != nil {
		t.Fatal(err)
	}
	// The CGI program registered itself before it answered.
	cgiPID := 0
	for cgiPID == 0 {
		if err := m.SetDeadline(time.Now().Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		ev, err := m.Next()
		if err != nil {
			t.Fatalf("waiting for the CGI program's registration: %v", err)
		}
		if ev.Kind == libzl.EventRegister && ev.Name == "zl-cgi-demo" {
			cgiPID = ev.PID
		}
	}
	if err := syscall.Kill(srv.pid, syscall.SIGSEGV); err != nil {
		t.Fatal(err)
	}
	nextEvent(t, m, srv.pid, libzl.EventRestart)
	if _, err := io.ReadFull(r, got[64<<10:]); err != nil {
		t.Fatalf("the rest of the answer: %v", err)
	}
	if i := firstDiff(got, want); i >= 0 {
		t.Fatalf("the answer differs from byte %d of %d", i, len(want))
	}
	// Nothing more: the new incarnation's answer was dropped up to what the client had.
	conn.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
	if extra, err := r.ReadByte(); err == nil {
		t.Fatalf("a byte %q after the answer", extra)
	}
	lines, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if string(lines) != demo.JournalLine(key, body) {
		t.Fatalf("journal %q, want the order once", lines)
	}
	// The program the crashed incarnation started wrote the whole answer and exited: it was not
	// cut off (a broken pipe, a short body) and started again.
	ev := nextEvent(t, m, cgiPID, libzl.EventExit)
	if !ev.ExitStatus.Exited() || ev.ExitStatus.ExitStatus() != 0 {
		t.Errorf("the CGI program started before the crash ended with wait status %#x, want exit status 0", uint32(ev.ExitStatus))
	}
}

// firstDiff returns the index of the first byte where a and b differ, or -1.
func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	if len(a) != len(b) {
		return min(len(a), len(b))
	}
	return -1
}
