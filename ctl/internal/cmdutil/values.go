package cmdutil

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/zl-dev/zl/ctl/internal/output"
)

// Flag values that parse the way a person writes them and, when they cannot,
// say what they accept; pflag prefixes the flag's name.

// signalsValue is a comma-separated list of signals, by name (SEGV or
// SIGSEGV) or number; "" means none.
type signalsValue struct{ sigs []syscall.Signal }

func (v *signalsValue) Set(s string) error {
	sigs, err := ParseSignals(s)
	if err != nil {
		return err
	}
	v.sigs = sigs
	return nil
}

func (v *signalsValue) String() string {
	if v.sigs == nil {
		return ""
	}
	return strings.Join(output.SignalNames(v.sigs, false), ",")
}

func (v *signalsValue) Type() string { return "signals" }

// ParseSignals parses a comma-separated list of signal names (SEGV, SIGSEGV,
// any case) or numbers. An empty string is an empty, non-nil list.
func ParseSignals(s string) ([]syscall.Signal, error) {
	sigs := []syscall.Signal{}
	if strings.TrimSpace(s) == "" {
		return sigs, nil
	}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if n, err := strconv.Atoi(f); err == nil {
			if n < 1 || n > 63 {
				return nil, fmt.Errorf("signal number %d out of range: want signal names such as SEGV or SIGSEGV, or numbers from 1 to 63", n)
			}
			sigs = append(sigs, syscall.Signal(n))
			continue
		}
		name := strings.ToUpper(f)
		if !strings.HasPrefix(name, "SIG") {
			name = "SIG" + name
		}
		sig := unix.SignalNum(name)
		if sig == 0 {
			return nil, fmt.Errorf("unknown signal %q: want signal names such as SEGV or SIGSEGV, or numbers, separated by commas", f)
		}
		sigs = append(sigs, sig)
	}
	return sigs, nil
}

// exitCodesValue is a comma-separated list of exit statuses 1-255; ""
// means none.
type exitCodesValue struct{ codes []uint8 }

func (v *exitCodesValue) Set(s string) error {
	codes := []uint8{}
	if strings.TrimSpace(s) != "" {
		for _, f := range strings.Split(s, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 1 || n > 255 {
				return fmt.Errorf("want exit statuses from 1 to 255 separated by commas, or \"\" for none")
			}
			codes = append(codes, uint8(n))
		}
	}
	v.codes = codes
	return nil
}

func (v *exitCodesValue) String() string {
	if v.codes == nil {
		return ""
	}
	return output.ExitCodes(v.codes)
}

func (v *exitCodesValue) Type() string { return "codes" }

// durationValue is a Go duration in whole milliseconds that fit the
// kernel's 32 bits.
type durationValue struct {
	d   time.Duration
	set bool
}

func (v *durationValue) Set(s string) error {
	const want = "want a duration in whole milliseconds such as 500ms, 30s or 1m"
	d, err := time.ParseDuration(s)
	switch {
	case err != nil:
		return errors.New(want)
	case d < 0:
		return fmt.Errorf("must not be negative: %s", want)
	case d%time.Millisecond != 0:
		return fmt.Errorf("not a whole number of milliseconds: %s", want)
	case d/time.Millisecond > math.MaxUint32:
		return fmt.Errorf("too long: the kernel takes at most %d ms", uint32(math.MaxUint32))
	}
	v.d, v.set = d, true
	return nil
}

func (v *durationValue) String() string {
	if !v.set {
		return ""
	}
	return output.Duration(v.d)
}

func (v *durationValue) Type() string { return "duration" }

// uint32Value is a whole number that fits 32 bits.
type uint32Value struct {
	n   uint32
	set bool
}

func (v *uint32Value) Set(s string) error {
	n, err := strconv.ParseUint(strings.TrimSpace(s), 10, 32)
	if err != nil {
		return fmt.Errorf("want a whole number from 0 to %d", uint32(math.MaxUint32))
	}
	v.n, v.set = uint32(n), true
	return nil
}

func (v *uint32Value) String() string {
	if !v.set {
		return ""
	}
	return strconv.FormatUint(uint64(v.n), 10)
}

func (v *uint32Value) Type() string { return "number" }

// bytesValue is a size in bytes, with an optional binary suffix.
type bytesValue struct {
	n   uint32
	set bool
}

var byteUnits = []struct {
	suffix string
	mult   uint64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30},
	{"b", 1},
}

func (v *bytesValue) Set(s string) error {
	const want = "want a size in bytes such as 65536, 64KiB or 1MiB"
	str := strings.ToLower(strings.TrimSpace(s))
	mult := uint64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(str, u.suffix) {
			str, mult = strings.TrimSpace(strings.TrimSuffix(str, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseUint(str, 10, 64)
	if err != nil {
		return errors.New(want)
	}
	if n > math.MaxUint32/mult {
		return fmt.Errorf("too large: %s up to 4GiB-1", want)
	}
	v.n, v.set = uint32(n*mult), true
	return nil
}

func (v *bytesValue) String() string {
	if !v.set {
		return ""
	}
	return output.Bytes(uint64(v.n))
}

func (v *bytesValue) Type() string { return "bytes" }

// boolValue is true or false.
type boolValue struct{ b bool }

func (v *boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return errors.New("want true or false")
	}
	v.b = b
	return nil
}

func (v *boolValue) String() string   { return strconv.FormatBool(v.b) }
func (v *boolValue) Type() string     { return "bool" }
func (v *boolValue) IsBoolFlag() bool { return true }
