//go:build linux

// Command cpushare profiles the whole machine while a command runs and
// reports the share of the CPU time spent in zlr's kernel functions and in
// libzl, the cost of the feature itself, which a throughput comparison in
// an emulated VM cannot resolve below its noise.
//
// It runs `perf record -a` (the cpu-clock event, so that it works in a VM
// without hardware counters) for as long as the command runs, then reads
// the flat profile of `perf report`: each sample counts for the function it
// was taken in, so the time zlr's functions spend in the helpers they call
// (copying bytes, allocating) is not in the figure; the top of the list
// says which ones those are. It must run as root.
//
// Usage:
//
//	cpushare [-perf perf] [-freq 999] [-load NAME] [-json out.json] -- COMMAND [ARG...]
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/zl-dev/zl/bench/internal/results"
)

func main() {
	perf := flag.String("perf", "perf", "the perf program")
	freq := flag.Int("freq", 999, "samples per second and CPU")
	load := flag.String("load", "", "what the command is, for the results (default: the command line)")
	jsonOut := flag.String("json", "", "also write the results to this file, as JSON")
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: cpushare [flags] -- COMMAND [ARG...]")
		os.Exit(2)
	}
	if *load == "" {
		*load = strings.Join(flag.Args(), " ")
	}
	share, err := run(*perf, *freq, *load, flag.Args())
	if err != nil {
		fmt.Fprintln(os.Stderr, "cpushare:", err)
		os.Exit(1)
	}
	fmt.Printf("CPU share under %s: zlr's kernel functions %.2f %%, libzl %.2f %% of %d samples\n",
		share.Load, share.ZLRPct, share.LibzlPct, share.Samples)
	for _, s := range share.Top {
		fmt.Printf("  %6.2f %%  %s\n", s.Pct, s.Symbol)
	}
	if *jsonOut != "" {
		if err := results.Write(*jsonOut, share); err != nil {
			fmt.Fprintln(os.Stderr, "cpushare:", err)
			os.Exit(1)
		}
	}
}

func run(perf string, freq int, load string, cmd []string) (*results.CPUShare, error) {
	dir, err := os.MkdirTemp("", "cpushare")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "perf.data")
	rec := exec.Command(perf, append([]string{"record", "-q", "-a", "-F", strconv.Itoa(freq), "-o", data, "--"}, cmd...)...)
	rec.Stdout, rec.Stderr = os.Stdout, os.Stderr
	if err := rec.Run(); err != nil {
		return nil, fmt.Errorf("perf record: %w", err)
	}
	var out bytes.Buffer
	rep := exec.Command(perf, "report", "-i", data, "--stdio", "--no-children", "--sort", "sym")
	rep.Stdout, rep.Stderr = &out, io.Discard
	if err := rep.Run(); err != nil {
		return nil, fmt.Errorf("perf report: %w", err)
	}
	share, err := parseReport(&out)
	if err != nil {
		return nil, err
	}
	share.Load = load
	return share, nil
}

// parseReport reads the output of `perf report --stdio --no-children
// --sort sym`: a "# Samples: N" header, then lines "  P%  [k] symbol" for
// the kernel and "  P%  [.] symbol" for user space.
func parseReport(r io.Reader) (*results.CPUShare, error) {
	share := &results.CPUShare{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if rest, ok := strings.CutPrefix(line, "# Samples: "); ok {
			share.Samples = parseCount(strings.Fields(rest)[0])
			continue
		}
		f := strings.Fields(line)
		if len(f) < 3 || !strings.HasSuffix(f[0], "%") {
			continue
		}
		pct, err := strconv.ParseFloat(strings.TrimSuffix(f[0], "%"), 64)
		if err != nil {
			continue
		}
		sym := strings.Join(f[2:], " ")
		switch {
		case f[1] == "[k]" && isZLRKernel(sym):
			share.ZLRPct += pct
		case f[1] == "[.]" && strings.Contains(sym, "zl-dev/zl/libzl"):
			share.LibzlPct += pct
		default:
			continue
		}
		share.Top = append(share.Top, results.SymbolShare{Symbol: sym, Pct: pct})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if share.Samples == 0 {
		return nil, fmt.Errorf("perf report: no samples")
	}
	slices.SortStableFunc(share.Top, func(a, b results.SymbolShare) int {
		switch {
		case a.Pct > b.Pct:
			return -1
		case a.Pct < b.Pct:
			return 1
		}
		return 0
	})
	if len(share.Top) > 10 {
		share.Top = share.Top[:10]
	}
	return share, nil
}

// isZLRKernel reports whether the kernel symbol sym is one of zlr's.
func isZLRKernel(sym string) bool {
	return strings.HasPrefix(sym, "zlr_") || strings.HasPrefix(sym, "__zlr_")
}

// parseCount parses perf's sample counts, such as 8K or 1M.
func parseCount(s string) int64 {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "K"):
		mult, s = 1000, strings.TrimSuffix(s, "K")
	case strings.HasSuffix(s, "M"):
		mult, s = 1000000, strings.TrimSuffix(s, "M")
	}
	n, _ := strconv.ParseFloat(s, 64)
	return int64(n * float64(mult))
}
