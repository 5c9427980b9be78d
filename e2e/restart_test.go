//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/zl-dev/zl/libzl"
)

// serviceEnv makes the test binary a small service instead of running tests: it reports its
// incarnation, pid and parent on descriptor 3, then crashes until incarnation N. Its value is
// "segv-until=N" (SIGSEGV sent by kill) or "panic-until=N" (a nil pointer dereference).
const serviceEnv = "ZL_E2E_SERVICE"

func serviceMain(mode string) int {
	if mode == "server" {
		return serverMain()
	}
	var how string
	var until uint32
	if _, err := fmt.Sscanf(strings.Replace(mode, "-until=", " ", 1), "%s %d", &how, &until); err != nil {
		return 100
	}
	report := os.NewFile(3, "report")
	inc := libzl.Incarnation()
	if _, err := fmt.Fprintf(report, "%d %d %d\n", inc, os.Getpid(), os.Getppid()); err != nil {
		return 101
	}
	if inc >= until {
		return 0
	}
	switch how {
	case "segv":
		// SIGSEGV from outside. The Go runtime prints a traceback and, with
		// GOTRACEBACK=crash, raises SIGABRT with the default action, which the kernel
		// intercepts. (Without it, Go exits with status 2.)
		_ = syscall.Kill(os.Getpid(), syscall.SIGSEGV)
		time.Sleep(time.Minute)
	case "panic":
		// An unrecovered panic: the Go runtime ends in exit_group(2).
		var p *int
		return *p
	}
	return 102
}

// startService starts the test binary as a service in mode with zlctl run; it reports on the
// returned pipe, and writes its tracebacks to stderr.
func startService(t *testing.T, mode string, env []string, stderr io.Writer, zlctlArgs ...string) (*exec.Cmd, *os.File) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	args := append(append([]string{"run"}, zlctlArgs...), "--", self)
	cmd := exec.Command("zlctl", args...)
	cmd.Env = append(append(os.Environ(), serviceEnv+"="+mode), env...)
	cmd.ExtraFiles = []*os.File{w}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { r.Close() })
	return cmd, r
}

// runService starts the test binary as a service with zlctl run and checks its reports: each
// crash restarts it in place, with the same pid and parent, the next incarnation, and the report
// pipe still open; the last incarnation exits cleanly.
func runService(t *testing.T, mode string, crashes uint32, env []string, zlctlArgs ...string) {
	t.Helper()
	var stderr bytes.Buffer // the crashes' tracebacks
	cmd, r := startService(t, fmt.Sprintf("%s-until=%d", mode, crashes), env, &stderr, zlctlArgs...)

	lines := bufio.NewScanner(r)
	for want := uint32(0); want <= crashes; want++ {
		if !lines.Scan() {
			_ = cmd.Wait()
			t.Fatalf("no report from incarnation %d (%v); stderr:\n%s", want, cmd.ProcessState, stderr.String())
		}
		var inc uint32
		var pid, ppid int
		if _, err := fmt.Sscanf(lines.Text(), "%d %d %d", &inc, &pid, &ppid); err != nil {
			t.Fatalf("report %q: %v", lines.Text(), err)
		}
		if inc != want || pid != cmd.Process.Pid || ppid != os.Getpid() {
			t.Errorf("report %d: incarnation %d, pid %d, parent %d; want %d, %d, %d",
				want, inc, pid, ppid, want, cmd.Process.Pid, os.Getpid())
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the service's parent saw %v, want a clean exit", err)
	}
	if t.Failed() {
		t.Logf("the service's stderr:\n%s", stderr.String())
	}
}

// A Go service killed by SIGSEGV from outside, with GOTRACEBACK=crash (SIGABRT): a fault signal.
func TestZlctlRunRestartsAfterSignal(t *testing.T) {
	runService(t, "segv", 3, []string{"GOTRACEBACK=crash"}, "--name", "e2e-segv")
}

// A Go service that panics exits with status 2: a fault exit status when the policy lists it.
func TestZlctlRunRestartsAfterGoPanic(t *testing.T) {
	runService(t, "panic", 3, nil, "--name", "e2e-panic", "--fault-exit-codes", "2")
}

// Without 2 among the fault exit codes, the panic is an ordinary exit.
func TestZlctlRunGoPanicNotListedExits(t *testing.T) {
	cmd, r := startService(t, "panic-until=1", nil, io.Discard)
	reports, _ := io.ReadAll(r)
	err := cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != 2 {
		t.Errorf("zlctl run of a panicking service: %v, want exit status 2", err)
	}
	if n := strings.Count(string(reports), "\n"); n != 1 {
		t.Errorf("%d incarnations reported, want 1:\n%s", n, reports)
	}
}
