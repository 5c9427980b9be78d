package demoload

import (
	"crypto/sha256"
	"fmt"
	"math"
	"net/http"

	"github.com/zl-dev/zl/internal/demo"
)

// A request is one request of the load and the response it must get.
type request struct {
	kind   Kind
	client int // the client that sends it
	n      int // its number among the client's requests
	method string
	path   string // with the query
	key    string // the idempotency key of a CGI order
	body   []byte // nil for a GET
	want   []byte // the body of the response
}

// String names the request in error messages.
func (r *request) String() string {
	s := fmt.Sprintf("client %d request %d: %s %s", r.client, r.n, r.method, r.path)
	if r.method == http.MethodPost {
		s += fmt.Sprintf(" (%d bytes", len(r.body))
		if r.key != "" {
			s += ", key " + r.key
		}
		s += ")"
	}
	return s
}

// A generator makes the requests of a run.
type generator struct {
	seed      uint64
	keyPrefix string
	maxBody   int
	maxDyn    int
	cum       [numKinds]uint64 // cumulative weights of the kinds
	static    [][]byte         // the static files' content
}

func newGenerator(cfg Config) *generator {
	g := &generator{
		seed:      cfg.Seed,
		keyPrefix: cfg.KeyPrefix,
		maxBody:   cfg.MaxBody,
		maxDyn:    min(cfg.MaxBody, demo.MaxDynamicSize),
		static:    make([][]byte, demo.StaticCount),
	}
	var sum uint64
	for k, w := range cfg.Mix.weights() {
		sum += uint64(w)
		g.cum[k] = sum
	}
	for i := range g.static {
		g.static[i] = demo.StaticContent(i)
	}
	return g
}

// request returns request n of client c.
func (g *generator) request(c, n int) *request {
	rng := newRand(g.seed, c, n)
	r := &request{kind: g.pick(rng.next()), client: c, n: n}
	switch r.kind {
	case KindStatic:
		i := int(rng.next() % demo.StaticCount)
		r.method, r.path, r.want = http.MethodGet, "/static/"+demo.StaticName(i), g.static[i]
	case KindDyn:
		seed, size := rng.next(), rng.size(g.maxDyn)
		r.method, r.path = http.MethodGet, fmt.Sprintf("/dyn?seed=%d&size=%d", seed, size)
		r.want = demo.Dynamic(seed, size)
	case KindSum:
		r.method, r.path = http.MethodPost, "/sum"
		r.body = demo.Bytes(rng.next(), rng.size(g.maxBody))
		r.want = SumResponse(r.body)
	case KindCGI:
		r.method, r.path = http.MethodPost, "/cgi-bin/order"
		r.key = fmt.Sprintf("%s-c%d-n%d", g.keyPrefix, c, n)
		r.body = demo.Bytes(rng.next(), rng.size(g.maxBody))
		r.want = demo.CGIResponse(r.key, r.body)
	}
	return r
}

// pick returns the kind x falls on, x being uniform over the 64-bit values.
func (g *generator) pick(x uint64) Kind {
	v := x % g.cum[numKinds-1]
	for k, c := range g.cum {
		if v < c {
			return Kind(k)
		}
	}
	panic("unreachable: weights checked")
}

// SumResponse returns the body of the answer to POST /sum with body.
func SumResponse(body []byte) []byte {
	return fmt.Appendf(nil, "length: %d\nsha256: %x\n", len(body), sha256.Sum256(body))
}

// rand is a splitmix64 generator.
type rand struct{ x uint64 }

// newRand returns the generator of request n of client c.
func newRand(seed uint64, c, n int) *rand {
	x := mix64(seed + 0x9e3779b97f4a7c15)
	x = mix64(x ^ uint64(c))
	x = mix64(x ^ uint64(n))
	return &rand{x: x}
}

func (r *rand) next() uint64 {
	r.x += 0x9e3779b97f4a7c15
	return mix64(r.x)
}

func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// size returns a size from 0 to limit, its logarithm uniform: as many bodies
// of a few bytes as of a few hundred kilobytes.
func (r *rand) size(limit int) int {
	if limit <= 0 {
		return 0
	}
	u := float64(r.next()>>11) / (1 << 53)
	n := int(math.Exp(u*math.Log(float64(limit)+1))) - 1
	return min(max(n, 0), limit)
}
