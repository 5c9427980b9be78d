//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/zl-dev/zl/libzl"
)

// serviceEnv makes the test binary a small service instead of running tests: it reports its
// incarnation and pid on descriptor 3, then, until incarnation N, has itself killed by SIGSEGV.
const serviceEnv = "ZL_E2E_SERVICE"

func serviceMain(mode string) int {
	var crashes uint32
	if _, err := fmt.Sscanf(mode, "crash-until=%d", &crashes); err != nil {
		return 100
	}
	report := os.NewFile(3, "report")
	inc := libzl.Incarnation()
	if _, err := fmt.Fprintf(report, "%d %d %d\n", inc, os.Getpid(), os.Getppid()); err != nil {
		return 101
	}
	if inc >= crashes {
		return 0
	}
	// SIGSEGV from outside. The Go runtime prints a traceback and, with GOTRACEBACK=crash,
	// raises SIGABRT with the default action, which the kernel intercepts. (Without it, Go
	// exits with status 2: an exit-status fault, which the kernel does not intercept yet.)
	_ = syscall.Kill(os.Getpid(), syscall.SIGSEGV)
	time.Sleep(time.Minute)
	return 102
}

// zlctl run registers itself and execs the service; each crash restarts it in place: same pid,
// same parent, the next incarnation, the report pipe still open.
func TestZlctlRunRestartsInPlace(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cmd := exec.Command("zlctl", "run", "--name", "e2e-svc", "--", self)
	cmd.Env = append(os.Environ(), serviceEnv+"=crash-until=2", "GOTRACEBACK=crash")
	cmd.ExtraFiles = []*os.File{w}
	var stderr bytes.Buffer // the crashes' tracebacks
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()

	lines := bufio.NewScanner(r)
	for want := uint32(0); want <= 2; want++ {
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
