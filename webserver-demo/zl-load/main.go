// Command zl-load sends the web server demo's load to a server and checks
// every byte of every answer: static files, dynamic content, uploads
// summed and CGI orders, from many keep-alive clients, nothing retried.
//
// Usage:
//
//	zl-load [-url URL] [-clients N] [-requests N] [-mix static=40,dyn=30,sum=20,cgi=10]
//	        [-max-body SIZE] [-seed N] [-timeout D] [-key-prefix P] [-journal PATH] [-o table|json]
//
// It shows its progress on standard error about once a second and the
// result at the end, as a table or in JSON (-o json). With -journal it
// also checks the CGI demo's journal: every order answered recorded once,
// as sent. It exits with status 1 when a request failed or was corrupted,
// or the journal is wrong, and 2 on a usage error.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/zl-dev/zl/internal/demoload"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], &Streams{
		Out: os.Stdout, ErrOut: os.Stderr,
		OutIsTerminal: demoload.IsTerminal(os.Stdout), ErrIsTerminal: demoload.IsTerminal(os.Stderr),
	})
	stop()
	os.Exit(code)
}
