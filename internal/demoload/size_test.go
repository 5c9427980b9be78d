package demoload

import "testing"

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{{"0", 0}, {"1000", 1000}, {"1000B", 1000}, {"64KiB", 64 << 10}, {"64k", 64 << 10}, {"1MiB", 1 << 20}, {"2M", 2 << 20}, {"1GB", 1 << 30}} {
		got, err := ParseSize(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
		if tc.want > 0 {
			if back, err := ParseSize(FormatSize(got)); err != nil || back != got {
				t.Errorf("ParseSize(FormatSize(%d) = %q) = %d, %v", got, FormatSize(got), back, err)
			}
		}
	}
	for _, bad := range []string{"", "x", "-1", "1TiB", "1.5MiB", "99999999999GiB"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("ParseSize(%q) succeeded", bad)
		}
	}
}

func TestFlags(t *testing.T) {
	var s SizeFlag
	if err := s.Set("256KiB"); err != nil || s != 256<<10 || s.String() != "256KiB" {
		t.Errorf("SizeFlag: %v, %v", s, err)
	}
	var m MixFlag
	if err := m.Set("cgi=1"); err != nil || Mix(m) != (Mix{CGI: 1}) || m.String() != "static=0,dyn=0,sum=0,cgi=1" {
		t.Errorf("MixFlag: %v, %v", m, err)
	}
	if err := m.Set("bad"); err == nil {
		t.Errorf("MixFlag took a bad mix")
	}
}
