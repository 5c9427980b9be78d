//go:build linux

package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zl-dev/zl/bench/internal/results"
)

// readSample reads a report zl-demo wrote in the VM of ci/vm-run
// (1200 requests, a crash every 500).
func readSample(t *testing.T, mode string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "zl-demo-"+mode+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseReport(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want results.CrashRun
		p50  time.Duration
	}{
		{modeZLR, results.CrashRun{Every: 500, Mode: modeZLR, Requests: 1200, Crashes: 2, Elapsed: 5467333395}, 207344191},
		{modeSupervisor, results.CrashRun{Every: 500, Mode: modeSupervisor, Requests: 1200, Failed: 26, Crashes: 2, Elapsed: 5459370934}, 152038763},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			rep, err := parseReport(readSample(t, tc.mode))
			if err != nil {
				t.Fatal(err)
			}
			if rep.Settings.Clients != 64 || rep.Settings.FaultEvery != 500 || !rep.OK {
				t.Errorf("settings %+v, ok %v", rep.Settings, rep.OK)
			}
			p := rep.phase(tc.mode)
			if p == nil {
				t.Fatalf("no %s phase", tc.mode)
			}
			r := newRun(500, p)
			tc.want.ReqPerSec = 1200 / tc.want.Elapsed.Seconds()
			if r.CrashRun != tc.want {
				t.Errorf("run = %+v, want %+v", r.CrashRun, tc.want)
			}
			if r.RestartP50 != tc.p50 {
				t.Errorf("restart p50 = %v, want %v", r.RestartP50, tc.p50)
			}
			if want := float64(1200-tc.want.Failed) / tc.want.Elapsed.Seconds(); r.OKPerSec() != want {
				t.Errorf("ok/s = %v, want %v", r.OKPerSec(), want)
			}
			if (tc.want.Failed > 0) != (r.FirstLoadError != "") {
				t.Errorf("first load error %q with %d failed", r.FirstLoadError, tc.want.Failed)
			}
			if rep.phase("other") != nil {
				t.Error("phase of an unknown mode found")
			}
		})
	}
	if _, err := parseReport([]byte("zl-demo: usage")); err == nil {
		t.Error("parseReport accepted text")
	}
}

// fakeDemo writes a program that prints out and exits with status, as
// zl-demo, and returns its path.
func fakeDemo(t *testing.T, out []byte, status int) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "out"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "zl-demo")
	script := "#!/bin/sh\necho \"$@\" > " + filepath.Join(dir, "args") + "\ncat " + filepath.Join(dir, "out") + "\nexit " + string(rune('0'+status)) + "\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func testConfig(path string) demoConfig {
	return demoConfig{Path: path, Bin: "/b", Clients: 64, MaxBody: "16KiB", Mix: "static=40,dyn=30,sum=20", Requests: autoRequests}
}

// TestRunPhaseStatus checks that zl-demo's report is read whatever its
// exit status says of its verdict.
func TestRunPhaseStatus(t *testing.T) {
	zlr := readSample(t, modeZLR)
	// zl-demo's verdict fails (status 1) but its report is there.
	// The report's own problems come last, after the journal's.
	i := strings.LastIndex(string(zlr), `"problems": []`)
	failed := string(zlr[:i]) + `"problems": ["zlr: 3 requests failed"]` + string(zlr[i+len(`"problems": []`):])
	failed = strings.Replace(failed, `"ok": true`, `"ok": false`, 1)
	cfg := testConfig(fakeDemo(t, []byte(failed), 1))
	r, rep, err := cfg.runPhase(context.Background(), modeZLR, 500)
	if err != nil {
		t.Fatalf("runPhase with status 1 and a report: %v", err)
	}
	if rep.OK || r.Requests != 1200 || r.Err != "" || !slices.Equal(r.Notes, []string{"zlr: 3 requests failed"}) {
		t.Errorf("run %+v, report ok %v", r, rep.OK)
	}
	b, err := os.ReadFile(filepath.Join(filepath.Dir(cfg.Path), "args"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "-bin /b -phase zlr -fault-every 500 -cgi-fault-every 0 -requests 5000 -clients 64 -max-body 16KiB -mix static=40,dyn=30,sum=20 -o json\n"; string(b) != want {
		t.Errorf("zl-demo's arguments %q, want %q", b, want)
	}

	// A phase that could not run: recorded as not measured.
	noPhase := `{"settings": {"clients": 64}, "phases": [], "ok": false, "problems": [], "errors": ["zlr: the server did not start"]}`
	cfg = testConfig(fakeDemo(t, []byte(noPhase), 1))
	r, _, err = cfg.runPhase(context.Background(), modeZLR, 500)
	if err != nil || !strings.Contains(r.Err, "the server did not start") || r.Mode != modeZLR || r.Every != 500 {
		t.Errorf("runPhase without the phase = %+v, %v", r, err)
	}

	// A usage error, or no report: an error.
	for _, tc := range []struct {
		out    string
		status int
	}{{"", 2}, {"zl-demo: usage", 1}, {string(zlr), 3}} {
		cfg = testConfig(fakeDemo(t, []byte(tc.out), tc.status))
		if _, _, err := cfg.runPhase(context.Background(), modeZLR, 500); err == nil {
			t.Errorf("runPhase with %q and status %d: no error", tc.out, tc.status)
		}
	}
}

func TestAutoRequests(t *testing.T) {
	for k, want := range map[int]int{100: 5000, 1000: 5000, 10000: 22000} {
		if got := autoRequests(k); got != want {
			t.Errorf("autoRequests(%d) = %d, want %d", k, got, want)
		}
		if autoRequests(k) < 2*k {
			t.Errorf("autoRequests(%d) gives fewer than two crashes", k)
		}
	}
}

func TestModeOrder(t *testing.T) {
	if got := modeOrder(0); !slices.Equal(got, []string{modeZLR, modeSupervisor}) {
		t.Errorf("modeOrder(0) = %q", got)
	}
	if got := modeOrder(1); !slices.Equal(got, []string{modeSupervisor, modeZLR}) {
		t.Errorf("modeOrder(1) = %q", got)
	}
}

func TestParseEvery(t *testing.T) {
	ks, err := parseEvery("10000, 1000,100")
	if err != nil || !slices.Equal(ks, []int{10000, 1000, 100}) {
		t.Errorf("parseEvery = %v, %v", ks, err)
	}
	for _, s := range []string{"", "0", "10,x", "-5"} {
		if _, err := parseEvery(s); err == nil {
			t.Errorf("parseEvery(%q): no error", s)
		}
	}
}

func TestCheckFlags(t *testing.T) {
	if err := checkFlags(0, 64, "16KiB", "static=40,dyn=30,sum=20"); err != nil {
		t.Errorf("checkFlags of the defaults: %v", err)
	}
	for _, tc := range []struct {
		requests, clients int
		maxBody, mix      string
	}{{-1, 64, "16KiB", "static=1"}, {0, 0, "16KiB", "static=1"}, {0, 64, "lots", "static=1"}, {0, 64, "16KiB", "static=0"}, {0, 64, "16KiB", "video=1"}} {
		if err := checkFlags(tc.requests, tc.clients, tc.maxBody, tc.mix); err == nil {
			t.Errorf("checkFlags(%+v): no error", tc)
		}
	}
}

// testRuns are runs for a crash every 1000 requests: zlr lost nothing, the
// supervisor lost 50 of 5000.
func testRuns() []run {
	return []run{
		{CrashRun: results.CrashRun{Every: 1000, Mode: modeZLR, Requests: 5000, Crashes: 6, Elapsed: 20 * time.Second, ReqPerSec: 250}, RestartP50: 150 * time.Millisecond},
		{CrashRun: results.CrashRun{Every: 1000, Mode: modeSupervisor, Requests: 5000, Failed: 50, Crashes: 5, Elapsed: 25 * time.Second, ReqPerSec: 200}, RestartP50: 120 * time.Millisecond,
			Notes: []string{"supervisor: something"}},
	}
}

func TestFailures(t *testing.T) {
	runs := testRuns()
	if f := failures(runs); len(f) != 0 {
		t.Errorf("failures = %q, want none", f)
	}
	runs[0].Corrupted = 1
	runs[0].FirstLoadError = "client 1 request 2: corrupted"
	runs = append(runs, run{CrashRun: results.CrashRun{Every: 100, Mode: modeSupervisor}, Err: "zl-demo ran no supervisor phase"})
	f := failures(runs)
	if len(f) != 2 || !strings.Contains(f[0], "1 corrupted") || !strings.Contains(f[1], "no supervisor phase") {
		t.Errorf("failures = %q", f)
	}
}

func TestPrintTable(t *testing.T) {
	runs := testRuns()
	runs = append(runs, run{CrashRun: results.CrashRun{Every: 100, Mode: modeZLR}, Err: "zl-demo ran no zlr phase"})
	var b strings.Builder
	printTable(&b, []int{1000, 100}, runs, 64)
	out := b.String()
	// zlr: 5000 ok in 20s = 250/s; supervisor 4950 in 25s = 198/s.
	for _, s := range []string{"1.26×", "1.00%", "0.00%", "250.0", "198.0", "150ms", "not measured",
		"K=1000, supervisor: supervisor: something", "K=100, zlr: not measured: zl-demo ran no zlr phase"} {
		if !strings.Contains(out, s) {
			t.Errorf("the table lacks %q:\n%s", s, out)
		}
	}
	if lostPct(&run{}) != 0 || (&run{}).OKPerSec() != 0 {
		t.Error("an empty run lost something or served")
	}
}
