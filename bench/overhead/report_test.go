//go:build linux

package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/zl-dev/zl/bench/internal/results"
)

func TestModeOrder(t *testing.T) {
	for rep, want := range [][]string{{modePlain, modeZLR}, {modeZLR, modePlain}, {modePlain, modeZLR}} {
		if got := modeOrder(rep); !slices.Equal(got, want) {
			t.Errorf("modeOrder(%d) = %q, want %q", rep, got, want)
		}
	}
}

func ms(f float64) time.Duration { return time.Duration(f * float64(time.Millisecond)) }

func TestSummarizeAndCompare(t *testing.T) {
	plain := results.OverheadSeries{Load: "static", Mode: modePlain, Runs: []results.OverheadRun{
		{ReqPerSec: 1000, P50: ms(1), P99: ms(10)},
		{ReqPerSec: 1100, P50: ms(3), P99: ms(30)},
		{ReqPerSec: 900, P50: ms(2), P99: ms(20)},
	}}
	zlr := results.OverheadSeries{Load: "static", Mode: modeZLR, Runs: []results.OverheadRun{
		{ReqPerSec: 990, P50: ms(2), P99: ms(20.2)},
		{ReqPerSec: 980, P50: ms(2), P99: ms(20.6)},
	}}
	summarize(&plain)
	summarize(&zlr)
	if plain.ReqPerSec != 1000 || plain.P50 != ms(2) || plain.P99 != ms(20) {
		t.Errorf("plain medians = %v req/s, p50 %v, p99 %v", plain.ReqPerSec, plain.P50, plain.P99)
	}
	if zlr.ReqPerSec != 985 || zlr.P99 != ms(20.4) {
		t.Errorf("zlr medians = %v req/s, p99 %v", zlr.ReqPerSec, zlr.P99)
	}
	c := compare(&plain, &zlr)
	if d := c.LossPct - 1.5; d > 1e-9 || d < -1e-9 {
		t.Errorf("loss = %v%%, want 1.5%%", c.LossPct)
	}
	if d := c.P99IncPct - 2; d > 1e-9 || d < -1e-9 {
		t.Errorf("p99 increase = %v%%, want 2%%", c.P99IncPct)
	}
	if c.Within() {
		t.Error("a loss of 1.5% is within the 1% target")
	}
	if !(comparison{LossPct: 1, P99IncPct: 2}).Within() || !(comparison{LossPct: -3, P99IncPct: -1}).Within() {
		t.Error("figures at or under the targets are not within")
	}
	if got := spread(&plain); got != 20 {
		t.Errorf("spread = %v%%, want 20%%", got)
	}
	// Repetition by repetition: losses 1%, 10.9%; p99 +102%, -31.3%.
	pc, ok := paired(&plain, &zlr)
	if !ok || pc.LossPct < 5.9 || pc.LossPct > 6 || pc.P99IncPct < 35.3 || pc.P99IncPct > 35.4 {
		t.Errorf("paired = %+v, %v; want a loss of 5.95%% and an increase of 35.33%%", pc, ok)
	}
	if _, ok := paired(&results.OverheadSeries{}, &zlr); ok {
		t.Error("paired against no runs")
	}
	if got := compare(&results.OverheadSeries{}, &zlr); got != (comparison{}) {
		t.Errorf("compare against an empty series = %+v", got)
	}
}

func TestPrintTable(t *testing.T) {
	o := &results.Overhead{Connections: 64, Duration: 4 * time.Second, Reps: 1, Series: []results.OverheadSeries{
		{Load: "static", Mode: modePlain, Runs: []results.OverheadRun{{ReqPerSec: 1000, P99: ms(10)}}, ReqPerSec: 1000, P50: 900 * time.Microsecond, P99: ms(10)},
		{Load: "static", Mode: modeZLR, Runs: []results.OverheadRun{{ReqPerSec: 1000, P99: ms(10)}}, ReqPerSec: 995, P50: ms(1), P99: ms(10.1)},
		{Load: "cgi", Mode: modePlain, Runs: []results.OverheadRun{{ReqPerSec: 100}}, ReqPerSec: 100, P50: ms(500), P99: 2 * time.Second},
		{Load: "cgi", Mode: modeZLR, Runs: []results.OverheadRun{{ReqPerSec: 90}}, ReqPerSec: 90, P50: ms(550), P99: 3 * time.Second},
	}}
	var b strings.Builder
	printTable(&b, o, []string{"static", "cgi"})
	out := b.String()
	for _, s := range []string{"+0.50%", "+1.00%", "+10.00%", "+50.00%", "≤ 1%", "≤ 2%", "900 µs", "10.10 ms", "2.00 s",
		"cgi: over the target", "static, paired (median of each repetition's zlr against its plain): throughput loss +0.00%",
		"cgi, zlr: p99 3.00 s is over half the run"} {
		if !strings.Contains(out, s) {
			t.Errorf("the table lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "static: over the target") || strings.Contains(out, "cgi, plain: p99") {
		t.Errorf("static is reported over the target:\n%s", out)
	}
}

func TestFmtDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		99 * time.Microsecond:   "99 µs",
		ms(1.5):                 "1.50 ms",
		1200 * time.Millisecond: "1.20 s",
	} {
		if got := fmtDur(d); got != want {
			t.Errorf("fmtDur(%v) = %q, want %q", d, got, want)
		}
	}
}
