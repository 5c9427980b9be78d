package zlcgi

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zl-dev/zl/libzl"
)

// DefaultResumeTimeout is how long Host.Resume keeps a CGI program it took
// over for its request to come again, unless told otherwise.
const DefaultResumeTimeout = time.Minute

// A Host runs a CGI program for each request, as net/http/cgi.Handler does,
// in a web server that the kernel restarts in place: the programs the
// crashed incarnation had started go on with their work, and the new
// incarnation finishes their requests with them instead of starting them
// again.
//
// A CGI program is a process of its own, so a crash of the web server
// leaves it running. The kernel keeps the server's ends of the program's
// pipes open across the restart, and its parent is the same process. What
// the server had written of the request body and read of the response is
// in the kernel's replay state: Host commits the body pipe when it starts
// the program, so the kernel counts the bytes written to it, and the server
// reads the response pipe as a registered service, so the kernel logs them.
// When the request comes again (the kernel replays it on its connection),
// the new incarnation writes the whole body, of which the kernel drops what
// the program had already got, and reads the whole response, the part the
// crashed incarnation had read replayed first; the kernel's de-duplication
// of the connection then drops the part the client already has. The
// program runs once, however many times the server crashes while it runs:
// an expensive request is not started again by every incarnation, which
// under frequent crashes would never let it finish.
//
// Call Resume when the server starts, before libzl.Ready; a Host whose
// Resume was not called starts every program afresh, which is correct but
// slower. The program must be deterministic and its effects idempotent, as
// package zlcgi says, since a program that had finished is started again.
//
// The program gets the environment net/http/cgi gives one, without the
// variables that Handler.InheritEnv would add. Requests with a chunked body
// are refused, as net/http/cgi does: read the body first and set
// ContentLength. Internal redirects (a Location path with no status) are
// not followed: the client gets 302.
type Host struct {
	// Path is the path of the CGI program.
	Path string

	// Dir is the program's working directory; empty means Path's.
	Dir string

	// Args are the program's arguments after its path.
	Args []string

	// Env are variables, "NAME=value", added to the program's
	// environment; they replace the variables of the same name.
	Env []string

	// Stderr is the program's standard error; nil means the server's.
	Stderr *os.File

	// Logger logs what goes wrong; nil means the log package's standard
	// logger.
	Logger *log.Logger

	// ResumeTimeout is how long Resume keeps a program for its request to
	// come again before it gives up on it and closes its pipes; zero means
	// DefaultResumeTimeout.
	ResumeTimeout time.Duration

	// mu protects pending.
	mu sync.Mutex
	// pending holds the programs Resume took over that no request has
	// claimed yet, by the key of their environment.
	pending map[string]*child
}

// A child is a CGI program started for a request.
type child struct {
	proc *os.Process
	// stdin is the server's end of the program's standard input, nil when
	// the request has no body or the crashed incarnation had written it
	// all.
	stdin *os.File
	// stdout is the server's end of the program's standard output.
	stdout *os.File
}

// release gives up on c: it closes the server's ends of its pipes, so that
// it stops at its next read or write on them, and waits for it in the
// background.
func (c *child) release() {
	c.closePipes()
	go func() { _, _ = c.proc.Wait() }()
}

// closePipes closes the server's ends of c's pipes.
func (c *child) closePipes() {
	if c.stdin != nil {
		c.stdin.Close()
	}
	if c.stdout != nil {
		c.stdout.Close()
	}
}

// Resume takes over the CGI programs of h.Path that the crashed incarnation
// of the server had started and whose response pipe it inherited; they
// serve the requests the kernel replays. It also waits, in the background,
// for the programs it cannot take over, which stop once libzl.Ready closes
// their pipes: no zombie is left. Call it once, before libzl.Ready and
// before starting any program. In a process that was not restarted in
// place, and on systems other than Linux, it does nothing.
//
// A program Resume took over and that no request claims within
// ResumeTimeout (its client went away) is given up: its pipes are closed.
func (h *Host) Resume() error {
	if !libzl.Restarted() {
		return nil
	}
	kids, err := previousChildren(h.path())
	if err != nil {
		return fmt.Errorf("zlcgi: resume the CGI programs: %w", err)
	}
	var errs []error
	for _, k := range kids {
		c, err := k.adopt()
		if err != nil {
			errs = append(errs, fmt.Errorf("zlcgi: resume the CGI program %d: %w", k.pid, err))
		}
		if c == nil {
			continue
		}
		key := envKey(k.env)
		h.mu.Lock()
		if h.pending == nil {
			h.pending = make(map[string]*child)
		}
		if _, dup := h.pending[key]; dup {
			c.release()
		} else {
			h.pending[key] = c
		}
		h.mu.Unlock()
	}
	timeout := h.ResumeTimeout
	if timeout <= 0 {
		timeout = DefaultResumeTimeout
	}
	time.AfterFunc(timeout, h.giveUp)
	return errors.Join(errs...)
}

// giveUp releases the programs Resume took over that no request claimed.
func (h *Host) giveUp() {
	h.mu.Lock()
	pending := h.pending
	h.pending = nil
	h.mu.Unlock()
	for _, c := range pending {
		h.logf("zlcgi: %s: no request came for program %d: giving it up", h.Path, c.proc.Pid)
		c.release()
	}
}

// claim returns the program Resume took over for the environment with
// key, and forgets it; nil when there is none.
func (h *Host) claim(key string) *child {
	h.mu.Lock()
	defer h.mu.Unlock()
	c := h.pending[key]
	delete(h.pending, key)
	return c
}

// ServeHTTP runs the program for r, or finishes r with the program the
// crashed incarnation had started for it, and answers what the program
// writes.
func (h *Host) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if slices.Contains(r.TransferEncoding, "chunked") {
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, "Chunked request bodies are not supported by CGI.")
		return
	}
	env := h.env(r)
	c := h.claim(envKey(env))
	if c == nil {
		var err error
		if c, err = h.start(env, r.ContentLength != 0); err != nil {
			w.WriteHeader(http.StatusInternalServerError)
			h.logf("zlcgi: %s: %v", h.Path, err)
			return
		}
	} else {
		h.logf("zlcgi: %s: the request goes on with program %d, which the crashed incarnation started", h.Path, c.proc.Pid)
	}
	h.serve(w, r, c)
}

// start starts the program with env; it has a pipe for its standard input
// when body is set, and /dev/null when not.
func (h *Host) start(env []string, body bool) (_ *child, err error) {
	c := &child{}
	// The program's ends of its pipes, which the server closes once the
	// program has them; the server's ends are closed on failure.
	var theirs []*os.File
	defer func() {
		for _, f := range theirs {
			f.Close()
		}
		if err != nil {
			c.closePipes()
		}
	}()
	var stdin *os.File
	if body {
		if stdin, c.stdin, err = os.Pipe(); err != nil {
			return nil, fmt.Errorf("standard input: %w", err)
		}
		theirs = append(theirs, stdin)
		// From here on, the kernel counts the bytes written to the
		// program, and a restarted server writes only the rest.
		if err := libzl.Commit(c.stdin); err != nil && !notRegistered(err) {
			h.logf("zlcgi: %s: the request body will be sent again after a restart: %v", h.Path, err)
		}
	} else {
		if stdin, err = os.Open(os.DevNull); err != nil {
			return nil, fmt.Errorf("standard input: %w", err)
		}
		theirs = append(theirs, stdin)
	}
	var stdout *os.File
	if c.stdout, stdout, err = os.Pipe(); err != nil {
		return nil, fmt.Errorf("standard output: %w", err)
	}
	theirs = append(theirs, stdout)
	stderr := h.Stderr
	if stderr == nil {
		stderr = os.Stderr
	}
	path := h.path()
	dir := h.Dir
	if dir == "" {
		dir = filepath.Dir(path)
	}
	c.proc, err = os.StartProcess(path, append([]string{h.Path}, h.Args...), &os.ProcAttr{
		Dir:   dir,
		Env:   env,
		Files: []*os.File{stdin, stdout, stderr},
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// notRegistered reports whether err of libzl.Commit says that the server is
// not a zero-loss service: no zlr in the kernel, or not registered.
func notRegistered(err error) bool {
	return errors.Is(err, libzl.ErrNotSupported) || errors.Is(err, os.ErrNotExist)
}

// serve sends r's body to c, answers with what c writes and waits for c.
func (h *Host) serve(w http.ResponseWriter, r *http.Request, c *child) {
	defer func() { _, _ = c.proc.Wait() }()
	defer c.stdout.Close()
	if c.stdin != nil {
		go func() {
			// A program that does not read its body closes the pipe: the
			// error is that of the program. Written, not spliced: the
			// kernel's de-duplication counts what write(2) puts in.
			_, _ = io.Copy(onlyWriter{c.stdin}, onlyReader{r.Body})
			c.stdin.Close()
		}()
	}

	out := bufio.NewReaderSize(c.stdout, 1024)
	code, header, err := readHeader(out)
	if err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		h.logf("zlcgi: %s: %v", h.Path, err)
		return
	}
	for k, vv := range header {
		for _, v := range vv {
			w.Header().Add(k, v)
		}
	}
	w.WriteHeader(code)
	// Read and write, never splice: the kernel logs, and replays after a
	// restart, what read(2) takes from the pipe, while splice(2) and
	// sendfile(2) take the bytes past the log. io.Copy would splice the
	// pipe into the connection (bufio.Reader.WriteTo, os.File.WriteTo,
	// net.TCPConn.ReadFrom).
	if _, err := io.CopyBuffer(onlyWriter{w}, onlyReader{out}, make([]byte, 32<<10)); err != nil {
		h.logf("zlcgi: %s: copy the response: %v", h.Path, err)
		// Do not wait for a program that writes to a client gone.
		_ = c.proc.Kill()
	}
}

// onlyReader and onlyWriter hide every method of their field but Read or
// Write, so that io.Copy cannot splice.
type (
	onlyReader struct{ io.Reader }
	onlyWriter struct{ io.Writer }
)

// readHeader reads the header block of a CGI response from r and returns
// the status code and the header fields to send, as net/http/cgi does.
func readHeader(r *bufio.Reader) (int, http.Header, error) {
	header := make(http.Header)
	code, lines := 0, 0
	for {
		line, isPrefix, err := r.ReadLine()
		switch {
		case isPrefix:
			return 0, nil, errors.New("long header line from the program")
		case err == io.EOF:
			return 0, nil, errors.New("the program's response has no header block")
		case err != nil:
			return 0, nil, fmt.Errorf("read the program's response: %w", err)
		}
		if len(line) == 0 {
			break
		}
		lines++
		name, val, ok := strings.Cut(string(line), ":")
		if !ok || !validFieldName(name) {
			return 0, nil, fmt.Errorf("bad header line from the program: %q", line)
		}
		val = textproto.TrimString(val)
		if name != "Status" {
			header.Add(name, val)
			continue
		}
		if len(val) < 3 {
			return 0, nil, fmt.Errorf("bad status from the program: %q", val)
		}
		if code, err = strconv.Atoi(val[:3]); err != nil || code < 100 || code > 999 {
			return 0, nil, fmt.Errorf("bad status from the program: %q", val)
		}
	}
	if lines == 0 {
		return 0, nil, errors.New("the program's response has no header")
	}
	if header.Get("Location") != "" && code == 0 {
		code = http.StatusFound
	}
	if code == 0 {
		if header.Get("Content-Type") == "" {
			return 0, nil, errors.New("the program's response has no Content-Type")
		}
		code = http.StatusOK
	}
	return code, header, nil
}

// trailingPort matches the port at the end of a Host header.
var trailingPort = regexp.MustCompile(`:([0-9]+)$`)

// env returns the environment of the program for r, as net/http/cgi makes
// it.
func (h *Host) env(r *http.Request) []string {
	port := "80"
	if r.TLS != nil {
		port = "443"
	}
	if m := trailingPort.FindStringSubmatch(r.Host); m != nil {
		port = m[1]
	}
	root := ""
	env := []string{
		"SERVER_SOFTWARE=go",
		"SERVER_PROTOCOL=HTTP/1.1",
		"HTTP_HOST=" + r.Host,
		"GATEWAY_INTERFACE=CGI/1.1",
		"REQUEST_METHOD=" + r.Method,
		"QUERY_STRING=" + r.URL.RawQuery,
		"REQUEST_URI=" + r.URL.RequestURI(),
		"PATH_INFO=" + r.URL.Path,
		"SCRIPT_NAME=" + root,
		"SCRIPT_FILENAME=" + h.path(),
		"SERVER_PORT=" + port,
	}
	if ip, p, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		env = append(env, "REMOTE_ADDR="+ip, "REMOTE_HOST="+ip, "REMOTE_PORT="+p)
	} else {
		env = append(env, "REMOTE_ADDR="+r.RemoteAddr, "REMOTE_HOST="+r.RemoteAddr)
	}
	if host, _, err := net.SplitHostPort(r.Host); err == nil {
		env = append(env, "SERVER_NAME="+host)
	} else {
		env = append(env, "SERVER_NAME="+r.Host)
	}
	if r.TLS != nil {
		env = append(env, "HTTPS=on")
	}
	for k, v := range r.Header {
		k = strings.Map(upperCaseAndUnderscore, k)
		if k == "PROXY" {
			// httpoxy: a client must not set the program's proxy.
			continue
		}
		sep := ", "
		if k == "COOKIE" {
			sep = "; "
		}
		env = append(env, "HTTP_"+k+"="+strings.Join(v, sep))
	}
	if r.ContentLength > 0 {
		env = append(env, "CONTENT_LENGTH="+strconv.FormatInt(r.ContentLength, 10))
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		env = append(env, "CONTENT_TYPE="+ct)
	}
	path := os.Getenv("PATH")
	if path == "" {
		path = "/bin:/usr/bin:/usr/local/bin"
	}
	env = append(env, "PATH="+path)
	env = append(env, h.Env...)
	return dedupEnv(env)
}

// path returns h.Path made absolute, as the program's environment and the
// kernel show it.
func (h *Host) path() string {
	if p, err := filepath.Abs(h.Path); err == nil {
		return p
	}
	return h.Path
}

// dedupEnv returns env with only the last of the variables of the same
// name, in order.
func dedupEnv(env []string) []string {
	last := make(map[string]int, len(env))
	for i, e := range env {
		name, _, _ := strings.Cut(e, "=")
		last[name] = i
	}
	out := env[:0:0]
	for i, e := range env {
		name, _, _ := strings.Cut(e, "=")
		if last[name] == i {
			out = append(out, e)
		}
	}
	return out
}

// envKey returns the key under which Resume files a program with the
// environment env: the variables in order, without the one the kernel adds
// when it restarts the program in place.
func envKey(env []string) string {
	vars := make([]string, 0, len(env))
	for _, e := range env {
		if !strings.HasPrefix(e, libzl.IncarnationEnv+"=") {
			vars = append(vars, e)
		}
	}
	slices.Sort(vars)
	return strings.Join(vars, "\x00")
}

// validFieldName reports whether name is an HTTP field name: a token
// (RFC 9110, section 5.1).
func validFieldName(name string) bool {
	if name == "" {
		return false
	}
	for _, c := range []byte(name) {
		ok := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}

func upperCaseAndUnderscore(r rune) rune {
	switch {
	case r >= 'a' && r <= 'z':
		return r - ('a' - 'A')
	case r == '-', r == '=':
		return '_'
	}
	return r
}

// logf logs with h.Logger.
func (h *Host) logf(format string, args ...any) {
	if h.Logger != nil {
		h.Logger.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}
