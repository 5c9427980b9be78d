// Package fault is the fault injection of the web server and CGI demos:
// which requests crash the process, at which point of the request and how,
// as a specification both programs read in the same syntax ("every=200,
// kind=mix,point=mix"), and the crash itself, which the kernel sees as a
// real fault. What picks the requests differs: the web server counts the
// requests of its incarnation (Resolve), the CGI program hashes the order's
// key (Pick).
package fault

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// A Kind is how an injected fault crashes the process.
type Kind int

const (
	// KindSEGV dies by SIGSEGV.
	KindSEGV Kind = iota
	// KindAbort dies by SIGABRT.
	KindAbort
	// KindPanic panics in a new goroutine: the Go runtime exits with 2.
	KindPanic
	// KindMix rotates through the others.
	KindMix
)

var kindNames = [...]string{KindSEGV: "segv", KindAbort: "abort", KindPanic: "panic", KindMix: "mix"}

// String returns the kind's name, as the flags and ZL_DEMO_FAULT spell it.
func (k Kind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// MarshalText implements encoding.TextMarshaler, for flag.TextVar.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler, for flag.TextVar.
func (k *Kind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if string(b) == n {
			*k = Kind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown fault kind %q (want segv, abort, panic or mix)", b)
}

// A Point is where in a request an injected fault crashes the process.
type Point int

const (
	// BeforeBody is before the handler reads any of the request body.
	BeforeBody Point = iota
	// AfterBody is once the handler has read the whole body; for a
	// request without one, the same as BeforeBody.
	AfterBody
	// MidResponse is once about half the response body is written and
	// flushed to the client.
	MidResponse
	// PointMix rotates through the others.
	PointMix
)

var pointNames = [...]string{
	BeforeBody:  "before-body",
	AfterBody:   "after-body",
	MidResponse: "mid-response",
	PointMix:    "mix",
}

// String returns the point's name, as the flags and ZL_DEMO_FAULT spell it.
func (p Point) String() string {
	if p < 0 || int(p) >= len(pointNames) {
		return "point(" + strconv.Itoa(int(p)) + ")"
	}
	return pointNames[p]
}

// MarshalText implements encoding.TextMarshaler, for flag.TextVar.
func (p Point) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler, for flag.TextVar.
func (p *Point) UnmarshalText(b []byte) error {
	for i, n := range pointNames {
		if string(b) == n {
			*p = Point(i)
			return nil
		}
	}
	return fmt.Errorf("unknown fault point %q (want before-body, after-body, mid-response or mix)", b)
}

// A Spec says which requests crash the process, and how. The zero
// value injects no fault.
type Spec struct {
	// Every crashes each Every-th request; 0 disables it.
	Every uint64
	// Rate crashes requests at random with this probability, from 0 to 1.
	Rate float64
	// Seed seeds the random numbers of Rate, where the program draws them;
	// Pick draws from the key instead.
	Seed uint64
	// Kind is how the process crashes.
	Kind Kind
	// Point is where in the request it crashes.
	Point Point
}

// DefaultSpec is the spec before the flags or ZL_DEMO_FAULT change it:
// no fault, and when there are, rotating kinds and points.
var DefaultSpec = Spec{Seed: 1, Kind: KindMix, Point: PointMix}

// Parse parses a fault specification such as
// "every=200,rate=0.01,kind=mix,point=mix,seed=7": comma-separated
// settings, each optional; the others keep their DefaultSpec values.
// An empty string means no fault.
func Parse(s string) (Spec, error) {
	spec := DefaultSpec
	if strings.TrimSpace(s) == "" {
		return spec, nil
	}
	for _, f := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			return Spec{}, fmt.Errorf("fault spec %q: %q is not key=value", s, f)
		}
		var err error
		switch k {
		case "every":
			spec.Every, err = strconv.ParseUint(v, 10, 64)
		case "rate":
			spec.Rate, err = ParseRate(v)
		case "seed":
			spec.Seed, err = strconv.ParseUint(v, 10, 64)
		case "kind":
			err = spec.Kind.UnmarshalText([]byte(v))
		case "point":
			err = spec.Point.UnmarshalText([]byte(v))
		default:
			err = fmt.Errorf("unknown setting %q (want every, rate, seed, kind or point)", k)
		}
		if err != nil {
			return Spec{}, fmt.Errorf("fault spec %q: %w", s, err)
		}
	}
	return spec, nil
}

// ParseRate parses a probability, from 0 to 1.
func ParseRate(s string) (float64, error) {
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || !(r >= 0 && r <= 1) {
		return 0, fmt.Errorf("rate %q is not a number from 0 to 1", s)
	}
	return r, nil
}

// Enabled reports whether s injects any fault.
func (s Spec) Enabled() bool { return s.Every > 0 || s.Rate > 0 }

// String returns s in the syntax Parse reads.
func (s Spec) String() string {
	return fmt.Sprintf("every=%d,rate=%g,seed=%d,kind=%v,point=%v", s.Every, s.Rate, s.Seed, s.Kind, s.Point)
}

// Resolve returns the kind and point of the i-th fault of s: its own, or for
// mix, one of the others in turn, so that nine faults in a row take every
// pair of kind and point.
func (s Spec) Resolve(i uint64) (Kind, Point) {
	kind, point := s.Kind, s.Point
	if kind == KindMix {
		kind = Kind(i % 3)
	}
	if point == PointMix {
		point = Point(i / 3 % 3)
	}
	return kind, point
}

// Pick returns the kind and point of the fault that the order with key is
// to take, if any: with h the 64-bit FNV-1a hash of the key, the order
// crashes when every > 0 and h%every == 0, or when h's top 53 bits as a
// fraction of 1 are below rate. Mix rotates by h/every, or by h for rate.
func (s Spec) Pick(key string) (Kind, Point, bool) {
	f := fnv.New64a()
	f.Write([]byte(key))
	h := f.Sum64()
	var i uint64
	switch {
	case s.Every > 0 && h%s.Every == 0:
		i = h / s.Every
	case s.Rate > 0 && float64(h>>11)/(1<<53) < s.Rate:
		i = h
	default:
		return 0, 0, false
	}
	kind, point := s.Resolve(i)
	return kind, point, true
}
