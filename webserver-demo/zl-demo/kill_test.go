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

// run drives a killer of n faults over total requests, one request done per
// update, and returns the server and the killer.
func runKiller(n, total, restartDelay int, failSend error) (*killTarget, *killer) {
	s := &killTarget{readies: 1, restartDelay: restartDelay, failSend: failSend}
	k := newKiller(n, total, func() int64 { return s.readies }, s.signal)
	for s.done = 0; s.done <= total; s.done++ {
		s.tick()
		k.update(demoload.Progress{Done: s.done, Total: total})
	}
	return s, k
}

func TestKillerSpreadsFaults(t *testing.T) {
	s, k := runKiller(4, 100, 3, nil)
	if k.sent != 4 || len(s.faultsAt) != 4 || k.note() != "" {
		t.Fatalf("sent %d at %v, note %q; want 4", k.sent, s.faultsAt, k.note())
	}
	for i, done := range s.faultsAt {
		if done < (i+1)*100/5 {
			t.Errorf("fault %d at %d requests done, before its share %d", i+1, done, (i+1)*100/5)
		}
		if i > 0 && done <= s.faultsAt[i-1]+3 {
			t.Errorf("fault %d at %d, before the server said ready and answered since the previous at %d", i+1, done, s.faultsAt[i-1])
		}
	}
}

func TestKillerWaitsForProgress(t *testing.T) {
	// More faults than the restarts leave room for: each still waits for
	// the server to say ready, then for a request done.
	s, k := runKiller(50, 100, 4, nil)
	if k.sent == 0 || k.sent >= 50 {
		t.Fatalf("sent %d of 50 with restarts of 4 requests: want some, not all", k.sent)
	}
	for i := 1; i < len(s.faultsAt); i++ {
		if gap := s.faultsAt[i] - s.faultsAt[i-1]; gap < 5 {
			t.Errorf("faults %d and %d only %d requests apart: sent before ready and progress", i, i+1, gap)
		}
	}
	if note := k.note(); !strings.Contains(note, "the load ended first") {
		t.Errorf("note %q", note)
	}
}

func TestKillerNotBeforeReady(t *testing.T) {
	s := &killTarget{readies: 0}
	k := newKiller(1, 10, func() int64 { return s.readies }, s.signal)
	for done := 0; done <= 10; done++ {
		k.update(demoload.Progress{Done: done, Total: 10})
	}
	if k.sent != 0 {
		t.Errorf("sent %d faults to a server that never said ready", k.sent)
	}
}

func TestKillerSendFailure(t *testing.T) {
	s, k := runKiller(3, 100, 1, errors.New("no such process"))
	if k.sent != 0 || len(s.faultsAt) != 0 || !strings.Contains(k.note(), "no such process") {
		t.Errorf("sent %d, note %q", k.sent, k.note())
	}
}
