//go:build linux

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/zl-dev/zl/bench/internal/results"
	"github.com/zl-dev/zl/libzl"
)

// sunreclaim reads the kernel's unreclaimable slab memory, in bytes. The
// test kernel has SLUB_TINY, hence no /proc/slabinfo; SUnreclaim counts
// every slab page and large kmalloc() that cannot be reclaimed, which is
// where zlr's objects go.
func sunreclaim() (int64, error) {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0, fmt.Errorf("reading SUnreclaim: %w", err)
	}
	return parseMeminfo(string(b), "SUnreclaim")
}

// helpers are zlr-tiny processes that do nothing: each wrote its line and
// waits for the end of file on a standard input they share.
type helpers struct {
	cmds  []*exec.Cmd
	stdin *os.File // the write end of their standard input
}

// startHelpers starts n zlr-tiny processes, with pad bytes more in their
// environment, and waits until each has written its line, so that they are
// idle in read(2).
func startHelpers(tiny string, n, pad int) (h *helpers, err error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("helpers: %w", err)
	}
	defer inR.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		inW.Close()
		return nil, fmt.Errorf("helpers: %w", err)
	}
	defer outR.Close()
	h = &helpers{stdin: inW}
	defer func() {
		if err != nil {
			err = errors.Join(err, h.stop())
			h = nil
		}
	}()

	// Their lines, counted as they come: a full pipe would stop them.
	lines := make(chan error, 1)
	go func() {
		r := bufio.NewReader(outR)
		for i := range n {
			line, err := r.ReadString('\n')
			if err == nil {
				_, err = parseTinyReport(line)
			}
			if err != nil {
				lines <- fmt.Errorf("helper line %d of %d: %w", i+1, n, err)
				return
			}
		}
		lines <- nil
	}()
	env := append(os.Environ(), "ZLR_TINY_RESTARTS=0")
	if pad > 0 {
		env = append(env, "ZLR_MEMSCALE_PAD="+strings.Repeat("x", pad))
	}
	for i := range n {
		cmd := exec.Command(tiny)
		cmd.Env = env
		cmd.Stdin = inR
		cmd.Stdout = outW
		if err := cmd.Start(); err != nil {
			outW.Close()
			return h, fmt.Errorf("starting helper %d of %d: %w", i+1, n, err)
		}
		h.cmds = append(h.cmds, cmd)
	}
	outW.Close() // the reader sees the end of file if they all die
	if err := <-lines; err != nil {
		return h, err
	}
	return h, nil
}

// pids are the helpers' processes.
func (h *helpers) pids() []int {
	p := make([]int, len(h.cmds))
	for i, c := range h.cmds {
		p[i] = c.Process.Pid
	}
	return p
}

// stop ends the helpers and waits for them.
func (h *helpers) stop() error {
	errs := []error{h.stdin.Close()}
	for _, c := range h.cmds {
		if err := c.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("helper %d: %w", c.Process.Pid, err))
		}
	}
	return errors.Join(errs...)
}

// imageBytes is the size of the argv and envp of process pid, which a
// restart image copies.
func imageBytes(pid int) (int, error) {
	var n int
	for _, f := range []string{"cmdline", "environ"} {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/" + f)
		if err != nil {
			return 0, fmt.Errorf("restart image size: %w", err)
		}
		n += len(b)
	}
	return n, nil
}

// serviceCost is what registering services costs, per round.
type serviceCost struct {
	// Slopes of SUnreclaim against the services registered, bytes per
	// service, one per round.
	slopes []float64
	// Control slopes: the same number of requests that register nothing
	// (a get of each service just registered), after each round.
	controls []float64
	// image is the argv and envp each registration copies, in bytes.
	image int
}

// perService is the figure: the median slope less the median control.
func (s serviceCost) perService() float64 {
	return results.Median(s.slopes) - results.Median(s.controls)
}

// measureServices registers the processes pids, rounds sets of n, one by
// one, and reads SUnreclaim after each tenth of a set; the slope of the
// readings against the number registered is the cost of a service. After
// each round it runs the control: as many get requests, which register
// nothing. It unregisters them all at the end: each round has fresh
// processes, as an unregistration frees its service's memory only up to
// seconds later (kfree_rcu()), which would show in the next round.
func measureServices(c *libzl.Client, pids []int, n, rounds int) (cost serviceCost, err error) {
	if cost.image, err = imageBytes(pids[0]); err != nil {
		return cost, err
	}
	var ids []uint32
	defer func() { err = errors.Join(err, unregisterAll(c, ids)) }()
	step := max(1, n/10)
	for r := range rounds {
		set := pids[r*n : (r+1)*n]
		slope, err := slabSlope(n, step, func(from, to int) error {
			for _, pid := range set[from:to] {
				svc, err := c.Register(libzl.Registration{PID: pid})
				if err != nil {
					return fmt.Errorf("registering pid %d: %w", pid, err)
				}
				ids = append(ids, svc.ID)
			}
			return nil
		})
		if err != nil {
			return cost, fmt.Errorf("round %d: %w", r+1, err)
		}
		cost.slopes = append(cost.slopes, slope)
		slope, err = slabSlope(n, step, func(from, to int) error {
			for _, pid := range set[from:to] {
				if _, err := c.Service(libzl.ByPID(pid)); err != nil {
					return fmt.Errorf("get of pid %d: %w", pid, err)
				}
			}
			return nil
		})
		if err != nil {
			return cost, fmt.Errorf("round %d, control: %w", r+1, err)
		}
		cost.controls = append(cost.controls, slope)
	}
	return cost, nil
}

// slabSlope calls do on the spans [0, step), [step, 2*step), ... of the
// first n integers, reads SUnreclaim before the first call and after each,
// and returns the slope of the readings against the integers done: bytes
// per unit. The slope of many readings, unlike a difference of two, is
// not at the mercy of the free objects slab pages happen to hold.
func slabSlope(n, step int, do func(from, to int) error) (float64, error) {
	s, err := sunreclaim()
	if err != nil {
		return 0, err
	}
	xs, ys := []float64{0}, []float64{float64(s)}
	for i := 0; i < n; i += step {
		if err := do(i, min(i+step, n)); err != nil {
			return 0, err
		}
		s, err := sunreclaim()
		if err != nil {
			return 0, err
		}
		xs = append(xs, float64(min(i+step, n)))
		ys = append(ys, float64(s))
	}
	slope, _, err := fit(xs, ys)
	return slope, err
}

// unregisterAll unregisters the services ids.
func unregisterAll(c *libzl.Client, ids []uint32) error {
	var errs []error
	for _, id := range ids {
		if err := c.Unregister(libzl.ByID(id)); err != nil {
			errs = append(errs, fmt.Errorf("unregistering service %d: %w", id, err))
		}
	}
	return errors.Join(errs...)
}

// A connSession is what one run of the Go service with m connections cost
// in kernel memory (SUnreclaim), phase by phase.
type connSession struct {
	conns int64 // bytes: dialling and accepting the connections
	// Slopes, in bytes per connection: of the service's first read of
	// each, which finds nothing, and of its reading a request from each.
	touch, read float64
	// The service's replay counters after the reads (registered only).
	held, streams uint64
}

// replayLimit is the policy's replay limit in the connection sessions:
// more than any request size this program accepts needs.
const replayLimit = 256 << 20

// measureConns runs the Go service with m idle connections, then m
// requests of size bytes in flight, registered or not. The service reads
// the connections a tenth at a time, and SUnreclaim is read after each
// tenth.
func measureConns(c *libzl.Client, self string, registered bool, m, size int) (sess connSession, err error) {
	addr, err := freeAddr()
	if err != nil {
		return sess, err
	}
	s, err := startService(self, addr, 0, registered)
	if err != nil {
		return sess, err
	}
	defer func() { err = errors.Join(err, s.stop()) }()
	if registered {
		limit := uint32(replayLimit)
		if _, err := c.Register(libzl.Registration{PID: s.pid(), Policy: libzl.PolicyConfig{ReplayLimit: &limit}}); err != nil {
			return sess, fmt.Errorf("registering the go service: %w", err)
		}
	}

	s0, err := sunreclaim()
	if err != nil {
		return sess, err
	}
	conns, err := s.connect(m)
	if err != nil {
		return sess, err
	}
	defer closeAll(conns)
	s1, err := sunreclaim()
	if err != nil {
		return sess, err
	}
	sess.conns = s1 - s0
	step := max(1, m/10)
	sess.touch, err = slabSlope(m, step, func(from, to int) error {
		return s.do(fmt.Sprintf("touch %d %d", from, to))
	})
	if err != nil {
		return sess, err
	}
	req := make([]byte, size)
	for i := range req {
		req[i] = byte('a' + i%26)
	}
	for i, cn := range conns {
		if _, err := cn.Write(req); err != nil {
			return sess, fmt.Errorf("sending request %d: %w", i, err)
		}
	}
	sess.read, err = slabSlope(m, step, func(from, to int) error {
		return s.do(fmt.Sprintf("read %d %d %d", size, from, to))
	})
	if err != nil {
		return sess, err
	}
	if registered {
		svc, err := c.Service(libzl.ByPID(s.pid()))
		if err != nil {
			return sess, fmt.Errorf("the go service: %w", err)
		}
		sess.held, sess.streams = svc.Replay.Held, svc.Replay.Streams
		// Its standard input is tracked too (and committed empty).
		if sess.streams < uint64(m) || sess.streams > uint64(m)+1 {
			return sess, fmt.Errorf("the kernel tracks %d streams of the service, want %d connections and standard input",
				sess.streams, m)
		}
	}
	return sess, nil
}

// A connRound is one measurement of the connections: the Go service
// unregistered, then registered.
type connRound struct {
	plain, reg connSession
}

// perIdle is the kernel memory of tracking an idle connection.
func (r connRound) perIdle() float64 { return r.reg.touch - r.plain.touch }

// perInflight is the kernel memory a request in flight holds.
func (r connRound) perInflight() float64 { return r.reg.read - r.plain.read }

// tinyRun is what a run of zlr-tiny under `zlctl run` reported.
type tinyRun struct {
	latencies []time.Duration // fault → exec done, from the monitor's RESTART events
	slabKB    []int64         // SUnreclaim by incarnation, as each read it
}

// runTiny starts zlr-tiny under `zlctl run`, has it fault n times in a row,
// and returns what each incarnation reported; with monitor, also the
// restart latencies from the monitor group's events.
func runTiny(c *libzl.Client, tiny, zlctl string, n int, monitor bool) (run tinyRun, err error) {
	var mon *libzl.Monitor
	if monitor {
		if mon, err = libzl.DialMonitor(); err != nil {
			return run, fmt.Errorf("monitor: %w", err)
		}
		defer mon.Close()
	}
	cmd := exec.Command(zlctl, "run", "--max-restarts", "10000", "--window", "1ms", "--", tiny)
	cmd.Env = append(os.Environ(), "ZLR_TINY_RESTARTS="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return run, fmt.Errorf("zlr-tiny: %w", err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return run, fmt.Errorf("zlr-tiny: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return run, fmt.Errorf("starting zlr-tiny: %w", err)
	}
	waited := false
	defer func() {
		if !waited {
			stdin.Close()
			_ = cmd.Wait()
		}
	}()
	out := bufio.NewReader(stdout)
	first, err := readTiny(out)
	if err != nil {
		return run, err
	}
	svc, err := c.Service(libzl.ByPID(cmd.Process.Pid))
	if err != nil {
		return run, fmt.Errorf("zlr-tiny is not registered: %w", err)
	}

	// The reports, read beside the events.
	type reportsRead struct {
		slabKB []int64
		err    error
	}
	reports := make(chan reportsRead, 1)
	go func() {
		rr := reportsRead{slabKB: make([]int64, 1, n+1)}
		rr.slabKB[0] = first.slabKB
		for i := 1; i <= n; i++ {
			rep, err := readTiny(out)
			if err == nil && rep.inc != uint32(i) {
				err = fmt.Errorf("zlr-tiny: incarnation %d, want %d", rep.inc, i)
			}
			if err != nil {
				rr.err = err
				break
			}
			rr.slabKB = append(rr.slabKB, rep.slabKB)
		}
		reports <- rr
	}()
	if _, err := stdin.Write([]byte{1}); err != nil {
		return run, fmt.Errorf("zlr-tiny: %w", err)
	}
	if monitor {
		if run.latencies, _, err = restartLatencies(mon, svc.ID, n); err != nil {
			return run, fmt.Errorf("zlr-tiny: %w", err)
		}
	}
	rr := <-reports
	if rr.err != nil {
		return run, rr.err
	}
	run.slabKB = rr.slabKB
	stdin.Close()
	waited = true
	if err := cmd.Wait(); err != nil {
		return run, fmt.Errorf("zlr-tiny: %w", err)
	}
	return run, nil
}

// readTiny reads a report of zlr-tiny.
func readTiny(r *bufio.Reader) (tinyReport, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("zlr-tiny ended early")
		}
		return tinyReport{}, fmt.Errorf("reading a zlr-tiny report: %w", err)
	}
	return parseTinyReport(line)
}

// restartLatencies returns the fault → exec done latencies of the next n
// restarts of service id, from the monitor's RESTART events, and the
// descriptors the last restart kept. A giveup or an exit of the service is
// an error.
func restartLatencies(mon *libzl.Monitor, id uint32, n int) ([]time.Duration, int, error) {
	lat := make([]time.Duration, 0, n)
	retained := 0
	if err := mon.SetDeadline(time.Now().Add(10 * time.Minute)); err != nil {
		return nil, 0, fmt.Errorf("monitor: %w", err)
	}
	for len(lat) < n {
		ev, err := mon.Next()
		if err != nil {
			return nil, 0, fmt.Errorf("after %d restarts: %w", len(lat), err)
		}
		if ev.ID != id {
			continue
		}
		switch ev.Kind {
		case libzl.EventRestart:
			lat = append(lat, ev.Latency)
			retained = ev.Retained
		case libzl.EventGiveUp, libzl.EventExit:
			return nil, 0, fmt.Errorf("unexpected %s event after %d restarts", ev.Kind, len(lat))
		}
	}
	return lat, retained, nil
}
