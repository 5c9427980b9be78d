// Package demoload is the load generator of the web server demo: clients on
// keep-alive connections send requests of every kind the demo serves
// (static files, dynamic content, uploads summed, CGI orders) and check
// every byte of every response against what internal/demo says it must be.
//
// Nothing is retried: a request whose connection broke, that timed out or
// that got anything but 200 counts as failed, and one that got a 200 with
// wrong bytes as corrupted. CheckJournal then checks that the CGI demo
// recorded each order the load placed exactly once.
package demoload

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// A Kind is a kind of request.
type Kind int

// The kinds of requests.
const (
	// KindStatic is GET /static/NAME, a file of internal/demo.
	KindStatic Kind = iota
	// KindDyn is GET /dyn?seed=S&size=N, content computed on the fly.
	KindDyn
	// KindSum is POST /sum, whose answer is the length and SHA-256 of the
	// body.
	KindSum
	// KindCGI is POST /cgi-bin/order with an idempotency key, served by
	// the CGI demo, which records the order in its journal.
	KindCGI

	numKinds = iota
)

// Kinds lists the kinds of requests, in the order of their constants.
var Kinds = []Kind{KindStatic, KindDyn, KindSum, KindCGI}

// String returns the kind's name: "static", "dyn", "sum" or "cgi".
func (k Kind) String() string {
	switch k {
	case KindStatic:
		return "static"
	case KindDyn:
		return "dyn"
	case KindSum:
		return "sum"
	case KindCGI:
		return "cgi"
	default:
		return fmt.Sprintf("kind(%d)", int(k))
	}
}

// Config says what load to generate.
type Config struct {
	// BaseURL is the server's URL, such as "http://127.0.0.1:8080"; the
	// request paths are appended to it.
	BaseURL string

	// Clients is the number of concurrent clients, each on its own
	// keep-alive connection (default 1).
	Clients int

	// Requests is the total number of requests, shared out among the
	// clients.
	Requests int

	// Mix weighs the kinds of requests (default DefaultMix).
	Mix Mix

	// MaxBody is the size of the largest body posted, and of the largest
	// dynamic content asked for (default DefaultMaxBody). Sizes spread
	// evenly over orders of magnitude, from 0 to MaxBody.
	MaxBody int

	// Seed chooses the requests: request n of client c is a function of
	// Seed, c and n (and of KeyPrefix for the CGI orders' keys).
	Seed uint64

	// RequestTimeout bounds each request, from the connection to the last
	// byte of the response (default DefaultRequestTimeout).
	RequestTimeout time.Duration

	// KeyPrefix starts the idempotency key of every CGI order, so that the
	// keys of different runs never collide in a journal: printable ASCII
	// without spaces. Empty means one made from the current time.
	KeyPrefix string

	// ProgressInterval is how often Run reports progress (default 1s).
	ProgressInterval time.Duration

	// Stop, when not nil, ends the load early once closed: each client
	// finishes the request it is on and sends no more, and Run returns
	// what was done, without an error (Requests then counts those sent).
	Stop <-chan struct{}
}

// Defaults of Config.
const (
	// DefaultMaxBody is the default of Config.MaxBody: 1MiB.
	DefaultMaxBody = 1 << 20

	// DefaultRequestTimeout is the default of Config.RequestTimeout. It
	// is long: a crash interrupts the requests in flight, and the new
	// incarnation serves them again from the start, so under a crash
	// every 200 requests in an emulated VM a large CGI order can be
	// interrupted several times before it is answered, in half a minute.
	DefaultRequestTimeout = 2 * time.Minute

	// DefaultProgressInterval is the default of Config.ProgressInterval.
	DefaultProgressInterval = time.Second
)

// withDefaults returns c with its zero fields set to their defaults, or
// an error saying what is wrong with it.
func (c Config) withDefaults() (Config, error) {
	u, err := url.Parse(c.BaseURL)
	switch {
	case c.BaseURL == "":
		return c, errors.New("no base URL: give the server's, such as http://127.0.0.1:8080")
	case err != nil:
		return c, fmt.Errorf("bad base URL: %w", err)
	case u.Scheme != "http" || u.Host == "":
		return c, fmt.Errorf("bad base URL %q: want http://HOST:PORT", c.BaseURL)
	case c.Clients < 0:
		return c, fmt.Errorf("bad number of clients %d: want 1 or more", c.Clients)
	case c.Requests < 0:
		return c, fmt.Errorf("bad number of requests %d: want 0 or more", c.Requests)
	case c.MaxBody < 0:
		return c, fmt.Errorf("bad maximum body size %d: want 0 or more", c.MaxBody)
	case c.RequestTimeout < 0:
		return c, fmt.Errorf("bad request timeout %v: want a positive duration", c.RequestTimeout)
	}
	if c.Clients == 0 {
		c.Clients = 1
	}
	if c.Mix == (Mix{}) {
		c.Mix = DefaultMix
	} else if err := c.Mix.check(); err != nil {
		return c, err
	}
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = DefaultProgressInterval
	}
	if c.KeyPrefix == "" {
		c.KeyPrefix = fmt.Sprintf("run%x", time.Now().UnixNano())
	}
	if err := checkKeyPrefix(c.KeyPrefix); err != nil {
		return c, err
	}
	c.BaseURL = u.Scheme + "://" + u.Host + stripSlash(u.Path)
	return c, nil
}

func stripSlash(p string) string {
	for len(p) > 0 && p[len(p)-1] == '/' {
		p = p[:len(p)-1]
	}
	return p
}

// checkKeyPrefix refuses a prefix that could not be sent in a header or
// written in the journal as one word.
func checkKeyPrefix(p string) error {
	for i := 0; i < len(p); i++ {
		if p[i] <= ' ' || p[i] > '~' {
			return fmt.Errorf("bad key prefix %q: want printable ASCII without spaces", p)
		}
	}
	return nil
}

// Progress is a snapshot of a run in progress.
type Progress struct {
	// Done is the number of requests answered, failed or corrupted, of
	// Total.
	Done, Total int

	// OK, Failed and Corrupted count the requests done by outcome.
	OK, Failed, Corrupted int

	// Elapsed is the time since the run started.
	Elapsed time.Duration
}

// Counts count requests by outcome.
type Counts struct {
	// Requests is the number of requests sent (or attempted).
	Requests int `json:"requests"`

	// OK is the number answered with 200 and exactly the bytes expected.
	OK int `json:"ok"`

	// Failed is the number that got no complete answer: a connection that
	// could not be made or broke, a timeout, a status other than 200, a
	// body cut short, a request the HTTP transport had to send again.
	Failed int `json:"failed"`

	// Corrupted is the number answered with 200 and a body other than the
	// one expected (or a Content-Length that says so).
	Corrupted int `json:"corrupted"`
}

func (c *Counts) add(o Counts) {
	c.Requests += o.Requests
	c.OK += o.OK
	c.Failed += o.Failed
	c.Corrupted += o.Corrupted
}

// Result is the outcome of a run.
type Result struct {
	// Counts are the totals.
	Counts

	// ByKind holds the counts of each kind of request, by Kind.String.
	ByKind map[string]Counts `json:"by_kind"`

	// Errors describes the first few failed or corrupted requests; never
	// nil.
	Errors []string `json:"errors"`

	// Latency is the distribution of the latencies of the requests that
	// were answered correctly, from sending to the last byte received.
	Latency Latency `json:"latency"`

	// Elapsed is the duration of the run.
	Elapsed time.Duration `json:"elapsed_ns"`

	// KeyPrefix is the prefix of the CGI orders' keys.
	KeyPrefix string `json:"key_prefix"`

	// Orders are the CGI orders sent, for CheckJournal, in no particular
	// order; left out of JSON.
	Orders []Order `json:"-"`
}

// Lost returns the number of requests that failed or were corrupted.
func (r *Result) Lost() int { return r.Failed + r.Corrupted }

// maxErrors is the number of errors a Result describes.
const maxErrors = 10

// Run sends the load cfg describes and returns what came of it. It calls
// progress (when not nil) from one goroutine every cfg.ProgressInterval and
// once at the end. When ctx ends first, Run returns the result so far with
// an error wrapping ctx.Err(); it returns an error without a result only
// when cfg is invalid.
func Run(ctx context.Context, cfg Config, progress func(Progress)) (Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Result{}, err
	}
	gen := newGenerator(cfg)
	var live liveCounts
	workers := make([]*worker, cfg.Clients)
	for c := range workers {
		workers[c] = newWorker(c, cfg, gen, &live)
	}

	start := time.Now()
	snapshot := func() Progress {
		ok, failed, corrupted := int(live.ok.Load()), int(live.failed.Load()), int(live.corrupted.Load())
		return Progress{
			Done: ok + failed + corrupted, Total: cfg.Requests,
			OK: ok, Failed: failed, Corrupted: corrupted,
			Elapsed: time.Since(start),
		}
	}
	var wg sync.WaitGroup
	for c, w := range workers {
		wg.Go(func() { w.run(ctx, requestsOf(cfg.Requests, cfg.Clients, c)) })
	}
	finished := make(chan struct{})
	var reporter sync.WaitGroup
	if progress != nil {
		reporter.Go(func() {
			t := time.NewTicker(cfg.ProgressInterval)
			defer t.Stop()
			for {
				select {
				case <-finished:
					return
				case <-t.C:
					progress(snapshot())
				}
			}
		})
	}
	wg.Wait()
	close(finished)
	reporter.Wait()
	if progress != nil {
		progress(snapshot())
	}

	res := Result{
		ByKind:    make(map[string]Counts, numKinds),
		Errors:    live.errorSamples(),
		Elapsed:   time.Since(start),
		KeyPrefix: cfg.KeyPrefix,
	}
	var latencies []time.Duration
	for _, w := range workers {
		for k, c := range w.counts {
			res.Counts.add(c)
			kc := res.ByKind[Kind(k).String()]
			kc.add(c)
			res.ByKind[Kind(k).String()] = kc
		}
		latencies = append(latencies, w.latencies...)
		res.Orders = append(res.Orders, w.orders...)
	}
	res.Latency = Percentiles(latencies)
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("load stopped after %d of %d requests: %w", res.Requests, cfg.Requests, err)
	}
	return res, nil
}

// requestsOf returns how many of total requests client c of clients sends.
func requestsOf(total, clients, c int) int {
	n := total / clients
	if c < total%clients {
		n++
	}
	return n
}

// liveCounts are the counts the workers update as they go, for progress,
// and the first errors.
type liveCounts struct {
	ok, failed, corrupted atomic.Int64

	mu     sync.Mutex
	errors []string // the first maxErrors
}

func (l *liveCounts) addError(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.errors) < maxErrors {
		l.errors = append(l.errors, s)
	}
}

func (l *liveCounts) errorSamples() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string{}, l.errors...)
}
