package main

import (
	"fmt"
	"syscall"
	"time"

	"github.com/zl-dev/zl/internal/demoload"
)

// killInterval is how often a killer looks at the load's progress.
const killInterval = 5 * time.Millisecond

// A killer sends the server faults from outside (-kills): SIGUSR1, on which
// it crashes at once (zl-webserver-demo -fault-on-signal) at whatever point
// of its work it is, n times. (A Go program does not die of a SIGSEGV that
// kill() sends: its runtime takes it, prints every goroutine and exits.)
// Each fault is sent once the server has said ready since the previous one
// and then answered every requests: every incarnation makes progress,
// whatever a restart costs. Once the last incarnation has answered as
// many, the killer closes stop, which ends the load
// (demoload.Config.Stop): its size is a bound, room for the requests
// answered while the server restarts and before the killer sees it ready,
// up to the clients in flight each time. Faults counted by requests the server
// reads (-fault-every) cannot promise progress: requests replayed after a
// crash count again, and with more clients in flight than the count no
// incarnation gets past its replay.
type killer struct {
	n, every int
	readies  func() int64 // how many times the server said ready
	signal   func() error // sends the fault
	stop     chan struct{}
	stopped  bool

	sent      int
	lastReady int64 // readies() when the last fault was sent
	doneReady int   // Done when the server was first seen ready since; -1 before
	err       error // the first failure to send; no more are sent
}

func newKiller(n, every int, readies func() int64, signal func() error) *killer {
	return &killer{n: n, every: every, readies: readies, signal: signal, doneReady: -1,
		stop: make(chan struct{})}
}

// signalPID returns a killer's signal function for process pid.
func signalPID(pid int) func() error {
	return func() error {
		if err := syscall.Kill(pid, syscall.SIGUSR1); err != nil {
			return fmt.Errorf("sending SIGUSR1 to the server (pid %d): %w", pid, err)
		}
		return nil
	}
}

// update looks at the load's progress p and sends a fault when it is time.
// It is meant to be called from one goroutine, every killInterval.
func (k *killer) update(p demoload.Progress) {
	if k.stopped || k.err != nil {
		return
	}
	r := k.readies()
	if r <= k.lastReady {
		return // restarting: not ready since the last fault
	}
	if k.doneReady < 0 {
		k.doneReady = p.Done
		return
	}
	if p.Done < k.doneReady+k.every {
		return
	}
	if k.sent == k.n {
		k.stopped = true
		close(k.stop)
		return
	}
	if err := k.signal(); err != nil {
		k.err = err
		return
	}
	k.sent++
	k.lastReady, k.doneReady = r, -1
}

// note says what fell short, or "": a fault that could not be sent, or
// fewer sent than asked because the load ended first.
func (k *killer) note() string {
	switch {
	case k.err != nil:
		return fmt.Sprintf("%v; %d of the %d faults asked were sent", k.err, k.sent, k.n)
	case k.sent < k.n:
		return fmt.Sprintf("only %d of the %d faults asked were sent: the load ended first (the server answered fewer than %d requests between some)", k.sent, k.n, k.every)
	}
	return ""
}
