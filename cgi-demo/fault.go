package main

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// This file holds the fault specification of ZL_DEMO_FAULT, in the syntax
// of the web server demo's: the code is webserver-demo/fault.go's but for
// this comment, enabled and pick, since the two commands share no package
// of their own. What decides which request crashes differs: there a counter
// of the server's requests, here a hash of the order's key.

// A faultKind is how an injected fault crashes the process.
type faultKind int

const (
	// kindSEGV dies by SIGSEGV.
	kindSEGV faultKind = iota
	// kindAbort dies by SIGABRT.
	kindAbort
	// kindPanic panics in a new goroutine: the Go runtime exits with 2.
	kindPanic
	// kindMix rotates through the others.
	kindMix
)

var kindNames = [...]string{kindSEGV: "segv", kindAbort: "abort", kindPanic: "panic", kindMix: "mix"}

// String returns the kind's name, as the flags and ZL_DEMO_FAULT spell it.
func (k faultKind) String() string {
	if k < 0 || int(k) >= len(kindNames) {
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
	return kindNames[k]
}

// MarshalText implements encoding.TextMarshaler, for flag.TextVar.
func (k faultKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler, for flag.TextVar.
func (k *faultKind) UnmarshalText(b []byte) error {
	for i, n := range kindNames {
		if string(b) == n {
			*k = faultKind(i)
			return nil
		}
	}
	return fmt.Errorf("unknown fault kind %q (want segv, abort, panic or mix)", b)
}

// A faultPoint is where in a request an injected fault crashes the process.
type faultPoint int

const (
	// pointBeforeBody is before the handler reads any of the request body.
	pointBeforeBody faultPoint = iota
	// pointAfterBody is once the handler has read the whole body and
	// journaled the order.
	pointAfterBody
	// pointMidResponse is once about half the response body is written and
	// flushed to the client.
	pointMidResponse
	// pointMix rotates through the others.
	pointMix
)

var pointNames = [...]string{
	pointBeforeBody:  "before-body",
	pointAfterBody:   "after-body",
	pointMidResponse: "mid-response",
	pointMix:         "mix",
}

// String returns the point's name, as the flags and ZL_DEMO_FAULT spell it.
func (p faultPoint) String() string {
	if p < 0 || int(p) >= len(pointNames) {
		return "point(" + strconv.Itoa(int(p)) + ")"
	}
	return pointNames[p]
}

// MarshalText implements encoding.TextMarshaler, for flag.TextVar.
func (p faultPoint) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler, for flag.TextVar.
func (p *faultPoint) UnmarshalText(b []byte) error {
	for i, n := range pointNames {
		if string(b) == n {
			*p = faultPoint(i)
			return nil
		}
	}
	return fmt.Errorf("unknown fault point %q (want before-body, after-body, mid-response or mix)", b)
}

// A faultSpec says which requests crash the process, and how. The zero
// value injects no fault.
type faultSpec struct {
	// every crashes each every-th request; 0 disables it.
	every uint64
	// rate crashes requests at random with this probability, from 0 to 1.
	rate float64
	// seed seeds the server's random numbers of rate; the CGI program
	// draws from the key instead.
	seed  uint64
	kind  faultKind
	point faultPoint
}

// defaultFaultSpec is the spec before the flags or ZL_DEMO_FAULT change it:
// no fault, and when there are, rotating kinds and points.
var defaultFaultSpec = faultSpec{seed: 1, kind: kindMix, point: pointMix}

// parseFaultSpec parses a fault specification such as
// "every=200,rate=0.01,kind=mix,point=mix,seed=7": comma-separated
// settings, each optional; the others keep their defaultFaultSpec values.
// An empty string means no fault.
func parseFaultSpec(s string) (faultSpec, error) {
	spec := defaultFaultSpec
	if strings.TrimSpace(s) == "" {
		return spec, nil
	}
	for _, f := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			return faultSpec{}, fmt.Errorf("fault spec %q: %q is not key=value", s, f)
		}
		var err error
		switch k {
		case "every":
			spec.every, err = strconv.ParseUint(v, 10, 64)
		case "rate":
			spec.rate, err = parseRate(v)
		case "seed":
			spec.seed, err = strconv.ParseUint(v, 10, 64)
		case "kind":
			err = spec.kind.UnmarshalText([]byte(v))
		case "point":
			err = spec.point.UnmarshalText([]byte(v))
		default:
			err = fmt.Errorf("unknown setting %q (want every, rate, seed, kind or point)", k)
		}
		if err != nil {
			return faultSpec{}, fmt.Errorf("fault spec %q: %w", s, err)
		}
	}
	return spec, nil
}

// parseRate parses a probability, from 0 to 1.
func parseRate(s string) (float64, error) {
	r, err := strconv.ParseFloat(s, 64)
	if err != nil || !(r >= 0 && r <= 1) {
		return 0, fmt.Errorf("rate %q is not a number from 0 to 1", s)
	}
	return r, nil
}

// String returns s in the syntax parseFaultSpec reads.
func (s faultSpec) String() string {
	return fmt.Sprintf("every=%d,rate=%g,seed=%d,kind=%v,point=%v", s.every, s.rate, s.seed, s.kind, s.point)
}

// resolve returns the kind and point of the i-th fault of s: its own, or for
// mix, one of the others in turn, so that nine faults in a row take every
// pair of kind and point.
func (s faultSpec) resolve(i uint64) (faultKind, faultPoint) {
	kind, point := s.kind, s.point
	if kind == kindMix {
		kind = faultKind(i % 3)
	}
	if point == pointMix {
		point = faultPoint(i / 3 % 3)
	}
	return kind, point
}

// pick returns the kind and point of the fault that the order with key is
// to take, if any: with h the 64-bit FNV-1a hash of the key, the order
// crashes when every > 0 and h%every == 0, or when h's top 53 bits as a
// fraction of 1 are below rate. Mix rotates by h/every, or by h for rate.
func (s faultSpec) pick(key string) (faultKind, faultPoint, bool) {
	f := fnv.New64a()
	f.Write([]byte(key))
	h := f.Sum64()
	var i uint64
	switch {
	case s.every > 0 && h%s.every == 0:
		i = h / s.every
	case s.rate > 0 && float64(h>>11)/(1<<53) < s.rate:
		i = h
	default:
		return 0, 0, false
	}
	kind, point := s.resolve(i)
	return kind, point, true
}
