//go:build linux

package main

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/zl-dev/zl/bench/internal/results"
	"github.com/zl-dev/zl/internal/demo/proc"
	"github.com/zl-dev/zl/libzl"
)

// Modes of the server.
const (
	modePlain = "plain"         // started directly, not registered
	modeZLR   = results.ModeZLR // started by `zlctl run`, replay and dedup on
)

// The programs the benchmark runs, in the -bin directory.
const (
	serverProgram = "zl-webserver-demo"
	cgiProgram    = "zl-cgi-demo"
	zlctlProgram  = "zlctl"
)

// serviceName is the name the server is registered under in the zlr mode.
const serviceName = "webdemo-overhead"

// replayLimit is the zlr mode's replay limit: zl-demo's smallest, far
// more than the small requests of the loads hold.
const replayLimit = "16MiB"

// stopTimeout is how long the server has to exit after SIGTERM.
const stopTimeout = 15 * time.Second

// A server is the web server demo, started in one mode.
type server struct {
	*proc.Proc
	mode string
	addr string // where it listens
	dir  string // its static files, journal and log
}

// serverArgs returns the command line of the web server demo in mode, its
// programs in bin, listening on addr, its files in dir, without faults.
// In the zlr mode, zlctl registers it as zl-demo's zlr phase does and
// executes it.
func serverArgs(mode, bin, dir, addr string) []string {
	args := []string{
		filepath.Join(bin, serverProgram),
		"-addr", addr,
		"-root", filepath.Join(dir, "static"), "-gen-static",
		"-cgi", filepath.Join(bin, cgiProgram),
		"-journal", filepath.Join(dir, "journal"),
	}
	if mode == modeZLR {
		zl := []string{
			filepath.Join(bin, zlctlProgram), "run",
			"--name", serviceName,
			"--fault-exit-codes", "2",
			"--max-restarts", "10000",
			"--window", "60s",
			"--replay-limit", replayLimit,
			"--",
		}
		args = append(zl, args...)
	}
	return args
}

// serverEnv returns env without the variables that would inject faults
// into the server or make it believe it was restarted.
func serverEnv(env []string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "ZL_DEMO_FAULT", "ZL_INCARNATION":
			continue
		}
		out = append(out, kv)
	}
	return out
}

// freeAddr returns a loopback address with a TCP port free at the time.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// startServer starts the web server demo in mode with its programs in bin
// and its files in dir, and waits until it says it is ready (at most
// readyTimeout) and the kernel has it registered in the zlr mode, and not
// in the plain one.
func startServer(mode, bin, dir string, readyTimeout time.Duration) (*server, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	argv := serverArgs(mode, bin, dir, addr)
	p, err := proc.Start("the "+mode+" server", argv, serverEnv(os.Environ()), filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	s := &server{Proc: p, mode: mode, addr: addr, dir: dir}
	if err := s.WaitReady(readyTimeout); err != nil {
		_ = s.stop()
		return nil, err
	}
	if err := s.checkRegistration(); err != nil {
		_ = s.stop()
		return nil, err
	}
	return s, nil
}

// checkRegistration checks that the kernel has the server registered with
// replay and de-duplication on in the zlr mode, and not registered in the
// plain mode.
func (s *server) checkRegistration() error {
	c, err := libzl.Dial()
	if errors.Is(err, libzl.ErrNotSupported) {
		return errors.New("this kernel has no zlr support: run the benchmark in the VM (ci/vm-run)")
	}
	if err != nil {
		return fmt.Errorf("connecting to zlr: %w", err)
	}
	defer c.Close()
	svc, err := c.Service(libzl.ByPID(s.PID()))
	switch {
	case s.mode == modePlain && errors.Is(err, os.ErrNotExist):
		return nil
	case s.mode == modePlain && err == nil:
		return fmt.Errorf("the plain server (pid %d) is registered with zlr as service %d", svc.PID, svc.ID)
	case err != nil:
		return fmt.Errorf("looking up the %s server (pid %d): %w", s.mode, s.PID(), err)
	}
	const want = libzl.FlagReplay | libzl.FlagDedup
	if svc.Policy.Flags&want != want {
		return fmt.Errorf("the zlr server (service %d) has policy flags %v, want replay and dedup", svc.ID, svc.Policy.Flags)
	}
	return nil
}

// idleTimeout is how long the server's CGI processes have to finish after
// a wrk run.
const idleTimeout = 2 * time.Minute

// idlePoll is how often waitIdle looks at the server's children.
const idlePoll = 20 * time.Millisecond

// waitIdle waits until the server has no child process left: the CGI
// programs of a wrk run outlive the connections that asked for them (wrk
// closes them at the end of its run), and would take the processor from
// the next run, or from the next server after the server stops. It polls
// the kernel's list of children, at most idleTimeout.
func (s *server) waitIdle() error {
	deadline := time.Now().Add(idleTimeout)
	for {
		n, err := countChildren(s.PID())
		if err != nil {
			return fmt.Errorf("the %s server's children: %w", s.mode, err)
		}
		if n == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the %s server still had %d child processes %v after the run", s.mode, n, idleTimeout)
		}
		select {
		case <-s.Exited():
			return fmt.Errorf("during the run: %w", s.ExitError())
		case <-time.After(idlePoll):
		}
	}
}

// countChildren counts the child processes of pid, from
// /proc/PID/task/*/children (CONFIG_PROC_CHILDREN).
func countChildren(pid int) (int, error) {
	files, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil {
		return 0, fmt.Errorf("listing the threads of process %d: %w", pid, err)
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("no /proc/%d/task/*/children: the process is gone, or the kernel lacks CONFIG_PROC_CHILDREN", pid)
	}
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if errors.Is(err, os.ErrNotExist) {
			continue // the thread has exited
		}
		if err != nil {
			return 0, fmt.Errorf("reading %s: %w", f, err)
		}
		n += len(strings.Fields(string(b)))
	}
	return n, nil
}

// stop ends the server with SIGTERM, or SIGKILL after stopTimeout, and
// returns an error when it had exited before, or did not die of the
// signal.
func (s *server) stop() error {
	if err := s.Stop(stopTimeout); err != nil {
		return fmt.Errorf("%w; its log %s ends with:\n%s", err, s.LogName(), proc.Tail(s.LogName(), 10))
	}
	return nil
}
