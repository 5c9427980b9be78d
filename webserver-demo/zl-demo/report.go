package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/zl-dev/zl/internal/demoload"
)

// report is zl-demo's output; its JSON fields are pinned.
type report struct {
	Settings settings       `json:"settings"`
	Phases   []*phaseResult `json:"phases"`
	OK       bool           `json:"ok"`
	Problems []string       `json:"problems"` // why not OK; never null
	Errors   []string       `json:"errors"`   // phases that could not run; never null
}

// settings are the demo's settings, as the report shows them.
type settings struct {
	Clients       int    `json:"clients"`
	Requests      int    `json:"requests"`
	FaultEvery    int    `json:"fault_every"`
	Kills         int    `json:"kills"`
	CGIFaultEvery int    `json:"cgi_fault_every"`
	MaxBody       int    `json:"max_body"`
	Mix           string `json:"mix"`
	Seed          uint64 `json:"seed"`
	Description   string `json:"description"`
}

func (d *demo) settings() settings {
	o := d.opts
	return settings{
		Clients: o.clients, Requests: o.requests, FaultEvery: o.faultEvery, Kills: o.kills, CGIFaultEvery: o.cgiFaultEvery,
		MaxBody: o.maxBody, Mix: o.mix.String(), Seed: o.seed, Description: d.describe(),
	}
}

// verdict says whether the demo showed what it is to show: the zlr phase
// lost nothing through crashes, and the supervisor phase lost requests. It
// checks the phases that were to run, in ran (those that ran, possibly
// fewer); problems says what is wrong.
func verdict(want []string, ran []*phaseResult) (ok bool, problems []string) {
	byMode := map[string]*phaseResult{}
	for _, r := range ran {
		byMode[r.Mode] = r
	}
	for _, mode := range want {
		r := byMode[mode]
		if r == nil {
			problems = append(problems, fmt.Sprintf("%s: the phase did not run to the end", mode))
			continue
		}
		if r.Load.Requests == 0 {
			problems = append(problems, fmt.Sprintf("%s: no load was sent", mode))
			continue
		}
		switch mode {
		case phaseZLR:
			problems = append(problems, zlrProblems(r)...)
		case phaseSupervisor:
			if r.Load.Failed == 0 {
				problems = append(problems, fmt.Sprintf("supervisor: no request failed, but the baseline should lose some (%d server restarts): is fault injection working?", r.Restarts))
			}
		}
	}
	return len(problems) == 0, problems
}

// zlrProblems returns what shows that the zlr phase lost something, or
// proved nothing.
func zlrProblems(r *phaseResult) []string {
	var p []string
	for _, c := range []struct {
		n    int
		what string
	}{
		{r.Load.Failed, "requests failed"},
		{r.Load.Corrupted, "requests got corrupted answers"},
		{r.Journal.Duplicated, "orders were recorded more than once"},
		{r.Journal.Missing, "orders were answered but not recorded"},
		{r.Journal.Mismatched, "orders were recorded with another body"},
		{r.Journal.Malformed, "journal lines are malformed"},
		{r.GiveUps, "faults were not restarted (the kernel gave up)"},
	} {
		if c.n > 0 {
			p = append(p, fmt.Sprintf("zlr: %d %s", c.n, c.what))
		}
	}
	if r.Crashes+max(r.CGICrashes, 0) == 0 {
		p = append(p, "zlr: nothing crashed, so nothing was shown: is fault injection on (-fault-every, -kills)?")
	}
	return p
}

// tableHeader is the header of the comparison table.
var tableHeader = []string{"MODE", "REQUESTS", "CRASHES", "RESTARTS", "FAILED", "CORRUPTED", "DUPLICATED", "RESTART P50", "RESTART P99"}

// tableRow returns the row of a phase in the comparison table.
func tableRow(r *phaseResult) []string {
	return []string{
		r.Mode,
		fmt.Sprint(r.Load.Requests),
		withCGI(r.Crashes, r.CGICrashes),
		withCGI(r.Restarts, r.CGIRestarts),
		fmt.Sprint(r.Load.Failed),
		fmt.Sprint(r.Load.Corrupted),
		fmt.Sprint(r.Journal.Duplicated),
		demoload.FormatDuration(r.RestartLatency.P50),
		demoload.FormatDuration(r.RestartLatency.P99),
	}
}

// withCGI returns a count of the server's and one of the CGI processes',
// "100 + 40 cgi", "100 + ? cgi" when the second is unknown (negative), or
// "100" when it is zero.
func withCGI(server, cgi int) string {
	switch {
	case cgi < 0:
		return fmt.Sprintf("%d + ? cgi", server)
	case cgi == 0:
		return fmt.Sprint(server)
	default:
		return fmt.Sprintf("%d + %d cgi", server, cgi)
	}
}

// writeReport writes the report as a table with notes, or in JSON.
func writeReport(w io.Writer, r *report, format string, terminal bool) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(w, "\nzl-demo: %s\n\n", r.Settings.Description)
	rows := make([][]string, 0, len(r.Phases))
	for _, p := range r.Phases {
		rows = append(rows, tableRow(p))
	}
	if err := demoload.WriteTable(w, tableHeader, rows, terminal); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nCrashes: the server's (zlr: fault events; supervisor: deaths) + the CGI program's (zlr fault events).")
	fmt.Fprintln(w, "Restart latency: zlr from the fault to the restarted server's ready call (kernel events);")
	fmt.Fprintln(w, "supervisor from the death of the server to the new one's \"ready\" line.")
	for _, p := range r.Phases {
		writePhaseNotes(w, p)
	}
	fmt.Fprintln(w)
	for _, e := range r.Errors {
		fmt.Fprintf(w, "error: %s\n", e)
	}
	if r.OK {
		_, err := fmt.Fprintln(w, "result: OK: "+success(r))
		return err
	}
	_, err := fmt.Fprintf(w, "result: FAILED: %s\n", strings.Join(append(append([]string{}, r.Errors...), r.Problems...), "; "))
	return err
}

// success says what the demo showed, when it showed it.
func success(r *report) string {
	var parts []string
	for _, p := range r.Phases {
		switch p.Mode {
		case phaseZLR:
			parts = append(parts, fmt.Sprintf("with zlr, nothing lost through %s crashes", withCGI(p.Crashes, p.CGICrashes)))
		case phaseSupervisor:
			parts = append(parts, fmt.Sprintf("under the supervisor, %d of %d requests lost through %d server restarts", p.Load.Lost(), p.Load.Requests, p.Restarts))
		}
	}
	return strings.Join(parts, "; ")
}

// writePhaseNotes writes what is worth knowing about a phase beyond its
// row: the journal's problems, the first errors, the notes.
func writePhaseNotes(w io.Writer, p *phaseResult) {
	var lines []string
	l := p.Load.Latency
	lines = append(lines, fmt.Sprintf("request latency p50 %s, p99 %s, max %s; %d orders, %d recorded in the journal",
		demoload.FormatDuration(l.P50), demoload.FormatDuration(l.P99), demoload.FormatDuration(l.Max), p.Journal.Orders, p.Journal.Recorded))
	if lost := p.Load.Lost(); lost > 0 {
		var kinds []string
		for _, k := range demoload.Kinds {
			if c := p.Load.ByKind[k.String()]; c.Failed+c.Corrupted > 0 {
				kinds = append(kinds, fmt.Sprintf("%s %d", k, c.Failed+c.Corrupted))
			}
		}
		lines = append(lines, fmt.Sprintf("requests lost by kind: %s", strings.Join(kinds, ", ")))
	}
	lines = append(lines, p.Notes...)
	for _, pr := range p.Journal.Problems {
		lines = append(lines, "journal: "+pr)
	}
	errs := p.Load.Errors
	if len(errs) > 3 {
		errs = errs[:3]
	}
	for _, e := range errs {
		lines = append(lines, "error: "+e)
	}
	fmt.Fprintf(w, "\n%s:\n", p.Mode)
	for _, line := range lines {
		fmt.Fprintf(w, "  %s\n", line)
	}
}
