// Package demotest holds an in-process web server that follows the HTTP
// contract of the web server demo, with hooks to make it misbehave, for
// testing the load generator and the tools built on it.
package demotest

import (
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/zl-dev/zl/internal/demo"
)

// A Server is an http.Handler that follows the web server demo's HTTP
// contract, with hooks for misbehaving. Set its fields before it serves.
type Server struct {
	// Journal is the path of the CGI orders' journal.
	Journal string

	// RecordTwice records every order twice, as a CGI replayed without
	// de-duplication would.
	RecordTwice bool

	// Before, if set, may take over a request before it is served, its
	// body read; it returns true when it did.
	Before func(w http.ResponseWriter, r *http.Request, body []byte) bool

	// Mangle, if set, changes the body of a successful response before it
	// is sent.
	Mangle func(r *http.Request, body []byte) []byte

	mu       sync.Mutex
	recorded map[string]bool
}

// Start starts a Server with its journal in a temporary directory, on an
// httptest server closed at the end of the test; configure, if not nil,
// sets its hooks before it starts.
func Start(t testing.TB, configure func(*Server)) (*Server, *httptest.Server) {
	t.Helper()
	s := &Server{Journal: filepath.Join(t.TempDir(), "journal")}
	if configure != nil {
		configure(s)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return s, srv
}

// ServeHTTP serves r as the contract says, unless the hooks say otherwise.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if s.Before != nil && s.Before(w, r, body) {
		return
	}
	out, status := s.Respond(r, body)
	if status != http.StatusOK {
		http.Error(w, string(out), status)
		return
	}
	if s.Mangle != nil {
		out = s.Mangle(r, out)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(out)))
	w.Header().Set("Content-Type", "application/octet-stream")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(out)
}

// Respond returns the body and the status of the answer to r, whose body
// is body, recording a CGI order in the journal.
func (s *Server) Respond(r *http.Request, body []byte) ([]byte, int) {
	switch {
	case r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/static/"):
		for i := range demo.StaticCount {
			if r.URL.Path == "/static/"+demo.StaticName(i) {
				return demo.StaticContent(i), http.StatusOK
			}
		}
		return []byte("no such file"), http.StatusNotFound
	case r.Method == http.MethodGet && r.URL.Path == "/dyn":
		seed, err1 := strconv.ParseUint(r.URL.Query().Get("seed"), 10, 64)
		size, err2 := strconv.Atoi(r.URL.Query().Get("size"))
		if err1 != nil || err2 != nil || size < 0 || size > demo.MaxDynamicSize {
			return []byte("bad seed or size"), http.StatusBadRequest
		}
		return demo.Dynamic(seed, size), http.StatusOK
	case r.Method == http.MethodPost && r.URL.Path == "/sum":
		return fmt.Appendf(nil, "length: %d\nsha256: %x\n", len(body), sha256.Sum256(body)), http.StatusOK
	case r.Method == http.MethodPost && r.URL.Path == "/cgi-bin/order":
		key := r.Header.Get(demo.IdempotencyHeader)
		if key == "" || strings.ContainsAny(key, " \t\r\n") {
			return []byte("bad key"), http.StatusBadRequest
		}
		if err := s.record(key, body); err != nil {
			return []byte(err.Error()), http.StatusInternalServerError
		}
		return demo.CGIResponse(key, body), http.StatusOK
	case r.Method == http.MethodGet && r.URL.Path == "/healthz":
		return []byte("ok\n"), http.StatusOK
	}
	return []byte("not found"), http.StatusNotFound
}

// record appends the order to the journal, once per key (twice with
// RecordTwice).
func (s *Server) record(key string, body []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.recorded == nil {
		s.recorded = make(map[string]bool)
	}
	if s.recorded[key] && !s.RecordTwice {
		return nil
	}
	s.recorded[key] = true
	f, err := os.OpenFile(s.Journal, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	line := demo.JournalLine(key, body)
	if s.RecordTwice {
		line += line
	}
	if _, err := f.WriteString(line); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// HijackClose takes over the connection of w and closes it without an
// answer.
func HijackClose(t testing.TB, w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		t.Errorf("hijacking: %v", err)
		return
	}
	conn.Close()
}
