package main

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/zl-dev/zl/internal/demo"
	"github.com/zl-dev/zl/internal/demo/fault"
)

// A crashed is what the tests' crash function panics with.
type crashed struct{ kind fault.Kind }

func testHandler(t *testing.T, faults fault.Spec) *orderHandler {
	t.Helper()
	return &orderHandler{
		journal: filepath.Join(t.TempDir(), "journal"),
		faults:  faults,
		log:     log.New(io.Discard, "", 0),
		crash:   func(k fault.Kind) { panic(crashed{k}) },
	}
}

// post serves an order with h and returns the recorder, and the crash if
// the handler crashed.
func post(h http.Handler, key string, body []byte) (rec *httptest.ResponseRecorder, c *crashed) {
	req := httptest.NewRequest("POST", "/cgi-bin/order", bytes.NewReader(body))
	if key != "" {
		req.Header.Set(demo.IdempotencyHeader, key)
	}
	rec = httptest.NewRecorder()
	defer func() {
		if r, ok := recover().(crashed); ok {
			c = &r
		}
	}()
	h.ServeHTTP(rec, req)
	return rec, nil
}

func readJournal(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(b)
}

func TestOrder(t *testing.T) {
	h := testHandler(t, fault.Spec{})
	a := demo.Bytes(1, 1<<20+5)
	b := demo.Bytes(2, 10)
	orders := []struct {
		key  string
		body []byte
	}{
		{"k-1", a},
		{"k-2", b},
		{"k-1", a},
		// A retry with another body is still the first order.
		{"k-1", b},
		{"k", nil},
	}
	for _, o := range orders {
		rec, c := post(h, o.key, o.body)
		if c != nil {
			t.Fatalf("order %s crashed", o.key)
		}
		want := demo.CGIResponse(o.key, o.body)
		if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), want) {
			t.Errorf("order %s: %d, %d bytes; want 200, %d bytes", o.key, rec.Code, rec.Body.Len(), len(want))
		}
		hd := rec.Result().Header
		if hd.Get("Content-Type") != "application/octet-stream" || hd.Get("Content-Length") != strconv.Itoa(len(want)) {
			t.Errorf("order %s: header %v", o.key, hd)
		}
	}
	want := demo.JournalLine("k-1", a) + demo.JournalLine("k-2", b) + demo.JournalLine("k", nil)
	if got := readJournal(t, h.journal); got != want {
		t.Errorf("journal:\n%s\nwant:\n%s", got, want)
	}
}

func TestOrderRefused(t *testing.T) {
	h := testHandler(t, fault.Spec{})
	tests := []struct {
		name     string
		req      *http.Request
		wantCode int
		wantBody string
	}{
		{
			name:     "no key",
			req:      httptest.NewRequest("POST", "/", strings.NewReader("x")),
			wantCode: http.StatusBadRequest,
			wantBody: "the Idempotency-Key header is missing\n",
		},
		{
			name: "key with a space",
			req: func() *http.Request {
				r := httptest.NewRequest("POST", "/", strings.NewReader("x"))
				r.Header.Set(demo.IdempotencyHeader, "k 1")
				return r
			}(),
			wantCode: http.StatusBadRequest,
			wantBody: "the Idempotency-Key header has white space\n",
		},
		{
			name: "two keys",
			req: func() *http.Request {
				r := httptest.NewRequest("POST", "/", strings.NewReader("x"))
				// As net/http/cgi joins them into HTTP_IDEMPOTENCY_KEY.
				r.Header.Set(demo.IdempotencyHeader, "k-1, k-2")
				return r
			}(),
			wantCode: http.StatusBadRequest,
			wantBody: "the Idempotency-Key header has white space\n",
		},
		{
			name: "truncated body",
			req: func() *http.Request {
				r := httptest.NewRequest("POST", "/", strings.NewReader("short"))
				r.Header.Set(demo.IdempotencyHeader, "k-1")
				r.ContentLength = 100
				return r
			}(),
			wantCode: http.StatusBadRequest,
			wantBody: "the body has 5 bytes, not 100\n",
		},
		{
			name:     "GET",
			req:      httptest.NewRequest("GET", "/", nil),
			wantCode: http.StatusMethodNotAllowed,
			wantBody: "an order is posted\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tt.req)
			if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
				t.Errorf("%d %q, want %d %q", rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
			}
		})
	}
	if got := readJournal(t, h.journal); got != "" {
		t.Errorf("refused orders were journaled:\n%s", got)
	}
}

func TestOrderJournalError(t *testing.T) {
	h := testHandler(t, fault.Spec{})
	h.journal = filepath.Join(t.TempDir(), "no-such-dir", "journal")
	rec, _ := post(h, "k-1", []byte("x"))
	if rec.Code != http.StatusInternalServerError {
		t.Errorf("order with an unwritable journal: %d, want 500", rec.Code)
	}
}

func TestOrderConcurrent(t *testing.T) {
	h := testHandler(t, fault.Spec{})
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			key := fmt.Sprintf("k-%d", i%2)
			if rec, _ := post(h, key, []byte(key)); rec.Code != http.StatusOK {
				t.Errorf("order %d: %d", i, rec.Code)
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(readJournal(t, h.journal), "\n"), "\n")
	if len(lines) != 2 {
		t.Errorf("16 orders with 2 keys made %d journal lines: %q", len(lines), lines)
	}
}

func TestOrderFaults(t *testing.T) {
	body := demo.Bytes(3, 100000)
	resp := demo.CGIResponse("k-1", body)
	tests := []struct {
		point       fault.Point
		wantJournal bool
		wantWritten int
		wantFlushed bool
	}{
		{fault.BeforeBody, false, 0, false},
		{fault.AfterBody, true, 0, false},
		{fault.MidResponse, true, len(resp) / 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.point.String(), func(t *testing.T) {
			h := testHandler(t, fault.Spec{Every: 1, Kind: fault.KindAbort, Point: tt.point})
			rec, c := post(h, "k-1", body)
			if c == nil || c.kind != fault.KindAbort {
				t.Fatalf("crash %v, want abort", c)
			}
			if got := readJournal(t, h.journal) != ""; got != tt.wantJournal {
				t.Errorf("journaled: %v, want %v", got, tt.wantJournal)
			}
			if rec.Body.Len() != tt.wantWritten || rec.Flushed != tt.wantFlushed ||
				!bytes.Equal(rec.Body.Bytes(), resp[:rec.Body.Len()]) {
				t.Errorf("wrote %d bytes, flushed %v; want the first %d, %v",
					rec.Body.Len(), rec.Flushed, tt.wantWritten, tt.wantFlushed)
			}
			// The next incarnation, without faults, completes the order
			// and journals it once.
			h.faults = fault.Spec{}
			rec, c = post(h, "k-1", body)
			if c != nil || !bytes.Equal(rec.Body.Bytes(), resp) {
				t.Errorf("the order after the crash: crash %v, %d bytes", c, rec.Body.Len())
			}
			if got, want := readJournal(t, h.journal), demo.JournalLine("k-1", body); got != want {
				t.Errorf("journal %q, want %q", got, want)
			}
		})
	}
}
