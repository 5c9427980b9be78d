package demoload

import (
	"math"
	"slices"
	"time"
)

// Latency summarizes a distribution of durations.
type Latency struct {
	// Count is the number of durations.
	Count int `json:"count"`

	// P50, P90 and P99 are percentiles, Max the longest; all zero when
	// Count is.
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
}

// Percentiles returns the percentiles of ds, which it does not change.
func Percentiles(ds []time.Duration) Latency {
	s := slices.Clone(ds)
	slices.Sort(s)
	l := Latency{Count: len(s)}
	if len(s) > 0 {
		l.P50 = Percentile(s, 50)
		l.P90 = Percentile(s, 90)
		l.P99 = Percentile(s, 99)
		l.Max = s[len(s)-1]
	}
	return l
}

// Percentile returns the p-th percentile (0 < p <= 100) of sorted, by the
// nearest-rank method: the smallest value that at least p percent of the
// values do not exceed. It returns 0 for no values.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}
