package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/zl-dev/zl/internal/demoload"
)

// killTarget is what a killer sees of a server that says ready again
// restartDelay updates after each fault.
type killTarget struct {
	readies      int64
	restartDelay int
	restarting   int   // updates left before it says ready
	faultsAt     []int // Done at each fault
	done         int
	failSend     error
}

func (s *killTarget) tick() {
	if s.restarting > 0 {
		s.restarting--
		if s.restarting == 0 {
			s.readies++
		}
	}
}

func (s *killTarget) signal() error {
	if s.failSend != nil {
		return s.failSend
	}
	if s.restarting > 0 {
		return errors.New("a fault sent while the server restarts")
	}
	s.faultsAt = append(s.faultsAt, s.done)
	s.restarting = s.restartDelay
	return nil
}

// run drives a killer of n faults, one each every requests answered after a
// ready, over total requests, one request done per update, and returns the
// server and the killer.
func runKiller(n, every, total, restartDelay int, failSend error) (*killTarget, *killer) {
	s := &killTarget{readies: 1, restartDelay: restartDelay, failSend: failSend}
	k := newKiller(n, every, func() int64 { return s.readies }, s.signal)
	for s.done = 0; s.done <= total; s.done++ {
		s.tick()
		k.update(demoload.Progress{Done: s.done, Total: total})
	}
	return s, k
}

func TestKillerSendsEveryFault(t *testing.T) {
	// 4 faults, one each 12 answered after a ready.
	s, k := runKiller(4, 12, 100, 3, nil)
	if k.sent != 4 || len(s.faultsAt) != 4 || k.note() != "" {
		t.Fatalf("sent %d at %v, note %q; want 4", k.sent, s.faultsAt, k.note())
	}
	select {
	case <-k.stop:
	default:
		t.Error("the load was not told to stop after the last fault")
	}
	if s.faultsAt[0] != 12 {
		t.Errorf("first fault at %d requests done, want 12", s.faultsAt[0])
	}
	for i := 1; i < len(s.faultsAt); i++ {
		// 3 requests done while it restarts (ready seen at the third),
		// then 12 answered since.
		if gap := s.faultsAt[i] - s.faultsAt[i-1]; gap != 15 {
			t.Errorf("faults %d and %d %d requests apart, want 15", i, i+1, gap)
		}
	}
}

func TestKillerWaitsForProgress(t *testing.T) {
	// More faults than the load leaves room for: each still waits for
	// the server to say ready, then for a request answered.
	s, k := runKiller(60, 1, 100, 4, nil)
	if k.sent == 0 || k.sent >= 60 {
		t.Fatalf("sent %d of 60 with restarts of 4 requests: want some, not all", k.sent)
	}
	for i := 1; i < len(s.faultsAt); i++ {
		// 4 while it restarts, then at least one answered since.
		if gap := s.faultsAt[i] - s.faultsAt[i-1]; gap < 5 {
			t.Errorf("faults %d and %d only %d requests apart: sent before ready and progress", i, i+1, gap)
		}
	}
	select {
	case <-k.stop:
		t.Error("the load was told to stop before the faults were all sent")
	default:
	}
	if note := k.note(); !strings.Contains(note, "the load ended first") {
		t.Errorf("note %q", note)
	}
}

func TestKillerNotBeforeReady(t *testing.T) {
	s := &killTarget{readies: 0}
	k := newKiller(1, 5, func() int64 { return s.readies }, s.signal)
	for done := 0; done <= 10; done++ {
		k.update(demoload.Progress{Done: done, Total: 10})
	}
	if k.sent != 0 {
		t.Errorf("sent %d faults to a server that never said ready", k.sent)
	}
}

func TestKillerSendFailure(t *testing.T) {
	s, k := runKiller(3, 10, 100, 1, errors.New("no such process"))
	if k.sent != 0 || len(s.faultsAt) != 0 || !strings.Contains(k.note(), "no such process") {
		t.Errorf("sent %d, note %q", k.sent, k.note())
	}
}
