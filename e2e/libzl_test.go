//go:build e2e

package e2e

import (
	"errors"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/google/go-cmp/cmp"
	"github.com/zl-dev/zl/libzl"
)

func dial(t *testing.T) *libzl.Client {
	t.Helper()
	c, err := libzl.Dial()
	if err != nil {
		t.Fatalf("Dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// The test process registers, inspects, changes and unregisters itself.
func TestLibzlSelf(t *testing.T) {
	c := dial(t)
	s, err := c.Register(libzl.Registration{Name: "e2e-self", Policy: libzl.PolicyConfig{
		FaultExitCodes: []uint8{2},
		MinUptime:      ptr(2 * time.Second),
	}})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	t.Cleanup(func() { _ = c.Unregister(libzl.ByID(s.ID)) })
	if s.PID != os.Getpid() || s.Name != "e2e-self" || s.Registered <= 0 {
		t.Errorf("Register: got %+v", s)
	}
	if diff := cmp.Diff([]uint8{2}, s.Policy.FaultExitCodes); diff != "" {
		t.Errorf("exit codes (-want +got):\n%s", diff)
	}
	if s.Policy.MinUptime != 2*time.Second || s.Policy.Window != time.Minute {
		t.Errorf("policy: %+v", s.Policy)
	}

	got, err := c.Service(libzl.ByPID(os.Getpid()))
	if err != nil {
		t.Fatalf("Service: %v", err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("Service differs from Register's reply (-want +got):\n%s", diff)
	}

	flags := libzl.FlagReplay
	got, err = c.SetPolicy(libzl.ByID(s.ID), libzl.PolicyConfig{Backoff: ptr(50 * time.Millisecond), Flags: &flags})
	if err != nil {
		t.Fatalf("SetPolicy: %v", err)
	}
	want := s.Policy
	want.Backoff = 50 * time.Millisecond
	want.Flags = libzl.FlagReplay
	if diff := cmp.Diff(want, got.Policy); diff != "" {
		t.Errorf("SetPolicy (-want +got):\n%s", diff)
	}

	all, err := c.Services()
	if err != nil {
		t.Fatalf("Services: %v", err)
	}
	found := false
	for _, svc := range all {
		found = found || svc.ID == s.ID
	}
	if !found {
		t.Errorf("Services: %d not in the dump", s.ID)
	}

	if err := c.Unregister(libzl.ByPID(os.Getpid())); err != nil {
		t.Fatalf("Unregister: %v", err)
	}
	_, err = c.Service(libzl.ByID(s.ID))
	var zerr *libzl.Error
	if !errors.Is(err, os.ErrNotExist) || !errors.As(err, &zerr) ||
		zerr.Message != "no service with id "+strconv.FormatUint(uint64(s.ID), 10) {
		t.Errorf("Service after Unregister: %v", err)
	}
}

// Refusals come back as *libzl.Error with the kernel's message and errno, and change nothing.
func TestLibzlErrors(t *testing.T) {
	c := dial(t)
	s, err := c.Register(libzl.Registration{})
	if err != nil {
		t.Fatalf("Register: %v", err)
	}
	t.Cleanup(func() { _ = c.Unregister(libzl.ByID(s.ID)) })

	_, err = c.SetPolicy(libzl.ByID(s.ID), libzl.PolicyConfig{MaxRestarts: ptr[uint32](1), Window: ptr(time.Duration(0))})
	var zerr *libzl.Error
	if !errors.Is(err, unix.ERANGE) || !errors.As(err, &zerr) || zerr.Message != "restart window must not be zero" {
		t.Errorf("zero window: %v", err)
	}
	got, err := c.Service(libzl.ByID(s.ID))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(s, got); diff != "" {
		t.Errorf("a refused SetPolicy changed the service (-want +got):\n%s", diff)
	}

	_, err = c.Register(libzl.Registration{})
	if !errors.Is(err, unix.EEXIST) {
		t.Errorf("second Register: %v, want EEXIST", err)
	}
	_, err = c.Register(libzl.Registration{PID: 4000000})
	if !errors.Is(err, os.ErrNotExist) || !errors.Is(err, unix.ESRCH) {
		t.Errorf("Register of a missing pid: %v", err)
	}
	_, err = c.Service(libzl.ByPID(1))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Service of unregistered init: %v", err)
	}
}
