//go:build linux

package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestParseWrk reads outputs of wrk 4.1.0 captured on real servers: the
// web server demo (static file and CGI order, latencies in ms and µs), and
// Python servers answering errors and timing out.
func TestParseWrk(t *testing.T) {
	for _, tc := range []struct {
		file string
		want wrkReport
	}{
		{"wrk-static-ms.txt", wrkReport{Requests: 98881, ReqPerSec: 32858.30, P50: 1900 * time.Microsecond, P99: 11830 * time.Microsecond}},
		{"wrk-cgi-post.txt", wrkReport{Requests: 1617, ReqPerSec: 535.96, P50: 111420 * time.Microsecond, P99: 286830 * time.Microsecond}},
		{"wrk-us.txt", wrkReport{Requests: 9856, ReqPerSec: 8961.42, P50: 99 * time.Microsecond, P99: 1030 * time.Microsecond}},
		{"wrk-non2xx.txt", wrkReport{Requests: 4132, ReqPerSec: 1967.94, P50: 2840 * time.Microsecond, P99: 5280 * time.Microsecond, Non2xx: 4132}},
		{"wrk-errors.txt", wrkReport{Requests: 83, ReqPerSec: 20.72, P50: 43970 * time.Microsecond, P99: 45080 * time.Microsecond, SocketErrors: 8, Non2xx: 16}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseWrk(string(b))
			if err != nil {
				t.Fatalf("parseWrk: %v", err)
			}
			// Float to Duration conversions may be a nanosecond off.
			near := func(a, b time.Duration) bool { return (a - b).Abs() <= time.Nanosecond }
			if got.Requests != tc.want.Requests || got.ReqPerSec != tc.want.ReqPerSec || !near(got.P50, tc.want.P50) ||
				!near(got.P99, tc.want.P99) || got.SocketErrors != tc.want.SocketErrors || got.Non2xx != tc.want.Non2xx {
				t.Errorf("parseWrk = %+v, want %+v", got, tc.want)
			}
			run := got.Run()
			if run.Errors != tc.want.SocketErrors+tc.want.Non2xx || run.ReqPerSec != tc.want.ReqPerSec || run.P99 != got.P99 {
				t.Errorf("Run() = %+v", run)
			}
		})
	}
}

// TestParseWrkIncomplete checks that output without a figure the benchmark
// needs is refused, naming what is missing.
func TestParseWrkIncomplete(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "wrk-static-ms.txt"))
	if err != nil {
		t.Fatal(err)
	}
	full := string(b)
	for _, tc := range []struct {
		name, drop, want string
	}{
		{"no latency distribution", "     99%   11.83ms\n", "99% latency"},
		{"no requests/sec", "Requests/sec:  32858.30\n", "Requests/sec"},
		{"no count", "  98881 requests in 3.01s, 102.03MB read\n", "request count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := strings.Replace(full, tc.drop, "", 1)
			if out == full {
				t.Fatalf("the sample has no %q", tc.drop)
			}
			_, err := parseWrk(out)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("parseWrk: %v, want an error about %s", err, tc.want)
			}
		})
	}
	if _, err := parseWrk("unable to connect to 127.0.0.1:18766 Connection refused\n"); err == nil {
		t.Error("parseWrk accepted wrk's connection error")
	}
	bad := strings.Replace(full, "11.83ms", "11.83xs", 1)
	if _, err := parseWrk(bad); err == nil {
		t.Error("parseWrk accepted a latency in xs")
	}
}

func TestParseWrkDuration(t *testing.T) {
	for s, want := range map[string]time.Duration{
		"99.00us": 99 * time.Microsecond,
		"1.03ms":  1030 * time.Microsecond,
		"1.20s":   1200 * time.Millisecond,
		"2.00m":   2 * time.Minute,
		"1.00h":   time.Hour,
		"0.00us":  0,
	} {
		got, err := parseWrkDuration(s)
		if err != nil || (got-want).Abs() > time.Nanosecond {
			t.Errorf("parseWrkDuration(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "12", "ms", "-1ms", "1.0xs"} {
		if d, err := parseWrkDuration(s); err == nil {
			t.Errorf("parseWrkDuration(%q) = %v, want an error", s, d)
		}
	}
}

func TestParseSocketErrors(t *testing.T) {
	n, err := parseSocketErrors(" connect 1, read 2, write 3, timeout 4")
	if err != nil || n != 10 {
		t.Errorf("parseSocketErrors = %d, %v; want 10", n, err)
	}
	if _, err := parseSocketErrors(" connect x, read 2"); err == nil {
		t.Error("parseSocketErrors accepted a bad count")
	}
}

func TestWrkArgs(t *testing.T) {
	c := wrkConfig{Path: "wrk", Threads: 2, Connections: 64, Timeout: 30 * time.Second}
	got := c.args(8*time.Second, "http://127.0.0.1:1/cgi-bin/order", "/tmp/order.lua")
	want := []string{"-t2", "-c64", "-d8s", "--timeout", "30s", "--latency", "-s", "/tmp/order.lua", "http://127.0.0.1:1/cgi-bin/order"}
	if !slices.Equal(got, want) {
		t.Errorf("args = %q, want %q", got, want)
	}
	if got := c.args(2*time.Second, "http://x/", ""); slices.Contains(got, "-s") {
		t.Errorf("args without a script = %q", got)
	}
}

// TestOrderScript checks that the script posts an order the CGI demo
// accepts: a body and an idempotency key without white space.
func TestOrderScript(t *testing.T) {
	for _, s := range []string{`wrk.method = "POST"`, `wrk.body = "`, `wrk.headers["Idempotency-Key"] = "bench-overhead-order-1"`} {
		if !strings.Contains(orderScript, s) {
			t.Errorf("orderScript lacks %s", s)
		}
	}
	path, err := writeScript(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil || string(b) != orderScript {
		t.Errorf("writeScript wrote %q, %v", b, err)
	}
}

func TestServerEnv(t *testing.T) {
	got := serverEnv([]string{"PATH=/bin", "ZL_DEMO_FAULT=every=2", "ZL_INCARNATION=3", "HOME=/root"})
	if want := []string{"PATH=/bin", "HOME=/root"}; !slices.Equal(got, want) {
		t.Errorf("serverEnv = %q, want %q", got, want)
	}
}

func TestServerArgs(t *testing.T) {
	plain := serverArgs(modePlain, "/b", "/d", "127.0.0.1:9")
	want := []string{"/b/zl-webserver-demo", "-addr", "127.0.0.1:9", "-root", "/d/static", "-gen-static", "-cgi", "/b/zl-cgi-demo", "-journal", "/d/journal"}
	if !slices.Equal(plain, want) {
		t.Errorf("plain args = %q, want %q", plain, want)
	}
	zl := serverArgs(modeZLR, "/b", "/d", "127.0.0.1:9")
	if zl[0] != "/b/zlctl" || zl[1] != "run" || !slices.Equal(zl[len(zl)-len(want):], want) || zl[len(zl)-len(want)-1] != "--" {
		t.Errorf("zlr args = %q", zl)
	}
	for _, a := range append(plain, zl...) {
		if strings.HasPrefix(a, "-fault") || strings.HasPrefix(a, "-cgi-fault") {
			t.Errorf("fault flag %q given", a)
		}
	}
}
