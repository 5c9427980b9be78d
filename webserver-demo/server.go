package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/zl-dev/zl/internal/demo"
	"github.com/zl-dev/zl/libzl/zlcgi"
)

// chunkSize is the size of the pieces GET /dyn writes and flushes.
const chunkSize = 16 << 10

// maxOrderBody is the largest order body the server passes to the CGI.
const maxOrderBody = 64 << 20

// Content types of the responses.
const (
	binaryType = "application/octet-stream"
	textType   = "text/plain; charset=utf-8"
)

// A server serves the demo's endpoints. Every response is the same bytes
// for the same request, in every incarnation, and declares its length, so
// that the kernel's de-duplication can complete a response that a crashed
// incarnation had half sent.
type server struct {
	// root holds the static files; nil when there are none.
	root *os.Root
	// cgi runs the order CGI program; nil when there is none.
	cgi *zlcgi.Host
	log *log.Logger
}

// handler returns the server's endpoints, with faults from in injected into
// the requests of all but GET /healthz.
func (s *server) handler(in *injector) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /static/{name}", in.wrap(http.HandlerFunc(s.static)))
	mux.Handle("GET /dyn", in.wrap(http.HandlerFunc(s.dyn)))
	mux.Handle("POST /sum", in.wrap(http.HandlerFunc(s.sum)))
	mux.Handle("POST /cgi-bin/order", in.wrap(http.HandlerFunc(s.order)))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		reply(w, http.StatusOK, textType, []byte("ok\n"))
	})
	return mux
}

// reply sends a complete response with the given status, type and body.
func reply(w http.ResponseWriter, code int, ctype string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	_, _ = w.Write(body)
}

// fail sends an error response: the status and msg, on a line.
func fail(w http.ResponseWriter, code int, msg string) {
	reply(w, code, textType, []byte(msg+"\n"))
}

// static serves GET /static/<name>: the file name of the root directory,
// without Last-Modified or ETag, which would change if the file were
// written again.
func (s *server) static(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if s.root == nil {
		fail(w, http.StatusNotFound, "no static files")
		return
	}
	// The name is one path segment, but "%2F" in it is a slash.
	if !filepath.IsLocal(name) || strings.ContainsRune(name, '/') {
		fail(w, http.StatusNotFound, "no such file")
		return
	}
	f, err := s.root.Open(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			fail(w, http.StatusNotFound, "no such file")
			return
		}
		s.log.Printf("static: %v", err)
		fail(w, http.StatusInternalServerError, "cannot open the file")
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		s.log.Printf("static: %v", err)
		fail(w, http.StatusInternalServerError, "cannot open the file")
		return
	}
	if !st.Mode().IsRegular() {
		fail(w, http.StatusNotFound, "no such file")
		return
	}
	w.Header().Set("Content-Type", binaryType)
	w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	w.WriteHeader(http.StatusOK)
	if _, err := io.Copy(w, f); err != nil {
		s.log.Printf("static %s: %v", name, err)
	}
}

// dyn serves GET /dyn?seed=S&size=N: demo.Dynamic(S, N), in pieces of
// chunkSize bytes flushed one by one, so that a fault in the middle leaves a
// half-sent response on the wire.
func (s *server) dyn(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	seed, err := strconv.ParseUint(q.Get("seed"), 10, 64)
	if err != nil {
		fail(w, http.StatusBadRequest, fmt.Sprintf("seed %q is not a number", q.Get("seed")))
		return
	}
	size, err := strconv.Atoi(q.Get("size"))
	if err != nil || size < 0 || size > demo.MaxDynamicSize {
		fail(w, http.StatusBadRequest, fmt.Sprintf("size %q is not a number from 0 to %d", q.Get("size"), demo.MaxDynamicSize))
		return
	}
	body := demo.Dynamic(seed, size)
	w.Header().Set("Content-Type", binaryType)
	w.Header().Set("Content-Length", strconv.Itoa(size))
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	for len(body) > 0 {
		n := min(chunkSize, len(body))
		if _, err := w.Write(body[:n]); err != nil {
			return
		}
		body = body[n:]
		if len(body) > 0 {
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}
}

// sum serves POST /sum: the length and SHA-256 of the body.
func (s *server) sum(w http.ResponseWriter, r *http.Request) {
	h := sha256.New()
	n, err := io.Copy(h, r.Body)
	if err != nil {
		fail(w, http.StatusBadRequest, fmt.Sprintf("cannot read the body: %v", err))
		return
	}
	reply(w, http.StatusOK, textType, fmt.Appendf(nil, "length: %d\nsha256: %x\n", n, h.Sum(nil)))
}

// order serves POST /cgi-bin/order with the CGI program. It reads the whole
// body first, so that the program starts only once the request is complete
// and gets its length even when the client sent it chunked.
func (s *server) order(w http.ResponseWriter, r *http.Request) {
	if s.cgi == nil {
		fail(w, http.StatusNotFound, "no CGI program")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxOrderBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			fail(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is longer than %d bytes", maxOrderBody))
			return
		}
		fail(w, http.StatusBadRequest, fmt.Sprintf("cannot read the body: %v", err))
		return
	}
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(body))
	r2.ContentLength = int64(len(body))
	r2.TransferEncoding = nil
	s.cgi.ServeHTTP(w, r2)
}

// writeStatic writes the demo's static files into dir, creating it. It
// leaves alone the files that are there with the right size already, so
// that a restarted server starts fast; it writes the others under a
// temporary name and renames them, so that readers never see half a file.
func writeStatic(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("static files: %w", err)
	}
	for i := range demo.StaticCount {
		path := filepath.Join(dir, demo.StaticName(i))
		if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() && st.Size() == int64(demo.StaticSize(i)) {
			continue
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, demo.StaticContent(i), 0o644); err != nil {
			return fmt.Errorf("static files: %w", err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("static files: %w", err)
		}
	}
	return nil
}
