package main

import (
	"fmt"
	"log"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseFaultSpec(t *testing.T) {
	tests := []struct {
		in      string
		want    faultSpec
		wantErr string
	}{
		{in: "", want: defaultFaultSpec},
		{in: "  ", want: defaultFaultSpec},
		{
			in:   "every=200,rate=0.01,kind=mix,point=mix",
			want: faultSpec{every: 200, rate: 0.01, seed: 1, kind: kindMix, point: pointMix},
		},
		{
			in:   "every=3, kind=segv, point=mid-response, seed=42",
			want: faultSpec{every: 3, seed: 42, kind: kindSEGV, point: pointMidResponse},
		},
		{
			in:   "rate=1,kind=abort,point=before-body",
			want: faultSpec{rate: 1, seed: 1, kind: kindAbort, point: pointBeforeBody},
		},
		{
			in:   "kind=panic,point=after-body",
			want: faultSpec{seed: 1, kind: kindPanic, point: pointAfterBody},
		},
		{in: "every=-1", wantErr: `fault spec "every=-1": strconv.ParseUint: parsing "-1": invalid syntax`},
		{in: "rate=1.5", wantErr: `fault spec "rate=1.5": rate "1.5" is not a number from 0 to 1`},
		{in: "rate=NaN", wantErr: `fault spec "rate=NaN": rate "NaN" is not a number from 0 to 1`},
		{in: "kind=bus", wantErr: `fault spec "kind=bus": unknown fault kind "bus" (want segv, abort, panic or mix)`},
		{in: "point=end", wantErr: `fault spec "point=end": unknown fault point "end" (want before-body, after-body, mid-response or mix)`},
		{in: "every", wantErr: `fault spec "every": "every" is not key=value`},
		{in: "often=2", wantErr: `fault spec "often=2": unknown setting "often" (want every, rate, seed, kind or point)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseFaultSpec(tt.in)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Fatalf("parseFaultSpec(%q) error %q, want %q", tt.in, gotErr, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(faultSpec{})); diff != "" {
				t.Errorf("parseFaultSpec(%q) (-want +got):\n%s", tt.in, diff)
			}
			if err != nil {
				return
			}
			// String says it again in the same syntax.
			again, err := parseFaultSpec(got.String())
			if err != nil || again != got {
				t.Errorf("parseFaultSpec(%q) = %v, %v; want %v", got.String(), again, err, got)
			}
		})
	}
}

func TestResolveMix(t *testing.T) {
	spec := faultSpec{kind: kindMix, point: pointMix}
	seen := map[string]bool{}
	for i := range uint64(9) {
		kind, point := spec.resolve(i)
		seen[fmt.Sprint(kind, " ", point)] = true
	}
	if len(seen) != 9 {
		t.Errorf("nine faults in a row take %d pairs of kind and point, want 9: %v", len(seen), seen)
	}
	fixed := faultSpec{kind: kindAbort, point: pointAfterBody}
	for i := range uint64(9) {
		if kind, point := fixed.resolve(i); kind != kindAbort || point != pointAfterBody {
			t.Errorf("resolve(%d) of %v = %v %v", i, fixed, kind, point)
		}
	}
}

// faultsOf returns the faults the first n requests of an incarnation take,
// as "k:kind:point".
func faultsOf(spec faultSpec, incarnation uint32, n int) []string {
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
	spec := faultSpec{every: 3, kind: kindMix, point: pointMix}
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
	// The counter is the incarnation's: the next one starts over.
	if diff := cmp.Diff(want[:2], faultsOf(spec, 1, 6)); diff != "" {
		t.Errorf("faults of incarnation 1 (-want +got):\n%s", diff)
	}
}

func TestInjectorRate(t *testing.T) {
	spec := faultSpec{rate: 0.1, seed: 7, kind: kindPanic, point: pointMidResponse}
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
	spec.seed = 8
	if c := faultsOf(spec, 0, 2000); cmp.Equal(a, c) {
		t.Error("seeds 7 and 8 picked the same requests")
	}
	for _, f := range a {
		if !strings.HasSuffix(f, ":panic:mid-response") {
			t.Errorf("fault %s, want kind panic at mid-response", f)
		}
	}
	if got := faultsOf(faultSpec{rate: 1, seed: 1}, 0, 5); len(got) != 5 {
		t.Errorf("rate 1 crashed %d of 5 requests", len(got))
	}
}

func TestInjectorNone(t *testing.T) {
	if got := faultsOf(defaultFaultSpec, 0, 1000); len(got) != 0 {
		t.Errorf("no fault spec crashed requests %v", got)
	}
}
