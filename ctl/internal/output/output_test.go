package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
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
		n    uint64
		want string
	}{
		{0, "0B"}, {1000, "1000B"}, {1024, "1KiB"}, {65536, "64KiB"}, {1 << 20, "1MiB"},
		{1<<20 + 1024, "1025KiB"}, {1 << 30, "1GiB"}, {8 << 30, "8GiB"}, {3 << 40, "3TiB"},
		{1<<32 - 1, "4294967295B"}, {1<<64 - 1, "18446744073709551615B"},
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
		"exe":           "",
		"uid":           0.0,
		"incarnation":   0.0,
		"faults":        0.0,
		"restarts":      0.0,
		"giveups":       0.0,
		"registered_ns": 0.0,
		"last_fault":    nil,
		"retained":      0.0,
		"retained_fds":  []any{},
		"replay": map[string]any{
			"held":      0.0,
			"streams":   0.0,
			"replays":   0.0,
			"bytes":     0.0,
			"overflows": 0.0,
		},
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

// TestFaultJSONFieldSet pins the JSON form of a last fault.
func TestFaultJSONFieldSet(t *testing.T) {
	tests := []struct {
		name  string
		fault libzl.Fault
		want  map[string]any
	}{
		{
			name:  "signal",
			fault: libzl.Fault{Signal: syscall.SIGSEGV, Code: 1, Addr: 0x10, IP: 0x401136, Time: 95 * time.Second},
			want: map[string]any{
				"signal": "SIGSEGV", "exit_code": 0.0, "code": 1.0,
				"addr": 16.0, "ip": 4198710.0, "time_ns": 95e9,
			},
		},
		{
			name:  "exit status",
			fault: libzl.Fault{ExitCode: 2, Time: time.Second},
			want: map[string]any{
				"signal": "", "exit_code": 2.0, "code": 0.0,
				"addr": 0.0, "ip": 0.0, "time_ns": 1e9,
			},
		},
		{
			name:  "signal without a name, negative code",
			fault: libzl.Fault{Signal: 40, Code: -6},
			want: map[string]any{
				"signal": "40", "exit_code": 0.0, "code": -6.0,
				"addr": 0.0, "ip": 0.0, "time_ns": 0.0,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteJSON(&b, NewServiceJSON(&libzl.Service{LastFault: &tt.fault})); err != nil {
				t.Fatal(err)
			}
			var got struct {
				LastFault map[string]any `json:"last_fault"`
			}
			if err := json.Unmarshal(b.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got.LastFault); diff != "" {
				t.Errorf("JSON of the last fault (-want +got):\n%s", diff)
			}
		})
	}
}

// TestFaultJSONLargeAddress checks that addresses beyond 2^53 are written
// exactly.
func TestFaultJSONLargeAddress(t *testing.T) {
	var b bytes.Buffer
	if err := WriteJSON(&b, NewFaultJSON(&libzl.Fault{Signal: syscall.SIGBUS, Addr: 1<<64 - 1})); err != nil {
		t.Fatal(err)
	}
	if want := `"addr": 18446744073709551615,`; !bytes.Contains(b.Bytes(), []byte(want)) {
		t.Errorf("JSON lacks %s:\n%s", want, b.String())
	}
}

func TestFault(t *testing.T) {
	now := func() (time.Duration, error) { return 100 * time.Second, nil }
	tests := []struct {
		name  string
		fault *libzl.Fault
		clock Clock
		want  string
	}{
		{name: "none", want: "none"},
		{
			name:  "segv",
			fault: &libzl.Fault{Signal: syscall.SIGSEGV, Code: 1, IP: 0x401136, Time: 97 * time.Second},
			clock: now,
			want:  "SIGSEGV (code 1) at 0x0, ip 0x401136, 3s ago",
		},
		{
			name:  "bus without a clock",
			fault: &libzl.Fault{Signal: syscall.SIGBUS, Code: 2, Addr: 0x7f0000001000, IP: 0x401136, Time: 97500 * time.Millisecond},
			want:  "SIGBUS (code 2) at 0x7f0000001000, ip 0x401136, 1m37s after boot",
		},
		{
			name:  "abort has no address",
			fault: &libzl.Fault{Signal: syscall.SIGABRT, Code: -6, Addr: 0x1234, IP: 0x7f5e2a1b9e2c, Time: 40 * time.Second},
			clock: now,
			want:  "SIGABRT (code -6), ip 0x7f5e2a1b9e2c, 1m ago",
		},
		{
			name:  "exit status",
			fault: &libzl.Fault{ExitCode: 2, IP: 0x401136, Time: 99 * time.Second},
			clock: now,
			want:  "exit status 2, 1s ago",
		},
		{
			name:  "failing clock",
			fault: &libzl.Fault{ExitCode: 70},
			clock: func() (time.Duration, error) { return 0, errors.New("no clock") },
			want:  "exit status 70, 0s after boot",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fault(tt.fault, tt.clock); got != tt.want {
				t.Errorf("Fault() = %q, want %q", got, tt.want)
			}
		})
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
exe:              -
uid:              0
incarnation:      0
restarts:         0
faults:           0
giveups:          0
registered:       1m1s after boot
last fault:       none
retained:         -
retained fds:     -
replay held:      0B
replay streams:   0
replays:          0
replayed bytes:   0B
replay overflows: 0
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

func TestWriteServiceReplay(t *testing.T) {
	var b bytes.Buffer
	svc := &libzl.Service{Replay: libzl.ReplayStats{Held: 1500, Streams: 4, Replays: 2, Bytes: 8 << 30, Overflows: 1}}
	if err := WriteService(&b, svc, nil); err != nil {
		t.Fatal(err)
	}
	want := `replay held:      1500B
replay streams:   4
replays:          2
replayed bytes:   8GiB
replay overflows: 1
`
	if !strings.Contains(b.String(), want) {
		t.Errorf("output lacks\n%s\n%s", want, b.String())
	}
	j := NewServiceJSON(svc).Replay
	if diff := cmp.Diff(ReplayJSON{Held: 1500, Streams: 4, Replays: 2, Bytes: 8 << 30, Overflows: 1}, j); diff != "" {
		t.Errorf("replay JSON (-want +got):\n%s", diff)
	}
}

func TestWriteStats(t *testing.T) {
	st := &libzl.Stats{
		Services: 3, ReplayHeld: 70000, ReplayLimit: 64 << 20, ReplayStreams: 12,
		Replays: 5, ReplayBytes: 9 << 10, ReplayOverflows: 1 << 40,
	}
	var b bytes.Buffer
	if err := WriteStats(&b, st); err != nil {
		t.Fatal(err)
	}
	want := `services:         3
replay held:      70000B
replay limit:     64MiB
replay streams:   12
replays:          5
replayed bytes:   9KiB
replay overflows: 1099511627776
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

// TestStatsJSONFieldSet pins the JSON field names and types of stats:
// scripts depend on them.
func TestStatsJSONFieldSet(t *testing.T) {
	var b bytes.Buffer
	st := &libzl.Stats{
		Services: 3, ReplayHeld: 70000, ReplayLimit: 1<<64 - 1, ReplayStreams: 12,
		Replays: 5, ReplayBytes: 9000, ReplayOverflows: 7,
	}
	if err := WriteJSON(&b, NewStatsJSON(st)); err != nil {
		t.Fatal(err)
	}
	want := `{
  "services": 3,
  "replay_held": 70000,
  "replay_limit": 18446744073709551615,
  "replay_streams": 12,
  "replays": 5,
  "replay_bytes": 9000,
  "replay_overflows": 7
}
`
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
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
