//go:build linux

package main

import (
	"math"
	"slices"
	"testing"
)

const meminfo = `MemTotal:        2030456 kB
MemFree:         1900000 kB
Slab:               9000 kB
SReclaimable:       5760 kB
SUnreclaim:         3240 kB
HugePages_Total:       0
`

func TestParseMeminfo(t *testing.T) {
	for _, tc := range []struct {
		field string
		want  int64
	}{
		{"SUnreclaim", 3240 * 1024},
		{"Slab", 9000 * 1024},
		{"HugePages_Total", 0},
	} {
		got, err := parseMeminfo(meminfo, tc.field)
		if err != nil || got != tc.want {
			t.Errorf("parseMeminfo(%s) = %d, %v; want %d", tc.field, got, err, tc.want)
		}
	}
	for _, bad := range []struct{ text, field string }{
		{meminfo, "SUnreclaimable"},
		{"SUnreclaim: x kB\n", "SUnreclaim"},
		{"SUnreclaim: 12 MB\n", "SUnreclaim"},
		{"", "SUnreclaim"},
	} {
		if v, err := parseMeminfo(bad.text, bad.field); err == nil {
			t.Errorf("parseMeminfo(%q, %s) = %d, want an error", bad.text, bad.field, v)
		}
	}
}

func TestFit(t *testing.T) {
	// y = 3x + 10, with the noise of a page at one point that the others
	// outweigh.
	xs := []float64{0, 100, 200, 300, 400}
	ys := []float64{10, 310, 610, 910, 1210}
	slope, icpt, err := fit(xs, ys)
	if err != nil || math.Abs(slope-3) > 1e-9 || math.Abs(icpt-10) > 1e-9 {
		t.Errorf("fit exact line = %v, %v, %v; want 3, 10", slope, icpt, err)
	}
	ys[2] += 4096
	slope, _, err = fit(xs, ys)
	if err != nil || math.Abs(slope-3) > 1e-9 {
		t.Errorf("fit with a bump in the middle = %v, %v; want 3 (the bump moves the intercept)", slope, err)
	}
	if _, _, err := fit([]float64{1}, []float64{1}); err == nil {
		t.Error("fit of one point: no error")
	}
	if _, _, err := fit([]float64{1, 1}, []float64{1, 2}); err == nil {
		t.Error("fit of points at one x: no error")
	}
	if _, _, err := fit([]float64{1, 2}, []float64{1}); err == nil {
		t.Error("fit of mismatched slices: no error")
	}
}

func TestParseList(t *testing.T) {
	got, err := parseList(" 1000, 10,100,10 ", 1)
	if err != nil || !slices.Equal(got, []int{10, 100, 1000}) {
		t.Errorf("parseList = %v, %v; want [10 100 1000]", got, err)
	}
	if got, err := parseList("", 1); err != nil || got != nil {
		t.Errorf("parseList(\"\") = %v, %v; want nothing", got, err)
	}
	if got, err := parseList("0,1", 0); err != nil || !slices.Equal(got, []int{0, 1}) {
		t.Errorf("parseList(0,1 from 0) = %v, %v", got, err)
	}
	for _, bad := range []string{"0", "1,x", "1,,2", "-5"} {
		if got, err := parseList(bad, 1); err == nil {
			t.Errorf("parseList(%q) = %v, want an error", bad, got)
		}
	}
}

func TestParseReports(t *testing.T) {
	r, err := parseTinyReport("t=123456789 inc=7 fds=3 slab=3240\n")
	if err != nil || r != (tinyReport{inc: 7, fds: 3, slabKB: 3240}) {
		t.Errorf("parseTinyReport = %+v, %v", r, err)
	}
	if _, err := parseTinyReport("inc=7\n"); err == nil {
		t.Error("parseTinyReport of a bad line: no error")
	}
	c, err := parseConnReport("inc=3 conns=1000")
	if err != nil || c != (connReport{inc: 3, conns: 1000}) {
		t.Errorf("parseConnReport = %+v, %v", c, err)
	}
	if _, err := parseConnReport("ok"); err == nil {
		t.Error("parseConnReport of a bad line: no error")
	}
}

func TestVerdictAndBytes(t *testing.T) {
	if v := verdict(4096, 4096); v != "met" {
		t.Errorf("verdict at the limit = %s", v)
	}
	if v := verdict(4097, 4096); v != "MISSED" {
		t.Errorf("verdict over the limit = %s", v)
	}
	for _, tc := range []struct {
		b    float64
		want string
	}{
		{1152.4, "1152 B"},
		{0.46, "0.5 B"},
		{-3.52, "-3.5 B"},
		{-4096, "-4096 B"},
	} {
		if got := bytesText(tc.b); got != tc.want {
			t.Errorf("bytesText(%v) = %q, want %q", tc.b, got, tc.want)
		}
	}
}

func TestFigures(t *testing.T) {
	r := connRound{
		plain: connSession{touch: 0.5, read: -1120},
		reg:   connSession{touch: 120.5, read: -96},
	}
	if got := r.perIdle(); got != 120 {
		t.Errorf("perIdle = %v, want 120", got)
	}
	if got := r.perInflight(); got != 1024 {
		t.Errorf("perInflight = %v, want 1024", got)
	}
	s := serviceCost{slopes: []float64{1200, 1100, 1250}, controls: []float64{0, -40, 10}}
	if got := s.perService(); got != 1200 {
		t.Errorf("perService = %v, want 1200 (median 1200 less median 0)", got)
	}
}

func TestConfigCheck(t *testing.T) {
	good := config{services: 1000, rounds: 3, conns: 1000, request: 1024, restarts: 10000, scaleRestarts: 30}
	if err := good.check(); err != nil {
		t.Errorf("check of the defaults: %v", err)
	}
	for _, bad := range []func(*config){
		func(c *config) { c.rounds = 0 },
		func(c *config) { c.restarts = 1 },
		func(c *config) { c.restarts = 10001 },
		func(c *config) { c.request = 0 },
		func(c *config) { c.conns = 100000; c.request = 4096 },
		func(c *config) { c.services = -1 },
		func(c *config) { c.scaleRestarts = 0 },
	} {
		c := good
		bad(&c)
		if err := c.check(); err == nil {
			t.Errorf("check of %+v: no error", c)
		}
	}
}

func TestSlabGrowth(t *testing.T) {
	// Flat at 3380 kB with a page of noise up and down, after a warm-up
	// that allocated 80 kB once.
	slab := make([]int64, 1001)
	for i := range slab {
		slab[i] = 3380 + int64(i%3-1)*4
		if i < 100 {
			slab[i] -= 80
		}
	}
	g, err := slabGrowth(slab, 100)
	if err != nil {
		t.Fatal(err)
	}
	if g.beforeKB != 3380 || g.afterKB != 3380 || math.Abs(g.perRestart) > 1 {
		t.Errorf("flat series: %+v, want 3380 kB before and after, no growth", g)
	}
	// A leak of 4 kB every 100 restarts.
	for i := range slab {
		slab[i] = 3380 + int64(i/100)*4
	}
	g, err = slabGrowth(slab, 100)
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(g.perRestart-40.96) > 1 || g.afterKB <= g.beforeKB {
		t.Errorf("leaking series: %+v, want about 41 B per restart", g)
	}
	if _, err := slabGrowth(slab[:101], 100); err == nil {
		t.Error("one reading after the warm-up: no error")
	}
}
