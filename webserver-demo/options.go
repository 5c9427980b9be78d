package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/zl-dev/zl/internal/demo/fault"
)

// Environment variables the server reads, and passes to the CGI program.
const (
	// faultEnv holds the server's fault spec when no fault flag is given,
	// and the CGI program's, from -cgi-fault.
	faultEnv = "ZL_DEMO_FAULT"
	// journalEnv holds the path of the CGI program's order journal.
	journalEnv = "ZL_DEMO_JOURNAL"
)

// errUsage is a usage error the flag package has reported.
var errUsage = errors.New("usage error")

// options are the server's settings, from its flags and environment.
type options struct {
	addr      string
	root      string
	genStatic bool
	cgi       string
	journal   string
	cgiFault  string
	fault     fault.Spec
	// faultOnSignal makes SIGUSR1 crash the server at once.
	faultOnSignal bool
}

// faultFlags are the flags that make the server ignore faultEnv.
var faultFlags = map[string]bool{
	"fault-every": true,
	"fault-rate":  true,
	"fault-seed":  true,
	"fault-kind":  true,
	"fault-point": true,
}

// parseOptions parses the command-line arguments args, and the fault spec
// in faultEnv, read with getenv, when no fault flag is given. Usage errors
// are reported on stderr and returned as errUsage.
func parseOptions(args []string, getenv func(string) string, stderr io.Writer) (options, error) {
	var opts options
	fs := flag.NewFlagSet("zl-webserver-demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: zl-webserver-demo [flags]\n\n"+
			"A zero-loss HTTP/1.1 server with fault injection. Without fault flags, the\n"+
			"faults come from %s, such as \"every=200,rate=0.01,kind=mix,point=mix\".\n\n", faultEnv)
		fs.PrintDefaults()
	}
	fs.StringVar(&opts.addr, "addr", ":8080", "TCP `address` to listen on")
	fs.StringVar(&opts.root, "root", "", "`directory` of the files GET /static/<name> serves")
	fs.BoolVar(&opts.genStatic, "gen-static", false, "write the demo's static files into -root first")
	fs.StringVar(&opts.cgi, "cgi", "", "`path` of the CGI program POST /cgi-bin/order runs (zl-cgi-demo)")
	fs.StringVar(&opts.journal, "journal", "", "`path` of the CGI program's order journal, passed in "+journalEnv)
	fs.StringVar(&opts.cgiFault, "cgi-fault", "", "fault `spec` of the CGI program, passed in "+faultEnv)
	spec := fault.DefaultSpec
	fs.Uint64Var(&spec.Every, "fault-every", 0, "crash on every `N`-th request of an incarnation (0: never)")
	fs.Func("fault-rate", "crash on each request with this `probability`, from 0 to 1", func(s string) (err error) {
		spec.Rate, err = fault.ParseRate(s)
		return err
	})
	fs.Uint64Var(&spec.Seed, "fault-seed", spec.Seed, "`seed` of the random numbers of -fault-rate")
	fs.TextVar(&spec.Kind, "fault-kind", spec.Kind, "`kind` of crash: segv, abort, panic or mix")
	fs.BoolVar(&opts.faultOnSignal, "fault-on-signal", false, "crash at once, whatever the server is doing, when sent SIGUSR1: a fault from outside, of -fault-kind (mix: one kind per incarnation in turn)")
	fs.TextVar(&spec.Point, "fault-point", spec.Point, "`point` of the request to crash at: before-body, after-body, mid-response or mix")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return options{}, err
		}
		return options{}, errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "zl-webserver-demo: unexpected argument %q\n", fs.Arg(0))
		fs.Usage()
		return options{}, errUsage
	}
	if opts.genStatic && opts.root == "" {
		return options{}, errors.New("-gen-static needs -root")
	}
	if _, err := fault.Parse(opts.cgiFault); err != nil {
		return options{}, fmt.Errorf("-cgi-fault: %w", err)
	}
	flagged := false
	fs.Visit(func(f *flag.Flag) { flagged = flagged || faultFlags[f.Name] })
	opts.fault = spec
	if !flagged {
		var err error
		if opts.fault, err = fault.Parse(getenv(faultEnv)); err != nil {
			return options{}, fmt.Errorf("%s: %w", faultEnv, err)
		}
	}
	return opts, nil
}
