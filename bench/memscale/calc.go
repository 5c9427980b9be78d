//go:build linux

package main

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/zl-dev/zl/bench/internal/results"
)

// parseMeminfo returns the value of field (such as "SUnreclaim") in text,
// the contents of /proc/meminfo, in bytes.
func parseMeminfo(text, field string) (int64, error) {
	for line := range strings.SplitSeq(text, "\n") {
		f := strings.Fields(line)
		if len(f) < 2 || f[0] != field+":" {
			continue
		}
		v, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("meminfo %s: bad value %q: %w", field, f[1], err)
		}
		switch {
		case len(f) == 2:
			return v, nil
		case len(f) == 3 && f[2] == "kB":
			return v * 1024, nil
		default:
			return 0, fmt.Errorf("meminfo %s: unexpected unit in %q", field, line)
		}
	}
	return 0, fmt.Errorf("meminfo: no %s line", field)
}

// fit returns the least-squares line through the points (xs[i], ys[i]):
// its slope and its intercept.
func fit(xs, ys []float64) (slope, intercept float64, err error) {
	if len(xs) != len(ys) {
		return 0, 0, fmt.Errorf("fit: %d x values for %d y values", len(xs), len(ys))
	}
	if len(xs) < 2 {
		return 0, 0, errors.New("fit: fewer than two points")
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	n := float64(len(xs))
	mx /= n
	my /= n
	var sxx, sxy float64
	for i := range xs {
		dx := xs[i] - mx
		sxx += dx * dx
		sxy += dx * (ys[i] - my)
	}
	if sxx == 0 {
		return 0, 0, errors.New("fit: all points have the same x")
	}
	slope = sxy / sxx
	return slope, my - slope*mx, nil
}

// parseList parses a comma-separated list of integers of at least least,
// such as "10,100,1000", and returns them sorted, without duplicates. An
// empty string gives none.
func parseList(s string, least int) ([]int, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []int
	for f := range strings.SplitSeq(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("bad number %q in %q", f, s)
		}
		if n < least {
			return nil, fmt.Errorf("%d in %q is below %d", n, s, least)
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// A connReport is the line an incarnation of the Go service after a
// restart writes: its incarnation and the connections it adopted.
type connReport struct {
	inc   uint32
	conns int
}

// parseConnReport parses "inc=<n> conns=<n>".
func parseConnReport(line string) (connReport, error) {
	var r connReport
	if _, err := fmt.Sscanf(line, "inc=%d conns=%d", &r.inc, &r.conns); err != nil {
		return connReport{}, fmt.Errorf("bad service report %q: %w", line, err)
	}
	return r, nil
}

// A tinyReport is the line each incarnation of zlr-tiny writes.
type tinyReport struct {
	inc    uint32
	fds    int
	slabKB int64 // SUnreclaim, kB
}

// parseTinyReport parses "t=<ns> inc=<n> fds=<n> slab=<kB>" (see
// bench/tiny/tiny.c).
func parseTinyReport(line string) (tinyReport, error) {
	var r tinyReport
	var t int64
	if _, err := fmt.Sscanf(line, "t=%d inc=%d fds=%d slab=%d", &t, &r.inc, &r.fds, &r.slabKB); err != nil {
		return tinyReport{}, fmt.Errorf("bad zlr-tiny report %q: %w", line, err)
	}
	return r, nil
}

// A growth is how SUnreclaim moved over a service's restarts.
type growth struct {
	beforeKB, afterKB int64   // medians of the first and the last tenth of the readings
	perRestart        float64 // bytes: the least-squares slope of all of them
}

// slabGrowth computes the growth from slabKB, SUnreclaim in kB as
// incarnation i read it at slabKB[i], from incarnation warm on. The slope
// of thousands of readings is not at the mercy of the slab pages that
// happen to be allocated or freed when one of them is taken, as a
// difference of two is: the readings move by ±20 kB from one restart to
// the next as the objects of the previous incarnation, freed after an RCU
// grace period, come and go.
func slabGrowth(slabKB []int64, warm int) (growth, error) {
	if warm < 0 || len(slabKB)-warm < 2 {
		return growth{}, fmt.Errorf("growth: %d readings from incarnation %d on", len(slabKB)-warm, warm)
	}
	r := slabKB[warm:]
	xs := make([]float64, len(r))
	ys := make([]float64, len(r))
	for i, kb := range r {
		xs[i] = float64(warm + i)
		ys[i] = float64(kb) * 1024
	}
	slope, _, err := fit(xs, ys)
	if err != nil {
		return growth{}, err
	}
	w := max(1, len(r)/10)
	median := func(kb []float64) int64 { return int64(math.Round(results.Median(kb) / 1024)) }
	return growth{beforeKB: median(ys[:w]), afterKB: median(ys[len(ys)-w:]), perRestart: slope}, nil
}

// growthTolerance is the growth of SUnreclaim per restart that still
// counts as none: 1 byte per restart is 9 kB, two slab pages, over 9,000
// restarts; the slope of a flat series of readings stays within a tenth of
// that.
const growthTolerance = 1.0

// verdict says whether a measured figure is within its target (at most
// limit).
func verdict(measured, limit float64) string {
	if measured <= limit {
		return "met"
	}
	return "MISSED"
}

// bytesText formats a number of bytes for the tables, such as "1152 B" or
// "-3.5 B" (fractions only below 100).
func bytesText(b float64) string {
	if b > -100 && b < 100 {
		return strconv.FormatFloat(b, 'f', 1, 64) + " B"
	}
	return strconv.FormatFloat(b, 'f', 0, 64) + " B"
}
