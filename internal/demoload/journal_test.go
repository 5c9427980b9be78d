package demoload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/zl-dev/zl/internal/demo"
	"github.com/zl-dev/zl/internal/demoload/demotest"
)

func TestCheckJournal(t *testing.T) {
	order := func(key, body string, ok bool) Order {
		return Order{Key: key, Line: demo.JournalLine(key, []byte(body)), OK: ok}
	}
	orders := []Order{
		order("k-1", "one", true),
		order("k-2", "two", true),
		order("k-3", "three", false), // failed: may be recorded or not
		order("k-4", "four", false),
	}
	line := func(i int) string { return orders[i].Line }
	tests := []struct {
		name    string
		journal string
		want    JournalReport
	}{{
		name:    "all",
		journal: line(0) + line(1) + line(2),
		want:    JournalReport{Lines: 3, Orders: 4, Recorded: 3},
	}, {
		name:    "duplicate",
		journal: line(0) + line(1) + line(0) + line(0),
		want:    JournalReport{Lines: 4, Orders: 4, Recorded: 2, Duplicated: 1},
	}, {
		name:    "duplicate of a failed order",
		journal: line(0) + line(1) + line(3) + line(3),
		want:    JournalReport{Lines: 4, Orders: 4, Recorded: 3, Duplicated: 1},
	}, {
		name:    "missing",
		journal: line(1),
		want:    JournalReport{Lines: 1, Orders: 4, Recorded: 1, Missing: 1},
	}, {
		name:    "mismatched",
		journal: line(0) + demo.JournalLine("k-2", []byte("tw0")),
		want:    JournalReport{Lines: 2, Orders: 4, Recorded: 2, Mismatched: 1},
	}, {
		name: "malformed",
		journal: line(0) + "k-2 3\n" + "k-2 x " + strings.Repeat("a", 64) + "\n" +
			"k-2 3 " + strings.Repeat("A", 64) + "\n" + strings.TrimSuffix(line(1), "\n"),
		want: JournalReport{Lines: 5, Orders: 4, Recorded: 1, Missing: 1, Malformed: 4},
	}, {
		name:    "foreign",
		journal: demo.JournalLine("other-run", []byte("x")) + line(0) + line(1),
		want:    JournalReport{Lines: 3, Orders: 4, Recorded: 2, Foreign: 1},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "journal")
			if err := os.WriteFile(path, []byte(tt.journal), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := CheckJournal(path, orders)
			if err != nil {
				t.Fatalf("CheckJournal: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(JournalReport{}, "Problems")); diff != "" {
				t.Errorf("report (-want +got):\n%s", diff)
			}
			if got.OK() != (len(got.Problems) == 0) {
				t.Errorf("OK() = %v with problems %q", got.OK(), got.Problems)
			}
		})
	}
}

func TestCheckJournalAbsent(t *testing.T) {
	orders := []Order{{Key: "k", Line: demo.JournalLine("k", nil), OK: true}}
	got, err := CheckJournal(filepath.Join(t.TempDir(), "none"), orders)
	if err != nil {
		t.Fatalf("CheckJournal: %v", err)
	}
	if got.Missing != 1 || got.OK() {
		t.Errorf("report %+v, want the order missing", got)
	}
	if _, err := CheckJournal(t.TempDir(), orders); err == nil {
		t.Errorf("CheckJournal of a directory succeeded")
	}
}

func TestRunDetectsDuplicates(t *testing.T) {
	// A CGI that records every order twice.
	s, srv := demotest.Start(t, func(s *demotest.Server) { s.RecordTwice = true })
	cfg := testConfig(srv.URL)
	cfg.Mix = Mix{Static: 1, CGI: 1}
	res, err := Run(t.Context(), cfg, nil)
	if err != nil || res.Lost() != 0 {
		t.Fatalf("Run: %+v, %v", res.Counts, err)
	}
	rep, err := CheckJournal(s.Journal, res.Orders)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Duplicated != len(res.Orders) || len(res.Orders) == 0 || rep.OK() {
		t.Errorf("report %+v, want all %d orders duplicated", rep, len(res.Orders))
	}
}
