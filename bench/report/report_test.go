package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/zl-dev/zl/bench/internal/results"
)

func TestReplaceSection(t *testing.T) {
	doc := "# T\n\nbefore\n" + beginMarker + "\nold\nlines\n" + endMarker + "\nafter\n"
	got, err := replaceSection([]byte(doc), "new\n\n")
	if err != nil {
		t.Fatal(err)
	}
	want := "# T\n\nbefore\n" + beginMarker + "\nnew\n" + endMarker + "\nafter\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	for _, bad := range []string{"no markers\n", endMarker + "\n" + beginMarker + "\n", beginMarker + "\nno end\n"} {
		if _, err := replaceSection([]byte(bad), "x"); err == nil {
			t.Errorf("replaceSection(%q) did not fail", bad)
		}
	}
}

// lat returns n samples spread evenly from base to twice base.
func lat(base time.Duration, n int) []time.Duration {
	s := make([]time.Duration, n)
	for i := range s {
		s[i] = base + base*time.Duration(i)/time.Duration(n)
	}
	return s
}

func sample() *All {
	rl := &results.RestartLat{Restarts: 100}
	add := func(mode, measure string, base time.Duration) {
		rl.Series = append(rl.Series, results.RestartSeries{Service: "svc", Mode: mode, Measure: measure,
			Dist: results.NewDist(lat(base, 100))})
	}
	add(results.ModeForkExec, results.StartToReady, 10*time.Millisecond)
	add(results.ModeZLR, results.InterceptToExec, 2*time.Millisecond)
	add(results.ModeZLR, results.InterceptToReady, 11*time.Millisecond)
	add(results.ModeZLR, results.CrashToReady, 12*time.Millisecond)
	add(results.ModeSupervisor, results.CrashToReady, 15*time.Millisecond)
	add(results.ModeSystemd, results.CrashToReady, 115*time.Millisecond)
	return &All{
		Date: "2026-11-22", Machine: "test machine",
		RestartLat: rl,
		Overhead: &results.Overhead{Connections: 64, Series: []results.OverheadSeries{
			{Load: "static", Mode: "plain", ReqPerSec: 1000, P99: 10 * time.Millisecond},
			{Load: "static", Mode: results.ModeZLR, ReqPerSec: 995, P99: 10300 * time.Microsecond},
		}},
		Crashes: &results.Crashes{Runs: []results.CrashRun{
			{Every: 100, Mode: results.ModeZLR, Requests: 1000, ReqPerSec: 50},
			{Every: 100, Mode: results.ModeSupervisor, Requests: 1000, Failed: 12, ReqPerSec: 60},
		}},
		Memory: &results.Memory{PerServiceBytes: 1200, PerIdleConnBytes: 300, RequestBytes: 1024, PerInflightBytes: 1500, Restarts: 10000},
		Scale: &results.Scale{
			FDs:      []results.ScalePoint{{X: 10, Dist: results.NewDist(lat(time.Millisecond, 10))}, {X: 1000, Dist: results.NewDist(lat(3*time.Millisecond, 10))}},
			Services: []results.ScalePoint{{X: 1, Dist: results.NewDist(lat(time.Millisecond, 10))}, {X: 100, Dist: results.NewDist(lat(time.Millisecond, 10))}},
		},
	}
}

func TestSummariseVerdicts(t *testing.T) {
	rows := summarise(sample())
	want := map[string]string{
		"overhead, static: throughput loss (wrk, 64 connections)":           "met",    // 0.5 %
		"overhead, static: p99 latency increase":                            "missed", // 3 %
		"restart, svc: interception → ready ÷ bare fork+execve (p50)":       "met",    // 1.1×
		"restart, svc: crash → ready ÷ supervisor (p50)":                    "missed", // 0.8×
		"restart, svc: crash → ready ÷ supervisor (RestartSec=100ms) (p50)": "met",    // 0.1×
		"a crash every 100 requests: lost (zlr vs supervisor)":              "met",
		"memory per registered service":                                     "met",
		"memory per tracked idle connection":                                "missed",
	}
	got := map[string]string{}
	for _, r := range rows {
		got[r.Figure] = r.Verdict
	}
	for fig, v := range want {
		if got[fig] != v {
			t.Errorf("%s: verdict %q, want %q", fig, got[fig], v)
		}
	}
}

func TestRunWritesEverything(t *testing.T) {
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	if err := os.MkdirAll(in, 0o755); err != nil {
		t.Fatal(err)
	}
	s := sample()
	for name, v := range map[string]any{
		"restartlat.json": s.RestartLat, "overhead.json": s.Overhead, "crashes.json": s.Crashes,
		"memory.json": s.Memory, "scale.json": s.Scale,
	} {
		if err := results.Write(filepath.Join(in, name), v); err != nil {
			t.Fatal(err)
		}
	}
	readme := filepath.Join(dir, "README.md")
	if err := os.WriteFile(readme, []byte("# R\n"+beginMarker+"\n"+endMarker+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := run(in, out, readme, "a machine", "2026-11-22"); err != nil {
		t.Fatal(err)
	}
	var all All
	if err := results.Read(filepath.Join(out, "results.json"), &all); err != nil {
		t.Fatal(err)
	}
	if all.Machine != "a machine" || all.RestartLat == nil || all.Scale == nil {
		t.Errorf("results.json: %+v", all)
	}
	for _, name := range []string{"restart-cdf.png", "overhead.png", "scale.png"} {
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 200 {
			t.Errorf("%s: %v", name, b)
		}
	}
	md, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Measured on 2026-11-22 on a machine", "(out/restart-cdf.png)", "| memory per registered service | 1200 B | ≤ 4 KB | < 750 KB | met |"} {
		if !strings.Contains(string(md), want) {
			t.Errorf("README lacks %q:\n%s", want, md)
		}
	}
}

func TestLoadNeedsSomething(t *testing.T) {
	if _, err := load(t.TempDir()); err == nil {
		t.Error("load of an empty directory did not fail")
	}
}
