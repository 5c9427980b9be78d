package main

import (
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/zl-dev/zl/internal/demo/fault"
)

// A crashed is what the tests' crash function panics with.
type crashed struct{ f injected }

// countingReader is a request body that counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

func (c *countingReader) Close() error { return nil }

// A faultCase is a request served with every request of the incarnation
// crashing at a point, and what the client and the handler got when it
// crashed.
type faultCase struct {
	name    string
	point   fault.Point
	handler http.Handler // nil: the server's
	method  string
	target  string
	body    string

	// The outcome: whether it crashed, the body bytes the handler read
	// and wrote by then, and whether the response was flushed.
	wantCrash   bool
	wantRead    int
	wantWritten int
	wantFlushed bool
}

func TestWrap(t *testing.T) {
	answerWithoutReading := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, textType, []byte("no need to read\n"))
	})
	noLength := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "a response whose length nobody knows\n")
	})
	body := strings.Repeat("x", 100000)
	tests := []faultCase{
		{
			name: "before-body", point: fault.BeforeBody, method: "POST", target: "/sum", body: body,
			wantCrash: true, wantRead: 0, wantWritten: 0,
		},
		{
			name: "after-body", point: fault.AfterBody, method: "POST", target: "/sum", body: body,
			wantCrash: true, wantRead: len(body), wantWritten: 0,
		},
		{
			name: "after-body of a GET", point: fault.AfterBody, method: "GET", target: "/dyn?seed=1&size=100",
			wantCrash: true, wantWritten: 0,
		},
		{
			name: "after-body, answered without reading", point: fault.AfterBody, handler: answerWithoutReading,
			method: "POST", target: "/", body: body,
			wantCrash: true, wantRead: 0, wantWritten: 0,
		},
		{
			name: "mid-response", point: fault.MidResponse, method: "GET", target: "/dyn?seed=1&size=100001",
			wantCrash: true, wantWritten: 50000, wantFlushed: true,
		},
		{
			name: "mid-response of a small response", point: fault.MidResponse, method: "POST", target: "/sum", body: body,
			wantCrash: true, wantRead: len(body), wantWritten: 44, wantFlushed: true,
		},
		{
			name: "mid-response of an empty body", point: fault.MidResponse, method: "GET", target: "/dyn?seed=1&size=0",
			wantCrash: true, wantWritten: 0, wantFlushed: true,
		},
		{
			name: "mid-response without length", point: fault.MidResponse, handler: noLength, method: "GET", target: "/",
			wantCrash: true, wantWritten: 0, wantFlushed: false,
		},
		{
			name: "health checks do not count", point: fault.BeforeBody, method: "GET", target: "/healthz",
			wantCrash: false, wantWritten: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := fault.Spec{Every: 1, Kind: fault.KindSEGV, Point: tt.point}
			in := newInjector(spec, 0, log.New(io.Discard, "", 0))
			in.crash = func(f injected) { panic(crashed{f}) }
			h := tt.handler
			if h == nil {
				h = (&server{log: log.New(io.Discard, "", 0)}).handler(in)
			} else {
				h = in.wrap(h)
			}
			rb := &countingReader{r: strings.NewReader(tt.body)}
			req := httptest.NewRequest(tt.method, tt.target, rb)
			if tt.body == "" {
				req.Body = http.NoBody
			}
			rec := httptest.NewRecorder()
			got := func() (f *injected) {
				defer func() {
					if c, ok := recover().(crashed); ok {
						f = &c.f
					}
				}()
				h.ServeHTTP(rec, req)
				return nil
			}()
			if (got != nil) != tt.wantCrash {
				t.Fatalf("crashed: %v, want %v", got != nil, tt.wantCrash)
			}
			if got != nil && (got.k != 1 || got.kind != fault.KindSEGV || got.point != tt.point) {
				t.Errorf("crashed with %+v, want request 1, segv at %v", *got, tt.point)
			}
			if rb.n != tt.wantRead {
				t.Errorf("the handler read %d bytes of the body, want %d", rb.n, tt.wantRead)
			}
			if rec.Body.Len() != tt.wantWritten || rec.Flushed != tt.wantFlushed {
				t.Errorf("the handler wrote %d bytes, flushed: %v; want %d, %v",
					rec.Body.Len(), rec.Flushed, tt.wantWritten, tt.wantFlushed)
			}
		})
	}
}

// TestWrapCounts checks that requests that do not crash go through whole,
// and that the fault comes on the request it was for.
func TestWrapCounts(t *testing.T) {
	spec := fault.Spec{Every: 3, Kind: fault.KindPanic, Point: fault.BeforeBody}
	in := newInjector(spec, 0, log.New(io.Discard, "", 0))
	var crashes []uint64
	in.crash = func(f injected) { panic(crashed{f}) }
	h := (&server{log: log.New(io.Discard, "", 0)}).handler(in)
	for i := 1; i <= 7; i++ {
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("GET", fmt.Sprintf("/dyn?seed=%d&size=10", i), nil)
		func() {
			defer func() {
				if c, ok := recover().(crashed); ok {
					crashes = append(crashes, c.f.k)
				}
			}()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Body.Len() != 10 {
				t.Errorf("request %d: %d, %d bytes", i, rec.Code, rec.Body.Len())
			}
		}()
	}
	if fmt.Sprint(crashes) != "[3 6]" {
		t.Errorf("crashed on requests %v, want [3 6]", crashes)
	}
}
