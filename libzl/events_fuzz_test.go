//go:build linux

package libzl

import (
	"math"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mdlayher/netlink"

	nl "github.com/zl-dev/zl/libzl/internal/zlrnl"
)

// encodeEvent returns the attributes of a notification of e, as the
// kernel's zlr_nl_fill_event() writes them; client_fuzz_test.go explains
// what it is for.
func encodeEvent(e *Event) ([]byte, error) {
	ae := netlink.NewAttributeEncoder()
	ae.Uint32(nl.ZLR_A_EVENT_ID, e.ID)
	ae.Uint32(nl.ZLR_A_EVENT_PID, uint32(e.PID))
	ae.String(nl.ZLR_A_EVENT_NAME, e.Name)
	ae.Uint32(nl.ZLR_A_EVENT_INCARNATION, e.Incarnation)
	putUint(ae, nl.ZLR_A_EVENT_TIME, uint64(e.Time))
	if e.Fault != nil {
		ae.Nested(nl.ZLR_A_EVENT_FAULT, func(nae *netlink.AttributeEncoder) error {
			encodeFault(nae, e.Fault)
			return nil
		})
	}
	ae.Uint32(nl.ZLR_A_EVENT_CAUSE, uint32(e.Cause))
	putUint(ae, nl.ZLR_A_EVENT_LATENCY, uint64(e.Latency))
	if e.Exe != "" {
		ae.String(nl.ZLR_A_EVENT_EXE, e.Exe)
	}
	ae.Uint32(nl.ZLR_A_EVENT_RETAINED, uint32(e.Retained))
	ae.Uint32(nl.ZLR_A_EVENT_REASON, uint32(e.Reason))
	// The kernel sends the negative errno.
	ae.Uint32(nl.ZLR_A_EVENT_ERROR, uint32(-int64(e.Err)))
	ae.Uint32(nl.ZLR_A_EVENT_EXIT_STATUS, uint32(e.ExitStatus))
	ae.Uint32(nl.ZLR_A_EVENT_STREAM_KIND, uint32(e.StreamKind))
	putUint(ae, nl.ZLR_A_EVENT_STREAM_INO, e.StreamIno)
	ae.Uint32(nl.ZLR_A_EVENT_OVERFLOW_REASON, uint32(e.OverflowReason))
	putUint(ae, nl.ZLR_A_EVENT_REPLAY_LIMIT, e.ReplayLimit)
	return ae.Encode()
}

// checkEvent checks what Event documents.
func checkEvent(t *testing.T, kind EventKind, e *Event) {
	t.Helper()
	if e.Kind != kind {
		t.Errorf("kind %v, want %v", e.Kind, kind)
	}
	checkText(t, "name", e.Name, MaxNameLen)
	checkText(t, "exe", e.Exe, 0)
	checkDuration(t, "event time", e.Time)
	checkDuration(t, "latency", e.Latency)
	checkFault(t, e.Fault)
	if e.Err > 1<<31 {
		t.Errorf("errno %d beyond an s32", uintptr(e.Err))
	}
	if e.PID < 0 || e.PID > math.MaxUint32 || e.Retained < 0 || e.Retained > math.MaxUint32 {
		t.Errorf("pid %d or retained %d out of the u32 range", e.PID, e.Retained)
	}
}

// FuzzParseEvent decodes the attributes of a notification of the monitor
// group, of any command.
func FuzzParseEvent(f *testing.F) {
	f.Fuzz(func(t *testing.T, cmd uint8, b []byte) {
		kind := EventKind(cmd)
		e, err := parseEvent(kind, b)
		checkDecoded(t, b, eventSet, "decode "+kind.String()+" event: ", e, err)
		if err != nil {
			return
		}
		checkEvent(t, kind, e)
		decode := func(b []byte) (*Event, error) { return parseEvent(kind, b) }
		checkReencoded(t, e, encodeEvent, decode)
		checkNoAlias(t, b, decode)
	})
}

// FuzzMonitorNext sends a Monitor a datagram holding a notification with
// command cmd and attributes b, then a valid event: Next skips the first
// when cmd is no event, or returns what parseEvent returns for it (an error
// wrapped), and in every case returns the valid event after it, as Next
// documents.
func FuzzMonitorNext(f *testing.F) {
	f.Fuzz(func(t *testing.T, cmd uint8, b []byte) {
		m, sock := testMonitor(t)
		if err := m.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
			t.Fatalf("SetDeadline: %v", err)
		}
		exit := webEvent(EventExit)
		last := notification(nl.ZLR_CMD_EXIT_NTF, head())
		sock.send(notification(cmd, b), last)

		got, err := m.Next()
		if kind := EventKind(cmd); kind.known() {
			want, werr := parseEvent(kind, b)
			switch {
			case werr != nil:
				if err == nil || err.Error() != "zlr monitor: "+werr.Error() {
					t.Fatalf("Next: error = %v, want %q", err, "zlr monitor: "+werr.Error())
				}
			case err != nil:
				t.Fatalf("Next: %v", err)
			default:
				if diff := cmp.Diff(want, got); diff != "" {
					t.Fatalf("Next (-parseEvent +Next):\n%s", diff)
				}
			}
			got, err = m.Next()
		}
		if err != nil {
			t.Fatalf("Next after it: %v", err)
		}
		if diff := cmp.Diff(&exit, got); diff != "" {
			t.Fatalf("Next after it (-want +got):\n%s", diff)
		}
	})
}
