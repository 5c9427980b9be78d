package demoload

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseSize reads a size in bytes, such as "1000", "64KiB" or "1MiB" (also
// "K", "KB", "M", "MB", all binary).
func ParseSize(s string) (int, error) {
	num, mult := strings.TrimSpace(s), 1
	for _, u := range []struct {
		suffixes []string
		mult     int
	}{
		{[]string{"KiB", "KB", "K", "k"}, 1 << 10},
		{[]string{"MiB", "MB", "M"}, 1 << 20},
		{[]string{"GiB", "GB", "G"}, 1 << 30},
		{[]string{"B"}, 1},
	} {
		found := false
		for _, suf := range u.suffixes {
			if n, ok := strings.CutSuffix(num, suf); ok {
				num, mult, found = n, u.mult, true
				break
			}
		}
		if found {
			break
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(num))
	if err != nil || n < 0 || n > (1<<40)/mult {
		return 0, fmt.Errorf("bad size %q: want a number of bytes, such as 1000, 64KiB or 1MiB", s)
	}
	return n * mult, nil
}

// FormatSize returns n in the largest binary unit that divides it
// exactly, as ParseSize reads it: "64KiB", "1MiB", "1000B".
func FormatSize(n int) string {
	for _, u := range []struct {
		name string
		size int
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n != 0 && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.name)
		}
	}
	return fmt.Sprintf("%dB", n)
}

// A SizeFlag is a flag.Value holding a size, as ParseSize reads it.
type SizeFlag int

// Set implements flag.Value.
func (s *SizeFlag) Set(v string) error {
	n, err := ParseSize(v)
	if err != nil {
		return err
	}
	*s = SizeFlag(n)
	return nil
}

// String implements flag.Value.
func (s *SizeFlag) String() string { return FormatSize(int(*s)) }

// A MixFlag is a flag.Value holding a Mix, as ParseMix reads it.
type MixFlag Mix

// Set implements flag.Value.
func (m *MixFlag) Set(v string) error {
	mix, err := ParseMix(v)
	if err != nil {
		return err
	}
	*m = MixFlag(mix)
	return nil
}

// String implements flag.Value.
func (m *MixFlag) String() string { return Mix(*m).String() }
