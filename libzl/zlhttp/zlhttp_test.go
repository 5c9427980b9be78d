package zlhttp

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// rawGet sends a GET for path to addr on a new connection and returns the
// response's head as it came on the wire.
func rawGet(t *testing.T, addr, path string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(c, "GET "+path+" HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	var head strings.Builder
	r := bufio.NewReader(c)
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the response head: %v (so far %q)", err, head.String())
		}
		head.WriteString(line)
		if line == "\r\n" {
			return head.String()
		}
	}
}

func hello(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "hello\n")
}

func TestHandlerSuppressesDate(t *testing.T) {
	tests := []struct {
		name     string
		h        http.Handler
		wantDate bool
	}{
		// The control: net/http adds a Date of its own.
		{"plain", http.HandlerFunc(hello), true},
		{"Handler", Handler(http.HandlerFunc(hello)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.h)
			defer srv.Close()
			head := rawGet(t, srv.Listener.Addr().String(), "/")
			if got := strings.Contains(head, "\r\nDate: "); got != tt.wantDate {
				t.Errorf("Date header sent: %v, want %v; head:\n%s", got, tt.wantDate, head)
			}
			if !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") || !strings.Contains(head, "\r\nContent-Type: text/plain\r\n") {
				t.Errorf("response head:\n%s", head)
			}
		})
	}
}

func TestHandlerKeepsOwnDate(t *testing.T) {
	const date = "Sun, 22 Nov 2026 15:19:09 GMT"
	h := Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Date", date)
		hello(w, r)
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	head := rawGet(t, srv.Listener.Addr().String(), "/")
	if !strings.Contains(head, "\r\nDate: "+date+"\r\n") {
		t.Errorf("the handler's own Date is not sent; head:\n%s", head)
	}
}

func TestServe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	srv := &http.Server{
		Handler:  http.HandlerFunc(hello),
		ErrorLog: log.New(&logged, "", 0),
	}
	done := make(chan error, 1)
	go func() { done <- Serve(srv, l) }()

	head := rawGet(t, l.Addr().String(), "/")
	if strings.Contains(head, "\r\nDate: ") {
		t.Errorf("Serve sent a Date header; head:\n%s", head)
	}
	if !strings.HasPrefix(head, "HTTP/1.1 200 OK\r\n") {
		t.Errorf("response head:\n%s", head)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		t.Errorf("Serve returned %v, want %v", err, http.ErrServerClosed)
	}
	if logged.Len() > 0 {
		t.Errorf("Serve logged %q", logged.String())
	}
}

func TestListenAndServeError(t *testing.T) {
	srv := &http.Server{Addr: "127.0.0.1:-1"}
	err := ListenAndServe(srv)
	if err == nil || !strings.HasPrefix(err.Error(), "zlhttp: listen: ") {
		t.Errorf("ListenAndServe(%q) = %v, want a listen error", srv.Addr, err)
	}
}
