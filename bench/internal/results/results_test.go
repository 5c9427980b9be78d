package results

import (
	"path/filepath"
	"testing"
	"time"
)

func TestNewDist(t *testing.T) {
	var s []time.Duration
	for i := 100; i >= 1; i-- { // 1..100 ms, out of order
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	d := NewDist(s)
	if d.N != 100 || d.P50 != 50*time.Millisecond || d.P90 != 90*time.Millisecond ||
		d.P99 != 99*time.Millisecond || d.Max != 100*time.Millisecond {
		t.Errorf("NewDist = %+v", d)
	}
	if len(d.CDF) != CDFPoints || d.CDF[0] != time.Millisecond || d.CDF[100] != 100*time.Millisecond {
		t.Errorf("CDF = %v", d.CDF)
	}
	if s[0] != 100*time.Millisecond {
		t.Error("NewDist sorted its argument")
	}
	if z := NewDist(nil); z.N != 0 || z.CDF != nil {
		t.Errorf("NewDist(nil) = %+v", z)
	}
}

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		v    []float64
		want float64
	}{{nil, 0}, {[]float64{3}, 3}, {[]float64{5, 1, 3}, 3}, {[]float64{4, 1, 3, 2}, 2.5}} {
		if got := Median(c.v); got != c.want {
			t.Errorf("Median(%v) = %v, want %v", c.v, got, c.want)
		}
	}
}

func TestSlope(t *testing.T) {
	pt := func(x int, y time.Duration) ScalePoint { return ScalePoint{X: x, Dist: Dist{P50: y}} }
	// 2 ms + 1 µs per x.
	pts := []ScalePoint{pt(10, 2010*time.Microsecond), pt(100, 2100*time.Microsecond), pt(1000, 3*time.Millisecond)}
	if got := Slope(pts); got != time.Microsecond {
		t.Errorf("Slope = %v, want 1µs", got)
	}
	if got := Slope(pts[:1]); got != 0 {
		t.Errorf("Slope of one point = %v", got)
	}
}

func TestWriteRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	in := Crashes{Clients: 64, Runs: []CrashRun{{Every: 100, Mode: ModeZLR, Requests: 10}}}
	if err := Write(path, &in); err != nil {
		t.Fatal(err)
	}
	var out Crashes
	if err := Read(path, &out); err != nil {
		t.Fatal(err)
	}
	if out.Clients != 64 || len(out.Runs) != 1 || out.Runs[0] != in.Runs[0] {
		t.Errorf("read back %+v", out)
	}
}
