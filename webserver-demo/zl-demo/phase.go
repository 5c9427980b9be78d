package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/zl-dev/zl/internal/demo/proc"
	"github.com/zl-dev/zl/internal/demoload"
	"github.com/zl-dev/zl/libzl"
)

// serviceName is the name the server is registered under.
const serviceName = "webdemo"

// stopTimeout is how long a program has to exit after SIGTERM.
const stopTimeout = 15 * time.Second

// phaseResult is what came of a phase.
type phaseResult struct {
	// Mode is the phase: "zlr" or "supervisor".
	Mode string `json:"mode"`

	// Load is the load's result, Journal the check of the CGI journal.
	Load    demoload.Result        `json:"load"`
	Journal demoload.JournalReport `json:"journal"`

	// Crashes and Restarts count those of the server: its fault events,
	// or its deaths under the supervisor, and its restarts.
	Crashes  int `json:"crashes"`
	Restarts int `json:"restarts"`

	// CGICrashes and CGIRestarts count those of the CGI processes, as the
	// kernel reported them; -1 when unknown (no zlr events).
	CGICrashes  int `json:"cgi_crashes"`
	CGIRestarts int `json:"cgi_restarts"`

	// RetainedMax is the most descriptors a restart of the server kept
	// (zlr phase): bounded by the clients' connections, the listener and
	// the CGI pipes, it would grow with the restarts if they leaked any.
	RetainedMax int `json:"retained_max"`

	// RetainedMaxFirstHalf and RetainedMaxSecondHalf are the same of the
	// first half of the restarts and of the second: a restart that leaked
	// descriptors would make the second larger by the restarts between.
	RetainedMaxFirstHalf  int `json:"retained_max_first_half"`
	RetainedMaxSecondHalf int `json:"retained_max_second_half"`

	// RetainedMaxByTenth is the same of each tenth of the restarts.
	RetainedMaxByTenth []int `json:"retained_max_by_tenth"`

	// Kills counts the faults sent to the server from outside (-kills),
	// which are among its Crashes.
	Kills int `json:"kills"`

	// GiveUps counts the faults the kernel let kill a process.
	GiveUps int `json:"giveups"`

	// ReplayOverflows counts the streams of the server and the CGI
	// processes that lost their replay guarantee (replay-overflow events).
	ReplayOverflows int `json:"replay_overflows"`

	// RestartLatency is the server's: in the zlr phase from the fault to
	// the restarted server's ready call (the kernel's ready events), under
	// the supervisor from the death of the server to its "ready" line.
	RestartLatency demoload.Latency `json:"restart_latency"`

	// EventsLost counts the times the kernel dropped events, or sent one
	// zl-demo could not read: the counts may fall short.
	EventsLost int `json:"events_lost"`

	// Notes are remarks on the phase, such as a server that did not stop
	// cleanly.
	Notes []string `json:"notes"`
}

// runPhase runs a phase and returns its result, partial after an error
// once the load began.
func (d *demo) runPhase(ctx context.Context, phase string) (*phaseResult, error) {
	dir := filepath.Join(d.work, phase)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("making the phase's directory: %w", err)
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	if phase == phaseZLR {
		return d.runZLR(ctx, dir, addr)
	}
	return d.runSupervisor(ctx, dir, addr)
}

// freeAddr returns a loopback address with a TCP port free at the time.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("finding a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// serverArgs returns the command line of the web server demo: listening on
// addr, its static files in dir/static, its journal dir/journal, faults as
// opts say.
func serverArgs(bin, dir, addr string, opts *options) []string {
	args := []string{
		filepath.Join(bin, serverProgram),
		"-addr", addr,
		"-root", filepath.Join(dir, "static"), "-gen-static",
		"-cgi", filepath.Join(bin, cgiProgram),
		"-journal", filepath.Join(dir, "journal"),
		"-fault-every", strconv.Itoa(opts.faultEvery),
		"-fault-kind", "mix",
		"-fault-point", "mix",
	}
	if opts.kills > 0 {
		args = append(args, "-fault-on-signal")
	}
	if opts.cgiFaultEvery > 0 {
		args = append(args, "-cgi-fault", fmt.Sprintf("every=%d,kind=mix,point=mix", opts.cgiFaultEvery))
	}
	return args
}

// zlrArgs returns the command line of the zlr phase: the server run by
// zlctl as a service whose panics (exit status 2) are faults, with a budget
// that never runs out during the demo and a replay limit that holds the
// largest request.
func zlrArgs(bin, dir, addr string, opts *options) []string {
	args := []string{
		filepath.Join(bin, "zlctl"), "run",
		"--name", serviceName,
		"--fault-exit-codes", "2",
		"--max-restarts", "10000",
		"--window", "60s",
		"--replay-limit", demoload.FormatSize(replayLimit(opts.clients, opts.maxBody)),
		"--",
	}
	return append(args, serverArgs(bin, dir, addr, opts)...)
}

// replayLimit returns the replay limit of the server for clients concurrent
// requests with bodies up to maxBody. The limit covers all the service's
// streams together: each client's connection holds a request (body and
// headers), and the stdout pipe of the CGI run for it holds the response,
// about as large. It is a whole number of MiB, at least the kernel's default
// of 16MiB and at most the 1GiB a policy allows.
func replayLimit(clients, maxBody int) int {
	const mib = 1 << 20
	need := 2 * max(clients, 1) * (maxBody + 64<<10)
	return min(1<<30, max(16*mib, (need+mib-1)/mib*mib))
}

// supervisorArgs returns the command line of the supervisor phase.
func supervisorArgs(bin, dir, addr string, opts *options) []string {
	args := []string{
		filepath.Join(bin, superviseProgram),
		"-listen", addr,
		"-stats", filepath.Join(dir, "supervisor-stats.json"),
		"--",
	}
	return append(args, serverArgs(bin, dir, addr, opts)...)
}

// runZLR runs the zlr phase: the server registered with zlr.
func (d *demo) runZLR(ctx context.Context, dir, addr string) (*phaseResult, error) {
	mon, err := d.env.DialMonitor()
	if errors.Is(err, libzl.ErrNotSupported) {
		return nil, errors.New("this kernel has no zlr support: run zl-demo in the VM of make demo, or give -phase supervisor")
	}
	if err != nil {
		return nil, fmt.Errorf("subscribing to zlr events: %w", err)
	}
	col := newCollector(mon)
	defer col.stop()

	argv := zlrArgs(d.opts.bin, dir, addr, d.opts)
	fmt.Fprintf(d.env.Stderr, "zl-demo: zlr: starting %s under zlctl run on %s\n", serverProgram, addr)
	p, err := proc.Start("zlctl run "+serverProgram, argv, nil, filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	if err := p.WaitReady(d.opts.readyTimeout); err != nil {
		_ = p.Stop(stopTimeout)
		return nil, err
	}
	res := &phaseResult{Mode: phaseZLR, Notes: []string{}}
	var k *killer
	if d.opts.kills > 0 {
		every := d.opts.killEvery
		if every == 0 {
			every = max(1, d.opts.requests/(2*d.opts.kills))
		}
		k = newKiller(d.opts.kills, every, p.Readies, signalPID(p.PID()))
	}
	loadErr := d.load(ctx, phaseZLR, addr, res, k)
	if k != nil {
		res.Kills = k.sent
		if note := k.note(); note != "" {
			res.Notes = append(res.Notes, note)
		}
	}

	// The last restarts' events may still be on their way.
	col.settle(300*time.Millisecond, 3*time.Second)
	if err := p.Stop(stopTimeout); err != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("stopping the server: %v (log: %s)", err, p.LogName()))
	}
	events, lost := col.stop()
	n := countEvents(events, p.PID())
	res.Crashes, res.Restarts, res.GiveUps = n.ServerFaults, n.ServerRestarts, n.ServerGiveUps+n.CGIGiveUps
	res.CGICrashes, res.CGIRestarts = n.CGIFaults, n.CGIRestarts
	res.RestartLatency = demoload.Percentiles(n.ServerReady)
	res.RetainedMax, res.RetainedMaxFirstHalf, res.RetainedMaxSecondHalf, res.RetainedMaxByTenth = retainedMax(n.ServerRetained)
	res.ReplayOverflows = len(n.Overflows)
	if note := overflowNote(n.Overflows, p.PID()); note != "" {
		res.Notes = append(res.Notes, note)
	}
	res.EventsLost = lost
	if lost > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("the kernel dropped events %d times: the counts of crashes and restarts fall short", lost))
	}
	if r := int(p.Readies()) - 1; r != n.ServerRestarts {
		res.Notes = append(res.Notes, fmt.Sprintf("the server said ready %d times after the first, the kernel reported %d restarts", r, n.ServerRestarts))
	}
	if err := d.checkJournal(dir, res); err != nil {
		return res, err
	}
	return res, loadErr
}

// runSupervisor runs the supervisor phase: the server under zl-supervise,
// not registered with zlr.
func (d *demo) runSupervisor(ctx context.Context, dir, addr string) (*phaseResult, error) {
	res := &phaseResult{Mode: phaseSupervisor, CGICrashes: -1, CGIRestarts: -1, Notes: []string{}}
	// The CGI processes register themselves when the kernel has zlr:
	// count what happens to them.
	var col *collector
	mon, monErr := d.env.DialMonitor()
	if monErr == nil {
		col = newCollector(mon)
		defer col.stop()
	}

	argv := supervisorArgs(d.opts.bin, dir, addr, d.opts)
	fmt.Fprintf(d.env.Stderr, "zl-demo: supervisor: starting %s under %s on %s\n", serverProgram, superviseProgram, addr)
	p, err := proc.Start(superviseProgram, argv, nil, filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	if err := p.WaitReady(d.opts.readyTimeout); err != nil {
		_ = p.Stop(stopTimeout)
		return nil, err
	}
	loadErr := d.load(ctx, phaseSupervisor, addr, res, nil)

	if err := p.Stop(stopTimeout); err != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("stopping %s: %v (log: %s)", superviseProgram, err, p.LogName()))
	}
	stats, err := readStats(filepath.Join(dir, "supervisor-stats.json"))
	if err != nil {
		return res, err
	}
	res.Crashes, res.Restarts = stats.Restarts, stats.Restarts
	res.RestartLatency = stats.Latency
	if col != nil {
		col.settle(300*time.Millisecond, 3*time.Second)
		events, lost := col.stop()
		n := countEvents(events, 0)
		res.CGICrashes, res.CGIRestarts, res.GiveUps, res.EventsLost = n.CGIFaults, n.CGIRestarts, n.CGIGiveUps, lost
		if n.CGIRestarts > 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("the CGI processes registered themselves with zlr and were restarted in place %d times", n.CGIRestarts))
		}
	} else if d.opts.cgiFaultEvery > 0 && d.opts.mix.CGI > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("no zlr events (%v): the CGI crashes are not counted", monErr))
	} else {
		res.CGICrashes, res.CGIRestarts = 0, 0 // none injected
	}
	if err := d.checkJournal(dir, res); err != nil {
		return res, err
	}
	return res, loadErr
}

// load runs the phase's load against addr, showing its progress; k, when
// not nil, sends the server faults as the load progresses.
func (d *demo) load(ctx context.Context, phase, addr string, res *phaseResult, k *killer) error {
	progress := &demoload.ProgressLine{W: d.env.Stderr, Terminal: d.env.StderrIsTerminal, Label: phase, Every: 5 * time.Second}
	cfg := d.loadConfig(phase, "http://"+addr)
	update := progress.Update
	if k != nil {
		// The killer looks often; the progress line, whose rate is over
		// the time since its last update, as often as without it.
		cfg.ProgressInterval = killInterval
		cfg.Stop = k.stop
		var shown time.Duration
		update = func(p demoload.Progress) {
			k.update(p)
			if p.Elapsed-shown >= demoload.DefaultProgressInterval || p.Done == p.Total {
				shown = p.Elapsed
				progress.Update(p)
			}
		}
	}
	r, err := demoload.Run(ctx, cfg, update)
	progress.Done()
	res.Load = r
	if err != nil {
		return fmt.Errorf("load: %w", err)
	}
	return nil
}

// checkJournal checks the phase's CGI journal.
func (d *demo) checkJournal(dir string, res *phaseResult) error {
	j, err := demoload.CheckJournal(filepath.Join(dir, "journal"), res.Load.Orders)
	if err != nil {
		return err
	}
	res.Journal = j
	return nil
}

// readStats reads zl-supervise's statistics.
func readStats(path string) (*demoload.SupervisorStats, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the supervisor's statistics: %w", err)
	}
	var s demoload.SupervisorStats
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("reading the supervisor's statistics %s: %w", path, err)
	}
	return &s, nil
}

// overflowNote says which streams lost their replay guarantee, by process
// (the server's pid is server) and kind of stream, and why; "" when none.
func overflowNote(overflows []libzl.Event, server int) string {
	if len(overflows) == 0 {
		return ""
	}
	counts := map[string]int{}
	var keys []string
	for _, ev := range overflows {
		who := "cgi"
		if ev.PID == server {
			who = "server"
		}
		k := fmt.Sprintf("%s %s (%s, limit %s)", who, ev.StreamKind, ev.OverflowReason, demoload.FormatSize(int(ev.ReplayLimit)))
		if counts[k] == 0 {
			keys = append(keys, k)
		}
		counts[k]++
	}
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", counts[k], k)
	}
	return fmt.Sprintf("%d streams lost their replay guarantee: %s", len(overflows), strings.Join(parts, ", "))
}
