package main

import (
	"fmt"
	"strconv"
	"strings"
)

// This file holds the fault specification, the same for the server
// (-fault-* flags or ZL_DEMO_FAULT) and for the CGI demo (ZL_DEMO_FAULT,
// which the server passes from -cgi-fault); cgi-demo/fault.go parses the
// same syntax. What decides which request crashes differs: here a counter
// of this incarnation's requests, there a hash of the order's key.

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
	// pointAfterBody is once the handler has read the whole body; for a
	// request without one, the same as pointBeforeBody.
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
	// seed seeds the random numbers of rate.
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

// enabled reports whether s injects any fault.
func (s faultSpec) enabled() bool { return s.every > 0 || s.rate > 0 }

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
