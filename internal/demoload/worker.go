package demoload

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"sync/atomic"
	"time"

	"github.com/zl-dev/zl/internal/demo"
)

// A worker is one client: it sends its requests one after the other on
// its own connection.
type worker struct {
	id      int
	baseURL string
	timeout time.Duration
	stop    <-chan struct{}
	gen     *generator
	live    *liveCounts
	tr      *http.Transport
	client  *http.Client

	counts    [numKinds]Counts
	latencies []time.Duration // of the requests answered correctly
	orders    []Order
}

func newWorker(id int, cfg Config, gen *generator, live *liveCounts) *worker {
	tr := &http.Transport{
		Proxy: nil,
		DialContext: (&net.Dialer{
			Timeout:   cfg.RequestTimeout,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxConnsPerHost:     1,
		MaxIdleConns:        1,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     5 * time.Minute,
		DisableCompression:  true,
		// HTTP/1.1 only: the demo's server speaks nothing else.
		TLSNextProto: map[string]func(string, *tls.Conn) http.RoundTripper{},
	}
	return &worker{
		id:      id,
		baseURL: cfg.BaseURL,
		timeout: cfg.RequestTimeout,
		stop:    cfg.Stop,
		gen:     gen,
		live:    live,
		tr:      tr,
		client: &http.Client{
			Transport: tr,
			// A redirect is an answer other than 200: it fails.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
}

// stopped reports whether the load was told to stop (Config.Stop).
func (w *worker) stopped() bool {
	select {
	case <-w.stop:
		return true
	default:
		return false
	}
}

// run sends the worker's n requests, or those of them it can before ctx
// ends or the load is told to stop.
func (w *worker) run(ctx context.Context, n int) {
	defer w.tr.CloseIdleConnections()
	for i := 0; i < n && ctx.Err() == nil && !w.stopped(); i++ {
		r := w.gen.request(w.id, i)
		start := time.Now()
		o, err := w.do(ctx, r)
		if o == outcomeFailed && ctx.Err() != nil {
			return // stopped, not failed
		}
		lat := time.Since(start)

		c := &w.counts[r.kind]
		c.Requests++
		switch o {
		case outcomeOK:
			c.OK++
			w.live.ok.Add(1)
			w.latencies = append(w.latencies, lat)
		case outcomeFailed:
			c.Failed++
			w.live.failed.Add(1)
		case outcomeCorrupted:
			c.Corrupted++
			w.live.corrupted.Add(1)
		}
		if err != nil {
			w.live.addError(fmt.Sprintf("%s: %s: %v", r, o, err))
			// Start the next request on a new connection.
			w.tr.CloseIdleConnections()
		}
		if r.kind == KindCGI {
			w.orders = append(w.orders, Order{Key: r.key, Line: demo.JournalLine(r.key, r.body), OK: o == outcomeOK})
		}
	}
}

// An outcome is what came of a request.
type outcome int

const (
	outcomeOK outcome = iota
	outcomeFailed
	outcomeCorrupted
)

func (o outcome) String() string {
	switch o {
	case outcomeOK:
		return "ok"
	case outcomeFailed:
		return "failed"
	default:
		return "corrupted"
	}
}

// do sends r and checks the response: status, Content-Length and every
// byte of the body. The error says what went wrong when the outcome is not
// outcomeOK.
func (w *worker) do(ctx context.Context, r *request) (outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, w.timeout)
	defer cancel()

	// The transport sends a request again on a new connection when the
	// old one broke before the answer began; that would hide the loss, so
	// count the connections the request took.
	var conns atomic.Int32
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn: func(httptrace.GotConnInfo) { conns.Add(1) },
	})
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, w.baseURL+r.path, body)
	if err != nil {
		return outcomeFailed, fmt.Errorf("making the request: %w", err)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	if r.key != "" {
		req.Header.Set(demo.IdempotencyHeader, r.key)
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return outcomeFailed, timeoutError(ctx, err)
	}
	defer resp.Body.Close()
	if n := conns.Load(); n > 1 {
		return outcomeFailed, fmt.Errorf("the connection broke and the HTTP transport sent the request %d times", n)
	}
	if resp.StatusCode != http.StatusOK {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return outcomeFailed, fmt.Errorf("status %q: %q", resp.Status, snippet)
	}
	if resp.ContentLength >= 0 && resp.ContentLength != int64(len(r.want)) {
		return outcomeCorrupted, fmt.Errorf("Content-Length %d, want %d", resp.ContentLength, len(r.want))
	}
	got, err := io.ReadAll(io.LimitReader(resp.Body, int64(len(r.want))+1))
	if err != nil {
		return outcomeFailed, fmt.Errorf("body cut short after %d of %d bytes: %w", len(got), len(r.want), timeoutError(ctx, err))
	}
	if err := compare(got, r.want); err != nil {
		return outcomeCorrupted, err
	}
	return outcomeOK, nil
}

// timeoutError says so when err comes from the request's deadline.
func timeoutError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("timed out: %w", err)
	}
	return err
}

// compare returns nil when got is want, or says where they differ.
func compare(got, want []byte) error {
	if bytes.Equal(got, want) {
		return nil
	}
	n := min(len(got), len(want))
	for i := range n {
		if got[i] != want[i] {
			return fmt.Errorf("body differs at byte %d of %d: got %#02x, want %#02x", i, len(want), got[i], want[i])
		}
	}
	if len(got) > len(want) {
		return fmt.Errorf("body longer than the %d bytes expected", len(want))
	}
	return fmt.Errorf("body of %d bytes, want %d", len(got), len(want))
}
