//go:build linux

// Command restartlat measures how long zlr takes to restart a service in
// place, beside the two ways to do without it, in the same boot: a bare
// fork+execve of the same binary (the floor any restart pays) and a
// user-space supervisor that keeps the listening socket and starts the
// service again when it dies (systemd's Restart=on-failure with socket
// activation), both at once and after systemd's default RestartSec=100ms.
//
// It measures two services: zlr-tiny, a small static C program that is
// ready at its main, and the web server demo (zl-webserver-demo with its
// static files and CGI program), a Go program that is ready when it has
// adopted or made its listener and says "ready". Each restart starts with a
// crash: restartlat sends the service SIGSEGV (the Go runtime then exits
// with status 2, which the zlr policy lists as a fault) and times, over -n
// restarts per service and mode:
//
//   - zlr: interception → exec done, the kernel's part, from the RESTART
//     events of the monitor group;
//   - zlr: interception → ready, from the kernel's stamp of the fault to
//     readiness;
//   - crash → ready, for zlr and for the supervisors: from the signal sent
//     to readiness;
//   - fork → ready, for a bare fork+execve: from just before the fork to
//     readiness.
//
// Readiness is the static service's own CLOCK_BOOTTIME stamp at main, and
// the instant restartlat reads the web server's "ready" line.
//
// It also reports each service's open descriptors after its first and its
// last zlr restart, and the kernel's unreclaimable slab before the restarts,
// after a tenth of them and after the last. Absolute times from an emulated
// VM are noisy; the ratios carry over. It must run as root on a kernel with
// zlr (see ci/vm-run).
//
// Usage:
//
//	restartlat [-n 1000] [-n-baseline N] [-bin build/bin] [-zlctl bin/zlctl] [-services tiny,web] [-json out.json]
package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"golang.org/x/sys/unix"

	"github.com/zl-dev/zl/bench/internal/results"
	"github.com/zl-dev/zl/libzl"
)

// systemdRestartDelay is systemd's default RestartSec: how long it waits
// before it starts a failed service again.
const systemdRestartDelay = 100 * time.Millisecond

// readyTimeout bounds the wait for one start or restart.
const readyTimeout = time.Minute

func main() {
	n := flag.Int("n", 1000, "zlr restarts per service")
	nBase := flag.Int("n-baseline", 0, "fork+execve runs and supervisor restarts per service (default: -n)")
	bin := flag.String("bin", "build/bin", "`directory` of zlr-tiny, zl-webserver-demo and zl-cgi-demo")
	zlctl := flag.String("zlctl", "bin/zlctl", "zlctl, to start the services with `zlctl run`")
	which := flag.String("services", "tiny,web", "services to measure: tiny, web or both")
	jsonOut := flag.String("json", "", "also write the results to this file, as JSON")
	flag.Parse()
	if *nBase == 0 {
		*nBase = *n
	}
	if *n < 1 || *nBase < 1 {
		fmt.Fprintln(os.Stderr, "restartlat: -n and -n-baseline must be at least 1")
		os.Exit(2)
	}
	if err := results.WaitFineClock(time.Minute); err != nil {
		fmt.Fprintln(os.Stderr, "restartlat:", err)
		os.Exit(1)
	}
	if err := run(*n, *nBase, *bin, *zlctl, *which, *jsonOut); err != nil {
		fmt.Fprintln(os.Stderr, "restartlat:", err)
		os.Exit(1)
	}
}

// boottime reads CLOCK_BOOTTIME, the clock of the kernel's event stamps.
func boottime() time.Duration {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		panic(err)
	}
	return time.Duration(ts.Nano())
}

// A service is one of the programs measured.
type service struct {
	name string
	path string
	args []string
	env  []string
	// addr, when set, is where the service serves: started by fork+execve
	// or by the supervisor, it gets a listening socket there as descriptor
	// 3 with LISTEN_FDS=1; under zlr it makes its own, and adopts it after
	// a restart.
	addr string
	// goExit is true for a Go program, which exits with status 2 on SIGSEGV.
	goExit bool
}

func services(bin, which string) ([]service, error) {
	var out []service
	for _, w := range strings.Split(which, ",") {
		switch w {
		case "tiny":
			out = append(out, service{
				name: "static C (zlr-tiny)",
				path: filepath.Join(bin, "zlr-tiny"),
				env:  []string{"ZLR_TINY_RESTARTS=0"},
			})
		case "web":
			dir, err := os.MkdirTemp("", "restartlat-web")
			if err != nil {
				return nil, err
			}
			out = append(out, service{
				name: "web server demo",
				path: filepath.Join(bin, "zl-webserver-demo"),
				args: []string{"-addr", "127.0.0.1:18181", "-root", dir, "-gen-static",
					"-cgi", filepath.Join(bin, "zl-cgi-demo"), "-journal", filepath.Join(dir, "journal")},
				// No traceback: the crash is the same for every mode, and
				// the supervisors would pay for printing it too.
				env:    []string{"GOTRACEBACK=none", "ZL_DEMO_FAULT="},
				addr:   "127.0.0.1:18181",
				goExit: true,
			})
		default:
			return nil, fmt.Errorf("unknown service %q: want tiny or web", w)
		}
	}
	return out, nil
}

func run(n, nBase int, bin, zlctl, which, jsonOut string) error {
	svcs, err := services(bin, which)
	if err != nil {
		return err
	}
	res := results.RestartLat{Restarts: n}
	for _, s := range svcs {
		add := func(mode, measure string, lat []time.Duration) {
			res.Series = append(res.Series, results.RestartSeries{
				Service: s.name, Mode: mode, Measure: measure, Dist: results.NewDist(lat)})
		}
		// The floor first: it also writes the web server's static files.
		lat, err := forkExec(s, nBase)
		if err != nil {
			return fmt.Errorf("%s: fork+execve: %w", s.name, err)
		}
		add(results.ModeForkExec, results.StartToReady, lat)

		z, err := zlrRestarts(s, n, zlctl)
		if err != nil {
			return fmt.Errorf("%s: zlr: %w", s.name, err)
		}
		add(results.ModeZLR, results.InterceptToExec, z.execDone)
		add(results.ModeZLR, results.InterceptToReady, z.interceptReady)
		add(results.ModeZLR, results.CrashToReady, z.crashReady)
		res.Services = append(res.Services, z.health)

		if lat, err = supervise(s, nBase, 0); err != nil {
			return fmt.Errorf("%s: supervisor: %w", s.name, err)
		}
		add(results.ModeSupervisor, results.CrashToReady, lat)
		if lat, err = supervise(s, nBase, systemdRestartDelay); err != nil {
			return fmt.Errorf("%s: supervisor with RestartSec: %w", s.name, err)
		}
		add(results.ModeSystemd, results.CrashToReady, lat)
	}
	printResults(&res)
	if jsonOut != "" {
		return results.Write(jsonOut, &res)
	}
	return nil
}

// A line is a line of a child's standard output, with the instant it was read.
type line struct {
	text string
	at   time.Duration
}

// A child is a running service.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan line // closed at end of file
}

// start starts path with args and env (beyond ours), and extra descriptors
// from 3 on.
func start(path string, args, env []string, extra ...*os.File) (*child, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.ExtraFiles = extra
	cmd.Stderr = io.Discard
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &child{cmd: cmd, stdin: stdin, lines: make(chan line, 16)}
	go func() {
		defer close(c.lines)
		r := bufio.NewReader(out)
		for {
			s, err := r.ReadString('\n')
			if err != nil {
				return
			}
			c.lines <- line{text: strings.TrimSuffix(s, "\n"), at: boottime()}
		}
	}()
	return c, nil
}

// ready waits for the child's next readiness and returns its instant: the
// stamp of zlr-tiny's report line, or when the "ready" line was read.
func (c *child) ready() (time.Duration, error) {
	timeout := time.After(readyTimeout)
	for {
		select {
		case l, ok := <-c.lines:
			if !ok {
				return 0, errors.New("the service closed its output before it was ready")
			}
			if l.text == "ready" {
				return l.at, nil
			}
			if rest, ok := strings.CutPrefix(l.text, "t="); ok {
				t, err := strconv.ParseInt(strings.Fields(rest)[0], 10, 64)
				if err != nil {
					return 0, fmt.Errorf("bad report %q: %w", l.text, err)
				}
				return time.Duration(t), nil
			}
		case <-timeout:
			return 0, fmt.Errorf("not ready after %v", readyTimeout)
		}
	}
}

// stop kills the child and reaps it.
func (c *child) stop() {
	c.cmd.Process.Kill()
	c.stdin.Close()
	c.cmd.Wait()
}

// crash sends the child SIGSEGV and returns when it was sent.
func crash(pid int) (time.Duration, error) {
	t := boottime()
	if err := unix.Kill(pid, unix.SIGSEGV); err != nil {
		return 0, fmt.Errorf("crashing %d: %w", pid, err)
	}
	return t, nil
}

// listenFile makes the listening socket a supervisor keeps for s, or nil.
func listenFile(s service) (*os.File, func(), error) {
	if s.addr == "" {
		return nil, func() {}, nil
	}
	l, err := net.Listen("tcp", s.addr)
	if err != nil {
		return nil, nil, err
	}
	f, err := l.(*net.TCPListener).File()
	l.Close()
	if err != nil {
		return nil, nil, err
	}
	return f, func() { f.Close() }, nil
}

// startActivated starts s as a supervisor does: with lf, if any, as
// descriptor 3 and LISTEN_FDS=1.
func startActivated(s service, lf *os.File) (*child, error) {
	if lf == nil {
		return start(s.path, s.args, s.env)
	}
	return start(s.path, s.args, append(s.env, "LISTEN_FDS=1"), lf)
}

// forkExec starts s n times with a plain fork+execve and measures the time
// from just before the fork to its readiness.
func forkExec(s service, n int) ([]time.Duration, error) {
	lf, closeLF, err := listenFile(s)
	if err != nil {
		return nil, err
	}
	defer closeLF()
	lat := make([]time.Duration, 0, n)
	for range n {
		t0 := boottime()
		c, err := startActivated(s, lf)
		if err != nil {
			return nil, err
		}
		t, err := c.ready()
		c.stop()
		if err != nil {
			return nil, err
		}
		lat = append(lat, t-t0)
	}
	return lat, nil
}

// supervise runs s under a supervisor that keeps its listener and starts
// it again, after delay, whenever it dies; it crashes s n times and
// measures each restart from the crash to readiness.
func supervise(s service, n int, delay time.Duration) ([]time.Duration, error) {
	lf, closeLF, err := listenFile(s)
	if err != nil {
		return nil, err
	}
	defer closeLF()
	c, err := startActivated(s, lf)
	if err != nil {
		return nil, err
	}
	if _, err := c.ready(); err != nil {
		c.stop()
		return nil, err
	}
	lat := make([]time.Duration, 0, n)
	for range n {
		t0, err := crash(c.cmd.Process.Pid)
		if err != nil {
			c.stop()
			return nil, err
		}
		// What a supervisor does on SIGCHLD: reap, wait, start again.
		c.cmd.Wait()
		if delay > 0 {
			time.Sleep(delay) // the supervisor's policy, which is measured
		}
		if c, err = startActivated(s, lf); err != nil {
			return nil, err
		}
		t, err := c.ready()
		if err != nil {
			c.stop()
			return nil, err
		}
		lat = append(lat, t-t0)
	}
	c.stop()
	return lat, nil
}

// zlrResult is what zlrRestarts measured.
type zlrResult struct {
	execDone, interceptReady, crashReady []time.Duration
	health                               results.RestartHealth
}

// zlrRestarts runs s under `zlctl run`, crashes it n times and measures each
// restart from the kernel's events and the service's readiness.
func zlrRestarts(s service, n int, zlctl string) (*zlrResult, error) {
	mon, err := libzl.DialMonitor()
	if err != nil {
		return nil, err
	}
	defer mon.Close()
	ctl, err := libzl.Dial()
	if err != nil {
		return nil, err
	}
	defer ctl.Close()

	args := []string{"run", "--max-restarts", "10000", "--window", "1ms"}
	if s.goExit {
		args = append(args, "--fault-exit-codes", "2")
	}
	c, err := start(zlctl, append(append(args, "--", s.path), s.args...), s.env)
	if err != nil {
		return nil, err
	}
	defer c.stop()
	if _, err := c.ready(); err != nil {
		return nil, err
	}
	pid := c.cmd.Process.Pid
	svc, err := ctl.Service(libzl.ByPID(pid))
	if err != nil {
		return nil, fmt.Errorf("the service is not registered: %w", err)
	}

	r := &zlrResult{health: results.RestartHealth{Service: s.name, SlabBeforeKB: sunreclaimKB()}}
	for i := 1; i <= n; i++ {
		t0, err := crash(pid)
		if err != nil {
			return nil, err
		}
		// The event is read after the service is ready, not to wake this
		// program while the service starts.
		t, err := c.ready()
		if err != nil {
			return nil, fmt.Errorf("restart %d: %w", i, err)
		}
		ev, err := nextRestart(mon, svc.ID)
		if err != nil {
			return nil, fmt.Errorf("after %d restarts: %w", i-1, err)
		}
		if ev.Incarnation != uint32(i) || ev.Fault == nil {
			return nil, fmt.Errorf("restart %d: event of incarnation %d (fault %v)", i, ev.Incarnation, ev.Fault != nil)
		}
		r.execDone = append(r.execDone, ev.Latency)
		r.interceptReady = append(r.interceptReady, t-ev.Fault.Time)
		r.crashReady = append(r.crashReady, t-t0)
		switch i {
		case 1:
			r.health.FDsFirst = countFDs(pid)
		case max(n/10, 1):
			r.health.SlabWarmKB = sunreclaimKB()
		}
		if i == n {
			r.health.FDsLast = countFDs(pid)
			r.health.SlabAfterKB = sunreclaimKB()
		}
	}
	return r, nil
}

// nextRestart returns the next RESTART event of the service id.
func nextRestart(mon *libzl.Monitor, id uint32) (*libzl.Event, error) {
	if err := mon.SetDeadline(time.Now().Add(readyTimeout)); err != nil {
		return nil, err
	}
	for {
		ev, err := mon.Next()
		if err != nil {
			return nil, err
		}
		if ev.ID != id {
			continue
		}
		switch ev.Kind {
		case libzl.EventRestart:
			return ev, nil
		case libzl.EventGiveUp, libzl.EventExit:
			return nil, fmt.Errorf("unexpected %s event", ev.Kind)
		}
	}
}

// countFDs is the number of descriptors pid has open.
func countFDs(pid int) int {
	ents, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/fd")
	if err != nil {
		return -1
	}
	return len(ents)
}

// sunreclaimKB is the kernel's unreclaimable slab memory.
func sunreclaimKB() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "SUnreclaim:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb
		}
	}
	return -1
}

func us(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 0, 64) + " µs"
}

func ratio(a, b time.Duration) string {
	if b == 0 {
		return "-"
	}
	return strconv.FormatFloat(float64(a)/float64(b), 'f', 2, 64) + "×"
}

func printResults(res *results.RestartLat) {
	fmt.Printf("restart latency: %d zlr restarts per service, baselines beside them, in one boot\n", res.Restarts)
	t := tablewriter.NewWriter(os.Stdout)
	t.Header([]string{"service", "mode", "measure", "n", "p50", "p90", "p99", "max", "vs fork+execve (p50)", "vs supervisor (p50)"})
	for _, s := range res.Series {
		floor := res.Find(s.Service, results.ModeForkExec, results.StartToReady)
		sup := res.Find(s.Service, results.ModeSupervisor, results.CrashToReady)
		vsFloor, vsSup := "-", "-"
		if floor != nil {
			vsFloor = ratio(s.Dist.P50, floor.Dist.P50)
		}
		if sup != nil && s.Measure == results.CrashToReady {
			vsSup = ratio(s.Dist.P50, sup.Dist.P50)
		}
		d := s.Dist
		t.Append([]string{s.Service, s.Mode, s.Measure, strconv.Itoa(d.N),
			us(d.P50), us(d.P90), us(d.P99), us(d.Max), vsFloor, vsSup})
	}
	t.Render()
	for _, h := range res.Services {
		fmt.Printf("%s under zlr: descriptors %d after the first restart, %d after the last; "+
			"SUnreclaim %d kB before the first, %d kB after a tenth, %d kB after the last\n",
			h.Service, h.FDsFirst, h.FDsLast, h.SlabBeforeKB, h.SlabWarmKB, h.SlabAfterKB)
	}
}
