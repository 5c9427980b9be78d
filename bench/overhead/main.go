//go:build linux

// Command overhead measures what registering a service with zlr costs it
// while nothing crashes: the throughput and latency of the web server demo
// under wrk, started plain (unregistered) and under `zlctl run` with replay
// tracking and de-duplication on, as zl-demo's zlr phase starts it. The
// target is at most 1% of the throughput and 2% of the p99 latency.
//
// Each repetition starts the server afresh in each mode, the order of the
// modes alternating between repetitions (plain first on even ones, zlr
// first on odd ones), with new static files and a new journal in a
// temporary directory and no fault injection. Against each server it runs
// wrk (-threads, -connections, keep-alive) for two loads, each after a
// discarded warm-up run of -warmup:
//
//   - static: GET /static/file-01.bin, a 1001-byte file of the server's;
//   - cgi: POST /cgi-bin/order, a small order the server hands to the CGI
//     demo, one process per request, from a wrk Lua script written at run
//     time. The CGI program registers itself with zlr in both modes (as
//     zlcgi does whenever the kernel has zlr): the modes differ by the
//     server alone.
//
// After each wrk run it waits until the server has no CGI process left
// (they outlive wrk's connections), polling the kernel's list of its
// children, so that a run's leftovers never slow the next run down.
//
// It prints, per load and mode, the medians of the requests per second and
// of wrk's p50 and p99 latencies, the spread of the throughput between
// repetitions and, for zlr, the loss of throughput and the increase of p99
// against plain beside the targets; then the same changes paired, as the
// median of each repetition's zlr run against its plain run. It exits with
// status 1 when a wrk run (warm-ups included) counted a socket error or an
// answer other than 2xx or 3xx, or when a server failed; missing a target
// is reported, not failed, as an emulated VM's noise can exceed it. Absolute figures from
// an emulated VM are meaningless; the ratios carry over. It must run as
// root on a kernel with zlr (see ci/vm-run), with wrk installed.
//
// Usage:
//
//	overhead [-reps 5] [-duration 8s] [-warmup 2s] [-threads 2] [-connections 64] [-timeout 30s]
//	         [-loads static,cgi] [-bin build/bin] [-wrk wrk] [-ready-timeout 1m] [-json out.json]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/zl-dev/zl/bench/internal/results"
	"github.com/zl-dev/zl/internal/demo"
)

// staticFile is the static file of the "static" load: 1001 bytes, one
// segment.
var staticFile = demo.StaticName(1)

// A load is what wrk asks of the server.
type load struct {
	name   string
	path   string // of the URL
	script bool   // posts orders with orderScript
}

// loads are the loads the benchmark knows, in the order it runs them.
var loads = []load{
	{name: "static", path: "/static/" + staticFile},
	{name: "cgi", path: "/cgi-bin/order", script: true},
}

// config is the benchmark's settings, from its flags.
type config struct {
	reps         int
	duration     time.Duration
	warmup       time.Duration
	loads        []load
	bin          string
	readyTimeout time.Duration
	wrk          wrkConfig
	jsonOut      string
}

func main() {
	var cfg config
	flag.IntVar(&cfg.reps, "reps", 5, "repetitions of each mode and load")
	flag.DurationVar(&cfg.duration, "duration", 8*time.Second, "duration of each measured wrk run, in whole seconds")
	flag.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "duration of the discarded wrk run before each measured one, in whole seconds (0: none)")
	flag.IntVar(&cfg.wrk.Threads, "threads", 2, "wrk's threads (-t)")
	flag.IntVar(&cfg.wrk.Connections, "connections", 64, "wrk's keep-alive connections (-c)")
	flag.DurationVar(&cfg.wrk.Timeout, "timeout", 30*time.Second, "wrk's time limit of a request (--timeout), in whole seconds; a request over it counts as an error")
	loadNames := flag.String("loads", "static,cgi", "`loads` to run, comma-separated: static, cgi")
	flag.StringVar(&cfg.bin, "bin", "build/bin", "`directory` of zl-webserver-demo, zl-cgi-demo and zlctl")
	flag.StringVar(&cfg.wrk.Path, "wrk", "wrk", "the wrk `program`")
	flag.DurationVar(&cfg.readyTimeout, "ready-timeout", time.Minute, "time limit for the server to say it is ready")
	flag.StringVar(&cfg.jsonOut, "json", "", "also write the results to this `file`, as JSON")
	flag.Parse()

	if err := cfg.check(*loadNames); err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, &cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "overhead:", err)
	}
	os.Exit(code)
}

// check checks the flags and picks the loads named in loadNames.
func (c *config) check(loadNames string) error {
	if flag.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q: overhead takes flags only", flag.Arg(0))
	}
	whole := func(name string, d time.Duration, least time.Duration) error {
		if d < least || d%time.Second != 0 {
			return fmt.Errorf("bad -%s %v: want a whole number of seconds, at least %v (wrk counts in seconds)", name, d, least)
		}
		return nil
	}
	if err := whole("duration", c.duration, time.Second); err != nil {
		return err
	}
	if err := whole("warmup", c.warmup, 0); err != nil {
		return err
	}
	if err := whole("timeout", c.wrk.Timeout, time.Second); err != nil {
		return err
	}
	if c.reps < 1 || c.wrk.Threads < 1 || c.wrk.Connections < c.wrk.Threads {
		return errors.New("bad -reps, -threads or -connections: want at least 1 repetition and 1 thread, and no fewer connections than threads")
	}
	if c.readyTimeout <= 0 {
		return fmt.Errorf("bad -ready-timeout %v: want a positive duration", c.readyTimeout)
	}
	for name := range strings.SplitSeq(loadNames, ",") {
		name = strings.TrimSpace(name)
		i := slices.IndexFunc(loads, func(l load) bool { return l.name == name })
		if i < 0 {
			return fmt.Errorf("bad -loads %q: unknown load %q (want static or cgi)", loadNames, name)
		}
		if slices.ContainsFunc(c.loads, func(l load) bool { return l.name == name }) {
			return fmt.Errorf("bad -loads %q: %s given twice", loadNames, name)
		}
		c.loads = append(c.loads, loads[i])
	}
	return nil
}

// run runs the benchmark, prints its table and writes its JSON. It returns
// the exit status, and the error that stopped it, if any.
func run(ctx context.Context, cfg *config) (int, error) {
	for _, p := range []string{serverProgram, cgiProgram, zlctlProgram} {
		if _, err := os.Stat(filepath.Join(cfg.bin, p)); err != nil {
			return 1, fmt.Errorf("%s is missing from -bin %s: %w", p, cfg.bin, err)
		}
	}
	bin, err := filepath.Abs(cfg.bin)
	if err != nil {
		return 1, fmt.Errorf("-bin: %w", err)
	}
	work, err := os.MkdirTemp("", "zl-overhead-")
	if err != nil {
		return 1, fmt.Errorf("making a working directory: %w", err)
	}
	script, err := writeScript(work)
	if err != nil {
		return 1, err
	}

	out := &results.Overhead{Connections: cfg.wrk.Connections, Duration: cfg.duration, Reps: cfg.reps}
	series := map[[2]string]*results.OverheadSeries{}
	var names []string
	for _, l := range cfg.loads {
		names = append(names, l.name)
		for _, m := range []string{modePlain, modeZLR} {
			series[[2]string{l.name, m}] = &results.OverheadSeries{Load: l.name, Mode: m, Runs: []results.OverheadRun{}}
		}
	}
	var failures []string // the runs with errors
	for rep := range cfg.reps {
		for _, mode := range modeOrder(rep) {
			f, err := runServer(ctx, cfg, bin, work, script, rep, mode, series)
			failures = append(failures, f...)
			if err != nil {
				return 1, fmt.Errorf("repetition %d, %s: %w (files kept in %s)", rep+1, mode, err, work)
			}
		}
	}
	for _, l := range cfg.loads {
		for _, m := range []string{modePlain, modeZLR} {
			s := series[[2]string{l.name, m}]
			summarize(s)
			out.Series = append(out.Series, *s)
		}
	}
	printTable(os.Stdout, out, names)
	if cfg.jsonOut != "" {
		if err := results.Write(cfg.jsonOut, out); err != nil {
			return 1, err
		}
	}
	if len(failures) > 0 {
		return 1, fmt.Errorf("%d wrk runs had errors (files kept in %s):\n  %s", len(failures), work, strings.Join(failures, "\n  "))
	}
	if err := os.RemoveAll(work); err != nil {
		return 1, fmt.Errorf("removing the working directory: %w", err)
	}
	return 0, nil
}

// runServer starts the server of repetition rep in mode, runs every load
// against it and adds the measured runs to series. It returns a line for
// each wrk run that counted errors.
func runServer(ctx context.Context, cfg *config, bin, work, script string, rep int, mode string, series map[[2]string]*results.OverheadSeries) ([]string, error) {
	dir, err := os.MkdirTemp(work, fmt.Sprintf("rep%d-%s-", rep+1, mode))
	if err != nil {
		return nil, fmt.Errorf("making the server's directory: %w", err)
	}
	srv, err := startServer(mode, bin, dir, cfg.readyTimeout)
	if err != nil {
		return nil, err
	}
	var failures []string
	for _, l := range cfg.loads {
		url := "http://" + srv.addr + l.path
		s := ""
		if l.script {
			s = script
		}
		label := fmt.Sprintf("repetition %d/%d, %s, %s", rep+1, cfg.reps, mode, l.name)
		warm := "no warm-up"
		if cfg.warmup > 0 {
			w, err := cfg.wrk.run(ctx, cfg.warmup, url, s)
			if err != nil {
				_ = srv.stop()
				return failures, fmt.Errorf("%s load, warm-up: %w", l.name, err)
			}
			if n := w.Errors(); n > 0 {
				failures = append(failures, fmt.Sprintf("%s (warm-up): %d socket errors, %d non-2xx or 3xx answers", label, w.SocketErrors, w.Non2xx))
			}
			warm = fmt.Sprintf("warm-up %.1f req/s, %d errors", w.ReqPerSec, w.Errors())
			if err := srv.waitIdle(); err != nil {
				_ = srv.stop()
				return failures, fmt.Errorf("%s load, after the warm-up: %w", l.name, err)
			}
		}
		r, err := cfg.wrk.run(ctx, cfg.duration, url, s)
		if err == nil {
			err = srv.waitIdle()
		}
		if err == nil && r.Requests == 0 {
			err = fmt.Errorf("no request was answered within the %v of the run: give a longer -duration", cfg.duration)
		}
		if err != nil {
			_ = srv.stop()
			return failures, fmt.Errorf("%s load: %w", l.name, err)
		}
		if n := r.Errors(); n > 0 {
			failures = append(failures, fmt.Sprintf("%s: %d socket errors, %d non-2xx or 3xx answers", label, r.SocketErrors, r.Non2xx))
		}
		fmt.Fprintf(os.Stderr, "overhead: %s: %.1f req/s, p50 %s, p99 %s, %d errors (%s)\n",
			label, r.ReqPerSec, fmtDur(r.P50), fmtDur(r.P99), r.Errors(), warm)
		ser := series[[2]string{l.name, mode}]
		ser.Runs = append(ser.Runs, r.Run())
	}
	if err := srv.stop(); err != nil {
		return failures, err
	}
	return failures, nil
}
