package main

import (
	"bytes"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zl-dev/zl/internal/demo"
	"github.com/zl-dev/zl/libzl"
)

// childEnv makes the test binary the CGI program, its main, instead of
// running the tests.
const childEnv = "ZL_CGI_DEMO_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// runCGI posts an order to the test binary run as the CGI program by a
// net/http/cgi host, with env added to its environment.
func runCGI(t *testing.T, key string, body []byte, env ...string) (*httptest.ResponseRecorder, string) {
	t.Helper()
	var stderr strings.Builder
	h := &cgi.Handler{
		Path:   os.Args[0],
		Env:    append([]string{childEnv + "=1"}, env...),
		Stderr: &stderr,
	}
	req := httptest.NewRequest("POST", "/cgi-bin/order", bytes.NewReader(body))
	req.Header.Set(demo.IdempotencyHeader, key)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec, stderr.String()
}

func TestCGI(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "journal")
	body := demo.Bytes(7, 300000)
	for range 2 {
		rec, stderr := runCGI(t, "order-7", body, journalEnv+"="+journal)
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), demo.CGIResponse("order-7", body)) {
			t.Errorf("order: %d, %d bytes; stderr:\n%s", rec.Code, rec.Body.Len(), stderr)
		}
		if stderr != "" {
			t.Errorf("the program wrote to standard error:\n%s", stderr)
		}
	}
	b, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), demo.JournalLine("order-7", body); got != want {
		t.Errorf("journal %q, want %q", got, want)
	}
}

// TestCGIFault checks that the program really crashes, and only in its
// first incarnation.
func TestCGIFault(t *testing.T) {
	journal := filepath.Join(t.TempDir(), "journal")
	body := demo.Bytes(8, 100000)
	resp := demo.CGIResponse("order-8", body)
	env := []string{journalEnv + "=" + journal, faultEnv + "=every=1,kind=segv,point=mid-response"}

	rec, stderr := runCGI(t, "order-8", body, env...)
	if got := rec.Body.Len(); got != len(resp)/2 || !bytes.Equal(rec.Body.Bytes(), resp[:got]) {
		t.Errorf("the crashed program answered %d bytes, want the first %d", got, len(resp)/2)
	}
	if !strings.Contains(stderr, "fault: order order-8 kind segv point mid-response\n") {
		t.Errorf("stderr:\n%s", stderr)
	}

	// As the kernel restarts it: the same environment, and ZL_INCARNATION.
	rec, stderr = runCGI(t, "order-8", body, append(env, libzl.IncarnationEnv+"=1")...)
	if !bytes.Equal(rec.Body.Bytes(), resp) || stderr != "" {
		t.Errorf("the restarted program answered %d bytes, want %d; stderr:\n%s", rec.Body.Len(), len(resp), stderr)
	}
	b, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), demo.JournalLine("order-8", body); got != want {
		t.Errorf("journal %q, want %q", got, want)
	}
}
