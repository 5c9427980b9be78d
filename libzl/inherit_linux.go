//go:build linux

package libzl

import (
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strconv"
	"sync"

	"golang.org/x/sys/unix"
)

// procFDs is the directory that lists the process's descriptors.
const procFDs = "/proc/self/fd"

// maxProbeFD bounds the descriptor numbers probed one by one when procFDs
// cannot be read.
const maxProbeFD = 1 << 20

// inheritedFDs returns the descriptors that the process inherited from its
// previous incarnation when it was restarted in place, or nil when it was
// not. It runs at package initialisation: the runtime opens its own
// descriptors (a cgroup file, the netpoller's) before it and after it, but
// always close-on-exec.
func inheritedFDs() []int {
	if !Restarted() {
		return nil
	}
	return scanFDs(procFDs)
}

// scanFDs returns, in order, the open descriptors above 2 that are not
// close-on-exec. It lists them in dir, or when it cannot, probes every number
// below RLIMIT_NOFILE (and maxProbeFD).
func scanFDs(dir string) []int {
	fds, err := listFDs(dir)
	if err != nil {
		fds = probeFDs()
	}
	var inh []int
	for _, fd := range fds {
		if fd <= 2 {
			continue
		}
		flags, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
		if err == nil && flags&unix.FD_CLOEXEC == 0 {
			inh = append(inh, fd)
		}
	}
	return inh
}

// listFDs returns the descriptor numbers listed in dir, in order.
func listFDs(dir string) ([]int, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	names, err := f.Readdirnames(-1)
	_ = f.Close()
	if err != nil {
		return nil, err
	}
	fds := make([]int, 0, len(names))
	for _, name := range names {
		fd, err := strconv.Atoi(name)
		if err != nil {
			return nil, fmt.Errorf("%s: unexpected entry %q", dir, name)
		}
		fds = append(fds, fd)
	}
	slices.Sort(fds)
	return fds, nil
}

// probeFDs returns the open descriptors below RLIMIT_NOFILE and maxProbeFD,
// in order.
func probeFDs() []int {
	n := maxProbeFD
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err == nil && rl.Cur < uint64(n) {
		n = int(rl.Cur)
	}
	var fds []int
	for fd := 0; fd < n; fd++ {
		if _, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0); err == nil {
			fds = append(fds, fd)
		}
	}
	return fds
}

// A fileID identifies an open file by its device and inode numbers.
type fileID struct {
	dev, ino uint64
}

// fdFileID returns the identity of the file open at fd.
func fdFileID(fd int) (fileID, error) {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return fileID{}, err
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, nil
}

// An inheritance holds the inherited descriptors that the process has
// neither adopted nor closed. Its methods may be called from several
// goroutines at once.
type inheritance struct {
	// mu protects held.
	mu sync.Mutex
	// held is in descriptor order.
	held []heldFD
}

// A heldFD is an inherited descriptor and the file open at it when it was
// found.
type heldFD struct {
	fd int
	id fileID
}

// current reports whether h.fd is still open at the file inherited there.
func (h heldFD) current() bool {
	id, err := fdFileID(h.fd)
	return err == nil && id == h.id
}

// newInheritance returns the inheritance of the descriptors fds, taking the
// files open at them now for the inherited ones. It ignores descriptors 0 to
// 2 and those that are not open. Tests pass their own descriptors.
func newInheritance(fds []int) *inheritance {
	fds = slices.Clone(fds)
	slices.Sort(fds)
	fds = slices.Compact(fds)
	in := &inheritance{}
	for _, fd := range fds {
		if fd <= 2 {
			continue
		}
		id, err := fdFileID(fd)
		if err != nil {
			continue
		}
		in.held = append(in.held, heldFD{fd: fd, id: id})
	}
	return in
}

func (in *inheritance) listen(network, address string) (net.Listener, error) {
	if match := listenMatcher(network, address); match != nil {
		l, err := in.adoptListener(match)
		if l != nil || err != nil {
			return l, err
		}
	}
	return net.Listen(network, address)
}

// adoptListener adopts the first inherited listening socket whose address
// match accepts, or returns nil when there is none.
func (in *inheritance) adoptListener(match func(unix.Sockaddr) bool) (net.Listener, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	for i, h := range in.held {
		s, ok := streamSocket(h.fd)
		if !ok || !s.listening || !match(s.local) || !h.current() {
			continue
		}
		var l net.Listener
		err := adopt(h.fd, func(f *os.File) (err error) {
			l, err = net.FileListener(f)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("zlr: adopt inherited listener %d: %w", h.fd, err)
		}
		in.held = slices.Delete(in.held, i, i+1)
		return l, nil
	}
	return nil, nil
}

// conns adopts the inherited connected stream sockets; when l is not nil,
// only those that belong to a listener at l.
func (in *inheritance) conns(l net.Addr) ([]net.Conn, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	var (
		conns []net.Conn
		errs  []error
	)
	keep := in.held[:0]
	for _, h := range in.held {
		if !h.current() {
			// The program closed it: no longer inherited.
			continue
		}
		s, ok := streamSocket(h.fd)
		if !ok || s.listening || !s.connected || !belongsTo(l, s.local) {
			keep = append(keep, h)
			continue
		}
		var c net.Conn
		err := adopt(h.fd, func(f *os.File) (err error) {
			c, err = net.FileConn(f)
			return err
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("zlr: adopt inherited connection %d: %w", h.fd, err))
			keep = append(keep, h)
			continue
		}
		conns = append(conns, c)
	}
	clear(in.held[len(keep):])
	in.held = keep
	return conns, errors.Join(errs...)
}

// file adopts the inherited descriptor open at the file dev, ino for the
// access mode, or returns nil when there is none.
func (in *inheritance) file(dev, ino uint64, mode int) (*os.File, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	want := fileID{dev: dev, ino: ino}
	for i, h := range in.held {
		if h.id != want || !h.current() {
			continue
		}
		fl, err := unix.FcntlInt(uintptr(h.fd), unix.F_GETFL, 0)
		if err != nil || fl&unix.O_ACCMODE != mode&unix.O_ACCMODE {
			continue
		}
		dup, err := unix.FcntlInt(uintptr(h.fd), unix.F_DUPFD_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("zlr: adopt inherited descriptor %d: %w", h.fd, os.NewSyscallError("fcntl", err))
		}
		// Linux releases the descriptor even when close fails.
		_ = unix.Close(h.fd)
		in.held = slices.Delete(in.held, i, i+1)
		return os.NewFile(uintptr(dup), "inherited-"+strconv.Itoa(h.fd)), nil
	}
	return nil, nil
}

func (in *inheritance) ready() error {
	in.mu.Lock()
	defer in.mu.Unlock()
	var errs []error
	for _, h := range in.held {
		if !h.current() {
			continue
		}
		if err := unix.Close(h.fd); err != nil {
			errs = append(errs, fmt.Errorf("zlr: close inherited descriptor %d: %w", h.fd, err))
		}
	}
	in.held = nil
	return errors.Join(errs...)
}

// adopt calls fn with a duplicate of fd, which fn must not keep, and closes
// fd when fn succeeds. It leaves fd alone when fn fails.
func adopt(fd int, fn func(*os.File) error) error {
	// os.NewFile(fd) would close fd on its own when collected.
	dup, err := unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		return os.NewSyscallError("fcntl", err)
	}
	f := os.NewFile(uintptr(dup), "inherited-"+strconv.Itoa(fd))
	err = fn(f)
	_ = f.Close()
	if err != nil {
		return err
	}
	// Linux releases the descriptor even when close fails.
	_ = unix.Close(fd)
	return nil
}

// A socketInfo describes a stream socket.
type socketInfo struct {
	listening bool
	connected bool
	// local is the socket's address: *unix.SockaddrInet4,
	// *unix.SockaddrInet6 or *unix.SockaddrUnix.
	local unix.Sockaddr
}

// streamSocket describes the socket at fd when it is a TCP or UNIX stream
// socket.
func streamSocket(fd int) (socketInfo, bool) {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil || typ != unix.SOCK_STREAM {
		return socketInfo{}, false
	}
	accepting, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_ACCEPTCONN)
	if err != nil {
		return socketInfo{}, false
	}
	local, err := unix.Getsockname(fd)
	if err != nil {
		return socketInfo{}, false
	}
	switch local.(type) {
	case *unix.SockaddrInet4, *unix.SockaddrInet6, *unix.SockaddrUnix:
	default:
		return socketInfo{}, false
	}
	_, err = unix.Getpeername(fd)
	return socketInfo{listening: accepting != 0, connected: err == nil, local: local}, true
}

// listenMatcher returns the test of an inherited listener's address for
// Listen(network, address), or nil when no inherited listener may be taken.
func listenMatcher(network, address string) func(unix.Sockaddr) bool {
	switch network {
	case "tcp", "tcp4", "tcp6":
		want, err := net.ResolveTCPAddr(network, address)
		if err != nil || want.Port == 0 {
			return nil
		}
		return func(sa unix.Sockaddr) bool {
			switch sa.(type) {
			case *unix.SockaddrInet4:
				if network == "tcp6" {
					return false
				}
			case *unix.SockaddrInet6:
				if network == "tcp4" {
					return false
				}
			}
			ip, port, ok := inetAddr(sa)
			return ok && port == want.Port && sameHost(want.IP, ip)
		}
	case "unix":
		if address == "" {
			return nil
		}
		return func(sa unix.Sockaddr) bool {
			u, ok := sa.(*unix.SockaddrUnix)
			return ok && u.Name == address
		}
	}
	return nil
}

// belongsTo reports whether a connection whose local address is sa was
// accepted by a listener at l, or l is nil.
func belongsTo(l net.Addr, sa unix.Sockaddr) bool {
	switch l := l.(type) {
	case nil:
		return true
	case *net.TCPAddr:
		ip, port, ok := inetAddr(sa)
		return ok && l.Port != 0 && port == l.Port && (unspecified(l.IP) || l.IP.Equal(ip))
	case *net.UnixAddr:
		// Go and golang.org/x/sys/unix name an unnamed UNIX socket "@".
		u, ok := sa.(*unix.SockaddrUnix)
		return ok && u.Name != "" && u.Name != "@" && u.Name == l.Name
	}
	return false
}

// inetAddr returns the IP and port of an IPv4 or IPv6 socket address.
func inetAddr(sa unix.Sockaddr) (net.IP, int, bool) {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return net.IP(sa.Addr[:]), sa.Port, true
	case *unix.SockaddrInet6:
		return net.IP(sa.Addr[:]), sa.Port, true
	}
	return nil, 0, false
}

// sameHost reports whether a and b are the same IP, counting the unspecified
// addresses (none, 0.0.0.0 and ::) as the same as each other only.
func sameHost(a, b net.IP) bool {
	if unspecified(a) || unspecified(b) {
		return unspecified(a) && unspecified(b)
	}
	return a.Equal(b)
}

// unspecified reports whether ip is absent or an unspecified address.
func unspecified(ip net.IP) bool { return len(ip) == 0 || ip.IsUnspecified() }
