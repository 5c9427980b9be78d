package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/zl-dev/zl/internal/demoload"
	"github.com/zl-dev/zl/libzl"
)

// A Monitor is what zl-demo needs of a libzl.Monitor; tests give it a fake
// one.
type Monitor interface {
	// Next blocks until the next event.
	Next() (*libzl.Event, error)
	// Close releases the monitor and interrupts a pending Next.
	Close() error
}

var _ Monitor = (*libzl.Monitor)(nil)

// Env is what zl-demo runs with: its output streams and its ways to the
// kernel and to itself.
type Env struct {
	Stdout, Stderr                     io.Writer
	StdoutIsTerminal, StderrIsTerminal bool

	// DialMonitor subscribes to the kernel's zlr events.
	DialMonitor func() (Monitor, error)

	// Executable returns the path of zl-demo's executable, as
	// os.Executable.
	Executable func() (string, error)
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// The phases.
const (
	phaseZLR        = "zlr"
	phaseSupervisor = "supervisor"
	phaseBoth       = "both"
)

// options are zl-demo's flags.
type options struct {
	bin           string
	clients       int
	requests      int
	faultEvery    int
	kills         int
	killEvery     int
	cgiFaultEvery int
	maxBody       int
	mix           demoload.Mix
	seed          uint64
	timeout       time.Duration
	readyTimeout  time.Duration
	phase         string
	keep          bool
	format        string
}

// Defaults of the flags.
const (
	defaultClients       = 64
	defaultRequests      = 20000
	defaultFaultEvery    = 200
	defaultCGIFaultEvery = 50
	defaultMaxBody       = 256 << 10
)

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	opts := &options{mix: demoload.DefaultMix}
	fs := flag.NewFlagSet("zl-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: zl-demo [flags]\n\n"+
			"Runs the web server demo under load and injected faults, registered with zlr and\n"+
			"then under a user-space supervisor, and compares what the clients lost.")
		fs.PrintDefaults()
	}
	maxBody := demoload.SizeFlag(defaultMaxBody)
	fs.StringVar(&opts.bin, "bin", "", "`directory` of zlctl, zl-webserver-demo, zl-cgi-demo and zl-supervise (default: zl-demo's own)")
	fs.IntVar(&opts.clients, "clients", defaultClients, "concurrent clients, each on its own keep-alive connection")
	fs.IntVar(&opts.requests, "requests", defaultRequests, "requests of each phase")
	fs.IntVar(&opts.faultEvery, "fault-every", defaultFaultEvery, "the server crashes on every N-th request of each of its incarnations (0: never)")
	fs.IntVar(&opts.kills, "kills", 0, "crash the server N times from outside (SIGUSR1, -fault-on-signal), each once it said ready and answered -kill-every requests since, then end the load once it answered as many again: -requests is a bound (zlr phase only)")
	fs.IntVar(&opts.killEvery, "kill-every", 0, "requests the server answers after it said ready before each fault of -kills (default -requests/(2N))")
	fs.IntVar(&opts.cgiFaultEvery, "cgi-fault-every", defaultCGIFaultEvery, "the CGI program crashes on about one order in N (0: never)")
	fs.Var(&maxBody, "max-body", "`size` of the largest body posted or dynamic content asked for, such as 64KiB or 1MiB")
	fs.Var((*demoload.MixFlag)(&opts.mix), "mix", "`weights` of the kinds of requests")
	fs.Uint64Var(&opts.seed, "seed", 1, "seed of the requests, the same in both phases")
	fs.DurationVar(&opts.timeout, "timeout", demoload.DefaultRequestTimeout, "time limit of each request")
	fs.DurationVar(&opts.readyTimeout, "ready-timeout", time.Minute, "time limit for the server to say it is ready")
	fs.StringVar(&opts.phase, "phase", phaseBoth, "`phases` to run: both, zlr or supervisor")
	fs.BoolVar(&opts.keep, "keep", false, "keep the working directory (journals, logs) even when all went well")
	fs.StringVar(&opts.format, "o", "table", "output `format`: table or json")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	opts.maxBody = int(maxBody)
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q: zl-demo takes flags only", fs.Arg(0))
	case opts.clients < 1:
		return nil, fmt.Errorf("bad -clients %d: want 1 or more", opts.clients)
	case opts.requests < 1:
		return nil, fmt.Errorf("bad -requests %d: want 1 or more", opts.requests)
	case opts.faultEvery < 0 || opts.cgiFaultEvery < 0:
		return nil, errors.New("bad -fault-every or -cgi-fault-every: want 0 (never) or more")
	case opts.kills < 0 || opts.kills > opts.requests:
		return nil, fmt.Errorf("bad -kills %d: want 0 (none) to -requests (%d)", opts.kills, opts.requests)
	case opts.killEvery < 0 || opts.killEvery > 0 && opts.kills == 0:
		return nil, fmt.Errorf("bad -kill-every %d: want 1 or more, with -kills", opts.killEvery)
	case opts.kills > 0 && opts.phase != phaseZLR:
		return nil, errors.New("-kills needs -phase zlr: the supervisor's server is its child, which zl-demo cannot name")
	case opts.maxBody < 1:
		return nil, fmt.Errorf("bad -max-body %d: want 1 or more", opts.maxBody)
	case opts.timeout <= 0 || opts.readyTimeout <= 0:
		return nil, errors.New("bad -timeout or -ready-timeout: want a positive duration")
	case opts.phase != phaseBoth && opts.phase != phaseZLR && opts.phase != phaseSupervisor:
		return nil, fmt.Errorf("bad -phase %q: want both, zlr or supervisor", opts.phase)
	case opts.format != "table" && opts.format != "json":
		return nil, fmt.Errorf("bad -o %q: want table or json", opts.format)
	}
	return opts, nil
}

// phases returns the phases to run, in order.
func (o *options) phases() []string {
	if o.phase == phaseBoth {
		return []string{phaseZLR, phaseSupervisor}
	}
	return []string{o.phase}
}

// binaries returns the programs a phase runs.
func binaries(phase string) []string {
	if phase == phaseZLR {
		return []string{"zlctl", serverProgram, cgiProgram}
	}
	return []string{superviseProgram, serverProgram, cgiProgram}
}

// The programs zl-demo runs.
const (
	serverProgram    = "zl-webserver-demo"
	cgiProgram       = "zl-cgi-demo"
	superviseProgram = "zl-supervise"
)

// Main runs zl-demo with args and returns its exit status.
func Main(ctx context.Context, args []string, env *Env) int {
	opts, err := parseFlags(args, env.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(env.Stderr, "zl-demo:", err)
		return exitUsage
	}
	if opts.bin == "" {
		exe, err := env.Executable()
		if err != nil {
			fmt.Fprintln(env.Stderr, "zl-demo: finding its own directory (give -bin):", err)
			return exitFailure
		}
		opts.bin = filepath.Dir(exe)
	}
	if opts.bin, err = filepath.Abs(opts.bin); err != nil {
		fmt.Fprintln(env.Stderr, "zl-demo:", err)
		return exitFailure
	}
	for _, p := range opts.phases() {
		if err := checkBinaries(opts.bin, binaries(p)); err != nil {
			fmt.Fprintf(env.Stderr, "zl-demo: %v\n", err)
			return exitFailure
		}
	}

	work, err := os.MkdirTemp("", "zl-demo-")
	if err != nil {
		fmt.Fprintln(env.Stderr, "zl-demo: making a working directory:", err)
		return exitFailure
	}
	d := &demo{opts: opts, env: env, work: work, runID: time.Now().UnixNano()}
	fmt.Fprintf(env.Stderr, "zl-demo: %s; working directory %s\n", d.describe(), work)

	rep := report{Settings: d.settings(), Phases: []*phaseResult{}}
	var check []string // the phases to judge: those that ran, or did not fail to
	for _, p := range opts.phases() {
		res, err := d.runPhase(ctx, p)
		if err != nil {
			rep.Errors = append(rep.Errors, fmt.Sprintf("%s: %v", p, err))
			fmt.Fprintf(env.Stderr, "zl-demo: %s: %v\n", p, err)
		}
		if res != nil {
			rep.Phases = append(rep.Phases, res)
		}
		if res != nil || err == nil {
			check = append(check, p)
		}
		if ctx.Err() != nil {
			break
		}
	}
	rep.OK, rep.Problems = verdict(check, rep.Phases)
	if len(rep.Errors) > 0 {
		rep.OK = false
	}
	if rep.Problems == nil {
		rep.Problems = []string{}
	}
	if rep.Errors == nil {
		rep.Errors = []string{}
	}
	if err := writeReport(env.Stdout, &rep, opts.format, env.StdoutIsTerminal); err != nil {
		fmt.Fprintln(env.Stderr, "zl-demo: writing the report:", err)
		return exitFailure
	}
	if rep.OK && !opts.keep {
		os.RemoveAll(work)
	} else {
		fmt.Fprintf(env.Stderr, "zl-demo: journals and logs kept in %s\n", work)
	}
	if !rep.OK {
		for _, e := range rep.Errors {
			fmt.Fprintf(env.Stderr, "zl-demo: FAILED: %s\n", e)
		}
		for _, p := range rep.Problems {
			fmt.Fprintf(env.Stderr, "zl-demo: FAILED: %s\n", p)
		}
		return exitFailure
	}
	return exitOK
}

// checkBinaries checks that dir holds the programs names.
func checkBinaries(dir string, names []string) error {
	for _, n := range names {
		p := filepath.Join(dir, n)
		fi, err := os.Stat(p)
		switch {
		case err != nil:
			return fmt.Errorf("%s is missing: build the demo's programs into %s, or give their directory with -bin", p, dir)
		case fi.IsDir() || fi.Mode()&0o111 == 0:
			return fmt.Errorf("%s is not an executable file", p)
		}
	}
	return nil
}

// A demo is one run of zl-demo.
type demo struct {
	opts  *options
	env   *Env
	work  string // the working directory
	runID int64  // makes the orders' keys unique
}

// describe says in a line what the demo does.
func (d *demo) describe() string {
	o := d.opts
	s := fmt.Sprintf("%d requests from %d clients per phase, bodies up to %s", o.requests, o.clients, demoload.FormatSize(o.maxBody))
	if o.faultEvery > 0 {
		s += fmt.Sprintf(", the server crashing every %d requests", o.faultEvery)
	}
	if o.kills > 0 {
		s += fmt.Sprintf(", the server crashed from outside %d times", o.kills)
	}
	if o.cgiFaultEvery > 0 {
		s += fmt.Sprintf(", the CGI program on one order in %d", o.cgiFaultEvery)
	}
	return s
}

// loadConfig returns the load of a phase, the same for both but for the
// orders' keys.
func (d *demo) loadConfig(phase, baseURL string) demoload.Config {
	o := d.opts
	return demoload.Config{
		BaseURL:        baseURL,
		Clients:        o.clients,
		Requests:       o.requests,
		Mix:            o.mix,
		MaxBody:        o.maxBody,
		Seed:           o.seed,
		RequestTimeout: o.timeout,
		KeyPrefix:      fmt.Sprintf("%s-%x", phase, d.runID),
	}
}
