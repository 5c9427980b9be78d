package libzl

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
)

// Commit marks a request boundary on conn, a stream of the calling service:
// the kernel empties conn's replay log and forgets what the service wrote on
// it, so that a restart from then on replays only what the service reads
// after the call. conn is a TCP or UNIX stream connection (*net.TCPConn,
// *net.UnixConn, or the net.Conn an Accept returned) or a pipe or FIFO
// (*os.File); anything whose SyscallConn gives the descriptor of such a
// stream will do.
//
// On a socket the kernel finds the boundaries of a request/response
// protocol by itself: a read that follows a write starts a new request.
// Call Commit where that rule does not mark every boundary:
//
//   - on protocols where a read after a write is not the request boundary:
//     requests that get no response on the same stream, as in a log or
//     metrics intake, or a consumer that acknowledges elsewhere. Commit once
//     a request is dealt with, before reading the next;
//   - on pipes, which a service reads or writes but rarely both, so that
//     the implicit boundary never comes: after the response to a request
//     read from a pipe is complete (written to wherever it goes), Commit the
//     pipe the request was read from.
//
// Without it the log of such a stream grows with every request until it
// reaches the policy's ReplayLimit, and the stream then loses its replay
// guarantee until its next boundary (an EventReplayOverflow says so); a
// restart before that replays requests that were already dealt with.
//
// Mind what Commit drops. A Commit before the response is complete loses the
// request if the service crashes before completing it. A Commit while a
// buffered reader (a bufio.Reader, net/http's) holds bytes of the next
// request loses those in a restart, as the kernel counts them as read:
// commit when the buffer is empty. And Commit adds boundaries without
// removing the implicit one: a service that writes before it has read a
// whole request (an interim response such as HTTP's 100 Continue) cannot
// have what it read before that write replayed.
//
// Cost: one system call, fcntl(2) with F_ZLR_COMMIT, which takes no lock
// shared with other services. On a kernel whose zlr predates it, and to
// learn why the kernel refused a commit, Commit falls back to the netlink
// command (Client.Commit): a request and its acknowledgement on a socket the
// package dials on first use and keeps for the life of the process, which
// the goroutines that commit share. On a kernel without zlr, and on systems
// other than Linux, Commit returns ErrNotSupported, at once after the first
// call. A process that is not a registered service gets an *Error matching
// os.ErrNotExist; see Client.Commit for the other refusals.
func Commit(conn syscall.Conn) error { return shared.commit(conn) }

// shared is the Client of the package-level Commit.
var shared = &sharedClient{dial: Dial, fcntl: fcntlCommit}

// A sharedClient is a Client dialled on first use and kept.
type sharedClient struct {
	// dial opens the Client; tests replace it.
	dial func() (*Client, error)
	// fcntl commits a descriptor with fcntl(2); tests replace it.
	fcntl func(fd uintptr) error
	// noFcntl is set once the kernel took a netlink commit after refusing
	// the fcntl: its zlr predates F_ZLR_COMMIT.
	noFcntl atomic.Bool

	// mu protects the fields below.
	mu sync.Mutex
	// c is the Client, once dialled.
	c *Client
	// unsupported is set once dial returned ErrNotSupported: the kernel
	// does not gain zlr while the process runs.
	unsupported bool
}

// client returns the shared Client, dialling it on the first call.
func (s *sharedClient) client() (*Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.c != nil:
		return s.c, nil
	case s.unsupported:
		return nil, ErrNotSupported
	}
	c, err := s.dial()
	if errors.Is(err, ErrNotSupported) {
		s.unsupported = true
		return nil, ErrNotSupported
	}
	if err != nil {
		return nil, fmt.Errorf("zlr %s: %w", opCommit, err)
	}
	s.c = c
	return c, nil
}

// commit commits the descriptor of conn: with fcntl, or with the shared
// Client when the kernel lacks F_ZLR_COMMIT or refused it (its netlink
// answer says why). The descriptor stays open during the call, which the
// kernel handles in the caller's context.
func (s *sharedClient) commit(conn syscall.Conn) error {
	rc, err := conn.SyscallConn()
	if err != nil {
		return fmt.Errorf("zlr %s: %w", opCommit, err)
	}
	fcntlErr := errNoFcntl
	if !s.noFcntl.Load() {
		if err := rc.Control(func(fd uintptr) { fcntlErr = s.fcntl(fd) }); err != nil {
			return fmt.Errorf("zlr %s: %w", opCommit, err)
		}
		if fcntlErr == nil {
			return nil
		}
	}
	c, err := s.client()
	if err != nil {
		return err
	}
	var cerr error
	if err := rc.Control(func(fd uintptr) { cerr = c.Commit(int(fd)) }); err != nil {
		return fmt.Errorf("zlr %s: %w", opCommit, err)
	}
	if cerr == nil && errors.Is(fcntlErr, syscall.EINVAL) {
		s.noFcntl.Store(true)
	}
	return cerr
}

// errNoFcntl is the error of a commit not tried with fcntl.
var errNoFcntl = errors.New("no F_ZLR_COMMIT")
