//go:build e2e

// Package e2e holds the end-to-end tests of zl: zlctl and libzl against the real zlr family of
// the test kernel. They run as root inside the test VM (ci/vm-run -- ci/vm-suite), never on the
// build host; `go test -tags e2e -c` builds them.
package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// nobody is the unprivileged user the permission tests act as.
const nobody = 65534

func TestMain(m *testing.M) {
	if mode := os.Getenv(serviceEnv); mode != "" {
		os.Exit(serviceMain(mode))
	}
	if os.Getenv("ZL_IN_VM") != "1" {
		fmt.Fprintln(os.Stderr, "e2e: these tests need the zlr test kernel: run them with ci/vm-run -- ci/vm-suite")
		os.Exit(1)
	}
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "e2e: these tests run as root in the test VM")
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// serviceJSON is zlctl's pinned JSON form of a service, decoded independently of zlctl's code.
type serviceJSON struct {
	ID           uint32 `json:"id"`
	PID          int    `json:"pid"`
	Name         string `json:"name"`
	UID          uint32 `json:"uid"`
	Incarnation  uint32 `json:"incarnation"`
	Faults       uint64 `json:"faults"`
	Restarts     uint64 `json:"restarts"`
	GiveUps      uint64 `json:"giveups"`
	RegisteredNS int64  `json:"registered_ns"`
	Policy       struct {
		FaultSignals   []string `json:"fault_signals"`
		FaultExitCodes []int    `json:"fault_exit_codes"`
		MaxRestarts    uint32   `json:"max_restarts"`
		WindowMS       int64    `json:"window_ms"`
		BackoffMS      int64    `json:"backoff_ms"`
		MinUptimeMS    int64    `json:"min_uptime_ms"`
		ReplayLimit    uint32   `json:"replay_limit"`
		Flags          []string `json:"flags"`
	} `json:"policy"`
}

// result is what a zlctl run printed and how it exited.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
}

// zlctl runs zlctl (from PATH) as root.
func zlctl(t *testing.T, args ...string) result {
	t.Helper()
	return zlctlAs(t, 0, args...)
}

// zlctlAs runs zlctl with the credentials of uid (0: as the test itself).
func zlctlAs(t *testing.T, uid uint32, args ...string) result {
	t.Helper()
	cmd := exec.Command("zlctl", args...)
	if uid != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	code := 0
	switch {
	case errors.As(err, &exitErr):
		code = exitErr.ExitCode()
	case err != nil:
		t.Fatalf("zlctl %v: %v", args, err)
	}
	return result{stdout.String(), stderr.String(), code}
}

// mustZlctl runs zlctl as root and fails the test unless it succeeds.
func mustZlctl(t *testing.T, args ...string) string {
	t.Helper()
	r := zlctl(t, args...)
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("zlctl %v: %v", args, r)
	}
	return r.stdout
}

// decode parses zlctl's JSON output into v.
func decode(t *testing.T, out string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatalf("zlctl printed invalid JSON: %v\n%s", err, out)
	}
}

// list returns the services zlctl lists for uid, by id.
func list(t *testing.T, uid uint32) map[uint32]serviceJSON {
	t.Helper()
	r := zlctlAs(t, uid, "list", "-o", "json")
	if r.code != 0 {
		t.Fatalf("zlctl list: %v", r)
	}
	var services []serviceJSON
	decode(t, r.stdout, &services)
	byID := make(map[uint32]serviceJSON)
	for _, s := range services {
		byID[s.ID] = s
	}
	return byID
}

// listedPID reports whether zlctl lists a service for pid.
func listedPID(t *testing.T, pid int) bool {
	t.Helper()
	for _, s := range list(t, 0) {
		if s.PID == pid {
			return true
		}
	}
	return false
}

// startSleeper starts a process that sleeps until the test ends, as uid (0: root).
func startSleeper(t *testing.T, uid uint32) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "3600")
	if uid != 0 {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting sleep: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	// Start returns once the exec is past its point of no return, before the new program's
	// arguments are in place; a registration must not catch it in between.
	cmdline := fmt.Sprintf("/proc/%d/cmdline", cmd.Process.Pid)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if b, _ := os.ReadFile(cmdline); string(b) == "sleep\x003600\x00" {
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("sleep %d never finished its exec", cmd.Process.Pid)
		}
		time.Sleep(time.Millisecond)
	}
}

func pidArg(cmd *exec.Cmd) string {
	return strconv.Itoa(cmd.Process.Pid)
}

func ptr[T any](v T) *T { return &v }

// waitExited waits until cmd has exited and been reaped.
func waitExited(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatalf("pid %d did not exit", cmd.Process.Pid)
	}
}
