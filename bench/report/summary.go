package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/olekukonko/tablewriter"

	"github.com/zl-dev/zl/bench/internal/results"
)

// All is every section of a run, as results.json holds it.
type All struct {
	Date       string              `json:"date"`
	Machine    string              `json:"machine"`
	RestartLat *results.RestartLat `json:"restart_latency,omitempty"`
	Overhead   *results.Overhead   `json:"overhead,omitempty"`
	Crashes    *results.Crashes    `json:"crashes,omitempty"`
	Memory     *results.Memory     `json:"memory,omitempty"`
	Scale      *results.Scale      `json:"scale,omitempty"`
	CommitCost []CommitCost        `json:"commit_cost,omitempty"`
	CPUShare   *results.CPUShare   `json:"cpu_share,omitempty"`
}

// CommitCost is one size of bench/commitcost's results.
type CommitCost struct {
	Size     int          `json:"size"`
	PlainRPS float64      `json:"plain_rps"`
	Fcntl    CommitResult `json:"fcntl"`
	Netlink  CommitResult `json:"netlink"`
}

// CommitResult is one commit mode of bench/commitcost.
type CommitResult struct {
	RPS      float64 `json:"rps"`
	LossPct  float64 `json:"loss_pct"`
	CommitNs float64 `json:"commit_ns"`
}

// load reads the sections in dir; a missing file leaves its section out.
func load(dir string) (*All, error) {
	all := &All{}
	files := []struct {
		name string
		v    any
	}{
		{"restartlat.json", &results.RestartLat{}},
		{"overhead.json", &results.Overhead{}},
		{"crashes.json", &results.Crashes{}},
		{"memory.json", &results.Memory{}},
		{"scale.json", &results.Scale{}},
		{"commitcost.json", &[]CommitCost{}},
		{"cpushare.json", &results.CPUShare{}},
	}
	found := 0
	for _, f := range files {
		err := results.Read(filepath.Join(dir, f.name), f.v)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found++
		switch v := f.v.(type) {
		case *results.RestartLat:
			all.RestartLat = v
		case *results.Overhead:
			all.Overhead = v
		case *results.Crashes:
			all.Crashes = v
		case *results.Memory:
			all.Memory = v
		case *results.Scale:
			all.Scale = v
		case *[]CommitCost:
			all.CommitCost = *v
		case *results.CPUShare:
			all.CPUShare = v
		}
	}
	if found == 0 {
		return nil, fmt.Errorf("no benchmark results in %s", dir)
	}
	return all, nil
}

func writeJSON(dir string, all *All) error {
	return results.Write(filepath.Join(dir, "results.json"), all)
}

// A row is one figure of the summary.
type row struct {
	Figure   string
	Measured string
	Target   string
	Paper    string
	Verdict  string // "met", "missed" or "" when there is no target
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "missed"
}

func pct(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + " %" }

func ms(d time.Duration) string {
	if d < time.Millisecond {
		return strconv.FormatFloat(float64(d)/1e3, 'f', 0, 64) + " µs"
	}
	return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) + " ms"
}

func times(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) + "×" }

func bytesOf(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) + " B" }

// change is how much larger a is than b, in percent.
func change(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return (a - b) / b * 100
}

// summarise lists each figure beside its target and the papers' figure.
func summarise(all *All) []row {
	var rows []row
	if o := all.Overhead; o != nil {
		for _, load := range []string{"static", "cgi"} {
			plain, zlr := findOverhead(o, load, "plain"), findOverhead(o, load, results.ModeZLR)
			if plain == nil || zlr == nil {
				continue
			}
			loss := -change(zlr.ReqPerSec, plain.ReqPerSec)
			spread := max(spreadPct(plain), spreadPct(zlr))
			p99 := change(float64(zlr.P99), float64(plain.P99))
			rows = append(rows,
				row{"overhead, " + load + ": throughput loss (wrk, " + strconv.Itoa(o.Connections) + " connections)",
					pct(loss) + fmt.Sprintf(" (%.0f vs %.0f req/s; runs spread over %.0f %%)", zlr.ReqPerSec, plain.ReqPerSec, spread),
					"≤ 1 %", "< 3.2 %", verdict(loss <= 1)},
				row{"overhead, " + load + ": p99 latency increase",
					pct(p99) + " (" + ms(zlr.P99) + " vs " + ms(plain.P99) + ")",
					"≤ 2 %", "-", verdict(p99 <= 2)})
		}
	}
	if c := all.CPUShare; c != nil {
		rows = append(rows,
			row{"CPU in zlr's kernel functions under " + c.Load + " (perf, self time)",
				fmt.Sprintf("%.2f %% of %d samples", c.ZLRPct, c.Samples), "≤ 1 %", "< 3.2 %", verdict(c.ZLRPct <= 1)},
			row{"CPU in libzl under the same load", fmt.Sprintf("%.2f %%", c.LibzlPct), "-", "-", ""})
	}
	if r := all.RestartLat; r != nil {
		for _, svc := range restartServices(r) {
			floor := r.Find(svc, results.ModeForkExec, results.StartToReady)
			exec := r.Find(svc, results.ModeZLR, results.InterceptToExec)
			ready := r.Find(svc, results.ModeZLR, results.InterceptToReady)
			crash := r.Find(svc, results.ModeZLR, results.CrashToReady)
			sup := r.Find(svc, results.ModeSupervisor, results.CrashToReady)
			sysd := r.Find(svc, results.ModeSystemd, results.CrashToReady)
			if exec != nil {
				rows = append(rows, row{"restart, " + svc + ": interception → exec done (p50)",
					ms(exec.Dist.P50) + " (p99 " + ms(exec.Dist.P99) + ")", "-", "210 µs", ""})
			}
			if ready != nil && floor != nil {
				x := float64(ready.Dist.P50) / float64(floor.Dist.P50)
				rows = append(rows, row{"restart, " + svc + ": interception → ready ÷ bare fork+execve (p50)",
					times(x) + " (" + ms(ready.Dist.P50) + " vs " + ms(floor.Dist.P50) + ")",
					"≤ 1.2×", "-", verdict(x <= 1.2)})
			}
			for _, s := range []*results.RestartSeries{sysd, sup} {
				if crash == nil || s == nil {
					continue
				}
				x := float64(crash.Dist.P50) / float64(s.Dist.P50)
				rows = append(rows, row{"restart, " + svc + ": crash → ready ÷ " + s.Mode + " (p50)",
					times(x) + " (" + ms(crash.Dist.P50) + " vs " + ms(s.Dist.P50) + ")",
					"≤ 0.2×", "-", verdict(x <= 0.2)})
			}
		}
	}
	if c := all.Crashes; c != nil {
		for _, k := range everys(c) {
			z, s := findCrash(c, k, results.ModeZLR), findCrash(c, k, results.ModeSupervisor)
			if z == nil || s == nil {
				continue
			}
			rows = append(rows, row{fmt.Sprintf("a crash every %d requests: lost (zlr vs supervisor)", k),
				fmt.Sprintf("%d vs %d of %d; %.0f vs %.0f req/s", z.Failed+z.Corrupted, s.Failed+s.Corrupted,
					z.Requests, z.ReqPerSec, s.ReqPerSec),
				"0 lost", "0 lost", verdict(z.Failed+z.Corrupted == 0)})
		}
	}
	if m := all.Memory; m != nil {
		rows = append(rows,
			row{"memory per registered service", bytesOf(m.PerServiceBytes), "≤ 4 KB", "< 750 KB", verdict(m.PerServiceBytes <= 4096)},
			row{"memory per tracked idle connection", bytesOf(m.PerIdleConnBytes), "≤ 256 B", "-", verdict(m.PerIdleConnBytes <= 256)},
			row{fmt.Sprintf("memory per in-flight request of %d B", m.RequestBytes), bytesOf(m.PerInflightBytes), "-", "-", ""},
			row{fmt.Sprintf("slab growth over %d restarts", m.Restarts),
				fmt.Sprintf("%d kB (%.1f B per restart)", m.SlabAfterKB-m.SlabBeforeKB, m.GrowthBytesPerStart),
				"none", "-", verdict(m.GrowthBytesPerStart <= 1)})
	}
	if s := all.Scale; s != nil {
		if len(s.FDs) > 0 {
			last := s.FDs[len(s.FDs)-1]
			rows = append(rows, row{"restart cost per retained descriptor",
				fmt.Sprintf("%s per fd (%s with %d fds)", ms(s.PerFD), ms(last.Dist.P50), last.X), "-", "-", ""})
		}
		if len(s.Services) > 0 {
			last := s.Services[len(s.Services)-1]
			rows = append(rows, row{"restart cost per other registered service",
				fmt.Sprintf("%s per service (%s with %d services)", ms(s.PerService), ms(last.Dist.P50), last.X), "-", "-", ""})
		}
	}
	for _, c := range all.CommitCost {
		rows = append(rows, row{fmt.Sprintf("fcntl(F_ZLR_COMMIT) per %d B request: throughput loss", c.Size),
			pct(c.Fcntl.LossPct) + fmt.Sprintf(" (netlink: %s)", pct(c.Netlink.LossPct)), "≤ 1 %", "-", verdict(c.Fcntl.LossPct <= 1)})
	}
	return rows
}

// findOverhead returns the series of load and mode, or nil.
func findOverhead(o *results.Overhead, load, mode string) *results.OverheadSeries {
	for i := range o.Series {
		if o.Series[i].Load == load && o.Series[i].Mode == mode {
			return &o.Series[i]
		}
	}
	return nil
}

// findCrash returns the run with a crash every k requests in mode, or nil.
func findCrash(c *results.Crashes, k int, mode string) *results.CrashRun {
	for i := range c.Runs {
		if c.Runs[i].Every == k && c.Runs[i].Mode == mode {
			return &c.Runs[i]
		}
	}
	return nil
}

// everys lists the crash intervals of c, in the order of its runs.
func everys(c *results.Crashes) []int {
	var ks []int
	for _, r := range c.Runs {
		if !slices.Contains(ks, r.Every) {
			ks = append(ks, r.Every)
		}
	}
	return ks
}

// restartServices lists the services of r, in the order of its series.
func restartServices(r *results.RestartLat) []string {
	var names []string
	for _, s := range r.Series {
		if !slices.Contains(names, s.Service) {
			names = append(names, s.Service)
		}
	}
	return names
}

func printRows(w io.Writer, rows []row) {
	t := tablewriter.NewWriter(w)
	t.Header([]string{"figure", "measured", "target", "papers", "verdict"})
	for _, r := range rows {
		t.Append([]string{r.Figure, r.Measured, r.Target, r.Paper, r.Verdict})
	}
	t.Render()
}

// spreadPct is how far apart the runs of s are: (max - min) / median, in
// percent.
func spreadPct(s *results.OverheadSeries) float64 {
	if len(s.Runs) == 0 || s.ReqPerSec == 0 {
		return 0
	}
	lo, hi := s.Runs[0].ReqPerSec, s.Runs[0].ReqPerSec
	for _, r := range s.Runs {
		lo, hi = min(lo, r.ReqPerSec), max(hi, r.ReqPerSec)
	}
	return (hi - lo) / s.ReqPerSec * 100
}
