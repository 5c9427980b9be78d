//go:build linux

// Command commitcost measures what an explicit request boundary costs a
// zero-loss service: the throughput of a request/response service over TCP
// that commits after every response, with fcntl(F_ZLR_COMMIT) (what
// libzl.Commit uses) or with the netlink command (Client.Commit), against
// the same service that does not commit, in the same boot, interleaved.
//
// The service is this program in service mode, registered with zlr (replay
// and de-duplication on); the client is this program too, unregistered.
// Each repetition opens a connection, says whether the service is to commit,
// and sends -requests requests of each size, one at a time; the service
// answers each with as many bytes, their SHA-256 folded in, so that the
// work grows with the size as a real service's does. It reports, for every
// request size, the median throughput with and without Commit, the loss,
// and the cost of one Commit. Absolute times from an emulated VM are noisy;
// the ratios carry over. It must run as root on a kernel with zlr (see
// ci/vm-run).
//
// Usage:
//
//	commitcost [-requests 2000] [-reps 5] [-sizes 64,4096,65536] [-json out.json]
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/olekukonko/tablewriter"

	"github.com/zl-dev/zl/libzl"
)

// roleEnv set to "service" makes the program the service.
const roleEnv = "ZLR_COMMITCOST_ROLE"

// Modes of a connection, sent as its first byte.
const (
	modePlain   = 'p'
	modeFcntl   = 'f'
	modeNetlink = 'n'
)

func main() {
	if os.Getenv(roleEnv) == "service" {
		// It serves until it is killed.
		fmt.Fprintf(os.Stderr, "commitcost service: %v\n", service())
		os.Exit(1)
	}
	requests := flag.Int("requests", 2000, "requests per repetition and size")
	reps := flag.Int("reps", 5, "repetitions of each mode and size, interleaved")
	sizes := flag.String("sizes", "64,4096,65536", "request sizes in bytes, comma-separated")
	jsonOut := flag.String("json", "", "write the results to this file as JSON")
	flag.Parse()
	var sz []int
	for s := range strings.SplitSeq(*sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 16<<20 {
			fmt.Fprintf(os.Stderr, "commitcost: bad size %q: want a number of bytes from 1 to 16777216\n", s)
			os.Exit(2)
		}
		sz = append(sz, n)
	}
	if *requests < 1 || *reps < 1 {
		fmt.Fprintln(os.Stderr, "commitcost: -requests and -reps must be at least 1")
		os.Exit(2)
	}
	res, err := run(sz, *requests, *reps)
	if err != nil {
		fmt.Fprintf(os.Stderr, "commitcost: %v\n", err)
		os.Exit(1)
	}
	printTable(os.Stdout, res)
	if *jsonOut != "" {
		b, err := json.MarshalIndent(res, "", "  ")
		if err == nil {
			err = os.WriteFile(*jsonOut, append(b, '\n'), 0o644)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "commitcost: %v\n", err)
			os.Exit(1)
		}
	}
}

// A result is the measure of one request size.
type result struct {
	Size     int `json:"size"`
	Requests int `json:"requests_per_rep"`
	Reps     int `json:"reps"`
	// PlainRPS is the median throughput, in requests per second, without
	// a commit.
	PlainRPS float64 `json:"plain_rps"`
	// Fcntl and Netlink are the throughputs with a commit per request.
	Fcntl   commitResult `json:"fcntl"`
	Netlink commitResult `json:"netlink"`
}

// A commitResult is the throughput with one way of committing.
type commitResult struct {
	RPS float64 `json:"rps"`
	// LossPct is the throughput lost to the commits, in percent.
	LossPct float64 `json:"loss_pct"`
	// CommitNs is the cost of one commit: the difference of the median
	// times per request.
	CommitNs float64 `json:"commit_ns"`
}

// run starts the service and measures every size.
func run(sizes []int, requests, reps int) ([]result, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), roleEnv+"=service")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	defer func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	}()
	// The service says its address once it is registered and listens.
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("the service did not start: %w", err)
	}
	addr := strings.TrimSpace(line)

	var res []result
	for _, size := range sizes {
		times := map[byte][]time.Duration{}
		for range reps {
			for _, mode := range []byte{modePlain, modeFcntl, modeNetlink} {
				d, err := measure(addr, mode, size, requests)
				if err != nil {
					return nil, fmt.Errorf("size %d, mode %c: %w", size, mode, err)
				}
				times[mode] = append(times[mode], d)
			}
		}
		p := median(times[modePlain])
		with := func(mode byte) commitResult {
			c := median(times[mode])
			return commitResult{
				RPS:      float64(requests) / c.Seconds(),
				LossPct:  100 * (1 - p.Seconds()/c.Seconds()),
				CommitNs: float64(c-p) / float64(requests),
			}
		}
		res = append(res, result{
			Size:     size,
			Requests: requests,
			Reps:     reps,
			PlainRPS: float64(requests) / p.Seconds(),
			Fcntl:    with(modeFcntl),
			Netlink:  with(modeNetlink),
		})
	}
	return res, nil
}

// measure sends requests requests of size bytes to the service at addr on
// a connection of the given mode, one at a time, and returns the time they
// took.
func measure(addr string, mode byte, size, requests int) (time.Duration, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	hdr := make([]byte, 5)
	hdr[0] = mode
	binary.BigEndian.PutUint32(hdr[1:], uint32(size))
	if _, err := c.Write(hdr); err != nil {
		return 0, err
	}
	req := make([]byte, size)
	for i := range req {
		req[i] = byte(i * 7)
	}
	want := answer(req)
	got := make([]byte, size)
	r := bufio.NewReaderSize(c, 64<<10)
	start := time.Now()
	for range requests {
		if _, err := c.Write(req); err != nil {
			return 0, err
		}
		if _, err := io.ReadFull(r, got); err != nil {
			return 0, err
		}
	}
	d := time.Since(start)
	if !slices.Equal(got, want) {
		return 0, errors.New("wrong answer")
	}
	return d, nil
}

// answer returns the service's answer to req: req XORed with its SHA-256.
func answer(req []byte) []byte {
	sum := sha256.Sum256(req)
	out := make([]byte, len(req))
	for i, b := range req {
		out[i] = b ^ sum[i%len(sum)]
	}
	return out
}

// service registers the process with zlr, listens on a loopback port, says
// its address on stdout and serves every connection. It returns only when
// it cannot go on.
func service() error {
	c, err := libzl.Dial()
	if err != nil {
		return err
	}
	flags := libzl.FlagReplay | libzl.FlagDedup
	limit := uint32(64 << 20)
	if _, err := c.Register(libzl.Registration{Name: "commitcost", Policy: libzl.PolicyConfig{
		Flags: &flags, ReplayLimit: &limit,
	}}); err != nil {
		return fmt.Errorf("register: %w", err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	fmt.Println(l.Addr())
	for {
		conn, err := l.Accept()
		if err != nil {
			return err
		}
		go serve(conn, c)
	}
}

// serve answers the requests of a connection, committing after each
// answer when the connection asks for it, with fcntl or with nl.
func serve(c net.Conn, nl *libzl.Client) {
	defer c.Close()
	r := bufio.NewReaderSize(c, 64<<10)
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return
	}
	mode := hdr[0]
	raw, err := c.(*net.TCPConn).SyscallConn()
	if err != nil {
		return
	}
	req := make([]byte, binary.BigEndian.Uint32(hdr[1:]))
	for {
		if _, err := io.ReadFull(r, req); err != nil {
			return
		}
		if _, err := c.Write(answer(req)); err != nil {
			return
		}
		// The request is dealt with: the kernel may forget it.
		var err error
		switch mode {
		case modeFcntl:
			err = libzl.Commit(c.(*net.TCPConn))
		case modeNetlink:
			_ = raw.Control(func(fd uintptr) { err = nl.Commit(int(fd)) })
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "commitcost service: commit: %v\n", err)
			return
		}
	}
}

// median returns the median of ds.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// printTable prints the results, each figure beside the 1% target.
func printTable(w io.Writer, res []result) {
	fmt.Fprintln(w, "A commit per request vs none, TCP request/response, median of the repetitions (interleaved, same boot)")
	t := tablewriter.NewWriter(w)
	t.Header([]string{"size", "requests/s plain", "commit", "requests/s", "loss", "target", "cost of a commit"})
	for _, r := range res {
		for _, c := range []struct {
			how string
			r   commitResult
		}{{"fcntl", r.Fcntl}, {"netlink", r.Netlink}} {
			t.Append([]string{
				strconv.Itoa(r.Size) + " B",
				fmt.Sprintf("%.0f", r.PlainRPS),
				c.how,
				fmt.Sprintf("%.0f", c.r.RPS),
				fmt.Sprintf("%.2f%%", c.r.LossPct),
				"≤ 1%",
				fmt.Sprintf("%.1f µs", c.r.CommitNs/1e3),
			})
		}
	}
	t.Render()
}
