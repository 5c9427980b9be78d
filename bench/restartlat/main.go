//go:build linux

// Command restartlat measures how long zlr takes to restart a service in
// place, beside a plain fork+execve of the same binary in the same boot.
//
// It runs two services: zlr-tiny, a small static C program, and itself in
// service mode, a Go program that adopts a listener with libzl and reports
// ready. Each is started under `zlctl run` and made to fault -n times in a
// row (a null write for zlr-tiny, a nil dereference panic, exit status 2,
// for the Go service), and each is also started -n times with a plain
// fork+execve. For every run it reports, as medians and 99th percentiles:
//
//   - fault → exec done: the kernel's restart latency, from the RESTART
//     events of the monitor group;
//   - fault → main: from the interception of the fault (the kernel's
//     timestamp) to the first instruction of main, as the new incarnation
//     reads CLOCK_BOOTTIME;
//   - fault → ready (Go service): from the READY events;
//   - fork+execve → main: from just before the fork to main, the floor
//     any restart by a supervisor pays.
//
// It also reports the service's open descriptors after its first and its
// last restart, and the kernel's unreclaimable slab before the restarts,
// after a tenth of them and after the last, as the service reads it. Absolute times from an emulated VM are noisy; the ratios carry
// over. It must run as root on a kernel with zlr (see ci/vm-run).
//
// Usage:
//
//	restartlat [-n 1000] [-tiny build/bin/zlr-tiny] [-zlctl bin/zlctl] [-json out.json]
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"
	"golang.org/x/sys/unix"

	"github.com/zl-dev/zl/libzl"
)

const (
	roleEnv     = "ZLR_BENCH_ROLE"
	restartsEnv = "ZLR_BENCH_RESTARTS"
	addrEnv     = "ZLR_BENCH_ADDR"
)

// start is CLOCK_BOOTTIME when this program's main package initialised:
// the Go service's "main" instant.
var start = boottime()

func main() {
	if os.Getenv(roleEnv) == "service" {
		os.Exit(service())
	}
	n := flag.Int("n", 1000, "restarts (and fork+execve runs) per binary")
	tiny := flag.String("tiny", "build/bin/zlr-tiny", "the small static service")
	zlctl := flag.String("zlctl", "bin/zlctl", "zlctl, to start the services with `zlctl run`")
	jsonOut := flag.String("json", "", "also write the results to this file, as JSON")
	flag.Parse()

	if err := run(*n, *tiny, *zlctl, *jsonOut); err != nil {
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

// service is the Go service: it reports, adopts its listener, says it is
// ready, and panics on a nil dereference until its last incarnation.
func service() int {
	restarts, _ := strconv.Atoi(os.Getenv(restartsEnv))
	inc := libzl.Incarnation()
	fds := countFDs()
	if restarts > 0 {
		l, err := libzl.Listen("tcp", os.Getenv(addrEnv))
		if err != nil {
			fmt.Fprintln(os.Stderr, "service:", err)
			return 3
		}
		defer l.Close()
		if err := libzl.Ready(); err != nil {
			fmt.Fprintln(os.Stderr, "service:", err)
			return 3
		}
	}
	fmt.Printf("t=%d inc=%d fds=%d slab=%d\n", start, inc, fds, sunreclaimKB())
	var b [1]byte
	if inc == 0 && restarts > 0 {
		if _, err := os.Stdin.Read(b[:]); err != nil {
			return 4
		}
	}
	if inc < uint32(restarts) {
		var p *int
		*p = 1 // exits with status 2, which the policy lists as a fault
	}
	io.Copy(io.Discard, os.Stdin)
	return 0
}

func countFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return -1
	}
	return len(ents) - 1 // less the directory's own descriptor
}

// A report is one line of a service incarnation.
type report struct {
	t    time.Duration
	inc  uint32
	fds  int
	slab int64 // SUnreclaim, kB
}

func readReport(r *bufio.Reader) (report, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return report{}, fmt.Errorf("reading a report: %w", err)
	}
	var rep report
	var t int64
	if _, err := fmt.Sscanf(line, "t=%d inc=%d fds=%d slab=%d\n", &t, &rep.inc, &rep.fds, &rep.slab); err != nil {
		return report{}, fmt.Errorf("bad report %q: %w", line, err)
	}
	rep.t = time.Duration(t)
	return rep, nil
}

// A binary is one of the services measured.
type binary struct {
	name   string
	path   string
	env    []string // its environment, beyond ours
	nEnv   string   // the variable that tells it how many restarts to take
	goRole bool     // reports ready, faults by exit status 2
}

// Dist is a latency distribution.
type Dist struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

func dist(s []time.Duration) Dist {
	if len(s) == 0 {
		return Dist{}
	}
	s = slices.Clone(s)
	slices.Sort(s)
	p99 := (len(s)*99+99)/100 - 1
	return Dist{N: len(s), P50: s[len(s)/2], P99: s[p99], Max: s[len(s)-1]}
}

// Result is what restartlat measured for one binary.
type Result struct {
	Binary       string `json:"binary"`
	ExecDone     Dist   `json:"fault_to_exec_done"`
	ToMain       Dist   `json:"fault_to_main"`
	ToReady      *Dist  `json:"fault_to_ready,omitempty"`
	ForkExecMain Dist   `json:"fork_execve_to_main"`
	FDsFirst     int    `json:"fds_after_first_restart"`
	FDsLast      int    `json:"fds_after_last_restart"`
	SlabBeforeKB int64  `json:"sunreclaim_before_kb"`
	// SlabWarmKB is SUnreclaim after a tenth of the restarts, when the
	// service's one-time allocations (such as its restart history) are made.
	SlabWarmKB  int64 `json:"sunreclaim_warm_kb"`
	SlabAfterKB int64 `json:"sunreclaim_after_kb"`
}

func run(n int, tiny, zlctl, jsonOut string) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	bins := []binary{
		{name: "static C (zlr-tiny)", path: tiny, nEnv: "ZLR_TINY_RESTARTS"},
		{name: "Go server", path: self, nEnv: restartsEnv, goRole: true,
			env: []string{roleEnv + "=service", addrEnv + "=127.0.0.1:18181"}},
	}
	var results []Result
	for _, b := range bins {
		r := Result{Binary: b.name}
		if r.ForkExecMain, err = forkExec(b, n); err != nil {
			return fmt.Errorf("%s: fork+execve: %w", b.name, err)
		}
		if err := restarts(b, n, zlctl, &r); err != nil {
			return fmt.Errorf("%s: restarts: %w", b.name, err)
		}
		results = append(results, r)
	}
	printResults(results, n)
	if jsonOut != "" {
		out, err := json.MarshalIndent(results, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(jsonOut, append(out, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// forkExec starts b n times with a plain fork+execve and measures the time
// from just before the fork to its main.
func forkExec(b binary, n int) (Dist, error) {
	lat := make([]time.Duration, 0, n)
	for range n {
		cmd := exec.Command(b.path)
		cmd.Env = append(append(os.Environ(), b.env...), b.nEnv+"=0")
		out, err := cmd.StdoutPipe()
		if err != nil {
			return Dist{}, err
		}
		t0 := boottime()
		if err := cmd.Start(); err != nil {
			return Dist{}, err
		}
		rep, err := readReport(bufio.NewReader(out))
		if werr := cmd.Wait(); err == nil && werr != nil {
			err = werr
		}
		if err != nil {
			return Dist{}, err
		}
		lat = append(lat, rep.t-t0)
	}
	return dist(lat), nil
}

// restarts runs b as a service under `zlctl run` that faults n times in a
// row, and measures each restart from the kernel's events and the reports.
func restarts(b binary, n int, zlctl string, r *Result) error {
	mon, err := libzl.DialMonitor()
	if err != nil {
		return err
	}
	defer mon.Close()
	c, err := libzl.Dial()
	if err != nil {
		return err
	}
	defer c.Close()

	args := []string{"run", "--max-restarts", "10000", "--window", "1ms"}
	if b.goRole {
		args = append(args, "--fault-exit-codes", "2")
	}
	cmd := exec.Command(zlctl, append(args, "--", b.path)...)
	cmd.Env = append(append(os.Environ(), b.env...), b.nEnv+"="+strconv.Itoa(n))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	out := bufio.NewReader(stdout)
	if _, err := readReport(out); err != nil {
		return err
	}
	svc, err := c.Service(libzl.ByPID(cmd.Process.Pid))
	if err != nil {
		return fmt.Errorf("the service is not registered: %w", err)
	}

	// The reports, read beside the events.
	reports := make(chan report, n)
	readErr := make(chan error, 1)
	go func() {
		for range n {
			rep, err := readReport(out)
			if err != nil {
				readErr <- err
				return
			}
			reports <- rep
		}
		readErr <- nil
	}()

	r.SlabBeforeKB = sunreclaimKB()
	if _, err := stdin.Write([]byte{1}); err != nil {
		return err
	}

	faultAt := make(map[uint32]time.Duration, n) // incarnation → fault time
	var execDone, toReady []time.Duration
	mon.SetDeadline(time.Now().Add(time.Duration(n) * time.Second))
	for len(execDone) < n || (b.goRole && len(toReady) < n) {
		ev, err := mon.Next()
		if err != nil {
			return fmt.Errorf("after %d restarts: %w", len(execDone), err)
		}
		if ev.ID != svc.ID {
			continue
		}
		switch ev.Kind {
		case libzl.EventRestart:
			execDone = append(execDone, ev.Latency)
			if ev.Fault != nil {
				faultAt[ev.Incarnation] = ev.Fault.Time
			}
		case libzl.EventReady:
			toReady = append(toReady, ev.Latency)
		case libzl.EventGiveUp, libzl.EventExit:
			return fmt.Errorf("unexpected %s event after %d restarts", ev.Kind, len(execDone))
		}
	}
	if err := <-readErr; err != nil {
		return err
	}
	close(reports)
	var toMain []time.Duration
	var last report
	for rep := range reports {
		ft, ok := faultAt[rep.inc]
		if !ok {
			return fmt.Errorf("no restart event for incarnation %d", rep.inc)
		}
		toMain = append(toMain, rep.t-ft)
		if rep.inc == 1 {
			r.FDsFirst = rep.fds
		}
		if rep.inc == uint32(max(n/10, 1)) {
			r.SlabWarmKB = rep.slab
		}
		last = rep
	}
	if last.inc != uint32(n) {
		return fmt.Errorf("last incarnation %d, want %d", last.inc, n)
	}
	r.FDsLast = last.fds
	r.SlabAfterKB = last.slab

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("service: %w", err)
	}
	r.ExecDone = dist(execDone)
	r.ToMain = dist(toMain)
	if b.goRole {
		d := dist(toReady)
		r.ToReady = &d
	}
	return nil
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

func printResults(results []Result, n int) {
	fmt.Printf("restart latency over %d restarts per binary, in one boot\n", n)
	t := tablewriter.NewWriter(os.Stdout)
	t.Header([]string{"binary", "measure", "p50", "p99", "max", "vs fork+execve (p50)"})
	for _, r := range results {
		row := func(what string, d Dist) {
			ratio := float64(d.P50) / float64(r.ForkExecMain.P50)
			t.Append([]string{r.Binary, what, us(d.P50), us(d.P99), us(d.Max), strconv.FormatFloat(ratio, 'f', 2, 64) + "×"})
		}
		row("zlr: fault → exec done (kernel)", r.ExecDone)
		row("zlr: fault → main", r.ToMain)
		if r.ToReady != nil {
			row("zlr: fault → ready", *r.ToReady)
		}
		row("fork+execve → main (baseline)", r.ForkExecMain)
	}
	t.Render()
	for _, r := range results {
		fmt.Printf("%s: descriptors %d after the first restart, %d after the last; "+
			"SUnreclaim %d kB before the first, %d kB after %d, %d kB after the last\n",
			r.Binary, r.FDsFirst, r.FDsLast, r.SlabBeforeKB, r.SlabWarmKB, max(n/10, 1), r.SlabAfterKB)
	}
}
