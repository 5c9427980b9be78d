// Command zl-cgi-demo is a CGI program made zero-loss with libzl/zlcgi: it
// takes an order (POST, with an Idempotency-Key header), records it once in
// a journal, and answers demo.CGIResponse of it. It crashes on the orders
// ZL_DEMO_FAULT picks, in its first incarnation only: the kernel restarts it
// in place, replays the body it had read, drops the response bytes it had
// written, and the web server gets one complete response. See
// webserver-demo/README.md.
//
// Environment:
//
//	ZL_DEMO_JOURNAL  path of the order journal; no journal when empty
//	ZL_DEMO_FAULT    fault spec, such as "every=7,kind=mix,point=mix": an
//	                 order crashes when the 64-bit FNV-1a hash of its key
//	                 modulo every is 0, or when the hash's top 53 bits as a
//	                 fraction are below rate
package main

import (
	"fmt"
	"log"
	"os"

	"github.com/zl-dev/zl/internal/demo/fault"
	"github.com/zl-dev/zl/libzl"
	"github.com/zl-dev/zl/libzl/zlcgi"
)

// Environment variables the program reads.
const (
	journalEnv = "ZL_DEMO_JOURNAL"
	faultEnv   = "ZL_DEMO_FAULT"
)

func main() {
	prefix := fmt.Sprintf("zl-cgi-demo[%d.%d]: ", os.Getpid(), libzl.Incarnation())
	logger := log.New(os.Stderr, prefix, log.Lmsgprefix)
	spec, err := fault.Parse(os.Getenv(faultEnv))
	if err != nil {
		logger.Fatalf("%s: %v", faultEnv, err)
	}
	if libzl.Incarnation() > 0 {
		// The order that crashed the first incarnation must go through.
		spec = fault.Spec{}
	}
	h := &orderHandler{journal: os.Getenv(journalEnv), faults: spec, log: logger, crash: fault.Crash}
	if err := zlcgi.Run(zlcgi.Config{Name: "zl-cgi-demo", ErrorLog: logger}, h); err != nil {
		logger.Fatal(err)
	}
}
