//go:build linux

package libzl

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	nl "github.com/zl-dev/zl/libzl/internal/zlrnl"
)

func ptr[T any](v T) *T { return &v }

// webAttrs is a service message as the kernel sends it, with the NLA_UINT
// counters in both of their sizes.
var webAttrs = cat(
	nla(nl.ZLR_A_SERVICE_ID, u32(3)),
	nla(nl.ZLR_A_SERVICE_PID, u32(1234)),
	nla(nl.ZLR_A_SERVICE_NAME, str("web")),
	nla(nl.ZLR_A_SERVICE_UID, u32(1000)),
	nest(nl.ZLR_A_SERVICE_POLICY,
		nla(nl.ZLR_A_POLICY_FAULT_SIGNALS, u32(1<<4|1<<6|1<<7|1<<8|1<<11|1<<31)),
		nla(nl.ZLR_A_POLICY_FAULT_EXIT_CODES, []byte{3, 2}),
		nla(nl.ZLR_A_POLICY_MAX_RESTARTS, u32(5)),
		nla(nl.ZLR_A_POLICY_WINDOW_MS, u32(60000)),
		nla(nl.ZLR_A_POLICY_BACKOFF_MS, u32(250)),
		nla(nl.ZLR_A_POLICY_MIN_UPTIME_MS, u32(0)),
		nla(nl.ZLR_A_POLICY_REPLAY_LIMIT, u32(1<<20)),
		nla(nl.ZLR_A_POLICY_FLAGS, u32(nl.ZLR_POLICY_FLAGS_REPLAY|nl.ZLR_POLICY_FLAGS_DEDUP)),
	),
	nla(nl.ZLR_A_SERVICE_INCARNATION, u32(2)),
	nla(nl.ZLR_A_SERVICE_FAULTS, u32(3)),
	nla(nl.ZLR_A_SERVICE_RESTARTS, u64(2)),
	nla(nl.ZLR_A_SERVICE_GIVEUPS, u64(1<<40)),
	nla(nl.ZLR_A_SERVICE_REG_TIME, u64(uint64(90*time.Second))),
	nla(nl.ZLR_A_SERVICE_EXE, str("/usr/bin/web")),
	nest(nl.ZLR_A_SERVICE_LAST_FAULT,
		nla(nl.ZLR_A_FAULT_SIGNAL, u32(uint32(syscall.SIGSEGV))),
		nla(nl.ZLR_A_FAULT_EXIT_CODE, u32(0)),
		nla(nl.ZLR_A_FAULT_CODE, u32(1)),
		nla(nl.ZLR_A_FAULT_ADDR, u32(0)),
		nla(nl.ZLR_A_FAULT_IP, u64(0x7f12_3456_7890)),
		nla(nl.ZLR_A_FAULT_TIME, u64(uint64(95*time.Second))),
	),
	nla(nl.ZLR_A_SERVICE_RETAINED, u32(5)),
	nla(nl.ZLR_A_SERVICE_RETAINED_FDS, u32s(0, 1, 2, 5, 7)),
	nla(nl.ZLR_A_SERVICE_REPLAY_HELD, u32(1500)),
	nla(nl.ZLR_A_SERVICE_REPLAY_STREAMS, u32(4)),
	nla(nl.ZLR_A_SERVICE_REPLAYS, u64(2)),
	nla(nl.ZLR_A_SERVICE_REPLAY_BYTES, u64(1<<33)),
	nla(nl.ZLR_A_SERVICE_REPLAY_OVERFLOWS, u32(1)),
)

// web is webAttrs decoded.
var web = &Service{
	ID:   3,
	PID:  1234,
	Name: "web",
	UID:  1000,
	Policy: Policy{
		FaultSignals: []syscall.Signal{
			syscall.SIGILL, syscall.SIGABRT, syscall.SIGBUS, syscall.SIGFPE, syscall.SIGSEGV, syscall.SIGSYS,
		},
		FaultExitCodes: []uint8{2, 3},
		MaxRestarts:    5,
		Window:         time.Minute,
		Backoff:        250 * time.Millisecond,
		ReplayLimit:    1 << 20,
		Flags:          FlagReplay | FlagDedup,
	},
	Incarnation: 2,
	Faults:      3,
	Restarts:    2,
	GiveUps:     1 << 40,
	Registered:  90 * time.Second,
	Exe:         "/usr/bin/web",
	LastFault: &Fault{
		Signal: syscall.SIGSEGV,
		Code:   1,
		IP:     0x7f12_3456_7890,
		Time:   95 * time.Second,
	},
	Retained:    5,
	RetainedFDs: []int{0, 1, 2, 5, 7},
	Replay:      ReplayStats{Held: 1500, Streams: 4, Replays: 2, Bytes: 1 << 33, Overflows: 1},
}

// statsAttrs is a stats message as the kernel sends it, with the NLA_UINT
// counters in both of their sizes.
var statsAttrs = cat(
	nla(nl.ZLR_A_STATS_SERVICES, u32(3)),
	nla(nl.ZLR_A_STATS_REPLAY_HELD, u32(70000)),
	nla(nl.ZLR_A_STATS_REPLAY_LIMIT, u64(1<<32)),
	nla(nl.ZLR_A_STATS_REPLAY_STREAMS, u32(12)),
	nla(nl.ZLR_A_STATS_REPLAYS, u64(5)),
	nla(nl.ZLR_A_STATS_REPLAY_BYTES, u32(9000)),
	nla(nl.ZLR_A_STATS_REPLAY_OVERFLOWS, u64(1<<40)),
)

// stats is statsAttrs decoded.
var stats = &Stats{
	Services:        3,
	ReplayHeld:      70000,
	ReplayLimit:     1 << 32,
	ReplayStreams:   12,
	Replays:         5,
	ReplayBytes:     9000,
	ReplayOverflows: 1 << 40,
}

// dbAttrs is a second, minimal service message.
var dbAttrs = cat(
	nla(nl.ZLR_A_SERVICE_ID, u32(4)),
	nla(nl.ZLR_A_SERVICE_PID, u32(77)),
	nla(nl.ZLR_A_SERVICE_NAME, str("db")),
)

var db = &Service{ID: 4, PID: 77, Name: "db"}

func TestClientRequests(t *testing.T) {
	reply := func(data []byte) []genetlink.Message {
		return []genetlink.Message{{Header: genetlink.Header{Command: nl.ZLR_CMD_GET, Version: 1}, Data: data}}
	}

	tests := []struct {
		name  string
		call  func(c *Client) (any, error)
		cmd   uint8
		flags netlink.HeaderFlags
		attrs []byte
		reply []genetlink.Message
		want  any
	}{
		{
			name: "register self",
			call: func(c *Client) (any, error) { return c.Register(Registration{}) },
			cmd:  nl.ZLR_CMD_REGISTER, flags: netlink.Request,
			attrs: cat(),
			reply: reply(webAttrs),
			want:  web,
		},
		{
			name: "register pid and name",
			call: func(c *Client) (any, error) { return c.Register(Registration{PID: 1234, Name: "web"}) },
			cmd:  nl.ZLR_CMD_REGISTER, flags: netlink.Request,
			attrs: cat(
				nla(nl.ZLR_A_SERVICE_PID, u32(1234)),
				nla(nl.ZLR_A_SERVICE_NAME, str("web")),
			),
			reply: reply(webAttrs),
			want:  web,
		},
		{
			name: "register with part of a policy",
			call: func(c *Client) (any, error) {
				return c.Register(Registration{PID: 1234, Policy: PolicyConfig{
					MaxRestarts: ptr[uint32](3),
					Window:      ptr(30 * time.Second),
				}})
			},
			cmd: nl.ZLR_CMD_REGISTER, flags: netlink.Request,
			attrs: cat(
				nla(nl.ZLR_A_SERVICE_PID, u32(1234)),
				nest(nl.ZLR_A_SERVICE_POLICY,
					nla(nl.ZLR_A_POLICY_MAX_RESTARTS, u32(3)),
					nla(nl.ZLR_A_POLICY_WINDOW_MS, u32(30000)),
				),
			),
			reply: reply(webAttrs),
			want:  web,
		},
		{
			name: "unregister by pid",
			call: func(c *Client) (any, error) { return nil, c.Unregister(ByPID(1234)) },
			cmd:  nl.ZLR_CMD_UNREGISTER, flags: netlink.Request | netlink.Acknowledge,
			attrs: cat(nla(nl.ZLR_A_SERVICE_PID, u32(1234))),
		},
		{
			name: "unregister by id and pid",
			call: func(c *Client) (any, error) { return nil, c.Unregister(Selector{ID: 3, PID: 1234}) },
			cmd:  nl.ZLR_CMD_UNREGISTER, flags: netlink.Request | netlink.Acknowledge,
			attrs: cat(
				nla(nl.ZLR_A_SERVICE_ID, u32(3)),
				nla(nl.ZLR_A_SERVICE_PID, u32(1234)),
			),
		},
		{
			name: "get by id",
			call: func(c *Client) (any, error) { return c.Service(ByID(3)) },
			cmd:  nl.ZLR_CMD_GET, flags: netlink.Request,
			attrs: cat(nla(nl.ZLR_A_SERVICE_ID, u32(3))),
			reply: reply(webAttrs),
			want:  web,
		},
		{
			name:  "dump",
			call:  func(c *Client) (any, error) { return c.Services() },
			cmd:   nl.ZLR_CMD_GET,
			flags: netlink.Request | netlink.Dump,
			attrs: cat(),
			reply: append(reply(webAttrs), reply(dbAttrs)...),
			want:  []*Service{web, db},
		},
		{
			name:  "empty dump",
			call:  func(c *Client) (any, error) { return c.Services() },
			cmd:   nl.ZLR_CMD_GET,
			flags: netlink.Request | netlink.Dump,
			attrs: cat(),
			want:  []*Service{},
		},
		{
			name: "set-policy with nothing set",
			call: func(c *Client) (any, error) { return c.SetPolicy(ByID(3), PolicyConfig{}) },
			cmd:  nl.ZLR_CMD_SET_POLICY, flags: netlink.Request,
			attrs: cat(
				nla(nl.ZLR_A_SERVICE_ID, u32(3)),
				nest(nl.ZLR_A_SERVICE_POLICY),
			),
			reply: reply(webAttrs),
			want:  web,
		},
		{
			name: "set-policy no signals, clear exit codes",
			call: func(c *Client) (any, error) {
				return c.SetPolicy(ByPID(1234), PolicyConfig{
					FaultSignals:   []syscall.Signal{},
					FaultExitCodes: []uint8{},
				})
			},
			cmd: nl.ZLR_CMD_SET_POLICY, flags: netlink.Request,
			attrs: cat(
				nla(nl.ZLR_A_SERVICE_PID, u32(1234)),
				nest(nl.ZLR_A_SERVICE_POLICY,
					nla(nl.ZLR_A_POLICY_FAULT_SIGNALS, u64(0)),
					nla(nl.ZLR_A_POLICY_FAULT_EXIT_CODES),
				),
			),
			reply: reply(dbAttrs),
			want:  db,
		},
		{
			name: "set-policy everything",
			call: func(c *Client) (any, error) {
				return c.SetPolicy(Selector{ID: 3, PID: 1234}, PolicyConfig{
					FaultSignals:   []syscall.Signal{syscall.SIGSEGV, syscall.SIGABRT},
					FaultExitCodes: []uint8{2, 70, 3},
					MaxRestarts:    ptr[uint32](0),
					Window:         ptr(24 * time.Hour),
					Backoff:        ptr(1500 * time.Millisecond),
					MinUptime:      ptr(time.Duration(0)),
					ReplayLimit:    ptr[uint32](64 << 10),
					Flags:          ptr(FlagDedup),
				})
			},
			cmd: nl.ZLR_CMD_SET_POLICY, flags: netlink.Request,
			attrs: cat(
				nla(nl.ZLR_A_SERVICE_ID, u32(3)),
				nla(nl.ZLR_A_SERVICE_PID, u32(1234)),
				nest(nl.ZLR_A_SERVICE_POLICY,
					nla(nl.ZLR_A_POLICY_FAULT_SIGNALS, u64(1<<11|1<<6)),
					nla(nl.ZLR_A_POLICY_FAULT_EXIT_CODES, []byte{2, 70, 3}),
					nla(nl.ZLR_A_POLICY_MAX_RESTARTS, u32(0)),
					nla(nl.ZLR_A_POLICY_WINDOW_MS, u32(86400000)),
					nla(nl.ZLR_A_POLICY_BACKOFF_MS, u32(1500)),
					nla(nl.ZLR_A_POLICY_MIN_UPTIME_MS, u32(0)),
					nla(nl.ZLR_A_POLICY_REPLAY_LIMIT, u32(65536)),
					nla(nl.ZLR_A_POLICY_FLAGS, u32(nl.ZLR_POLICY_FLAGS_DEDUP)),
				),
			),
			reply: reply(webAttrs),
			want:  web,
		},
		{
			name: "restart by id",
			call: func(c *Client) (any, error) { return c.Restart(ByID(3), "") },
			cmd:  nl.ZLR_CMD_RESTART, flags: netlink.Request,
			attrs: cat(nla(nl.ZLR_A_SERVICE_ID, u32(3))),
			reply: reply(webAttrs),
			want:  web,
		},
		{
			name: "restart by pid into another executable",
			call: func(c *Client) (any, error) { return c.Restart(ByPID(1234), "/usr/bin/web-2") },
			cmd:  nl.ZLR_CMD_RESTART, flags: netlink.Request,
			attrs: cat(
				nla(nl.ZLR_A_SERVICE_PID, u32(1234)),
				nla(nl.ZLR_A_SERVICE_EXE, str("/usr/bin/web-2")),
			),
			reply: reply(webAttrs),
			want:  web,
		},
		{
			name: "restart by id and pid, relative exe left to the kernel",
			call: func(c *Client) (any, error) { return c.Restart(Selector{ID: 4, PID: 77}, "db") },
			cmd:  nl.ZLR_CMD_RESTART, flags: netlink.Request,
			attrs: cat(
				nla(nl.ZLR_A_SERVICE_ID, u32(4)),
				nla(nl.ZLR_A_SERVICE_PID, u32(77)),
				nla(nl.ZLR_A_SERVICE_EXE, str("db")),
			),
			reply: reply(dbAttrs),
			want:  db,
		},
		{
			name:  "ready",
			call:  func(c *Client) (any, error) { return c.Ready() },
			cmd:   nl.ZLR_CMD_READY,
			flags: netlink.Request,
			attrs: cat(),
			reply: reply(webAttrs),
			want:  web,
		},
		{
			name:  "commit",
			call:  func(c *Client) (any, error) { return nil, c.Commit(7) },
			cmd:   nl.ZLR_CMD_COMMIT,
			flags: netlink.Request | netlink.Acknowledge,
			attrs: cat(nla(nl.ZLR_A_SERVICE_FD, u32(7))),
		},
		{
			name:  "commit descriptor 0",
			call:  func(c *Client) (any, error) { return nil, c.Commit(0) },
			cmd:   nl.ZLR_CMD_COMMIT,
			flags: netlink.Request | netlink.Acknowledge,
			attrs: cat(nla(nl.ZLR_A_SERVICE_FD, u32(0))),
		},
		{
			name:  "stats",
			call:  func(c *Client) (any, error) { return c.Stats() },
			cmd:   nl.ZLR_CMD_STATS,
			flags: netlink.Request,
			attrs: cat(),
			reply: []genetlink.Message{{Header: genetlink.Header{Command: nl.ZLR_CMD_STATS, Version: 1}, Data: statsAttrs}},
			want:  stats,
		},
		{
			name:  "stats of a kernel with nothing registered",
			call:  func(c *Client) (any, error) { return c.Stats() },
			cmd:   nl.ZLR_CMD_STATS,
			flags: netlink.Request,
			attrs: cat(),
			reply: []genetlink.Message{{Header: genetlink.Header{Command: nl.ZLR_CMD_STATS, Version: 1}, Data: cat(
				nla(nl.ZLR_A_STATS_SERVICES, u32(0)),
				nla(nl.ZLR_A_STATS_REPLAY_LIMIT, u32(64<<20)),
			)}},
			want: &Stats{ReplayLimit: 64 << 20},
		},
		{
			name: "set-policy flags off",
			call: func(c *Client) (any, error) {
				return c.SetPolicy(ByID(3), PolicyConfig{Flags: ptr(PolicyFlags(0))})
			},
			cmd: nl.ZLR_CMD_SET_POLICY, flags: netlink.Request,
			attrs: cat(
				nla(nl.ZLR_A_SERVICE_ID, u32(3)),
				nest(nl.ZLR_A_SERVICE_POLICY, nla(nl.ZLR_A_POLICY_FLAGS, u32(0))),
			),
			reply: reply(webAttrs),
			want:  web,
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			c := testClient(t, genltest.CheckRequest(testFamily.ID, tt.cmd, tt.flags,
				func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
					calls++
					if greq.Header.Version != nl.ZLR_FAMILY_VERSION {
						t.Errorf("version = %d, want %d", greq.Header.Version, nl.ZLR_FAMILY_VERSION)
					}
					if diff := cmp.Diff(tt.attrs, greq.Data); diff != "" {
						t.Errorf("attributes sent (-want +got):\n%s", diff)
					}
					return tt.reply, nil
				}))

			got, err := tt.call(c)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if calls != 1 {
				t.Errorf("kernel saw %d requests, want 1", calls)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("result (-want +got):\n%s", diff)
			}
		})
	}
}

func TestClientKernelErrors(t *testing.T) {
	tests := []struct {
		name     string
		call     func(c *Client) error
		refusal  error
		wantText string
		wantMsg  string
		is       []error
		isNot    []error
	}{
		{
			name:     "no such process",
			call:     func(c *Client) error { _, err := c.Register(Registration{PID: 99999}); return err },
			refusal:  refuse(unix.ESRCH, "no process with pid 99999"),
			wantText: "zlr register: no process with pid 99999",
			wantMsg:  "no process with pid 99999",
			is:       []error{os.ErrNotExist, unix.ESRCH},
			isNot:    []error{os.ErrPermission, unix.EINVAL},
		},
		{
			name:     "not permitted",
			call:     func(c *Client) error { _, err := c.Register(Registration{PID: 1}); return err },
			refusal:  refuse(unix.EPERM, "not permitted to register pid 1"),
			wantText: "zlr register: not permitted to register pid 1",
			wantMsg:  "not permitted to register pid 1",
			is:       []error{os.ErrPermission, unix.EPERM},
			isNot:    []error{os.ErrNotExist},
		},
		{
			name:     "already registered",
			call:     func(c *Client) error { _, err := c.Register(Registration{PID: 42}); return err },
			refusal:  refuse(unix.EEXIST, "pid 42 is already registered as service 3"),
			wantText: "zlr register: pid 42 is already registered as service 3",
			wantMsg:  "pid 42 is already registered as service 3",
			is:       []error{unix.EEXIST, os.ErrExist},
			isNot:    []error{os.ErrNotExist, os.ErrPermission},
		},
		{
			name:     "no such service",
			call:     func(c *Client) error { _, err := c.Service(ByID(7)); return err },
			refusal:  refuse(unix.ENOENT, "no service with id 7"),
			wantText: "zlr get: no service with id 7",
			wantMsg:  "no service with id 7",
			is:       []error{os.ErrNotExist, unix.ENOENT},
		},
		{
			name:     "not registered",
			call:     func(c *Client) error { return c.Unregister(ByPID(5)) },
			refusal:  refuse(unix.ENOENT, "pid 5 is not registered"),
			wantText: "zlr unregister: pid 5 is not registered",
			wantMsg:  "pid 5 is not registered",
			is:       []error{os.ErrNotExist, unix.ENOENT},
		},
		{
			name: "out of range",
			call: func(c *Client) error {
				_, err := c.SetPolicy(ByID(3), PolicyConfig{Window: ptr(25 * time.Hour)})
				return err
			},
			refusal:  refuse(unix.ERANGE, "window-ms 90000000 out of range 1-86400000"),
			wantText: "zlr set-policy: window-ms 90000000 out of range 1-86400000",
			wantMsg:  "window-ms 90000000 out of range 1-86400000",
			is:       []error{unix.ERANGE},
			isNot:    []error{os.ErrNotExist, os.ErrPermission, unix.EINVAL},
		},
		{
			name: "bad signal",
			call: func(c *Client) error {
				_, err := c.SetPolicy(ByID(3), PolicyConfig{FaultSignals: []syscall.Signal{syscall.SIGKILL}})
				return err
			},
			refusal:  refuse(unix.EINVAL, "signal 9 cannot be a fault signal (allowed: ILL TRAP ABRT BUS FPE SEGV SYS)"),
			wantText: "zlr set-policy: signal 9 cannot be a fault signal (allowed: ILL TRAP ABRT BUS FPE SEGV SYS)",
			wantMsg:  "signal 9 cannot be a fault signal (allowed: ILL TRAP ABRT BUS FPE SEGV SYS)",
			is:       []error{unix.EINVAL},
		},
		{
			name:     "restart into a relative path",
			call:     func(c *Client) error { _, err := c.Restart(ByID(3), "bin/web"); return err },
			refusal:  refuse(unix.EINVAL, "executable path must be absolute"),
			wantText: "zlr restart: executable path must be absolute",
			wantMsg:  "executable path must be absolute",
			is:       []error{unix.EINVAL},
			isNot:    []error{os.ErrNotExist, os.ErrPermission},
		},
		{
			name:     "restart into a missing executable",
			call:     func(c *Client) error { _, err := c.Restart(ByID(3), "/nonexistent"); return err },
			refusal:  refuse(unix.ENOENT, "cannot find executable /nonexistent (error -2)"),
			wantText: "zlr restart: cannot find executable /nonexistent (error -2)",
			wantMsg:  "cannot find executable /nonexistent (error -2)",
			is:       []error{unix.ENOENT, os.ErrNotExist},
		},
		{
			name:     "restart pending",
			call:     func(c *Client) error { _, err := c.Restart(ByPID(1234), ""); return err },
			refusal:  refuse(unix.EBUSY, "a restart of service 3 is pending already"),
			wantText: "zlr restart: a restart of service 3 is pending already",
			wantMsg:  "a restart of service 3 is pending already",
			is:       []error{unix.EBUSY},
			isNot:    []error{os.ErrNotExist, os.ErrPermission},
		},
		{
			name:     "restart not permitted",
			call:     func(c *Client) error { _, err := c.Restart(ByID(1), ""); return err },
			refusal:  refuse(unix.EPERM, "not permitted to restart service 1"),
			wantText: "zlr restart: not permitted to restart service 1",
			wantMsg:  "not permitted to restart service 1",
			is:       []error{unix.EPERM, os.ErrPermission},
		},
		{
			name:     "ready from a process that is not a service",
			call:     func(c *Client) error { _, err := c.Ready(); return err },
			refusal:  refuse(unix.ENOENT, "the calling process is not a registered service"),
			wantText: "zlr ready: the calling process is not a registered service",
			wantMsg:  "the calling process is not a registered service",
			is:       []error{unix.ENOENT, os.ErrNotExist},
		},
		{
			name:     "commit from a process that is not a service",
			call:     func(c *Client) error { return c.Commit(3) },
			refusal:  refuse(unix.ENOENT, "the calling process is not a registered service"),
			wantText: "zlr commit: the calling process is not a registered service",
			wantMsg:  "the calling process is not a registered service",
			is:       []error{unix.ENOENT, os.ErrNotExist},
			isNot:    []error{os.ErrPermission, ErrNotSupported},
		},
		{
			name:     "commit a descriptor that is not open",
			call:     func(c *Client) error { return c.Commit(99) },
			refusal:  refuse(unix.EBADF, "descriptor 99 is not open"),
			wantText: "zlr commit: descriptor 99 is not open",
			wantMsg:  "descriptor 99 is not open",
			is:       []error{unix.EBADF},
			isNot:    []error{os.ErrNotExist, os.ErrPermission},
		},
		{
			name:     "commit on a kernel whose zlr predates it",
			call:     func(c *Client) error { return c.Commit(3) },
			refusal:  refuse(unix.EOPNOTSUPP, ""),
			wantText: "zlr commit: operation not supported",
			is:       []error{unix.EOPNOTSUPP},
			isNot:    []error{os.ErrNotExist},
		},
		{
			name:     "stats on a kernel whose zlr predates it",
			call:     func(c *Client) error { _, err := c.Stats(); return err },
			refusal:  refuse(unix.EOPNOTSUPP, ""),
			wantText: "zlr stats: operation not supported",
			is:       []error{unix.EOPNOTSUPP},
		},
		{
			name:     "dump refused",
			call:     func(c *Client) error { _, err := c.Services(); return err },
			refusal:  refuse(unix.EPERM, ""),
			wantText: "zlr get: operation not permitted",
			is:       []error{os.ErrPermission, unix.EPERM},
		},
		{
			name:     "no message",
			call:     func(c *Client) error { _, err := c.Service(ByPID(5)); return err },
			refusal:  refuse(unix.ESRCH, ""),
			wantText: "zlr get: no such process",
			is:       []error{os.ErrNotExist, unix.ESRCH},
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				return nil, tt.refusal
			})
			err := tt.call(c)
			if err == nil {
				t.Fatal("no error")
			}
			if got := err.Error(); got != tt.wantText {
				t.Errorf("Error() = %q, want %q", got, tt.wantText)
			}
			var zerr *Error
			if !errors.As(err, &zerr) {
				t.Fatalf("error %T is not an *Error", err)
			}
			if zerr.Message != tt.wantMsg {
				t.Errorf("Message = %q, want %q", zerr.Message, tt.wantMsg)
			}
			var oerr *netlink.OpError
			if !errors.As(err, &oerr) {
				t.Errorf("error does not wrap a *netlink.OpError")
			}
			for _, target := range tt.is {
				if !errors.Is(err, target) {
					t.Errorf("errors.Is(err, %v) = false, want true", target)
				}
			}
			for _, target := range tt.isNot {
				if errors.Is(err, target) {
					t.Errorf("errors.Is(err, %v) = true, want false", target)
				}
			}
		})
	}
}

func TestClientRefusesBeforeSending(t *testing.T) {
	tests := []struct {
		name string
		call func(c *Client) error
		want string
	}{
		{
			name: "empty selector",
			call: func(c *Client) error { _, err := c.Service(Selector{}); return err },
			want: "zlr get: a service must be chosen by id or pid",
		},
		{
			name: "unregister nothing",
			call: func(c *Client) error { return c.Unregister(Selector{}) },
			want: "zlr unregister: a service must be chosen by id or pid",
		},
		{
			name: "restart nothing",
			call: func(c *Client) error { _, err := c.Restart(Selector{}, "/usr/bin/web"); return err },
			want: "zlr restart: a service must be chosen by id or pid",
		},
		{
			name: "restart into a path with NUL",
			call: func(c *Client) error { _, err := c.Restart(ByID(3), "/usr/bin/web\x00x"); return err },
			want: `zlr restart: executable path "/usr/bin/web\x00x" contains a NUL byte`,
		},
		{
			name: "restart negative pid",
			call: func(c *Client) error { _, err := c.Restart(ByPID(-4), ""); return err },
			want: "zlr restart: pid -4 out of range",
		},
		{
			name: "negative pid",
			call: func(c *Client) error { _, err := c.Register(Registration{PID: -1}); return err },
			want: "zlr register: pid -1 out of range",
		},
		{
			name: "pid too large",
			call: func(c *Client) error { return c.Unregister(ByPID(1 << 32)) },
			want: "zlr unregister: pid 4294967296 out of range",
		},
		{
			name: "long name",
			call: func(c *Client) error {
				_, err := c.Register(Registration{Name: strings.Repeat("x", 32)})
				return err
			},
			want: `zlr register: name "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx" is longer than 31 bytes`,
		},
		{
			name: "name with NUL",
			call: func(c *Client) error { _, err := c.Register(Registration{Name: "a\x00b"}); return err },
			want: `zlr register: name "a\x00b" contains a NUL byte`,
		},
		{
			name: "negative window",
			call: func(c *Client) error {
				_, err := c.SetPolicy(ByID(1), PolicyConfig{Window: ptr(-time.Second)})
				return err
			},
			want: "zlr set-policy: window -1s must not be negative",
		},
		{
			name: "fractional backoff",
			call: func(c *Client) error {
				_, err := c.Register(Registration{Policy: PolicyConfig{Backoff: ptr(1500 * time.Microsecond)}})
				return err
			},
			want: "zlr register: backoff 1.5ms is not a whole number of milliseconds",
		},
		{
			name: "min-uptime overflows u32",
			call: func(c *Client) error {
				_, err := c.SetPolicy(ByID(1), PolicyConfig{MinUptime: ptr(50 * 24 * time.Hour)})
				return err
			},
			want: "zlr set-policy: min-uptime 1200h0m0s is longer than 4294967295 ms",
		},
		{
			name: "signal beyond the mask",
			call: func(c *Client) error {
				_, err := c.SetPolicy(ByID(1), PolicyConfig{FaultSignals: []syscall.Signal{64}})
				return err
			},
			want: "zlr set-policy: signal 64 out of range 1-63",
		},
		{
			name: "commit a negative descriptor",
			call: func(c *Client) error { return c.Commit(-1) },
			want: "zlr commit: descriptor -1 out of range",
		},
		{
			name: "commit a descriptor beyond u32",
			call: func(c *Client) error { return c.Commit(1 << 32) },
			want: "zlr commit: descriptor 4294967296 out of range",
		},
		{
			name: "signal zero",
			call: func(c *Client) error {
				_, err := c.SetPolicy(ByID(1), PolicyConfig{FaultSignals: []syscall.Signal{0}})
				return err
			},
			want: "zlr set-policy: signal 0 out of range 1-63",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				t.Error("request sent to the kernel")
				return nil, refuse(unix.EINVAL, "")
			})
			err := tt.call(c)
			if err == nil {
				t.Fatal("no error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
			if !errors.Is(err, os.ErrInvalid) {
				t.Errorf("errors.Is(err, os.ErrInvalid) = false, want true")
			}
		})
	}
}

func TestParseService(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		want    *Service
		wantErr string
	}{
		{
			name: "empty",
			data: cat(),
			want: &Service{},
		},
		{
			name: "unknown attributes ignored",
			data: cat(
				nla(nl.ZLR_A_SERVICE_ID, u32(9)),
				nla(99, []byte{1, 2, 3}),
				nest(nl.ZLR_A_SERVICE_POLICY,
					nla(nl.ZLR_A_POLICY_MAX_RESTARTS, u32(7)),
					nla(42, u64(1)),
				),
				nla(nl.ZLR_A_SERVICE_MAX+1, u32(1)),
			),
			want: &Service{ID: 9, Policy: Policy{MaxRestarts: 7}},
		},
		{
			name: "uint of 4 and 8 bytes",
			data: cat(
				nla(nl.ZLR_A_SERVICE_FAULTS, u32(0xffffffff)),
				nla(nl.ZLR_A_SERVICE_RESTARTS, u64(1<<33)),
				nest(nl.ZLR_A_SERVICE_POLICY, nla(nl.ZLR_A_POLICY_FAULT_SIGNALS, u64(1<<11|1<<63))),
			),
			want: &Service{
				Faults:   0xffffffff,
				Restarts: 1 << 33,
				Policy:   Policy{FaultSignals: []syscall.Signal{syscall.SIGSEGV, 63}},
			},
		},
		{
			name: "no signals, empty exit codes",
			data: cat(nest(nl.ZLR_A_SERVICE_POLICY,
				nla(nl.ZLR_A_POLICY_FAULT_SIGNALS, u32(0)),
				nla(nl.ZLR_A_POLICY_FAULT_EXIT_CODES),
			)),
			want: &Service{},
		},
		{
			name: "name padded with NULs",
			data: cat(nla(nl.ZLR_A_SERVICE_NAME, []byte("db\x00\x00\x00"))),
			want: &Service{Name: "db"},
		},
		{
			name: "fault exit status",
			data: cat(
				nla(nl.ZLR_A_SERVICE_EXE, str("./api")),
				nest(nl.ZLR_A_SERVICE_LAST_FAULT,
					nla(nl.ZLR_A_FAULT_SIGNAL, u32(0)),
					nla(nl.ZLR_A_FAULT_EXIT_CODE, u32(2)),
					nla(nl.ZLR_A_FAULT_CODE, u32(0)),
					nla(nl.ZLR_A_FAULT_ADDR, u32(0)),
					nla(nl.ZLR_A_FAULT_IP, u32(0x401136)),
					nla(nl.ZLR_A_FAULT_TIME, u32(4000000000)),
				),
			),
			want: &Service{
				Exe:       "./api",
				LastFault: &Fault{ExitCode: 2, IP: 0x401136, Time: 4 * time.Second},
			},
		},
		{
			name: "fault uints of 8 bytes, negative code",
			data: cat(nest(nl.ZLR_A_SERVICE_LAST_FAULT,
				nla(nl.ZLR_A_FAULT_SIGNAL, u32(uint32(syscall.SIGABRT))),
				nla(nl.ZLR_A_FAULT_CODE, u32(0xfffffffa)),
				nla(nl.ZLR_A_FAULT_ADDR, u64(1<<63)),
				nla(nl.ZLR_A_FAULT_IP, u64(0xffff_ffff_ffff_fff0)),
				nla(nl.ZLR_A_FAULT_TIME, u64(1<<40)),
			)),
			want: &Service{LastFault: &Fault{
				Signal: syscall.SIGABRT,
				Code:   -6,
				Addr:   1 << 63,
				IP:     0xffff_ffff_ffff_fff0,
				Time:   1 << 40,
			}},
		},
		{
			name: "empty fault, unknown fault attributes ignored",
			data: cat(nest(nl.ZLR_A_SERVICE_LAST_FAULT,
				nla(nl.ZLR_A_FAULT_MAX+1, u64(7)),
				nla(0, []byte{}),
			)),
			want: &Service{LastFault: &Fault{}},
		},
		{
			name: "empty exe",
			data: cat(nla(nl.ZLR_A_SERVICE_EXE, str(""))),
			want: &Service{},
		},
		{
			name: "retained descriptors",
			data: cat(
				nla(nl.ZLR_A_SERVICE_INCARNATION, u32(1)),
				nla(nl.ZLR_A_SERVICE_RETAINED, u32(1500)),
				nla(nl.ZLR_A_SERVICE_RETAINED_FDS, u32s(3, 4, 0xffffffff)),
			),
			want: &Service{Incarnation: 1, Retained: 1500, RetainedFDs: []int{3, 4, 0xffffffff}},
		},
		{
			name: "restart that kept nothing",
			data: cat(
				nla(nl.ZLR_A_SERVICE_INCARNATION, u32(4)),
				nla(nl.ZLR_A_SERVICE_RETAINED, u32(0)),
				nla(nl.ZLR_A_SERVICE_RETAINED_FDS),
			),
			want: &Service{Incarnation: 4},
		},
		{
			name: "replay counters of 4 and 8 bytes",
			data: cat(
				nla(nl.ZLR_A_SERVICE_REPLAY_HELD, u64(1<<32)),
				nla(nl.ZLR_A_SERVICE_REPLAY_STREAMS, u32(0)),
				nla(nl.ZLR_A_SERVICE_REPLAYS, u32(0xffffffff)),
				nla(nl.ZLR_A_SERVICE_REPLAY_BYTES, u64(0)),
				nla(nl.ZLR_A_SERVICE_REPLAY_OVERFLOWS, u64(1<<63)),
			),
			want: &Service{Replay: ReplayStats{Held: 1 << 32, Replays: 0xffffffff, Overflows: 1 << 63}},
		},
		{
			name:    "replay held of 2 bytes",
			data:    cat(nla(nl.ZLR_A_SERVICE_REPLAY_HELD, []byte{1, 0})),
			wantErr: "decode service: unsigned integer attribute of 2 bytes, want 4 or 8",
		},
		{
			name:    "replay overflows of 12 bytes",
			data:    cat(nla(nl.ZLR_A_SERVICE_REPLAY_OVERFLOWS, u64(1), u32(2))),
			wantErr: "decode service: unsigned integer attribute of 12 bytes, want 4 or 8",
		},
		{
			name: "commit descriptor in a reply ignored",
			data: cat(nla(nl.ZLR_A_SERVICE_ID, u32(2)), nla(nl.ZLR_A_SERVICE_FD, u32(5))),
			want: &Service{ID: 2},
		},
		{
			name:    "retained descriptors of 6 bytes",
			data:    cat(nla(nl.ZLR_A_SERVICE_RETAINED_FDS, u32(1), []byte{2, 0})),
			wantErr: "decode service: descriptor list of 6 bytes, not a multiple of 4",
		},
		{
			name:    "short retained count",
			data:    cat(nla(nl.ZLR_A_SERVICE_RETAINED, []byte{5, 0})),
			wantErr: "decode service: netlink: attribute 13 is not a uint32; length: 2",
		},
		{
			name:    "uint of 2 bytes",
			data:    cat(nla(nl.ZLR_A_SERVICE_GIVEUPS, []byte{1, 0})),
			wantErr: "decode service: unsigned integer attribute of 2 bytes, want 4 or 8",
		},
		{
			name:    "uint of 2 bytes in policy",
			data:    cat(nest(nl.ZLR_A_SERVICE_POLICY, nla(nl.ZLR_A_POLICY_FAULT_SIGNALS, []byte{1, 0}))),
			wantErr: "decode service: unsigned integer attribute of 2 bytes, want 4 or 8",
		},
		{
			name:    "short u32",
			data:    cat(nla(nl.ZLR_A_SERVICE_ID, []byte{1})),
			wantErr: "decode service: netlink: attribute 1 is not a uint32; length: 1",
		},
		{
			name:    "registration time beyond int64",
			data:    cat(nla(nl.ZLR_A_SERVICE_REG_TIME, u64(1<<63))),
			wantErr: "decode service: registration time 9223372036854775808 ns out of range",
		},
		{
			name:    "fault address of 2 bytes",
			data:    cat(nest(nl.ZLR_A_SERVICE_LAST_FAULT, nla(nl.ZLR_A_FAULT_ADDR, []byte{1, 0}))),
			wantErr: "decode service: unsigned integer attribute of 2 bytes, want 4 or 8",
		},
		{
			name:    "fault ip of 16 bytes",
			data:    cat(nest(nl.ZLR_A_SERVICE_LAST_FAULT, nla(nl.ZLR_A_FAULT_IP, u64(1), u64(2)))),
			wantErr: "decode service: unsigned integer attribute of 16 bytes, want 4 or 8",
		},
		{
			name:    "fault time of 3 bytes",
			data:    cat(nest(nl.ZLR_A_SERVICE_LAST_FAULT, nla(nl.ZLR_A_FAULT_TIME, []byte{1, 2, 3}))),
			wantErr: "decode service: unsigned integer attribute of 3 bytes, want 4 or 8",
		},
		{
			name:    "fault time beyond int64",
			data:    cat(nest(nl.ZLR_A_SERVICE_LAST_FAULT, nla(nl.ZLR_A_FAULT_TIME, u64(1<<63)))),
			wantErr: "decode service: fault time 9223372036854775808 ns out of range",
		},
		{
			name:    "short fault signal",
			data:    cat(nest(nl.ZLR_A_SERVICE_LAST_FAULT, nla(nl.ZLR_A_FAULT_SIGNAL, []byte{11}))),
			wantErr: "decode service: netlink: attribute 1 is not a uint32; length: 1",
		},
		{
			name:    "long fault exit code",
			data:    cat(nest(nl.ZLR_A_SERVICE_LAST_FAULT, nla(nl.ZLR_A_FAULT_EXIT_CODE, u64(2)))),
			wantErr: "decode service: netlink: attribute 2 is not a uint32; length: 8",
		},
		{
			name:    "short fault code",
			data:    cat(nest(nl.ZLR_A_SERVICE_LAST_FAULT, nla(nl.ZLR_A_FAULT_CODE, []byte{1, 0}))),
			wantErr: "decode service: netlink: attribute 3 is not a int32; length: 2",
		},
		{
			name:    "truncated fault",
			data:    nest(nl.ZLR_A_SERVICE_LAST_FAULT, []byte{12, 0, 6, 0, 1}),
			wantErr: "decode service:",
		},
		{
			name:    "truncated attribute",
			data:    []byte{8, 0, 1, 0, 1},
			wantErr: "decode service:",
		},
		{
			name:    "truncated nested attribute",
			data:    nest(nl.ZLR_A_SERVICE_POLICY, []byte{12, 0, 3, 0}),
			wantErr: "decode service:",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseService(tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("service (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStats(t *testing.T) {
	tests := []struct {
		name    string
		data    []byte
		want    *Stats
		wantErr string
	}{
		{name: "all", data: statsAttrs, want: stats},
		{name: "empty", data: cat(), want: &Stats{}},
		{
			name: "unknown attributes ignored",
			data: cat(
				nla(nl.ZLR_A_STATS_SERVICES, u32(1)),
				nla(nl.ZLR_A_STATS_MAX+1, u64(7)),
				nla(0, []byte{}),
			),
			want: &Stats{Services: 1},
		},
		{
			name:    "short services",
			data:    cat(nla(nl.ZLR_A_STATS_SERVICES, []byte{1, 0})),
			wantErr: "decode stats: netlink: attribute 1 is not a uint32; length: 2",
		},
		{
			name:    "replay limit of 2 bytes",
			data:    cat(nla(nl.ZLR_A_STATS_REPLAY_LIMIT, []byte{1, 0})),
			wantErr: "decode stats: unsigned integer attribute of 2 bytes, want 4 or 8",
		},
		{
			name:    "replay overflows of 16 bytes",
			data:    cat(nla(nl.ZLR_A_STATS_REPLAY_OVERFLOWS, u64(1), u64(2))),
			wantErr: "decode stats: unsigned integer attribute of 16 bytes, want 4 or 8",
		},
		{
			name:    "truncated attribute",
			data:    []byte{8, 0, 2, 0, 1},
			wantErr: "decode stats:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStats(tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStatsBadReplies(t *testing.T) {
	tests := []struct {
		name  string
		reply []genetlink.Message
		want  string
	}{
		{
			name:  "two replies",
			reply: []genetlink.Message{{Data: statsAttrs}, {Data: statsAttrs}},
			want:  "zlr stats: kernel sent 2 replies, want 1",
		},
		{
			name:  "malformed reply",
			reply: []genetlink.Message{{Data: nla(nl.ZLR_A_STATS_REPLAYS, []byte{1})}},
			want:  "zlr stats: decode stats: unsigned integer attribute of 1 bytes, want 4 or 8",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				return tt.reply, nil
			})
			_, err := c.Stats()
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestClientBadReplies(t *testing.T) {
	tests := []struct {
		name  string
		reply []genetlink.Message
		want  string
	}{
		{
			name:  "two replies to a do",
			reply: []genetlink.Message{{Data: webAttrs}, {Data: dbAttrs}},
			want:  "zlr get: kernel sent 2 replies, want 1",
		},
		{
			name:  "malformed reply",
			reply: []genetlink.Message{{Data: nla(nl.ZLR_A_SERVICE_PID, []byte{1, 2})}},
			want:  "zlr get: decode service: netlink: attribute 2 is not a uint32; length: 2",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				return tt.reply, nil
			})
			_, err := c.Service(ByID(3))
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestInitClient(t *testing.T) {
	tests := []struct {
		name        string
		family      func(greq genetlink.Message, nreq netlink.Message) ([]genetlink.Message, error)
		wantMonitor uint32
		wantErr     string
		notSupp     bool
	}{
		{
			name:        "ok",
			family:      genltest.ServeFamily(testFamily, nil),
			wantMonitor: 9,
		},
		{
			name: "family missing",
			family: func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				return nil, genltest.Error(int(unix.ENOENT))
			},
			wantErr: ErrNotSupported.Error(),
			notSupp: true,
		},
		{
			name: "lookup fails otherwise",
			family: func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				return nil, genltest.Error(int(unix.ENOBUFS))
			},
			wantErr: `zlr: look up generic netlink family "zlr": netlink receive: no buffer space available`,
		},
		{
			name: "monitor group missing",
			family: genltest.ServeFamily(genetlink.Family{
				ID: 0x1d, Name: "zlr", Version: 1,
				Groups: []genetlink.MulticastGroup{{ID: 3, Name: "other"}},
			}, nil),
			wantErr: `zlr: family "zlr" has no "monitor" multicast group: kernel and library disagree on the interface`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := genltest.Dial(tt.family)
			defer conn.Close()
			c, err := initClient(conn)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				if got := errors.Is(err, ErrNotSupported); got != tt.notSupp {
					t.Errorf("errors.Is(err, ErrNotSupported) = %v, want %v", got, tt.notSupp)
				}
				if got := errors.Is(err, os.ErrNotExist); got != tt.notSupp {
					t.Errorf("errors.Is(err, os.ErrNotExist) = %v, want %v", got, tt.notSupp)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if c.family != testFamily.ID || c.monitorID != tt.wantMonitor {
				t.Errorf("family, monitor = %#x, %d; want %#x, %d", c.family, c.monitorID, testFamily.ID, tt.wantMonitor)
			}
		})
	}
}

func TestPolicyFlags(t *testing.T) {
	tests := []struct {
		f         PolicyFlags
		wantStr   string
		wantNames []string
	}{
		{0, "none", []string{}},
		{FlagReplay, "replay", []string{"replay"}},
		{FlagDedup, "dedup", []string{"dedup"}},
		{FlagReplay | FlagDedup, "replay|dedup", []string{"replay", "dedup"}},
		{FlagDedup | 0x10, "dedup|0x10", []string{"dedup", "0x10"}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(uint32(tt.f)), func(t *testing.T) {
			if got := tt.f.String(); got != tt.wantStr {
				t.Errorf("String() = %q, want %q", got, tt.wantStr)
			}
			if diff := cmp.Diff(tt.wantNames, tt.f.Names()); diff != "" {
				t.Errorf("Names() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestErrNotSupported(t *testing.T) {
	err := fmt.Errorf("dial: %w", ErrNotSupported)
	if !errors.Is(err, ErrNotSupported) || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("wrapped ErrNotSupported does not match ErrNotSupported and os.ErrNotExist")
	}
	if errors.Is(err, os.ErrPermission) {
		t.Errorf("ErrNotSupported matches os.ErrPermission")
	}
}

func TestSelectorString(t *testing.T) {
	for _, tt := range []struct {
		s    Selector
		want string
	}{
		{ByID(3), "service 3"},
		{ByPID(42), "pid 42"},
		{Selector{ID: 3, PID: 42}, "service 3 (pid 42)"},
		{Selector{}, "no service"},
	} {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("%#v.String() = %q, want %q", tt.s, got, tt.want)
		}
	}
}
