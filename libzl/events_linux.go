//go:build linux

package libzl

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	nl "github.com/zl-dev/zl/libzl/internal/zlrnl"
)

// monitorReadBuffer is the receive buffer a monitor asks for. The kernel
// allocates each event in a buffer of a page or so, and counts that against
// the socket's receive buffer: the default (rmem_default, usually 208 KiB)
// holds a few dozen events, this a couple of thousand, enough for a burst of
// restarts. Only privileged processes get more than rmem_max.
const monitorReadBuffer = 8 << 20

// A monitor is the Linux implementation behind a Monitor.
type monitor struct {
	c      *genetlink.Conn
	family uint16

	// closed is set by Close, before it closes c.
	closed atomic.Bool

	// mu serialises next, and protects queue.
	mu sync.Mutex
	// queue holds the messages received and not yet returned: a datagram
	// may carry several.
	queue []genetlink.Message
}

// newMonitor opens a generic netlink connection subscribed to the zlr
// family's monitor group.
func newMonitor() (*monitor, error) { return dial(initMonitor) }

// initMonitor looks up the zlr family on conn and joins its monitor group;
// it is where tests inject a fake connection.
func initMonitor(conn *genetlink.Conn) (*monitor, error) {
	c, err := initClient(conn)
	if err != nil {
		return nil, err
	}
	// A smaller buffer only loses events sooner.
	setReadBuffer(conn, monitorReadBuffer)
	if err := conn.JoinGroup(c.monitorID); err != nil {
		return nil, fmt.Errorf("zlr: join multicast group %q: %w", nl.ZLR_MCGRP_MONITOR, err)
	}
	return &monitor{c: conn, family: c.family}, nil
}

// setReadBuffer sets the receive buffer of conn to n bytes, beyond
// rmem_max when the process may (CAP_NET_ADMIN), as best it can.
func setReadBuffer(conn *genetlink.Conn, n int) {
	if rc, err := conn.SyscallConn(); err == nil {
		var serr error
		cerr := rc.Control(func(fd uintptr) {
			serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, n)
		})
		if cerr == nil && serr == nil {
			return
		}
	}
	_ = conn.SetReadBuffer(n)
}

func (m *monitor) next() (*Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for {
		if m.closed.Load() {
			return nil, fmt.Errorf("zlr monitor: %w", net.ErrClosed)
		}
		for len(m.queue) > 0 {
			msg := m.queue[0]
			m.queue[0] = genetlink.Message{}
			m.queue = m.queue[1:]
			kind := EventKind(msg.Header.Command)
			if !kind.known() {
				continue
			}
			e, err := parseEvent(kind, msg.Data)
			if err != nil {
				return nil, fmt.Errorf("zlr monitor: %w", err)
			}
			return e, nil
		}

		gmsgs, nmsgs, err := m.c.Receive()
		if err != nil {
			return nil, m.receiveError(err)
		}
		for i, nm := range nmsgs {
			if nm.Header.Type == netlink.HeaderType(m.family) {
				m.queue = append(m.queue, gmsgs[i])
			}
		}
	}
}

// receiveError returns the error of next for err, an error of the
// connection's Receive.
func (m *monitor) receiveError(err error) error {
	switch {
	case m.closed.Load():
		// Close interrupted the receive, or came before it.
		return fmt.Errorf("zlr monitor: %w", net.ErrClosed)
	case errors.Is(err, unix.ENOBUFS):
		return fmt.Errorf("%w (%w)", ErrEventsLost, err)
	default:
		return fmt.Errorf("zlr monitor: receive events: %w", err)
	}
}

func (m *monitor) setDeadline(t time.Time) error {
	if m.closed.Load() {
		return fmt.Errorf("zlr monitor: set deadline: %w", net.ErrClosed)
	}
	if err := m.c.SetReadDeadline(t); err != nil {
		return fmt.Errorf("zlr monitor: set deadline: %w", err)
	}
	return nil
}

// Close closes the connection, which interrupts a pending receive.
func (m *monitor) Close() error {
	if m.closed.Swap(true) {
		return fmt.Errorf("zlr monitor: close: %w", net.ErrClosed)
	}
	if err := m.c.Close(); err != nil {
		return fmt.Errorf("zlr monitor: close: %w", err)
	}
	return nil
}

// parseEvent decodes the attributes of an event of kind kind.
func parseEvent(kind EventKind, b []byte) (*Event, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return nil, fmt.Errorf("decode %s event: %w", kind, err)
	}
	e := Event{Kind: kind}
	for ad.Next() {
		switch ad.Type() {
		case nl.ZLR_A_EVENT_ID:
			e.ID = ad.Uint32()
		case nl.ZLR_A_EVENT_PID:
			e.PID = int(ad.Uint32())
		case nl.ZLR_A_EVENT_NAME:
			ad.Do(decodeString("name", MaxNameLen, &e.Name))
		case nl.ZLR_A_EVENT_INCARNATION:
			e.Incarnation = ad.Uint32()
		case nl.ZLR_A_EVENT_TIME:
			ad.Do(decodeTime("event time", &e.Time))
		case nl.ZLR_A_EVENT_FAULT:
			e.Fault = &Fault{}
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				return parseFault(nad, e.Fault)
			})
		case nl.ZLR_A_EVENT_CAUSE:
			e.Cause = RestartCause(ad.Uint32())
		case nl.ZLR_A_EVENT_LATENCY:
			ad.Do(decodeTime("latency", &e.Latency))
		case nl.ZLR_A_EVENT_EXE:
			ad.Do(decodeString("executable path", 0, &e.Exe))
		case nl.ZLR_A_EVENT_RETAINED:
			e.Retained = int(ad.Uint32())
		case nl.ZLR_A_EVENT_REASON:
			e.Reason = GiveUpReason(ad.Uint32())
		case nl.ZLR_A_EVENT_ERROR:
			// The kernel sends the negative errno.
			e.Err = syscall.Errno(abs(int64(ad.Int32())))
		case nl.ZLR_A_EVENT_EXIT_STATUS:
			e.ExitStatus = syscall.WaitStatus(ad.Uint32())
		case nl.ZLR_A_EVENT_STREAM_KIND:
			e.StreamKind = StreamKind(ad.Uint32())
		case nl.ZLR_A_EVENT_STREAM_INO:
			ad.Do(decodeUint(&e.StreamIno))
		case nl.ZLR_A_EVENT_OVERFLOW_REASON:
			e.OverflowReason = OverflowReason(ad.Uint32())
		case nl.ZLR_A_EVENT_REPLAY_LIMIT:
			ad.Do(decodeUint(&e.ReplayLimit))
		}
	}
	if err := ad.Err(); err != nil {
		return nil, fmt.Errorf("decode %s event: %w", kind, err)
	}
	return &e, nil
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// sinceBoot reads CLOCK_BOOTTIME.
func sinceBoot() (time.Duration, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		return 0, fmt.Errorf("zlr: read CLOCK_BOOTTIME: %w", err)
	}
	return time.Duration(ts.Nano()), nil
}
