package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/zl-dev/zl/internal/demoload"
)

// Options are the inputs of Supervise.
type Options struct {
	// Listen is the TCP address of the listening socket.
	Listen string

	// Listener, if not nil, is used instead of listening on Listen (for
	// tests).
	Listener *net.TCPListener

	// StatsFile, if not empty, receives the statistics on exit.
	StatsFile string

	// RestartDelay is the wait before each restart.
	RestartDelay time.Duration

	// StopTimeout is how long the command has to exit after the signal
	// passed on; then it is killed.
	StopTimeout time.Duration

	// Command is the command and its arguments.
	Command []string

	// Stdout receives the command's standard output, Stderr the
	// supervisor's messages; the command's standard error is the
	// supervisor's own.
	Stdout, Stderr io.Writer

	// Signals delivers the signals that stop the supervisor; they are
	// passed on to the command.
	Signals <-chan os.Signal
}

// maxUnready is the number of exits in a row, each before the command
// said "ready", after which the supervisor gives up: the command is broken,
// not crashing now and then.
const maxUnready = 5

// readyLine is the line the command prints when it serves.
const readyLine = "ready"

// A child is one process of the command.
type child struct {
	gen   int
	cmd   *exec.Cmd
	ready chan time.Time // gets the time of the "ready" line
	done  chan struct{}  // closed when the process's output ended
	exit  chan exitInfo
}

type exitInfo struct {
	status string // such as "exit status 2"
	at     time.Time
}

// Supervise runs the command until a signal arrives, restarting it each
// time it exits, and returns once it exited for good; it writes the
// statistics to opts.StatsFile and a summary to opts.Stderr.
func Supervise(opts *Options) error {
	ln := opts.Listener
	if ln == nil {
		l, err := net.Listen("tcp", opts.Listen)
		if err != nil {
			return fmt.Errorf("listening: %w", err)
		}
		ln = l.(*net.TCPListener)
	}
	defer ln.Close()
	lf, err := ln.File()
	if err != nil {
		return fmt.Errorf("getting the listener's descriptor: %w", err)
	}
	defer lf.Close()

	stats := demoload.SupervisorStats{Exits: map[string]int{}, Ready: []time.Duration{}}
	err = supervise(opts, lf, &stats)
	stats.Latency = demoload.Percentiles(stats.Ready)
	fmt.Fprintln(opts.Stderr, "zl-supervise:", summary(&stats))
	if opts.StatsFile != "" {
		if werr := writeStats(opts.StatsFile, &stats); werr != nil {
			err = errors.Join(err, werr)
		}
	}
	return err
}

func supervise(opts *Options, lf *os.File, stats *demoload.SupervisorStats) error {
	var (
		death    time.Time // of the previous process, zero for the first
		unready  int       // exits in a row before "ready"
		stopping bool
		killAt   <-chan time.Time
	)
	c, err := start(opts, lf, 0)
	if err != nil {
		return err
	}
	stats.Starts++
	isReady := false
	for {
		select {
		case at := <-c.ready:
			isReady = true
			unready = 0
			if !death.IsZero() {
				stats.Ready = append(stats.Ready, at.Sub(death))
			}
		case sig := <-opts.Signals:
			if !stopping {
				stopping = true
				killAt = time.After(opts.StopTimeout)
			}
			_ = c.cmd.Process.Signal(sig)
		case <-killAt:
			fmt.Fprintf(opts.Stderr, "zl-supervise: %s did not exit %v after the signal: killing it\n", opts.Command[0], opts.StopTimeout)
			_ = c.cmd.Process.Kill()
		case ex := <-c.exit:
			// Take the "ready" line the process may have printed just
			// before it died.
			select {
			case <-c.done:
			case <-time.After(time.Second):
			}
			select {
			case at := <-c.ready:
				isReady = true
				unready = 0
				if !death.IsZero() {
					stats.Ready = append(stats.Ready, at.Sub(death))
				}
			default:
			}
			if stopping {
				return nil
			}
			stats.Exits[ex.status]++
			death = ex.at
			if !isReady {
				if unready++; unready >= maxUnready {
					return fmt.Errorf("%s exited %d times in a row without saying %q (last: %s): giving up", opts.Command[0], unready, readyLine, ex.status)
				}
			}
			if opts.RestartDelay > 0 {
				select {
				case <-time.After(opts.RestartDelay):
				case <-opts.Signals:
					return nil
				}
			}
			if c, err = start(opts, lf, c.gen+1); err != nil {
				return err
			}
			stats.Starts++
			stats.Restarts++
			isReady = false
		}
	}
}

// start starts process gen of the command with the listener as
// descriptor 3.
func start(opts *Options, lf *os.File, gen int) (*child, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("making a pipe for the command's output: %w", err)
	}
	cmd := exec.Command(opts.Command[0], opts.Command[1:]...)
	cmd.Env = append(withoutListenEnv(os.Environ()), "LISTEN_FDS=1")
	cmd.ExtraFiles = []*os.File{lf}
	cmd.Stdout = w
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = sysProcAttr()
	err = cmd.Start()
	w.Close()
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("starting %s: %w", opts.Command[0], err)
	}
	c := &child{gen: gen, cmd: cmd, ready: make(chan time.Time, 1), done: make(chan struct{}), exit: make(chan exitInfo, 1)}
	go func() {
		defer close(c.done)
		defer r.Close()
		copyLines(r, opts.Stdout, c.ready)
	}()
	go func() {
		err := cmd.Wait()
		at := time.Now()
		status := "exit status 0"
		var xerr *exec.ExitError
		switch {
		case errors.As(err, &xerr):
			status = xerr.ProcessState.String()
		case err != nil:
			status = err.Error()
		}
		c.exit <- exitInfo{status: status, at: at}
	}()
	return c, nil
}

// copyLines copies the lines of r to w and sends the time of the first
// "ready" line on ready.
func copyLines(r io.Reader, w io.Writer, ready chan<- time.Time) {
	br := bufio.NewReader(r)
	sent := false
	for {
		line, err := br.ReadString('\n')
		if !sent && strings.TrimRight(line, "\r\n") == readyLine {
			ready <- time.Now()
			sent = true
		}
		if line != "" {
			_, _ = io.WriteString(w, line)
		}
		if err != nil {
			return
		}
	}
}

// withoutListenEnv returns env without the variables of socket activation.
func withoutListenEnv(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "LISTEN_FDS=") && !strings.HasPrefix(kv, "LISTEN_PID=") && !strings.HasPrefix(kv, "LISTEN_FDNAMES=") {
			out = append(out, kv)
		}
	}
	return out
}

func writeStats(path string, stats *demoload.SupervisorStats) error {
	b, err := json.MarshalIndent(stats, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding the statistics: %w", err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing the statistics: %w", err)
	}
	return nil
}

// summary describes stats in a line.
func summary(s *demoload.SupervisorStats) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d restarts", s.Restarts)
	if s.Latency.Count > 0 {
		fmt.Fprintf(&b, "; death to ready: p50 %s, p99 %s, max %s",
			demoload.FormatDuration(s.Latency.P50), demoload.FormatDuration(s.Latency.P99), demoload.FormatDuration(s.Latency.Max))
	}
	if len(s.Exits) > 0 {
		statuses := make([]string, 0, len(s.Exits))
		for st := range s.Exits {
			statuses = append(statuses, st)
		}
		sort.Strings(statuses)
		for i, st := range statuses {
			statuses[i] = fmt.Sprintf("%s ×%d", st, s.Exits[st])
		}
		fmt.Fprintf(&b, "; exits: %s", strings.Join(statuses, ", "))
	}
	return b.String()
}
