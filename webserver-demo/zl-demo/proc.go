package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// A proc is a program zl-demo started: the server, under zlctl or
// zl-supervise. Its standard error and the lines of its standard output
// other than "ready" go to a log file.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File

	ready   chan struct{} // closed at the first "ready" line
	readies atomic.Int64  // "ready" lines so far
	exited  chan struct{} // closed when the process has exited
	waitErr error         // set before exited is closed
	output  sync.WaitGroup
}

// startProc starts argv with its output in the log file logPath.
func startProc(name string, argv []string, logPath string) (*proc, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("making the log of %s: %w", name, err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		log.Close()
		return nil, fmt.Errorf("making a pipe for %s: %w", name, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout = w
	cmd.Stderr = log
	cmd.SysProcAttr = sysProcAttr()
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		log.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: log, ready: make(chan struct{}), exited: make(chan struct{})}
	p.output.Go(func() {
		defer r.Close()
		p.readLines(r)
	})
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// readLines counts the "ready" lines of r and copies the others to the
// log.
func (p *proc) readLines(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if strings.TrimSpace(sc.Text()) == "ready" {
			if p.readies.Add(1) == 1 {
				close(p.ready)
			}
			continue
		}
		fmt.Fprintf(p.log, "[stdout] %s\n", sc.Text())
	}
}

// pid returns the process's PID.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// waitReady waits until the process says "ready".
func (p *proc) waitReady(timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.ready:
		return nil
	case <-p.exited:
		return fmt.Errorf("%s exited before it was ready (%v); its log %s ends with:\n%s", p.name, p.waitErr, p.log.Name(), tail(p.log.Name(), 10))
	case <-t.C:
		return fmt.Errorf("%s not ready after %v; its log %s ends with:\n%s", p.name, timeout, p.log.Name(), tail(p.log.Name(), 10))
	}
}

// stop ends the process with SIGTERM, or SIGKILL after timeout, and
// returns its exit error when it was not ended by the signals sent.
func (p *proc) stop(timeout time.Duration) error {
	defer p.log.Close()
	select {
	case <-p.exited:
		p.waitOutput()
		return fmt.Errorf("%s had exited: %v", p.name, p.waitErr)
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.exited:
	case <-t.C:
		_ = p.cmd.Process.Kill()
		<-p.exited
		p.waitOutput()
		return fmt.Errorf("%s did not exit within %v of SIGTERM: killed", p.name, timeout)
	}
	p.waitOutput()
	var xerr *exec.ExitError
	if errors.As(p.waitErr, &xerr) {
		if ws, ok := xerr.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			return nil
		}
	}
	return p.waitErr
}

// waitOutput waits a little for the end of the process's output: a
// process it started may hold it open.
func (p *proc) waitOutput() {
	done := make(chan struct{})
	go func() {
		p.output.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// tail returns the last n lines of the file at path, indented.
func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "  (" + err.Error() + ")"
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "  " + strings.Join(lines, "\n  ")
}
