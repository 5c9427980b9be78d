//go:build linux

package libzl

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	nl "github.com/zl-dev/zl/libzl/internal/zlrnl"
)

// A commitKernel is a fake kernel that accepts commit requests and records
// the descriptors they name, and a dial function that opens Clients on it
// and counts the dials.
type commitKernel struct {
	t *testing.T
	// refusal, if set, is the kernel's answer to every commit.
	refusal error
	// dialErr, if set, is what dial returns.
	dialErr error

	mu    sync.Mutex
	dials int
	fds   []uint32
}

func (k *commitKernel) dial() (*Client, error) {
	k.mu.Lock()
	k.dials++
	k.mu.Unlock()
	if k.dialErr != nil {
		return nil, k.dialErr
	}
	return testClient(k.t, genltest.CheckRequest(testFamily.ID, nl.ZLR_CMD_COMMIT, netlink.Request|netlink.Acknowledge,
		func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
			ad, err := netlink.NewAttributeDecoder(greq.Data)
			if err != nil {
				return nil, err
			}
			var fds []uint32
			for ad.Next() {
				if ad.Type() != nl.ZLR_A_SERVICE_FD {
					k.t.Errorf("commit sent attribute %d, want only the descriptor", ad.Type())
					continue
				}
				fds = append(fds, ad.Uint32())
			}
			if err := ad.Err(); err != nil {
				return nil, err
			}
			if len(fds) != 1 {
				k.t.Errorf("commit sent %d descriptors, want 1", len(fds))
			}
			k.mu.Lock()
			k.fds = append(k.fds, fds...)
			k.mu.Unlock()
			if k.refusal != nil {
				return nil, k.refusal
			}
			return nil, nil
		})), nil
}

func (k *commitKernel) counts() (dials int, fds []uint32) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.dials, append([]uint32(nil), k.fds...)
}

// fdOf returns the descriptor of conn.
func fdOf(t *testing.T, conn syscall.Conn) uint32 {
	t.Helper()
	rc, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var fd uintptr
	if err := rc.Control(func(d uintptr) { fd = d }); err != nil {
		t.Fatal(err)
	}
	return uint32(fd)
}

// streams returns a pipe, a TCP connection and a UNIX stream connection,
// closed when the test ends.
func streams(t *testing.T) map[string]syscall.Conn {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close(); _ = w.Close() })

	conns := map[string]syscall.Conn{"pipe": r}
	for _, addr := range []struct{ network, address string }{
		{"tcp", "127.0.0.1:0"},
		{"unix", filepath.Join(t.TempDir(), "s")},
	} {
		l, err := net.Listen(addr.network, addr.address)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = l.Close() })
		c, err := net.Dial(addr.network, l.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		s, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		conns[addr.network] = s.(syscall.Conn)
	}
	return conns
}

func TestCommitStreams(t *testing.T) {
	k := &commitKernel{t: t}
	s := &sharedClient{dial: k.dial, fcntl: netlinkOnly}
	conns := streams(t)
	var want []uint32
	for _, name := range []string{"pipe", "tcp", "unix"} {
		conn := conns[name]
		if err := s.commit(conn); err != nil {
			t.Fatalf("commit %s: %v", name, err)
		}
		want = append(want, fdOf(t, conn))
	}
	dials, fds := k.counts()
	if dials != 1 {
		t.Errorf("dialled %d times for 3 commits, want once", dials)
	}
	if fmt.Sprint(fds) != fmt.Sprint(want) {
		t.Errorf("kernel saw descriptors %v, want %v", fds, want)
	}
}

func TestCommitShared(t *testing.T) {
	k := &commitKernel{t: t}
	s := &sharedClient{dial: k.dial, fcntl: netlinkOnly}
	r := streams(t)["pipe"]

	const goroutines, each = 8, 10
	var wg sync.WaitGroup
	errc := make(chan error, goroutines*each)
	for range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				errc <- s.commit(r)
			}
		}()
	}
	wg.Wait()
	close(errc)
	for err := range errc {
		if err != nil {
			t.Fatalf("commit: %v", err)
		}
	}
	dials, fds := k.counts()
	if dials != 1 {
		t.Errorf("dialled %d times, want once", dials)
	}
	if len(fds) != goroutines*each {
		t.Errorf("kernel saw %d commits, want %d", len(fds), goroutines*each)
	}
}

func TestCommitErrors(t *testing.T) {
	emfile := fmt.Errorf("zlr: open generic netlink socket: %w", unix.EMFILE)
	tests := []struct {
		name    string
		dialErr error
		refusal error
		closed  bool // commit a closed pipe
		wantErr string
		is      []error
		isNot   []error
		// wantDials and wantCommits are what two commits cost.
		wantDials, wantCommits int
	}{
		{
			name:      "kernel without zlr, remembered",
			dialErr:   ErrNotSupported,
			wantErr:   ErrNotSupported.Error(),
			is:        []error{ErrNotSupported, os.ErrNotExist},
			wantDials: 1,
		},
		{
			name:      "dial fails otherwise, tried again",
			dialErr:   emfile,
			wantErr:   "zlr commit: zlr: open generic netlink socket: too many open files",
			is:        []error{unix.EMFILE},
			isNot:     []error{ErrNotSupported},
			wantDials: 2,
		},
		{
			name:        "not a service",
			refusal:     refuse(unix.ENOENT, "the calling process is not a registered service"),
			wantErr:     "zlr commit: the calling process is not a registered service",
			is:          []error{os.ErrNotExist, unix.ENOENT},
			isNot:       []error{ErrNotSupported},
			wantDials:   1,
			wantCommits: 2,
		},
		{
			// Found before anything is asked of the kernel.
			name:    "closed pipe",
			closed:  true,
			wantErr: "zlr commit: use of closed file",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &commitKernel{t: t, dialErr: tt.dialErr, refusal: tt.refusal}
			s := &sharedClient{dial: k.dial, fcntl: netlinkOnly}
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			defer w.Close()
			if tt.closed {
				_ = r.Close()
			} else {
				defer r.Close()
			}
			for i := range 2 {
				err := s.commit(r)
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("commit %d: error = %v, want %q", i, err, tt.wantErr)
				}
				for _, target := range tt.is {
					if !errors.Is(err, target) {
						t.Errorf("commit %d: errors.Is(err, %v) = false, want true", i, target)
					}
				}
				for _, target := range tt.isNot {
					if errors.Is(err, target) {
						t.Errorf("commit %d: errors.Is(err, %v) = true, want false", i, target)
					}
				}
			}
			dials, fds := k.counts()
			if dials != tt.wantDials || len(fds) != tt.wantCommits {
				t.Errorf("dials, commits = %d, %d; want %d, %d", dials, len(fds), tt.wantDials, tt.wantCommits)
			}
		})
	}
}

// A badConn is a syscall.Conn without a descriptor.
type badConn struct{}

func (badConn) SyscallConn() (syscall.RawConn, error) { return nil, syscall.EINVAL }

func TestCommitWithoutDescriptor(t *testing.T) {
	k := &commitKernel{t: t}
	s := &sharedClient{dial: k.dial, fcntl: netlinkOnly}
	err := s.commit(badConn{})
	if err == nil || err.Error() != "zlr commit: invalid argument" || !errors.Is(err, syscall.EINVAL) {
		t.Errorf("error = %v, want EINVAL", err)
	}
	if dials, _ := k.counts(); dials != 0 {
		t.Errorf("dialled %d times, want not at all", dials)
	}
}

// netlinkOnly is the fcntl of a sharedClient whose commits all go through
// netlink.
func netlinkOnly(uintptr) error { return errNoFcntl }

// A fakeFcntl answers the fcntl commits with err and counts them.
type fakeFcntl struct {
	mu  sync.Mutex
	err error
	fds []uintptr
}

func (f *fakeFcntl) commit(fd uintptr) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fds = append(f.fds, fd)
	return f.err
}

func (f *fakeFcntl) calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.fds)
}

func TestCommitFcntl(t *testing.T) {
	conn := streams(t)["tcp"]
	fd := fdOf(t, conn)

	t.Run("taken", func(t *testing.T) {
		k := &commitKernel{t: t}
		f := &fakeFcntl{}
		s := &sharedClient{dial: k.dial, fcntl: f.commit}
		for range 3 {
			if err := s.commit(conn); err != nil {
				t.Fatal(err)
			}
		}
		if dials, fds := k.counts(); dials != 0 || len(fds) != 0 {
			t.Errorf("netlink: %d dials, commits %v; want none when fcntl commits", dials, fds)
		}
		if f.calls() != 3 || uint32(f.fds[0]) != fd {
			t.Errorf("fcntl commits %v, want 3 of descriptor %d", f.fds, fd)
		}
	})

	t.Run("kernel without F_ZLR_COMMIT", func(t *testing.T) {
		k := &commitKernel{t: t}
		f := &fakeFcntl{err: syscall.EINVAL}
		s := &sharedClient{dial: k.dial, fcntl: f.commit}
		for range 3 {
			if err := s.commit(conn); err != nil {
				t.Fatal(err)
			}
		}
		if _, fds := k.counts(); len(fds) != 3 {
			t.Errorf("netlink commits %v, want 3", fds)
		}
		if f.calls() != 1 {
			t.Errorf("%d fcntl commits, want 1: the first tells the kernel lacks it", f.calls())
		}
	})

	t.Run("refused", func(t *testing.T) {
		// The kernel refuses the fcntl and the command alike: the command's
		// answer, with its message, is the error, and fcntl is tried again.
		k := &commitKernel{t: t, refusal: refuse(unix.ENOENT, "the calling process is not a registered service")}
		f := &fakeFcntl{err: syscall.ENOENT}
		s := &sharedClient{dial: k.dial, fcntl: f.commit}
		for range 2 {
			err := s.commit(conn)
			if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "not a registered service") {
				t.Errorf("commit = %v, want the kernel's refusal", err)
			}
		}
		if f.calls() != 2 {
			t.Errorf("%d fcntl commits, want 2", f.calls())
		}
	})
}

// TestCommitFcntlHost commits with the real fcntl on the host's kernel:
// without zlr it refuses F_ZLR_COMMIT, and the fake kernel takes the
// command instead.
func TestCommitFcntlHost(t *testing.T) {
	conn := streams(t)["unix"]
	rc, err := conn.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var ferr error
	_ = rc.Control(func(fd uintptr) { ferr = fcntlCommit(fd) })
	if ferr == nil {
		t.Skip("the host's kernel has zlr and took the commit")
	}
	k := &commitKernel{t: t}
	s := &sharedClient{dial: k.dial, fcntl: fcntlCommit}
	if err := s.commit(conn); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(ferr, syscall.EINVAL) {
		t.Errorf("fcntl(F_ZLR_COMMIT) on a kernel without zlr = %v, want EINVAL", ferr)
	}
	if !s.noFcntl.Load() {
		t.Error("after EINVAL and a netlink commit, fcntl is still tried")
	}
}

// TestFcntlCommitConstant checks fZLRCommit against the definition of
// F_ZLR_COMMIT that the kernel patch series adds to <linux/fcntl.h>.
func TestFcntlCommitConstant(t *testing.T) {
	patches, err := filepath.Glob(filepath.Join(patchDir, "*.patch"))
	if err != nil || len(patches) == 0 {
		t.Fatalf("no patches in %s: %v", patchDir, err)
	}
	const prefix = "+#define F_ZLR_COMMIT"
	found := false
	for _, p := range patches {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for line := range strings.Lines(string(b)) {
			def, ok := strings.CutPrefix(line, prefix)
			if !ok {
				continue
			}
			found = true
			// The uapi header's form, and the selftests' fallback.
			base, off, ok := strings.Cut(strings.Trim(strings.TrimSpace(def), "()"), "+")
			n, err := strconv.Atoi(strings.TrimSpace(off))
			if b := strings.TrimSpace(base); !ok || err != nil || (b != "F_LINUX_SPECIFIC_BASE" && b != "1024") {
				t.Fatalf("%s: cannot read %q", filepath.Base(p), line)
			}
			// F_SETLEASE is F_LINUX_SPECIFIC_BASE + 0.
			if want := unix.F_SETLEASE + n; fZLRCommit != want {
				t.Errorf("%s: fZLRCommit = %d, want F_LINUX_SPECIFIC_BASE + %d = %d", filepath.Base(p), fZLRCommit, n, want)
			}
		}
	}
	if !found {
		t.Errorf("no patch in %s defines F_ZLR_COMMIT", patchDir)
	}
}
