// Command report gathers what the benchmarks of `make bench` wrote, prints
// each figure beside its target and the seed papers' figure, and writes the
// whole as one JSON file, PNG plots and the results section of the README.
//
// It reads, in -in, the sections the benchmarks wrote: restartlat.json,
// overhead.json, crashes.json, memory.json, scale.json and commitcost.json;
// a missing one is left out (and its targets shown as not measured). It
// writes, in -out, results.json (every section, the date and the machine),
// restart-cdf.png, overhead.png and scale.png, and replaces the part of
// -readme between the lines "<!-- bench:begin -->" and "<!-- bench:end -->"
// with a summary that links to them.
//
// Usage:
//
//	report [-in build/bench] [-out bench/results] [-readme README.md] [-machine TEXT] [-date YYYY-MM-DD]
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	in := flag.String("in", "build/bench", "`directory` of the benchmarks' JSON files")
	out := flag.String("out", "bench/results", "`directory` to write results.json and the plots to")
	readme := flag.String("readme", "README.md", "README whose results section to rewrite (\"\" for none)")
	machine := flag.String("machine", "", "the machine the benchmarks ran on, as the README should name it")
	date := flag.String("date", time.Now().UTC().Format(time.DateOnly), "the date of the run")
	flag.Parse()
	if err := run(*in, *out, *readme, *machine, *date); err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
}

func run(in, out, readme, machine, date string) error {
	all, err := load(in)
	if err != nil {
		return err
	}
	all.Date, all.Machine = date, machine
	rows := summarise(all)
	printRows(os.Stdout, rows)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return fmt.Errorf("results directory: %w", err)
	}
	if err := writeJSON(out, all); err != nil {
		return err
	}
	plots, err := writePlots(out, all)
	if err != nil {
		return err
	}
	if readme == "" {
		return nil
	}
	return rewriteReadme(readme, readmeSection(all, rows, plots, out, readme))
}
