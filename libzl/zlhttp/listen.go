package zlhttp

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/zl-dev/zl/libzl"
)

// The environment of systemd's socket activation (sd_listen_fds(3)): the
// supervisor passes LISTEN_FDS descriptors from number 3 on, for the process
// LISTEN_PID, and names them in LISTEN_FDNAMES.
const (
	listenFDsEnv     = "LISTEN_FDS"
	listenPIDEnv     = "LISTEN_PID"
	listenFDNamesEnv = "LISTEN_FDNAMES"

	// listenFDsStart is the first passed descriptor (SD_LISTEN_FDS_START).
	listenFDsStart = 3
)

// Listen returns the listener a zero-loss HTTP server serves on: its Accept
// returns first the connections the previous incarnation of a service
// restarted in place had accepted, whose requests the kernel replays, and
// then new connections (libzl.Resume).
//
// The listener is the socket passed by socket activation when there is one:
// when LISTEN_FDS is set to a positive number and LISTEN_PID, if set, is the
// calling process's PID, as systemd and other supervisors pass sockets,
// Listen takes descriptor 3, the first passed, whatever network and address
// it is bound to; it leaves the other passed descriptors alone. Otherwise it
// announces on network and address with libzl.Listen, which in a restarted
// service adopts the listener the previous incarnation left there.
//
// Listen removes LISTEN_FDS, LISTEN_PID and LISTEN_FDNAMES from the
// environment, so that programs the server starts do not take the passed
// descriptors for theirs. A service restarted in place ignores them: the
// kernel restarts it with the environment it was started with, but its
// listener is no longer at descriptor 3. Give such a service the address the
// passed socket is bound to, which libzl.Listen looks for.
//
// When some of the connections of a restarted service cannot be adopted,
// Listen returns the listener, which hands out the others, along with an
// error that names them; the caller may log it and serve. On any other error
// the listener is nil.
func Listen(network, address string) (net.Listener, error) {
	n, err := activation(os.LookupEnv, os.Getpid())
	for _, k := range []string{listenFDsEnv, listenPIDEnv, listenFDNamesEnv} {
		_ = os.Unsetenv(k)
	}
	if err != nil {
		return nil, wrapListenErr("socket activation", err)
	}
	var l net.Listener
	if n > 0 && !libzl.Restarted() {
		l, err = activatedListener(listenFDsStart)
		if err != nil {
			return nil, wrapListenErr("socket activation", err)
		}
	} else {
		l, err = libzl.Listen(network, address)
		if err != nil {
			return nil, wrapListenErr("listen", err)
		}
	}
	rl, err := libzl.Resume(l)
	if err != nil {
		err = wrapListenErr("resume connections", err)
	}
	return rl, err
}

// activation returns the number of descriptors passed to process pid by
// socket activation, from the environment that lookup reads: LISTEN_FDS when
// LISTEN_PID is unset or pid, and 0 when LISTEN_FDS is unset or names
// another process. It refuses values that are not decimal numbers.
func activation(lookup func(string) (string, bool), pid int) (int, error) {
	fds, ok := lookup(listenFDsEnv)
	if !ok {
		return 0, nil
	}
	if s, ok := lookup(listenPIDEnv); ok {
		p, err := strconv.Atoi(s)
		if err != nil || p <= 0 {
			return 0, fmt.Errorf("%s=%q is not a process id", listenPIDEnv, s)
		}
		if p != pid {
			return 0, nil
		}
	}
	n, err := strconv.Atoi(fds)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%s=%q is not a number of descriptors", listenFDsEnv, fds)
	}
	return n, nil
}

// activatedListener returns a listener on the listening socket open at fd,
// which it closes: the listener holds a duplicate, close-on-exec.
func activatedListener(fd int) (net.Listener, error) {
	if err := checkListening(fd); err != nil {
		return nil, fmt.Errorf("descriptor %d: %w", fd, err)
	}
	f := os.NewFile(uintptr(fd), "listen-fd-"+strconv.Itoa(fd))
	l, err := net.FileListener(f)
	// The listener has its own descriptor; on an error fd is no use either.
	_ = f.Close()
	if err != nil {
		return nil, fmt.Errorf("descriptor %d: %w", fd, err)
	}
	return l, nil
}
