//go:build linux

package zlcgi

import (
	"os"
	"slices"
	"syscall"
	"testing"
)

// fileIDOf returns the identity of f.
func fileIDOf(t *testing.T, f *os.File) fileID {
	t.Helper()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return fileID{dev: uint64(st.Dev), ino: st.Ino}
}

func TestPreviousChildren(t *testing.T) {
	start := func(script string, stdinPipe bool) (*os.Process, fileID, fileID) {
		t.Helper()
		var in, out fileID
		stdin, err := os.Open(os.DevNull)
		if err != nil {
			t.Fatal(err)
		}
		defer stdin.Close()
		if stdinPipe {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { w.Close() })
			defer r.Close()
			stdin, in = r, fileIDOf(t, r)
		}
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { r.Close() })
		defer w.Close()
		out = fileIDOf(t, r)
		// cat waits for its input; with none, sleep waits.
		argv := []string{"/bin/cat"}
		if !stdinPipe {
			argv = []string{"/bin/sleep", "600"}
		}
		p, err := os.StartProcess(argv[0], argv, &os.ProcAttr{
			Env:   []string{"SCRIPT_FILENAME=" + script, "REQUEST_METHOD=POST"},
			Files: []*os.File{stdin, w, os.Stderr},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			p.Kill()
			p.Wait()
		})
		return p, in, out
	}
	p1, in1, out1 := start("/srv/order", true)
	p2, _, out2 := start("/srv/order", false)
	start("/srv/other", true)

	kids, err := previousChildren("/srv/order")
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]prevChild{
		p1.Pid: {pid: p1.Pid, stdin: in1, stdout: out1},
		p2.Pid: {pid: p2.Pid, stdout: out2},
	}
	if len(kids) != len(want) {
		t.Fatalf("previousChildren found %d programs, want %d: %+v", len(kids), len(want), kids)
	}
	for _, k := range kids {
		w, ok := want[k.pid]
		if !ok {
			t.Errorf("previousChildren found process %d, not started for /srv/order", k.pid)
			continue
		}
		if k.stdin != w.stdin || k.stdout != w.stdout {
			t.Errorf("process %d: pipes %v, %v; want %v, %v", k.pid, k.stdin, k.stdout, w.stdin, w.stdout)
		}
		if len(k.env) != 2 || k.env[0] != "SCRIPT_FILENAME=/srv/order" {
			t.Errorf("process %d: environment %q", k.pid, k.env)
		}
	}
}

// The children files of the threads and the scan of every process's parent
// find the same children.
func TestChildPIDsScanAgree(t *testing.T) {
	var want []int
	for range 3 {
		p, err := os.StartProcess("/bin/sleep", []string{"sleep", "600"}, &os.ProcAttr{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			p.Kill()
			p.Wait()
		})
		want = append(want, p.Pid)
	}
	fast, err := childPIDs()
	if err != nil {
		t.Fatal(err)
	}
	scan, err := scanChildPIDs()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(fast)
	slices.Sort(scan)
	if !slices.Equal(fast, scan) {
		t.Errorf("childPIDs = %v, scanChildPIDs = %v", fast, scan)
	}
	for _, pid := range want {
		if !slices.Contains(scan, pid) {
			t.Errorf("child %d not found in %v", pid, scan)
		}
	}
}
