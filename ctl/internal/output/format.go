// Package output renders services for people and for programs: key: value
// lines, tables (with borders on a terminal, plain aligned rows otherwise)
// and JSON with a pinned field set.
package output

import (
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// A Format is an output format, the value of zlctl's -o flag.
type Format string

// The output formats.
const (
	Table Format = "table"
	JSON  Format = "json"
)

// Formats lists the output formats, for help and completion.
var Formats = []string{string(Table), string(JSON)}

// Set implements pflag.Value.
func (f *Format) Set(s string) error {
	switch Format(s) {
	case Table, JSON:
		*f = Format(s)
		return nil
	}
	return errors.New("want " + strings.Join(Formats, " or "))
}

// String implements pflag.Value.
func (f *Format) String() string { return string(*f) }

// Type implements pflag.Value.
func (f *Format) Type() string { return "format" }

// SignalName returns the name of sig, "SIGSEGV", or "SEGV" if short, or its
// number when it has no name.
func SignalName(sig syscall.Signal, short bool) string {
	name := unix.SignalName(sig)
	if name == "" {
		return fmt.Sprint(int(sig))
	}
	if short {
		return strings.TrimPrefix(name, "SIG")
	}
	return name
}

// SignalNames returns the names of sigs; it is never nil.
func SignalNames(sigs []syscall.Signal, short bool) []string {
	names := make([]string, 0, len(sigs))
	for _, s := range sigs {
		names = append(names, SignalName(s, short))
	}
	return names
}

// ExitCodes returns codes separated by commas, such as "2,70".
func ExitCodes(codes []uint8) string {
	s := make([]string, len(codes))
	for i, c := range codes {
		s[i] = fmt.Sprint(c)
	}
	return strings.Join(s, ",")
}

// Duration returns d the way people write it and time.ParseDuration reads
// it: "1m" rather than "1m0s", "1h30m", "250ms", "0s".
func Duration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// Bytes returns n in the largest binary unit that divides it exactly, such
// as "64KiB", "1MiB", "8GiB" or "1000B".
func Bytes(n uint64) string {
	for _, u := range []struct {
		name string
		size uint64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%dB", n)
}

// Age returns how long ago something happened at registered, given the
// time since boot now, rounded for people: "45s", "12m", "3h4m", "2d3h".
func Age(registered, now time.Duration) string {
	d := now - registered
	switch {
	case d < 0:
		return "0s"
	case d < time.Minute:
		return fmt.Sprintf("%ds", d/time.Second)
	case d < time.Hour:
		return fmt.Sprintf("%dm", d/time.Minute)
	case d < 24*time.Hour:
		if m := d % time.Hour / time.Minute; m != 0 {
			return fmt.Sprintf("%dh%dm", d/time.Hour, m)
		}
		return fmt.Sprintf("%dh", d/time.Hour)
	default:
		if h := d % (24 * time.Hour) / time.Hour; h != 0 {
			return fmt.Sprintf("%dd%dh", d/(24*time.Hour), h)
		}
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
}
