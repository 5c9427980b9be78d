package zlcgi

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/zl-dev/zl/libzl"
)

// testHost returns a Host that runs the test binary as a CGI program (see
// cgiChild), logging to t.
func testHost(t *testing.T) *Host {
	t.Helper()
	return &Host{
		Path:   os.Args[0],
		Env:    []string{childEnv + "=1"},
		Logger: log.New(tWriter{t}, "", 0),
	}
}

// A tWriter writes to the test's log.
type tWriter struct{ t *testing.T }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func TestHostServe(t *testing.T) {
	h := testHost(t)
	if err := h.Resume(); err != nil {
		t.Fatalf("Resume in a process that was not restarted: %v", err)
	}
	// Larger than a pipe's buffer, so that the body and the answer flow at
	// once.
	body := bytes.Repeat([]byte("order "), 50000)
	sum := sha256.Sum256(body)
	empty := sha256.Sum256(nil)
	for _, tt := range []struct {
		method string
		body   []byte
		want   string
	}{
		{http.MethodPost, body, fmt.Sprintf("POST %d %s incarnation 0\n", len(body), hex.EncodeToString(sum[:]))},
		{http.MethodGet, nil, fmt.Sprintf("GET 0 %s incarnation 0\n", hex.EncodeToString(empty[:]))},
	} {
		t.Run(tt.method, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, "/cgi-bin/order?x=1", bytes.NewReader(tt.body))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || rec.Body.String() != tt.want {
				t.Errorf("got %d %q, want 200 %q", rec.Code, rec.Body.String(), tt.want)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "text/plain" {
				t.Errorf("Content-Type %q, want the program's text/plain", ct)
			}
		})
	}
}

func TestHostServeErrors(t *testing.T) {
	dir := t.TempDir()
	script := func(name, text string) string {
		p := dir + "/" + name
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+text), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, tt := range []struct {
		name, path string
		chunked    bool
		want       int
	}{
		{"missing program", dir + "/none", false, http.StatusInternalServerError},
		{"no header block", script("nohead", "printf 'Content-Type: text/plain\\n'\n"), false, http.StatusInternalServerError},
		{"no content type", script("notype", "printf 'X-A: b\\n\\nbody'\n"), false, http.StatusInternalServerError},
		{"bad header", script("bad", "printf 'not a header\\n\\n'\n"), false, http.StatusInternalServerError},
		{"status", script("status", "printf 'Status: 404 Not Found\\nContent-Type: text/plain\\n\\nnone'\n"), false, http.StatusNotFound},
		{"location", script("loc", "printf 'Location: /elsewhere\\n\\n'\n"), false, http.StatusFound},
		{"chunked", script("chunked", "cat >/dev/null; printf 'Content-Type: text/plain\\n\\nok'\n"), true, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			h := &Host{Path: tt.path, Logger: log.New(tWriter{t}, "", 0)}
			req := httptest.NewRequest(http.MethodPost, "/cgi-bin/x", strings.NewReader("body"))
			if tt.chunked {
				req.TransferEncoding = []string{"chunked"}
				req.ContentLength = -1
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Errorf("status %d, want %d; body %q", rec.Code, tt.want, rec.Body.String())
			}
		})
	}
}

func TestReadHeader(t *testing.T) {
	for _, tt := range []struct {
		in         string
		wantCode   int
		wantHeader http.Header
		wantErr    string
	}{
		{in: "Content-Type: text/plain\r\nX-A:  b \r\n\r\nbody", wantCode: 200,
			wantHeader: http.Header{"Content-Type": {"text/plain"}, "X-A": {"b"}}},
		{in: "Status: 201 Created\nContent-Length: 3\n\n", wantCode: 201,
			wantHeader: http.Header{"Content-Length": {"3"}}},
		{in: "Location: http://x/\n\n", wantCode: 302, wantHeader: http.Header{"Location": {"http://x/"}}},
		{in: "Status: 20\n\n", wantErr: "bad status"},
		{in: "Status: abc\n\n", wantErr: "bad status"},
		{in: "X-A: b\n\n", wantErr: "no Content-Type"},
		{in: "\n", wantErr: "no header"},
		{in: "Content-Type: text/plain\n", wantErr: "no header block"},
		{in: "Bad Name: x\n\n", wantErr: "bad header line"},
		{in: "Content-Type: text/plain\n" + strings.Repeat("x", 2000), wantErr: "long header line"},
	} {
		code, header, err := readHeader(bufio.NewReaderSize(strings.NewReader(tt.in), 1024))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("readHeader(%q) = %v, want an error with %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || code != tt.wantCode {
			t.Errorf("readHeader(%q) = %d, %v; want %d", tt.in, code, err, tt.wantCode)
		}
		if diff := cmp.Diff(tt.wantHeader, header); diff != "" {
			t.Errorf("readHeader(%q) header (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestHostEnv(t *testing.T) {
	t.Setenv("PATH", "/usr/bin")
	h := &Host{Path: "/srv/cgi/order", Env: []string{"A=1", "PATH=/opt/bin", "A=2"}}
	req := httptest.NewRequest(http.MethodPost, "http://example.com:8080/cgi-bin/order?q=1", strings.NewReader("body"))
	req.RemoteAddr = "192.0.2.1:4242"
	req.Header.Set("Idempotency-Key", "k1")
	req.Header.Set("Proxy", "http://evil/")
	req.Header.Add("Cookie", "a=1")
	req.Header.Add("Cookie", "b=2")
	req.Header.Set("Content-Type", "application/octet-stream")
	env := h.env(req)
	want := []string{
		"A=2",
		"CONTENT_LENGTH=4",
		"CONTENT_TYPE=application/octet-stream",
		"GATEWAY_INTERFACE=CGI/1.1",
		"HTTP_CONTENT_TYPE=application/octet-stream",
		"HTTP_COOKIE=a=1; b=2",
		"HTTP_HOST=example.com:8080",
		"HTTP_IDEMPOTENCY_KEY=k1",
		"PATH=/opt/bin",
		"PATH_INFO=/cgi-bin/order",
		"QUERY_STRING=q=1",
		"REMOTE_ADDR=192.0.2.1",
		"REMOTE_HOST=192.0.2.1",
		"REMOTE_PORT=4242",
		"REQUEST_METHOD=POST",
		"REQUEST_URI=/cgi-bin/order?q=1",
		"SCRIPT_FILENAME=/srv/cgi/order",
		"SCRIPT_NAME=",
		"SERVER_NAME=example.com",
		"SERVER_PORT=8080",
		"SERVER_PROTOCOL=HTTP/1.1",
		"SERVER_SOFTWARE=go",
	}
	got := slices.Sorted(slices.Values(env))
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("environment (-want +got):\n%s", diff)
	}
	// The same request gets the same key whatever the order of its
	// variables, and a restarted program's incarnation does not count.
	shuffled := append(slices.Clone(env), libzl.IncarnationEnv+"=3")
	slices.Reverse(shuffled)
	if envKey(shuffled) != envKey(env) {
		t.Error("envKey depends on the order of the variables or on the incarnation")
	}
	other := h.env(httptest.NewRequest(http.MethodPost, "http://example.com:8080/cgi-bin/order?q=2", nil))
	if envKey(other) == envKey(env) {
		t.Error("two different requests have the same key")
	}
}

// The copies of Host must not splice, which would move the bytes past the
// kernel's replay log: their ends offer Read or Write only.
func TestHostCopiesDoNotSplice(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if _, ok := any(onlyReader{bufio.NewReader(r)}).(io.WriterTo); ok {
		t.Error("onlyReader is an io.WriterTo")
	}
	if _, ok := any(onlyWriter{w}).(io.ReaderFrom); ok {
		t.Error("onlyWriter is an io.ReaderFrom")
	}
}
