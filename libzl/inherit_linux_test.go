//go:build linux

package libzl

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
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

// A legacy is a set of descriptors such as a restarted service inherits,
// made in the test process: each was duplicated from a socket, pipe or file
// whose Go object is closed, so that only the descriptor holds it.
type legacy struct {
	// tcpListener listens at tcpAddr (127.0.0.1); tcpServer is a connection
	// it accepted from tcpClient.
	tcpListener, tcpServer, tcpClient int
	tcpAddr                           *net.TCPAddr

	// anyListener listens at anyAddr, an unspecified address.
	anyListener int
	anyAddr     *net.TCPAddr

	// unixListener listens at unixPath; unixServer is a connection it
	// accepted from unixClient.
	unixListener, unixServer, unixClient int
	unixPath                             string

	// Descriptors that are neither listeners nor connected stream sockets.
	udp, unconnected, pipeR, pipeW, eventfd, file int

	// conns describes the connected stream sockets as their Go objects
	// did, by descriptor.
	conns map[int]string
}

// all returns every descriptor of g, in order.
func (g *legacy) all() []int {
	fds := []int{
		g.tcpListener, g.tcpServer, g.tcpClient, g.anyListener,
		g.unixListener, g.unixServer, g.unixClient,
		g.udp, g.unconnected, g.pipeR, g.pipeW, g.eventfd, g.file,
	}
	slices.Sort(fds)
	return fds
}

// without returns every descriptor of g but those of drop, in order.
func (g *legacy) without(drop ...int) []int {
	return slices.DeleteFunc(g.all(), func(fd int) bool { return slices.Contains(drop, fd) })
}

// newLegacy makes a legacy. The connected sockets get lower descriptors
// than the listeners, whose addresses they share, so that Listen must pass
// them over.
func newLegacy(t *testing.T) *legacy {
	t.Helper()
	var g legacy

	tl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g.tcpAddr = tl.Addr().(*net.TCPAddr)
	tc, err := net.Dial("tcp", g.tcpAddr.String())
	if err != nil {
		t.Fatal(err)
	}
	ts, err := tl.Accept()
	if err != nil {
		t.Fatal(err)
	}

	al, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	g.anyAddr = al.Addr().(*net.TCPAddr)

	g.unixPath = filepath.Join(t.TempDir(), "s")
	ul, err := net.Listen("unix", g.unixPath)
	if err != nil {
		t.Fatal(err)
	}
	// Keep the path for the adopted listener.
	ul.(*net.UnixListener).SetUnlinkOnClose(false)
	uc, err := net.Dial("unix", g.unixPath)
	if err != nil {
		t.Fatal(err)
	}
	us, err := ul.Accept()
	if err != nil {
		t.Fatal(err)
	}

	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.CreateTemp(t.TempDir(), "file")
	if err != nil {
		t.Fatal(err)
	}

	// Unconnected and eventfd descriptors are made raw, and kept as they are.
	g.unconnected, err = unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	hold(t, g.unconnected)
	g.eventfd, err = unix.Eventfd(0, unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	hold(t, g.eventfd)

	// Duplicate everything at once, so that the numbers come in this
	// order, then close the Go objects.
	g.conns = map[int]string{}
	for _, d := range []struct {
		fd   *int
		c    syscall.Conn
		conn bool
	}{
		{&g.tcpServer, ts.(syscall.Conn), true},
		{&g.tcpClient, tc.(syscall.Conn), true},
		{&g.unixServer, us.(syscall.Conn), true},
		{&g.unixClient, uc.(syscall.Conn), true},
		{&g.tcpListener, tl.(syscall.Conn), false},
		{&g.anyListener, al.(syscall.Conn), false},
		{&g.unixListener, ul.(syscall.Conn), false},
		{&g.udp, udp.(syscall.Conn), false},
		{&g.pipeR, pr, false},
		{&g.pipeW, pw, false},
		{&g.file, f, false},
	} {
		*d.fd = dupFD(t, d.c)
		if d.conn {
			g.conns[*d.fd] = describe(d.c.(net.Conn))
		}
	}
	for _, c := range []io.Closer{ts, tc, us, uc, tl, al, ul, udp, pr, pw, f} {
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return &g
}

// dupFD returns a duplicate of c's descriptor, which the test closes at its
// end unless the descriptor is by then another file's.
func dupFD(t *testing.T, c syscall.Conn) int {
	t.Helper()
	rc, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var (
		fd   int
		derr error
	)
	if err := rc.Control(func(s uintptr) {
		fd, derr = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		t.Fatal(err)
	}
	if derr != nil {
		t.Fatal(derr)
	}
	hold(t, fd)
	return fd
}

// hold closes fd at the end of the test, unless the file open there then is
// not the one open now. The adopted listeners and connections are closed
// before: their cleanups are registered later.
func hold(t *testing.T, fd int) {
	t.Helper()
	id, err := fdFileID(fd)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if now, err := fdFileID(fd); err == nil && now == id {
			_ = unix.Close(fd)
		}
	})
}

// describe returns the network and addresses of c, as in
// "tcp 127.0.0.1:1234 -> 127.0.0.1:5678".
func describe(c net.Conn) string {
	addr := func(a net.Addr) string {
		if a == nil {
			return "none"
		}
		return a.String()
	}
	return fmt.Sprintf("%s %s -> %s", c.LocalAddr().Network(), addr(c.LocalAddr()), addr(c.RemoteAddr()))
}

// heldFDs returns the descriptors in holds.
func heldFDs(in *inheritance) []int {
	in.mu.Lock()
	defer in.mu.Unlock()
	var fds []int
	for _, h := range in.held {
		fds = append(fds, h.fd)
	}
	return fds
}

// isOpen reports whether fd is open, by F_GETFD.
func isOpen(t *testing.T, fd int) bool {
	t.Helper()
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	if err != nil && !errors.Is(err, unix.EBADF) {
		t.Fatalf("fcntl(%d, F_GETFD): %v", fd, err)
	}
	return err == nil
}

// closeLater closes c at the end of the test.
func closeLater(t *testing.T, c io.Closer) {
	t.Cleanup(func() { _ = c.Close() })
}

// exchange checks that a and b are the two ends of a working connection.
func exchange(t *testing.T, a, b net.Conn) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for _, c := range []net.Conn{a, b} {
		if err := c.SetDeadline(deadline); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []struct{ from, to net.Conn }{{a, b}, {b, a}} {
		msg := "from " + p.from.LocalAddr().String()
		if _, err := io.WriteString(p.from, msg); err != nil {
			t.Fatalf("write: %v", err)
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(p.to, buf); err != nil {
			t.Fatalf("read: %v", err)
		}
		if string(buf) != msg {
			t.Fatalf("read %q, want %q", buf, msg)
		}
	}
}

// accepts checks that l accepts a connection dialed to its address.
func accepts(t *testing.T, l net.Listener) {
	t.Helper()
	c, err := net.DialTimeout(l.Addr().Network(), l.Addr().String(), 5*time.Second)
	if err != nil {
		t.Fatalf("dial %v: %v", l.Addr(), err)
	}
	defer c.Close()
	s, err := l.Accept()
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	defer s.Close()
	exchange(t, c, s)
}

// freePort returns a TCP port of 127.0.0.1 that nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func TestListen(t *testing.T) {
	port := func(a *net.TCPAddr) string { return strconv.Itoa(a.Port) }
	tests := []struct {
		name    string
		network string
		address func(g *legacy) string
		// adopted returns the descriptor Listen must take, or -1 when it
		// must call net.Listen.
		adopted func(g *legacy) int
		// wantErr is set when net.Listen must fail.
		wantErr bool
	}{
		{
			name:    "tcp",
			network: "tcp",
			address: func(g *legacy) string { return g.tcpAddr.String() },
			adopted: func(g *legacy) int { return g.tcpListener },
		},
		{
			name:    "tcp4",
			network: "tcp4",
			address: func(g *legacy) string { return g.tcpAddr.String() },
			adopted: func(g *legacy) int { return g.tcpListener },
		},
		{
			name:    "no host",
			network: "tcp",
			address: func(g *legacy) string { return ":" + port(g.anyAddr) },
			adopted: func(g *legacy) int { return g.anyListener },
		},
		{
			name:    "unspecified IPv4 for any unspecified address",
			network: "tcp",
			address: func(g *legacy) string { return "0.0.0.0:" + port(g.anyAddr) },
			adopted: func(g *legacy) int { return g.anyListener },
		},
		{
			name:    "unspecified IPv6 for any unspecified address",
			network: "tcp",
			address: func(g *legacy) string { return "[::]:" + port(g.anyAddr) },
			adopted: func(g *legacy) int { return g.anyListener },
		},
		{
			name:    "specific address for an unspecified one",
			network: "tcp",
			address: func(g *legacy) string { return "127.0.0.1:" + port(g.anyAddr) },
			adopted: func(*legacy) int { return -1 },
			wantErr: true, // address already in use
		},
		{
			name:    "unspecified address for a specific one",
			network: "tcp",
			address: func(g *legacy) string { return ":" + port(g.tcpAddr) },
			adopted: func(*legacy) int { return -1 },
			wantErr: true, // address already in use
		},
		{
			name:    "other IP",
			network: "tcp",
			address: func(g *legacy) string { return "127.0.0.2:" + port(g.tcpAddr) },
			adopted: func(*legacy) int { return -1 },
		},
		{
			name:    "other port",
			network: "tcp",
			address: func(*legacy) string { return "127.0.0.1:" + strconv.Itoa(freePort(t)) },
			adopted: func(*legacy) int { return -1 },
		},
		{
			name:    "port 0",
			network: "tcp",
			address: func(*legacy) string { return "127.0.0.1:0" },
			adopted: func(*legacy) int { return -1 },
		},
		{
			name:    "unix",
			network: "unix",
			address: func(g *legacy) string { return g.unixPath },
			adopted: func(g *legacy) int { return g.unixListener },
		},
		{
			name:    "other unix path",
			network: "unix",
			address: func(g *legacy) string { return g.unixPath + "2" },
			adopted: func(*legacy) int { return -1 },
		},
		{
			name:    "unixpacket",
			network: "unixpacket",
			address: func(g *legacy) string { return g.unixPath },
			adopted: func(*legacy) int { return -1 },
			wantErr: true, // address already in use
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newLegacy(t)
			in := newInheritance(g.all())
			address := tt.address(g)
			adopted := tt.adopted(g)

			l, err := in.listen(tt.network, address)
			if tt.wantErr {
				if err == nil {
					l.Close()
					t.Fatalf("Listen(%q, %q) succeeded, want an error", tt.network, address)
				}
				if diff := cmp.Diff(g.all(), heldFDs(in)); diff != "" {
					t.Errorf("inherited descriptors (-want +got):\n%s", diff)
				}
				return
			}
			if err != nil {
				t.Fatalf("Listen(%q, %q): %v", tt.network, address, err)
			}
			closeLater(t, l)

			if adopted < 0 {
				if diff := cmp.Diff(g.all(), heldFDs(in)); diff != "" {
					t.Errorf("inherited descriptors (-want +got):\n%s", diff)
				}
			} else {
				if diff := cmp.Diff(g.without(adopted), heldFDs(in)); diff != "" {
					t.Errorf("inherited descriptors (-want +got):\n%s", diff)
				}
				if isOpen(t, adopted) {
					t.Errorf("adopted descriptor %d is still open", adopted)
				}
			}
			accepts(t, l)
		})
	}
}

// Listen returns each inherited listener once: the second time it calls
// net.Listen, which fails while the first listener is open.
func TestListenOnce(t *testing.T) {
	g := newLegacy(t)
	in := newInheritance(g.all())

	l, err := in.listen("tcp", g.tcpAddr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if l2, err := in.listen("tcp", g.tcpAddr.String()); err == nil {
		l2.Close()
		t.Fatal("second Listen succeeded, want address already in use")
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	l, err = in.listen("tcp", g.tcpAddr.String())
	if err != nil {
		t.Fatalf("Listen after closing the adopted listener: %v", err)
	}
	l.Close()
}

func TestConns(t *testing.T) {
	g := newLegacy(t)
	in := newInheritance(g.all())

	conns, err := in.conns(nil)
	if err != nil {
		t.Fatalf("Conns: %v", err)
	}
	for _, c := range conns {
		closeLater(t, c)
	}
	var got []string
	for _, c := range conns {
		got = append(got, describe(c))
	}
	want := []string{g.conns[g.tcpServer], g.conns[g.tcpClient], g.conns[g.unixServer], g.conns[g.unixClient]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("connections (-want +got):\n%s", diff)
	}
	if _, ok := conns[0].(*net.TCPConn); !ok {
		t.Errorf("TCP connection is a %T, want *net.TCPConn", conns[0])
	}
	if _, ok := conns[2].(*net.UnixConn); !ok {
		t.Errorf("UNIX connection is a %T, want *net.UnixConn", conns[2])
	}
	exchange(t, conns[0], conns[1])
	exchange(t, conns[2], conns[3])

	for _, fd := range []int{g.tcpServer, g.tcpClient, g.unixServer, g.unixClient} {
		if isOpen(t, fd) {
			t.Errorf("adopted descriptor %d is still open", fd)
		}
	}
	if diff := cmp.Diff(g.without(g.tcpServer, g.tcpClient, g.unixServer, g.unixClient), heldFDs(in)); diff != "" {
		t.Errorf("inherited descriptors (-want +got):\n%s", diff)
	}

	again, err := in.conns(nil)
	if err != nil || len(again) != 0 {
		t.Errorf("second Conns = %d connections, %v; want none", len(again), err)
	}
}

func TestResume(t *testing.T) {
	g := newLegacy(t)
	in := newInheritance(g.all())

	tests := []struct {
		name        string
		network     string
		address     string
		listener    int
		conn, other int
	}{
		{name: "tcp", network: "tcp", address: g.tcpAddr.String(), listener: g.tcpListener, conn: g.tcpServer, other: g.tcpClient},
		{name: "unix", network: "unix", address: g.unixPath, listener: g.unixListener, conn: g.unixServer, other: g.unixClient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := in.listen(tt.network, tt.address)
			if err != nil {
				t.Fatal(err)
			}
			closeLater(t, l)
			rl, err := in.resume(l)
			if err != nil {
				t.Fatalf("Resume: %v", err)
			}
			closeLater(t, rl)

			// First the connection accepted before, then new ones.
			c, err := rl.Accept()
			if err != nil {
				t.Fatal(err)
			}
			closeLater(t, c)
			if got, want := describe(c), g.conns[tt.conn]; got != want {
				t.Errorf("first connection = %s, want %s", got, want)
			}
			accepts(t, rl)

			// The client side is not the listener's.
			held := heldFDs(in)
			if slices.Contains(held, tt.conn) || !slices.Contains(held, tt.other) {
				t.Errorf("inherited descriptors %v: want %d adopted, %d inherited", held, tt.conn, tt.other)
			}
		})
	}
}

func TestResumeNothing(t *testing.T) {
	in := newInheritance(nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	rl, err := in.resume(l)
	if rl != l || err != nil {
		t.Errorf("Resume = %v, %v; want the listener itself", rl, err)
	}
}

// Closing a resumed listener closes the connections it has not handed out.
func TestResumeListenerClose(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a1, b1 := net.Pipe()
	a2, b2 := net.Pipe()
	defer b1.Close()
	defer b2.Close()
	rl := &resumeListener{Listener: l, conns: []net.Conn{a1, a2}}

	c, err := rl.Accept()
	if err != nil || c != a1 {
		t.Fatalf("Accept = %v, %v; want the first connection", c, err)
	}
	if err := rl.Close(); err != nil {
		t.Fatal(err)
	}
	// An open net.Pipe times out; a closed one says so.
	if err := a1.SetReadDeadline(time.Now()); err != nil {
		t.Errorf("Close closed a connection handed out: %v", err)
	}
	if _, err := a2.Read(make([]byte, 1)); !errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("read from a connection not handed out: %v, want %v", err, io.ErrClosedPipe)
	}
	if _, err := rl.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Accept after Close: %v, want %v", err, net.ErrClosed)
	}
	a1.Close()
}

func TestReady(t *testing.T) {
	g := newLegacy(t)
	in := newInheritance(g.all())

	l, err := in.listen("tcp", g.tcpAddr.String())
	if err != nil {
		t.Fatal(err)
	}
	closeLater(t, l)
	conns, err := in.conns(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range conns {
		closeLater(t, c)
	}

	// The program closes an inherited descriptor and opens another file
	// at its number.
	f, err := os.CreateTemp(t.TempDir(), "new")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := unix.Dup3(int(f.Fd()), g.pipeR, unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	hold(t, g.pipeR)

	if err := in.ready(); err != nil {
		t.Fatalf("Ready: %v", err)
	}
	for _, fd := range g.without(g.pipeR) {
		if isOpen(t, fd) {
			t.Errorf("descriptor %d is open after Ready", fd)
		}
	}
	if !isOpen(t, g.pipeR) {
		t.Errorf("Ready closed descriptor %d, which the program reopened", g.pipeR)
	}
	if got := heldFDs(in); len(got) != 0 {
		t.Errorf("inherited descriptors after Ready: %v", got)
	}

	// What was adopted still works.
	accepts(t, l)
	exchange(t, conns[0], conns[1])

	if err := in.ready(); err != nil {
		t.Errorf("second Ready: %v", err)
	}
	if !isOpen(t, g.pipeR) {
		t.Errorf("second Ready closed descriptor %d", g.pipeR)
	}

	// The listener Ready closed is no longer found, and its port is free.
	al, err := in.listen("tcp", g.anyAddr.String())
	if err != nil {
		t.Fatalf("Listen after Ready: %v", err)
	}
	al.Close()
}

func TestReadyNothingInherited(t *testing.T) {
	in := newInheritance(nil)
	if err := in.ready(); err != nil {
		t.Errorf("Ready: %v", err)
	}
	conns, err := in.conns(nil)
	if len(conns) != 0 || err != nil {
		t.Errorf("Conns = %v, %v; want none", conns, err)
	}
	l, err := in.listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepts(t, l)
}

func TestNewInheritance(t *testing.T) {
	g := newLegacy(t)
	closed := g.pipeR
	if err := unix.Close(closed); err != nil {
		t.Fatal(err)
	}
	fds := append([]int{0, 1, 2, g.file, closed}, g.all()...)
	slices.Reverse(fds)

	in := newInheritance(fds)
	if diff := cmp.Diff(g.without(closed), heldFDs(in)); diff != "" {
		t.Errorf("inherited descriptors (-want +got):\n%s", diff)
	}
}

func TestScanFDs(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "file")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// As the kernel leaves them after a restart, and as Go opens them.
	kept, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD, 0)
	if err != nil {
		t.Fatal(err)
	}
	hold(t, kept)
	own, err := unix.FcntlInt(f.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	hold(t, own)

	for _, tt := range []struct{ name, dir string }{
		{"proc", procFDs},
		{"probe", filepath.Join(t.TempDir(), "no-proc")},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fds := scanFDs(tt.dir)
			if !slices.Contains(fds, kept) {
				t.Errorf("scanFDs = %v, want %d in it", fds, kept)
			}
			if slices.Contains(fds, own) || slices.Contains(fds, int(f.Fd())) {
				t.Errorf("scanFDs = %v, want neither of the close-on-exec %d and %d", fds, own, f.Fd())
			}
			if !slices.IsSorted(fds) || len(fds) > 0 && fds[0] <= 2 {
				t.Errorf("scanFDs = %v, want descriptors above 2 in order", fds)
			}
		})
	}

	t.Run("inheritedFDs", func(t *testing.T) {
		t.Setenv(IncarnationEnv, "")
		if fds := inheritedFDs(); fds != nil {
			t.Errorf("inheritedFDs in the original process = %v, want none", fds)
		}
		t.Setenv(IncarnationEnv, "1")
		if fds := inheritedFDs(); !slices.Contains(fds, kept) {
			t.Errorf("inheritedFDs in a restarted process = %v, want %d in it", fds, kept)
		}
	})
}

func TestListenMatcher(t *testing.T) {
	inet4 := func(a, b, c, d byte, port int) unix.Sockaddr {
		return &unix.SockaddrInet4{Addr: [4]byte{a, b, c, d}, Port: port}
	}
	inet6 := func(ip string, port int) unix.Sockaddr {
		sa := &unix.SockaddrInet6{Port: port}
		copy(sa.Addr[:], net.ParseIP(ip).To16())
		return sa
	}
	sock := func(name string) unix.Sockaddr { return &unix.SockaddrUnix{Name: name} }

	tests := []struct {
		network, address string
		// nil when no listener may match.
		match   []unix.Sockaddr
		noMatch []unix.Sockaddr
	}{
		{
			network: "tcp", address: ":80",
			match:   []unix.Sockaddr{inet6("::", 80), inet4(0, 0, 0, 0, 80)},
			noMatch: []unix.Sockaddr{inet6("::", 81), inet4(127, 0, 0, 1, 80), inet6("::1", 80), sock(":80")},
		},
		{
			network: "tcp", address: "0.0.0.0:80",
			match:   []unix.Sockaddr{inet6("::", 80), inet4(0, 0, 0, 0, 80)},
			noMatch: []unix.Sockaddr{inet4(10, 0, 0, 1, 80)},
		},
		{
			network: "tcp4", address: ":80",
			match:   []unix.Sockaddr{inet4(0, 0, 0, 0, 80)},
			noMatch: []unix.Sockaddr{inet6("::", 80)},
		},
		{
			network: "tcp6", address: ":80",
			match:   []unix.Sockaddr{inet6("::", 80)},
			noMatch: []unix.Sockaddr{inet4(0, 0, 0, 0, 80)},
		},
		{
			network: "tcp", address: "127.0.0.1:http",
			match:   []unix.Sockaddr{inet4(127, 0, 0, 1, 80)},
			noMatch: []unix.Sockaddr{inet4(127, 0, 0, 2, 80), inet4(0, 0, 0, 0, 80), inet6("::", 80)},
		},
		{
			network: "tcp6", address: "[fd00::2]:443",
			match:   []unix.Sockaddr{inet6("fd00::2", 443)},
			noMatch: []unix.Sockaddr{inet6("fd00::3", 443), inet6("::", 443)},
		},
		{
			network: "unix", address: "/run/api.sock",
			match:   []unix.Sockaddr{sock("/run/api.sock")},
			noMatch: []unix.Sockaddr{sock("/run/api.sock2"), sock("@/run/api.sock"), inet4(0, 0, 0, 0, 80)},
		},
		{
			network: "unix", address: "@api",
			match:   []unix.Sockaddr{sock("@api")},
			noMatch: []unix.Sockaddr{sock("api")},
		},
		{network: "tcp", address: ":0"},
		{network: "tcp", address: "127.0.0.1:0"},
		{network: "tcp", address: "no port"},
		{network: "unix", address: ""},
		{network: "unixpacket", address: "/run/api.sock"},
		{network: "udp", address: ":80"},
	}
	for _, tt := range tests {
		t.Run(tt.network+" "+tt.address, func(t *testing.T) {
			m := listenMatcher(tt.network, tt.address)
			if tt.match == nil && tt.noMatch == nil {
				if m != nil {
					t.Fatal("listenMatcher returned a test, want none")
				}
				return
			}
			for _, sa := range tt.match {
				if !m(sa) {
					t.Errorf("%+v does not match, want it to", sa)
				}
			}
			for _, sa := range tt.noMatch {
				if m(sa) {
					t.Errorf("%+v matches, want it not to", sa)
				}
			}
		})
	}
}

func TestBelongsTo(t *testing.T) {
	tests := []struct {
		name string
		l    net.Addr
		sa   unix.Sockaddr
		want bool
	}{
		{"any listener", nil, &unix.SockaddrUnix{Name: "@"}, true},
		{"same port", &net.TCPAddr{Port: 80}, &unix.SockaddrInet4{Addr: [4]byte{10, 0, 0, 1}, Port: 80}, true},
		{"same port, IPv6 unspecified", &net.TCPAddr{IP: net.IPv6unspecified, Port: 80}, &unix.SockaddrInet6{Port: 80}, true},
		{"same IP and port", &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 80}, &unix.SockaddrInet4{Addr: [4]byte{10, 0, 0, 1}, Port: 80}, true},
		{"other IP", &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 80}, &unix.SockaddrInet4{Addr: [4]byte{10, 0, 0, 2}, Port: 80}, false},
		{"other port", &net.TCPAddr{Port: 80}, &unix.SockaddrInet4{Port: 81}, false},
		{"port 0", &net.TCPAddr{Port: 0}, &unix.SockaddrInet4{Port: 0}, false},
		{"unix for tcp", &net.TCPAddr{Port: 80}, &unix.SockaddrUnix{Name: "/s"}, false},
		{"same path", &net.UnixAddr{Name: "/s", Net: "unix"}, &unix.SockaddrUnix{Name: "/s"}, true},
		{"other path", &net.UnixAddr{Name: "/s", Net: "unix"}, &unix.SockaddrUnix{Name: "/t"}, false},
		{"unnamed", &net.UnixAddr{Name: "@", Net: "unix"}, &unix.SockaddrUnix{Name: "@"}, false},
		{"tcp for unix", &net.UnixAddr{Name: "/s", Net: "unix"}, &unix.SockaddrInet4{Port: 80}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := belongsTo(tt.l, tt.sa); got != tt.want {
				t.Errorf("belongsTo(%v, %+v) = %v, want %v", tt.l, tt.sa, got, tt.want)
			}
		})
	}
}

// restartedEnv marks the process TestRestartedProcess starts as a restarted
// service.
const restartedEnv = "LIBZL_TEST_RESTARTED"

// TestRestartedProcess runs the test binary as a restarted service would
// start: with IncarnationEnv set and, as the kernel leaves them, a listener,
// a connection it accepted and a pipe open at descriptors 3 to 5 without
// close-on-exec. The process finds them at initialisation and adopts them
// through the package's functions.
func TestRestartedProcess(t *testing.T) {
	if addr := os.Getenv(restartedEnv); addr != "" {
		restartedService(t, addr)
		return
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	s, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	var files []*os.File
	for _, x := range []interface{ File() (*os.File, error) }{l.(*net.TCPListener), s.(*net.TCPConn)} {
		f, err := x.File()
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	files = append(files, pr)

	cmd := exec.Command(os.Args[0], "-test.run=^TestRestartedProcess$", "-test.v")
	cmd.Env = append(os.Environ(), IncarnationEnv+"=1", restartedEnv+"="+l.Addr().String())
	cmd.ExtraFiles = files
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		f.Close()
	}
	s.Close()

	// The service answers on the connection it inherited.
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "ping"); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "pong" {
		t.Errorf("read %q, %v; want pong", buf, err)
	}
	if err := cmd.Wait(); err != nil || !bytes.Contains(out.Bytes(), []byte("--- PASS: TestRestartedProcess")) {
		t.Errorf("restarted service: %v\n%s", err, out.Bytes())
	}
}

// restartedService is the restarted service of TestRestartedProcess.
func restartedService(t *testing.T, addr string) {
	const listenerFD, connFD, pipeFD = 3, 4, 5
	// Past these, the descriptors the test binary itself inherited.
	held := heldFDs(inherited)
	held = held[:min(3, len(held))]
	if diff := cmp.Diff([]int{listenerFD, connFD, pipeFD}, held); diff != "" {
		t.Errorf("inherited descriptors (-want +got):\n%s", diff)
	}

	l, err := Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if isOpen(t, listenerFD) {
		t.Errorf("adopted descriptor %d is still open", listenerFD)
	}
	l, err = Resume(l)
	if err != nil {
		t.Fatal(err)
	}
	if err := Ready(); err != nil {
		t.Fatal(err)
	}
	if isOpen(t, pipeFD) {
		t.Errorf("descriptor %d is open after Ready", pipeFD)
	}

	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("read %q, %v; want ping", buf, err)
	}
	if _, err := io.WriteString(c, "pong"); err != nil {
		t.Fatal(err)
	}
}

func TestReadyReportsWhenRestarted(t *testing.T) {
	report := errors.New("report failed")
	tests := []struct {
		name        string
		incarnation string // "" leaves IncarnationEnv unset
		reportErr   error
		wantReports int
		wantErr     error
	}{
		{name: "original process", wantReports: 0},
		{name: "restarted", incarnation: "1", wantReports: 1},
		{name: "report fails", incarnation: "2", reportErr: report, wantReports: 1, wantErr: report},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(IncarnationEnv, tt.incarnation)
			if tt.incarnation == "" {
				if err := os.Unsetenv(IncarnationEnv); err != nil {
					t.Fatal(err)
				}
			}
			saved := reportReady
			t.Cleanup(func() { reportReady = saved })
			var reports int
			reportReady = func() error { reports++; return tt.reportErr }

			err := Ready()
			if reports != tt.wantReports {
				t.Errorf("reported %d times, want %d", reports, tt.wantReports)
			}
			if tt.wantErr == nil && err != nil {
				t.Errorf("Ready: %v", err)
			}
			if tt.wantErr != nil && !errors.Is(err, tt.wantErr) {
				t.Errorf("Ready: error = %v, want %v", err, tt.wantErr)
			}
		})
	}
}

func TestReportReady(t *testing.T) {
	tests := []struct {
		name    string
		dialErr error
		refusal error
		wantErr string
		is      error
	}{
		{name: "reported"},
		{name: "kernel without zlr", dialErr: ErrNotSupported},
		{name: "not a service", refusal: refuse(unix.ENOENT, "the calling process is not a registered service")},
		{
			name:    "no socket",
			dialErr: fmt.Errorf("zlr: open generic netlink socket: %w", unix.EMFILE),
			wantErr: "zlr: report readiness: zlr: open generic netlink socket: too many open files",
			is:      unix.EMFILE,
		},
		{
			name:    "refused otherwise",
			refusal: refuse(unix.EPERM, "not permitted"),
			wantErr: "zlr: report readiness: zlr ready: not permitted",
			is:      os.ErrPermission,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls int
			dial := func() (*Client, error) {
				if tt.dialErr != nil {
					return nil, tt.dialErr
				}
				return testClient(t, genltest.CheckRequest(testFamily.ID, nl.ZLR_CMD_READY, netlink.Request,
					func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
						calls++
						if len(greq.Data) != 0 {
							t.Errorf("ready sent attributes % x, want none", greq.Data)
						}
						if tt.refusal != nil {
							return nil, tt.refusal
						}
						return []genetlink.Message{{Data: webAttrs}}, nil
					})), nil
			}
			err := reportReadyWith(dial)
			if tt.wantErr == "" && err != nil {
				t.Errorf("unexpected error: %v", err)
			}
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Errorf("error = %v, want %q", err, tt.wantErr)
				}
				if !errors.Is(err, tt.is) {
					t.Errorf("errors.Is(err, %v) = false, want true", tt.is)
				}
			}
			wantCalls := 1
			if tt.dialErr != nil {
				wantCalls = 0
			}
			if calls != wantCalls {
				t.Errorf("kernel saw %d ready requests, want %d", calls, wantCalls)
			}
		})
	}
}

func TestFile(t *testing.T) {
	g := newLegacy(t)
	in := newInheritance(g.all())
	var st unix.Stat_t
	if err := unix.Fstat(g.pipeW, &st); err != nil {
		t.Fatal(err)
	}
	dev, ino := uint64(st.Dev), st.Ino

	f, err := in.file(dev, ino+1<<40, os.O_RDONLY)
	if f != nil || err != nil {
		t.Fatalf("file of no inherited file = %v, %v; want nil, nil", f, err)
	}
	f, err = in.file(dev, ino, os.O_RDWR)
	if f != nil || err != nil {
		t.Fatalf("file of the pipe for reading and writing = %v, %v; want nil, nil", f, err)
	}

	// Both ends of a pipe are the same file: the mode picks the end, even
	// when the other comes first.
	w, err := in.file(dev, ino, os.O_WRONLY)
	if err != nil || w == nil {
		t.Fatalf("file of the pipe's write end = %v, %v", w, err)
	}
	defer w.Close()
	if isOpen(t, g.pipeW) || slices.Contains(heldFDs(in), g.pipeW) {
		t.Errorf("descriptor %d is still open or inherited after its adoption", g.pipeW)
	}
	if !isOpen(t, g.pipeR) {
		t.Errorf("descriptor %d, the read end, was closed", g.pipeR)
	}
	r, err := in.file(dev, ino, os.O_RDONLY)
	if err != nil || r == nil {
		t.Fatalf("file of the pipe's read end = %v, %v", r, err)
	}
	defer r.Close()
	if _, err := w.Write([]byte("x")); err != nil {
		t.Fatalf("write the adopted write end: %v", err)
	}
	buf := make([]byte, 1)
	if _, err := io.ReadFull(r, buf); err != nil || buf[0] != 'x' {
		t.Fatalf("read the adopted read end: %q, %v", buf, err)
	}

	if err := in.ready(); err != nil {
		t.Fatal(err)
	}
	if f, err := in.file(dev, ino, os.O_RDONLY); f != nil || err != nil {
		t.Errorf("file after Ready = %v, %v; want nil, nil", f, err)
	}
}
