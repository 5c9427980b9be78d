//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zl-dev/zl/bench/internal/results"
)

// orderScript is the wrk script of the "cgi" load: every request posts the
// same small order to the CGI demo, with the same idempotency key, on
// wrk's keep-alive connections. With the body and headers set at the top
// level, wrk formats the request once, so that the script costs wrk
// nothing per request. The CGI program journals the order on its first
// request and finds it in the journal on the others.
const orderScript = `-- bench/overhead: POST a small order to the CGI demo.
wrk.method = "POST"
wrk.body = "order: 2 widgets, 1 gadget; ship to the benchmark\n"
wrk.headers["Content-Type"] = "text/plain; charset=utf-8"
wrk.headers["Idempotency-Key"] = "bench-overhead-order-1"
`

// A wrkReport is what wrk said of a run.
type wrkReport struct {
	Requests  int64   // "N requests in T, S read"
	ReqPerSec float64 // "Requests/sec:"
	// P50 and P99 are the 50% and 99% lines of the latency distribution
	// (--latency).
	P50, P99 time.Duration
	// SocketErrors sums the connect, read, write and timeout errors of the
	// "Socket errors:" line; 0 when wrk printed none.
	SocketErrors int64
	// Non2xx is the count of the "Non-2xx or 3xx responses:" line.
	Non2xx int64
}

// Errors is the number of failed requests: socket errors and answers
// other than 2xx or 3xx.
func (r wrkReport) Errors() int64 { return r.SocketErrors + r.Non2xx }

// Run returns the report as a results.OverheadRun.
func (r wrkReport) Run() results.OverheadRun {
	return results.OverheadRun{ReqPerSec: r.ReqPerSec, P50: r.P50, P99: r.P99, Errors: r.Errors()}
}

// parseWrk reads the output of `wrk --latency`. It fails when a figure it
// needs (requests, requests per second, the 50% and 99% latencies) is
// missing or malformed.
func parseWrk(out string) (wrkReport, error) {
	var r wrkReport
	var haveReq, haveRPS, have50, have99 bool
	sc := bufio.NewScanner(strings.NewReader(out))
	inDist := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		f := strings.Fields(line)
		switch {
		case line == "Latency Distribution":
			inDist = true
			continue
		case inDist && len(f) == 2 && strings.HasSuffix(f[0], "%"):
			d, err := parseWrkDuration(f[1])
			if err != nil {
				return wrkReport{}, fmt.Errorf("wrk's %s latency: %w", f[0], err)
			}
			switch f[0] {
			case "50%", "50.000%":
				r.P50, have50 = d, true
			case "99%", "99.000%":
				r.P99, have99 = d, true
			}
			continue
		case strings.HasPrefix(line, "Requests/sec:"):
			v, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimPrefix(line, "Requests/sec:")), 64)
			if err != nil {
				return wrkReport{}, fmt.Errorf("wrk's requests per second %q: %w", line, err)
			}
			r.ReqPerSec, haveRPS = v, true
		case strings.HasPrefix(line, "Socket errors:"):
			n, err := parseSocketErrors(strings.TrimPrefix(line, "Socket errors:"))
			if err != nil {
				return wrkReport{}, err
			}
			r.SocketErrors = n
		case strings.HasPrefix(line, "Non-2xx or 3xx responses:"):
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimPrefix(line, "Non-2xx or 3xx responses:")), 10, 64)
			if err != nil {
				return wrkReport{}, fmt.Errorf("wrk's non-2xx count %q: %w", line, err)
			}
			r.Non2xx = n
		case len(f) >= 3 && f[1] == "requests" && f[2] == "in":
			n, err := strconv.ParseInt(f[0], 10, 64)
			if err != nil {
				return wrkReport{}, fmt.Errorf("wrk's request count %q: %w", line, err)
			}
			r.Requests, haveReq = n, true
		}
		inDist = false
	}
	if err := sc.Err(); err != nil {
		return wrkReport{}, fmt.Errorf("reading wrk's output: %w", err)
	}
	var missing []string
	for _, m := range []struct {
		ok   bool
		what string
	}{{haveReq, "the request count"}, {haveRPS, "Requests/sec"}, {have50, "the 50% latency"}, {have99, "the 99% latency (was --latency given?)"}} {
		if !m.ok {
			missing = append(missing, m.what)
		}
	}
	if len(missing) > 0 {
		return wrkReport{}, fmt.Errorf("wrk's output lacks %s", strings.Join(missing, ", "))
	}
	return r, nil
}

// parseSocketErrors sums the counts of wrk's socket errors line, such as
// " connect 0, read 0, write 0, timeout 8".
func parseSocketErrors(s string) (int64, error) {
	var sum int64
	for part := range strings.SplitSeq(s, ",") {
		f := strings.Fields(part)
		if len(f) != 2 {
			return 0, fmt.Errorf("wrk's socket errors %q: want KIND COUNT pairs", s)
		}
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("wrk's socket errors %q: %w", s, err)
		}
		sum += n
	}
	return sum, nil
}

// parseWrkDuration reads a latency as wrk prints it: a number with the
// unit us, ms, s, m or h, such as "99.00us", "1.03ms" or "1.20s".
func parseWrkDuration(s string) (time.Duration, error) {
	units := []struct {
		suffix string
		unit   time.Duration
	}{
		// The two-letter units first: "ms" ends with "s".
		{"us", time.Microsecond}, {"ms", time.Millisecond},
		{"s", time.Second}, {"m", time.Minute}, {"h", time.Hour},
	}
	for _, u := range units {
		num, ok := strings.CutSuffix(s, u.suffix)
		if !ok {
			continue
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || v < 0 {
			return 0, fmt.Errorf("bad latency %q", s)
		}
		return time.Duration(v * float64(u.unit)), nil
	}
	return 0, fmt.Errorf("bad latency %q: no unit (us, ms, s, m or h)", s)
}

// A wrkConfig says how to run wrk.
type wrkConfig struct {
	Path        string        // the wrk program
	Threads     int           // -t
	Connections int           // -c
	Timeout     time.Duration // --timeout, of each request
}

// wrkSeconds formats d for wrk, which takes whole seconds: "8s".
func wrkSeconds(d time.Duration) string {
	return strconv.FormatInt(int64(d/time.Second), 10) + "s"
}

// args returns wrk's arguments for a run of duration d against url, with
// script when it is not "".
func (c wrkConfig) args(d time.Duration, url, script string) []string {
	args := []string{
		"-t" + strconv.Itoa(c.Threads), "-c" + strconv.Itoa(c.Connections),
		"-d" + wrkSeconds(d), "--timeout", wrkSeconds(c.Timeout), "--latency",
	}
	if script != "" {
		args = append(args, "-s", script)
	}
	return append(args, url)
}

// run runs wrk for d against url and returns what it reported.
func (c wrkConfig) run(ctx context.Context, d time.Duration, url, script string) (wrkReport, error) {
	cmd := exec.CommandContext(ctx, c.Path, c.args(d, url, script)...)
	// When ctx ends (^C), wrk is killed and its output given up a second
	// later at most.
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return wrkReport{}, fmt.Errorf("wrk %s: %w; its output:\n%s", strings.Join(cmd.Args[1:], " "), err, indent(string(out)))
	}
	r, err := parseWrk(string(out))
	if err != nil {
		return wrkReport{}, fmt.Errorf("wrk %s: %w; its output:\n%s", strings.Join(cmd.Args[1:], " "), err, indent(string(out)))
	}
	return r, nil
}

// writeScript writes the wrk script of the "cgi" load into dir and returns
// its path.
func writeScript(dir string) (string, error) {
	path := filepath.Join(dir, "order.lua")
	if err := os.WriteFile(path, []byte(orderScript), 0o644); err != nil {
		return "", fmt.Errorf("writing the wrk script: %w", err)
	}
	return path, nil
}

// indent indents every line of s by two spaces.
func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return "  (nothing)"
	}
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
