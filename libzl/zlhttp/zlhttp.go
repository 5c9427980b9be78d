// Package zlhttp makes a net/http server zero-loss: when the kernel restarts
// it in place after a fault (see package libzl), the new incarnation serves
// the connections the old one left open, and the clients whose requests were
// in flight get complete responses instead of reset connections.
//
// The kernel does the hard part. It keeps the listening socket and the
// connections open across the restart, replays to the new incarnation the
// request bytes the old one had read since its last response, and drops the
// response bytes the old one had already sent. The server's part is what
// this package does:
//
//   - Listen adopts the listener the previous incarnation left and hands out
//     the connections it had open before new ones (libzl.Listen and
//     libzl.Resume). It also takes a socket passed by systemd-style socket
//     activation, so that the same binary runs under a user-space supervisor.
//   - Handler makes responses deterministic: the response of the new
//     incarnation must be byte for byte the one the old incarnation was
//     writing, or the client would get the first part of one response and
//     the rest of another. It suppresses the Date header, the one header
//     net/http adds that changes from one second to the next.
//   - Serve wraps the server's handler with Handler, calls libzl.Ready (which
//     closes the descriptors nobody adopted and tells the kernel the service
//     serves again) and serves.
//
// A zero-loss server is then:
//
//	srv := &http.Server{Addr: ":8080", Handler: mux}
//	log.Fatal(zlhttp.ListenAndServe(srv))
//
// and is registered with the kernel by its supervisor, for example with
// `zlctl run --fault-exit-codes 2 -- ./server` (a Go panic exits with 2).
//
// What the handlers must do in turn:
//
//   - Answer the same request with the same bytes. Nothing that depends on
//     the time, a random number or a counter of the process may go into a
//     response, nor into the headers (no Last-Modified from a file written at
//     start-up, no ETag from the time). A response without Content-Length is
//     sent chunked, with a chunk per write: write the same pieces, or set
//     Content-Length.
//   - Read the request before answering it. The kernel takes a read that
//     follows a write on a connection as the start of the next request, so
//     any write before the request is read (an interim "100 Continue"
//     response, sent by net/http when a client sends "Expect: 100-continue"
//     and the handler reads the body) makes the kernel forget the request's
//     head: clients of a zero-loss server must not send that header (curl
//     does for large bodies unless given -H 'Expect:').
//   - Not use TLS: its keys die with the process, so the replayed bytes
//     cannot be decrypted again. Terminate TLS in front of the service.
//   - Read with Read the pipes and sockets whose input must be replayed.
//     The kernel logs what read(2) takes from them; splice(2) and
//     sendfile(2) move bytes past the log, and io.Copy from a pipe or a
//     socket to the response splices on Linux (the response is a
//     net.TCPConn's ReadFrom). Hide the other methods of the source, as in
//     io.Copy(w, struct{ io.Reader }{pipe}). zlcgi.Host does so.
//
// In a process that was not restarted in place, on a kernel without zlr and
// on systems other than Linux, the package behaves as plain net/http without
// the Date header.
package zlhttp

import (
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/zl-dev/zl/libzl"
)

// Handler returns a handler that calls h with the automatic Date header
// suppressed, so that the same request gets the same response bytes in every
// incarnation of the service.
//
// net/http adds "Date: <now>" to every response that does not set one. After
// a restart in place, the kernel drops as many bytes of the new incarnation's
// response as the old incarnation had already sent: if the Date differed
// (the restart took the clock past a second), the client would get a head
// from one response and the rest of another, garbled around the Date. HTTP
// allows a server without a reliable clock to leave Date out (RFC 9110,
// section 6.6.1).
//
// A handler that sets a Date header itself sends it; it must then be the same
// in every incarnation.
func Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A nil value for Date tells net/http not to add its own.
		w.Header()["Date"] = nil
		h.ServeHTTP(w, r)
	})
}

// Serve serves HTTP on l with srv, which must not be serving yet, as a
// zero-loss service: it sets srv.Handler to Handler(srv.Handler) (with
// http.DefaultServeMux when it is nil), calls libzl.Ready, and then returns
// srv.Serve(l).
//
// Call it once the listeners and connections to keep are adopted, as Listen
// does: Ready closes the descriptors inherited from the previous incarnation
// that were not, and reports to the kernel that the restarted service serves
// again. A failure of Ready is logged to srv.ErrorLog (or the log package's
// standard logger) and does not stop Serve: the service can serve anyway,
// and exiting would lose the requests the kernel kept for it.
//
// Like srv.Serve, Serve returns http.ErrServerClosed after srv.Shutdown or
// srv.Close, and otherwise an error that ended the accept loop.
func Serve(srv *http.Server, l net.Listener) error {
	h := srv.Handler
	if h == nil {
		h = http.DefaultServeMux
	}
	srv.Handler = Handler(h)
	if err := libzl.Ready(); err != nil {
		logf(srv, "zlhttp: %v", err)
	}
	return srv.Serve(l)
}

// ListenAndServe listens with Listen on the TCP network address srv.Addr
// (":http" when it is empty) and serves with Serve. It always returns a
// non-nil error: http.ErrServerClosed after srv.Shutdown or srv.Close.
//
// When some of the connections a restarted service kept cannot be adopted,
// it logs the error as Serve does and serves the others.
func ListenAndServe(srv *http.Server) error {
	addr := srv.Addr
	if addr == "" {
		addr = ":http"
	}
	l, err := Listen("tcp", addr)
	if l == nil {
		return err
	}
	if err != nil {
		logf(srv, "zlhttp: %v", err)
	}
	return Serve(srv, l)
}

// logf logs to srv's error log, or to the standard logger when it has none.
func logf(srv *http.Server, format string, args ...any) {
	if srv.ErrorLog != nil {
		srv.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// errNotListening is returned for a passed descriptor that is not a
// listening socket.
var errNotListening = errors.New("not a listening socket")

// wrapListenErr adds the package's context to an error of Listen.
func wrapListenErr(what string, err error) error {
	return fmt.Errorf("zlhttp: %s: %w", what, err)
}
