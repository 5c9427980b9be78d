package main

import (
	"fmt"
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
		{
			in:   "every=200,rate=0.01,kind=mix,point=mix",
			want: faultSpec{every: 200, rate: 0.01, seed: 1, kind: kindMix, point: pointMix},
		},
		{
			in:   "every=3,kind=segv,point=mid-response",
			want: faultSpec{every: 3, seed: 1, kind: kindSEGV, point: pointMidResponse},
		},
		{in: "rate=-0.5", wantErr: `fault spec "rate=-0.5": rate "-0.5" is not a number from 0 to 1`},
		{in: "kind=kill", wantErr: `fault spec "kind=kill": unknown fault kind "kill" (want segv, abort, panic or mix)`},
		{in: "every=2,", wantErr: `fault spec "every=2,": "" is not key=value`},
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
		})
	}
}

// fnvA is the 64-bit FNV-1a hash of "a", from the FNV reference.
const fnvA = 0xaf63dc4c8601ec8c

func TestPick(t *testing.T) {
	tests := []struct {
		name string
		spec faultSpec
		key  string
		want string
	}{
		{"no fault", defaultFaultSpec, "a", "none"},
		{"every key", faultSpec{every: 1, kind: kindPanic, point: pointAfterBody}, "a", "panic after-body"},
		// h%every == 0 and h/every == 1: the second kind, the first point.
		{"the hash itself", faultSpec{every: fnvA, kind: kindMix, point: pointMix}, "a", "abort before-body"},
		{"a divisor of the hash", faultSpec{every: fnvA / 4, kind: kindMix, point: pointMix}, "a", "abort after-body"},
		{"not a divisor", faultSpec{every: fnvA - 1, kind: kindMix, point: pointMix}, "a", "none"},
		// h's top 53 bits as a fraction: 0.6851...
		{"rate above", faultSpec{rate: 0.69, kind: kindSEGV, point: pointMidResponse}, "a", "segv mid-response"},
		{"rate below", faultSpec{rate: 0.68, kind: kindSEGV, point: pointMidResponse}, "a", "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := "none"
			if kind, point, ok := tt.spec.pick(tt.key); ok {
				got = fmt.Sprint(kind, " ", point)
			}
			if got != tt.want {
				t.Errorf("pick(%q) with %v = %s, want %s", tt.key, tt.spec, got, tt.want)
			}
		})
	}
}

func TestPickShare(t *testing.T) {
	const n = 30000
	for _, spec := range []faultSpec{
		{every: 10, kind: kindMix, point: pointMix},
		{rate: 0.1, kind: kindMix, point: pointMix},
	} {
		crashes := 0
		pairs := map[string]int{}
		for i := range n {
			if kind, point, ok := spec.pick(fmt.Sprintf("order-%d", i)); ok {
				crashes++
				pairs[fmt.Sprint(kind, point)]++
			}
		}
		if crashes < n/10*8/10 || crashes > n/10*12/10 {
			t.Errorf("%v crashed %d of %d orders, want about a tenth", spec, crashes, n)
		}
		if len(pairs) != 9 {
			t.Errorf("%v took %d pairs of kind and point, want 9: %v", spec, len(pairs), pairs)
		}
	}
}
