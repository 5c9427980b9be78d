package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/zl-dev/zl/internal/demoload"
)

// Streams are where zl-load writes.
type Streams struct {
	Out, ErrOut                  io.Writer
	OutIsTerminal, ErrIsTerminal bool
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// options are zl-load's flags.
type options struct {
	cfg     demoload.Config
	journal string
	format  string
}

func parseFlags(args []string, errOut io.Writer) (*options, error) {
	opts := &options{cfg: demoload.Config{Mix: demoload.DefaultMix}}
	c := &opts.cfg
	fs := flag.NewFlagSet("zl-load", flag.ContinueOnError)
	fs.SetOutput(errOut)
	fs.Usage = func() {
		fmt.Fprintln(errOut, "usage: zl-load [flags]\n\nSends the web server demo's load to a server and checks every byte of every answer.")
		fs.PrintDefaults()
	}
	maxBody := demoload.SizeFlag(demoload.DefaultMaxBody)
	fs.StringVar(&c.BaseURL, "url", "http://127.0.0.1:8080", "the server's base `URL`")
	fs.IntVar(&c.Clients, "clients", 16, "concurrent clients, each on its own keep-alive connection")
	fs.IntVar(&c.Requests, "requests", 10000, "total number of requests")
	fs.Var((*demoload.MixFlag)(&c.Mix), "mix", "`weights` of the kinds of requests")
	fs.Var(&maxBody, "max-body", "`size` of the largest body posted or dynamic content asked for, such as 64KiB or 1MiB")
	fs.Uint64Var(&c.Seed, "seed", 1, "seed of the requests: the same seed sends the same requests")
	fs.DurationVar(&c.RequestTimeout, "timeout", demoload.DefaultRequestTimeout, "time limit of each request")
	fs.StringVar(&c.KeyPrefix, "key-prefix", "", "prefix of the CGI orders' idempotency keys (default: one made from the time)")
	fs.StringVar(&opts.journal, "journal", "", "check the CGI demo's journal at `path` after the load")
	fs.StringVar(&opts.format, "o", "table", "output `format`: table or json")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	c.MaxBody = int(maxBody)
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q: zl-load takes flags only", fs.Arg(0))
	case opts.format != "table" && opts.format != "json":
		return nil, fmt.Errorf("bad -o %q: want table or json", opts.format)
	case c.Clients < 1:
		return nil, fmt.Errorf("bad -clients %d: want 1 or more", c.Clients)
	case c.Requests < 0:
		return nil, fmt.Errorf("bad -requests %d: want 0 or more", c.Requests)
	case c.RequestTimeout <= 0:
		return nil, fmt.Errorf("bad -timeout %v: want a positive duration", c.RequestTimeout)
	case c.MaxBody < 1:
		return nil, fmt.Errorf("bad -max-body %d: want 1 or more", c.MaxBody)
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = fmt.Sprintf("load%x", time.Now().UnixNano())
	}
	return opts, nil
}

// Main runs zl-load with args and returns its exit status.
func Main(ctx context.Context, args []string, s *Streams) int {
	opts, err := parseFlags(args, s.ErrOut)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(s.ErrOut, "zl-load:", err)
		return exitUsage
	}
	return run(ctx, opts, s)
}

// report is the JSON output of zl-load; its fields are pinned.
type report struct {
	URL      string                  `json:"url"`
	Clients  int                     `json:"clients"`
	Mix      string                  `json:"mix"`
	MaxBody  int                     `json:"max_body"`
	Seed     uint64                  `json:"seed"`
	Result   demoload.Result         `json:"result"`
	Journal  *demoload.JournalReport `json:"journal"` // null without -journal
	OK       bool                    `json:"ok"`
	Problems []string                `json:"problems"` // never null
}

func run(ctx context.Context, opts *options, s *Streams) int {
	cfg := opts.cfg
	progress := &demoload.ProgressLine{W: s.ErrOut, Terminal: s.ErrIsTerminal, Every: time.Second}
	res, runErr := demoload.Run(ctx, cfg, progress.Update)
	progress.Done()
	if runErr != nil && (ctx.Err() == nil || !errors.Is(runErr, ctx.Err())) {
		// Not stopped: the configuration is wrong.
		fmt.Fprintln(s.ErrOut, "zl-load:", runErr)
		return exitUsage
	}
	rep := report{
		URL: cfg.BaseURL, Clients: cfg.Clients, Mix: cfg.Mix.String(), MaxBody: cfg.MaxBody, Seed: cfg.Seed,
		Result: res, Problems: []string{},
	}
	if runErr != nil {
		rep.Problems = append(rep.Problems, runErr.Error())
	}
	if opts.journal != "" {
		j, err := demoload.CheckJournal(opts.journal, res.Orders)
		if err != nil {
			fmt.Fprintln(s.ErrOut, "zl-load:", err)
			return exitFailure
		}
		rep.Journal = &j
	}
	rep.Problems = append(rep.Problems, problems(&res, rep.Journal)...)
	rep.OK = len(rep.Problems) == 0

	var err error
	if opts.format == "json" {
		enc := json.NewEncoder(s.Out)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = writeText(s.Out, &rep, s.OutIsTerminal)
	}
	if err != nil {
		fmt.Fprintln(s.ErrOut, "zl-load: writing the result:", err)
		return exitFailure
	}
	if !rep.OK {
		fmt.Fprintln(s.ErrOut, "zl-load: FAILED:", strings.Join(rep.Problems, "; "))
		return exitFailure
	}
	return exitOK
}

// problems says what went wrong in a run, nothing when all went well.
func problems(res *demoload.Result, j *demoload.JournalReport) []string {
	var p []string
	if res.Failed > 0 {
		p = append(p, fmt.Sprintf("%d requests failed", res.Failed))
	}
	if res.Corrupted > 0 {
		p = append(p, fmt.Sprintf("%d requests got corrupted answers", res.Corrupted))
	}
	if j != nil {
		for _, c := range []struct {
			n    int
			what string
		}{
			{j.Duplicated, "orders recorded more than once"},
			{j.Missing, "orders answered but not recorded"},
			{j.Mismatched, "orders recorded with another body"},
			{j.Malformed, "malformed journal lines"},
		} {
			if c.n > 0 {
				p = append(p, fmt.Sprintf("%d %s", c.n, c.what))
			}
		}
	}
	return p
}

// writeText writes the report for people.
func writeText(w io.Writer, r *report, terminal bool) error {
	res := &r.Result
	rate := 0.0
	if res.Elapsed > 0 {
		rate = float64(res.Requests) / res.Elapsed.Seconds()
	}
	fmt.Fprintf(w, "%d requests in %s (%.0f req/s) to %s, %d clients, seed %d, bodies up to %s\n\n",
		res.Requests, res.Elapsed.Round(time.Millisecond), rate, r.URL, r.Clients, r.Seed, demoload.FormatSize(r.MaxBody))
	if err := demoload.WriteTable(w, demoload.ResultHeader, demoload.ResultRows(res), terminal); err != nil {
		return err
	}
	l := res.Latency
	fmt.Fprintf(w, "\nlatency of the %d requests answered correctly: p50 %s, p90 %s, p99 %s, max %s\n",
		l.Count, demoload.FormatDuration(l.P50), demoload.FormatDuration(l.P90), demoload.FormatDuration(l.P99), demoload.FormatDuration(l.Max))
	if j := r.Journal; j != nil {
		fmt.Fprintf(w, "journal: %d orders sent, %d recorded, %d duplicated, %d missing, %d mismatched, %d malformed lines, %d lines of other runs\n",
			j.Orders, j.Recorded, j.Duplicated, j.Missing, j.Mismatched, j.Malformed, j.Foreign)
		for _, p := range j.Problems {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	if len(res.Errors) > 0 {
		fmt.Fprintf(w, "first errors:\n")
		for _, e := range res.Errors {
			fmt.Fprintf(w, "  %s\n", e)
		}
	}
	_, err := fmt.Fprintf(w, "result: %s\n", verdict(r))
	return err
}

func verdict(r *report) string {
	if r.OK {
		return "OK, nothing lost"
	}
	return "FAILED: " + strings.Join(r.Problems, "; ")
}
