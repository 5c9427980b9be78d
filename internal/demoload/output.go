package demoload

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"
)

// A ProgressLine shows the progress of a run to people: on a terminal, one
// line rewritten in place at every update; elsewhere, a plain line every
// Every.
type ProgressLine struct {
	// W is where the line goes, usually standard error.
	W io.Writer

	// Terminal says whether W is a terminal.
	Terminal bool

	// Label starts the line, such as "zlr"; may be empty.
	Label string

	// Every is how often a plain line is written when W is not a terminal
	// (default 5s).
	Every time.Duration

	last    Progress // at the last update
	written time.Duration
	width   int // of the line on the terminal
}

// Update shows p; it is meant to be Run's progress function.
func (l *ProgressLine) Update(p Progress) {
	rate := 0.0
	if dt := p.Elapsed - l.last.Elapsed; dt > 0 {
		rate = float64(p.Done-l.last.Done) / dt.Seconds()
	}
	l.last = p
	s := FormatProgress(l.Label, p, rate)
	if l.Terminal {
		pad := ""
		if n := l.width - len(s); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		fmt.Fprintf(l.W, "\r%s%s", s, pad)
		l.width = len(s)
		return
	}
	every := l.Every
	if every <= 0 {
		every = 5 * time.Second
	}
	if p.Elapsed-l.written >= every || (p.Done == p.Total && l.written != p.Elapsed) {
		fmt.Fprintln(l.W, s)
		l.written = p.Elapsed
	}
}

// Done ends the line on a terminal, so that what follows starts on a line
// of its own.
func (l *ProgressLine) Done() {
	if l.Terminal && l.width > 0 {
		fmt.Fprintln(l.W)
		l.width = 0
	}
}

// FormatProgress returns a progress line: "LABEL: 1200/20000 requests, 950
// req/s, 0 failed, 0 corrupted, 1.3s", the rate being rate.
func FormatProgress(label string, p Progress, rate float64) string {
	s := fmt.Sprintf("%d/%d requests, %.0f req/s, %d failed, %d corrupted, %s",
		p.Done, p.Total, rate, p.Failed, p.Corrupted, p.Elapsed.Truncate(100*time.Millisecond))
	if label != "" {
		s = label + ": " + s
	}
	return s
}

// WriteTable writes rows under header: with borders for a terminal, as
// plain aligned columns otherwise.
func WriteTable(w io.Writer, header []string, rows [][]string, terminal bool) error {
	if !terminal {
		t := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, r := range append([][]string{header}, rows...) {
			fmt.Fprintln(t, strings.Join(r, "\t"))
		}
		return t.Flush()
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
	t.Header(header)
	if err := t.Bulk(rows); err != nil {
		return fmt.Errorf("writing a table: %w", err)
	}
	if err := t.Render(); err != nil {
		return fmt.Errorf("writing a table: %w", err)
	}
	return nil
}

// FormatDuration returns d rounded for people: "183µs", "1.21ms", "77.5ms",
// "2.35s"; "-" for a zero or negative d.
func FormatDuration(d time.Duration) string {
	switch {
	case d <= 0:
		return "-"
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < 10*time.Millisecond:
		return d.Round(10 * time.Microsecond).String()
	case d < time.Second:
		return d.Round(100 * time.Microsecond).String()
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}

// ResultRows returns the rows of a table of r, one per kind of request and
// one for the total, under ResultHeader.
func ResultRows(r *Result) [][]string {
	row := func(name string, c Counts) []string {
		return []string{name, fmt.Sprint(c.Requests), fmt.Sprint(c.OK), fmt.Sprint(c.Failed), fmt.Sprint(c.Corrupted)}
	}
	var rows [][]string
	for _, k := range Kinds {
		if c, ok := r.ByKind[k.String()]; ok && c.Requests > 0 {
			rows = append(rows, row(k.String(), c))
		}
	}
	return append(rows, row("total", r.Counts))
}

// ResultHeader is the header of ResultRows.
var ResultHeader = []string{"KIND", "REQUESTS", "OK", "FAILED", "CORRUPTED"}
