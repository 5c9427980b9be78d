//go:build linux

package main

import (
	"errors"
	"fmt"
	"time"

	"github.com/zl-dev/zl/bench/internal/results"
	"github.com/zl-dev/zl/libzl"
)

// fdPoint is the restart latency of the Go service holding f tracked
// connections, over restarts restarts, and the descriptors the last
// restart kept.
func fdPoint(c *libzl.Client, self string, f, restarts int) (pt results.ScalePoint, retained int, err error) {
	addr, err := freeAddr()
	if err != nil {
		return pt, 0, err
	}
	s, err := startService(self, addr, restarts, true)
	if err != nil {
		return pt, 0, err
	}
	defer func() { err = errors.Join(err, s.stop()) }()
	maxRestarts := uint32(10000)
	window := time.Millisecond
	svc, err := c.Register(libzl.Registration{PID: s.pid(), Policy: libzl.PolicyConfig{
		FaultExitCodes: []uint8{faultStatus},
		MaxRestarts:    &maxRestarts,
		Window:         &window,
	}})
	if err != nil {
		return pt, 0, fmt.Errorf("registering the go service: %w", err)
	}
	conns, err := s.connect(f)
	if err != nil {
		return pt, 0, err
	}
	defer closeAll(conns)
	if err := s.do(fmt.Sprintf("touch 0 %d", f)); err != nil {
		return pt, 0, err
	}
	st, err := c.Service(libzl.ByID(svc.ID))
	if err != nil {
		return pt, 0, fmt.Errorf("the go service: %w", err)
	}
	if st.Replay.Streams < uint64(f) {
		return pt, 0, fmt.Errorf("the kernel tracks %d streams of the go service, want %d connections", st.Replay.Streams, f)
	}

	mon, err := libzl.DialMonitor()
	if err != nil {
		return pt, 0, fmt.Errorf("monitor: %w", err)
	}
	defer mon.Close()
	// The incarnations' lines, read beside the events.
	lines := make(chan error, 1)
	go func() {
		for i := 1; i <= restarts; i++ {
			line, err := s.line()
			if err != nil {
				lines <- err
				return
			}
			rep, err := parseConnReport(line)
			if err == nil && (rep.inc != uint32(i) || rep.conns != f) {
				err = fmt.Errorf("incarnation %d adopted %d connections, want incarnation %d with %d", rep.inc, rep.conns, i, f)
			}
			if err != nil {
				lines <- err
				return
			}
		}
		lines <- nil
	}()
	if err := s.send("fault"); err != nil {
		return pt, 0, err
	}
	lat, retained, err := restartLatencies(mon, svc.ID, restarts)
	if err != nil {
		return pt, 0, fmt.Errorf("go service with %d connections: %w", f, err)
	}
	if err := <-lines; err != nil {
		return pt, 0, err
	}
	return results.ScalePoint{X: f, Dist: results.NewDist(lat)}, retained, nil
}

// servicePoints measures the restart latency of zlr-tiny, restarts
// restarts per point, with others[i] other services registered: the first
// of the processes pids, registered in turn. It unregisters them at the
// end.
func servicePoints(c *libzl.Client, tiny, zlctl string, pids, others []int, restarts int) (pts []results.ScalePoint, err error) {
	var ids []uint32
	defer func() { err = errors.Join(err, unregisterAll(c, ids)) }()
	for _, x := range others {
		for len(ids) < x {
			svc, err := c.Register(libzl.Registration{PID: pids[len(ids)]})
			if err != nil {
				return pts, fmt.Errorf("registering pid %d: %w", pids[len(ids)], err)
			}
			ids = append(ids, svc.ID)
		}
		run, err := runTiny(c, tiny, zlctl, restarts, true)
		if err != nil {
			return pts, fmt.Errorf("with %d other services: %w", x, err)
		}
		pts = append(pts, results.ScalePoint{X: x, Dist: results.NewDist(run.latencies)})
	}
	return pts, nil
}
