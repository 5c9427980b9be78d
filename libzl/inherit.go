package libzl

import (
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
)

// This file is the in-service side of a restart in place. The kernel keeps a
// restarted service's sockets, pipes, ttys and regular files open at their
// numbers and clears their close-on-exec flag; everything the Go runtime and
// the program open is close-on-exec. So the descriptors above 2 that are open
// and not close-on-exec when the package is initialised are the ones the
// previous incarnation left. Listen, Conns and Resume adopt them; Ready
// closes the rest.

// inherited holds the descriptors this process inherited from its previous
// incarnation, as found when the package was initialised; it is empty in a
// process that was not restarted in place.
var inherited = newInheritance(inheritedFDs())

// Listen announces on the local network address like net.Listen, except
// that in a service restarted in place it first looks for the listening
// socket the previous incarnation left open on that address, and returns it
// as its own instead of failing with EADDRINUSE. Clients whose connections
// waited in the socket's backlog during the restart are accepted as usual.
//
// Only the networks "tcp", "tcp4", "tcp6" and "unix" are looked up. An
// inherited TCP listener is taken when its port is the address's port and
// its IP is the address's IP; the unspecified addresses (0.0.0.0 and ::, or
// no host as in ":8080") are equal to each other and to no other address,
// so that "tcp" ":8080" finds the dual-stack socket that it created before.
// With "tcp4" or "tcp6" the socket must also be of that IP version. Port 0
// never matches: it asks for a new port. A UNIX listener is taken when it is
// bound to the path address, as the program wrote it; an empty path never
// matches. Each inherited listener is returned at most once.
//
// In a process that was not restarted in place, and on systems other than
// Linux, Listen is net.Listen.
func Listen(network, address string) (net.Listener, error) {
	return inherited.listen(network, address)
}

// Conns returns the stream connections, TCP and UNIX, that the previous
// incarnation of a restarted service left open and that Conns and Resume have
// not returned before, in the order of their descriptor numbers. They
// include the connections the service accepted and those it made itself:
// tell them apart by their LocalAddr and RemoteAddr. A connection continues
// where the previous incarnation stopped: what it had read is gone and what
// it had written is on its way.
//
// When some connections cannot be adopted (for example because the process
// is out of descriptors), Conns returns the others along with an error that
// names them; they stay inherited, and Ready closes them.
//
// In a process that was not restarted in place, and on systems other than
// Linux, Conns returns no connections.
func Conns() ([]net.Conn, error) { return inherited.conns(nil) }

// Resume returns a listener whose Accept returns first the connections that
// the previous incarnation had accepted on l's address, in the order of their
// descriptor numbers, and then the connections l accepts. Give it the
// listener returned by Listen to serve the clients of a restarted service
// without losing those that were connected:
//
//	l, err := libzl.Listen("tcp", ":8080")
//	...
//	l, err = libzl.Resume(l)
//	...
//	err = http.Serve(l, handler)
//
// A connection belongs to l when its local port is l's and its local IP is
// l's, or l's IP is unspecified; a UNIX connection when its local path is
// l's. Resume adopts those connections as Conns does, which no longer
// returns them; the others stay for Conns, or for Ready to close.
// Connections whose protocol state lived in the previous incarnation's
// memory, such as TLS sessions, cannot continue; HTTP/1.1 connections
// waiting between requests can.
//
// Closing the returned listener closes l and the connections it has not
// handed out. When some connections cannot be adopted, Resume still returns
// a usable listener, with the others, along with an error that names them.
// When there is no connection to hand out, as in a process that was not
// restarted in place and on systems other than Linux, Resume returns l.
func Resume(l net.Listener) (net.Listener, error) { return inherited.resume(l) }

// File adopts the descriptor that the previous incarnation left open at the
// file whose device and inode numbers, as stat(2) reports them, are dev and
// ino, and whose access mode is mode (os.O_RDONLY, os.O_WRONLY or
// os.O_RDWR), such as the server's end of a pipe to a child process that
// outlived the crash (see zlcgi.Host): both ends of a pipe are the same
// file, one open for reading and the other for writing, and a crash between
// the start of a child and the close of the child's ends leaves the service
// both. It returns the file, which the caller then owns, or nil and no
// error when no inherited descriptor is open at that file for that mode.
// Call it before Ready, which closes what nobody adopted.
//
// In a process that was not restarted in place, and on systems other than
// Linux, File returns nil.
func File(dev, ino uint64, mode int) (*os.File, error) { return inherited.file(dev, ino, mode) }

// Ready declares that the service has taken what it needed from its previous
// incarnation: it closes every descriptor above 2 that the process inherited
// and that Listen, Conns and Resume have not adopted, such as the
// connections the service does not serve, pipes and files. It leaves alone a
// descriptor that is no longer the file inherited at its number because the
// program closed it and opened another one there. Call Ready once the
// listeners and connections are adopted, before serving or starting other
// programs: the kernel cleared the close-on-exec flag of the inherited
// descriptors, so until then the programs the service starts inherit them
// too. Listen, Conns and Resume find nothing inherited after Ready.
//
// A program that uses inherited descriptors by other means, such as
// os.NewFile on a known number, must take its own duplicate before Ready.
// The inherited descriptors are found at package initialisation when
// IncarnationEnv is set: in a child process that inherited the variable,
// Ready would close the descriptors its parent passed it.
//
// In a process that was restarted in place, Ready then reports to the
// kernel that the service serves again (Client.Ready), which sends the
// monitors an EventReady with the time the restart took up to this call; a
// kernel without zlr, and a process that is not a registered service, are
// no error.
//
// It may be called more than once; only the first call closes anything, and
// the kernel sends the event only for the first report of an incarnation.
// In a process that was not restarted in place, and on systems other than
// Linux, it does nothing. The error names the descriptors whose close
// failed (they are closed anyway) and says when the report failed.
func Ready() error {
	err := inherited.ready()
	if Restarted() {
		err = errors.Join(err, reportReady())
	}
	return err
}

// reportReady reports the calling process ready to the kernel; tests
// replace it.
var reportReady = func() error { return reportReadyWith(Dial) }

// reportReadyWith reports the calling process ready with a Client that dial
// opens. A kernel without zlr and a process that is not registered (ENOENT)
// are no error.
func reportReadyWith(dial func() (*Client, error)) error {
	c, err := dial()
	if errors.Is(err, ErrNotSupported) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("zlr: report readiness: %w", err)
	}
	defer c.Close()
	if _, err := c.Ready(); err != nil && !errors.Is(err, syscall.ENOENT) {
		return fmt.Errorf("zlr: report readiness: %w", err)
	}
	return nil
}

func (in *inheritance) resume(l net.Listener) (net.Listener, error) {
	conns, err := in.conns(l.Addr())
	if len(conns) == 0 {
		return l, err
	}
	return &resumeListener{Listener: l, conns: conns}, err
}

// A resumeListener hands out the connections conns before those its
// Listener accepts.
type resumeListener struct {
	net.Listener

	mu    sync.Mutex
	conns []net.Conn
}

// Accept returns the next connection of conns, or when there is none left
// the next connection the listener accepts.
func (l *resumeListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	if len(l.conns) > 0 {
		c := l.conns[0]
		l.conns[0] = nil
		l.conns = l.conns[1:]
		l.mu.Unlock()
		return c, nil
	}
	l.mu.Unlock()
	return l.Listener.Accept()
}

// Close closes the listener and the connections not yet handed out.
func (l *resumeListener) Close() error {
	l.mu.Lock()
	conns := l.conns
	l.conns = nil
	l.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
	return l.Listener.Close()
}
