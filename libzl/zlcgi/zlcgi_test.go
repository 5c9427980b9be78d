package zlcgi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/zl-dev/zl/libzl"
)

// childEnv makes the test binary a CGI program (see cgiChild) instead of
// running the tests.
const childEnv = "ZLCGI_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) != "" {
		os.Exit(cgiChild())
	}
	os.Exit(m.Run())
}

// cgiChild serves its request with Serve: it answers the method, the
// length and SHA-256 of the body, and the incarnation.
func cgiChild() int {
	err := Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		sum := sha256.Sum256(body)
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "%s %d %s incarnation %d\n", r.Method, len(body), hex.EncodeToString(sum[:]), libzl.Incarnation())
	}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// TestServeCGI runs the test binary as a CGI program of a net/http/cgi
// host. The kernel under the test has no zlr, or lets the child register
// itself: either way the request is served.
func TestServeCGI(t *testing.T) {
	body := bytes.Repeat([]byte("order "), 50000)
	sum := sha256.Sum256(body)
	var stderr bytes.Buffer
	h := &cgi.Handler{
		Path:   os.Args[0],
		Env:    []string{childEnv + "=1"},
		Stderr: &stderr,
	}
	req := httptest.NewRequest("POST", "/cgi-bin/test", bytes.NewReader(body))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	want := fmt.Sprintf("POST %d %s incarnation 0\n", len(body), hex.EncodeToString(sum[:]))
	if rec.Code != http.StatusOK || rec.Body.String() != want {
		t.Errorf("CGI answered %d %q, want 200 %q; stderr:\n%s", rec.Code, rec.Body.String(), want, stderr.String())
	}
	if _, ok := rec.Result().Header["Date"]; ok {
		t.Errorf("CGI sent a Date header: %q", rec.Result().Header.Get("Date"))
	}
	if stderr.Len() > 0 {
		t.Errorf("CGI wrote to standard error:\n%s", stderr.String())
	}
}

func TestServeNotCGI(t *testing.T) {
	if os.Getenv("REQUEST_METHOD") != "" {
		t.Skip("the test runs in a CGI environment")
	}
	err := Serve(http.NotFoundHandler())
	if err == nil || !strings.Contains(err.Error(), "not run as a CGI program") {
		t.Errorf("Serve outside CGI: %v, want an error", err)
	}
}

// fakeOps records the operations a runner calls.
type fakeOps struct {
	restarted   bool
	registerErr error
	commitErr   error
	readyErr    error
	serveErr    error
	method      string

	calls []string
	reg   libzl.Registration
	// header is the header the handler saw, as serve called it.
	header http.Header
}

func (f *fakeOps) runner() runner {
	return runner{
		register: func(r libzl.Registration) error {
			f.calls = append(f.calls, "register")
			f.reg = r
			return f.registerErr
		},
		commit: func() error {
			f.calls = append(f.calls, "commit")
			return f.commitErr
		},
		restarted: func() bool { return f.restarted },
		ready: func() error {
			f.calls = append(f.calls, "ready")
			return f.readyErr
		},
		serve: func(h http.Handler) error {
			f.calls = append(f.calls, "serve")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/", nil))
			f.header = rec.Header()
			return f.serveErr
		},
		getenv: func(k string) string {
			if k == "REQUEST_METHOD" {
				return f.method
			}
			return ""
		},
	}
}

func TestRun(t *testing.T) {
	maxRestarts := uint32(1)
	custom := libzl.PolicyConfig{MaxRestarts: &maxRestarts}
	eperm := &libzl.Error{Op: "register", Message: "not permitted", Err: syscall.EPERM}
	tests := []struct {
		name    string
		cfg     Config
		ops     fakeOps
		want    []string
		wantReg *libzl.Registration
		wantErr string
		wantLog string
	}{
		{
			name:    "registers then serves",
			cfg:     Config{Name: "order"},
			ops:     fakeOps{method: "POST"},
			want:    []string{"register", "commit", "serve"},
			wantReg: &libzl.Registration{Name: "order", Policy: DefaultPolicy()},
		},
		{
			name:    "custom policy",
			cfg:     Config{Policy: &custom},
			ops:     fakeOps{method: "POST"},
			want:    []string{"register", "commit", "serve"},
			wantReg: &libzl.Registration{Policy: custom},
		},
		{
			name:    "kernel without zlr",
			ops:     fakeOps{method: "GET", registerErr: fmt.Errorf("dial: %w", libzl.ErrNotSupported)},
			want:    []string{"register", "serve"},
			wantReg: &libzl.Registration{Policy: DefaultPolicy()},
		},
		{
			name:    "commit refused",
			ops:     fakeOps{method: "POST", commitErr: errors.New("zlr commit: not a stream")},
			want:    []string{"register", "commit", "serve"},
			wantReg: &libzl.Registration{Policy: DefaultPolicy()},
			wantLog: "zlcgi: standard output will not be de-duplicated after a restart: zlr commit: not a stream\n",
		},
		{
			name:    "registration refused",
			ops:     fakeOps{method: "POST", registerErr: eperm},
			want:    []string{"register"},
			wantReg: &libzl.Registration{Policy: DefaultPolicy()},
			wantErr: "zlcgi: register the CGI program: zlr register: not permitted",
		},
		{
			name: "restarted",
			ops:  fakeOps{method: "POST", restarted: true},
			want: []string{"ready", "serve"},
		},
		{
			name:    "restarted, ready fails",
			ops:     fakeOps{method: "POST", restarted: true, readyErr: errors.New("zlr: close inherited descriptor 5: bad file descriptor")},
			want:    []string{"ready", "serve"},
			wantLog: "zlcgi: zlr: close inherited descriptor 5: bad file descriptor\n",
		},
		{
			name:    "serving fails",
			ops:     fakeOps{method: "POST", serveErr: errors.New("write /dev/stdout: broken pipe")},
			want:    []string{"register", "commit", "serve"},
			wantReg: &libzl.Registration{Policy: DefaultPolicy()},
			wantErr: "zlcgi: serve the request: write /dev/stdout: broken pipe",
		},
		{
			name:    "not CGI",
			ops:     fakeOps{},
			want:    nil,
			wantErr: "zlcgi: not run as a CGI program: no REQUEST_METHOD in the environment",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logged strings.Builder
			tt.cfg.ErrorLog = log.New(&logged, "", 0)
			f := tt.ops
			err := f.runner().run(tt.cfg, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
			gotErr := ""
			if err != nil {
				gotErr = err.Error()
			}
			if gotErr != tt.wantErr {
				t.Errorf("run: %q, want %q", gotErr, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, f.calls); diff != "" {
				t.Errorf("calls (-want +got):\n%s", diff)
			}
			if tt.wantReg != nil {
				if diff := cmp.Diff(*tt.wantReg, f.reg); diff != "" {
					t.Errorf("registration (-want +got):\n%s", diff)
				}
			}
			if logged.String() != tt.wantLog {
				t.Errorf("logged %q, want %q", logged.String(), tt.wantLog)
			}
			if f.header != nil {
				if v, ok := f.header["Date"]; !ok || v != nil {
					t.Errorf("the handler's Date header is %q (set: %v), want suppressed", v, ok)
				}
			}
		})
	}
}

func TestDefaultPolicy(t *testing.T) {
	p := DefaultPolicy()
	got := fmt.Sprintf("exit codes %v, restarts %d in %v, min uptime %v, replay limit %d, flags %v, signals %v",
		p.FaultExitCodes, *p.MaxRestarts, *p.Window, *p.MinUptime, *p.ReplayLimit, *p.Flags, p.FaultSignals)
	want := "exit codes [2], restarts 3 in 1m0s, min uptime 0s, replay limit 16777216, flags replay|dedup, signals []"
	if got != want {
		t.Errorf("DefaultPolicy:\n got %s\nwant %s", got, want)
	}
	if p.FaultSignals != nil {
		t.Error("DefaultPolicy changes the fault signals; it should keep the kernel's")
	}
	// Each call returns its own values.
	*p.MaxRestarts = 100
	if q := DefaultPolicy(); *q.MaxRestarts != DefaultMaxRestarts {
		t.Errorf("DefaultPolicy shares its values between calls")
	}
}
