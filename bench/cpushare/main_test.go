//go:build linux

package main

import (
	"strings"
	"testing"
)

const sample = `# To display the perf.data header info, please use --header/--header-only options.
#
# Total Lost Samples: 0
#
# Samples: 8K of event 'cpu-clock:ppp'
# Event count (approx.): 8181181173
#
# Overhead  Symbol
#
     4.45%  [k] finish_task_switch.isra.0
     1.26%  [k] rep_movs_alternative
     0.89%  [.] http_parser_execute
     0.20%  [k] zlr_stream_drop_log
     0.17%  [k] __zlr_sk_log
     0.10%  [.] github.com/zl-dev/zl/libzl.Commit
     0.07%  [k] zlr_registered
     0.05%  [.] github.com/zl-dev/zl/libzl/zlhttp.(*conn).Read
`

func TestParseReport(t *testing.T) {
	s, err := parseReport(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	if s.Samples != 8000 {
		t.Errorf("samples %d", s.Samples)
	}
	if d := s.ZLRPct - 0.44; d > 1e-9 || d < -1e-9 {
		t.Errorf("zlr %v %%, want 0.44", s.ZLRPct)
	}
	if d := s.LibzlPct - 0.15; d > 1e-9 || d < -1e-9 {
		t.Errorf("libzl %v %%, want 0.15", s.LibzlPct)
	}
	if len(s.Top) != 5 || s.Top[0].Symbol != "zlr_stream_drop_log" || s.Top[1].Symbol != "__zlr_sk_log" {
		t.Errorf("top %+v", s.Top)
	}
	if _, err := parseReport(strings.NewReader("# nothing\n")); err == nil {
		t.Error("a report without samples was accepted")
	}
}
