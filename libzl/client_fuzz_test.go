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

// Fuzz targets of the decoding of what the kernel sends. Their seeds are the
// files under testdata/fuzz, which corpus_fuzz_test.go writes and checks;
// ci/go-fuzz runs every target for a while.
//
// Besides never panicking, each decoder is held to three properties:
//
//   - it accepts exactly the messages the reference validator below accepts,
//     which is written from the spec's attribute types and the kernel's fill
//     functions, not from the decoder;
//   - what it returns satisfies what the package's documentation promises
//     (strings without NUL bytes, ascending lists, durations that are not
//     negative);
//   - what it returns, encoded again as the kernel would send it, decodes to
//     the same value, and it does not keep references to the input.

// An attrKind is what an attribute holds, as the spec's type and the
// kernel's nla_put_*() call define it.
type attrKind int

const (
	// kindU32 is a u32 or an s32 (nla_put_u32, nla_put_s32): 4 bytes.
	kindU32 attrKind = iota + 1
	// kindUint is a uint (nla_put_uint): 4 bytes when the value fits, 8
	// otherwise.
	kindUint
	// kindTime is a uint holding ns, which must fit a time.Duration.
	kindTime
	// kindString is a string (nla_put_string): its bytes and a NUL; the
	// decoder tolerates trailing NULs (padding), or none, but not a NUL
	// inside.
	kindString
	// kindName is a string of at most MaxNameLen bytes.
	kindName
	// kindBinary is any bytes.
	kindBinary
	// kindFDs is a binary array of u32 descriptor numbers, strictly
	// ascending, at most MaxRetainedFDs of them.
	kindFDs
	// kindNest is a nested attribute set.
	kindNest
)

// An attrSpec says what one attribute of a set holds.
type attrSpec struct {
	kind attrKind
	// nest is the nested set, for kindNest.
	nest attrSet
}

// An attrSet is an attribute set of the spec: the attributes the decoder
// knows, by type. It ignores the others.
type attrSet map[uint16]attrSpec

var (
	policySet = attrSet{
		nl.ZLR_A_POLICY_FAULT_SIGNALS:    {kind: kindUint},
		nl.ZLR_A_POLICY_FAULT_EXIT_CODES: {kind: kindBinary},
		nl.ZLR_A_POLICY_MAX_RESTARTS:     {kind: kindU32},
		nl.ZLR_A_POLICY_WINDOW_MS:        {kind: kindU32},
		nl.ZLR_A_POLICY_BACKOFF_MS:       {kind: kindU32},
		nl.ZLR_A_POLICY_MIN_UPTIME_MS:    {kind: kindU32},
		nl.ZLR_A_POLICY_REPLAY_LIMIT:     {kind: kindU32},
		nl.ZLR_A_POLICY_FLAGS:            {kind: kindU32},
	}
	faultSet = attrSet{
		nl.ZLR_A_FAULT_SIGNAL:    {kind: kindU32},
		nl.ZLR_A_FAULT_EXIT_CODE: {kind: kindU32},
		nl.ZLR_A_FAULT_CODE:      {kind: kindU32},
		nl.ZLR_A_FAULT_ADDR:      {kind: kindUint},
		nl.ZLR_A_FAULT_IP:        {kind: kindUint},
		nl.ZLR_A_FAULT_TIME:      {kind: kindTime},
	}
	// serviceSet leaves out fd, which only commit requests carry.
	serviceSet = attrSet{
		nl.ZLR_A_SERVICE_ID:               {kind: kindU32},
		nl.ZLR_A_SERVICE_PID:              {kind: kindU32},
		nl.ZLR_A_SERVICE_NAME:             {kind: kindName},
		nl.ZLR_A_SERVICE_UID:              {kind: kindU32},
		nl.ZLR_A_SERVICE_POLICY:           {kind: kindNest, nest: policySet},
		nl.ZLR_A_SERVICE_INCARNATION:      {kind: kindU32},
		nl.ZLR_A_SERVICE_FAULTS:           {kind: kindUint},
		nl.ZLR_A_SERVICE_RESTARTS:         {kind: kindUint},
		nl.ZLR_A_SERVICE_GIVEUPS:          {kind: kindUint},
		nl.ZLR_A_SERVICE_REG_TIME:         {kind: kindTime},
		nl.ZLR_A_SERVICE_EXE:              {kind: kindString},
		nl.ZLR_A_SERVICE_LAST_FAULT:       {kind: kindNest, nest: faultSet},
		nl.ZLR_A_SERVICE_RETAINED:         {kind: kindU32},
		nl.ZLR_A_SERVICE_RETAINED_FDS:     {kind: kindFDs},
		nl.ZLR_A_SERVICE_REPLAY_HELD:      {kind: kindUint},
		nl.ZLR_A_SERVICE_REPLAY_STREAMS:   {kind: kindUint},
		nl.ZLR_A_SERVICE_REPLAYS:          {kind: kindUint},
		nl.ZLR_A_SERVICE_REPLAY_BYTES:     {kind: kindUint},
		nl.ZLR_A_SERVICE_REPLAY_OVERFLOWS: {kind: kindUint},
	}
	statsSet = attrSet{
		nl.ZLR_A_STATS_SERVICES:         {kind: kindU32},
		nl.ZLR_A_STATS_REPLAY_HELD:      {kind: kindUint},
		nl.ZLR_A_STATS_REPLAY_LIMIT:     {kind: kindUint},
		nl.ZLR_A_STATS_REPLAY_STREAMS:   {kind: kindUint},
		nl.ZLR_A_STATS_REPLAYS:          {kind: kindUint},
		nl.ZLR_A_STATS_REPLAY_BYTES:     {kind: kindUint},
		nl.ZLR_A_STATS_REPLAY_OVERFLOWS: {kind: kindUint},
	}
	eventSet = attrSet{
		nl.ZLR_A_EVENT_ID:              {kind: kindU32},
		nl.ZLR_A_EVENT_PID:             {kind: kindU32},
		nl.ZLR_A_EVENT_NAME:            {kind: kindName},
		nl.ZLR_A_EVENT_INCARNATION:     {kind: kindU32},
		nl.ZLR_A_EVENT_TIME:            {kind: kindTime},
		nl.ZLR_A_EVENT_FAULT:           {kind: kindNest, nest: faultSet},
		nl.ZLR_A_EVENT_CAUSE:           {kind: kindU32},
		nl.ZLR_A_EVENT_LATENCY:         {kind: kindTime},
		nl.ZLR_A_EVENT_EXE:             {kind: kindString},
		nl.ZLR_A_EVENT_RETAINED:        {kind: kindU32},
		nl.ZLR_A_EVENT_REASON:          {kind: kindU32},
		nl.ZLR_A_EVENT_ERROR:           {kind: kindU32},
		nl.ZLR_A_EVENT_EXIT_STATUS:     {kind: kindU32},
		nl.ZLR_A_EVENT_STREAM_KIND:     {kind: kindU32},
		nl.ZLR_A_EVENT_STREAM_INO:      {kind: kindUint},
		nl.ZLR_A_EVENT_OVERFLOW_REASON: {kind: kindU32},
		nl.ZLR_A_EVENT_REPLAY_LIMIT:    {kind: kindUint},
	}
)

// validAttrs is the reference validator: it returns why b is not a valid
// sequence of attributes of set, or nil when it is. The framing is the
// netlink package's, which is the kernel's except that it reads an
// attribute of length 0 as an empty one 4 bytes long, and lets the last
// attribute's padding be missing.
func validAttrs(b []byte, set attrSet) error {
	for i := 0; i < len(b); {
		if len(b)-i < 4 {
			return fmt.Errorf("%d bytes left at %d, less than a header", len(b)-i, i)
		}
		l := int(binary.NativeEndian.Uint16(b[i:]))
		typ := binary.NativeEndian.Uint16(b[i+2:]) &^ (netlink.Nested | netlink.NetByteOrder)
		var payload []byte
		next := i + 4
		switch {
		case l == 0:
		case l < 4:
			return fmt.Errorf("attribute %d at %d: length %d", typ, i, l)
		case l > len(b)-i:
			return fmt.Errorf("attribute %d at %d: length %d beyond the %d bytes left", typ, i, l, len(b)-i)
		default:
			payload = b[i+4 : i+l]
			next = i + (l+3)&^3
		}
		if spec, ok := set[typ]; ok {
			if err := spec.valid(payload); err != nil {
				return fmt.Errorf("attribute %d at %d: %w", typ, i, err)
			}
		}
		i = next
	}
	return nil
}

// valid returns why p is not a valid payload for s, or nil.
func (s attrSpec) valid(p []byte) error {
	switch s.kind {
	case kindU32:
		if len(p) != 4 {
			return fmt.Errorf("u32 of %d bytes", len(p))
		}
	case kindUint, kindTime:
		var v uint64
		switch len(p) {
		case 4:
			v = uint64(binary.NativeEndian.Uint32(p))
		case 8:
			v = binary.NativeEndian.Uint64(p)
		default:
			return fmt.Errorf("uint of %d bytes", len(p))
		}
		if s.kind == kindTime && v > math.MaxInt64 {
			return fmt.Errorf("time %d ns", v)
		}
	case kindString, kindName:
		p = bytes.TrimRight(p, "\x00")
		if bytes.IndexByte(p, 0) >= 0 {
			return errors.New("NUL inside a string")
		}
		if s.kind == kindName && len(p) > MaxNameLen {
			return fmt.Errorf("name of %d bytes", len(p))
		}
	case kindFDs:
		if len(p)%4 != 0 || len(p)/4 > MaxRetainedFDs {
			return fmt.Errorf("descriptor list of %d bytes", len(p))
		}
		for i := 4; i < len(p); i += 4 {
			if binary.NativeEndian.Uint32(p[i:]) <= binary.NativeEndian.Uint32(p[i-4:]) {
				return fmt.Errorf("descriptor list not ascending at %d", i/4)
			}
		}
	case kindNest:
		return validAttrs(p, s.nest)
	}
	return nil
}

// checkDecoded checks the outcome of decoding b with set: an error, wrapped
// with prefix, exactly when the reference validator refuses b, and a value
// otherwise.
func checkDecoded[T any](t *testing.T, b []byte, set attrSet, prefix string, v *T, err error) {
	t.Helper()
	verr := validAttrs(b, set)
	switch {
	case err != nil && v != nil:
		t.Fatalf("returned both a value and the error %v", err)
	case err == nil && v == nil:
		t.Fatal("returned neither a value nor an error")
	case err != nil && !strings.HasPrefix(err.Error(), prefix):
		t.Fatalf("error %q does not start with %q", err, prefix)
	case err != nil && verr == nil:
		t.Fatalf("refused a valid message: %v", err)
	case err == nil && verr != nil:
		t.Fatalf("accepted an invalid message (%v): %+v", verr, *v)
	}
}

// checkNoAlias checks that the value decode returns for b does not share
// memory with b: it decodes a copy, overwrites the copy, and compares.
func checkNoAlias[T any](t *testing.T, b []byte, decode func([]byte) (T, error)) {
	t.Helper()
	buf := bytes.Clone(b)
	got, err := decode(buf)
	if err != nil {
		return
	}
	for i := range buf {
		buf[i] ^= 0xa5
	}
	want, _ := decode(b)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("value changed with its input (-before +after):\n%s", diff)
	}
}

// checkText checks a string the kernel sent.
func checkText(t *testing.T, what, s string, limit int) {
	t.Helper()
	if strings.IndexByte(s, 0) >= 0 {
		t.Errorf("%s %q holds a NUL byte", what, s)
	}
	if limit > 0 && len(s) > limit {
		t.Errorf("%s %q is longer than %d bytes", what, s, limit)
	}
}

// checkDuration checks a time the kernel sent in ns.
func checkDuration(t *testing.T, what string, d time.Duration) {
	t.Helper()
	if d < 0 {
		t.Errorf("%s %v is negative", what, d)
	}
}

// checkFault checks what Fault documents.
func checkFault(t *testing.T, f *Fault) {
	t.Helper()
	if f != nil {
		checkDuration(t, "fault time", f.Time)
	}
}

// checkService checks what Service documents.
func checkService(t *testing.T, s *Service) {
	t.Helper()
	checkText(t, "name", s.Name, MaxNameLen)
	checkText(t, "exe", s.Exe, 0)
	checkDuration(t, "registration time", s.Registered)
	checkFault(t, s.LastFault)
	p := s.Policy
	if p.FaultSignals != nil && len(p.FaultSignals) == 0 {
		t.Error("fault signals empty but not nil")
	}
	for i, sig := range p.FaultSignals {
		if sig < 1 || sig > maxSignal || i > 0 && sig <= p.FaultSignals[i-1] {
			t.Errorf("fault signals %v not ascending within 1-%d", p.FaultSignals, maxSignal)
			break
		}
	}
	if p.FaultExitCodes != nil && len(p.FaultExitCodes) == 0 {
		t.Error("fault exit codes empty but not nil")
	}
	if !slices.IsSorted(p.FaultExitCodes) {
		t.Errorf("fault exit codes %v not in ascending order", p.FaultExitCodes)
	}
	for _, d := range []time.Duration{p.Window, p.Backoff, p.MinUptime} {
		if d < 0 || d%time.Millisecond != 0 {
			t.Errorf("policy duration %v is not whole milliseconds", d)
		}
	}
	if s.RetainedFDs != nil && len(s.RetainedFDs) == 0 {
		t.Error("retained descriptors empty but not nil")
	}
	if len(s.RetainedFDs) > MaxRetainedFDs {
		t.Errorf("%d retained descriptors, more than %d", len(s.RetainedFDs), MaxRetainedFDs)
	}
	for i, fd := range s.RetainedFDs {
		if fd < 0 || i > 0 && fd <= s.RetainedFDs[i-1] {
			t.Errorf("retained descriptors %v not ascending", s.RetainedFDs)
			break
		}
	}
}

// The kernel's encoding, for the round trips: what its zlr_nl_fill*()
// functions send for a value, written with the netlink package's encoder.

// putUint writes an NLA_UINT as nla_put_uint does: 4 bytes when v fits.
func putUint(ae *netlink.AttributeEncoder, typ uint16, v uint64) {
	if v <= math.MaxUint32 {
		ae.Uint32(typ, uint32(v))
	} else {
		ae.Uint64(typ, v)
	}
}

// encodeFault writes the attributes of a fault nest.
func encodeFault(ae *netlink.AttributeEncoder, f *Fault) {
	ae.Uint32(nl.ZLR_A_FAULT_SIGNAL, uint32(f.Signal))
	ae.Uint32(nl.ZLR_A_FAULT_EXIT_CODE, uint32(f.ExitCode))
	ae.Int32(nl.ZLR_A_FAULT_CODE, f.Code)
	putUint(ae, nl.ZLR_A_FAULT_ADDR, f.Addr)
	putUint(ae, nl.ZLR_A_FAULT_IP, f.IP)
	putUint(ae, nl.ZLR_A_FAULT_TIME, uint64(f.Time))
}

// encodePolicy writes the attributes of a policy nest.
func encodePolicy(ae *netlink.AttributeEncoder, p *Policy) {
	var mask uint64
	for _, s := range p.FaultSignals {
		mask |= 1 << uint(s)
	}
	putUint(ae, nl.ZLR_A_POLICY_FAULT_SIGNALS, mask)
	ae.Bytes(nl.ZLR_A_POLICY_FAULT_EXIT_CODES, p.FaultExitCodes)
	ae.Uint32(nl.ZLR_A_POLICY_MAX_RESTARTS, p.MaxRestarts)
	ae.Uint32(nl.ZLR_A_POLICY_WINDOW_MS, uint32(p.Window/time.Millisecond))
	ae.Uint32(nl.ZLR_A_POLICY_BACKOFF_MS, uint32(p.Backoff/time.Millisecond))
	ae.Uint32(nl.ZLR_A_POLICY_MIN_UPTIME_MS, uint32(p.MinUptime/time.Millisecond))
	ae.Uint32(nl.ZLR_A_POLICY_REPLAY_LIMIT, p.ReplayLimit)
	ae.Uint32(nl.ZLR_A_POLICY_FLAGS, uint32(p.Flags))
}

// encodeService returns the attributes of a service message.
func encodeService(s *Service) ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(nl.ZLR_A_SERVICE_ID, s.ID)
	ae.Uint32(nl.ZLR_A_SERVICE_PID, uint32(s.PID))
	ae.String(nl.ZLR_A_SERVICE_NAME, s.Name)
	ae.Uint32(nl.ZLR_A_SERVICE_UID, s.UID)
	ae.Nested(nl.ZLR_A_SERVICE_POLICY, func(nae *netlink.AttributeEncoder) error {
		encodePolicy(nae, &s.Policy)
		return nil
	})
	ae.Uint32(nl.ZLR_A_SERVICE_INCARNATION, s.Incarnation)
	putUint(ae, nl.ZLR_A_SERVICE_FAULTS, s.Faults)
	putUint(ae, nl.ZLR_A_SERVICE_RESTARTS, s.Restarts)
	putUint(ae, nl.ZLR_A_SERVICE_GIVEUPS, s.GiveUps)
	putUint(ae, nl.ZLR_A_SERVICE_REG_TIME, uint64(s.Registered))
	if s.Exe != "" {
		ae.String(nl.ZLR_A_SERVICE_EXE, s.Exe)
	}
	if s.LastFault != nil {
		ae.Nested(nl.ZLR_A_SERVICE_LAST_FAULT, func(nae *netlink.AttributeEncoder) error {
			encodeFault(nae, s.LastFault)
			return nil
		})
	}
	if s.Retained != 0 || s.RetainedFDs != nil {
		ae.Uint32(nl.ZLR_A_SERVICE_RETAINED, uint32(s.Retained))
		fds := []byte{}
		for _, fd := range s.RetainedFDs {
			fds = binary.NativeEndian.AppendUint32(fds, uint32(fd))
		}
		ae.Bytes(nl.ZLR_A_SERVICE_RETAINED_FDS, fds)
	}
	putUint(ae, nl.ZLR_A_SERVICE_REPLAY_HELD, s.Replay.Held)
	putUint(ae, nl.ZLR_A_SERVICE_REPLAY_STREAMS, s.Replay.Streams)
	putUint(ae, nl.ZLR_A_SERVICE_REPLAYS, s.Replay.Replays)
	putUint(ae, nl.ZLR_A_SERVICE_REPLAY_BYTES, s.Replay.Bytes)
	putUint(ae, nl.ZLR_A_SERVICE_REPLAY_OVERFLOWS, s.Replay.Overflows)
	return ae.Encode()
}

// encodeStats returns the attributes of a stats message.
func encodeStats(st *Stats) ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(nl.ZLR_A_STATS_SERVICES, uint32(st.Services))
	putUint(ae, nl.ZLR_A_STATS_REPLAY_HELD, st.ReplayHeld)
	putUint(ae, nl.ZLR_A_STATS_REPLAY_LIMIT, st.ReplayLimit)
	putUint(ae, nl.ZLR_A_STATS_REPLAY_STREAMS, st.ReplayStreams)
	putUint(ae, nl.ZLR_A_STATS_REPLAYS, st.Replays)
	putUint(ae, nl.ZLR_A_STATS_REPLAY_BYTES, st.ReplayBytes)
	putUint(ae, nl.ZLR_A_STATS_REPLAY_OVERFLOWS, st.ReplayOverflows)
	return ae.Encode()
}

// checkReencoded checks that v, encoded again, decodes to v.
func checkReencoded[T any](t *testing.T, v T, encode func(T) ([]byte, error), decode func([]byte) (T, error)) {
	t.Helper()
	b, err := encode(v)
	if err != nil {
		t.Fatalf("encode %+v again: %v", v, err)
	}
	got, err := decode(b)
	if err != nil {
		t.Fatalf("decode the encoding of %+v: %v", v, err)
	}
	if diff := cmp.Diff(v, got); diff != "" {
		t.Fatalf("decoded value encoded and decoded again differs (-first +second):\n%s", diff)
	}
}

// FuzzParseService decodes the attributes of a service message, as replies
// to register, get (do and dump), set-policy, restart and ready carry them,
// with its policy and last-fault nests.
func FuzzParseService(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := parseService(b)
		checkDecoded(t, b, serviceSet, "decode service: ", s, err)
		if err != nil {
			return
		}
		checkService(t, s)
		checkReencoded(t, s, encodeService, parseService)
		checkNoAlias(t, b, parseService)
	})
}

// FuzzParseStats decodes the attributes of a stats reply.
func FuzzParseStats(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseStats(b)
		checkDecoded(t, b, statsSet, "decode stats: ", st, err)
		if err != nil {
			return
		}
		if st.Services < 0 || st.Services > math.MaxUint32 {
			t.Errorf("services %d out of the u32 range", st.Services)
		}
		checkReencoded(t, st, encodeStats, parseStats)
	})
}

// FuzzPolicyRoundTrip sends a set-policy request through a Client to a fake
// kernel and decodes the request's attributes, a service attribute set too,
// with parseService: the Client refuses exactly the requests that cannot be
// sent (or that the kernel refuses whatever its state), and what it sends
// decodes to the selector and policy asked for. present chooses the fields
// that are set, one bit each in the order of PolicyConfig; the exit codes
// are codes repeated 1+repeat times, to reach sizes beyond what an
// attribute holds.
func FuzzPolicyRoundTrip(f *testing.F) {
	f.Fuzz(func(t *testing.T, id, pid uint32, present uint8, signals uint64, codes []byte, repeat uint8,
		maxRestarts uint32, window, backoff, minUptime int64, replayLimit, flags uint32) {
		var (
			p    PolicyConfig
			want = Service{ID: id, PID: int(pid)}
			ok   = id != 0 || pid != 0
		)
		set := func(bit uint) bool { return present&(1<<bit) != 0 }
		if set(0) {
			p.FaultSignals = []syscall.Signal{}
			for n := 0; n < 64; n++ {
				if signals&(1<<n) != 0 {
					p.FaultSignals = append(p.FaultSignals, syscall.Signal(n))
				}
			}
			ok = ok && signals&1 == 0
			want.Policy.FaultSignals = maskSignals(signals)
		}
		if set(1) {
			p.FaultExitCodes = bytes.Repeat(codes, 1+int(repeat))
			if len(p.FaultExitCodes) > maxFaultExitCodes {
				ok = false
			} else if len(p.FaultExitCodes) > 0 {
				want.Policy.FaultExitCodes = slices.Sorted(slices.Values(p.FaultExitCodes))
			}
		}
		if set(2) {
			p.MaxRestarts = &maxRestarts
			want.Policy.MaxRestarts = maxRestarts
		}
		for i, d := range []struct {
			ns  int64
			cfg **time.Duration
			pol *time.Duration
		}{
			{window, &p.Window, &want.Policy.Window},
			{backoff, &p.Backoff, &want.Policy.Backoff},
			{minUptime, &p.MinUptime, &want.Policy.MinUptime},
		} {
			if !set(3 + uint(i)) {
				continue
			}
			dur := time.Duration(d.ns)
			*d.cfg = &dur
			*d.pol = dur
			ok = ok && dur >= 0 && dur%time.Millisecond == 0 && dur/time.Millisecond <= math.MaxUint32
		}
		if set(6) {
			p.ReplayLimit = &replayLimit
			want.Policy.ReplayLimit = replayLimit
		}
		if set(7) {
			fl := PolicyFlags(flags)
			p.Flags = &fl
			want.Policy.Flags = fl
		}

		var sent []byte
		c := testClient(t, func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
			sent = greq.Data
			return []genetlink.Message{{Header: greq.Header, Data: webAttrs}}, nil
		})
		_, err := c.SetPolicy(Selector{ID: id, PID: int(pid)}, p)
		if !ok {
			var zerr *Error
			if !errors.As(err, &zerr) || !errors.Is(err, os.ErrInvalid) || zerr.Op != opSetPolicy {
				t.Fatalf("invalid request: error = %v, want the Client's refusal", err)
			}
			if sent != nil {
				t.Fatal("invalid request sent to the kernel")
			}
			return
		}
		if err != nil {
			t.Fatalf("SetPolicy: %v", err)
		}
		if err := validAttrs(sent, serviceSet); err != nil {
			t.Fatalf("request is not valid: %v", err)
		}
		got, err := parseService(sent)
		if err != nil {
			t.Fatalf("decode the request: %v", err)
		}
		if diff := cmp.Diff(&want, got); diff != "" {
			t.Fatalf("request decoded (-want +got):\n%s", diff)
		}
	})
}

// replyKernel returns a fake kernel that answers every request of the zlr
// family with a message whose attributes are b when code is 0, and
// otherwise refuses it with the error code, the request echoed and b as the
// extended acknowledgement's attributes.
func replyKernel(code int32, b []byte) nltest.Func {
	return adapt(genltest.ServeFamily(testFamily, func(greq genetlink.Message, req netlink.Message) ([]genetlink.Message, error) {
		if code == 0 {
			return []genetlink.Message{{Header: greq.Header, Data: b}}, nil
		}
		return nil, &rawRefusal{code: code, tlvs: b}
	}))
}

// A rawRefusal is a refusal whose error message the fake kernel sends as
// is: any error code, any extended acknowledgement attributes.
type rawRefusal struct {
	code int32
	tlvs []byte
}

func (r *rawRefusal) Error() string { return fmt.Sprintf("code %d", r.code) }

// FuzzClientReply runs Client.Service against a fake kernel that answers
// with b, as a reply's attributes when code is 0 and as the extended
// acknowledgement of a refusal with error code code otherwise. A reply
// gives what parseService gives, wrapped; a refusal gives an *Error whose
// message holds no NUL and that errors.Is maps as Error.Is documents.
func FuzzClientReply(f *testing.F) {
	f.Fuzz(func(t *testing.T, code int32, b []byte) {
		conn := genetlink.NewConn(nltest.Dial(refusing(replyKernel(code, b))))
		c, err := initClient(conn)
		if err != nil {
			t.Fatalf("initClient: %v", err)
		}
		defer c.Close()
		s, err := (&Client{c: c}).Service(ByID(3))

		if code == 0 {
			want, werr := parseService(b)
			switch {
			case werr != nil:
				if err == nil || err.Error() != "zlr get: "+werr.Error() {
					t.Fatalf("error = %v, want %q", err, "zlr get: "+werr.Error())
				}
			case err != nil:
				t.Fatalf("Service: %v", err)
			default:
				if diff := cmp.Diff(want, s); diff != "" {
					t.Fatalf("service (-parseService +Service):\n%s", diff)
				}
			}
			return
		}

		if s != nil {
			t.Fatalf("refusal returned a service: %+v", s)
		}
		var zerr *Error
		if !errors.As(err, &zerr) {
			t.Fatalf("error %v (%T) is not an *Error", err, err)
		}
		if zerr.Op != opGet || zerr.Err == nil || !strings.HasPrefix(zerr.Error(), "zlr get: ") {
			t.Fatalf("error %#v: want op get and an underlying error", zerr)
		}
		checkText(t, "message", zerr.Message, 0)
		errno := unix.Errno(-int64(code))
		if got, want := errors.Is(err, os.ErrNotExist), errno == unix.ENOENT || errno == unix.ESRCH; got != want {
			t.Errorf("errors.Is(%v, os.ErrNotExist) = %v, want %v", err, got, want)
		}
		if got, want := errors.Is(err, os.ErrPermission), errno == unix.EPERM || errno == unix.EACCES; got != want {
			t.Errorf("errors.Is(%v, os.ErrPermission) = %v, want %v", err, got, want)
		}
	})
}

// refusing turns the rawRefusal errors of fn into the NLMSG_ERROR the
// kernel would send, with the extended acknowledgement flag and attributes.
func refusing(fn nltest.Func) nltest.Func {
	return func(reqs []netlink.Message) ([]netlink.Message, error) {
		msgs, err := fn(reqs)
		var r *rawRefusal
		if !errors.As(err, &r) {
			return msgs, err
		}
		req := reqs[0]
		data := binary.NativeEndian.AppendUint32(nil, uint32(r.code))
		data = append(data, mustMarshal(req)...)
		data = append(data, r.tlvs...)
		return []netlink.Message{{
			Header: netlink.Header{
				Type:     netlink.Error,
				Flags:    netlink.AcknowledgeTLVs,
				Sequence: req.Header.Sequence,
				PID:      req.Header.PID,
			},
			Data: data,
		}}, nil
	}
}
