package demoload

import (
	"testing"
	"time"
)

func TestPercentiles(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	got := Percentiles(ds)
	want := Latency{Count: 100, P50: 50 * time.Millisecond, P90: 90 * time.Millisecond, P99: 99 * time.Millisecond, Max: 100 * time.Millisecond}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if ds[0] != 100*time.Millisecond {
		t.Errorf("Percentiles sorted its argument")
	}
	if got := Percentiles(nil); got != (Latency{}) {
		t.Errorf("no durations: %+v", got)
	}
	one := []time.Duration{time.Second}
	if got := Percentiles(one); got.P50 != time.Second || got.P99 != time.Second {
		t.Errorf("one duration: %+v", got)
	}
	three := []time.Duration{1, 2, 3}
	for _, tc := range []struct {
		p    float64
		want time.Duration
	}{{1, 1}, {33, 1}, {34, 2}, {50, 2}, {67, 3}, {100, 3}} {
		if got := Percentile(three, tc.p); got != tc.want {
			t.Errorf("Percentile(1,2,3; %v) = %v, want %v", tc.p, got, tc.want)
		}
	}
}
