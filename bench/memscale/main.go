//go:build linux

// Command memscale measures what zlr costs in kernel memory, and how its
// restart latency grows with what a service holds and with the number of
// services, in one boot.
//
// Kernel memory is SUnreclaim of /proc/meminfo (the test kernel has
// SLUB_TINY, hence no /proc/slabinfo), read before and after the step
// measured, with what the step needs already in place. It reports:
//
//   - per registered service: -rounds sets of -services idle zlr-tiny
//     processes (a small static C program) are started first; then those
//     of a set are registered one by one by pid (Client.Register), and
//     SUnreclaim is read after each tenth. The figure is the slope of the
//     readings against the services registered, less that of a control, the
//     same number of requests that register nothing (a get of each), as a
//     median over the sets; target ≤ 4 KiB. A service's restart image
//     copies its argv and envp, whose size it prints (-pad-env makes the
//     environment of these processes larger);
//   - per tracked idle connection: this program in service mode, a Go
//     service, with -conns accepted idle TCP connections, registered and
//     not. The kernel tracks a stream of a registered service from its
//     first read, even one that finds nothing (an idle Go server's reads
//     do), so SUnreclaim is read before and after the service reads once
//     from each connection; the figure is the difference between the
//     registered and the unregistered service, per connection; target ≤
//     256 B;
//   - per request in flight: then each client sends -request bytes, which
//     the service reads and does not answer, so that the replay log holds
//     them; the same difference per request, beside what the kernel
//     accounts (the service's Replay.Held per request);
//   - growth over restarts, measured first, on a quiet machine: zlr-tiny
//     under `zlctl run` faults -restarts times in a row and reports
//     SUnreclaim at every incarnation; the figure is the least-squares
//     slope of the readings from incarnation -restarts/10 (after the
//     service's one-time allocations, such as its restart history) to the
//     last, in bytes per restart (the JSON's before and after are the
//     medians of the first and last tenth of those readings); target none;
//   - scale: fault → exec done, from the RESTART events of the monitor
//     group, -scale-restarts times per point, of the Go service holding F
//     tracked connections (-scale-fds; each incarnation adopts the listener
//     and the connections again with libzl.Listen and libzl.Conns, and
//     reports ready), and of zlr-tiny with N other services registered
//     (-scale-services); and the least-squares slopes of the medians, per
//     connection and per service.
//
// It prints the figures beside their targets, and writes results.Memory to
// -json-memory and results.Scale to -json-scale. A size of 0, or an empty
// list, skips a measurement. SUnreclaim moves by whole slab pages and with
// the rest of the machine: only counts of hundreds of objects give a
// figure per object. Absolute times from an emulated VM are noisy; the
// ratios carry over. It must run as root on a kernel with zlr (see
// ci/vm-run), best with /proc/sys/debug/exception-trace at 0, as ci/bench
// runs restartlat; it raises its RLIMIT_NOFILE for the connections.
//
// Usage:
//
//	memscale [-services 1000] [-rounds 3] [-conns 1000] [-request 1024]
//		[-restarts 10000] [-scale-fds 10,100,1000,10000]
//		[-scale-services 1,10,100,1000] [-scale-restarts 30]
//		[-pad-env 0] [-tiny build/bin/zlr-tiny] [-zlctl bin/zlctl]
//		[-json-memory FILE] [-json-scale FILE]
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/olekukonko/tablewriter"

	"github.com/zl-dev/zl/bench/internal/results"
	"github.com/zl-dev/zl/libzl"
)

// Targets.
const (
	targetPerService = 4096 // bytes of kernel memory per registered service
	targetPerIdle    = 256  // bytes per tracked idle connection
)

// config is what the flags ask for.
type config struct {
	services      int // processes registered for the cost of a service
	rounds        int // repetitions of the service and connection measurements
	conns         int // connections for the cost of a connection and of a request
	request       int // bytes of each request in flight
	restarts      int // restarts for the growth
	scaleFDs      []int
	scaleServices []int
	scaleRestarts int // restarts per point of scale
	padEnv        int // bytes added to the environment of the idle processes
	tiny, zlctl   string
	jsonMemory    string
	jsonScale     string
}

// main runs the Go service when the environment says so, the benchmark
// otherwise.
func main() {
	if os.Getenv(roleEnv) == "service" {
		os.Exit(service())
	}
	var cfg config
	flag.IntVar(&cfg.services, "services", 1000, "services registered to measure the cost of one (0: skip)")
	flag.IntVar(&cfg.padEnv, "pad-env", 0, "bytes to add to the environment of the processes registered, to see what a larger restart image costs")
	flag.IntVar(&cfg.rounds, "rounds", 3, "repetitions of the service and connection measurements")
	flag.IntVar(&cfg.conns, "conns", 1000, "connections to measure the cost of a tracked one and of a request in flight (0: skip)")
	flag.IntVar(&cfg.request, "request", 1024, "bytes of each request in flight")
	flag.IntVar(&cfg.restarts, "restarts", 10000, "restarts of zlr-tiny to measure the growth (0: skip)")
	fds := flag.String("scale-fds", "10,100,1000,10000", "tracked connections of the Go service at each point of scale")
	svcs := flag.String("scale-services", "1,10,100,1000", "other registered services at each point of scale")
	flag.IntVar(&cfg.scaleRestarts, "scale-restarts", 30, "restarts per point of scale")
	flag.StringVar(&cfg.tiny, "tiny", "build/bin/zlr-tiny", "the small static service")
	flag.StringVar(&cfg.zlctl, "zlctl", "bin/zlctl", "zlctl, to start zlr-tiny with `zlctl run`")
	flag.StringVar(&cfg.jsonMemory, "json-memory", "", "write the memory figures to this file as JSON")
	flag.StringVar(&cfg.jsonScale, "json-scale", "", "write the scale figures to this file as JSON")
	flag.Parse()

	var err error
	if cfg.scaleFDs, err = parseList(*fds, 1); err == nil {
		cfg.scaleServices, err = parseList(*svcs, 0)
	}
	if err == nil {
		err = cfg.check()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "memscale:", err)
		flag.Usage()
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "memscale:", err)
		os.Exit(1)
	}
}

// check refuses sizes that cannot be measured.
func (cfg config) check() error {
	switch {
	case cfg.services < 0 || cfg.conns < 0 || cfg.restarts < 0 || cfg.padEnv < 0:
		return errors.New("-services, -conns, -restarts and -pad-env must not be negative")
	case cfg.rounds < 1:
		return errors.New("-rounds must be at least 1")
	case cfg.request < 1 || int64(cfg.request)*int64(cfg.conns) > replayLimit/2:
		return fmt.Errorf("-request times -conns must be from 1 to %d bytes", replayLimit/2)
	case cfg.restarts == 1:
		return errors.New("-restarts must be 0 or at least 2: the growth is measured after a warm-up")
	case cfg.restarts > 10000:
		return errors.New("-restarts must be at most 10000, the kernel's most restarts in a window")
	case cfg.scaleRestarts < 1 || cfg.scaleRestarts > 10000:
		return errors.New("-scale-restarts must be from 1 to 10000")
	}
	return nil
}

// An outcome is everything measured.
type outcome struct {
	svc      serviceCost
	conns    []connRound
	growth   growth
	warm     int   // the incarnation growth is measured from
	retained []int // descriptors the last restart kept, per point of scale.FDs
	mem      results.Memory
	scale    results.Scale
}

// clockWait is how long the latency measurements wait for a fine clock.
const clockWait = 3 * time.Minute

// A clock tells whether the kernel's clocks are fine enough to time
// restarts.
type clock struct{ fine bool }

// wait waits, the first time, until the kernel's clocks have a fine
// resolution: in the VM the kernel may run on the tick (4 ms) for a minute
// or more after boot, and restart latencies taken then are worthless. The
// memory measurements, which come first, need no clock.
func (c *clock) wait() error {
	if c.fine {
		return nil
	}
	if err := results.WaitFineClock(clockWait); err != nil {
		return fmt.Errorf("timing restarts: %w", err)
	}
	c.fine = true
	return nil
}

// progress says on stderr what is being measured, with the time since t0.
func progress(t0 time.Time, format string, args ...any) {
	fmt.Fprintf(os.Stderr, "memscale: %6.1fs %s\n", time.Since(t0).Seconds(), fmt.Sprintf(format, args...))
}

// run measures what cfg asks for, prints the tables and writes the JSON
// files.
func run(cfg config) error {
	t0 := time.Now()
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("finding this program, to run it as the go service: %w", err)
	}
	most := cfg.conns
	for _, f := range cfg.scaleFDs {
		most = max(most, f)
	}
	if err := raiseNoFile(uint64(most) + 1024); err != nil {
		return err
	}
	c, err := libzl.Dial()
	if err != nil {
		return fmt.Errorf("dialling zlr: %w", err)
	}
	defer c.Close()

	o := outcome{mem: results.Memory{
		Services:         cfg.services,
		Connections:      cfg.conns,
		InflightRequests: cfg.conns,
		RequestBytes:     cfg.request,
		Restarts:         cfg.restarts,
	}}
	// First, while nothing earlier frees memory behind its back (kfree_rcu()
	// waits up to 5 s, the sockets of thousands of connections longer).
	if cfg.restarts > 0 {
		progress(t0, "growth over %d restarts", cfg.restarts)
		o.warm = max(1, cfg.restarts/10)
		run, err := runTiny(c, cfg.tiny, cfg.zlctl, cfg.restarts, false)
		if err != nil {
			return fmt.Errorf("growth: %w", err)
		}
		if o.growth, err = slabGrowth(run.slabKB, o.warm); err != nil {
			return err
		}
		o.mem.SlabBeforeKB = o.growth.beforeKB
		o.mem.SlabAfterKB = o.growth.afterKB
		o.mem.GrowthBytesPerStart = o.growth.perRestart
	}
	nHelpers := cfg.services * cfg.rounds
	if len(cfg.scaleServices) > 0 {
		nHelpers = max(nHelpers, cfg.scaleServices[len(cfg.scaleServices)-1])
	}
	var clk clock
	if nHelpers > 0 {
		if err := withHelpers(cfg, c, nHelpers, t0, &clk, &o); err != nil {
			return err
		}
	}
	for r := range cfg.rounds {
		if cfg.conns == 0 {
			break
		}
		progress(t0, "%d connections and requests, round %d of %d", cfg.conns, r+1, cfg.rounds)
		var round connRound
		if round.plain, err = measureConns(c, self, false, cfg.conns, cfg.request); err != nil {
			return fmt.Errorf("connections, unregistered: %w", err)
		}
		if round.reg, err = measureConns(c, self, true, cfg.conns, cfg.request); err != nil {
			return fmt.Errorf("connections, registered: %w", err)
		}
		o.conns = append(o.conns, round)
	}
	if len(o.conns) > 0 {
		var idle, inflight []float64
		for _, r := range o.conns {
			idle = append(idle, r.perIdle())
			inflight = append(inflight, r.perInflight())
		}
		o.mem.PerIdleConnBytes = results.Median(idle)
		o.mem.PerInflightBytes = results.Median(inflight)
	}
	for _, f := range cfg.scaleFDs {
		if err := clk.wait(); err != nil {
			return err
		}
		progress(t0, "restart latency with %d tracked connections", f)
		pt, retained, err := fdPoint(c, self, f, cfg.scaleRestarts)
		if err != nil {
			return fmt.Errorf("scale, %d connections: %w", f, err)
		}
		o.scale.FDs = append(o.scale.FDs, pt)
		o.retained = append(o.retained, retained)
	}
	o.scale.PerFD = results.Slope(o.scale.FDs)
	progress(t0, "done")

	printMemory(os.Stdout, cfg, &o)
	printScale(os.Stdout, cfg, &o)
	if cfg.jsonMemory != "" {
		if err := results.Write(cfg.jsonMemory, o.mem); err != nil {
			return err
		}
	}
	if cfg.jsonScale != "" {
		if err := results.Write(cfg.jsonScale, o.scale); err != nil {
			return err
		}
	}
	return nil
}

// withHelpers starts n idle zlr-tiny processes, measures the cost of a
// registered service with cfg.rounds sets of cfg.services of them and the
// latency against the other services registered with the first ones, and
// ends them.
func withHelpers(cfg config, c *libzl.Client, n int, t0 time.Time, clk *clock, o *outcome) (err error) {
	progress(t0, "starting %d idle zlr-tiny processes", n)
	h, err := startHelpers(cfg.tiny, n, cfg.padEnv)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, h.stop()) }()
	pids := h.pids()
	if cfg.services > 0 {
		progress(t0, "registering %d services, %d rounds", cfg.services, cfg.rounds)
		if o.svc, err = measureServices(c, pids, cfg.services, cfg.rounds); err != nil {
			return fmt.Errorf("services: %w", err)
		}
		o.mem.PerServiceBytes = o.svc.perService()
	}
	if len(cfg.scaleServices) > 0 {
		if err := clk.wait(); err != nil {
			return err
		}
		progress(t0, "restart latency with %v other services", cfg.scaleServices)
		if o.scale.Services, err = servicePoints(c, cfg.tiny, cfg.zlctl, pids, cfg.scaleServices, cfg.scaleRestarts); err != nil {
			return fmt.Errorf("scale, services: %w", err)
		}
		o.scale.PerService = results.Slope(o.scale.Services)
	}
	return nil
}

// raiseNoFile raises RLIMIT_NOFILE to at least n, for this process and the
// services it starts. syscall.Setrlimit, unlike a raw prlimit, tells os/exec
// not to restore the limit the program started with in the children.
func raiseNoFile(n uint64) error {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("RLIMIT_NOFILE: %w", err)
	}
	if rl.Cur >= n {
		return nil
	}
	rl.Cur = n
	rl.Max = max(rl.Max, n)
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("raising RLIMIT_NOFILE to %d: %w", n, err)
	}
	return nil
}

// floats formats values for the notes under the tables.
func floats(v []float64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.FormatFloat(x, 'f', 0, 64)
	}
	return "[" + strings.Join(s, " ") + "]"
}

// printMemory prints the memory figures beside their targets, and notes
// with the figures of each round.
func printMemory(w io.Writer, cfg config, o *outcome) {
	if cfg.services == 0 && cfg.conns == 0 && cfg.restarts == 0 {
		return
	}
	fmt.Fprintln(w, "kernel memory (SUnreclaim), in one boot")
	t := tablewriter.NewWriter(w)
	t.Header([]string{"measure", "measured", "target", "verdict"})
	m := o.mem
	if cfg.services > 0 {
		t.Append([]string{fmt.Sprintf("per registered service (%d services, median of %d sets)", m.Services, cfg.rounds),
			bytesText(m.PerServiceBytes), "≤ " + bytesText(targetPerService), verdict(m.PerServiceBytes, targetPerService)})
	}
	var held, streams uint64
	if cfg.conns > 0 {
		last := o.conns[len(o.conns)-1].reg
		held, streams = last.held, last.streams
		t.Append([]string{fmt.Sprintf("per tracked idle TCP connection (%d connections)", m.Connections),
			bytesText(m.PerIdleConnBytes), "≤ " + bytesText(targetPerIdle), verdict(m.PerIdleConnBytes, targetPerIdle)})
		t.Append([]string{fmt.Sprintf("per request in flight (%d requests of %d B, unanswered)", m.InflightRequests, m.RequestBytes),
			bytesText(m.PerInflightBytes),
			"none; replay log accounts " + bytesText(float64(held)/float64(m.InflightRequests)), "—"})
	}
	if cfg.restarts > 0 {
		t.Append([]string{fmt.Sprintf("growth per restart (zlr-tiny, restarts %d → %d)", o.warm, m.Restarts),
			bytesText(m.GrowthBytesPerStart), "none (≤ " + bytesText(growthTolerance) + ")",
			verdict(m.GrowthBytesPerStart, growthTolerance)})
	}
	t.Render()
	if cfg.services > 0 {
		fmt.Fprintf(w, "services: bytes per service by set %s, control %s; each restart image copies %d B of argv and envp\n",
			floats(o.svc.slopes), floats(o.svc.controls), o.svc.image)
	}
	if cfg.conns > 0 {
		var idle, inflight, pair []float64
		for _, r := range o.conns {
			idle = append(idle, r.perIdle())
			inflight = append(inflight, r.perInflight())
			pair = append(pair, float64(r.plain.conns)/float64(cfg.conns))
		}
		fmt.Fprintf(w, "connections: tracked idle by round %s B, in flight by round %s B; "+
			"a loopback connection itself (both ends, unregistered) %s B; the kernel reports %d B held over %d streams\n",
			floats(idle), floats(inflight), floats(pair), held, streams)
		for i, r := range o.conns {
			fmt.Fprintf(w, "connections round %d, unregistered/registered: connecting %d/%d kB, "+
				"first reads %.0f/%.0f B and requests %.0f/%.0f B per connection\n",
				i+1, r.plain.conns/1024, r.reg.conns/1024, r.plain.touch, r.reg.touch, r.plain.read, r.reg.read)
		}
	}
	if cfg.restarts > 0 {
		fmt.Fprintf(w, "growth: the slope of SUnreclaim over restarts %d to %d; its median %d kB over the first tenth of them, %d kB over the last\n",
			o.warm, m.Restarts, m.SlabBeforeKB, m.SlabAfterKB)
	}
}

// us formats a duration in microseconds.
func us(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 0, 64) + " µs"
}

// nsText formats a slope, which may be a fraction of a microsecond.
func nsText(d time.Duration) string {
	if d > -10*time.Microsecond && d < 10*time.Microsecond {
		return strconv.FormatInt(int64(d), 10) + " ns"
	}
	return us(d)
}

// printScale prints the restart latencies at each point of scale and the
// slopes.
func printScale(w io.Writer, cfg config, o *outcome) {
	s := o.scale
	if len(s.FDs) == 0 && len(s.Services) == 0 {
		return
	}
	fmt.Fprintf(w, "restart latency (fault → exec done, kernel), %d restarts per point\n", cfg.scaleRestarts)
	t := tablewriter.NewWriter(w)
	t.Header([]string{"service", "holds", "p50", "p90", "p99", "max", "vs first (p50)"})
	rows := func(what, unit string, pts []results.ScalePoint) {
		for _, p := range pts {
			ratio := float64(p.Dist.P50) / float64(pts[0].Dist.P50)
			t.Append([]string{what, strconv.Itoa(p.X) + unit, us(p.Dist.P50), us(p.Dist.P90), us(p.Dist.P99),
				us(p.Dist.Max), strconv.FormatFloat(ratio, 'f', 2, 64) + "×"})
		}
	}
	rows("Go, adopts its connections", " tracked connections", s.FDs)
	rows("zlr-tiny", " other services", s.Services)
	t.Render()
	if len(s.FDs) > 0 {
		fmt.Fprintf(w, "slope: %s per tracked connection (no target set); descriptors kept by the last restart: %v\n",
			nsText(s.PerFD), o.retained)
	}
	if len(s.Services) > 0 {
		fmt.Fprintf(w, "slope: %s per other registered service (no target set)\n", nsText(s.PerService))
	}
}
