package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/sys/unix"

	"github.com/zl-dev/zl/internal/demo"
	"github.com/zl-dev/zl/internal/demo/fault"
)

// chunkSize is the size of the pieces the response is written in.
const chunkSize = 16 << 10

// An orderHandler takes the order of a CGI request.
type orderHandler struct {
	// journal is the path of the order journal; empty means none.
	journal string
	// faults picks the orders that crash the process.
	faults fault.Spec
	log    *log.Logger
	// crash crashes the process and does not return; tests replace it.
	crash func(fault.Kind)
}

// ServeHTTP records the order in the journal unless its key is there
// already, and answers demo.CGIResponse of it, written in pieces.
func (h *orderHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		fail(w, http.StatusMethodNotAllowed, "an order is posted")
		return
	}
	key := r.Header.Get(demo.IdempotencyHeader)
	if err := checkKey(key); err != nil {
		fail(w, http.StatusBadRequest, err.Error())
		return
	}
	kind, point, crash := h.faults.Pick(key)
	inject := func(p fault.Point) {
		if crash && point == p {
			h.log.Printf("fault: order %s kind %v point %v", key, kind, point)
			h.crash(kind)
		}
	}

	inject(fault.BeforeBody)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		fail(w, http.StatusBadRequest, fmt.Sprintf("cannot read the body: %v", err))
		return
	}
	if r.ContentLength > 0 && int64(len(body)) != r.ContentLength {
		// The web server went away in the middle: this is not the order.
		fail(w, http.StatusBadRequest, fmt.Sprintf("the body has %d bytes, not %d", len(body), r.ContentLength))
		return
	}
	if h.journal != "" {
		if _, err := record(h.journal, key, body); err != nil {
			h.log.Print(err)
			fail(w, http.StatusInternalServerError, "cannot record the order")
			return
		}
	}
	inject(fault.AfterBody)

	resp := demo.CGIResponse(key, body)
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(resp)))
	w.WriteHeader(http.StatusOK)
	if crash && point == fault.MidResponse {
		half := len(resp) / 2
		if writeChunks(w, resp[:half]) != nil {
			return
		}
		_ = http.NewResponseController(w).Flush()
		inject(fault.MidResponse)
		resp = resp[half:]
	}
	_ = writeChunks(w, resp)
}

// writeChunks writes b to w in pieces of chunkSize bytes.
func writeChunks(w io.Writer, b []byte) error {
	for len(b) > 0 {
		n := min(chunkSize, len(b))
		if _, err := w.Write(b[:n]); err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

// fail answers an error with the status and msg, on a line.
func fail(w http.ResponseWriter, code int, msg string) {
	msg += "\n"
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(msg)))
	w.WriteHeader(code)
	io.WriteString(w, msg)
}

// checkKey refuses an idempotency key that is missing or has white space,
// which would break the journal's lines.
func checkKey(key string) error {
	if key == "" {
		return fmt.Errorf("the %s header is missing", demo.IdempotencyHeader)
	}
	if strings.IndexFunc(key, unicode.IsSpace) >= 0 {
		return fmt.Errorf("the %s header has white space", demo.IdempotencyHeader)
	}
	return nil
}

// record appends the order's line, demo.JournalLine(key, body), to the
// journal at path, unless a line for key is there already, and reports
// whether it did. It holds an exclusive flock on the journal meanwhile, so
// that concurrent orders with the same key record it once; a process that
// crashes with the lock keeps it until its next incarnation closes the
// inherited journal (zlcgi.Run calls libzl.Ready first).
func record(path, key string, body []byte) (bool, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return false, fmt.Errorf("journal: %w", err)
	}
	defer f.Close()
	if err := flock(f, unix.LOCK_EX); err != nil {
		return false, fmt.Errorf("journal: lock %s: %w", path, err)
	}
	found, err := hasKey(f, key)
	if err != nil {
		return false, fmt.Errorf("journal: read %s: %w", path, err)
	}
	if found {
		return false, nil
	}
	// One write: a reader never sees half a line of a process that did not
	// crash in the middle of it.
	if _, err := f.Write([]byte(demo.JournalLine(key, body))); err != nil {
		return false, fmt.Errorf("journal: %w", err)
	}
	return true, nil
}

// flock applies the lock how to f, waiting for it.
func flock(f *os.File, how int) error {
	for {
		err := unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			return err
		}
	}
}

// hasKey reports whether the journal r has a line for key.
func hasKey(r io.Reader, key string) (bool, error) {
	br := bufio.NewReader(r)
	prefix := key + " "
	for {
		line, err := br.ReadString('\n')
		if strings.HasPrefix(line, prefix) {
			return true, nil
		}
		if err == io.EOF {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
}
