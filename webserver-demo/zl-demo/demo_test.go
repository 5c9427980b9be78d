package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/zl-dev/zl/internal/demoload"
	"github.com/zl-dev/zl/libzl"
)

// runDemo runs zl-demo with args and a monitor from dial.
func runDemo(t *testing.T, dial func() (Monitor, error), args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	env := &Env{
		Stdout: &out, Stderr: &errOut,
		DialMonitor: dial,
		Executable:  func() (string, error) { return "/nonexistent/zl-demo", nil },
	}
	code := Main(context.Background(), args, env)
	return code, out.String(), errOut.String()
}

func notSupported() (Monitor, error) { return nil, libzl.ErrNotSupported }

func TestDemoSupervisorPhase(t *testing.T) {
	bin := fakeBin(t, true)
	code, out, errOut := runDemo(t, notSupported, "-bin", bin, "-phase", "supervisor",
		"-requests", "400", "-clients", "4", "-fault-every", "40", "-max-body", "16KiB")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"MODE", "supervisor  400", "result: OK: under the supervisor, "} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "supervisor: 400/400 requests") {
		t.Errorf("stderr lacks the progress:\n%s", errOut)
	}
}

func TestDemoZLRPhasePlumbing(t *testing.T) {
	// The fake zlctl runs the server without restarting it: no fault
	// injected, and the fake kernel reports one CGI process that crashed
	// and was restarted.
	bin := fakeBin(t, false)
	mon := newFakeMonitor([]error{libzl.ErrEventsLost},
		&libzl.Event{Kind: libzl.EventRegister, ID: 7, PID: 99999},
		&libzl.Event{Kind: libzl.EventFault, ID: 7, PID: 99999},
		&libzl.Event{Kind: libzl.EventRestart, ID: 7, PID: 99999},
	)
	code, out, errOut := runDemo(t, func() (Monitor, error) { return mon, nil }, "-bin", bin, "-phase", "zlr",
		"-requests", "100", "-clients", "2", "-fault-every", "0", "-max-body", "4KiB", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	var rep report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	if len(rep.Phases) != 1 {
		t.Fatalf("phases: %s", out)
	}
	p := rep.Phases[0]
	if p.Mode != "zlr" || p.Load.Requests != 100 || p.Load.OK != 100 || p.Crashes != 0 || p.CGICrashes != 1 || p.CGIRestarts != 1 || p.EventsLost != 1 {
		t.Errorf("phase: %+v", p)
	}
	if p.Journal.Orders == 0 || p.Journal.Recorded != p.Journal.Orders {
		t.Errorf("journal: %+v", p.Journal)
	}
}

func TestDemoZLRNotSupported(t *testing.T) {
	bin := fakeBin(t, false)
	code, out, errOut := runDemo(t, notSupported, "-bin", bin, "-phase", "zlr", "-requests", "10")
	if code != exitFailure || !strings.Contains(errOut, "this kernel has no zlr support") || !strings.Contains(out, "result: FAILED") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
}

func TestDemoMissingBinaries(t *testing.T) {
	code, _, errOut := runDemo(t, notSupported, "-bin", t.TempDir())
	if code != exitFailure || !strings.Contains(errOut, "zlctl is missing: build the demo's programs") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
	// By default, the programs are next to zl-demo.
	code, _, errOut = runDemo(t, notSupported)
	if code != exitFailure || !strings.Contains(errOut, "/nonexistent/zlctl is missing") {
		t.Errorf("exit %d, stderr %q", code, errOut)
	}
}

func TestParseFlags(t *testing.T) {
	opts, err := parseFlags(nil, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	if opts.clients != 64 || opts.requests != 20000 || opts.faultEvery != 200 || opts.cgiFaultEvery != 50 ||
		opts.maxBody != 256<<10 || opts.mix != demoload.DefaultMix || opts.format != "table" ||
		strings.Join(opts.phases(), ",") != "zlr,supervisor" {
		t.Errorf("defaults: %+v", opts)
	}
	opts, err = parseFlags([]string{"-phase", "supervisor", "-max-body", "1MiB", "-o", "json"}, os.Stderr)
	if err != nil || opts.maxBody != 1<<20 || strings.Join(opts.phases(), ",") != "supervisor" || opts.format != "json" {
		t.Errorf("parseFlags: %+v, %v", opts, err)
	}
	for _, args := range [][]string{
		{"-clients", "0"}, {"-requests", "0"}, {"-fault-every", "-1"}, {"-max-body", "0"},
		{"-phase", "x"}, {"-o", "yaml"}, {"x"}, {"-timeout", "0s"},
		{"-kills", "-1"}, {"-kills", "5", "-requests", "4", "-phase", "zlr"}, {"-kills", "1"},
		{"-kill-every", "3", "-phase", "zlr"}, {"-kills", "2", "-kill-every", "-1", "-phase", "zlr"},
	} {
		var b strings.Builder
		if _, err := parseFlags(args, &b); err == nil {
			t.Errorf("parseFlags(%q) succeeded", args)
		}
		if code, _, _ := runDemo(t, notSupported, args...); code != exitUsage {
			t.Errorf("zl-demo %q: exit %d, want %d", args, code, exitUsage)
		}
	}
}

func TestCommandLines(t *testing.T) {
	opts := &options{clients: 64, faultEvery: 200, cgiFaultEvery: 50, maxBody: 1 << 20}
	server := []string{
		"/b/zl-webserver-demo", "-addr", "127.0.0.1:8080", "-root", "/w/static", "-gen-static",
		"-cgi", "/b/zl-cgi-demo", "-journal", "/w/journal",
		"-fault-every", "200", "-fault-kind", "mix", "-fault-point", "mix",
		"-cgi-fault", "every=50,kind=mix,point=mix",
	}
	wantZLR := append([]string{
		"/b/zlctl", "run", "--name", "webdemo", "--fault-exit-codes", "2", "--max-restarts", "10000",
		"--window", "60s", "--replay-limit", "136MiB", "--",
	}, server...)
	if diff := cmp.Diff(wantZLR, zlrArgs("/b", "/w", "127.0.0.1:8080", opts)); diff != "" {
		t.Errorf("zlr command (-want +got):\n%s", diff)
	}
	wantSup := append([]string{"/b/zl-supervise", "-listen", "127.0.0.1:8080", "-stats", "/w/supervisor-stats.json", "--"}, server...)
	if diff := cmp.Diff(wantSup, supervisorArgs("/b", "/w", "127.0.0.1:8080", opts)); diff != "" {
		t.Errorf("supervisor command (-want +got):\n%s", diff)
	}
	opts.cgiFaultEvery = 0
	if got := serverArgs("/b", "/w", "a:1", opts); strings.Contains(strings.Join(got, " "), "-cgi-fault") {
		t.Errorf("no CGI faults, but %q", got)
	}
}

func TestReplayLimit(t *testing.T) {
	for _, tc := range []struct{ clients, body, want int }{
		{1, 1, 16 << 20},
		{64, 256 << 10, 40 << 20},
		{64, 1 << 20, 136 << 20},
		{1000, 4 << 20, 1 << 30},
	} {
		if got := replayLimit(tc.clients, tc.body); got != tc.want {
			t.Errorf("replayLimit(%d, %d) = %d, want %d", tc.clients, tc.body, got, tc.want)
		}
	}
}

func TestRetainedMax(t *testing.T) {
	for _, tt := range []struct {
		retained           []int
		all, first, second int
		tenths             []int
	}{
		{nil, 0, 0, 0, []int{}},
		{[]int{7}, 7, 0, 7, []int{7}},
		{[]int{9, 3, 4, 5}, 9, 9, 5, []int{9, 3, 4, 5}},
		{[]int{1, 2, 3, 4, 5}, 5, 2, 5, []int{1, 2, 3, 4, 5}}, // a leak: the second half keeps more
		{[]int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}, 20, 10, 20,
			[]int{2, 4, 6, 8, 10, 12, 14, 16, 18, 20}},
	} {
		all, first, second, tenths := retainedMax(tt.retained)
		if all != tt.all || first != tt.first || second != tt.second || !slices.Equal(tenths, tt.tenths) {
			t.Errorf("retainedMax(%v) = %d, %d, %d, %v; want %d, %d, %d, %v", tt.retained,
				all, first, second, tenths, tt.all, tt.first, tt.second, tt.tenths)
		}
	}
}

func TestCountEvents(t *testing.T) {
	const server = 100
	ev := func(kind libzl.EventKind, id uint32, pid int, lat time.Duration) libzl.Event {
		return libzl.Event{Kind: kind, ID: id, PID: pid, Latency: lat}
	}
	events := []libzl.Event{
		ev(libzl.EventRegister, 1, server, 0),
		ev(libzl.EventFault, 1, server, 0),
		{Kind: libzl.EventRestart, ID: 1, PID: server, Latency: time.Millisecond, Retained: 7},
		ev(libzl.EventReady, 1, server, 5*time.Millisecond),
		ev(libzl.EventRegister, 2, 200, 0), // a CGI process
		ev(libzl.EventFault, 2, 200, 0),
		ev(libzl.EventRestart, 2, 200, 0),
		ev(libzl.EventExit, 2, 200, 0),
		ev(libzl.EventFault, 1, server, 0),
		ev(libzl.EventGiveUp, 1, server, 0),
		ev(libzl.EventFault, 9, 900, 0), // a service registered before: not counted
		ev(libzl.EventRegister, 3, 300, 0),
		ev(libzl.EventFault, 3, 300, 0),
		ev(libzl.EventGiveUp, 3, 300, 0),
	}
	want := zlrCounts{
		ServerFaults: 2, ServerRestarts: 1, ServerGiveUps: 1, ServerReady: []time.Duration{5 * time.Millisecond},
		ServerRetained: []int{7},
		CGIServices:    2, CGIFaults: 2, CGIRestarts: 1, CGIGiveUps: 1,
	}
	if diff := cmp.Diff(want, countEvents(events, server)); diff != "" {
		t.Errorf("counts (-want +got):\n%s", diff)
	}
	// Without a server, every service registered is a CGI process.
	if got := countEvents(events, 0); got.CGIServices != 3 || got.CGIFaults != 4 || got.ServerFaults != 0 {
		t.Errorf("no server: %+v", got)
	}
}

func TestCollector(t *testing.T) {
	mon := newFakeMonitor([]error{libzl.ErrEventsLost, errors.New("undecodable")},
		&libzl.Event{Kind: libzl.EventRegister, ID: 1}, &libzl.Event{Kind: libzl.EventFault, ID: 1})
	c := newCollector(mon)
	c.settle(50*time.Millisecond, time.Second)
	events, lost := c.stop()
	if len(events) != 2 || events[1].Kind != libzl.EventFault || lost != 2 {
		t.Errorf("events %+v, lost %d", events, lost)
	}
	if events2, _ := c.stop(); len(events2) != 2 {
		t.Errorf("second stop: %d events", len(events2))
	}
}

// phase returns a phase result with the given counts.
func phase(mode string, requests, failed, corrupted, duplicated, crashes int) *phaseResult {
	return &phaseResult{
		Mode:     mode,
		Load:     demoload.Result{Counts: demoload.Counts{Requests: requests, OK: requests - failed - corrupted, Failed: failed, Corrupted: corrupted}},
		Journal:  demoload.JournalReport{Duplicated: duplicated},
		Crashes:  crashes,
		Restarts: crashes,
	}
}

func TestVerdict(t *testing.T) {
	both := []string{phaseZLR, phaseSupervisor}
	tests := []struct {
		name string
		want []string
		ran  []*phaseResult
		ok   bool
		msg  string
	}{
		{"shown", both, []*phaseResult{phase("zlr", 100, 0, 0, 0, 5), phase("supervisor", 100, 7, 0, 0, 5)}, true, ""},
		{"zlr failed", both, []*phaseResult{phase("zlr", 100, 3, 0, 0, 5), phase("supervisor", 100, 7, 0, 0, 5)}, false, "zlr: 3 requests failed"},
		{"zlr corrupted", both, []*phaseResult{phase("zlr", 100, 0, 2, 0, 5), phase("supervisor", 100, 7, 0, 0, 5)}, false, "zlr: 2 requests got corrupted answers"},
		{"zlr duplicated", both, []*phaseResult{phase("zlr", 100, 0, 0, 1, 5), phase("supervisor", 100, 7, 0, 0, 5)}, false, "zlr: 1 orders were recorded more than once"},
		{"zlr no crash", both, []*phaseResult{phase("zlr", 100, 0, 0, 0, 0), phase("supervisor", 100, 7, 0, 0, 5)}, false, "zlr: nothing crashed"},
		{"supervisor lost nothing", both, []*phaseResult{phase("zlr", 100, 0, 0, 0, 5), phase("supervisor", 100, 0, 0, 0, 5)}, false, "supervisor: no request failed"},
		{"phase missing", both, []*phaseResult{phase("zlr", 100, 0, 0, 0, 5)}, false, "supervisor: the phase did not run"},
		{"no load", []string{phaseZLR}, []*phaseResult{phase("zlr", 0, 0, 0, 0, 5)}, false, "zlr: no load was sent"},
		{"zlr only", []string{phaseZLR}, []*phaseResult{phase("zlr", 100, 0, 0, 0, 5)}, true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, problems := verdict(tt.want, tt.ran)
			if ok != tt.ok || (tt.msg == "") != (len(problems) == 0) || tt.msg != "" && !strings.Contains(strings.Join(problems, "\n"), tt.msg) {
				t.Errorf("verdict: %v, %q; want %v with %q", ok, problems, tt.ok, tt.msg)
			}
		})
	}
	r := phase("zlr", 100, 0, 0, 0, 5)
	r.Journal.Missing, r.GiveUps = 2, 1
	if _, problems := verdict([]string{phaseZLR}, []*phaseResult{r}); len(problems) != 2 {
		t.Errorf("missing orders and give-ups: %q", problems)
	}
}

func TestReportTable(t *testing.T) {
	zlr := phase("zlr", 20000, 0, 0, 0, 100)
	zlr.CGICrashes, zlr.CGIRestarts = 40, 40
	zlr.RestartLatency = demoload.Latency{Count: 100, P50: 1234 * time.Microsecond, P99: 3456 * time.Microsecond}
	sup := phase("supervisor", 20000, 731, 0, 0, 100)
	sup.Load.ByKind = map[string]demoload.Counts{"static": {Failed: 700}, "cgi": {Failed: 31}, "sum": {}}
	sup.CGICrashes, sup.CGIRestarts = -1, -1
	sup.RestartLatency = demoload.Latency{Count: 100, P50: 45 * time.Millisecond, P99: 80 * time.Millisecond}
	sup.Notes = []string{"a note"}
	rep := &report{Settings: settings{Description: "the demo"}, Phases: []*phaseResult{zlr, sup}, OK: true}
	var b strings.Builder
	if err := writeReport(&b, rep, "table", false); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"MODE        REQUESTS  CRASHES       RESTARTS      FAILED  CORRUPTED  DUPLICATED  RESTART P50  RESTART P99\n",
		"zlr         20000     100 + 40 cgi  100 + 40 cgi  0       0          0           1.23ms       3.46ms\n",
		"supervisor  20000     100 + ? cgi   100 + ? cgi   731     0          0           45ms         80ms\n",
		"  a note\n",
		"  requests lost by kind: static 700, cgi 31\n",
		"result: OK: with zlr, nothing lost through 100 + 40 cgi crashes; under the supervisor, 731 of 20000 requests lost through 100 server restarts\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	rep.OK, rep.Problems = false, []string{"zlr: 3 requests failed"}
	b.Reset()
	if err := writeReport(&b, rep, "json", false); err != nil {
		t.Fatal(err)
	}
	var back report
	if err := json.Unmarshal([]byte(b.String()), &back); err != nil || back.OK || back.Phases[1].Load.Failed != 731 || back.Problems[0] != "zlr: 3 requests failed" {
		t.Errorf("JSON report %v:\n%s", err, b.String())
	}
}

func TestWithCGI(t *testing.T) {
	for _, tc := range []struct {
		s, c int
		want string
	}{{3, 0, "3"}, {3, 2, "3 + 2 cgi"}, {0, -1, "0 + ? cgi"}} {
		if got := withCGI(tc.s, tc.c); got != tc.want {
			t.Errorf("withCGI(%d, %d) = %q, want %q", tc.s, tc.c, got, tc.want)
		}
	}
}

func TestOverflowNote(t *testing.T) {
	if got := overflowNote(nil, 1); got != "" {
		t.Errorf("overflowNote(none) = %q, want empty", got)
	}
	ov := func(pid int, kind libzl.StreamKind) libzl.Event {
		return libzl.Event{Kind: libzl.EventReplayOverflow, PID: pid, StreamKind: kind,
			OverflowReason: libzl.OverflowServiceLimit, ReplayLimit: 64 << 20}
	}
	got := overflowNote([]libzl.Event{ov(1, libzl.StreamPipe), ov(2, libzl.StreamPipe), ov(1, libzl.StreamPipe), ov(1, libzl.StreamTCP)}, 1)
	want := "4 streams lost their replay guarantee: 2 server pipe (service-limit, limit 64MiB), 1 cgi pipe (service-limit, limit 64MiB), 1 server tcp (service-limit, limit 64MiB)"
	if got != want {
		t.Errorf("overflowNote = %q\nwant %q", got, want)
	}
}
