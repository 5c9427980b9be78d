package main

import (
	"errors"
	"net"
	"sync"
	"time"

	"github.com/zl-dev/zl/libzl"
)

// A collector keeps the events a Monitor receives.
type collector struct {
	mon      Monitor
	done     chan struct{}
	stopOnce sync.Once

	mu     sync.Mutex
	events []libzl.Event
	lost   int       // times the kernel dropped events
	errs   int       // events that could not be read
	last   time.Time // when the last event came
}

// maxMonitorErrors is the number of errors in a row after which a
// collector stops reading: the monitor is broken.
const maxMonitorErrors = 100

func newCollector(mon Monitor) *collector {
	c := &collector{mon: mon, done: make(chan struct{}), last: time.Now()}
	go c.run()
	return c
}

func (c *collector) run() {
	defer close(c.done)
	errsInARow := 0
	for {
		ev, err := c.mon.Next()
		c.mu.Lock()
		c.last = time.Now()
		switch {
		case err == nil:
			c.events = append(c.events, *ev)
			errsInARow = 0
		case errors.Is(err, libzl.ErrEventsLost):
			c.lost++
		case errors.Is(err, net.ErrClosed):
			c.mu.Unlock()
			return
		default:
			c.errs++
			errsInARow++
		}
		c.mu.Unlock()
		if errsInARow >= maxMonitorErrors {
			return
		}
	}
}

// settle waits until no event came for quiet, or for at most max.
func (c *collector) settle(quiet, max time.Duration) {
	deadline := time.Now().Add(max)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		since := time.Since(c.last)
		c.mu.Unlock()
		if since >= quiet {
			return
		}
		time.Sleep(quiet - since)
	}
}

// stop closes the monitor (the first time) and returns the events received, and the number
// of times events were lost or could not be read.
func (c *collector) stop() (events []libzl.Event, lost int) {
	c.stopOnce.Do(func() { c.mon.Close() })
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.events, c.lost + c.errs
}

// zlrCounts are the kernel's events of a phase, counted.
type zlrCounts struct {
	// Of the server's process.
	ServerFaults, ServerRestarts, ServerGiveUps int
	ServerReady                                 []time.Duration // latencies: from the fault to ready
	ServerRetained                              []int           // the descriptors each restart kept, in order

	// Of the CGI processes: the services registered during the phase
	// other than the server.
	CGIServices, CGIFaults, CGIRestarts, CGIGiveUps int

	// Overflows are the replay-overflow events of the server and the CGI
	// processes: streams that lost their replay guarantee.
	Overflows []libzl.Event
}

// countEvents counts events: those of process serverPID (0: none) are the
// server's, those of the other services registered among events are the
// CGI processes'; events of services registered before are left out.
func countEvents(events []libzl.Event, serverPID int) zlrCounts {
	var n zlrCounts
	cgi := map[uint32]bool{}
	for _, ev := range events {
		if ev.Kind == libzl.EventRegister && (serverPID == 0 || ev.PID != serverPID) && !cgi[ev.ID] {
			cgi[ev.ID] = true
			n.CGIServices++
		}
	}
	for _, ev := range events {
		switch {
		case serverPID != 0 && ev.PID == serverPID:
			switch ev.Kind {
			case libzl.EventFault:
				n.ServerFaults++
			case libzl.EventRestart:
				n.ServerRestarts++
				n.ServerRetained = append(n.ServerRetained, ev.Retained)
			case libzl.EventReady:
				n.ServerReady = append(n.ServerReady, ev.Latency)
			case libzl.EventGiveUp:
				n.ServerGiveUps++
			case libzl.EventReplayOverflow:
				n.Overflows = append(n.Overflows, ev)
			}
		case cgi[ev.ID]:
			switch ev.Kind {
			case libzl.EventFault:
				n.CGIFaults++
			case libzl.EventRestart:
				n.CGIRestarts++
			case libzl.EventGiveUp:
				n.CGIGiveUps++
			case libzl.EventReplayOverflow:
				n.Overflows = append(n.Overflows, ev)
			}
		}
	}
	return n
}

// retainedMax returns the most descriptors a restart kept, of all the
// restarts, of their first half and of their second (a leak of descriptors
// makes the second half keep more than the first), and of each tenth of
// them in turn, fewer when there are fewer than ten restarts.
func retainedMax(retained []int) (all, first, second int, tenths []int) {
	n := len(retained)
	tenths = make([]int, min(n, 10))
	for i, r := range retained {
		all = max(all, r)
		if i < n/2 {
			first = max(first, r)
		} else {
			second = max(second, r)
		}
		t := i * len(tenths) / n
		tenths[t] = max(tenths[t], r)
	}
	return all, first, second, tenths
}
