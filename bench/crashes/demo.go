//go:build linux

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zl-dev/zl/bench/internal/results"
	"github.com/zl-dev/zl/internal/demoload"
)

// demoReport is the part of zl-demo's JSON report (-o json) the benchmark
// reads: its settings, and each phase's load, crashes and restarts.
type demoReport struct {
	Settings struct {
		Clients    int    `json:"clients"`
		Requests   int    `json:"requests"`
		FaultEvery int    `json:"fault_every"`
		MaxBody    int    `json:"max_body"`
		Mix        string `json:"mix"`
	} `json:"settings"`
	Phases []demoPhase `json:"phases"`
	// OK is zl-demo's verdict: the zlr phase lost nothing and the
	// supervisor phase lost something.
	OK bool `json:"ok"`
	// Problems says why not OK; Errors lists the phases that could not
	// run.
	Problems []string `json:"problems"`
	Errors   []string `json:"errors"`
}

// demoPhase is one phase of zl-demo's report.
type demoPhase struct {
	Mode           string           `json:"mode"`
	Load           demoload.Result  `json:"load"`
	Crashes        int              `json:"crashes"`
	Restarts       int              `json:"restarts"`
	GiveUps        int              `json:"giveups"`
	RestartLatency demoload.Latency `json:"restart_latency"`
	Notes          []string         `json:"notes"`
}

// parseReport reads zl-demo's JSON report.
func parseReport(b []byte) (*demoReport, error) {
	var r demoReport
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("reading zl-demo's JSON report: %w", err)
	}
	return &r, nil
}

// phase returns the report's phase of mode, or nil.
func (r *demoReport) phase(mode string) *demoPhase {
	for i := range r.Phases {
		if r.Phases[i].Mode == mode {
			return &r.Phases[i]
		}
	}
	return nil
}

// A run is the outcome of one zl-demo phase: the figures the benchmark
// writes, and what else it shows.
type run struct {
	results.CrashRun
	Restarts       int           // the server's
	GiveUps        int           // faults the kernel let kill a process
	RestartP50     time.Duration // the server's restart latency, to ready
	Notes          []string      // zl-demo's remarks and problems
	Err            string        // why the phase has no figures; "" when it has
	FirstLoadError string        // the first failed request, if any
}

// OKPerSec is the run's goodput: the requests answered correctly per
// second.
func (r *run) OKPerSec() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Requests-r.Failed-r.Corrupted) / r.Elapsed.Seconds()
}

// newRun makes the run of phase p, with a crash every k requests.
func newRun(k int, p *demoPhase) run {
	r := run{
		CrashRun: results.CrashRun{
			Every:     k,
			Mode:      p.Mode,
			Requests:  p.Load.Requests,
			Failed:    p.Load.Failed,
			Corrupted: p.Load.Corrupted,
			Crashes:   p.Crashes,
			Elapsed:   p.Load.Elapsed,
		},
		Restarts:   p.Restarts,
		GiveUps:    p.GiveUps,
		RestartP50: p.RestartLatency.P50,
		Notes:      p.Notes,
	}
	if p.Load.Elapsed > 0 {
		r.ReqPerSec = float64(p.Load.Requests) / p.Load.Elapsed.Seconds()
	}
	if len(p.Load.Errors) > 0 {
		r.FirstLoadError = p.Load.Errors[0]
	}
	return r
}

// A demoConfig says how to run zl-demo.
type demoConfig struct {
	Path     string // zl-demo
	Bin      string // the directory of the programs it runs
	Clients  int
	MaxBody  string          // a size, such as 16KiB
	Mix      string          // weights, such as static=40,dyn=30,sum=20
	Requests func(k int) int // the requests of a run with a crash every k
}

// args returns zl-demo's arguments for a phase of mode with a crash every
// k requests, and no CGI crash.
func (c demoConfig) args(mode string, k int) []string {
	return []string{
		"-bin", c.Bin,
		"-phase", mode,
		"-fault-every", strconv.Itoa(k),
		"-cgi-fault-every", "0",
		"-requests", strconv.Itoa(c.Requests(k)),
		"-clients", strconv.Itoa(c.Clients),
		"-max-body", c.MaxBody,
		"-mix", c.Mix,
		"-o", "json",
	}
}

// runPhase runs zl-demo for one phase and returns the run. zl-demo exits
// with status 1 when its verdict fails (the supervisor lost nothing, or
// zlr lost something) or a phase could not run: the report is read
// whatever the status, and what it says recorded in the run. The error is
// for zl-demo that could not be run or gave no report.
func (c demoConfig) runPhase(ctx context.Context, mode string, k int) (run, *demoReport, error) {
	cmd := exec.CommandContext(ctx, c.Path, c.args(mode, k)...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = os.Stderr // its progress
	// On ^C, zl-demo stops its server in order, given the time.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	err := cmd.Run()
	var xerr *exec.ExitError
	switch {
	case errors.As(err, &xerr) && xerr.ExitCode() == 1:
		// Judged below, from the report.
	case err != nil:
		return run{}, nil, fmt.Errorf("zl-demo %s: %w", filepath.Base(c.Path), err)
	}
	rep, perr := parseReport(out.Bytes())
	if perr != nil {
		if err != nil {
			return run{}, nil, fmt.Errorf("zl-demo: %w, and %w", err, perr)
		}
		return run{}, nil, perr
	}
	p := rep.phase(mode)
	if p == nil {
		r := run{CrashRun: results.CrashRun{Every: k, Mode: mode}, Err: "zl-demo ran no " + mode + " phase"}
		if len(rep.Errors) > 0 {
			r.Err += ": " + strings.Join(rep.Errors, "; ")
		}
		return r, rep, nil
	}
	r := newRun(k, p)
	if len(rep.Errors) > 0 {
		// The phase stopped early: its figures are partial.
		r.Err = strings.Join(rep.Errors, "; ")
	}
	r.Notes = append(r.Notes, rep.Problems...)
	return r, rep, nil
}
