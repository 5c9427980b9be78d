//go:build linux

// Command crashes measures what crashes cost the clients of a service: the
// web server demo under load, crashing every K requests, restarted in place
// by zlr against restarted by a user-space supervisor on the same listening
// socket (zl-supervise), for several K.
//
// It runs zl-demo for each K of -every and each mode, one phase at a time
// (`zl-demo -phase zlr|supervisor -fault-every K -cgi-fault-every 0
// -o json`), the order of the modes alternating between the K (zlr first
// for the first K), and reads its JSON report: requests sent, failed and
// corrupted (every answer is checked byte for byte), server crashes and
// the load's duration. The server counts its requests anew in each
// incarnation and crashes at the K-th: under zlr the requests in flight at
// a crash are served again by the next incarnation and count toward its K,
// while the supervisor loses them, so zlr sees more crashes for the same
// load, the more so the smaller K. zl-demo's clients (-clients) each keep one
// connection alive and send their requests one at a time. The mix of
// requests is zl-demo's default without CGI orders, which cost a process
// each and would take most of an emulated VM's time: static files from
// 100 bytes to 300 KiB, dynamic content and uploads up to -max-body.
//
// Each run sends -requests requests; by default max(5000, 2.2×K), so that
// every K sees at least two crashes and the small K enough requests
// between them, and the default run takes about 5 minutes in the
// emulated VM of ci/vm-run.
//
// It prints, for each K and mode, the requests, crashes, requests lost
// (failed or corrupted), the throughput of all requests and of those
// answered correctly, zlr's goodput against the supervisor's, and the
// server's median restart latency (to its "ready"). It writes the runs
// to the -json file. zl-demo exits with status 1 when its verdict fails
// (the supervisor lost nothing, or zlr lost something): this program reads
// the report whatever the status, and itself exits with status 1 at the
// end when a zlr run failed or corrupted a request, or a run could not be
// measured. Absolute figures from an emulated VM are meaningless; the
// ratios carry over. It must run as root on a kernel with zlr (see
// ci/vm-run).
//
// Usage:
//
//	crashes [-every 10000,1000,100] [-requests N] [-clients 64] [-max-body 16KiB]
//	        [-mix static=40,dyn=30,sum=20] [-bin build/bin] [-json out.json]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/olekukonko/tablewriter"

	"github.com/zl-dev/zl/bench/internal/results"
	"github.com/zl-dev/zl/internal/demoload"
)

// The modes, as zl-demo's -phase names them.
const (
	modeZLR        = results.ModeZLR
	modeSupervisor = results.ModeSupervisor
)

// minRequests is the fewest requests of a run when -requests is 0.
const minRequests = 5000

// autoRequests returns the requests of a run with a crash every k
// requests when -requests is 0: at least 2.2×k, so that the server
// crashes at least twice, and at least minRequests.
func autoRequests(k int) int { return max(minRequests, k*22/10) }

// modeOrder returns the order of the modes for the i-th K (from 0): zlr
// first for even i, the supervisor first for odd i.
func modeOrder(i int) []string {
	if i%2 == 0 {
		return []string{modeZLR, modeSupervisor}
	}
	return []string{modeSupervisor, modeZLR}
}

// parseEvery reads the -every list: positive numbers, comma-separated.
func parseEvery(s string) ([]int, error) {
	var ks []int
	for f := range strings.SplitSeq(s, ",") {
		k, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || k < 1 {
			return nil, fmt.Errorf("bad -every %q: want positive numbers of requests, comma-separated", s)
		}
		ks = append(ks, k)
	}
	return ks, nil
}

func main() {
	every := flag.String("every", "10000,1000,100", "the server crashes every `K` requests: a run for each K of this comma-separated list")
	requests := flag.Int("requests", 0, "requests of each run; 0: max(5000, 2.2×K)")
	clients := flag.Int("clients", 64, "zl-demo's concurrent clients, each on its own keep-alive connection")
	maxBody := flag.String("max-body", "16KiB", "`size` of the largest upload or dynamic content (zl-demo's -max-body)")
	mix := flag.String("mix", "static=40,dyn=30,sum=20", "`weights` of the kinds of requests (zl-demo's -mix)")
	bin := flag.String("bin", "build/bin", "`directory` of zl-demo and the programs it runs")
	jsonOut := flag.String("json", "", "also write the results to this `file`, as JSON")
	flag.Parse()

	ks, err := parseEvery(*every)
	if err == nil {
		err = checkFlags(*requests, *clients, *maxBody, *mix)
	}
	if err == nil && flag.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q: crashes takes flags only", flag.Arg(0))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashes:", err)
		os.Exit(2)
	}
	binDir, err := filepath.Abs(*bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashes: -bin:", err)
		os.Exit(2)
	}
	cfg := demoConfig{
		Path: filepath.Join(binDir, "zl-demo"), Bin: binDir, Clients: *clients, MaxBody: *maxBody, Mix: *mix,
		Requests: func(k int) int {
			if *requests > 0 {
				return *requests
			}
			return autoRequests(k)
		},
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	code, err := runAll(ctx, cfg, ks, *jsonOut)
	if err != nil {
		fmt.Fprintln(os.Stderr, "crashes:", err)
	}
	os.Exit(code)
}

// checkFlags checks the flags zl-demo would otherwise refuse in the middle
// of the benchmark.
func checkFlags(requests, clients int, maxBody, mix string) error {
	if requests < 0 || clients < 1 {
		return errors.New("bad -requests or -clients: want 0 (auto) or more requests and 1 or more clients")
	}
	if n, err := demoload.ParseSize(maxBody); err != nil || n < 1 {
		return fmt.Errorf("bad -max-body %q: want a size such as 16KiB", maxBody)
	}
	if _, err := demoload.ParseMix(mix); err != nil {
		return fmt.Errorf("bad -mix: %w", err)
	}
	return nil
}

// runAll runs every K in both modes, prints the table, writes the JSON
// and returns the exit status, and the error that stopped it, if any.
func runAll(ctx context.Context, cfg demoConfig, ks []int, jsonOut string) (int, error) {
	if _, err := os.Stat(cfg.Path); err != nil {
		return 1, fmt.Errorf("zl-demo is missing: %w", err)
	}
	var runs []run
	for i, k := range ks {
		for _, mode := range modeOrder(i) {
			fmt.Fprintf(os.Stderr, "crashes: K=%d, %s: %d requests\n", k, mode, cfg.Requests(k))
			start := time.Now()
			r, _, err := cfg.runPhase(ctx, mode, k)
			if err != nil {
				return 1, fmt.Errorf("the %s run with a crash every %d requests: %w", mode, k, err)
			}
			fmt.Fprintf(os.Stderr, "crashes: K=%d, %s: %d crashes, %d failed, %d corrupted, %.1f req/s (zl-demo took %v)\n",
				k, mode, r.Crashes, r.Failed, r.Corrupted, r.ReqPerSec, time.Since(start).Round(time.Second))
			runs = append(runs, r)
			if ctx.Err() != nil {
				return 1, ctx.Err()
			}
		}
	}
	printTable(os.Stdout, ks, runs, cfg.Clients)
	if jsonOut != "" {
		out := results.Crashes{Clients: cfg.Clients, Runs: []results.CrashRun{}}
		for _, r := range runs {
			if r.Err == "" {
				out.Runs = append(out.Runs, r.CrashRun)
			}
		}
		if err := results.Write(jsonOut, &out); err != nil {
			return 1, err
		}
	}
	if bad := failures(runs); len(bad) > 0 {
		return 1, fmt.Errorf("failed:\n  %s", strings.Join(bad, "\n  "))
	}
	return 0, nil
}

// failures says what makes the benchmark fail: a zlr run that failed or
// corrupted a request, a run that could not be measured.
func failures(runs []run) []string {
	var bad []string
	for _, r := range runs {
		switch {
		case r.Err != "":
			bad = append(bad, fmt.Sprintf("K=%d, %s: %s", r.Every, r.Mode, r.Err))
		case r.Mode == modeZLR && r.Failed+r.Corrupted > 0:
			bad = append(bad, fmt.Sprintf("K=%d, zlr: %d requests failed and %d corrupted (first: %s)", r.Every, r.Failed, r.Corrupted, r.FirstLoadError))
		}
	}
	return bad
}

// find returns the run of k and mode, or nil.
func find(runs []run, k int, mode string) *run {
	for i := range runs {
		if runs[i].Every == k && runs[i].Mode == mode {
			return &runs[i]
		}
	}
	return nil
}

// lostPct is the share of the requests of r that failed or were
// corrupted, in percent.
func lostPct(r *run) float64 {
	if r.Requests == 0 {
		return 0
	}
	return 100 * float64(r.Failed+r.Corrupted) / float64(r.Requests)
}

// printTable prints a row for each K and mode, zlr's beside the
// supervisor's, then the notes of the runs.
func printTable(w io.Writer, ks []int, runs []run, clients int) {
	fmt.Fprintf(w, "Web server demo under load (%d keep-alive clients), crashing every K requests: restarted in place by zlr vs by a supervisor\n", clients)
	t := tablewriter.NewWriter(w)
	t.Header([]string{"K", "mode", "requests", "crashes", "failed", "corrupted", "lost", "elapsed", "req/s", "ok/s", "ok/s vs supervisor", "restart p50"})
	for _, k := range ks {
		sup := find(runs, k, modeSupervisor)
		for _, mode := range []string{modeZLR, modeSupervisor} {
			r := find(runs, k, mode)
			if r == nil {
				continue
			}
			if r.Err != "" {
				t.Append([]string{strconv.Itoa(k), mode, "not measured", "", "", "", "", "", "", "", "", ""})
				continue
			}
			ratio := ""
			if mode == modeZLR && sup != nil && sup.Err == "" && sup.OKPerSec() > 0 {
				ratio = fmt.Sprintf("%.2f×", r.OKPerSec()/sup.OKPerSec())
			}
			t.Append([]string{
				strconv.Itoa(k), mode,
				strconv.Itoa(r.Requests), strconv.Itoa(r.Crashes),
				strconv.Itoa(r.Failed), strconv.Itoa(r.Corrupted),
				fmt.Sprintf("%.2f%%", lostPct(r)),
				r.Elapsed.Round(100 * time.Millisecond).String(),
				fmt.Sprintf("%.1f", r.ReqPerSec), fmt.Sprintf("%.1f", r.OKPerSec()),
				ratio,
				demoload.FormatDuration(r.RestartP50),
			})
		}
	}
	t.Render()
	fmt.Fprintln(w, "lost: failed + corrupted; req/s: all requests sent per second; ok/s: those answered correctly.")
	fmt.Fprintln(w, "crashes: the server's. Its count of requests starts again with each incarnation; under zlr the requests in flight at a crash")
	fmt.Fprintln(w, "are served again by the next one and count toward its K, so zlr crashes more often than the supervisor, which loses them.")
	fmt.Fprintln(w, "restart p50: the server's, zlr from the fault to the restarted server's ready call, the supervisor from the death to the new server's \"ready\".")
	for _, r := range runs {
		for _, n := range r.Notes {
			fmt.Fprintf(w, "K=%d, %s: %s\n", r.Every, r.Mode, n)
		}
		if r.Err != "" {
			fmt.Fprintf(w, "K=%d, %s: not measured: %s\n", r.Every, r.Mode, r.Err)
		}
	}
}
