// Package results holds the types the benchmarks of bench/ write as JSON
// and bench/report reads back: latency distributions, and one section per
// benchmark. Each benchmark program writes its own section to its -json
// file; ci/bench collects them in build/bench/.
package results

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"time"
)

// CDFPoints is the number of points of a distribution's CDF: the 0th to
// the 100th percentile.
const CDFPoints = 101

// Dist is a latency distribution.
type Dist struct {
	N   int           `json:"n"`
	P50 time.Duration `json:"p50_ns"`
	P90 time.Duration `json:"p90_ns"`
	P99 time.Duration `json:"p99_ns"`
	Max time.Duration `json:"max_ns"`
	// CDF holds the 0th, 1st, ..., 100th percentiles, for plots.
	CDF []time.Duration `json:"cdf_ns,omitempty"`
}

// NewDist summarises the samples s, which it does not modify. It returns
// the zero Dist when s is empty.
func NewDist(s []time.Duration) Dist {
	if len(s) == 0 {
		return Dist{}
	}
	s = slices.Clone(s)
	slices.Sort(s)
	d := Dist{
		N:   len(s),
		P50: Percentile(s, 50),
		P90: Percentile(s, 90),
		P99: Percentile(s, 99),
		Max: s[len(s)-1],
		CDF: make([]time.Duration, CDFPoints),
	}
	for i := range d.CDF {
		d.CDF[i] = Percentile(s, float64(i))
	}
	return d
}

// Percentile is the p-th percentile (nearest rank) of sorted, which must
// not be empty.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[min(max(rank, 0), len(sorted)-1)]
}

// Median is the median of v (the mean of the two middle values when len(v)
// is even), or 0 when v is empty. It does not modify v.
func Median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	v = slices.Clone(v)
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2]
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2
}

// Write writes v to path as indented JSON.
func Write(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding %s: %w", path, err)
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing results: %w", err)
	}
	return nil
}

// Read reads the JSON file at path into v.
func Read(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading results: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("decoding %s: %w", path, err)
	}
	return nil
}

// Restart modes: how a service was started again.
const (
	ModeZLR        = "zlr"         // restarted in place by the kernel
	ModeForkExec   = "fork+execve" // a bare fork+execve of the binary: the floor
	ModeSupervisor = "supervisor"  // a user-space supervisor that keeps the listener, restarting at once
	// ModeSystemd is the supervisor with systemd's default RestartSec=100ms.
	ModeSystemd = "supervisor (RestartSec=100ms)"
)

// Restart measures: from which instant to which a restart is timed. A
// service is ready when it says so (the static C service at its main).
const (
	// InterceptToExec is from the kernel's interception of the fault to
	// the new image in place (zlr only, from the RESTART event).
	InterceptToExec = "interception → exec done"
	// InterceptToReady is from the kernel's interception of the fault to
	// the new incarnation's readiness (zlr only).
	InterceptToReady = "interception → ready"
	// CrashToReady is from the crash (the fatal signal sent) to the new
	// incarnation's readiness: the time a supervisor, or zlr, takes.
	CrashToReady = "crash → ready"
	// StartToReady is from just before the fork to readiness (ModeForkExec).
	StartToReady = "fork → ready"
)

// RestartSeries is one restart latency distribution: of one service,
// started again one way, timed between two instants.
type RestartSeries struct {
	Service string `json:"service"`
	Mode    string `json:"mode"`
	Measure string `json:"measure"`
	Dist    Dist   `json:"dist"`
}

// RestartLat is the section bench/restartlat writes.
type RestartLat struct {
	Restarts int             `json:"restarts"` // per service and mode
	Series   []RestartSeries `json:"series"`
	// FDs and slab across the restarts, per service.
	Services []RestartHealth `json:"services"`
}

// RestartHealth is what a service's restarts left behind.
type RestartHealth struct {
	Service      string `json:"service"`
	FDsFirst     int    `json:"fds_after_first_restart"`
	FDsLast      int    `json:"fds_after_last_restart"`
	SlabBeforeKB int64  `json:"sunreclaim_before_kb"`
	SlabWarmKB   int64  `json:"sunreclaim_warm_kb"`
	SlabAfterKB  int64  `json:"sunreclaim_after_kb"`
}

// Find returns the series of service, mode and measure, or nil.
func (r *RestartLat) Find(service, mode, measure string) *RestartSeries {
	for i := range r.Series {
		s := &r.Series[i]
		if s.Service == service && s.Mode == mode && s.Measure == measure {
			return s
		}
	}
	return nil
}

// OverheadRun is one wrk run against the web server demo.
type OverheadRun struct {
	ReqPerSec float64       `json:"req_per_sec"`
	P50       time.Duration `json:"p50_ns"`
	P99       time.Duration `json:"p99_ns"`
	Errors    int64         `json:"errors"` // socket errors and non-2xx answers
}

// OverheadSeries is every repetition of one load against one mode: the
// server unregistered ("plain") or registered with replay tracking on
// (ModeZLR).
type OverheadSeries struct {
	Load string        `json:"load"` // "static" or "cgi"
	Mode string        `json:"mode"`
	Runs []OverheadRun `json:"runs"`
	// Medians over the runs.
	ReqPerSec float64       `json:"median_req_per_sec"`
	P50       time.Duration `json:"median_p50_ns"`
	P99       time.Duration `json:"median_p99_ns"`
}

// Overhead is the section bench/overhead writes.
type Overhead struct {
	Connections int              `json:"connections"`
	Duration    time.Duration    `json:"duration_ns"` // of each wrk run
	Reps        int              `json:"reps"`
	Series      []OverheadSeries `json:"series"`
}

// CrashRun is the web server demo under load with a crash every K requests.
type CrashRun struct {
	Every     int           `json:"every"` // K
	Mode      string        `json:"mode"`  // ModeZLR or ModeSupervisor
	Requests  int           `json:"requests"`
	Failed    int           `json:"failed"`
	Corrupted int           `json:"corrupted"`
	Crashes   int           `json:"crashes"`
	Elapsed   time.Duration `json:"elapsed_ns"`
	ReqPerSec float64       `json:"req_per_sec"`
}

// Crashes is the section bench/crashes writes.
type Crashes struct {
	Clients int        `json:"clients"`
	Runs    []CrashRun `json:"runs"`
}

// Memory is the section bench/memscale writes about memory.
type Memory struct {
	Services            int     `json:"services"`          // registered to measure the next figure
	PerServiceBytes     float64 `json:"per_service_bytes"` // kernel memory per registered service
	Connections         int     `json:"connections"`
	PerIdleConnBytes    float64 `json:"per_idle_conn_bytes"` // kernel memory per tracked idle connection
	InflightRequests    int     `json:"inflight_requests"`
	RequestBytes        int     `json:"request_bytes"`            // size of each in-flight request
	PerInflightBytes    float64 `json:"per_inflight_bytes"`       // kernel memory held per in-flight request
	Restarts            int     `json:"restarts"`                 // for the growth figure
	SlabBeforeKB        int64   `json:"sunreclaim_before_kb"`     // after a warm-up
	SlabAfterKB         int64   `json:"sunreclaim_after_kb"`      // after the restarts
	GrowthBytesPerStart float64 `json:"growth_bytes_per_restart"` // slope of SUnreclaim against the restarts
}

// ScalePoint is the restart latency at one size.
type ScalePoint struct {
	X    int  `json:"x"` // retained descriptors, or registered services
	Dist Dist `json:"dist"`
}

// Scale is the section bench/memscale writes about scale.
type Scale struct {
	// FDs: fault → exec done against the tracked connections the service keeps.
	FDs []ScalePoint `json:"fds"`
	// PerFD is the slope of the median latency against the descriptors
	// (least squares).
	PerFD time.Duration `json:"per_fd_ns"`
	// Services: fault → exec done of one service against the registered services.
	Services   []ScalePoint  `json:"services"`
	PerService time.Duration `json:"per_service_ns"`
}

// Slope is the least-squares slope of the medians of pts against their X.
func Slope(pts []ScalePoint) time.Duration {
	if len(pts) < 2 {
		return 0
	}
	var sx, sy, sxx, sxy float64
	for _, p := range pts {
		x, y := float64(p.X), float64(p.Dist.P50)
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	n := float64(len(pts))
	den := n*sxx - sx*sx
	if den == 0 {
		return 0
	}
	return time.Duration((n*sxy - sx*sy) / den)
}

// SymbolShare is one symbol's share of a profile's samples.
type SymbolShare struct {
	Symbol string  `json:"symbol"`
	Pct    float64 `json:"pct"`
}

// CPUShare is the section bench/cpushare writes: where a system-wide
// profile (perf, cpu-clock) of the machine under a load found the time,
// counting only the samples of each function itself.
type CPUShare struct {
	Load    string `json:"load"`    // what ran while profiling
	Samples int64  `json:"samples"` // in the profile
	// ZLRPct is the share of the samples in zlr's kernel functions.
	ZLRPct float64 `json:"zlr_kernel_pct"`
	// LibzlPct is the share in libzl and its packages (user space).
	LibzlPct float64       `json:"libzl_pct"`
	Top      []SymbolShare `json:"top_zlr"` // zlr's and libzl's functions, largest first
}
