package root

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/sys/unix"

	"github.com/zl-dev/zl/ctl/internal/cmdutil/cmdtest"
	"github.com/zl-dev/zl/libzl"
)

func ptr[T any](v T) *T { return &v }

// web and db are the services the fake kernel knows.
func web() *libzl.Service {
	return &libzl.Service{
		ID: 3, PID: 1234, Name: "web", UID: 1000,
		Incarnation: 2, Faults: 3, Restarts: 2, GiveUps: 1,
		Registered: 90 * time.Second,
		Exe:        "/usr/bin/web",
		LastFault: &libzl.Fault{
			Signal: syscall.SIGSEGV, Code: 1, IP: 0x401136,
			Time: cmdtest.Uptime - 3*time.Second,
		},
		Retained:    5,
		RetainedFDs: []int{0, 1, 2, 5, 7},
		Replay:      libzl.ReplayStats{Held: 1500, Streams: 2, Replays: 1, Bytes: 4096},
		Policy: libzl.Policy{
			FaultSignals: []syscall.Signal{
				syscall.SIGILL, syscall.SIGABRT, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGSEGV, syscall.SIGSYS,
			},
			FaultExitCodes: []uint8{2, 70},
			MaxRestarts:    5,
			Window:         time.Minute,
			Backoff:        100 * time.Millisecond,
			ReplayLimit:    1 << 20,
			Flags:          libzl.FlagReplay | libzl.FlagDedup,
		},
	}
}

func db() *libzl.Service {
	return &libzl.Service{
		ID: 4, PID: 77, Name: "db",
		Registered: time.Hour + 30*time.Second,
		Policy:     libzl.Policy{Window: 1500 * time.Millisecond, ReplayLimit: 65536},
	}
}

const webShow = `id:               3
pid:              1234
name:             web
exe:              /usr/bin/web
uid:              1000
incarnation:      2
restarts:         2
faults:           3
giveups:          1
registered:       1h58m ago (1m30s after boot)
last fault:       SIGSEGV (code 1) at 0x0, ip 0x401136, 3s ago
retained:         5
retained fds:     0-2,5,7
replay held:      1500B
replay streams:   2
replays:          1
replayed bytes:   4KiB
replay overflows: 0
fault signals:    SIGILL SIGABRT SIGBUS SIGFPE SIGSEGV SIGSYS
fault exit codes: 2 70
max restarts:     5
window:           1m
backoff:          100ms
min uptime:       0s
replay limit:     1MiB
flags:            replay dedup
`

const webPolicyJSON = `{
    "fault_signals": [
      "SIGILL",
      "SIGABRT",
      "SIGBUS",
      "SIGFPE",
      "SIGSEGV",
      "SIGSYS"
    ],
    "fault_exit_codes": [
      2,
      70
    ],
    "max_restarts": 5,
    "window_ms": 60000,
    "backoff_ms": 100,
    "min_uptime_ms": 0,
    "replay_limit": 1048576,
    "flags": [
      "replay",
      "dedup"
    ]
  }`

const webJSON = `{
  "id": 3,
  "pid": 1234,
  "name": "web",
  "exe": "/usr/bin/web",
  "uid": 1000,
  "incarnation": 2,
  "faults": 3,
  "restarts": 2,
  "giveups": 1,
  "registered_ns": 90000000000,
  "last_fault": {
    "signal": "SIGSEGV",
    "exit_code": 0,
    "code": 1,
    "addr": 0,
    "ip": 4198710,
    "time_ns": 7197000000000
  },
  "retained": 5,
  "retained_fds": [
    0,
    1,
    2,
    5,
    7
  ],
  "replay": {
    "held": 1500,
    "streams": 2,
    "replays": 1,
    "bytes": 4096,
    "overflows": 0
  },
  "policy": ` + webPolicyJSON + `
}
`

const listTerminal = `┌────┬──────┬──────┬──────┬─────┬──────────┬────────┬─────────┬────────────┬──────┬───────────────────────────┬────────────┬────────────┬──────────────┬───────┐
│ ID │ PID  │ NAME │ UID  │ INC │ RESTARTS │ FAULTS │ GIVEUPS │ LAST FAULT │ KEPT │ SIGNALS                   │ EXIT CODES │ MAX/WINDOW │ FLAGS        │ AGE   │
├────┼──────┼──────┼──────┼─────┼──────────┼────────┼─────────┼────────────┼──────┼───────────────────────────┼────────────┼────────────┼──────────────┼───────┤
│ 3  │ 1234 │ web  │ 1000 │ 2   │ 2        │ 3      │ 1       │ SIGSEGV    │ 5    │ ILL,ABRT,BUS,FPE,SEGV,SYS │ 2,70       │ 5/1m       │ replay,dedup │ 1h58m │
│ 4  │ 77   │ db   │ 0    │ 0   │ 0        │ 0      │ 0       │ -          │ -    │ -                         │ -          │ 0/1.5s     │ -            │ 59m   │
└────┴──────┴──────┴──────┴─────┴──────────┴────────┴─────────┴────────────┴──────┴───────────────────────────┴────────────┴────────────┴──────────────┴───────┘
`

const listPlain = `ID  PID   NAME  UID   INC  RESTARTS  FAULTS  GIVEUPS  LAST FAULT  KEPT  SIGNALS                    EXIT CODES  MAX/WINDOW  FLAGS         AGE
3   1234  web   1000  2    2         3       1        SIGSEGV     5     ILL,ABRT,BUS,FPE,SEGV,SYS  2,70        5/1m        replay,dedup  1h58m
4   77    db    0     0    0         0       0        -           -     -                          -           0/1.5s      -             59m
`

// kernelErr is a refusal as libzl returns it.
func kernelErr(op string, errno unix.Errno, msg string) error {
	return &libzl.Error{Op: op, Message: msg, Err: errno}
}

func TestZlctl(t *testing.T) {
	// "zlctl run" finds its commands in $PATH: give it one.
	bin := t.TempDir()
	server := filepath.Join(bin, "server")
	if err := os.WriteFile(server, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin)

	tests := []struct {
		name    string
		args    []string
		fake    cmdtest.FakeClient
		dialErr error
		execErr error
		term    bool
		monitor *cmdtest.FakeMonitor

		wantCode   int
		wantOut    string
		wantErr    string
		wantCalls  []cmdtest.Call
		wantExec   []cmdtest.ExecCall // compared without the environment
		wantPrefix bool               // wantOut is only the beginning of the output
	}{
		// show
		{
			name:      "show by id",
			args:      []string{"show", "3"},
			wantOut:   webShow,
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByID(3)}},
		},
		{
			name:      "show by pid, json",
			args:      []string{"show", "--pid", "1234", "-o", "json"},
			wantOut:   webJSON,
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByPID(1234)}},
		},
		{
			name: "show a service that has not faulted",
			args: []string{"show", "4"},
			fake: cmdtest.FakeClient{Svc: db()},
			wantOut: `id:               4
pid:              77
name:             db
exe:              -
uid:              0
incarnation:      0
restarts:         0
faults:           0
giveups:          0
registered:       59m ago (1h0m30s after boot)
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
window:           1.5s
backoff:          0s
min uptime:       0s
replay limit:     64KiB
flags:            none
`,
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByID(4)}},
		},
		{
			name:       "show json of a service that has not faulted",
			args:       []string{"show", "4", "-o", "json"},
			fake:       cmdtest.FakeClient{Svc: db()},
			wantOut:    "{\n  \"id\": 4,\n  \"pid\": 77,\n  \"name\": \"db\",\n  \"exe\": \"\",\n",
			wantPrefix: true,
			wantCalls:  []cmdtest.Call{{Method: "Service", Selector: libzl.ByID(4)}},
		},
		{
			name: "show a fault exit status",
			args: []string{"show", "3"},
			fake: cmdtest.FakeClient{Svc: func() *libzl.Service {
				s := web()
				s.LastFault = &libzl.Fault{ExitCode: 2, IP: 0x401136, Time: cmdtest.Uptime - 90*time.Second}
				return s
			}()},
			wantOut: strings.Replace(webShow,
				"last fault:       SIGSEGV (code 1) at 0x0, ip 0x401136, 3s ago\n",
				"last fault:       exit status 2, 1m ago\n", 1),
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByID(3)}},
		},
		{
			name:      "show unknown service",
			args:      []string{"show", "7"},
			fake:      cmdtest.FakeClient{Err: kernelErr("get", unix.ENOENT, "no service with id 7")},
			wantCode:  1,
			wantErr:   "zlctl: no service with id 7\n",
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByID(7)}},
		},
		{
			name:     "show without a service",
			args:     []string{"show"},
			wantCode: 2,
			wantErr:  "zlctl: give a service ID or --pid\nRun 'zlctl show --help' for usage.\n",
		},
		{
			name:     "show with id and pid",
			args:     []string{"show", "3", "--pid", "4"},
			wantCode: 2,
			wantErr:  "zlctl: give a service ID or --pid, not both\nRun 'zlctl show --help' for usage.\n",
		},
		{
			name:     "show bad id",
			args:     []string{"show", "web"},
			wantCode: 2,
			wantErr:  "zlctl: invalid service ID \"web\": want a number from 1 to 4294967295\nRun 'zlctl show --help' for usage.\n",
		},
		{
			name:     "show two ids",
			args:     []string{"show", "3", "4"},
			wantCode: 2,
			wantErr:  "zlctl: too many arguments: give one service ID or --pid\nRun 'zlctl show --help' for usage.\n",
		},
		{
			name:     "show bad pid",
			args:     []string{"show", "--pid", "-3"},
			wantCode: 2,
			wantErr:  "zlctl: invalid argument \"-3\" for \"--pid\" flag: want a process ID, a number from 1 up\nRun 'zlctl show --help' for usage.\n",
		},

		// list
		{
			name:      "list on a terminal",
			args:      []string{"list"},
			term:      true,
			wantOut:   listTerminal,
			wantCalls: []cmdtest.Call{{Method: "Services"}},
		},
		{
			name:      "list piped",
			args:      []string{"ls"},
			wantOut:   listPlain,
			wantCalls: []cmdtest.Call{{Method: "Services"}},
		},
		{
			name:       "list json",
			args:       []string{"list", "-o", "json"},
			wantOut:    "[\n  {\n    \"id\": 3,\n",
			wantPrefix: true,
			wantCalls:  []cmdtest.Call{{Method: "Services"}},
		},
		{
			name:      "list empty",
			args:      []string{"list"},
			fake:      cmdtest.FakeClient{List: []*libzl.Service{}},
			wantErr:   "no services registered\n",
			wantCalls: []cmdtest.Call{{Method: "Services"}},
		},
		{
			name:      "list empty json",
			args:      []string{"-o", "json", "list"},
			fake:      cmdtest.FakeClient{List: []*libzl.Service{}},
			wantOut:   "[]\n",
			wantCalls: []cmdtest.Call{{Method: "Services"}},
		},
		{
			name:     "list without zlr",
			args:     []string{"list"},
			dialErr:  fmt.Errorf("dial: %w", libzl.ErrNotSupported),
			wantCode: 1,
			wantErr:  "zlctl: this kernel has no zlr support: apply linux-patches/ and build with CONFIG_ZLR=y\n",
		},
		{
			name:     "list with an argument",
			args:     []string{"list", "all"},
			wantCode: 2,
			wantErr:  "zlctl: unexpected argument \"all\"\nRun 'zlctl list --help' for usage.\n",
		},

		// register
		{
			name:    "register",
			args:    []string{"register", "--pid", "1234", "--name", "web"},
			wantOut: webShow,
			wantCalls: []cmdtest.Call{{
				Method:       "Register",
				Registration: libzl.Registration{PID: 1234, Name: "web"},
			}},
		},
		{
			name: "register with every policy flag",
			args: []string{
				"register", "--pid", "1234",
				"--fault-signals", "segv,SIGABRT, 31",
				"--fault-exit-codes", "",
				"--max-restarts", "3",
				"--window", "30s",
				"--backoff", "100ms",
				"--min-uptime", "0s",
				"--replay-limit", "64KiB",
				"--replay=false",
				"--dedup",
				"-o", "json",
			},
			wantOut: webJSON,
			wantCalls: []cmdtest.Call{{
				Method: "Register",
				Registration: libzl.Registration{PID: 1234, Policy: libzl.PolicyConfig{
					FaultSignals:   []syscall.Signal{syscall.SIGSEGV, syscall.SIGABRT, syscall.SIGSYS},
					FaultExitCodes: []uint8{},
					MaxRestarts:    ptr[uint32](3),
					Window:         ptr(30 * time.Second),
					Backoff:        ptr(100 * time.Millisecond),
					MinUptime:      ptr(time.Duration(0)),
					ReplayLimit:    ptr[uint32](65536),
					Flags:          ptr(libzl.FlagDedup),
				}},
			}},
		},
		{
			name:    "register with a replay limit in bytes, replay off",
			args:    []string{"register", "--pid", "1234", "--replay-limit", "4194304", "--replay=false", "--dedup=false", "-o", "json"},
			wantOut: webJSON,
			wantCalls: []cmdtest.Call{{
				Method: "Register",
				Registration: libzl.Registration{PID: 1234, Policy: libzl.PolicyConfig{
					ReplayLimit: ptr[uint32](4 << 20),
					Flags:       ptr(libzl.PolicyFlags(0)),
				}},
			}},
		},
		{
			name:    "register switching one flag off keeps the other default",
			args:    []string{"register", "--pid", "1234", "--dedup=false", "-o", "json"},
			wantOut: webJSON,
			wantCalls: []cmdtest.Call{{
				Method: "Register",
				Registration: libzl.Registration{PID: 1234, Policy: libzl.PolicyConfig{
					Flags: ptr(libzl.FlagReplay),
				}},
			}},
		},
		{
			name:     "register without pid",
			args:     []string{"register", "--name", "web"},
			wantCode: 2,
			wantErr:  "zlctl: --pid is required: give the process to register\nRun 'zlctl register --help' for usage.\n",
		},
		{
			name:     "register with a fractional window",
			args:     []string{"register", "--pid", "1", "--window", "1.5ms"},
			wantCode: 2,
			wantErr: "zlctl: invalid argument \"1.5ms\" for \"--window\" flag: not a whole number of milliseconds: " +
				"want a duration in whole milliseconds such as 500ms, 30s or 1m\nRun 'zlctl register --help' for usage.\n",
		},
		{
			name:     "register with a bad signal",
			args:     []string{"register", "--pid", "1", "--fault-signals", "SEGV,FOO"},
			wantCode: 2,
			wantErr: "zlctl: invalid argument \"SEGV,FOO\" for \"--fault-signals\" flag: unknown signal \"FOO\": " +
				"want signal names such as SEGV or SIGSEGV, or numbers, separated by commas\nRun 'zlctl register --help' for usage.\n",
		},
		{
			name:     "register with a bad replay limit",
			args:     []string{"register", "--pid", "1", "--replay-limit", "1TB"},
			wantCode: 2,
			wantErr: "zlctl: invalid argument \"1TB\" for \"--replay-limit\" flag: want a size in bytes such as 65536, 64KiB or 1MiB\n" +
				"Run 'zlctl register --help' for usage.\n",
		},
		{
			name:     "register with a bad max-restarts",
			args:     []string{"register", "--pid", "1", "--max-restarts", "-1"},
			wantCode: 2,
			wantErr: "zlctl: invalid argument \"-1\" for \"--max-restarts\" flag: want a whole number from 0 to 4294967295\n" +
				"Run 'zlctl register --help' for usage.\n",
		},
		{
			name:     "register with a bad switch",
			args:     []string{"register", "--pid", "1", "--replay=maybe"},
			wantCode: 2,
			wantErr:  "zlctl: invalid argument \"maybe\" for \"--replay\" flag: want true or false\nRun 'zlctl register --help' for usage.\n",
		},
		{
			name:     "register with a long name",
			args:     []string{"register", "--pid", "1", "--name", strings.Repeat("n", 32)},
			wantCode: 2,
			wantErr:  "zlctl: invalid --name: at most 31 bytes, got 32\nRun 'zlctl register --help' for usage.\n",
		},
		{
			name:     "register with an unknown flag",
			args:     []string{"register", "--pid", "1", "--restarts", "3"},
			wantCode: 2,
			wantErr:  "zlctl: unknown flag: --restarts\nRun 'zlctl register --help' for usage.\n",
		},
		{
			name:     "register not permitted",
			args:     []string{"register", "--pid", "1"},
			fake:     cmdtest.FakeClient{Err: kernelErr("register", unix.EPERM, "not permitted to register pid 1")},
			wantCode: 1,
			wantErr:  "zlctl: not permitted to register pid 1 (you must own the process or have CAP_SYS_ADMIN)\n",
			wantCalls: []cmdtest.Call{{
				Method: "Register", Registration: libzl.Registration{PID: 1},
			}},
		},
		{
			name:     "register no such process",
			args:     []string{"register", "--pid", "99999"},
			fake:     cmdtest.FakeClient{Err: kernelErr("register", unix.ESRCH, "no process with pid 99999")},
			wantCode: 1,
			wantErr:  "zlctl: no process with pid 99999\n",
			wantCalls: []cmdtest.Call{{
				Method: "Register", Registration: libzl.Registration{PID: 99999},
			}},
		},
		{
			name:     "register out of range",
			args:     []string{"register", "--pid", "42", "--window", "25h"},
			fake:     cmdtest.FakeClient{Err: kernelErr("register", unix.ERANGE, "window-ms 90000000 out of range 1-86400000")},
			wantCode: 1,
			wantErr:  "zlctl: window-ms 90000000 out of range 1-86400000\n",
			wantCalls: []cmdtest.Call{{
				Method: "Register", Registration: libzl.Registration{PID: 42, Policy: libzl.PolicyConfig{Window: ptr(25 * time.Hour)}},
			}},
		},
		{
			name:     "register refused without a message",
			args:     []string{"register", "--pid", "42"},
			fake:     cmdtest.FakeClient{Err: kernelErr("register", unix.EPERM, "")},
			wantCode: 1,
			wantErr:  "zlctl: register refused: operation not permitted (you must own the process or have CAP_SYS_ADMIN)\n",
			wantCalls: []cmdtest.Call{{
				Method: "Register", Registration: libzl.Registration{PID: 42},
			}},
		},

		// run
		{
			name: "run",
			args: []string{"run", "--name", "api", "--max-restarts", "3", "--replay=false", "--", "server", "--port", "8080", "-o", "json"},
			wantCalls: []cmdtest.Call{{
				Method: "Register",
				Registration: libzl.Registration{Name: "api", Policy: libzl.PolicyConfig{
					MaxRestarts: ptr[uint32](3),
					Flags:       ptr(libzl.FlagDedup),
				}},
			}},
			wantExec: []cmdtest.ExecCall{{Argv0: server, Argv: []string{"server", "--port", "8080", "-o", "json"}}},
		},
		{
			name: "run with a replay limit in MiB, dedup off",
			args: []string{"run", "--replay-limit", "4MiB", "--dedup=false", "--", "server"},
			wantCalls: []cmdtest.Call{{
				Method: "Register",
				Registration: libzl.Registration{Name: "server", Policy: libzl.PolicyConfig{
					ReplayLimit: ptr[uint32](4 << 20),
					Flags:       ptr(libzl.FlagReplay),
				}},
			}},
			wantExec: []cmdtest.ExecCall{{Argv0: server, Argv: []string{"server"}}},
		},
		{
			name:      "run names the service after the command",
			args:      []string{"-o", "json", "run", "--", server},
			wantCalls: []cmdtest.Call{{Method: "Register", Registration: libzl.Registration{Name: "server"}}},
			wantExec:  []cmdtest.ExecCall{{Argv0: server, Argv: []string{server}}},
		},
		{
			name:     "run without --",
			args:     []string{"run", "server", "--port", "8080"},
			wantCode: 2,
			wantErr: "zlctl: unexpected argument \"server\": give the command to run after \"--\", as in: zlctl run --name api -- ./server --port 8080\n" +
				"Run 'zlctl run --help' for usage.\n",
		},
		{
			name:     "run without a command",
			args:     []string{"run", "--name", "api"},
			wantCode: 2,
			wantErr: "zlctl: give the command to run after \"--\", as in: zlctl run --name api -- ./server --port 8080\n" +
				"Run 'zlctl run --help' for usage.\n",
		},
		{
			name:     "run with a bad policy flag",
			args:     []string{"run", "--backoff", "1.5ms", "--", "server"},
			wantCode: 2,
			wantErr: "zlctl: invalid argument \"1.5ms\" for \"--backoff\" flag: not a whole number of milliseconds: " +
				"want a duration in whole milliseconds such as 500ms, 30s or 1m\nRun 'zlctl run --help' for usage.\n",
		},
		{
			name:     "run an unknown command",
			args:     []string{"run", "--", "sever"},
			wantCode: 1,
			wantErr:  "zlctl: command \"sever\" not found: no executable file of that name in $PATH\n",
		},
		{
			name:     "run without zlr",
			args:     []string{"run", "--", "server"},
			dialErr:  fmt.Errorf("dial: %w", libzl.ErrNotSupported),
			wantCode: 1,
			wantErr:  "zlctl: this kernel has no zlr support: apply linux-patches/ and build with CONFIG_ZLR=y\n",
		},
		{
			name:      "run refused",
			args:      []string{"run", "--", "server"},
			fake:      cmdtest.FakeClient{Err: kernelErr("register", unix.EEXIST, "pid 1234 is already registered as service 2")},
			wantCode:  1,
			wantErr:   "zlctl: pid 1234 is already registered as service 2\n",
			wantCalls: []cmdtest.Call{{Method: "Register", Registration: libzl.Registration{Name: "server"}}},
		},
		{
			name:     "run fails to execute",
			args:     []string{"run", "--", "server"},
			execErr:  unix.ENOEXEC,
			wantCode: 1,
			wantErr:  "zlctl: cannot run " + server + ": exec format error\n",
			wantCalls: []cmdtest.Call{
				{Method: "Register", Registration: libzl.Registration{Name: "server"}},
				{Method: "Unregister", Selector: libzl.Selector{ID: 3, PID: 1234}},
			},
			wantExec: []cmdtest.ExecCall{{Argv0: server, Argv: []string{"server"}}},
		},

		// unregister
		{
			name:      "unregister by id",
			args:      []string{"unregister", "3"},
			wantOut:   "unregistered service 3\n",
			wantCalls: []cmdtest.Call{{Method: "Unregister", Selector: libzl.ByID(3)}},
		},
		{
			name:      "unregister by pid, json",
			args:      []string{"unregister", "--pid", "1234", "-o", "json"},
			wantCalls: []cmdtest.Call{{Method: "Unregister", Selector: libzl.ByPID(1234)}},
		},
		{
			name:      "unregister unknown",
			args:      []string{"unregister", "--pid", "5"},
			fake:      cmdtest.FakeClient{Err: kernelErr("unregister", unix.ENOENT, "pid 5 is not registered")},
			wantCode:  1,
			wantErr:   "zlctl: pid 5 is not registered\n",
			wantCalls: []cmdtest.Call{{Method: "Unregister", Selector: libzl.ByPID(5)}},
		},
		{
			name:     "unregister nothing",
			args:     []string{"unregister"},
			wantCode: 2,
			wantErr:  "zlctl: give a service ID or --pid\nRun 'zlctl unregister --help' for usage.\n",
		},

		// policy
		{
			name:    "policy set one switch reads the other",
			args:    []string{"policy", "set", "3", "--dedup=false", "-o", "json"},
			wantOut: webJSON,
			wantCalls: []cmdtest.Call{
				{Method: "Service", Selector: libzl.ByID(3)},
				{Method: "SetPolicy", Selector: libzl.ByID(3), Policy: libzl.PolicyConfig{Flags: ptr(libzl.FlagReplay)}},
			},
		},
		{
			name:    "policy set both switches",
			args:    []string{"policy", "set", "3", "--dedup=false", "--replay=false", "-o", "json"},
			wantOut: webJSON,
			wantCalls: []cmdtest.Call{
				{Method: "SetPolicy", Selector: libzl.ByID(3), Policy: libzl.PolicyConfig{Flags: ptr(libzl.PolicyFlags(0))}},
			},
		},
		{
			name:    "policy set only what was given",
			args:    []string{"policy", "set", "--pid", "1234", "--fault-exit-codes", "2,70", "--fault-signals", ""},
			wantOut: webShow,
			wantCalls: []cmdtest.Call{{
				Method:   "SetPolicy",
				Selector: libzl.ByPID(1234),
				Policy: libzl.PolicyConfig{
					FaultSignals:   []syscall.Signal{},
					FaultExitCodes: []uint8{2, 70},
				},
			}},
		},
		{
			name:    "policy set the replay limit in KiB, replay back on",
			args:    []string{"policy", "set", "3", "--replay-limit", "512KiB", "--replay", "--dedup=true", "-o", "json"},
			wantOut: webJSON,
			wantCalls: []cmdtest.Call{{
				Method: "SetPolicy", Selector: libzl.ByID(3),
				Policy: libzl.PolicyConfig{ReplayLimit: ptr[uint32](512 << 10), Flags: ptr(libzl.FlagReplay | libzl.FlagDedup)},
			}},
		},
		{
			name:     "policy set a replay limit beyond 32 bits",
			args:     []string{"policy", "set", "3", "--replay-limit", "4GiB"},
			wantCode: 2,
			wantErr: "zlctl: invalid argument \"4GiB\" for \"--replay-limit\" flag: too large: want a size in bytes such as 65536, 64KiB or 1MiB up to 4GiB-1\n" +
				"Run 'zlctl policy set --help' for usage.\n",
		},
		{
			name:     "policy set a replay limit the kernel refuses",
			args:     []string{"policy", "set", "3", "--replay-limit", "2GiB"},
			fake:     cmdtest.FakeClient{Err: kernelErr("set-policy", unix.ERANGE, "replay-limit 2147483648 out of range 0-1073741824")},
			wantCode: 1,
			wantErr:  "zlctl: replay-limit 2147483648 out of range 0-1073741824\n",
			wantCalls: []cmdtest.Call{{
				Method: "SetPolicy", Selector: libzl.ByID(3),
				Policy: libzl.PolicyConfig{ReplayLimit: ptr[uint32](2 << 30)},
			}},
		},
		{
			name:     "policy set nothing",
			args:     []string{"policy", "set", "3"},
			wantCode: 2,
			wantErr:  "zlctl: nothing to change: give at least one policy flag\nRun 'zlctl policy set --help' for usage.\n",
		},
		{
			name:     "policy set bad exit code",
			args:     []string{"policy", "set", "3", "--fault-exit-codes", "0"},
			wantCode: 2,
			wantErr: "zlctl: invalid argument \"0\" for \"--fault-exit-codes\" flag: want exit statuses from 1 to 255 separated by commas, or \"\" for none\n" +
				"Run 'zlctl policy set --help' for usage.\n",
		},
		{
			name:     "policy set refused signal",
			args:     []string{"policy", "set", "3", "--fault-signals", "KILL"},
			fake:     cmdtest.FakeClient{Err: kernelErr("set-policy", unix.EINVAL, "signal 9 cannot be a fault signal (allowed: ILL TRAP ABRT BUS FPE SEGV SYS)")},
			wantCode: 1,
			wantErr:  "zlctl: signal 9 cannot be a fault signal (allowed: ILL TRAP ABRT BUS FPE SEGV SYS)\n",
			wantCalls: []cmdtest.Call{{
				Method: "SetPolicy", Selector: libzl.ByID(3),
				Policy: libzl.PolicyConfig{FaultSignals: []syscall.Signal{syscall.SIGKILL}},
			}},
		},
		{
			name:     "policy set on an unknown service",
			args:     []string{"policy", "set", "7", "--replay"},
			fake:     cmdtest.FakeClient{Err: kernelErr("get", unix.ENOENT, "no service with id 7")},
			wantCode: 1,
			wantErr:  "zlctl: no service with id 7\n",
			wantCalls: []cmdtest.Call{
				{Method: "Service", Selector: libzl.ByID(7)},
			},
		},
		{
			name:      "policy show",
			args:      []string{"policy", "show", "3"},
			wantOut:   webShow[strings.Index(webShow, "fault signals:"):],
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByID(3)}},
		},
		{
			name:      "policy show json",
			args:      []string{"policy", "show", "--pid", "1234", "-o", "json"},
			wantOut:   strings.ReplaceAll(webPolicyJSON, "\n  ", "\n") + "\n",
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByPID(1234)}},
		},
		{
			name:       "policy alone shows help",
			args:       []string{"policy"},
			wantOut:    "Show or change the restart policy of a service\n\nUsage:\n",
			wantPrefix: true,
		},
		{
			name:     "policy unknown subcommand",
			args:     []string{"policy", "get", "3"},
			wantCode: 2,
			wantErr:  "zlctl: unknown command \"get\" for \"zlctl policy\"; did you mean \"set\" or \"show\"?\nRun 'zlctl policy --help' for usage.\n",
		},

		// restart
		{
			name:      "restart by id",
			args:      []string{"restart", "3"},
			wantOut:   "restart of service 3 (web) requested\n",
			wantCalls: []cmdtest.Call{{Method: "Restart", Selector: libzl.ByID(3)}},
		},
		{
			name:      "restart by pid into another executable, json",
			args:      []string{"restart", "--pid", "1234", "--exec", "/usr/bin/web-2", "-o", "json"},
			wantOut:   webJSON,
			wantCalls: []cmdtest.Call{{Method: "Restart", Selector: libzl.ByPID(1234), Exe: "/usr/bin/web-2"}},
		},
		{
			name:      "restart a service without a name",
			args:      []string{"restart", "4"},
			fake:      cmdtest.FakeClient{Svc: &libzl.Service{ID: 4}},
			wantOut:   "restart of service 4 requested\n",
			wantCalls: []cmdtest.Call{{Method: "Restart", Selector: libzl.ByID(4)}},
		},
		{
			name:      "restart pending",
			args:      []string{"restart", "3"},
			fake:      cmdtest.FakeClient{Err: kernelErr("restart", unix.EBUSY, "a restart of service 3 is pending already")},
			wantCode:  1,
			wantErr:   "zlctl: a restart of service 3 is pending already\n",
			wantCalls: []cmdtest.Call{{Method: "Restart", Selector: libzl.ByID(3)}},
		},
		{
			name:      "restart into a missing executable",
			args:      []string{"restart", "3", "--exec", "/nonexistent"},
			fake:      cmdtest.FakeClient{Err: kernelErr("restart", unix.ENOENT, "cannot find executable /nonexistent (error -2)")},
			wantCode:  1,
			wantErr:   "zlctl: cannot find executable /nonexistent (error -2)\n",
			wantCalls: []cmdtest.Call{{Method: "Restart", Selector: libzl.ByID(3), Exe: "/nonexistent"}},
		},
		{
			name:      "restart not permitted",
			args:      []string{"restart", "1"},
			fake:      cmdtest.FakeClient{Err: kernelErr("restart", unix.EPERM, "not permitted to restart service 1")},
			wantCode:  1,
			wantErr:   "zlctl: not permitted to restart service 1 (you must own the process or have CAP_SYS_ADMIN)\n",
			wantCalls: []cmdtest.Call{{Method: "Restart", Selector: libzl.ByID(1)}},
		},
		{
			name:     "restart nothing",
			args:     []string{"restart", "--exec", "/usr/bin/web"},
			wantCode: 2,
			wantErr:  "zlctl: give a service ID or --pid\nRun 'zlctl restart --help' for usage.\n",
		},
		{
			name:     "restart into an empty path",
			args:     []string{"restart", "3", "--exec", ""},
			wantCode: 2,
			wantErr:  "zlctl: invalid --exec: give the path of an executable\nRun 'zlctl restart --help' for usage.\n",
		},

		// events
		{
			name: "events until interrupted",
			args: []string{"events"},
			monitor: &cmdtest.FakeMonitor{Interrupt: true, Items: []cmdtest.MonitorItem{
				{Event: &libzl.Event{
					Kind: libzl.EventFault, ID: 3, PID: 1234, Name: "web", Time: cmdtest.Uptime - 2*time.Second,
					Fault: &libzl.Fault{ExitCode: 2},
				}},
				{Err: fmt.Errorf("%w (no buffer space available)", libzl.ErrEventsLost)},
				{Event: &libzl.Event{
					Kind: libzl.EventRestart, ID: 3, PID: 1234, Name: "web", Incarnation: 1, Time: cmdtest.Uptime - time.Second,
					Fault: &libzl.Fault{ExitCode: 2}, Cause: libzl.CauseFault, Latency: 2 * time.Millisecond, Retained: 4,
				}},
			}},
			wantOut: "2026-11-22T14:13:34.000000Z service 3 (web) pid 1234: fault, incarnation 0, exit 2\n" +
				"2026-11-22T14:13:35.000000Z service 3 (web) pid 1234: restart, incarnation 1, cause fault (exit 2), latency 2ms, kept 4\n",
			wantErr: "zlctl: events lost: zlctl read them too slowly (the counters of 'zlctl list' are complete)\n",
		},
		{
			name: "events of replay overflows",
			args: []string{"events", "--count", "2"},
			monitor: &cmdtest.FakeMonitor{Items: []cmdtest.MonitorItem{
				{Event: &libzl.Event{
					Kind: libzl.EventReplayOverflow, ID: 3, PID: 1234, Name: "web", Incarnation: 2, Time: cmdtest.Uptime - time.Second,
					StreamKind: libzl.StreamTCP, StreamIno: 12345, OverflowReason: libzl.OverflowServiceLimit, ReplayLimit: 1 << 20,
				}},
				{Event: &libzl.Event{
					Kind: libzl.EventReplayOverflow, ID: 4, PID: 77, Name: "db", Time: cmdtest.Uptime,
					StreamKind: libzl.StreamPipe, StreamIno: 678, OverflowReason: libzl.OverflowGlobalLimit, ReplayLimit: 64 << 20,
				}},
			}},
			wantOut: "2026-11-22T14:13:35.000000Z service 3 (web) pid 1234: replay-overflow, incarnation 2, tcp socket:[12345], reason service-limit, limit 1MiB\n" +
				"2026-11-22T14:13:36.000000Z service 4 (db) pid 77: replay-overflow, incarnation 0, pipe:[678], reason global-limit, limit 64MiB\n",
		},
		{
			name: "events of replay overflows, json",
			args: []string{"events", "-n", "1", "-o", "json"},
			monitor: &cmdtest.FakeMonitor{Items: []cmdtest.MonitorItem{
				{Event: &libzl.Event{
					Kind: libzl.EventReplayOverflow, ID: 3, PID: 1234, Name: "web", Incarnation: 2, Time: cmdtest.Uptime,
					StreamKind: libzl.StreamUnix, StreamIno: 12345, OverflowReason: libzl.OverflowNoMem, ReplayLimit: 1 << 20,
				}},
			}},
			wantOut: `{"time":"2026-11-22T14:13:36Z","time_ns":7200000000000,"event":"replay-overflow","id":3,"name":"web","pid":1234,"incarnation":2,` +
				`"stream_kind":"unix","stream_ino":12345,"overflow_reason":"nomem","replay_limit":1048576}` + "\n",
		},
		{
			name: "events of a service until it exits",
			args: []string{"events", "3", "-o", "json"},
			monitor: &cmdtest.FakeMonitor{Items: []cmdtest.MonitorItem{
				{Event: &libzl.Event{Kind: libzl.EventExit, ID: 4, Name: "db", Time: cmdtest.Uptime}},
				{Event: &libzl.Event{Kind: libzl.EventExit, ID: 3, PID: 1234, Name: "web", Time: cmdtest.Uptime, ExitStatus: 1 << 8}},
			}},
			wantOut: `{"time":"2026-11-22T14:13:36Z","time_ns":7200000000000,"event":"exit","id":3,"name":"web","pid":1234,"incarnation":0,` +
				`"exit":{"status":256,"code":1,"signal":"","core_dumped":false}}` + "\n",
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByID(3)}},
		},
		{
			name:     "events without zlr",
			args:     []string{"events"},
			monitor:  &cmdtest.FakeMonitor{DialErr: fmt.Errorf("dial: %w", libzl.ErrNotSupported)},
			wantCode: 1,
			wantErr:  "zlctl: this kernel has no zlr support: apply linux-patches/ and build with CONFIG_ZLR=y\n",
		},
		{
			name:      "events of an unknown pid",
			args:      []string{"events", "--pid", "5"},
			monitor:   &cmdtest.FakeMonitor{},
			fake:      cmdtest.FakeClient{Err: kernelErr("get", unix.ENOENT, "pid 5 is not registered")},
			wantCode:  1,
			wantErr:   "zlctl: pid 5 is not registered\n",
			wantCalls: []cmdtest.Call{{Method: "Service", Selector: libzl.ByPID(5)}},
		},
		{
			name:     "events with a bad count",
			args:     []string{"events", "--count", "0"},
			wantCode: 2,
			wantErr:  "zlctl: invalid --count 0: want a number of events from 1 up\nRun 'zlctl events --help' for usage.\n",
		},

		// stats
		{
			name: "stats",
			args: []string{"stats"},
			fake: cmdtest.FakeClient{Totals: &libzl.Stats{
				Services: 2, ReplayHeld: 1500, ReplayLimit: 64 << 20, ReplayStreams: 2,
				Replays: 1, ReplayBytes: 4096, ReplayOverflows: 3,
			}},
			wantOut: `services:         2
replay held:      1500B
replay limit:     64MiB
replay streams:   2
replays:          1
replayed bytes:   4KiB
replay overflows: 3
`,
			wantCalls: []cmdtest.Call{{Method: "Stats"}},
		},
		{
			name: "stats json",
			args: []string{"stats", "-o", "json"},
			fake: cmdtest.FakeClient{Totals: &libzl.Stats{
				Services: 2, ReplayHeld: 1500, ReplayLimit: 64 << 20, ReplayStreams: 2,
				Replays: 1, ReplayBytes: 4096, ReplayOverflows: 3,
			}},
			wantOut: `{
  "services": 2,
  "replay_held": 1500,
  "replay_limit": 67108864,
  "replay_streams": 2,
  "replays": 1,
  "replay_bytes": 4096,
  "replay_overflows": 3
}
`,
			wantCalls: []cmdtest.Call{{Method: "Stats"}},
		},
		{
			name:      "stats on a kernel whose zlr lacks the command",
			args:      []string{"stats"},
			fake:      cmdtest.FakeClient{Err: kernelErr("stats", unix.EOPNOTSUPP, "")},
			wantCode:  1,
			wantErr:   "zlctl: this kernel's zlr has no stats command: build it from the current linux-patches/\n",
			wantCalls: []cmdtest.Call{{Method: "Stats"}},
		},
		{
			name:     "stats without zlr",
			args:     []string{"stats"},
			dialErr:  fmt.Errorf("dial: %w", libzl.ErrNotSupported),
			wantCode: 1,
			wantErr:  "zlctl: this kernel has no zlr support: apply linux-patches/ and build with CONFIG_ZLR=y\n",
		},
		{
			name:     "stats with an argument",
			args:     []string{"stats", "3"},
			wantCode: 2,
			wantErr:  "zlctl: unexpected argument \"3\"\nRun 'zlctl stats --help' for usage.\n",
		},
		{
			name:     "stats with a flag of another command",
			args:     []string{"stats", "--pid", "3"},
			wantCode: 2,
			wantErr:  "zlctl: unknown flag: --pid\nRun 'zlctl stats --help' for usage.\n",
		},

		// global
		{
			name:     "unknown command",
			args:     []string{"shwo", "3"},
			wantCode: 2,
			wantErr:  "zlctl: unknown command \"shwo\" for \"zlctl\"; did you mean \"show\"?\nRun 'zlctl --help' for usage.\n",
		},
		{
			name:     "unknown command without a suggestion",
			args:     []string{"frobnicate"},
			wantCode: 2,
			wantErr:  "zlctl: unknown command \"frobnicate\" for \"zlctl\"\nRun 'zlctl --help' for usage.\n",
		},
		{
			name:     "bad output format",
			args:     []string{"list", "-o", "yaml"},
			wantCode: 2,
			wantErr:  "zlctl: invalid argument \"yaml\" for \"-o, --output\" flag: want table or json\nRun 'zlctl list --help' for usage.\n",
		},
		{
			name:       "help",
			args:       []string{"--help"},
			wantOut:    "zlctl registers processes",
			wantPrefix: true,
		},
		{
			name:       "completion bash",
			args:       []string{"completion", "bash"},
			wantOut:    "# bash completion V2 for zlctl",
			wantPrefix: true,
		},
		{
			name:       "completion zsh",
			args:       []string{"completion", "zsh"},
			wantOut:    "#compdef zlctl",
			wantPrefix: true,
		},
		{
			name:       "completion fish",
			args:       []string{"completion", "fish"},
			wantOut:    "# fish completion for zlctl",
			wantPrefix: true,
		},
		{
			name:     "completion without a shell",
			args:     []string{"completion"},
			wantCode: 2,
			wantErr:  "zlctl: give one shell: bash, zsh or fish\nRun 'zlctl completion --help' for usage.\n",
		},
		{
			name:     "completion of an unknown shell",
			args:     []string{"completion", "tcsh"},
			wantCode: 2,
			wantErr:  "zlctl: unsupported shell \"tcsh\": want bash, zsh or fish\nRun 'zlctl completion --help' for usage.\n",
		},
		{
			name:      "other errors are printed as they are",
			args:      []string{"list"},
			fake:      cmdtest.FakeClient{Err: errors.New("zlr get: decode service: attribute too short")},
			wantCode:  1,
			wantErr:   "zlctl: zlr get: decode service: attribute too short\n",
			wantCalls: []cmdtest.Call{{Method: "Services"}},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := tt.fake
			if fc.Svc == nil {
				fc.Svc = web()
			}
			if fc.List == nil {
				fc.List = []*libzl.Service{web(), db()}
			}
			f, stdout, stderr := cmdtest.Factory(&fc, tt.dialErr, tt.term)
			fe := &cmdtest.FakeExec{Err: tt.execErr}
			f.Exec = fe.Exec
			if tt.monitor != nil {
				f.Monitor, f.Interrupts = tt.monitor.Dial, tt.monitor.Interrupts
			}

			code := Main(tt.args, f)

			if code != tt.wantCode {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.wantCode, stderr)
			}
			gotOut := stdout.String()
			if tt.wantPrefix {
				if !strings.HasPrefix(gotOut, tt.wantOut) {
					t.Errorf("stdout does not start with %q:\n%s", tt.wantOut, gotOut)
				}
			} else if diff := cmp.Diff(tt.wantOut, gotOut); diff != "" {
				t.Errorf("stdout (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantErr, stderr.String()); diff != "" {
				t.Errorf("stderr (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCalls, fc.Calls); diff != "" {
				t.Errorf("client calls (-want +got):\n%s", diff)
			}
			if len(fc.Calls) > 0 && !fc.Closed {
				t.Errorf("client not closed")
			}
			if tt.monitor != nil && tt.monitor.Dialed() && !tt.monitor.Closed() {
				t.Errorf("monitor not closed")
			}
			if diff := cmp.Diff(tt.wantExec, fe.Calls, cmpopts.IgnoreFields(cmdtest.ExecCall{}, "Env")); diff != "" {
				t.Errorf("exec calls (-want +got):\n%s", diff)
			}
		})
	}
}
