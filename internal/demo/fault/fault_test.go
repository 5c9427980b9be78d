package fault

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Spec
		wantErr string
	}{
		{in: "", want: DefaultSpec},
		{in: "  ", want: DefaultSpec},
		{
			in:   "every=200,rate=0.01,kind=mix,point=mix",
			want: Spec{Every: 200, Rate: 0.01, Seed: 1, Kind: KindMix, Point: PointMix},
		},
		{
			in:   "every=3, kind=segv, point=mid-response, seed=42",
			want: Spec{Every: 3, Seed: 42, Kind: KindSEGV, Point: MidResponse},
		},
		{
			in:   "rate=1,kind=abort,point=before-body",
			want: Spec{Rate: 1, Seed: 1, Kind: KindAbort, Point: BeforeBody},
		},
		{
			in:   "kind=panic,point=after-body",
			want: Spec{Seed: 1, Kind: KindPanic, Point: AfterBody},
		},
		{
			in:   "every=3,kind=segv,point=mid-response",
			want: Spec{Every: 3, Seed: 1, Kind: KindSEGV, Point: MidResponse},
		},
		{in: "rate=-0.5", wantErr: `fault spec "rate=-0.5": rate "-0.5" is not a number from 0 to 1`},
		{in: "kind=kill", wantErr: `fault spec "kind=kill": unknown fault kind "kill" (want segv, abort, panic or mix)`},
		{in: "every=2,", wantErr: `fault spec "every=2,": "" is not key=value`},
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
			got, err := Parse(tt.in)
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Fatalf("Parse(%q) error %q, want %q", tt.in, gotErr, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
			if err != nil {
				return
			}
			// String says it again in the same syntax.
			again, err := Parse(got.String())
			if err != nil || again != got {
				t.Errorf("Parse(%q) = %v, %v; want %v", got.String(), again, err, got)
			}
		})
	}
}

func TestResolveMix(t *testing.T) {
	spec := Spec{Kind: KindMix, Point: PointMix}
	seen := map[string]bool{}
	for i := range uint64(9) {
		kind, point := spec.Resolve(i)
		seen[fmt.Sprint(kind, " ", point)] = true
	}
	if len(seen) != 9 {
		t.Errorf("nine faults in a row take %d pairs of kind and point, want 9: %v", len(seen), seen)
	}
	fixed := Spec{Kind: KindAbort, Point: AfterBody}
	for i := range uint64(9) {
		if kind, point := fixed.Resolve(i); kind != KindAbort || point != AfterBody {
			t.Errorf("resolve(%d) of %v = %v %v", i, fixed, kind, point)
		}
	}
}

// fnvA is the 64-bit FNV-1a hash of "a", from the FNV reference.
const fnvA = 0xaf63dc4c8601ec8c

func TestPick(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		key  string
		want string
	}{
		{"no fault", DefaultSpec, "a", "none"},
		{"every key", Spec{Every: 1, Kind: KindPanic, Point: AfterBody}, "a", "panic after-body"},
		// h%every == 0 and h/every == 1: the second kind, the first point.
		{"the hash itself", Spec{Every: fnvA, Kind: KindMix, Point: PointMix}, "a", "abort before-body"},
		{"a divisor of the hash", Spec{Every: fnvA / 4, Kind: KindMix, Point: PointMix}, "a", "abort after-body"},
		{"not a divisor", Spec{Every: fnvA - 1, Kind: KindMix, Point: PointMix}, "a", "none"},
		// h's top 53 bits as a fraction: 0.6851...
		{"rate above", Spec{Rate: 0.69, Kind: KindSEGV, Point: MidResponse}, "a", "segv mid-response"},
		{"rate below", Spec{Rate: 0.68, Kind: KindSEGV, Point: MidResponse}, "a", "none"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := "none"
			if kind, point, ok := tt.spec.Pick(tt.key); ok {
				got = fmt.Sprint(kind, " ", point)
			}
			if got != tt.want {
				t.Errorf("Pick(%q) with %v = %s, want %s", tt.key, tt.spec, got, tt.want)
			}
		})
	}
}

func TestPickShare(t *testing.T) {
	const n = 30000
	for _, spec := range []Spec{
		{Every: 10, Kind: KindMix, Point: PointMix},
		{Rate: 0.1, Kind: KindMix, Point: PointMix},
	} {
		crashes := 0
		pairs := map[string]int{}
		for i := range n {
			if kind, point, ok := spec.Pick(fmt.Sprintf("order-%d", i)); ok {
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
