// Package proc starts a program that says "ready" on its standard output
// when it serves, as the web server demo does, waits for it and stops it:
// what zl-demo and the overhead benchmark share.
package proc

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

// A Proc is a started program. Its standard error and the lines of its
// standard output other than "ready" go to a log file.
type Proc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File

	ready   chan struct{} // closed at the first "ready" line
	readies atomic.Int64  // "ready" lines so far
	exited  chan struct{} // closed when the process has exited
	waitErr error         // set before exited is closed
	output  sync.WaitGroup
}

// Start starts argv, with the environment env (ours when nil), its output
// in the log file logPath, in a process group of its own, so that a ^C
// reaches the caller alone, which stops the program in order (and, on
// Linux, killed if the caller dies). name names it in errors.
func Start(name string, argv, env []string, logPath string) (*Proc, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("making the log of %s: %w", name, err)
	}
	// A pipe of our own rather than cmd.StdoutPipe: Wait must not wait for
	// the output, which a process the program started might hold.
	r, w, err := os.Pipe()
	if err != nil {
		log.Close()
		return nil, fmt.Errorf("making a pipe for %s: %w", name, err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
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
	p := &Proc{name: name, cmd: cmd, log: log, ready: make(chan struct{}), exited: make(chan struct{})}
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
// log, then drains r, so that the program never blocks on its output.
func (p *Proc) readLines(r io.Reader) {
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
	_, _ = io.Copy(io.Discard, r)
}

// PID returns the process's PID.
func (p *Proc) PID() int { return p.cmd.Process.Pid }

// Readies returns how many "ready" lines the program has written.
func (p *Proc) Readies() int64 { return p.readies.Load() }

// LogName returns the path of the program's log.
func (p *Proc) LogName() string { return p.log.Name() }

// Exited is closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.exited }

// ExitError describes how the process ended, once Exited is closed, with
// the end of its log.
func (p *Proc) ExitError() error {
	return fmt.Errorf("%s exited: %v; its log %s ends with:\n%s", p.name, p.waitErr, p.log.Name(), Tail(p.log.Name(), 10))
}

// WaitReady waits until the program says "ready", at most timeout.
func (p *Proc) WaitReady(timeout time.Duration) error {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case <-p.ready:
		return nil
	case <-p.exited:
		return fmt.Errorf("%s exited before it was ready (%v); its log %s ends with:\n%s", p.name, p.waitErr, p.log.Name(), Tail(p.log.Name(), 10))
	case <-t.C:
		return fmt.Errorf("%s not ready after %v; its log %s ends with:\n%s", p.name, timeout, p.log.Name(), Tail(p.log.Name(), 10))
	}
}

// Stop ends the process with SIGTERM, or SIGKILL after timeout, and
// returns its exit error when it was not ended by the signals sent, or an
// error when it had exited before.
func (p *Proc) Stop(timeout time.Duration) error {
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
func (p *Proc) waitOutput() {
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

// Tail returns the last n lines of the file at path, indented.
func Tail(path string, n int) string {
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
