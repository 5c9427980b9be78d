package demoload

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/zl-dev/zl/internal/demoload/demotest"
)

// testConfig returns a small load against url.
func testConfig(url string) Config {
	return Config{
		BaseURL:        url,
		Clients:        4,
		Requests:       200,
		MaxBody:        300 << 10,
		Seed:           42,
		RequestTimeout: 10 * time.Second,
		KeyPrefix:      "test",
	}
}

func TestRunAllOK(t *testing.T) {
	s, srv := demotest.Start(t, nil)
	cfg := testConfig(srv.URL)
	cfg.ProgressInterval = time.Millisecond
	var mu sync.Mutex
	var progress []Progress
	res, err := Run(context.Background(), cfg, func(p Progress) {
		mu.Lock()
		defer mu.Unlock()
		progress = append(progress, p)
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Requests != cfg.Requests || res.OK != cfg.Requests || res.Lost() != 0 {
		t.Fatalf("got %+v, want all %d requests OK; errors: %q", res.Counts, cfg.Requests, res.Errors)
	}
	for _, k := range Kinds {
		if res.ByKind[k.String()].OK == 0 {
			t.Errorf("no %s request in %v", k, res.ByKind)
		}
	}
	if res.Latency.Count != cfg.Requests || res.Latency.P50 <= 0 || res.Latency.Max < res.Latency.P99 {
		t.Errorf("latency %+v", res.Latency)
	}
	if len(res.Orders) != res.ByKind["cgi"].Requests {
		t.Errorf("%d orders for %d CGI requests", len(res.Orders), res.ByKind["cgi"].Requests)
	}
	last := progress[len(progress)-1]
	if want := (Progress{Done: cfg.Requests, Total: cfg.Requests, OK: cfg.Requests, Elapsed: last.Elapsed}); last != want {
		t.Errorf("last progress %+v, want %+v", last, want)
	}

	rep, err := CheckJournal(s.Journal, res.Orders)
	if err != nil {
		t.Fatalf("CheckJournal: %v", err)
	}
	if !rep.OK() || rep.Recorded != len(res.Orders) || rep.Lines != len(res.Orders) {
		t.Errorf("journal report %+v, want all %d orders recorded once", rep, len(res.Orders))
	}
}

func TestRunDetectsCorruption(t *testing.T) {
	// The server flips one byte of every dynamic content of 1000 bytes or
	// more, deep inside it.
	_, srv := demotest.Start(t, func(s *demotest.Server) {
		s.Mangle = func(r *http.Request, body []byte) []byte {
			if r.URL.Path == "/dyn" && len(body) >= 1000 {
				body[999] ^= 0x01
			}
			return body
		}
	})
	res, err := Run(context.Background(), testConfig(srv.URL), nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	dyn := res.ByKind["dyn"]
	if dyn.Corrupted == 0 || res.Corrupted != dyn.Corrupted || res.Failed != 0 {
		t.Fatalf("got %+v, dyn %+v: want only dynamic content corrupted", res.Counts, dyn)
	}
	if dyn.OK+dyn.Corrupted != dyn.Requests || res.OK != res.Requests-res.Corrupted {
		t.Errorf("got %+v, dyn %+v", res.Counts, dyn)
	}
	if !strings.Contains(res.Errors[0], "body differs at byte 999") {
		t.Errorf("first error %q, want one saying where the body differs", res.Errors[0])
	}
}

func TestRunDetectsWrongLength(t *testing.T) {
	// A response one byte short, Content-Length included, is corrupted.
	_, srv := demotest.Start(t, func(s *demotest.Server) {
		s.Mangle = func(r *http.Request, body []byte) []byte {
			if r.URL.Path == "/sum" {
				return body[:len(body)-1]
			}
			return body
		}
	})
	res, err := Run(context.Background(), testConfig(srv.URL), nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if sum := res.ByKind["sum"]; sum.Corrupted != sum.Requests || sum.Requests == 0 || res.Corrupted != sum.Requests {
		t.Errorf("got %+v, sum %+v: want every sum corrupted", res.Counts, sum)
	}
}

func TestRunDetectsFailures(t *testing.T) {
	tests := []struct {
		name string
		kind Kind
		// before takes over the requests of the kind.
		before func(t *testing.T, w http.ResponseWriter, r *http.Request)
		want   string // in the errors
	}{{
		name:   "closed",
		kind:   KindSum,
		before: func(t *testing.T, w http.ResponseWriter, r *http.Request) { demotest.HijackClose(t, w) },
		want:   "EOF",
	}, {
		name: "status",
		kind: KindCGI,
		before: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			http.Error(w, "cgi crashed", http.StatusBadGateway)
		},
		want: `status "502 Bad Gateway"`,
	}, {
		name: "short",
		kind: KindStatic,
		before: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			body, _ := (&demotest.Server{}).Respond(r, nil)
			w.Header().Set("Content-Length", strconv.Itoa(len(body)))
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body[:len(body)/2])
			// The handler returns: the server closes the connection.
		},
		want: "body cut short after",
	}, {
		name: "timeout",
		kind: KindDyn,
		before: func(t *testing.T, w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		},
		want: "timed out",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv := demotest.Start(t, nil)
			s.Before = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				if kindOf(r) != tt.kind {
					return false
				}
				tt.before(t, w, r)
				return true
			}
			cfg := testConfig(srv.URL)
			cfg.Requests = 40
			cfg.RequestTimeout = 300 * time.Millisecond
			res, err := Run(context.Background(), cfg, nil)
			if err != nil {
				t.Fatalf("Run: %v", err)
			}
			k := res.ByKind[tt.kind.String()]
			if k.Requests == 0 || k.Failed != k.Requests || res.Failed != k.Requests || res.Corrupted != 0 {
				t.Fatalf("got %+v, %s %+v: want every %s request failed and no other", res.Counts, tt.kind, k, tt.kind)
			}
			if !strings.Contains(res.Errors[0], tt.want) {
				t.Errorf("first error %q, want one with %q", res.Errors[0], tt.want)
			}
		})
	}
}

// kindOf returns the kind of a request of the load.
func kindOf(r *http.Request) Kind {
	switch {
	case strings.HasPrefix(r.URL.Path, "/static/"):
		return KindStatic
	case r.URL.Path == "/dyn":
		return KindDyn
	case r.URL.Path == "/sum":
		return KindSum
	default:
		return KindCGI
	}
}

func TestRunDetectsTransportRetry(t *testing.T) {
	// The server drops every request the first time it sees it and answers
	// it the second time. Go's transport sends a GET again by itself when
	// a reused connection breaks before the answer: the client must count
	// that as a failure, not as a success.
	var mu sync.Mutex
	seen := map[string]bool{}
	_, srv := demotest.Start(t, func(s *demotest.Server) {
		s.Before = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			if r.URL.Path != "/dyn" {
				return false
			}
			mu.Lock()
			again := seen[r.URL.RawQuery]
			seen[r.URL.RawQuery] = true
			mu.Unlock()
			if again {
				return false
			}
			demotest.HijackClose(t, w)
			return true
		}
	})
	cfg := testConfig(srv.URL)
	cfg.Mix = Mix{Static: 1, Dyn: 1}
	cfg.Clients = 1
	cfg.Requests = 50
	res, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	dyn := res.ByKind["dyn"]
	if dyn.Requests == 0 || dyn.Failed != dyn.Requests || res.Failed != dyn.Requests {
		t.Fatalf("got %+v, dyn %+v: want every dyn request failed", res.Counts, dyn)
	}
	retried := false
	for _, e := range res.Errors {
		retried = retried || strings.Contains(e, "sent the request 2 times")
	}
	if !retried {
		t.Errorf("errors %q: none says the transport retried", res.Errors)
	}
}

func TestRunStops(t *testing.T) {
	// The server answers nothing until the test ends.
	stop := make(chan struct{})
	_, srv := demotest.Start(t, func(s *demotest.Server) {
		s.Before = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
			<-stop
			return true
		}
	})
	defer close(stop)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err := Run(ctx, testConfig(srv.URL), nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run: %v, want the context's error", err)
	}
	if res.Requests != 0 || res.Failed != 0 {
		t.Errorf("got %+v: the requests cut off by the end of the run count for nothing", res.Counts)
	}
}

func TestRunStopsEarly(t *testing.T) {
	// Stop is closed once 50 requests are done: the clients finish those
	// in flight, all answered, and send no more.
	_, srv := demotest.Start(t, nil)
	cfg := testConfig(srv.URL)
	cfg.ProgressInterval = time.Millisecond
	stop := make(chan struct{})
	cfg.Stop = stop
	res, err := Run(context.Background(), cfg, func(p Progress) {
		if p.Done >= 50 && p.Done < p.Total {
			select {
			case <-stop:
			default:
				close(stop)
			}
		}
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if res.Requests < 50 || res.Requests >= cfg.Requests || res.OK != res.Requests {
		t.Errorf("got %+v: want at least 50 and fewer than %d requests, all OK", res.Counts, cfg.Requests)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"no url", Config{}, "no base URL"},
		{"https", Config{BaseURL: "https://x:1"}, "want http://HOST:PORT"},
		{"clients", Config{BaseURL: "http://x:1", Clients: -1}, "clients"},
		{"requests", Config{BaseURL: "http://x:1", Requests: -1}, "requests"},
		{"body", Config{BaseURL: "http://x:1", MaxBody: -1}, "body"},
		{"mix", Config{BaseURL: "http://x:1", Mix: Mix{Static: -1, Dyn: 2}}, "negative weight"},
		{"key", Config{BaseURL: "http://x:1", KeyPrefix: "a b"}, "key prefix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Run(context.Background(), tt.cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Run: %v, want an error with %q", err, tt.want)
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := Config{BaseURL: "http://127.0.0.1:80/x/"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL != "http://127.0.0.1:80/x" || cfg.Clients != 1 || cfg.Mix != DefaultMix ||
		cfg.MaxBody != DefaultMaxBody || cfg.RequestTimeout != DefaultRequestTimeout ||
		!strings.HasPrefix(cfg.KeyPrefix, "run") {
		t.Errorf("defaults: %+v", cfg)
	}
}

func TestRequestsOf(t *testing.T) {
	for _, tc := range []struct{ total, clients int }{{0, 3}, {10, 3}, {20000, 64}, {5, 8}} {
		sum := 0
		for c := range tc.clients {
			n := requestsOf(tc.total, tc.clients, c)
			if n < tc.total/tc.clients || n > tc.total/tc.clients+1 {
				t.Errorf("requestsOf(%d, %d, %d) = %d", tc.total, tc.clients, c, n)
			}
			sum += n
		}
		if sum != tc.total {
			t.Errorf("%d requests over %d clients: %d sent", tc.total, tc.clients, sum)
		}
	}
}

func TestGeneratorDeterministic(t *testing.T) {
	cfg, err := testConfig("http://x:1").withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	a, b := newGenerator(cfg), newGenerator(cfg)
	cfg.Seed++
	other := newGenerator(cfg)
	differ := 0
	for c := range 3 {
		for n := range 50 {
			ra, rb, ro := a.request(c, n), b.request(c, n), other.request(c, n)
			if diff := cmp.Diff(ra, rb, cmp.AllowUnexported(request{}), cmpopts.IgnoreFields(request{}, "body", "want")); diff != "" {
				t.Fatalf("request %d of client %d differs between two generators (-a +b):\n%s", n, c, diff)
			}
			if !bytes.Equal(ra.body, rb.body) || !bytes.Equal(ra.want, rb.want) {
				t.Fatalf("request %d of client %d: bodies differ between two generators", n, c)
			}
			if ra.path != ro.path || string(ra.body) != string(ro.body) {
				differ++
			}
		}
	}
	if differ < 100 {
		t.Errorf("only %d of 150 requests change with the seed", differ)
	}
}

func TestGeneratorDistribution(t *testing.T) {
	cfg, err := Config{BaseURL: "http://x:1", KeyPrefix: "p"}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	g := newGenerator(cfg)
	const n = 4000
	var kinds [numKinds]int
	big, empty := 0, 0
	keys := map[string]bool{}
	for i := range n {
		r := g.request(i%7, i/7)
		kinds[r.kind]++
		if r.kind == KindSum || r.kind == KindCGI {
			if len(r.body) > 256<<10 {
				big++
			}
			if len(r.body) == 0 {
				empty++
			}
			if len(r.body) > cfg.MaxBody {
				t.Fatalf("body of %d bytes, more than %d", len(r.body), cfg.MaxBody)
			}
		}
		if r.kind == KindCGI {
			if keys[r.key] || !strings.HasPrefix(r.key, "p-") {
				t.Fatalf("key %q repeated or without the prefix", r.key)
			}
			keys[r.key] = true
		}
	}
	for k, w := range DefaultMix.weights() {
		want := n * w / 100
		if kinds[k] < want*8/10 || kinds[k] > want*12/10 {
			t.Errorf("%d %s requests of %d, want about %d", kinds[k], Kind(k), n, want)
		}
	}
	if big == 0 || empty == 0 {
		t.Errorf("%d bodies over 256KiB, %d empty: want some of each", big, empty)
	}
}

func TestRequestString(t *testing.T) {
	cfg, _ := Config{BaseURL: "http://x:1", KeyPrefix: "p", Mix: Mix{CGI: 1}, MaxBody: 10}.withDefaults()
	r := newGenerator(cfg).request(2, 3)
	want := "client 2 request 3: POST /cgi-bin/order (" + strconv.Itoa(len(r.body)) + " bytes, key p-c2-n3)"
	if r.String() != want {
		t.Errorf("got %q, want %q", r.String(), want)
	}
}

func TestParseMix(t *testing.T) {
	m, err := ParseMix("static=1, cgi=3")
	if err != nil || m != (Mix{Static: 1, CGI: 3}) {
		t.Errorf("ParseMix: %+v, %v", m, err)
	}
	if m, err := ParseMix(DefaultMix.String()); err != nil || m != DefaultMix {
		t.Errorf("ParseMix(%q): %+v, %v", DefaultMix, m, err)
	}
	for _, bad := range []string{"", "static", "foo=1", "static=-1", "static=x", "static=0", "sum=1,sum=2"} {
		if _, err := ParseMix(bad); err == nil {
			t.Errorf("ParseMix(%q) succeeded", bad)
		}
	}
}
