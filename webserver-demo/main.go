// Command zl-webserver-demo is an HTTP/1.1 server made zero-loss with
// libzl/zlhttp, with fault injection: run under `zlctl run
// --fault-exit-codes 2`, it crashes on the requests the fault flags pick, the
// kernel restarts it in place, and its clients lose nothing. See README.md.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/zl-dev/zl/internal/demo/fault"
	"github.com/zl-dev/zl/libzl"
	"github.com/zl-dev/zl/libzl/zlcgi"
	"github.com/zl-dev/zl/libzl/zlhttp"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run runs the server with the command-line arguments args and returns the
// exit status: 2 for a usage error, 1 when the server cannot serve.
func run(args []string, stdout, stderr io.Writer) int {
	opts, err := parseOptions(args, os.Getenv, stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		// The flag package said what was wrong.
		return 2
	case err != nil:
		fmt.Fprintf(stderr, "zl-webserver-demo: %v\n", err)
		return 2
	}
	prefix := fmt.Sprintf("zl-webserver-demo[%d.%d]: ", os.Getpid(), libzl.Incarnation())
	logger := log.New(stderr, prefix, log.LstdFlags|log.Lmicroseconds|log.Lmsgprefix)
	if err := serve(opts, stdout, stderr, logger); err != nil {
		logger.Print(err)
		return 1
	}
	return 0
}

// serve serves as opts say, and says "ready" on stdout once it serves.
func serve(opts options, stdout, stderr io.Writer, logger *log.Logger) error {
	s := &server{log: logger}
	if opts.root != "" {
		if opts.genStatic {
			if err := writeStatic(opts.root); err != nil {
				return err
			}
		}
		root, err := os.OpenRoot(opts.root)
		if err != nil {
			return fmt.Errorf("static files: %w", err)
		}
		defer root.Close()
		s.root = root
	}
	if opts.cgi != "" {
		h, err := cgiHandler(opts, stderr, logger)
		if err != nil {
			return err
		}
		s.cgi = h
	}
	in := newInjector(opts.fault, libzl.Incarnation(), logger)
	if opts.faultOnSignal {
		crashOnSignal(opts.fault, libzl.Incarnation(), logger)
	}

	l, err := zlhttp.Listen("tcp", opts.addr)
	if l == nil {
		return err
	}
	if err != nil {
		logger.Print(err)
	}
	faults := "none"
	if opts.fault.Enabled() {
		faults = opts.fault.String()
	}
	logger.Printf("incarnation %d listening on %v, faults %s", libzl.Incarnation(), l.Addr(), faults)
	srv := &http.Server{
		Handler:           s.handler(in),
		ErrorLog:          logger,
		ReadHeaderTimeout: time.Minute,
		IdleTimeout:       5 * time.Minute,
	}
	return zlhttp.Serve(srv, &readyListener{Listener: l, out: stdout})
}

// crashOnSignal makes SIGUSR1 crash the process with a fault of spec's kind,
// for mix the incarnation's in turn, from a goroutine of its own while the
// others serve: a fault at whatever point of a request they are.
func crashOnSignal(spec fault.Spec, incarnation uint32, logger *log.Logger) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	go func() {
		<-c
		kind, _ := spec.Resolve(uint64(incarnation))
		logger.Printf("fault: SIGUSR1, kind %v", kind)
		fault.Crash(kind)
	}()
}

// cgiHandler returns the handler that runs the CGI program of opts, with
// absolute paths: the program runs in its own directory.
func cgiHandler(opts options, stderr io.Writer, logger *log.Logger) (*zlcgi.Host, error) {
	path, err := filepath.Abs(opts.cgi)
	if err != nil {
		return nil, fmt.Errorf("CGI program: %w", err)
	}
	var env []string
	if opts.journal != "" {
		journal, err := filepath.Abs(opts.journal)
		if err != nil {
			return nil, fmt.Errorf("journal: %w", err)
		}
		env = append(env, journalEnv+"="+journal)
	}
	if opts.cgiFault != "" {
		env = append(env, faultEnv+"="+opts.cgiFault)
	}
	h := &zlcgi.Host{Path: path, Env: env, Logger: logger}
	if f, ok := stderr.(*os.File); ok {
		h.Stderr = f
	}
	// Before zlhttp.Serve calls libzl.Ready, which closes the pipes of the
	// programs the crashed incarnation started.
	if err := h.Resume(); err != nil {
		logger.Print(err)
	}
	return h, nil
}

// A readyListener says "ready" on out when the server first accepts: the
// listener is adopted or made, the inherited descriptors nobody adopted are
// closed and the kernel is told (zlhttp.Serve), and the server serves. A
// supervisor measures the restart latency with it.
type readyListener struct {
	net.Listener
	once sync.Once
	out  io.Writer
}

// Accept says "ready" the first time, then accepts.
func (l *readyListener) Accept() (net.Conn, error) {
	l.once.Do(func() { fmt.Fprintln(l.out, "ready") })
	return l.Listener.Accept()
}
