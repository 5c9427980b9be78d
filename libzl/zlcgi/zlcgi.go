// Package zlcgi makes a CGI program zero-loss: when it crashes while serving
// its request, the kernel restarts it in place (same PID, so the web server
// waiting for it notices nothing), replays the request body it had read from
// its standard input and drops the response bytes it had already written to
// its standard output, so that the web server gets one complete response.
//
// A CGI program lives for one request, so nobody else can register it with
// the kernel before it runs: Run registers the calling process itself,
// before it reads anything, commits its standard output (the kernel tracks
// by itself the pipes a service reads, but a pipe it only writes from its
// first commit on), and then serves the request with net/http/cgi. A
// zero-loss CGI program is then:
//
//	func main() {
//		if err := zlcgi.Serve(handler); err != nil {
//			log.Fatal(err)
//		}
//	}
//
// The handler must answer the same request with the same bytes in every
// incarnation (see package zlhttp), and effects that must happen once, such
// as recording an order, must be idempotent: a crash after the effect and
// before the response runs the handler again on the same request.
//
// On a kernel without zlr the program runs unprotected, as a plain CGI
// program.
//
// On the web server's side, Host runs CGI programs as net/http/cgi.Handler
// does, in a zero-loss web server (see package zlhttp): a crash of the
// server does not stop the programs it had started, and its restarted
// incarnation finishes their requests with them instead of starting them
// again.
package zlcgi

import (
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/cgi"
	"os"
	"time"

	"github.com/zl-dev/zl/libzl"
	"github.com/zl-dev/zl/libzl/zlhttp"
)

// Defaults of the restart policy DefaultPolicy returns.
const (
	// DefaultMaxRestarts is the number of restarts allowed within
	// DefaultWindow: a request that crashes the program more often crashes
	// it every time, and the program then dies as it would have.
	DefaultMaxRestarts = 3

	// DefaultWindow is the restart window, longer than a request lasts.
	DefaultWindow = time.Minute

	// DefaultReplayLimit is the replay limit in bytes: the kernel replays a
	// request body of up to this size, which it holds in memory while the
	// program runs.
	DefaultReplayLimit = 16 << 20
)

// DefaultPolicy returns the restart policy Run registers a CGI program with
// unless told otherwise: the kernel's default fault signals (SIGSEGV,
// SIGABRT and the other synchronous faults), exit status 2 as a fault (a Go
// panic, and a fatal error of the Go runtime, exit with 2), at most
// DefaultMaxRestarts restarts within DefaultWindow, no minimum uptime (the
// program runs for a moment only), a replay limit of DefaultReplayLimit
// bytes, and the replay of input and de-duplication of output on.
func DefaultPolicy() libzl.PolicyConfig {
	maxRestarts := uint32(DefaultMaxRestarts)
	window := DefaultWindow
	minUptime := time.Duration(0)
	replayLimit := uint32(DefaultReplayLimit)
	flags := libzl.FlagReplay | libzl.FlagDedup
	return libzl.PolicyConfig{
		FaultExitCodes: []uint8{2},
		MaxRestarts:    &maxRestarts,
		Window:         &window,
		MinUptime:      &minUptime,
		ReplayLimit:    &replayLimit,
		Flags:          &flags,
	}
}

// A Config says how Run registers a CGI program.
type Config struct {
	// Name is the service's name, for zlctl and the kernel's events; empty
	// means the program's command name.
	Name string

	// Policy is the restart policy to register with; nil means
	// DefaultPolicy(). The fields it leaves nil keep the kernel's defaults.
	Policy *libzl.PolicyConfig

	// ErrorLog logs the errors that do not stop the request, such as a
	// failed libzl.Ready; nil means the log package's standard logger, which
	// writes to standard error, where web servers take a CGI program's
	// messages.
	ErrorLog *log.Logger
}

// Run serves the current CGI request with h as a zero-loss CGI program.
//
// In the program's original process it first registers the process with
// the kernel as a service, with cfg's name and policy: from then on, a fault
// restarts the program in place. A kernel without zlr is no error: the
// program runs unprotected and Run says nothing. It then commits standard
// output with libzl.Commit, so that the kernel counts the response bytes
// written and drops as many of the restarted program's; when that fails (as
// when standard output is a terminal or a file rather than a pipe or a
// socket), it logs why and serves anyway. In a process the kernel restarted
// in place, which is still registered, it calls libzl.Ready instead, which
// closes the files the crashed incarnation had open (and releases their
// locks) and reports that the program runs again; it must not commit
// standard output again, which would forget what the crashed program wrote.
//
// It then serves the request with cgi.Serve(zlhttp.Handler(h)), h being
// http.DefaultServeMux when nil: the kernel gives the restarted program the
// body the crashed one had read.
//
// Run returns an error when the process is not run as a CGI program (no
// REQUEST_METHOD in the environment; it then registers nothing), when the
// registration fails on a kernel with zlr, or when serving fails. A process
// that inherited ZL_INCARNATION from its parent passes for a restarted one
// and is not registered: a web server restarted in place must not pass it on
// (net/http/cgi does not).
func Run(cfg Config, h http.Handler) error {
	return runner{
		register:  register,
		commit:    func() error { return libzl.Commit(os.Stdout) },
		restarted: libzl.Restarted,
		ready:     libzl.Ready,
		serve:     cgi.Serve,
		getenv:    os.Getenv,
	}.run(cfg, h)
}

// Serve serves the current CGI request with h as Run does, with the default
// Config.
func Serve(h http.Handler) error { return Run(Config{}, h) }

// A runner is Run with the operations it depends on, which tests replace.
type runner struct {
	register  func(libzl.Registration) error
	commit    func() error
	restarted func() bool
	ready     func() error
	serve     func(http.Handler) error
	getenv    func(string) string
}

func (r runner) run(cfg Config, h http.Handler) error {
	if r.getenv("REQUEST_METHOD") == "" {
		return errors.New("zlcgi: not run as a CGI program: no REQUEST_METHOD in the environment")
	}
	if r.restarted() {
		if err := r.ready(); err != nil {
			logger(cfg).Printf("zlcgi: %v", err)
		}
	} else {
		p := DefaultPolicy()
		if cfg.Policy != nil {
			p = *cfg.Policy
		}
		err := r.register(libzl.Registration{Name: cfg.Name, Policy: p})
		switch {
		case errors.Is(err, libzl.ErrNotSupported):
			// Unprotected.
		case err != nil:
			return fmt.Errorf("zlcgi: register the CGI program: %w", err)
		default:
			if err := r.commit(); err != nil {
				logger(cfg).Printf("zlcgi: standard output will not be de-duplicated after a restart: %v", err)
			}
		}
	}
	if h == nil {
		h = http.DefaultServeMux
	}
	if err := r.serve(zlhttp.Handler(h)); err != nil {
		return fmt.Errorf("zlcgi: serve the request: %w", err)
	}
	return nil
}

// register registers the calling process as a service with the kernel; it
// returns libzl.ErrNotSupported on a kernel without zlr.
func register(reg libzl.Registration) error {
	c, err := libzl.Dial()
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.Register(reg)
	return err
}

// logger returns cfg's error log.
func logger(cfg Config) *log.Logger {
	if cfg.ErrorLog != nil {
		return cfg.ErrorLog
	}
	return log.Default()
}
