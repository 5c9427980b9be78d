package main

import (
	"fmt"
	"log"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/zl-dev/zl/internal/demo/fault"
)

// faultsOf returns the faults the first n requests of an incarnation take,
// as "k:kind:point".
func faultsOf(spec fault.Spec, incarnation uint32, n int) []string {
	in := newInjector(spec, incarnation, log.New(&strings.Builder{}, "", 0))
	var got []string
	for range n {
		if f, ok := in.next(); ok {
			got = append(got, fmt.Sprintf("%d:%v:%v", f.k, f.kind, f.point))
		}
	}
	return got
}

func TestInjectorEvery(t *testing.T) {
	spec := fault.Spec{Every: 3, Kind: fault.KindMix, Point: fault.PointMix}
	got := faultsOf(spec, 0, 30)
	want := []string{
		"3:abort:before-body", "6:panic:before-body", "9:segv:after-body",
		"12:abort:after-body", "15:panic:after-body", "18:segv:mid-response",
		"21:abort:mid-response", "24:panic:mid-response", "27:segv:before-body",
		"30:abort:before-body",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("faults (-want +got):\n%s", diff)
	}
	// The counter is the incarnation's: the next one starts over, and the
	// mix moves on by one, so that a server that crashes on its first
	// fault in each incarnation still takes every kind at every point.
	if diff := cmp.Diff([]string{"3:panic:before-body", "6:segv:after-body"}, faultsOf(spec, 1, 6)); diff != "" {
		t.Errorf("faults of incarnation 1 (-want +got):\n%s", diff)
	}
	seen := map[string]bool{}
	for inc := range uint32(9) {
		f := faultsOf(spec, inc, 3)
		seen[strings.SplitN(f[0], ":", 2)[1]] = true
	}
	if len(seen) != 9 {
		t.Errorf("the first faults of 9 incarnations took %d of the 9 kinds and points: %v", len(seen), seen)
	}
}

func TestInjectorRate(t *testing.T) {
	spec := fault.Spec{Rate: 0.1, Seed: 7, Kind: fault.KindPanic, Point: fault.MidResponse}
	a := faultsOf(spec, 0, 2000)
	if n := len(a); n < 140 || n > 260 {
		t.Errorf("rate 0.1 crashed %d of 2000 requests", n)
	}
	if diff := cmp.Diff(a, faultsOf(spec, 0, 2000)); diff != "" {
		t.Errorf("the same seed and incarnation picked other requests (-first +second):\n%s", diff)
	}
	if b := faultsOf(spec, 1, 2000); cmp.Equal(a, b) {
		t.Error("incarnations 0 and 1 picked the same requests")
	}
	spec.Seed = 8
	if c := faultsOf(spec, 0, 2000); cmp.Equal(a, c) {
		t.Error("seeds 7 and 8 picked the same requests")
	}
	for _, f := range a {
		if !strings.HasSuffix(f, ":panic:mid-response") {
			t.Errorf("fault %s, want kind panic at mid-response", f)
		}
	}
	if got := faultsOf(fault.Spec{Rate: 1, Seed: 1}, 0, 5); len(got) != 5 {
		t.Errorf("rate 1 crashed %d of 5 requests", len(got))
	}
}

func TestInjectorNone(t *testing.T) {
	if got := faultsOf(fault.DefaultSpec, 0, 1000); len(got) != 0 {
		t.Errorf("no fault spec crashed requests %v", got)
	}
}
