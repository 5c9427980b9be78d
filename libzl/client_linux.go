//go:build linux

package libzl

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	nl "github.com/zl-dev/zl/libzl/internal/zlrnl"
)

// A client is the Linux implementation behind a Client.
type client struct {
	c         *genetlink.Conn
	family    uint16
	monitorID uint32
}

// newClient opens a generic netlink connection to the zlr family.
func newClient() (*client, error) { return dial(initClient) }

// dial opens a generic netlink connection and hands it to init, closing it
// when init fails.
func dial[T any](init func(*genetlink.Conn) (T, error)) (T, error) {
	// Strict turns on extended acknowledgements, which carry the kernel's
	// messages, and strict attribute checking of dump requests.
	conn, err := genetlink.Dial(&netlink.Config{Strict: true})
	if err != nil {
		var zero T
		return zero, fmt.Errorf("zlr: open generic netlink socket: %w", err)
	}
	v, err := init(conn)
	if err != nil {
		_ = conn.Close()
	}
	return v, err
}

// initClient looks up the zlr family and its multicast groups on conn; it is
// where tests inject a fake connection.
func initClient(conn *genetlink.Conn) (*client, error) {
	f, err := conn.GetFamily(nl.ZLR_FAMILY_NAME)
	if err != nil {
		if errors.Is(err, unix.ENOENT) {
			return nil, ErrNotSupported
		}
		return nil, fmt.Errorf("zlr: look up generic netlink family %q: %w", nl.ZLR_FAMILY_NAME, err)
	}
	c := &client{c: conn, family: f.ID}
	for _, g := range f.Groups {
		if g.Name == nl.ZLR_MCGRP_MONITOR {
			c.monitorID = g.ID
		}
	}
	if c.monitorID == 0 {
		return nil, fmt.Errorf("zlr: family %q has no %q multicast group: kernel and library disagree on the interface",
			nl.ZLR_FAMILY_NAME, nl.ZLR_MCGRP_MONITOR)
	}
	return c, nil
}

// Close closes the generic netlink connection.
func (c *client) Close() error { return c.c.Close() }

// The requests' netlink flags. A do command that has a reply is sent
// without NLM_F_ACK: the kernel reports errors anyway, and an ack after the
// reply would arrive as a separate message that the next request would read
// as its own answer. Unregister and commit have no reply, so they ask for
// the ack.
const (
	flagsDoReply = netlink.Request
	flagsDoAck   = netlink.Request | netlink.Acknowledge
	flagsDump    = netlink.Request | netlink.Dump
)

func (c *client) register(r Registration) (*Service, error) {
	ae := netlink.NewAttributeEncoder()
	if r.PID != 0 {
		ae.Uint32(nl.ZLR_A_SERVICE_PID, uint32(r.PID))
	}
	if r.Name != "" {
		ae.String(nl.ZLR_A_SERVICE_NAME, r.Name)
	}
	if r.Policy.isSet() {
		ae.Nested(nl.ZLR_A_SERVICE_POLICY, r.Policy.encode)
	}
	return c.one(opRegister, nl.ZLR_CMD_REGISTER, ae)
}

func (c *client) unregister(sel Selector) error {
	ae := netlink.NewAttributeEncoder()
	sel.encode(ae)
	_, err := c.execute(opUnregister, nl.ZLR_CMD_UNREGISTER, flagsDoAck, ae)
	return err
}

func (c *client) service(sel Selector) (*Service, error) {
	ae := netlink.NewAttributeEncoder()
	sel.encode(ae)
	return c.one(opGet, nl.ZLR_CMD_GET, ae)
}

func (c *client) services() ([]*Service, error) {
	msgs, err := c.execute(opGet, nl.ZLR_CMD_GET, flagsDump, netlink.NewAttributeEncoder())
	if err != nil {
		return nil, err
	}
	svcs := make([]*Service, 0, len(msgs))
	for _, m := range msgs {
		s, err := parseService(m.Data)
		if err != nil {
			return nil, fmt.Errorf("zlr %s: %w", opGet, err)
		}
		svcs = append(svcs, s)
	}
	return svcs, nil
}

func (c *client) setPolicy(sel Selector, p PolicyConfig) (*Service, error) {
	ae := netlink.NewAttributeEncoder()
	sel.encode(ae)
	// The kernel requires the policy attribute, even if empty.
	ae.Nested(nl.ZLR_A_SERVICE_POLICY, p.encode)
	return c.one(opSetPolicy, nl.ZLR_CMD_SET_POLICY, ae)
}

func (c *client) restart(sel Selector, exe string) (*Service, error) {
	ae := netlink.NewAttributeEncoder()
	sel.encode(ae)
	if exe != "" {
		ae.String(nl.ZLR_A_SERVICE_EXE, exe)
	}
	return c.one(opRestart, nl.ZLR_CMD_RESTART, ae)
}

func (c *client) ready() (*Service, error) {
	// The kernel refuses any attribute.
	return c.one(opReady, nl.ZLR_CMD_READY, netlink.NewAttributeEncoder())
}

func (c *client) commit(fd int) error {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(nl.ZLR_A_SERVICE_FD, uint32(fd))
	_, err := c.execute(opCommit, nl.ZLR_CMD_COMMIT, flagsDoAck, ae)
	return err
}

func (c *client) stats() (*Stats, error) {
	msgs, err := c.execute(opStats, nl.ZLR_CMD_STATS, flagsDoReply, netlink.NewAttributeEncoder())
	if err != nil {
		return nil, err
	}
	if len(msgs) != 1 {
		return nil, fmt.Errorf("zlr %s: kernel sent %d replies, want 1", opStats, len(msgs))
	}
	st, err := parseStats(msgs[0].Data)
	if err != nil {
		return nil, fmt.Errorf("zlr %s: %w", opStats, err)
	}
	return st, nil
}

// one executes a do command whose reply is one service.
func (c *client) one(op string, cmd uint8, ae *netlink.AttributeEncoder) (*Service, error) {
	msgs, err := c.execute(op, cmd, flagsDoReply, ae)
	if err != nil {
		return nil, err
	}
	if len(msgs) != 1 {
		return nil, fmt.Errorf("zlr %s: kernel sent %d replies, want 1", op, len(msgs))
	}
	s, err := parseService(msgs[0].Data)
	if err != nil {
		return nil, fmt.Errorf("zlr %s: %w", op, err)
	}
	return s, nil
}

// execute sends command cmd with the attributes in ae and returns the
// replies. Errors from the kernel become an *Error for op carrying the
// kernel's message.
func (c *client) execute(op string, cmd uint8, flags netlink.HeaderFlags, ae *netlink.AttributeEncoder) ([]genetlink.Message, error) {
	b, err := ae.Encode()
	if err != nil {
		return nil, fmt.Errorf("zlr %s: encode request: %w", op, err)
	}
	msgs, err := c.c.Execute(
		genetlink.Message{
			Header: genetlink.Header{Command: cmd, Version: nl.ZLR_FAMILY_VERSION},
			Data:   b,
		},
		c.family,
		flags,
	)
	if err != nil {
		var msg string
		var oerr *netlink.OpError
		if errors.As(err, &oerr) {
			// The kernel's message is a C string: it ends at a NUL.
			msg, _, _ = strings.Cut(oerr.Message, "\x00")
		}
		return nil, &Error{Op: op, Message: msg, Err: err}
	}
	return msgs, nil
}

// encode writes the fields of s that are set.
func (s Selector) encode(ae *netlink.AttributeEncoder) {
	if s.ID != 0 {
		ae.Uint32(nl.ZLR_A_SERVICE_ID, s.ID)
	}
	if s.PID != 0 {
		ae.Uint32(nl.ZLR_A_SERVICE_PID, uint32(s.PID))
	}
}

// isSet reports whether p changes anything.
func (p *PolicyConfig) isSet() bool {
	return p.FaultSignals != nil || p.FaultExitCodes != nil || p.MaxRestarts != nil ||
		p.Window != nil || p.Backoff != nil || p.MinUptime != nil ||
		p.ReplayLimit != nil || p.Flags != nil
}

// encode writes the policy attributes that are set in p, which check has
// validated.
func (p *PolicyConfig) encode(ae *netlink.AttributeEncoder) error {
	if p.FaultSignals != nil {
		// An NLA_UINT, always sent as 8 bytes.
		ae.Uint64(nl.ZLR_A_POLICY_FAULT_SIGNALS, signalMask(p.FaultSignals))
	}
	if p.FaultExitCodes != nil {
		ae.Bytes(nl.ZLR_A_POLICY_FAULT_EXIT_CODES, p.FaultExitCodes)
	}
	if p.MaxRestarts != nil {
		ae.Uint32(nl.ZLR_A_POLICY_MAX_RESTARTS, *p.MaxRestarts)
	}
	for _, d := range []struct {
		typ uint16
		d   *time.Duration
	}{
		{nl.ZLR_A_POLICY_WINDOW_MS, p.Window},
		{nl.ZLR_A_POLICY_BACKOFF_MS, p.Backoff},
		{nl.ZLR_A_POLICY_MIN_UPTIME_MS, p.MinUptime},
	} {
		if d.d == nil {
			continue
		}
		ms, err := durationMS(*d.d)
		if err != nil {
			return err
		}
		ae.Uint32(d.typ, ms)
	}
	if p.ReplayLimit != nil {
		ae.Uint32(nl.ZLR_A_POLICY_REPLAY_LIMIT, *p.ReplayLimit)
	}
	if p.Flags != nil {
		ae.Uint32(nl.ZLR_A_POLICY_FLAGS, uint32(*p.Flags))
	}
	return nil
}

// parseService decodes a service message's attributes.
func parseService(b []byte) (*Service, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return nil, fmt.Errorf("decode service: %w", err)
	}
	var s Service
	for ad.Next() {
		switch ad.Type() {
		case nl.ZLR_A_SERVICE_ID:
			s.ID = ad.Uint32()
		case nl.ZLR_A_SERVICE_PID:
			s.PID = int(ad.Uint32())
		case nl.ZLR_A_SERVICE_NAME:
			ad.Do(decodeString("name", MaxNameLen, &s.Name))
		case nl.ZLR_A_SERVICE_UID:
			s.UID = ad.Uint32()
		case nl.ZLR_A_SERVICE_POLICY:
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				return parsePolicy(nad, &s.Policy)
			})
		case nl.ZLR_A_SERVICE_INCARNATION:
			s.Incarnation = ad.Uint32()
		case nl.ZLR_A_SERVICE_FAULTS:
			ad.Do(decodeUint(&s.Faults))
		case nl.ZLR_A_SERVICE_RESTARTS:
			ad.Do(decodeUint(&s.Restarts))
		case nl.ZLR_A_SERVICE_GIVEUPS:
			ad.Do(decodeUint(&s.GiveUps))
		case nl.ZLR_A_SERVICE_REG_TIME:
			ad.Do(decodeTime("registration time", &s.Registered))
		case nl.ZLR_A_SERVICE_EXE:
			ad.Do(decodeString("executable path", 0, &s.Exe))
		case nl.ZLR_A_SERVICE_LAST_FAULT:
			s.LastFault = &Fault{}
			ad.Nested(func(nad *netlink.AttributeDecoder) error {
				return parseFault(nad, s.LastFault)
			})
		case nl.ZLR_A_SERVICE_RETAINED:
			s.Retained = int(ad.Uint32())
		case nl.ZLR_A_SERVICE_RETAINED_FDS:
			ad.Do(decodeFDs(&s.RetainedFDs))
		case nl.ZLR_A_SERVICE_REPLAY_HELD:
			ad.Do(decodeUint(&s.Replay.Held))
		case nl.ZLR_A_SERVICE_REPLAY_STREAMS:
			ad.Do(decodeUint(&s.Replay.Streams))
		case nl.ZLR_A_SERVICE_REPLAYS:
			ad.Do(decodeUint(&s.Replay.Replays))
		case nl.ZLR_A_SERVICE_REPLAY_BYTES:
			ad.Do(decodeUint(&s.Replay.Bytes))
		case nl.ZLR_A_SERVICE_REPLAY_OVERFLOWS:
			ad.Do(decodeUint(&s.Replay.Overflows))
		}
	}
	if err := ad.Err(); err != nil {
		return nil, fmt.Errorf("decode service: %w", err)
	}
	return &s, nil
}

// parseStats decodes a stats message's attributes.
func parseStats(b []byte) (*Stats, error) {
	ad, err := netlink.NewAttributeDecoder(b)
	if err != nil {
		return nil, fmt.Errorf("decode stats: %w", err)
	}
	var st Stats
	for ad.Next() {
		switch ad.Type() {
		case nl.ZLR_A_STATS_SERVICES:
			st.Services = int(ad.Uint32())
		case nl.ZLR_A_STATS_REPLAY_HELD:
			ad.Do(decodeUint(&st.ReplayHeld))
		case nl.ZLR_A_STATS_REPLAY_LIMIT:
			ad.Do(decodeUint(&st.ReplayLimit))
		case nl.ZLR_A_STATS_REPLAY_STREAMS:
			ad.Do(decodeUint(&st.ReplayStreams))
		case nl.ZLR_A_STATS_REPLAYS:
			ad.Do(decodeUint(&st.Replays))
		case nl.ZLR_A_STATS_REPLAY_BYTES:
			ad.Do(decodeUint(&st.ReplayBytes))
		case nl.ZLR_A_STATS_REPLAY_OVERFLOWS:
			ad.Do(decodeUint(&st.ReplayOverflows))
		}
	}
	if err := ad.Err(); err != nil {
		return nil, fmt.Errorf("decode stats: %w", err)
	}
	return &st, nil
}

// parseFault decodes the attributes of a nested fault into f.
func parseFault(ad *netlink.AttributeDecoder, f *Fault) error {
	for ad.Next() {
		switch ad.Type() {
		case nl.ZLR_A_FAULT_SIGNAL:
			f.Signal = syscall.Signal(ad.Uint32())
		case nl.ZLR_A_FAULT_EXIT_CODE:
			f.ExitCode = int(ad.Uint32())
		case nl.ZLR_A_FAULT_CODE:
			f.Code = ad.Int32()
		case nl.ZLR_A_FAULT_ADDR:
			ad.Do(decodeUint(&f.Addr))
		case nl.ZLR_A_FAULT_IP:
			ad.Do(decodeUint(&f.IP))
		case nl.ZLR_A_FAULT_TIME:
			ad.Do(decodeTime("fault time", &f.Time))
		}
	}
	return ad.Err()
}

// parsePolicy decodes the attributes of a nested policy into p.
func parsePolicy(ad *netlink.AttributeDecoder, p *Policy) error {
	ms := func() time.Duration { return time.Duration(ad.Uint32()) * time.Millisecond }
	for ad.Next() {
		switch ad.Type() {
		case nl.ZLR_A_POLICY_FAULT_SIGNALS:
			var m uint64
			ad.Do(decodeUint(&m))
			p.FaultSignals = maskSignals(m)
		case nl.ZLR_A_POLICY_FAULT_EXIT_CODES:
			if codes := ad.Bytes(); len(codes) > 0 {
				p.FaultExitCodes = slices.Clone(codes)
				slices.Sort(p.FaultExitCodes)
			} else {
				p.FaultExitCodes = nil
			}
		case nl.ZLR_A_POLICY_MAX_RESTARTS:
			p.MaxRestarts = ad.Uint32()
		case nl.ZLR_A_POLICY_WINDOW_MS:
			p.Window = ms()
		case nl.ZLR_A_POLICY_BACKOFF_MS:
			p.Backoff = ms()
		case nl.ZLR_A_POLICY_MIN_UPTIME_MS:
			p.MinUptime = ms()
		case nl.ZLR_A_POLICY_REPLAY_LIMIT:
			p.ReplayLimit = ad.Uint32()
		case nl.ZLR_A_POLICY_FLAGS:
			p.Flags = PolicyFlags(ad.Uint32())
		}
	}
	return ad.Err()
}

// decodeUint returns a function that decodes an NLA_UINT attribute, which
// the kernel sends as 4 bytes when the value fits and as 8 otherwise, into
// v.
func decodeUint(v *uint64) func(b []byte) error {
	return func(b []byte) error {
		switch len(b) {
		case 4:
			*v = uint64(binary.NativeEndian.Uint32(b))
		case 8:
			*v = binary.NativeEndian.Uint64(b)
		default:
			return fmt.Errorf("unsigned integer attribute of %d bytes, want 4 or 8", len(b))
		}
		return nil
	}
}

// decodeFDs returns a function that decodes a binary attribute holding an
// array of native-endian u32 descriptor numbers into fds, nil when it is
// empty. The kernel lists at most MaxRetainedFDs, in ascending order, as
// Service.RetainedFDs promises.
func decodeFDs(fds *[]int) func(b []byte) error {
	return func(b []byte) error {
		if len(b)%4 != 0 {
			return fmt.Errorf("descriptor list of %d bytes, not a multiple of 4", len(b))
		}
		if n := len(b) / 4; n > MaxRetainedFDs {
			return fmt.Errorf("descriptor list of %d entries, more than %d", n, MaxRetainedFDs)
		}
		if len(b) == 0 {
			*fds = nil
			return nil
		}
		list := make([]int, 0, len(b)/4)
		for i := 0; i < len(b); i += 4 {
			fd := int(binary.NativeEndian.Uint32(b[i:]))
			if n := len(list); n > 0 && fd <= list[n-1] {
				return fmt.Errorf("descriptor list not in ascending order: %d after %d", fd, list[n-1])
			}
			list = append(list, fd)
		}
		*fds = list
		return nil
	}
}

// decodeString returns a function that decodes a string attribute, the
// string called what, into s. The kernel sends the bytes of a C string and
// its NUL (nla_put_string): trailing NULs are dropped, a NUL before them is
// an error, and so is a string longer than limit bytes when limit is not 0.
func decodeString(what string, limit int, s *string) func(b []byte) error {
	return func(b []byte) error {
		b = bytes.TrimRight(b, "\x00")
		if i := bytes.IndexByte(b, 0); i >= 0 {
			return fmt.Errorf("%s of %d bytes with a NUL byte at %d", what, len(b), i)
		}
		if limit > 0 && len(b) > limit {
			return fmt.Errorf("%s of %d bytes, longer than %d", what, len(b), limit)
		}
		*s = string(b)
		return nil
	}
}

// decodeTime returns a function that decodes an NLA_UINT attribute holding
// ns of CLOCK_BOOTTIME, the time called what, into d.
func decodeTime(what string, d *time.Duration) func(b []byte) error {
	return func(b []byte) error {
		var ns uint64
		if err := decodeUint(&ns)(b); err != nil {
			return err
		}
		if ns > math.MaxInt64 {
			return fmt.Errorf("%s %d ns out of range", what, ns)
		}
		*d = time.Duration(ns)
		return nil
	}
}

// errText describes err without netlink details: the errno's text when
// there is one.
func errText(err error) string {
	var errno unix.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	return err.Error()
}

// Is lets errors.Is match an Error with os.ErrPermission (EPERM, EACCES)
// and os.ErrNotExist (ESRCH: no such process; ENOENT: no such service).
func (e *Error) Is(target error) bool {
	switch target {
	case os.ErrPermission:
		return errors.Is(e.Err, unix.EPERM) || errors.Is(e.Err, unix.EACCES)
	case os.ErrNotExist:
		return errors.Is(e.Err, unix.ESRCH) || errors.Is(e.Err, unix.ENOENT)
	default:
		return false
	}
}

// signalMask returns the mask with bit N set for each signal N in sigs,
// which check has validated.
func signalMask(sigs []syscall.Signal) uint64 {
	var m uint64
	for _, s := range sigs {
		m |= 1 << uint(s)
	}
	return m
}

// maskSignals returns the signals whose bit is set in m, in ascending order,
// or nil when none is.
func maskSignals(m uint64) []syscall.Signal {
	var sigs []syscall.Signal
	for n := 1; n <= maxSignal; n++ {
		if m&(1<<uint(n)) != 0 {
			sigs = append(sigs, syscall.Signal(n))
		}
	}
	return sigs
}
