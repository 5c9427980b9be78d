//go:build linux

package main

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/olekukonko/tablewriter"

	"github.com/zl-dev/zl/bench/internal/results"
)

// The targets: what registering the server with replay tracking on may
// cost at most, against the plain server.
const (
	targetLossPct   = 1.0 // throughput lost, in percent
	targetP99IncPct = 2.0 // p99 latency added, in percent
)

// modeOrder returns the order in which repetition rep (from 0) runs the
// modes: plain first on even repetitions, zlr first on odd ones, so that
// neither mode always runs in the warmer or the colder position.
func modeOrder(rep int) []string {
	if rep%2 == 0 {
		return []string{modePlain, modeZLR}
	}
	return []string{modeZLR, modePlain}
}

// summarize sets the medians of s over its runs.
func summarize(s *results.OverheadSeries) {
	var rps, p50, p99 []float64
	for _, r := range s.Runs {
		rps = append(rps, r.ReqPerSec)
		p50 = append(p50, float64(r.P50))
		p99 = append(p99, float64(r.P99))
	}
	s.ReqPerSec = results.Median(rps)
	s.P50 = time.Duration(results.Median(p50))
	s.P99 = time.Duration(results.Median(p99))
}

// A comparison is the zlr series of a load against the plain one.
type comparison struct {
	// LossPct is the throughput lost, in percent of the plain server's
	// (negative when zlr served more).
	LossPct float64
	// P99IncPct is the p99 latency added, in percent of the plain
	// server's (negative when zlr's was lower).
	P99IncPct float64
}

// compare compares the medians of zlr and plain, which must have them.
func compare(plain, zlr *results.OverheadSeries) comparison {
	var c comparison
	if plain.ReqPerSec > 0 {
		c.LossPct = 100 * (1 - zlr.ReqPerSec/plain.ReqPerSec)
	}
	if plain.P99 > 0 {
		c.P99IncPct = 100 * (float64(zlr.P99)/float64(plain.P99) - 1)
	}
	return c
}

// paired compares zlr with plain repetition by repetition, the runs of
// both series being in the order of the repetitions, and returns the
// medians of the changes: less sensitive than compare to a machine whose
// speed drifts between repetitions, as both modes of a repetition run
// back to back. It returns false when the series have no runs in common.
func paired(plain, zlr *results.OverheadSeries) (comparison, bool) {
	n := min(len(plain.Runs), len(zlr.Runs))
	var loss, inc []float64
	for i := range n {
		p, z := plain.Runs[i], zlr.Runs[i]
		if p.ReqPerSec <= 0 || p.P99 <= 0 {
			continue
		}
		loss = append(loss, 100*(1-z.ReqPerSec/p.ReqPerSec))
		inc = append(inc, 100*(float64(z.P99)/float64(p.P99)-1))
	}
	if len(loss) == 0 {
		return comparison{}, false
	}
	return comparison{LossPct: results.Median(loss), P99IncPct: results.Median(inc)}, true
}

// Within reports whether the comparison meets the targets.
func (c comparison) Within() bool {
	return c.LossPct <= targetLossPct && c.P99IncPct <= targetP99IncPct
}

// find returns the series of load and mode in o, or nil.
func find(o *results.Overhead, load, mode string) *results.OverheadSeries {
	for i := range o.Series {
		if o.Series[i].Load == load && o.Series[i].Mode == mode {
			return &o.Series[i]
		}
	}
	return nil
}

// spread returns the range of the requests per second of s's runs around
// their median, in percent: (max - min) / median.
func spread(s *results.OverheadSeries) float64 {
	if len(s.Runs) == 0 || s.ReqPerSec == 0 {
		return 0
	}
	v := make([]float64, len(s.Runs))
	for i, r := range s.Runs {
		v[i] = r.ReqPerSec
	}
	return 100 * (slices.Max(v) - slices.Min(v)) / s.ReqPerSec
}

// fmtDur formats a latency in the unit that suits it.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return strconv.FormatFloat(float64(d)/float64(time.Microsecond), 'f', 0, 64) + " µs"
	case d < time.Second:
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 2, 64) + " ms"
	default:
		return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
	}
}

// pct formats a percentage with its sign.
func pct(v float64) string { return fmt.Sprintf("%+.2f%%", v) }

// printTable prints the medians of every series and, for zlr, the change
// against plain beside the targets; then a line per load that misses them.
func printTable(w io.Writer, o *results.Overhead, loads []string) {
	fmt.Fprintf(w, "Web server demo under wrk (%d connections, %v per run): plain vs registered with zlr (replay and dedup on), median of %d repetitions, modes alternating\n",
		o.Connections, o.Duration, o.Reps)
	t := tablewriter.NewWriter(w)
	t.Header([]string{"load", "mode", "req/s", "req/s spread", "p50", "p99", "throughput loss", "target", "p99 increase", "target"})
	var missed []string
	for _, load := range loads {
		plain, zlr := find(o, load, modePlain), find(o, load, modeZLR)
		for _, s := range []*results.OverheadSeries{plain, zlr} {
			if s == nil {
				continue
			}
			row := []string{
				s.Load, s.Mode,
				strconv.FormatFloat(s.ReqPerSec, 'f', 1, 64),
				fmt.Sprintf("%.1f%%", spread(s)),
				fmtDur(s.P50), fmtDur(s.P99),
				"", "", "", "",
			}
			if s == zlr && plain != nil {
				c := compare(plain, zlr)
				row[6], row[7] = pct(c.LossPct), fmt.Sprintf("≤ %g%%", targetLossPct)
				row[8], row[9] = pct(c.P99IncPct), fmt.Sprintf("≤ %g%%", targetP99IncPct)
				if !c.Within() {
					missed = append(missed, load)
				}
			}
			t.Append(row)
		}
	}
	t.Render()
	fmt.Fprintln(w, "req/s spread: (max - min) / median of the repetitions; loss and increase: zlr's median against plain's.")
	for _, load := range loads {
		plain, zlr := find(o, load, modePlain), find(o, load, modeZLR)
		if plain == nil || zlr == nil {
			continue
		}
		if c, ok := paired(plain, zlr); ok {
			fmt.Fprintf(w, "%s, paired (median of each repetition's zlr against its plain): throughput loss %s, p99 increase %s\n", load, pct(c.LossPct), pct(c.P99IncPct))
		}
	}
	for _, load := range missed {
		fmt.Fprintf(w, "%s: over the target (the spread between repetitions shows how much of it is noise)\n", load)
	}
	for _, s := range o.Series {
		if o.Duration > 0 && s.P99 > o.Duration/2 {
			fmt.Fprintf(w, "%s, %s: p99 %s is over half the run: wrk times only the requests answered within the run, so the tail is cut short; lengthen -duration or lower -connections\n",
				s.Load, s.Mode, fmtDur(s.P99))
		}
	}
}
