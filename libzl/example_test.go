package libzl_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"syscall"
	"time"

	"github.com/zl-dev/zl/libzl"
)

// Register the calling process, restarting it on SIGSEGV and SIGABRT and
// when it exits with status 2 (a Go panic), at most 3 times a minute.
func ExampleClient_Register() {
	c, err := libzl.Dial()
	if errors.Is(err, libzl.ErrNotSupported) {
		log.Fatal("this kernel has no zlr support")
	}
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	maxRestarts := uint32(3)
	window := time.Minute
	svc, err := c.Register(libzl.Registration{
		Name: "api",
		Policy: libzl.PolicyConfig{
			FaultSignals:   []syscall.Signal{syscall.SIGSEGV, syscall.SIGABRT},
			FaultExitCodes: []uint8{2},
			MaxRestarts:    &maxRestarts,
			Window:         &window,
		},
	})
	if err != nil {
		// For example "zlr register: pid 42 is already registered as service 3".
		log.Fatal(err)
	}
	fmt.Printf("registered as service %d (incarnation %d)\n", svc.ID, svc.Incarnation)
}

// Change only the backoff of the service with pid 1234; the rest of its
// policy stays as it is.
func ExampleClient_SetPolicy() {
	c, err := libzl.Dial()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	backoff := 100 * time.Millisecond
	svc, err := c.SetPolicy(libzl.ByPID(1234), libzl.PolicyConfig{Backoff: &backoff})
	switch {
	case errors.Is(err, os.ErrNotExist):
		log.Fatal("pid 1234 is not a registered service")
	case errors.Is(err, os.ErrPermission):
		log.Fatal("not allowed to change the policy of pid 1234")
	case err != nil:
		log.Fatal(err)
	}
	fmt.Println("backoff now", svc.Policy.Backoff)
}

// List the services with their restart counts.
func ExampleClient_Services() {
	c, err := libzl.Dial()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	svcs, err := c.Services()
	if err != nil {
		log.Fatal(err)
	}
	for _, s := range svcs {
		fmt.Printf("%d %s pid %d: %d restarts, %d faults, flags %s\n",
			s.ID, s.Name, s.PID, s.Restarts, s.Faults, s.Policy.Flags)
	}
}

// Look up a service by its id, and forget it.
func ExampleClient_Unregister() {
	c, err := libzl.Dial()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	svc, err := c.Service(libzl.ByID(3))
	if err != nil {
		log.Fatal(err)
	}
	if err := c.Unregister(libzl.ByID(svc.ID)); err != nil {
		log.Fatal(err)
	}
}

// Upgrade a service in place: restart it into a new binary, keeping its
// PID, its listening socket and its connections, and watch the outcome.
func ExampleClient_Restart() {
	// Subscribe first, so that the outcome cannot be missed.
	m, err := libzl.DialMonitor()
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	c, err := libzl.Dial()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	svc, err := c.Restart(libzl.ByID(3), "/usr/local/bin/web-2.1")
	if err != nil {
		// For example "zlr restart: executable path must be absolute".
		log.Fatal(err)
	}
	if err := m.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		log.Fatal(err)
	}
	for {
		e, err := m.Next()
		if err != nil {
			log.Fatal(err)
		}
		if e.ID != svc.ID {
			continue
		}
		switch e.Kind {
		case libzl.EventRestart:
			fmt.Printf("restarted into %s in %v\n", e.Exe, e.Latency)
		case libzl.EventReady:
			fmt.Printf("serving again after %v\n", e.Latency)
			return
		case libzl.EventGiveUp:
			log.Fatalf("restart dropped: %v: %v", e.Reason, e.Err)
		}
	}
}

// A service that answers one request per line on its standard input, with
// one line on its standard output, as a pipeline feeds it. Pipes are not
// both read and written, so the kernel cannot tell by itself where a
// request ends: the service commits its input once each response is
// written. A restart then replays only the request it was answering.
func ExampleCommit() {
	in := bufio.NewReader(os.Stdin)
	for {
		req, err := in.ReadString('\n')
		if err == io.EOF {
			return
		}
		if err != nil {
			log.Fatal(err)
		}
		if _, err := fmt.Fprintf(os.Stdout, "%d\n", len(req)); err != nil {
			log.Fatal(err)
		}
		// bufio may have read ahead into the next request: commit only
		// when it has not, or a restart would lose what it holds.
		if in.Buffered() > 0 {
			continue
		}
		err = libzl.Commit(os.Stdin)
		switch {
		case errors.Is(err, libzl.ErrNotSupported), errors.Is(err, os.ErrNotExist):
			// No zlr, or not a registered service: nothing to commit.
		case err != nil:
			log.Print(err)
		}
	}
}

// Report the replay logs of all services against the kernel's limit.
func ExampleClient_Stats() {
	c, err := libzl.Dial()
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()

	st, err := c.Stats()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d services; replay logs hold %d of %d bytes on %d streams; %d overflows since boot\n",
		st.Services, st.ReplayHeld, st.ReplayLimit, st.ReplayStreams, st.ReplayOverflows)
}

// Print the events of every service as they happen.
func ExampleMonitor() {
	m, err := libzl.DialMonitor()
	if errors.Is(err, libzl.ErrNotSupported) {
		log.Fatal("this kernel has no zlr support")
	}
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()

	for {
		e, err := m.Next()
		if errors.Is(err, libzl.ErrEventsLost) {
			log.Print("some events were lost")
			continue
		}
		if err != nil {
			log.Fatal(err)
		}
		now, err := libzl.SinceBoot()
		if err != nil {
			log.Fatal(err)
		}
		when := e.WallTime(time.Now(), now).Format(time.RFC3339Nano)
		switch e.Kind {
		case libzl.EventFault:
			fmt.Printf("%s service %d (%s) faulted: signal %d, exit code %d\n",
				when, e.ID, e.Name, e.Fault.Signal, e.Fault.ExitCode)
		case libzl.EventRestart:
			fmt.Printf("%s service %d (%s) restarted (%v) in %v\n", when, e.ID, e.Name, e.Cause, e.Latency)
		case libzl.EventGiveUp:
			fmt.Printf("%s service %d (%s) given up: %v\n", when, e.ID, e.Name, e.Reason)
		default:
			fmt.Printf("%s service %d (%s): %v\n", when, e.ID, e.Name, e.Kind)
		}
	}
}

// A Monitor reports event times as time since boot; WallTime converts them
// given the wall-clock time and the time since boot at one moment.
func ExampleEvent_WallTime() {
	e := &libzl.Event{Kind: libzl.EventReady, Time: 90 * time.Second}
	now := time.Date(2026, 11, 22, 14, 13, 36, 0, time.UTC)
	fmt.Println(e.WallTime(now, 95*time.Second).Format(time.RFC3339))
	// Output: 2026-11-22T14:13:31Z
}

// An Error carries the kernel's reason for a refusal.
func ExampleError() {
	err := error(&libzl.Error{Op: "register", Message: "no process with pid 99999"})

	var zerr *libzl.Error
	if errors.As(err, &zerr) {
		fmt.Println(zerr.Message)
	}
	fmt.Println(err)
	// Output:
	// no process with pid 99999
	// zlr register: no process with pid 99999
}

func ExamplePolicyFlags_String() {
	fmt.Println(libzl.FlagReplay | libzl.FlagDedup)
	fmt.Println(libzl.PolicyFlags(0))
	// Output:
	// replay|dedup
	// none
}

// A service tells whether the kernel restarted it in place after a fault,
// and which restart it is, from its environment; no Client is needed.
func ExampleRestarted() {
	if libzl.Restarted() {
		log.Printf("restarted in place after a fault (incarnation %d): recovering", libzl.Incarnation())
		// For example, skip the one-time setup the original process did,
		// or report the restart to monitoring.
		return
	}
	log.Print("first start")
}

// The incarnation comes from ZL_INCARNATION, which the kernel sets in the
// environment of each restart: 1 for the first.
func ExampleIncarnation() {
	os.Setenv(libzl.IncarnationEnv, "3")
	defer os.Unsetenv(libzl.IncarnationEnv)

	fmt.Println(libzl.Incarnation(), libzl.Restarted())
	// Output: 3 true
}
