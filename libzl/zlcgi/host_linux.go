//go:build linux

package zlcgi

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/zl-dev/zl/libzl"
)

// procDir is where the processes are listed.
var procDir = "/proc"

// A prevChild is a CGI program that a crashed incarnation of the server
// started, as /proc shows it.
type prevChild struct {
	pid int
	env []string
	// stdin and stdout identify the pipes at the program's descriptors 0
	// and 1; stdin is zero when it is not a pipe.
	stdin, stdout fileID
}

// A fileID identifies a file by its device and inode numbers.
type fileID struct{ dev, ino uint64 }

// previousChildren returns the children of the calling process that run
// the program path, as its environment says (SCRIPT_FILENAME), and whose
// standard output is a pipe. A process that exits meanwhile is left out.
func previousChildren(path string) ([]prevChild, error) {
	pids, err := childPIDs()
	if err != nil {
		return nil, err
	}
	var kids []prevChild
	for _, pid := range pids {
		dir := filepath.Join(procDir, strconv.Itoa(pid))
		raw, err := os.ReadFile(filepath.Join(dir, "environ"))
		if err != nil {
			continue
		}
		env := strings.Split(strings.TrimSuffix(string(raw), "\x00"), "\x00")
		k := prevChild{pid: pid, env: env}
		if !slices.Contains(env, "SCRIPT_FILENAME="+path) {
			continue
		}
		var ok bool
		if k.stdout, ok = pipeAt(dir, 1); !ok {
			continue
		}
		k.stdin, _ = pipeAt(dir, 0)
		kids = append(kids, k)
	}
	return kids, nil
}

// childPIDs returns the children of the calling process, from the children
// files of its threads, or, on a kernel without them
// (CONFIG_PROC_CHILDREN), from the parent of every process.
func childPIDs() ([]int, error) {
	self := strconv.Itoa(os.Getpid())
	tasks, err := os.ReadDir(filepath.Join(procDir, self, "task"))
	if err != nil {
		return nil, err
	}
	var pids []int
	for _, t := range tasks {
		raw, err := os.ReadFile(filepath.Join(procDir, self, "task", t.Name(), "children"))
		if errors.Is(err, fs.ErrNotExist) {
			if _, serr := os.Stat(filepath.Join(procDir, self, "task", t.Name())); serr != nil {
				continue // the thread has exited
			}
			return scanChildPIDs()
		}
		if err != nil {
			return nil, err
		}
		for _, f := range strings.Fields(string(raw)) {
			if pid, err := strconv.Atoi(f); err == nil {
				pids = append(pids, pid)
			}
		}
	}
	return pids, nil
}

// scanChildPIDs returns the children of the calling process from the parent
// of every process in procDir, which is slower than childPIDs.
func scanChildPIDs() ([]int, error) {
	ents, err := os.ReadDir(procDir)
	if err != nil {
		return nil, err
	}
	self := os.Getpid()
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		if ppid, err := parentOf(filepath.Join(procDir, e.Name())); err == nil && ppid == self {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// parentOf returns the parent of the process whose /proc directory is dir.
func parentOf(dir string) (int, error) {
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return 0, err
	}
	// pid (comm) state ppid ...: comm may hold spaces and parentheses.
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("bad stat")
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 2 {
		return 0, errors.New("bad stat")
	}
	return strconv.Atoi(f[1])
}

// pipeAt identifies the pipe at descriptor fd of the process whose /proc
// directory is dir.
func pipeAt(dir string, fd int) (fileID, bool) {
	fi, err := os.Stat(filepath.Join(dir, "fd", strconv.Itoa(fd)))
	if err != nil || fi.Mode().Type() != fs.ModeNamedPipe {
		return fileID{}, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: st.Ino}, true
}

// adopt takes over k: the server's ends of its pipes, which the process
// inherited, and the process. It returns nil when k cannot be taken over
// (its response pipe was not inherited: the crashed incarnation had read
// it all); it then waits for k in the background.
func (k prevChild) adopt() (*child, error) {
	proc, err := os.FindProcess(k.pid)
	if err != nil {
		return nil, err
	}
	c := &child{proc: proc}
	c.stdout, err = libzl.File(k.stdout.dev, k.stdout.ino, os.O_RDONLY)
	if err == nil && c.stdout != nil && k.stdin != (fileID{}) {
		// None when the crashed incarnation had sent the whole body.
		c.stdin, err = libzl.File(k.stdin.dev, k.stdin.ino, os.O_WRONLY)
	}
	if err != nil || c.stdout == nil {
		if c.stdout != nil {
			c.stdout.Close()
		}
		go func() { _, _ = proc.Wait() }()
		if err != nil {
			return nil, fmt.Errorf("adopt its pipes: %w", err)
		}
		return nil, nil
	}
	return c, nil
}
