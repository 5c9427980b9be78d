// Command zl-supervise is a user-space supervisor in the style of systemd's
// socket activation, the baseline zl-demo compares the kernel's zero-loss
// restart with.
//
// Usage:
//
//	zl-supervise -listen ADDR [-stats FILE] [-restart-delay D] -- COMMAND [ARG...]
//
// It creates the listening socket and starts the command with it as
// descriptor 3 and LISTEN_FDS=1 in its environment; whenever the command
// exits, it starts it again on the same socket, so that clients waiting in
// the socket's backlog are served, while the connections the dead process
// held are lost. It copies the command's standard output to its own and
// times each restart from the death of the process to the new one's
// "ready" line. SIGTERM or SIGINT stops it: it passes the signal on, waits
// for the command to exit, writes its statistics to the -stats file (JSON)
// and a summary to standard error, and exits with status 0.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// Main runs zl-supervise with args and returns its exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	opts, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "zl-supervise:", err)
		return exitUsage
	}
	opts.Stdout, opts.Stderr = stdout, stderr
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	opts.Signals = sigs
	if err := Supervise(opts); err != nil {
		fmt.Fprintln(stderr, "zl-supervise:", err)
		return exitFailure
	}
	return exitOK
}

// parseFlags reads the command line.
func parseFlags(args []string, stderr io.Writer) (*Options, error) {
	opts := &Options{}
	fs := flag.NewFlagSet("zl-supervise", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: zl-supervise -listen ADDR [-stats FILE] [-restart-delay D] -- COMMAND [ARG...]")
		fs.PrintDefaults()
	}
	fs.StringVar(&opts.Listen, "listen", "", "TCP `address` to listen on, such as :8080 or 127.0.0.1:8080 (required)")
	fs.StringVar(&opts.StatsFile, "stats", "", "write the restart statistics to `file`, in JSON, on exit")
	fs.DurationVar(&opts.RestartDelay, "restart-delay", 0, "wait this long before starting the command again")
	fs.DurationVar(&opts.StopTimeout, "stop-timeout", 10*time.Second, "on SIGTERM, kill the command if it has not exited after this long")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	opts.Command = fs.Args()
	switch {
	case opts.Listen == "":
		return nil, errors.New("no -listen address: give one, as in: zl-supervise -listen :8080 -- ./server")
	case len(opts.Command) == 0:
		return nil, errors.New(`no command: give it after "--", as in: zl-supervise -listen :8080 -- ./server`)
	case opts.RestartDelay < 0 || opts.StopTimeout <= 0:
		return nil, errors.New("-restart-delay must not be negative, -stop-timeout must be positive")
	}
	return opts, nil
}
