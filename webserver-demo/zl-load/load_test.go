package main

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/zl-dev/zl/internal/demoload/demotest"
)

// runLoad runs zl-load with args and returns its exit status and outputs.
func runLoad(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut strings.Builder
	code := Main(context.Background(), args, &Streams{Out: &out, ErrOut: &errOut})
	return code, out.String(), errOut.String()
}

func TestLoadOK(t *testing.T) {
	s, srv := demotest.Start(t, nil)
	code, out, errOut := runLoad(t, "-url", srv.URL, "-clients", "3", "-requests", "60", "-max-body", "64KiB", "-journal", s.Journal)
	if code != exitOK {
		t.Fatalf("exit %d; stdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"60 requests in ", "KIND", "total   60        60  0       0", "journal: ", " 0 duplicated, 0 missing", "result: OK, nothing lost"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(errOut, "60/60 requests") {
		t.Errorf("stderr lacks the final progress line:\n%s", errOut)
	}
}

func TestLoadJSON(t *testing.T) {
	_, srv := demotest.Start(t, nil)
	code, out, errOut := runLoad(t, "-url", srv.URL, "-requests", "20", "-seed", "7", "-o", "json")
	if code != exitOK {
		t.Fatalf("exit %d; stderr:\n%s", code, errOut)
	}
	var rep struct {
		Seed   uint64 `json:"seed"`
		OK     bool   `json:"ok"`
		Result struct {
			Requests int                       `json:"requests"`
			OK       int                       `json:"ok"`
			ByKind   map[string]map[string]int `json:"by_kind"`
		} `json:"result"`
		Journal  *struct{} `json:"journal"`
		Problems []string  `json:"problems"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v in:\n%s", err, out)
	}
	if !rep.OK || rep.Seed != 7 || rep.Result.Requests != 20 || rep.Result.OK != 20 || rep.Journal != nil || rep.Problems == nil {
		t.Errorf("report:\n%s", out)
	}
}

func TestLoadFails(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*demotest.Server)
		want      string
	}{{
		name: "corrupted",
		configure: func(s *demotest.Server) {
			s.Mangle = func(r *http.Request, b []byte) []byte {
				if len(b) > 0 {
					b[len(b)-1] ^= 0x80
				}
				return b
			}
		},
		want: "requests got corrupted answers",
	}, {
		name: "failed",
		configure: func(s *demotest.Server) {
			s.Before = func(w http.ResponseWriter, r *http.Request, _ []byte) bool {
				if r.Method == http.MethodPost {
					demotest.HijackClose(t, w)
					return true
				}
				return false
			}
		},
		want: "requests failed",
	}, {
		name:      "duplicated",
		configure: func(s *demotest.Server) { s.RecordTwice = true },
		want:      "orders recorded more than once",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, srv := demotest.Start(t, tt.configure)
			code, out, errOut := runLoad(t, "-url", srv.URL, "-requests", "100", "-max-body", "10KiB", "-journal", s.Journal)
			if code != exitFailure {
				t.Errorf("exit %d, want %d", code, exitFailure)
			}
			if !strings.Contains(errOut, "zl-load: FAILED: ") || !strings.Contains(errOut, tt.want) || !strings.Contains(out, tt.want) {
				t.Errorf("want %q in both outputs; stdout:\n%s\nstderr:\n%s", tt.want, out, errOut)
			}
		})
	}
}

func TestLoadUsage(t *testing.T) {
	for _, args := range [][]string{
		{"-o", "yaml"}, {"-clients", "0"}, {"-mix", "x=1"}, {"-max-body", "0"}, {"extra"}, {"-url", "ftp://x"}, {"-timeout", "0s"},
	} {
		if code, _, errOut := runLoad(t, args...); code != exitUsage || !strings.HasPrefix(errOut, "zl-load: ") && !strings.Contains(errOut, "invalid") {
			t.Errorf("zl-load %q: exit %d, stderr %q", args, code, errOut)
		}
	}
	if code, _, _ := runLoad(t, "-h"); code != exitOK {
		t.Errorf("-h: exit %d", code)
	}
}
