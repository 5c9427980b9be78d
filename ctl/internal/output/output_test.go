package output

import (
	"bytes"
	"encoding/json"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/zl-dev/zl/libzl"
)

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"},
		{250 * time.Millisecond, "250ms"},
		{1500 * time.Millisecond, "1.5s"},
		{time.Minute, "1m"},
		{90 * time.Second, "1m30s"},
		{time.Hour, "1h"},
		{90 * time.Minute, "1h30m"},
		{24 * time.Hour, "24h"},
		{time.Hour + time.Second, "1h0m1s"},
	} {
		if got := Duration(tt.d); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.d, got, tt.want)
		}
		if back, err := time.ParseDuration(Duration(tt.d)); err != nil || back != tt.d {
			t.Errorf("ParseDuration(Duration(%v)) = %v, %v", tt.d, back, err)
		}
	}
}

func TestBytes(t *testing.T) {
	for _, tt := range []struct {
		n    uint32
		want string
	}{
		{0, "0B"}, {1000, "1000B"}, {1024, "1KiB"}, {65536, "64KiB"}, {1 << 20, "1MiB"},
		{1<<20 + 1024, "1025KiB"}, {1 << 30, "1GiB"},
	} {
		if got := Bytes(tt.n); got != tt.want {
			t.Errorf("Bytes(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}

func TestAge(t *testing.T) {
	now := 100 * time.Hour
	for _, tt := range []struct {
		ago  time.Duration
		want string
	}{
		{-time.Second, "0s"}, {0, "0s"}, {59 * time.Second, "59s"}, {90 * time.Second, "1m"},
		{2 * time.Hour, "2h"}, {125 * time.Minute, "2h5m"}, {48 * time.Hour, "2d"}, {50 * time.Hour, "2d2h"},
	} {
		if got := Age(now-tt.ago, now); got != tt.want {
			t.Errorf("Age(%v ago) = %q, want %q", tt.ago, got, tt.want)
		}
	}
}

// TestJSONFieldSet pins the JSON field names and types: scripts depend on
// them.
func TestJSONFieldSet(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, NewServiceJSON(&libzl.Service{})); err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"id":            0.0,
		"pid":           0.0,
		"name":          "",
		"uid":           0.0,
		"incarnation":   0.0,
		"faults":        0.0,
		"restarts":      0.0,
		"giveups":       0.0,
		"registered_ns": 0.0,
		"policy": map[string]any{
			"fault_signals":    []any{},
			"fault_exit_codes": []any{},
			"max_restarts":     0.0,
			"window_ms":        0.0,
			"backoff_ms":       0.0,
			"min_uptime_ms":    0.0,
			"replay_limit":     0.0,
			"flags":            []any{},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("JSON of an empty service (-want +got):\n%s", diff)
	}
}

func TestPolicyJSON(t *testing.T) {
	got := NewPolicyJSON(libzl.Policy{
		FaultSignals:   []syscall.Signal{syscall.SIGABRT, syscall.SIGSEGV, 40},
		FaultExitCodes: []uint8{2, 255},
		MaxRestarts:    5,
		Window:         time.Minute,
		Backoff:        1500 * time.Millisecond,
		MinUptime:      time.Hour,
		ReplayLimit:    1 << 20,
		Flags:          libzl.FlagDedup,
	})
	want := PolicyJSON{
		FaultSignals:   []string{"SIGABRT", "SIGSEGV", "40"},
		FaultExitCodes: []int{2, 255},
		MaxRestarts:    5,
		WindowMS:       60000,
		BackoffMS:      1500,
		MinUptimeMS:    3600000,
		ReplayLimit:    1 << 20,
		Flags:          []string{"dedup"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("policy JSON (-want +got):\n%s", diff)
	}
}

func TestWriteServiceWithoutClock(t *testing.T) {
	var b bytes.Buffer
	if err := WriteService(&b, &libzl.Service{ID: 1, Registered: 61500 * time.Millisecond}, nil); err != nil {
		t.Fatal(err)
	}
	want := `id:               1
pid:              0
name:             -
uid:              0
incarnation:      0
restarts:         0
faults:           0
giveups:          0
registered:       1m1s after boot
fault signals:    none
fault exit codes: none
max restarts:     0
window:           0s
backoff:          0s
min uptime:       0s
replay limit:     0B
flags:            none
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestFormat(t *testing.T) {
	var f Format
	for _, ok := range []string{"table", "json"} {
		if err := f.Set(ok); err != nil || f.String() != ok {
			t.Errorf("Set(%q) = %v, String() = %q", ok, err, f.String())
		}
	}
	if err := f.Set("yaml"); err == nil || err.Error() != "want table or json" {
		t.Errorf("Set(yaml) error = %v", err)
	}
}
