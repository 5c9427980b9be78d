//go:build linux

package libzl

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nltest"
	"golang.org/x/sys/unix"
)

// This file is a fake kernel: genltest answers the family lookup, and adapt
// turns the replies and refusals of a genltest.Func into the netlink messages
// the kernel sends, including extended acknowledgements that carry a message.

// testFamily is the zlr family as the fake kernel announces it.
var testFamily = genetlink.Family{
	ID:      0x1d,
	Name:    "zlr",
	Version: 1,
	Groups:  []genetlink.MulticastGroup{{ID: 9, Name: "monitor"}},
}

// A kernelError is a refusal by the fake kernel: an errno and, like
// NL_SET_ERR_MSG, an optional message.
type kernelError struct {
	errno unix.Errno
	msg   string
}

func (e *kernelError) Error() string { return fmt.Sprintf("errno %d: %s", e.errno, e.msg) }

// refuse returns a kernelError.
func refuse(errno unix.Errno, msg string) error { return &kernelError{errno: errno, msg: msg} }

// testClient returns a Client whose kernel is fn: fn sees the zlr requests,
// the family lookup is answered with testFamily.
func testClient(t *testing.T, fn genltest.Func) *Client {
	t.Helper()
	conn := genetlink.NewConn(nltest.Dial(adapt(genltest.ServeFamily(testFamily, fn))))
	c, err := initClient(conn)
	if err != nil {
		t.Fatalf("initClient: %v", err)
	}
	cl := &Client{c: c}
	t.Cleanup(func() { _ = cl.Close() })
	return cl
}

// adapt is genltest's adapter from a genltest.Func to an nltest.Func, with
// what the kernel does besides: a refusal is an NLMSG_ERROR with the request
// echoed and the message as NLMSGERR_ATTR_MSG, a dump ends with NLMSG_DONE,
// and a request with NLM_F_ACK and no reply gets an acknowledgement.
func adapt(fn genltest.Func) nltest.Func {
	return func(reqs []netlink.Message) ([]netlink.Message, error) {
		if len(reqs) != 1 {
			return nil, fmt.Errorf("fake kernel: got %d requests, want 1", len(reqs))
		}
		req := reqs[0]
		var greq genetlink.Message
		if err := greq.UnmarshalBinary(req.Data); err != nil {
			return nil, err
		}

		gmsgs, err := fn(greq, req)
		if err != nil {
			kerr, ok := err.(*kernelError)
			if !ok {
				return nil, err
			}
			return []netlink.Message{errorMessage(req, kerr)}, nil
		}

		reply := func(typ netlink.HeaderType, flags netlink.HeaderFlags, data []byte) netlink.Message {
			return netlink.Message{
				Header: netlink.Header{
					Type:     typ,
					Flags:    flags,
					Sequence: req.Header.Sequence,
					PID:      req.Header.PID,
				},
				Data: data,
			}
		}

		var msgs []netlink.Message
		var multi netlink.HeaderFlags
		if req.Header.Flags&netlink.Dump != 0 {
			multi = netlink.Multi
		}
		for _, gm := range gmsgs {
			b, err := gm.MarshalBinary()
			if err != nil {
				return nil, err
			}
			msgs = append(msgs, reply(req.Header.Type, multi, b))
		}
		switch {
		case multi != 0:
			msgs = append(msgs, reply(netlink.Done, multi, make([]byte, 4)))
		case len(msgs) == 0 && req.Header.Flags&netlink.Acknowledge != 0:
			msgs = append(msgs, reply(netlink.Error, netlink.Capped, append(make([]byte, 4), mustMarshal(req)[:16]...)))
		}
		return msgs, nil
	}
}

// errorMessage returns the NLMSG_ERROR the kernel sends to refuse req.
func errorMessage(req netlink.Message, kerr *kernelError) netlink.Message {
	data := binary.NativeEndian.AppendUint32(nil, uint32(-int32(kerr.errno)))
	data = append(data, mustMarshal(req)...)
	var flags netlink.HeaderFlags
	if kerr.msg != "" {
		flags |= netlink.AcknowledgeTLVs
		data = append(data, nla(unix.NLMSGERR_ATTR_MSG, str(kerr.msg))...)
	}
	return netlink.Message{
		Header: netlink.Header{
			Type:     netlink.Error,
			Flags:    flags,
			Sequence: req.Header.Sequence,
			PID:      req.Header.PID,
		},
		Data: data,
	}
}

func mustMarshal(m netlink.Message) []byte {
	m.Header.Length = uint32(16 + len(m.Data))
	b, err := m.MarshalBinary()
	if err != nil {
		panic(err)
	}
	return b
}

// Attribute bytes, written out by hand rather than with the encoder under
// test.

// nla returns a netlink attribute of type typ holding the concatenation of
// data, padded to 4 bytes.
func nla(typ uint16, data ...[]byte) []byte {
	var payload []byte
	for _, d := range data {
		payload = append(payload, d...)
	}
	b := binary.NativeEndian.AppendUint16(nil, uint16(4+len(payload)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, payload...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// nest returns a nested attribute, with NLA_F_NESTED set.
func nest(typ uint16, attrs ...[]byte) []byte { return nla(typ|netlink.Nested, attrs...) }

func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }
func str(s string) []byte { return append([]byte(s), 0) }

// u32s returns an array of native-endian u32, as a binary attribute with
// sub-type u32 holds it.
func u32s(vs ...uint32) []byte {
	b := []byte{}
	for _, v := range vs {
		b = binary.NativeEndian.AppendUint32(b, v)
	}
	return b
}

// cat concatenates attributes.
func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	if out == nil {
		out = []byte{}
	}
	return out
}
