package demoload

import (
	"strings"
	"testing"
	"time"
)

func TestProgressLineTerminal(t *testing.T) {
	var b strings.Builder
	l := &ProgressLine{W: &b, Terminal: true, Label: "zlr"}
	l.Update(Progress{Done: 1000, Total: 2000, Failed: 1, Elapsed: time.Second})
	l.Update(Progress{Done: 1500, Total: 2000, Failed: 1, Elapsed: 2 * time.Second})
	l.Done()
	want := "\rzlr: 1000/2000 requests, 1000 req/s, 1 failed, 0 corrupted, 1s" +
		"\rzlr: 1500/2000 requests, 500 req/s, 1 failed, 0 corrupted, 2s \n"
	if b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestProgressLinePlain(t *testing.T) {
	var b strings.Builder
	l := &ProgressLine{W: &b, Every: 5 * time.Second}
	for s := 1; s <= 11; s++ {
		done := s * 100
		if s == 11 {
			done = 1000
		}
		l.Update(Progress{Done: min(done, 1000), Total: 1000, Elapsed: time.Duration(s) * time.Second})
	}
	l.Done()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "500/1000") || !strings.HasPrefix(lines[2], "1000/1000") {
		t.Errorf("got %q, want lines at 5s, 10s and the end", lines)
	}
}

func TestWriteTable(t *testing.T) {
	header := []string{"A", "LONG HEADER"}
	rows := [][]string{{"x", "1"}, {"yyyy", "22"}}
	var plain, term strings.Builder
	if err := WriteTable(&plain, header, rows, false); err != nil {
		t.Fatal(err)
	}
	want := "A     LONG HEADER\nx     1\nyyyy  22\n"
	if plain.String() != want {
		t.Errorf("plain table:\n%s\nwant:\n%s", plain.String(), want)
	}
	if err := WriteTable(&term, header, rows, true); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(term.String(), "LONG HEADER") || !strings.Contains(term.String(), "yyyy") || !strings.ContainsAny(term.String(), "│|") {
		t.Errorf("terminal table:\n%s", term.String())
	}
}

func TestFormatDuration(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "-"},
		{183456 * time.Nanosecond, "183µs"},
		{1213456 * time.Nanosecond, "1.21ms"},
		{77544321 * time.Nanosecond, "77.5ms"},
		{2345678901 * time.Nanosecond, "2.35s"},
	} {
		if got := FormatDuration(tc.d); got != tc.want {
			t.Errorf("FormatDuration(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestResultRows(t *testing.T) {
	r := &Result{
		Counts: Counts{Requests: 3, OK: 1, Failed: 1, Corrupted: 1},
		ByKind: map[string]Counts{"cgi": {Requests: 2, OK: 1, Failed: 1}, "static": {Requests: 1, Corrupted: 1}, "sum": {}},
	}
	got := ResultRows(r)
	want := [][]string{{"static", "1", "0", "0", "1"}, {"cgi", "2", "1", "1", "0"}, {"total", "3", "1", "1", "1"}}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if strings.Join(got[i], " ") != strings.Join(want[i], " ") {
			t.Errorf("row %d: %q, want %q", i, got[i], want[i])
		}
	}
}
