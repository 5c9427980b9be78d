package proc

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	var lines []string
	for i := range 20 {
		lines = append(lines, fmt.Sprint("line ", i))
	}
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := Tail(path, 2), "  line 18\n  line 19"; got != want {
		t.Errorf("Tail: %q, want %q", got, want)
	}
}

func TestReadyAndStop(t *testing.T) {
	log := filepath.Join(t.TempDir(), "log")
	// One write: SIGTERM may come as soon as the first "ready" is read.
	p, err := Start("the shell", []string{"/bin/sh", "-c", `printf 'hello\nready\nready\n'; exec sleep 600`}, nil, log)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.WaitReady(time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(time.Minute); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if n := p.Readies(); n != 2 {
		t.Errorf("%d ready lines, want 2", n)
	}
	if b, _ := os.ReadFile(log); string(b) != "[stdout] hello\n" {
		t.Errorf("log %q", b)
	}
}

func TestExitBeforeReady(t *testing.T) {
	p, err := Start("the shell", []string{"/bin/sh", "-c", "echo oops >&2; exit 3"}, nil, filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	err = p.WaitReady(time.Minute)
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") || !strings.Contains(err.Error(), "oops") {
		t.Errorf("WaitReady: %v", err)
	}
	if err := p.Stop(time.Minute); err == nil || !strings.Contains(err.Error(), "had exited") {
		t.Errorf("Stop: %v", err)
	}
}
