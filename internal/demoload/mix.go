package demoload

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A Mix weighs the kinds of requests: a request is of a kind with a
// probability of the kind's weight over the sum of the weights.
type Mix struct {
	Static, Dyn, Sum, CGI int
}

// DefaultMix is the mix of a Config that sets none: mostly reads, a fifth
// uploads and a tenth CGI orders.
var DefaultMix = Mix{Static: 40, Dyn: 30, Sum: 20, CGI: 10}

// weights returns the weights in the order of Kinds.
func (m Mix) weights() [numKinds]int { return [numKinds]int{m.Static, m.Dyn, m.Sum, m.CGI} }

func (m Mix) check() error {
	total := 0
	for k, w := range m.weights() {
		if w < 0 {
			return fmt.Errorf("bad mix: negative weight %d for %s", w, Kind(k))
		}
		total += w
	}
	if total == 0 {
		return errors.New("bad mix: all weights are zero")
	}
	return nil
}

// String returns the mix as ParseMix reads it: "static=40,dyn=30,sum=20,cgi=10".
func (m Mix) String() string {
	parts := make([]string, numKinds)
	for k, w := range m.weights() {
		parts[k] = fmt.Sprintf("%s=%d", Kind(k), w)
	}
	return strings.Join(parts, ",")
}

// ParseMix reads a mix written as comma-separated KIND=WEIGHT pairs, such
// as "static=40,dyn=30,sum=20,cgi=10"; kinds left out weigh 0.
func ParseMix(s string) (Mix, error) {
	var w [numKinds]int
	seen := [numKinds]bool{}
	for part := range strings.SplitSeq(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return Mix{}, fmt.Errorf("bad mix %q: want KIND=WEIGHT pairs such as %s", s, DefaultMix)
		}
		k, ok := kindByName(name)
		if !ok {
			return Mix{}, fmt.Errorf("bad mix %q: unknown kind %q (want static, dyn, sum or cgi)", s, name)
		}
		if seen[k] {
			return Mix{}, fmt.Errorf("bad mix %q: %s given twice", s, k)
		}
		seen[k] = true
		n, err := strconv.Atoi(val)
		if err != nil || n < 0 {
			return Mix{}, fmt.Errorf("bad mix %q: weight of %s must be a whole number, 0 or more", s, k)
		}
		w[k] = n
	}
	m := Mix{Static: w[KindStatic], Dyn: w[KindDyn], Sum: w[KindSum], CGI: w[KindCGI]}
	if err := m.check(); err != nil {
		return Mix{}, err
	}
	return m, nil
}

func kindByName(name string) (Kind, bool) {
	for _, k := range Kinds {
		if k.String() == name {
			return k, true
		}
	}
	return 0, false
}
