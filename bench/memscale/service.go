//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/zl-dev/zl/libzl"
)

// The environment of the Go service role.
const (
	roleEnv     = "ZLR_MEMSCALE_ROLE"     // "service" makes the program the Go service
	addrEnv     = "ZLR_MEMSCALE_ADDR"     // the address it listens on
	restartsEnv = "ZLR_MEMSCALE_RESTARTS" // incarnations below this one fault at once
	commitEnv   = "ZLR_MEMSCALE_COMMIT"   // "1": commit standard input after each command
)

// faultStatus is the exit status of the Go service's faults: what a Go
// program ends with on a panic, which the policy lists as a fault.
const faultStatus = 2

// service is the Go service. Incarnation 0 listens on $ZLR_MEMSCALE_ADDR,
// says "listening", and then obeys one command a line on standard input,
// answering each with "ok" or "error: ..." on standard output:
//
//   - "accept N": accept N connections and keep them;
//   - "touch I J": read once, without waiting, from connections I to J-1
//     (in the order accepted), which makes the kernel track them for a
//     registered service (their first read);
//   - "read S I J": read S bytes from each of connections I to J-1, and
//     answer none;
//   - "fault": exit with status 2, which the bench's policy lists as a
//     fault, without answering.
//
// With $ZLR_MEMSCALE_COMMIT=1 it commits standard input after each command,
// so that the replay log of that pipe holds nothing and the service's
// replay counters count only its connections.
//
// A restarted incarnation adopts the listener and the connections its
// predecessors left (libzl.Listen, libzl.Conns), reports ready, writes
// "inc=<n> conns=<adopted>", and faults at once while its incarnation is
// below $ZLR_MEMSCALE_RESTARTS; the last one waits for the end of its
// standard input.
func service() int {
	if err := serve(); err != nil {
		fmt.Printf("error: %v\n", err)
		return 1
	}
	return 0
}

func serve() error {
	addr := os.Getenv(addrEnv)
	restarts, err := strconv.Atoi(os.Getenv(restartsEnv))
	if err != nil {
		return fmt.Errorf("$%s: %w", restartsEnv, err)
	}
	l, err := libzl.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	defer l.Close()

	if inc := libzl.Incarnation(); inc > 0 {
		conns, err := libzl.Conns()
		if err != nil {
			return fmt.Errorf("adopting the connections: %w", err)
		}
		if err := libzl.Ready(); err != nil {
			return err
		}
		fmt.Printf("inc=%d conns=%d\n", inc, len(conns))
		if int(inc) < restarts {
			os.Exit(faultStatus)
		}
		if _, err := io.Copy(io.Discard, os.Stdin); err != nil {
			return fmt.Errorf("reading standard input: %w", err)
		}
		runtime.KeepAlive(conns) // their finalizers would close them
		return nil
	}

	fmt.Println("listening")
	commit := os.Getenv(commitEnv) == "1"
	var conns []*net.TCPConn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		cmd := strings.Fields(in.Text())
		if commit {
			if err := libzl.Commit(os.Stdin); err != nil {
				return fmt.Errorf("committing standard input: %w", err)
			}
		}
		if len(cmd) == 0 {
			return errors.New("empty command")
		}
		var err error
		switch {
		case cmd[0] == "accept" && len(cmd) == 2:
			conns, err = acceptConns(l, cmd[1], conns)
		case cmd[0] == "touch" && len(cmd) == 3:
			var some []*net.TCPConn
			if some, err = span(conns, cmd[1], cmd[2]); err == nil {
				err = touch(some)
			}
		case cmd[0] == "read" && len(cmd) == 4:
			var some []*net.TCPConn
			if some, err = span(conns, cmd[2], cmd[3]); err == nil {
				err = readEach(some, cmd[1])
			}
		case cmd[0] == "fault" && len(cmd) == 1:
			os.Exit(faultStatus)
		default:
			err = fmt.Errorf("unknown command %q", in.Text())
		}
		if err != nil {
			fmt.Printf("error: %v\n", err)
			continue
		}
		fmt.Println("ok")
	}
	if err := in.Err(); err != nil {
		return fmt.Errorf("reading commands: %w", err)
	}
	return nil
}

// acceptConns accepts count more connections on l.
func acceptConns(l net.Listener, count string, conns []*net.TCPConn) ([]*net.TCPConn, error) {
	n, err := strconv.Atoi(count)
	if err != nil || n < 0 {
		return conns, fmt.Errorf("bad count %q", count)
	}
	for range n {
		c, err := l.Accept()
		if err != nil {
			return conns, fmt.Errorf("accepting: %w", err)
		}
		conns = append(conns, c.(*net.TCPConn))
	}
	return conns, nil
}

// span returns conns[from:to], from their decimal text.
func span(conns []*net.TCPConn, from, to string) ([]*net.TCPConn, error) {
	i, err1 := strconv.Atoi(from)
	j, err2 := strconv.Atoi(to)
	if err1 != nil || err2 != nil || i < 0 || j < i || j > len(conns) {
		return nil, fmt.Errorf("bad span %s %s of %d connections", from, to, len(conns))
	}
	return conns[i:j], nil
}

// touch reads once from each connection without waiting: the first read of
// a registered service makes the kernel track the stream. The connections
// are idle, so that the reads find nothing.
func touch(conns []*net.TCPConn) error {
	var b [1]byte
	for i, c := range conns {
		rc, err := c.SyscallConn()
		if err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		var n int
		var rerr error
		if err := rc.Read(func(fd uintptr) bool {
			n, rerr = unix.Read(int(fd), b[:])
			return true // once, whatever it found
		}); err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
		if n > 0 {
			return fmt.Errorf("connection %d is not idle", i)
		}
		if rerr != nil && !errors.Is(rerr, unix.EAGAIN) {
			return fmt.Errorf("connection %d: read: %w", i, rerr)
		}
	}
	return nil
}

// readEach reads size bytes from each connection.
func readEach(conns []*net.TCPConn, size string) error {
	s, err := strconv.Atoi(size)
	if err != nil || s < 1 {
		return fmt.Errorf("bad size %q", size)
	}
	buf := make([]byte, s)
	for i, c := range conns {
		if _, err := io.ReadFull(c, buf); err != nil {
			return fmt.Errorf("connection %d: %w", i, err)
		}
	}
	return nil
}

// A goService is the Go service as the bench drives it.
type goService struct {
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	addr string
}

// startService starts this program as the Go service, listening on addr,
// with its incarnations below restarts faulting at once, and waits for it
// to listen. commit says whether it commits its standard input after each
// command (which only a registered service can).
func startService(self, addr string, restarts int, commit bool) (*goService, error) {
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), roleEnv+"=service", addrEnv+"="+addr,
		restartsEnv+"="+strconv.Itoa(restarts))
	if commit {
		cmd.Env = append(cmd.Env, commitEnv+"=1")
	}
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("go service: %w", err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("go service: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting the go service: %w", err)
	}
	s := &goService{cmd: cmd, in: in, out: bufio.NewReader(out), addr: addr}
	line, err := s.line()
	if err == nil && line != "listening" {
		err = fmt.Errorf("go service: %s", line)
	}
	if err != nil {
		_ = s.stop()
		return nil, err
	}
	return s, nil
}

// pid is the service's process.
func (s *goService) pid() int { return s.cmd.Process.Pid }

// line reads the service's next line.
func (s *goService) line() (string, error) {
	line, err := s.out.ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("reading from the go service: %w", err)
	}
	return strings.TrimSuffix(line, "\n"), nil
}

// send sends the service a command without waiting for an answer.
func (s *goService) send(command string) error {
	if _, err := io.WriteString(s.in, command+"\n"); err != nil {
		return fmt.Errorf("go service %q: %w", command, err)
	}
	return nil
}

// do sends the service a command and waits for its answer.
func (s *goService) do(command string) error {
	if err := s.send(command); err != nil {
		return err
	}
	line, err := s.line()
	switch {
	case err != nil:
		return fmt.Errorf("go service %q: %w", command, err)
	case line != "ok":
		return fmt.Errorf("go service %q: %s", command, line)
	}
	return nil
}

// connect opens n connections to the service, which accepts them, and
// returns the client ends.
func (s *goService) connect(n int) ([]*net.TCPConn, error) {
	type dialled struct {
		conns []*net.TCPConn
		err   error
	}
	dc := make(chan dialled, 1)
	go func() {
		conns, err := dialAll(s.addr, n)
		dc <- dialled{conns, err}
	}()
	ac := make(chan error, 1)
	go func() { ac <- s.do("accept " + strconv.Itoa(n)) }()
	var d dialled
	var aerr error
	select {
	case d = <-dc:
		if d.err != nil {
			// The service waits for connections that will not come.
			_ = s.cmd.Process.Kill()
		}
		aerr = <-ac
	case aerr = <-ac:
		d = <-dc
	}
	if err := errors.Join(d.err, aerr); err != nil {
		closeAll(d.conns)
		return nil, err
	}
	return d.conns, nil
}

// stop closes the service's standard input, which ends it, and waits for
// it.
func (s *goService) stop() error {
	_ = s.in.Close()
	// Drain what it still says, or it could block on a full pipe.
	_, _ = io.Copy(io.Discard, s.out)
	if err := s.cmd.Wait(); err != nil {
		return fmt.Errorf("go service: %w", err)
	}
	return nil
}

// dialAll opens n TCP connections to addr.
func dialAll(addr string, n int) ([]*net.TCPConn, error) {
	conns := make([]*net.TCPConn, 0, n)
	for range n {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			closeAll(conns)
			return nil, fmt.Errorf("connection %d of %d: %w", len(conns)+1, n, err)
		}
		conns = append(conns, c.(*net.TCPConn))
	}
	return conns, nil
}

// closeAll closes conns with a reset, which leaves no socket in TIME_WAIT
// to be freed a minute later, in the middle of another measurement.
func closeAll(conns []*net.TCPConn) {
	for _, c := range conns {
		_ = c.SetLinger(0)
		_ = c.Close()
	}
}

// freeAddr returns a loopback TCP address nobody listens on.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	addr := l.Addr().String()
	if err := l.Close(); err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	return addr, nil
}
