package cmdutil

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"

	"github.com/zl-dev/zl/libzl"
)

func ptr[T any](v T) *T { return &v }

func TestParseSignals(t *testing.T) {
	tests := []struct {
		in      string
		want    []syscall.Signal
		wantErr string
	}{
		{in: "", want: []syscall.Signal{}},
		{in: "  ", want: []syscall.Signal{}},
		{in: "SEGV", want: []syscall.Signal{syscall.SIGSEGV}},
		{in: "sigsegv,Abrt, 31 ,TRAP", want: []syscall.Signal{syscall.SIGSEGV, syscall.SIGABRT, syscall.SIGSYS, syscall.SIGTRAP}},
		{in: "9", want: []syscall.Signal{syscall.SIGKILL}},
		{in: "SEGV,", wantErr: `unknown signal "": want signal names such as SEGV or SIGSEGV, or numbers, separated by commas`},
		{in: "SIGFOO", wantErr: `unknown signal "SIGFOO": want signal names such as SEGV or SIGSEGV, or numbers, separated by commas`},
		{in: "0", wantErr: "signal number 0 out of range: want signal names such as SEGV or SIGSEGV, or numbers from 1 to 63"},
		{in: "64", wantErr: "signal number 64 out of range: want signal names such as SEGV or SIGSEGV, or numbers from 1 to 63"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseSignals(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("signals (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFlagValues(t *testing.T) {
	type value interface {
		Set(string) error
		String() string
	}
	tests := []struct {
		name    string
		v       value
		in      string
		get     func(v value) any
		want    any
		wantStr string
		wantErr string
	}{
		{name: "exit codes", v: &exitCodesValue{}, in: "2, 70,255", get: func(v value) any { return v.(*exitCodesValue).codes }, want: []uint8{2, 70, 255}, wantStr: "2,70,255"},
		{name: "exit codes cleared", v: &exitCodesValue{}, in: "", get: func(v value) any { return v.(*exitCodesValue).codes }, want: []uint8{}, wantStr: ""},
		{name: "exit code 256", v: &exitCodesValue{}, in: "256", wantErr: `want exit statuses from 1 to 255 separated by commas, or "" for none`},
		{name: "exit code word", v: &exitCodesValue{}, in: "two", wantErr: `want exit statuses from 1 to 255 separated by commas, or "" for none`},

		{name: "duration", v: &durationValue{}, in: "1m30s", get: func(v value) any { return v.(*durationValue).d }, want: 90 * time.Second, wantStr: "1m30s"},
		{name: "duration zero", v: &durationValue{}, in: "0", get: func(v value) any { return v.(*durationValue).d }, want: time.Duration(0), wantStr: "0s"},
		{name: "duration ms", v: &durationValue{}, in: "250ms", get: func(v value) any { return v.(*durationValue).d }, want: 250 * time.Millisecond, wantStr: "250ms"},
		{name: "duration without unit", v: &durationValue{}, in: "30", wantErr: "want a duration in whole milliseconds such as 500ms, 30s or 1m"},
		{name: "duration negative", v: &durationValue{}, in: "-1s", wantErr: "must not be negative: want a duration in whole milliseconds such as 500ms, 30s or 1m"},
		{name: "duration too long", v: &durationValue{}, in: "1200h", wantErr: "too long: the kernel takes at most 4294967295 ms"},

		{name: "bytes", v: &bytesValue{}, in: "65536", get: func(v value) any { return v.(*bytesValue).n }, want: uint32(65536), wantStr: "64KiB"},
		{name: "KiB", v: &bytesValue{}, in: "64KiB", get: func(v value) any { return v.(*bytesValue).n }, want: uint32(65536), wantStr: "64KiB"},
		{name: "mib", v: &bytesValue{}, in: "1mib", get: func(v value) any { return v.(*bytesValue).n }, want: uint32(1 << 20), wantStr: "1MiB"},
		{name: "G", v: &bytesValue{}, in: "1G", get: func(v value) any { return v.(*bytesValue).n }, want: uint32(1 << 30), wantStr: "1GiB"},
		{name: "4 MiB in bytes", v: &bytesValue{}, in: "4194304", get: func(v value) any { return v.(*bytesValue).n }, want: uint32(4 << 20), wantStr: "4MiB"},
		{name: "4MiB", v: &bytesValue{}, in: "4MiB", get: func(v value) any { return v.(*bytesValue).n }, want: uint32(4 << 20), wantStr: "4MiB"},
		{name: "512KiB", v: &bytesValue{}, in: "512KiB", get: func(v value) any { return v.(*bytesValue).n }, want: uint32(512 << 10), wantStr: "512KiB"},
		{name: "1 GiB, the kernel's most", v: &bytesValue{}, in: "1073741824", get: func(v value) any { return v.(*bytesValue).n }, want: uint32(1 << 30), wantStr: "1GiB"},
		{name: "B", v: &bytesValue{}, in: "1000B", get: func(v value) any { return v.(*bytesValue).n }, want: uint32(1000), wantStr: "1000B"},
		{name: "bytes too large", v: &bytesValue{}, in: "4GiB", wantErr: "too large: want a size in bytes such as 65536, 64KiB or 1MiB up to 4GiB-1"},
		{name: "bytes unit unknown", v: &bytesValue{}, in: "1TB", wantErr: "want a size in bytes such as 65536, 64KiB or 1MiB"},
		{name: "bytes fraction", v: &bytesValue{}, in: "1.5MiB", wantErr: "want a size in bytes such as 65536, 64KiB or 1MiB"},

		{name: "uint32", v: &uint32Value{}, in: "4294967295", get: func(v value) any { return v.(*uint32Value).n }, want: uint32(4294967295), wantStr: "4294967295"},
		{name: "uint32 too large", v: &uint32Value{}, in: "4294967296", wantErr: "want a whole number from 0 to 4294967295"},

		{name: "bool", v: &boolValue{}, in: "false", get: func(v value) any { return v.(*boolValue).b }, want: false, wantStr: "false"},
		{name: "bool bad", v: &boolValue{}, in: "yes please", wantErr: "want true or false"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.v.Set(tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Set(%q) error = %v, want %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Set(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, tt.get(tt.v)); diff != "" {
				t.Errorf("value (-want +got):\n%s", diff)
			}
			if got := tt.v.String(); got != tt.wantStr {
				t.Errorf("String() = %q, want %q", got, tt.wantStr)
			}
		})
	}
}

func TestPolicyChangeResolve(t *testing.T) {
	tests := []struct {
		name      string
		change    PolicyChange
		base      libzl.PolicyFlags
		wantBase  bool
		wantFlags *libzl.PolicyFlags
	}{
		{name: "no switch", change: PolicyChange{}, base: DefaultFlags},
		{name: "replay off", change: PolicyChange{Replay: ptr(false)}, base: DefaultFlags, wantBase: true, wantFlags: ptr(libzl.FlagDedup)},
		{name: "dedup on", change: PolicyChange{Dedup: ptr(true)}, base: 0, wantBase: true, wantFlags: ptr(libzl.FlagDedup)},
		{name: "both", change: PolicyChange{Replay: ptr(true), Dedup: ptr(false)}, base: libzl.FlagDedup, wantFlags: ptr(libzl.FlagReplay)},
		{name: "unknown bits kept", change: PolicyChange{Dedup: ptr(false)}, base: DefaultFlags | 0x10, wantBase: true, wantFlags: ptr(libzl.FlagReplay | 0x10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.change.NeedsBase(); got != tt.wantBase {
				t.Errorf("NeedsBase() = %v, want %v", got, tt.wantBase)
			}
			got := tt.change.Resolve(tt.base)
			if diff := cmp.Diff(tt.wantFlags, got.Flags); diff != "" {
				t.Errorf("flags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRegistration(t *testing.T) {
	tests := []struct {
		name   string
		pid    int
		svc    string
		change PolicyChange
		want   libzl.Registration
	}{
		{name: "self, kernel defaults", want: libzl.Registration{}},
		{
			name: "switch applied to the default flags", pid: 42, svc: "api",
			change: PolicyChange{Config: libzl.PolicyConfig{MaxRestarts: ptr[uint32](3)}, Dedup: ptr(false)},
			want: libzl.Registration{PID: 42, Name: "api", Policy: libzl.PolicyConfig{
				MaxRestarts: ptr[uint32](3),
				Flags:       ptr(libzl.FlagReplay),
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Registration(tt.pid, tt.svc, tt.change)); diff != "" {
				t.Errorf("registration (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCheckName(t *testing.T) {
	if err := CheckName(strings.Repeat("n", 31)); err != nil {
		t.Errorf("CheckName(31 bytes) = %v", err)
	}
	err := CheckName(strings.Repeat("é", 16))
	if err == nil || err.Error() != "invalid --name: at most 31 bytes, got 32" || ExitCode(err) != ExitUsage {
		t.Errorf("CheckName(32 bytes) = %v, want a usage error", err)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode int
		wantMsg  string
	}{
		{name: "none", err: nil, wantCode: 0},
		{name: "usage", err: FlagErrorf("give a service ID or --pid"), wantCode: 2, wantMsg: "give a service ID or --pid"},
		{name: "wrapped usage", err: fmt.Errorf("x: %w", FlagErrorf("bad")), wantCode: 2, wantMsg: "bad"},
		{
			name:     "not supported",
			err:      fmt.Errorf("dial: %w", libzl.ErrNotSupported),
			wantCode: 1,
			wantMsg:  "this kernel has no zlr support: apply linux-patches/ and build with CONFIG_ZLR=y",
		},
		{
			name:     "kernel message",
			err:      &libzl.Error{Op: "register", Message: "no process with pid 99999", Err: unix.ESRCH},
			wantCode: 1,
			wantMsg:  "no process with pid 99999",
		},
		{
			name:     "permission",
			err:      &libzl.Error{Op: "set-policy", Message: "not permitted to change service 3", Err: unix.EPERM},
			wantCode: 1,
			wantMsg:  "not permitted to change service 3 (you must own the process or have CAP_SYS_ADMIN)",
		},
		{
			name:     "no message",
			err:      &libzl.Error{Op: "unregister", Err: fmt.Errorf("netlink receive: %w", unix.ENOENT)},
			wantCode: 1,
			wantMsg:  "unregister refused: no such file or directory",
		},
		{
			name:     "client refusal",
			err:      &libzl.Error{Op: "register", Message: "backoff 1.5ms is not a whole number of milliseconds", Err: os.ErrInvalid},
			wantCode: 1,
			wantMsg:  "backoff 1.5ms is not a whole number of milliseconds",
		},
		{
			name:     "command the kernel lacks",
			err:      &libzl.Error{Op: "stats", Err: fmt.Errorf("netlink receive: %w", unix.EOPNOTSUPP)},
			wantCode: 1,
			wantMsg:  "this kernel's zlr has no stats command: build it from the current linux-patches/",
		},
		{
			name:     "kernel message about something unsupported",
			err:      &libzl.Error{Op: "commit", Message: "descriptor 4 is not a stream", Err: unix.EOPNOTSUPP},
			wantCode: 1,
			wantMsg:  "descriptor 4 is not a stream",
		},
		{name: "other", err: errors.New("zlr: open generic netlink socket: too many open files"), wantCode: 1, wantMsg: "zlr: open generic netlink socket: too many open files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(tt.err); got != tt.wantCode {
				t.Errorf("ExitCode() = %d, want %d", got, tt.wantCode)
			}
			if tt.err == nil {
				return
			}
			if got := ErrorMessage(tt.err); got != tt.wantMsg {
				t.Errorf("ErrorMessage() = %q, want %q", got, tt.wantMsg)
			}
		})
	}
}
