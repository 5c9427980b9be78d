//go:build linux

package libzl

import (
	"errors"
	"fmt"
	"iter"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nltest"
	"golang.org/x/sys/unix"

	nl "github.com/zl-dev/zl/libzl/internal/zlrnl"
)

// A mcastSocket is a fake netlink socket that also does what a monitor
// needs of the real one and nltest's lacks: joining groups, a receive that
// blocks until a datagram arrives, a deadline passes or the socket is
// closed, and a receive buffer size. Requests are answered by serve, as in
// testClient; multicast datagrams are those the test sends.
type mcastSocket struct {
	serve nltest.Func

	// datagrams carries the multicast datagrams, or receive errors.
	datagrams chan datagram
	// done is closed by Close.
	done      chan struct{}
	closeOnce sync.Once

	// mu protects the fields below.
	mu sync.Mutex
	// replies are the answers to the last request, read before any
	// datagram.
	replies []netlink.Message
	groups  []uint32
	rcvbuf  int
	// deadline is the read deadline; moved is closed and replaced when it
	// changes, to wake a pending receive.
	deadline time.Time
	moved    chan struct{}
}

// A datagram is what one receive returns: messages, or an errno.
type datagram struct {
	msgs  []netlink.Message
	errno unix.Errno
}

func newMcastSocket(serve nltest.Func) *mcastSocket {
	return &mcastSocket{
		serve:     serve,
		datagrams: make(chan datagram, 16),
		done:      make(chan struct{}),
		moved:     make(chan struct{}),
	}
}

func (s *mcastSocket) Close() error {
	s.closeOnce.Do(func() { close(s.done) })
	return nil
}

func (s *mcastSocket) Send(m netlink.Message) error { return s.SendMessages([]netlink.Message{m}) }

func (s *mcastSocket) SendMessages(msgs []netlink.Message) error {
	replies, err := s.serve(msgs)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replies = append(s.replies, replies...)
	return nil
}

func (s *mcastSocket) Receive() ([]netlink.Message, error) {
	var msgs []netlink.Message
	for m, err := range s.ReceiveIter() {
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, m)
	}
	return msgs, nil
}

func (s *mcastSocket) ReceiveIter() iter.Seq2[netlink.Message, error] {
	return func(yield func(netlink.Message, error) bool) {
		s.mu.Lock()
		replies := s.replies
		s.replies = nil
		s.mu.Unlock()
		if len(replies) > 0 {
			for _, m := range replies {
				if !yield(m, nil) {
					return
				}
			}
			return
		}

		for {
			s.mu.Lock()
			deadline, moved := s.deadline, s.moved
			s.mu.Unlock()
			var expired <-chan time.Time
			if !deadline.IsZero() {
				d := time.Until(deadline)
				if d <= 0 {
					// As the runtime's poller reports it.
					yield(netlink.Message{}, os.ErrDeadlineExceeded)
					return
				}
				timer := time.NewTimer(d)
				defer timer.Stop()
				expired = timer.C
			}
			select {
			case <-s.done:
				// A close while the receive waits in the poller.
				yield(netlink.Message{}, os.ErrClosed)
				return
			case d := <-s.datagrams:
				if d.errno != 0 {
					yield(netlink.Message{}, os.NewSyscallError("recvmsg", d.errno))
					return
				}
				for _, m := range d.msgs {
					if !yield(m, nil) {
						return
					}
				}
				return
			case <-expired:
			case <-moved:
			}
		}
	}
}

func (s *mcastSocket) JoinGroup(group uint32) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.groups = append(s.groups, group)
	return nil
}

func (s *mcastSocket) LeaveGroup(uint32) error { return errors.New("mcastSocket: LeaveGroup") }

func (s *mcastSocket) SetDeadline(t time.Time) error { return s.SetReadDeadline(t) }

func (s *mcastSocket) SetReadDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deadline = t
	close(s.moved)
	s.moved = make(chan struct{})
	return nil
}

func (s *mcastSocket) SetWriteDeadline(time.Time) error { return nil }

func (s *mcastSocket) SetReadBuffer(n int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rcvbuf = n
	return nil
}

func (s *mcastSocket) SetWriteBuffer(int) error { return nil }
func (s *mcastSocket) ReadBuffer() (int, error) { return s.rcvbuf, nil }
func (s *mcastSocket) WriteBuffer() (int, error) {
	return 0, errors.New("mcastSocket: WriteBuffer")
}

// send delivers a multicast datagram holding msgs.
func (s *mcastSocket) send(msgs ...netlink.Message) { s.datagrams <- datagram{msgs: msgs} }

// overflow makes the next receive fail as an overflowed socket's does.
func (s *mcastSocket) overflow() { s.datagrams <- datagram{errno: unix.ENOBUFS} }

// notification returns a message of the zlr family with command cmd and the
// attributes attrs, as the kernel multicasts it.
func notification(cmd uint8, attrs []byte) netlink.Message {
	return familyMessage(testFamily.ID, cmd, attrs)
}

// familyMessage returns a generic netlink message of family with command
// cmd and the attributes attrs.
func familyMessage(family uint16, cmd uint8, attrs []byte) netlink.Message {
	gm := genetlink.Message{Header: genetlink.Header{Command: cmd, Version: nl.ZLR_FAMILY_VERSION}, Data: attrs}
	b, err := gm.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return netlink.Message{Header: netlink.Header{Type: netlink.HeaderType(family)}, Data: b}
}

// testMonitor returns a Monitor on a mcastSocket whose family lookup is
// answered with testFamily.
func testMonitor(t *testing.T) (*Monitor, *mcastSocket) {
	t.Helper()
	sock := newMcastSocket(adapt(genltest.ServeFamily(testFamily, nil)))
	conn := genetlink.NewConn(netlink.NewConn(sock, nltest.PID))
	m, err := initMonitor(conn)
	if err != nil {
		t.Fatalf("initMonitor: %v", err)
	}
	mon := &Monitor{m: m}
	t.Cleanup(func() { _ = mon.Close() })
	return mon, sock
}

// head is the part of an event of the service "web" that every kind
// carries.
func head() []byte {
	return cat(
		nla(nl.ZLR_A_EVENT_ID, u32(3)),
		nla(nl.ZLR_A_EVENT_PID, u32(1234)),
		nla(nl.ZLR_A_EVENT_NAME, str("web")),
		nla(nl.ZLR_A_EVENT_INCARNATION, u32(2)),
		nla(nl.ZLR_A_EVENT_TIME, u64(uint64(100*time.Second))),
	)
}

func s32(v int32) []byte { return u32(uint32(v)) }

// segvAttrs is a SIGSEGV fault nest for attribute typ.
func segvAttrs(typ uint16) []byte {
	return nest(typ,
		nla(nl.ZLR_A_FAULT_SIGNAL, u32(uint32(syscall.SIGSEGV))),
		nla(nl.ZLR_A_FAULT_EXIT_CODE, u32(0)),
		nla(nl.ZLR_A_FAULT_CODE, u32(1)),
		nla(nl.ZLR_A_FAULT_ADDR, u32(0)),
		nla(nl.ZLR_A_FAULT_IP, u64(0x401136)),
		nla(nl.ZLR_A_FAULT_TIME, u64(uint64(99*time.Second))),
	)
}

var segv = &Fault{Signal: syscall.SIGSEGV, Code: 1, IP: 0x401136, Time: 99 * time.Second}

// webEvent returns the event of kind k with head's attributes.
func webEvent(k EventKind) Event {
	return Event{Kind: k, ID: 3, PID: 1234, Name: "web", Incarnation: 2, Time: 100 * time.Second}
}

// with returns e changed by fn.
func with(e Event, fn func(*Event)) *Event {
	fn(&e)
	return &e
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		name    string
		kind    EventKind
		data    []byte
		want    *Event
		wantErr string
	}{
		{
			name: "register",
			kind: EventRegister,
			data: head(),
			want: ptr(webEvent(EventRegister)),
		},
		{
			name: "unregister",
			kind: EventUnregister,
			data: head(),
			want: ptr(webEvent(EventUnregister)),
		},
		{
			name: "fault",
			kind: EventFault,
			data: cat(head(), segvAttrs(nl.ZLR_A_EVENT_FAULT)),
			want: with(webEvent(EventFault), func(e *Event) { e.Fault = segv }),
		},
		{
			name: "exit-status fault",
			kind: EventFault,
			data: cat(head(), nest(nl.ZLR_A_EVENT_FAULT,
				nla(nl.ZLR_A_FAULT_SIGNAL, u32(0)),
				nla(nl.ZLR_A_FAULT_EXIT_CODE, u32(2)),
				nla(nl.ZLR_A_FAULT_TIME, u32(7)),
			)),
			want: with(webEvent(EventFault), func(e *Event) { e.Fault = &Fault{ExitCode: 2, Time: 7} }),
		},
		{
			name: "restart after a fault",
			kind: EventRestart,
			data: cat(head(),
				segvAttrs(nl.ZLR_A_EVENT_FAULT),
				nla(nl.ZLR_A_EVENT_CAUSE, u32(nl.ZLR_RESTART_CAUSE_FAULT)),
				nla(nl.ZLR_A_EVENT_LATENCY, u32(183000)),
				nla(nl.ZLR_A_EVENT_EXE, str("/usr/bin/web")),
				nla(nl.ZLR_A_EVENT_RETAINED, u32(5)),
			),
			want: with(webEvent(EventRestart), func(e *Event) {
				e.Fault = segv
				e.Cause = CauseFault
				e.Latency = 183 * time.Microsecond
				e.Exe = "/usr/bin/web"
				e.Retained = 5
			}),
		},
		{
			name: "restart on request",
			kind: EventRestart,
			data: cat(head(),
				nla(nl.ZLR_A_EVENT_CAUSE, u32(nl.ZLR_RESTART_CAUSE_REQUEST)),
				nla(nl.ZLR_A_EVENT_LATENCY, u64(uint64(5*time.Second))),
				nla(nl.ZLR_A_EVENT_EXE, str("/usr/bin/web-2")),
				nla(nl.ZLR_A_EVENT_RETAINED, u32(0)),
			),
			want: with(webEvent(EventRestart), func(e *Event) {
				e.Cause = CauseRequest
				e.Latency = 5 * time.Second
				e.Exe = "/usr/bin/web-2"
			}),
		},
		{
			name: "ready",
			kind: EventReady,
			data: cat(head(), nla(nl.ZLR_A_EVENT_LATENCY, u32(77544000))),
			want: with(webEvent(EventReady), func(e *Event) { e.Latency = 77544 * time.Microsecond }),
		},
		{
			name: "giveup over budget",
			kind: EventGiveUp,
			data: cat(head(),
				segvAttrs(nl.ZLR_A_EVENT_FAULT),
				nla(nl.ZLR_A_EVENT_CAUSE, u32(nl.ZLR_RESTART_CAUSE_FAULT)),
				nla(nl.ZLR_A_EVENT_REASON, u32(nl.ZLR_GIVEUP_REASON_BUDGET)),
			),
			want: with(webEvent(EventGiveUp), func(e *Event) {
				e.Fault = segv
				e.Reason = ReasonBudget
			}),
		},
		{
			name: "giveup of a request whose exec failed",
			kind: EventGiveUp,
			data: cat(head(),
				nla(nl.ZLR_A_EVENT_CAUSE, u32(nl.ZLR_RESTART_CAUSE_REQUEST)),
				nla(nl.ZLR_A_EVENT_REASON, u32(nl.ZLR_GIVEUP_REASON_EXEC_FAILED)),
				nla(nl.ZLR_A_EVENT_ERROR, s32(-int32(unix.EACCES))),
			),
			want: with(webEvent(EventGiveUp), func(e *Event) {
				e.Cause = CauseRequest
				e.Reason = ReasonExecFailed
				e.Err = syscall.EACCES
			}),
		},
		{
			name: "exit",
			kind: EventExit,
			data: cat(head(), nla(nl.ZLR_A_EVENT_EXIT_STATUS, u32(0x8b))),
			want: with(webEvent(EventExit), func(e *Event) { e.ExitStatus = 0x8b }),
		},
		{
			name: "replay overflow of a tcp socket",
			kind: EventReplayOverflow,
			data: cat(head(),
				nla(nl.ZLR_A_EVENT_STREAM_KIND, u32(nl.ZLR_STREAM_KIND_TCP)),
				nla(nl.ZLR_A_EVENT_STREAM_INO, u32(12345)),
				nla(nl.ZLR_A_EVENT_OVERFLOW_REASON, u32(nl.ZLR_OVERFLOW_REASON_SERVICE_LIMIT)),
				nla(nl.ZLR_A_EVENT_REPLAY_LIMIT, u32(1<<20)),
			),
			want: with(webEvent(EventReplayOverflow), func(e *Event) {
				e.StreamKind = StreamTCP
				e.StreamIno = 12345
				e.OverflowReason = OverflowServiceLimit
				e.ReplayLimit = 1 << 20
			}),
		},
		{
			name: "replay overflow of a pipe, uints of 8 bytes",
			kind: EventReplayOverflow,
			data: cat(head(),
				nla(nl.ZLR_A_EVENT_STREAM_KIND, u32(nl.ZLR_STREAM_KIND_PIPE)),
				nla(nl.ZLR_A_EVENT_STREAM_INO, u64(1<<40)),
				nla(nl.ZLR_A_EVENT_OVERFLOW_REASON, u32(nl.ZLR_OVERFLOW_REASON_GLOBAL_LIMIT)),
				nla(nl.ZLR_A_EVENT_REPLAY_LIMIT, u64(8<<30)),
			),
			want: with(webEvent(EventReplayOverflow), func(e *Event) {
				e.StreamKind = StreamPipe
				e.StreamIno = 1 << 40
				e.OverflowReason = OverflowGlobalLimit
				e.ReplayLimit = 8 << 30
			}),
		},
		{
			name: "replay overflow of a unix socket, unknown kind and reason kept",
			kind: EventReplayOverflow,
			data: cat(
				nla(nl.ZLR_A_EVENT_STREAM_KIND, u32(nl.ZLR_STREAM_KIND_UNIX)),
				nla(nl.ZLR_A_EVENT_OVERFLOW_REASON, u32(9)),
				nla(nl.ZLR_A_EVENT_MAX+1, u32(1)),
			),
			want: &Event{Kind: EventReplayOverflow, StreamKind: StreamUnix, OverflowReason: 9},
		},
		{
			name: "unknown attributes and values",
			kind: EventGiveUp,
			data: cat(
				nla(nl.ZLR_A_EVENT_ID, u32(9)),
				nla(nl.ZLR_A_EVENT_MAX+1, u64(1)),
				nla(nl.ZLR_A_EVENT_CAUSE, u32(7)),
				nla(nl.ZLR_A_EVENT_REASON, u32(7)),
				nla(nl.ZLR_A_EVENT_ERROR, u32(5)),
				nest(nl.ZLR_A_EVENT_FAULT, nla(nl.ZLR_A_FAULT_MAX+1, u32(1))),
			),
			want: &Event{Kind: EventGiveUp, ID: 9, Cause: 7, Reason: 7, Err: syscall.EIO, Fault: &Fault{}},
		},
		{
			name: "empty",
			kind: EventRegister,
			data: cat(),
			want: &Event{Kind: EventRegister},
		},
		{
			name:    "short id",
			kind:    EventRegister,
			data:    cat(nla(nl.ZLR_A_EVENT_ID, []byte{3})),
			wantErr: "decode register event: netlink: attribute 1 is not a uint32; length: 1",
		},
		{
			name:    "time of 2 bytes",
			kind:    EventFault,
			data:    cat(nla(nl.ZLR_A_EVENT_TIME, []byte{1, 2})),
			wantErr: "decode fault event: unsigned integer attribute of 2 bytes, want 4 or 8",
		},
		{
			name:    "time beyond int64",
			kind:    EventExit,
			data:    cat(nla(nl.ZLR_A_EVENT_TIME, u64(1<<63))),
			wantErr: "decode exit event: event time 9223372036854775808 ns out of range",
		},
		{
			name:    "latency beyond int64",
			kind:    EventReady,
			data:    cat(nla(nl.ZLR_A_EVENT_LATENCY, u64(1<<63))),
			wantErr: "decode ready event: latency 9223372036854775808 ns out of range",
		},
		{
			name:    "long cause",
			kind:    EventRestart,
			data:    cat(nla(nl.ZLR_A_EVENT_CAUSE, u64(1))),
			wantErr: "decode restart event: netlink: attribute 7 is not a uint32; length: 8",
		},
		{
			name:    "short error",
			kind:    EventGiveUp,
			data:    cat(nla(nl.ZLR_A_EVENT_ERROR, []byte{0xf3, 0xff})),
			wantErr: "decode giveup event: netlink: attribute 12 is not a int32; length: 2",
		},
		{
			name:    "short exit status",
			kind:    EventExit,
			data:    cat(nla(nl.ZLR_A_EVENT_EXIT_STATUS, []byte{0})),
			wantErr: "decode exit event: netlink: attribute 13 is not a uint32; length: 1",
		},
		{
			name:    "stream inode of 2 bytes",
			kind:    EventReplayOverflow,
			data:    cat(nla(nl.ZLR_A_EVENT_STREAM_INO, []byte{1, 2})),
			wantErr: "decode replay-overflow event: unsigned integer attribute of 2 bytes, want 4 or 8",
		},
		{
			name:    "replay limit of 16 bytes",
			kind:    EventReplayOverflow,
			data:    cat(nla(nl.ZLR_A_EVENT_REPLAY_LIMIT, u64(1), u64(2))),
			wantErr: "decode replay-overflow event: unsigned integer attribute of 16 bytes, want 4 or 8",
		},
		{
			name:    "long stream kind",
			kind:    EventReplayOverflow,
			data:    cat(nla(nl.ZLR_A_EVENT_STREAM_KIND, u64(1))),
			wantErr: "decode replay-overflow event: netlink: attribute 14 is not a uint32; length: 8",
		},
		{
			name:    "short overflow reason",
			kind:    EventReplayOverflow,
			data:    cat(nla(nl.ZLR_A_EVENT_OVERFLOW_REASON, []byte{1})),
			wantErr: "decode replay-overflow event: netlink: attribute 16 is not a uint32; length: 1",
		},
		{
			name:    "bad fault",
			kind:    EventFault,
			data:    cat(nest(nl.ZLR_A_EVENT_FAULT, nla(nl.ZLR_A_FAULT_ADDR, []byte{1, 2, 3}))),
			wantErr: "decode fault event: unsigned integer attribute of 3 bytes, want 4 or 8",
		},
		{
			name:    "truncated attribute",
			kind:    EventRegister,
			data:    []byte{8, 0, 1, 0, 3},
			wantErr: "decode register event:",
		},
		{
			name:    "truncated fault",
			kind:    EventFault,
			data:    nest(nl.ZLR_A_EVENT_FAULT, []byte{12, 0, 4, 0, 1}),
			wantErr: "decode fault event:",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseEvent(tt.kind, tt.data)
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
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInitMonitor(t *testing.T) {
	m, sock := testMonitor(t)
	if m.m.family != testFamily.ID {
		t.Errorf("family = %#x, want %#x", m.m.family, testFamily.ID)
	}
	sock.mu.Lock()
	defer sock.mu.Unlock()
	if diff := cmp.Diff([]uint32{9}, sock.groups); diff != "" {
		t.Errorf("groups joined (-want +got):\n%s", diff)
	}
	if sock.rcvbuf != monitorReadBuffer {
		t.Errorf("receive buffer = %d, want %d", sock.rcvbuf, monitorReadBuffer)
	}
}

func TestInitMonitorFamilyMissing(t *testing.T) {
	sock := newMcastSocket(adapt(func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, refuse(unix.ENOENT, "")
	}))
	_, err := initMonitor(genetlink.NewConn(netlink.NewConn(sock, nltest.PID)))
	if !errors.Is(err, ErrNotSupported) {
		t.Fatalf("error = %v, want ErrNotSupported", err)
	}
	if len(sock.groups) != 0 {
		t.Errorf("joined %v without a family", sock.groups)
	}
}

func TestMonitorNext(t *testing.T) {
	m, sock := testMonitor(t)

	register := notification(nl.ZLR_CMD_REGISTER_NTF, head())
	ready := notification(nl.ZLR_CMD_READY_NTF, cat(head(), nla(nl.ZLR_A_EVENT_LATENCY, u32(1000))))
	exit := notification(nl.ZLR_CMD_EXIT_NTF, cat(head(), nla(nl.ZLR_A_EVENT_EXIT_STATUS, u32(0))))
	overflow := notification(nl.ZLR_CMD_REPLAY_OVERFLOW_NTF, cat(head(),
		nla(nl.ZLR_A_EVENT_STREAM_KIND, u32(nl.ZLR_STREAM_KIND_PIPE)),
		nla(nl.ZLR_A_EVENT_STREAM_INO, u32(777)),
		nla(nl.ZLR_A_EVENT_OVERFLOW_REASON, u32(nl.ZLR_OVERFLOW_REASON_TRUNCATED)),
		nla(nl.ZLR_A_EVENT_REPLAY_LIMIT, u32(4096)),
	))

	// Three events in one datagram, with messages to skip around them: of
	// another family, commands that are no events, an unknown command.
	sock.send(
		familyMessage(testFamily.ID+1, nl.ZLR_CMD_REGISTER_NTF, head()),
		register,
		notification(nl.ZLR_CMD_GET, webAttrs),
		notification(nl.ZLR_CMD_MAX+1, head()),
		ready,
		notification(nl.ZLR_CMD_COMMIT, nla(nl.ZLR_A_SERVICE_FD, u32(3))),
		notification(nl.ZLR_CMD_STATS, statsAttrs),
		overflow,
	)
	// The kernel dropped some, then a malformed event, then one more.
	sock.overflow()
	sock.send(notification(nl.ZLR_CMD_FAULT_NTF, nla(nl.ZLR_A_EVENT_TIME, []byte{1})))
	sock.send(exit)

	want := []struct {
		event *Event
		err   error
	}{
		{event: ptr(webEvent(EventRegister))},
		{event: with(webEvent(EventReady), func(e *Event) { e.Latency = time.Microsecond })},
		{event: with(webEvent(EventReplayOverflow), func(e *Event) {
			e.StreamKind, e.StreamIno, e.OverflowReason, e.ReplayLimit = StreamPipe, 777, OverflowTruncated, 4096
		})},
		{err: ErrEventsLost},
		{err: errors.New("zlr monitor: decode fault event: unsigned integer attribute of 1 bytes, want 4 or 8")},
		{event: ptr(webEvent(EventExit))},
	}
	for i, w := range want {
		got, err := m.Next()
		switch {
		case w.err == ErrEventsLost:
			if !errors.Is(err, ErrEventsLost) || !errors.Is(err, unix.ENOBUFS) {
				t.Errorf("Next %d: error = %v, want ErrEventsLost", i, err)
			}
		case w.err != nil:
			if err == nil || err.Error() != w.err.Error() {
				t.Errorf("Next %d: error = %v, want %q", i, err, w.err)
			}
		case err != nil:
			t.Fatalf("Next %d: %v", i, err)
		default:
			if diff := cmp.Diff(w.event, got); diff != "" {
				t.Errorf("Next %d (-want +got):\n%s", i, diff)
			}
		}
	}
}

func TestMonitorCloseInterruptsNext(t *testing.T) {
	m, _ := testMonitor(t)
	errc := make(chan error, 1)
	go func() {
		_, err := m.Next()
		errc <- err
	}()
	// Give Next time to block; the result is the same if it has not yet.
	time.Sleep(10 * time.Millisecond)
	if err := m.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("pending Next: error = %v, want net.ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not interrupt Next")
	}
	if _, err := m.Next(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Next after Close: error = %v, want net.ErrClosed", err)
	}
	if err := m.Close(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("second Close: error = %v, want net.ErrClosed", err)
	}
	if err := m.SetDeadline(time.Now()); !errors.Is(err, net.ErrClosed) {
		t.Errorf("SetDeadline after Close: error = %v, want net.ErrClosed", err)
	}
}

func TestMonitorDeadline(t *testing.T) {
	m, sock := testMonitor(t)

	if err := m.SetDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Next(); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Errorf("Next past the deadline: error = %v, want os.ErrDeadlineExceeded", err)
	}

	// A deadline set while Next waits applies to it.
	errc := make(chan error, 1)
	if err := m.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	go func() {
		_, err := m.Next()
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	if err := m.SetDeadline(time.Now().Add(10 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Errorf("pending Next: error = %v, want os.ErrDeadlineExceeded", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the deadline did not interrupt Next")
	}

	// Without the deadline, events come again.
	if err := m.SetDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	sock.send(notification(nl.ZLR_CMD_UNREGISTER_NTF, head()))
	got, err := m.Next()
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ptr(webEvent(EventUnregister)), got); diff != "" {
		t.Errorf("event (-want +got):\n%s", diff)
	}
}

func TestEventStrings(t *testing.T) {
	for _, tt := range []struct {
		v    fmt.Stringer
		want string
	}{
		{EventRegister, "register"},
		{EventUnregister, "unregister"},
		{EventFault, "fault"},
		{EventRestart, "restart"},
		{EventReady, "ready"},
		{EventGiveUp, "giveup"},
		{EventExit, "exit"},
		{EventReplayOverflow, "replay-overflow"},
		{EventKind(0), "kind(0)"},
		{EventKind(nl.ZLR_CMD_COMMIT), "kind(14)"},
		{EventKind(nl.ZLR_CMD_MAX + 1), "kind(17)"},
		{CauseFault, "fault"},
		{CauseRequest, "request"},
		{RestartCause(2), "cause(2)"},
		{ReasonDisabled, "disabled"},
		{ReasonTooSoon, "too-soon"},
		{ReasonBudget, "budget"},
		{ReasonExecFailed, "exec-failed"},
		{ReasonKilled, "killed"},
		{GiveUpReason(7), "reason(7)"},
		{StreamTCP, "tcp"},
		{StreamUnix, "unix"},
		{StreamPipe, "pipe"},
		{StreamKind(3), "stream-kind(3)"},
		{OverflowServiceLimit, "service-limit"},
		{OverflowGlobalLimit, "global-limit"},
		{OverflowNoMem, "nomem"},
		{OverflowTruncated, "truncated"},
		{OverflowUserLimit, "user-limit"},
		{OverflowReason(5), "overflow-reason(5)"},
	} {
		if got := tt.v.String(); got != tt.want {
			t.Errorf("%T(%v).String() = %q, want %q", tt.v, tt.v, got, tt.want)
		}
	}
	// The kinds are the notifications' commands.
	for k, cmd := range map[EventKind]int{
		EventRegister: nl.ZLR_CMD_REGISTER_NTF, EventUnregister: nl.ZLR_CMD_UNREGISTER_NTF,
		EventFault: nl.ZLR_CMD_FAULT_NTF, EventRestart: nl.ZLR_CMD_RESTART_NTF,
		EventReady: nl.ZLR_CMD_READY_NTF, EventGiveUp: nl.ZLR_CMD_GIVEUP_NTF, EventExit: nl.ZLR_CMD_EXIT_NTF,
		EventReplayOverflow: nl.ZLR_CMD_REPLAY_OVERFLOW_NTF,
	} {
		if int(k) != cmd || !k.known() {
			t.Errorf("%v = %d, want the command %d", k, k, cmd)
		}
	}
	if EventKind(nl.ZLR_CMD_READY).known() || EventKind(nl.ZLR_CMD_COMMIT).known() ||
		EventKind(nl.ZLR_CMD_STATS).known() || EventKind(nl.ZLR_CMD_MAX+1).known() {
		t.Error("a command that is no notification is a known kind")
	}
}

func TestWallTime(t *testing.T) {
	now := time.Date(2026, 11, 22, 14, 13, 36, 0, time.UTC)
	e := &Event{Time: 100 * time.Second}
	for _, tt := range []struct {
		sinceBoot time.Duration
		want      time.Time
	}{
		{100 * time.Second, now},
		{100*time.Second + 1500*time.Microsecond, now.Add(-1500 * time.Microsecond)},
		{99 * time.Second, now.Add(time.Second)},
	} {
		if got := e.WallTime(now, tt.sinceBoot); !got.Equal(tt.want) {
			t.Errorf("WallTime(now, %v) = %v, want %v", tt.sinceBoot, got, tt.want)
		}
	}
}

func TestSinceBoot(t *testing.T) {
	a, err := SinceBoot()
	if err != nil {
		t.Fatal(err)
	}
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	b, err := SinceBoot()
	if err != nil {
		t.Fatal(err)
	}
	// CLOCK_BOOTTIME is CLOCK_MONOTONIC plus the time suspended.
	if a <= 0 || b < a || time.Duration(ts.Nano()) > b {
		t.Errorf("SinceBoot = %v then %v, CLOCK_MONOTONIC %v between", a, b, time.Duration(ts.Nano()))
	}
}
