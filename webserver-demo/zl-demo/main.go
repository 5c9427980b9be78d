// Command zl-demo shows what the kernel's zero-loss restart saves: it runs
// the web server demo under the same load and the same injected faults
// twice, first registered with zlr (zlctl run), then under a user-space
// supervisor that restarts it on the same listening socket (zl-supervise),
// and compares what the clients lost.
//
// Usage:
//
//	zl-demo [-bin DIR] [-clients N] [-requests N] [-fault-every N] [-kills N [-kill-every N]]
//	        [-cgi-fault-every N]
//	        [-max-body SIZE] [-seed N] [-phase both|zlr|supervisor] [-keep] [-o table|json]
//
// It runs as root on a kernel with zlr, with zlctl, zl-webserver-demo,
// zl-cgi-demo and zl-supervise in -bin (by default, its own directory). It
// shows each phase's progress on standard error and prints a table
// comparing them at the end: requests, crashes, restarts, requests failed
// and corrupted, orders duplicated, and the restart latency. It exits with
// status 0 when the zlr phase lost nothing while the supervisor phase lost
// requests, 1 otherwise (saying why), and 2 on a usage error.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/zl-dev/zl/internal/demoload"
	"github.com/zl-dev/zl/libzl"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], &Env{
		Stdout: os.Stdout, Stderr: os.Stderr,
		StdoutIsTerminal: demoload.IsTerminal(os.Stdout), StderrIsTerminal: demoload.IsTerminal(os.Stderr),
		DialMonitor: func() (Monitor, error) { return libzl.DialMonitor() },
		Executable:  os.Executable,
	})
	stop()
	os.Exit(code)
}
