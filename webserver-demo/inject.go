package main

import (
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/zl-dev/zl/internal/demo/fault"
)

// An injected fault is one that crashes the server: the k-th request of the incarnation
// crashes the process in the given way.
type injected struct {
	k     uint64
	kind  fault.Kind
	point fault.Point
}

// An injector crashes the server on the requests its spec picks. Its
// counter is this incarnation's: after a restart in place the kernel
// replays the request that crashed the previous incarnation as one of the
// first of the new one, which does not crash on it again.
type injector struct {
	spec fault.Spec

	// n counts the requests of the handlers wrap wraps.
	n atomic.Uint64
	// inc is the server's incarnation: with kind or point mix, it rotates
	// the faults of every, which would otherwise be the same in each
	// incarnation, as its count starts again.
	inc uint64

	// mu protects rng.
	mu  sync.Mutex
	rng *rand.Rand

	log *log.Logger

	// crash crashes the process with f; tests replace it. It does not
	// return.
	crash func(injected)
}

// newInjector returns an injector of spec for the given incarnation of the
// server. The random numbers of spec.Rate come from spec.Seed and the
// incarnation: a run is reproducible, and a new incarnation does not repeat
// the draws that crashed the previous one.
func newInjector(spec fault.Spec, incarnation uint32, logger *log.Logger) *injector {
	in := &injector{
		spec: spec,
		inc:  uint64(incarnation),
		rng:  rand.New(rand.NewPCG(spec.Seed, uint64(incarnation))),
		log:  logger,
	}
	in.crash = in.die
	return in
}

// next counts a request and returns the fault it is to take, if any.
func (in *injector) next() (injected, bool) {
	k := in.n.Add(1)
	// The rate's draw comes first, for every request, so that the requests
	// it picks do not depend on every.
	drawn := false
	if in.spec.Rate > 0 {
		in.mu.Lock()
		drawn = in.rng.Float64() < in.spec.Rate
		in.mu.Unlock()
	}
	var i uint64
	switch {
	case in.spec.Every > 0 && k%in.spec.Every == 0:
		i = k/in.spec.Every + in.inc
	case drawn:
		i = k
	default:
		return injected{}, false
	}
	kind, point := in.spec.Resolve(i)
	return injected{k: k, kind: kind, point: point}, true
}

// die logs f and crashes the process with it.
func (in *injector) die(f injected) {
	in.log.Printf("fault: request %d kind %v point %v", f.k, f.kind, f.point)
	fault.Crash(f.kind)
}

// wrap returns h with faults injected into the requests the injector picks.
// h must declare the length of each response body in Content-Length: the
// mid-response fault crashes once half of it is on its way.
func (in *injector) wrap(h http.Handler) http.Handler {
	if !in.spec.Enabled() {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, ok := in.next()
		if !ok {
			h.ServeHTTP(w, r)
			return
		}
		switch f.point {
		case fault.BeforeBody:
			in.crash(f)
		case fault.AfterBody:
			if r.Body == nil || r.Body == http.NoBody {
				in.crash(f)
			}
		}
		fw := &faultWriter{ResponseWriter: w, in: in, f: f, half: -1}
		if f.point == fault.AfterBody {
			r.Body = &faultBody{ReadCloser: r.Body, fw: fw}
		}
		h.ServeHTTP(fw, r)
		fw.end()
	})
}

// A faultBody is a request body that crashes the process when the handler
// has read all of it: at the end of the body.
type faultBody struct {
	io.ReadCloser
	fw *faultWriter
}

// Read reads from the body and crashes the process at its end.
func (b *faultBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.fw.crash()
	}
	return n, err
}

// A faultWriter is the response writer of a request that crashes the
// process. For the after-body point, it crashes before the first byte of
// the response when the handler answers without reading the whole body. For
// the mid-response point, it writes and flushes half of the body its
// Content-Length declares, and crashes; a response without Content-Length
// crashes before anything is sent, since flushing part of it would change
// its framing from what the next incarnation sends.
type faultWriter struct {
	http.ResponseWriter
	in *injector
	f  injected

	// crashed is set once the crash is under way (the body's reader may
	// run on another goroutine than the handler).
	crashed atomic.Bool

	// half is the number of body bytes to send before the mid-response
	// crash, or -1 before the first write; written counts the body bytes
	// written.
	half, written int64
}

// crash crashes the process, once.
func (fw *faultWriter) crash() {
	if fw.crashed.CompareAndSwap(false, true) {
		fw.in.crash(fw.f)
	}
}

// beforeResponse crashes the process when the after-body fault is still to
// come.
func (fw *faultWriter) beforeResponse() {
	if fw.f.point == fault.AfterBody {
		fw.crash()
	}
}

// WriteHeader sends the response's head, after the after-body fault.
func (fw *faultWriter) WriteHeader(code int) {
	fw.beforeResponse()
	fw.ResponseWriter.WriteHeader(code)
}

// Write writes to the body, crashing mid-response once half of it is
// flushed.
func (fw *faultWriter) Write(p []byte) (int, error) {
	fw.beforeResponse()
	if fw.f.point != fault.MidResponse || fw.crashed.Load() {
		return fw.ResponseWriter.Write(p)
	}
	if fw.half < 0 {
		n, err := strconv.ParseInt(fw.Header().Get("Content-Length"), 10, 64)
		if err != nil || n < 0 {
			// Crash before anything is sent.
			fw.crash()
		}
		fw.half = n / 2
	}
	if rest := fw.half - fw.written; int64(len(p)) >= rest {
		n, err := fw.ResponseWriter.Write(p[:rest])
		fw.written += int64(n)
		if err != nil {
			return n, err
		}
		_ = http.NewResponseController(fw.ResponseWriter).Flush()
		fw.crash()
	}
	n, err := fw.ResponseWriter.Write(p)
	fw.written += int64(n)
	return n, err
}

// FlushError flushes the response (http.ResponseController calls it).
func (fw *faultWriter) FlushError() error {
	fw.beforeResponse()
	return http.NewResponseController(fw.ResponseWriter).Flush()
}

// Flush implements http.Flusher.
func (fw *faultWriter) Flush() { _ = fw.FlushError() }

// Unwrap returns the underlying response writer, for
// http.ResponseController.
func (fw *faultWriter) Unwrap() http.ResponseWriter { return fw.ResponseWriter }

// end crashes the process after a handler that returned before its fault:
// a response with an empty body or without Content-Length, or a handler that
// neither read the whole body nor answered.
func (fw *faultWriter) end() {
	if fw.crashed.Load() {
		return
	}
	if fw.f.point == fault.MidResponse && fw.Header().Get("Content-Length") != "" {
		// Send the head, as an empty body's half.
		_ = http.NewResponseController(fw.ResponseWriter).Flush()
	}
	fw.crash()
}
