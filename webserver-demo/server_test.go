package main

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zl-dev/zl/internal/demo"
	"github.com/zl-dev/zl/internal/demo/fault"
	"github.com/zl-dev/zl/libzl/zlhttp"
)

// modeEnv makes the test binary something else than the tests: the server
// ("main", with the arguments of the command line), a CGI program that
// echoes its request ("cgi"), or a process that crashes ("crash-<kind>").
const modeEnv = "ZL_WEBSERVER_DEMO_TEST"

func TestMain(m *testing.M) {
	switch mode := os.Getenv(modeEnv); {
	case mode == "main":
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	case mode == "cgi":
		os.Exit(echoCGI())
	case strings.HasPrefix(mode, "crash-"):
		var kind fault.Kind
		if err := kind.UnmarshalText([]byte(strings.TrimPrefix(mode, "crash-"))); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fault.Crash(kind)
	}
	os.Exit(m.Run())
}

// echoCGI is a CGI program that answers what it got: the variables the
// server sets for the demo's CGI program, the key, and the body's length
// and SHA-256.
func echoCGI() int {
	err := cgi.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		reply(w, http.StatusOK, textType, fmt.Appendf(nil, "journal=%s fault=%s key=%s length=%d/%d sha256=%x\n",
			os.Getenv(journalEnv), os.Getenv(faultEnv), os.Getenv("HTTP_IDEMPOTENCY_KEY"),
			len(body), r.ContentLength, sha256.Sum256(body)))
	}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// testServer serves the demo's endpoints, with static files in a temporary
// directory and the test binary as the CGI program, without faults.
func testServer(t *testing.T) *httptest.Server {
	t.Helper()
	dir := t.TempDir()
	static := filepath.Join(dir, "static")
	if err := writeStatic(static); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(static, "subdir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "secret"), []byte("secret"), 0o644); err != nil {
		t.Fatal(err)
	}
	root, err := os.OpenRoot(static)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { root.Close() })
	logger := log.New(io.Discard, "", 0)
	opts := options{cgi: os.Args[0], journal: "orders", cgiFault: "every=7"}
	h, err := cgiHandler(opts, io.Discard, logger)
	if err != nil {
		t.Fatal(err)
	}
	h.Env = append(h.Env, modeEnv+"=cgi")
	s := &server{root: root, cgi: h, log: logger}
	srv := httptest.NewServer(zlhttp.Handler(s.handler(newInjector(fault.Spec{}, 0, logger))))
	t.Cleanup(srv.Close)
	return srv
}

// response is what a request got.
type response struct {
	code   int
	header http.Header
	body   []byte
}

func do(t *testing.T, method, url string, body []byte, header ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// check checks a response's status, Content-Type and body, and that it has
// no header that could differ between incarnations.
func (r response) check(t *testing.T, what string, code int, ctype string, body []byte) {
	t.Helper()
	if r.code != code || r.header.Get("Content-Type") != ctype {
		t.Errorf("%s: %d %q, want %d %q", what, r.code, r.header.Get("Content-Type"), code, ctype)
	}
	if !bytes.Equal(r.body, body) {
		if len(r.body) < 200 && len(body) < 200 {
			t.Errorf("%s: body %q, want %q", what, r.body, body)
		} else {
			t.Errorf("%s: the body differs (%d bytes, want %d)", what, len(r.body), len(body))
		}
	}
	for _, h := range []string{"Date", "Last-Modified", "Etag"} {
		if v := r.header.Get(h); v != "" {
			t.Errorf("%s: header %s: %s", what, h, v)
		}
	}
	if code == http.StatusOK && r.header.Get("Content-Length") != fmt.Sprint(len(body)) {
		t.Errorf("%s: Content-Length %q, want %d", what, r.header.Get("Content-Length"), len(body))
	}
}

func TestEndpoints(t *testing.T) {
	srv := testServer(t)
	u := srv.URL

	do(t, "GET", u+"/healthz", nil).check(t, "healthz", 200, textType, []byte("ok\n"))

	for i := range demo.StaticCount {
		name := demo.StaticName(i)
		do(t, "GET", u+"/static/"+name, nil).check(t, name, 200, binaryType, demo.StaticContent(i))
	}
	for _, name := range []string{"nothing", "subdir", "..%2Fsecret", "%2E%2E", "file-00.bin.tmp"} {
		r := do(t, "GET", u+"/static/"+name, nil)
		if r.code != http.StatusNotFound {
			t.Errorf("GET /static/%s: %d, want 404", name, r.code)
		}
	}

	for _, size := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 1, 100000, demo.MaxDynamicSize} {
		seed := uint64(size)*7 + 3
		r := do(t, "GET", fmt.Sprintf("%s/dyn?seed=%d&size=%d", u, seed, size), nil)
		r.check(t, fmt.Sprintf("dyn size %d", size), 200, binaryType, demo.Dynamic(seed, size))
	}
	for _, q := range []string{"", "seed=1", "size=1", "seed=x&size=1", "seed=1&size=-1",
		fmt.Sprintf("seed=1&size=%d", demo.MaxDynamicSize+1), "seed=-1&size=1"} {
		r := do(t, "GET", u+"/dyn?"+q, nil)
		if r.code != http.StatusBadRequest || r.header.Get("Content-Type") != textType {
			t.Errorf("GET /dyn?%s: %d %q, want 400", q, r.code, r.header.Get("Content-Type"))
		}
	}

	for _, n := range []int{0, 1, 1 << 20} {
		body := demo.Bytes(uint64(n), n)
		want := fmt.Sprintf("length: %d\nsha256: %x\n", n, sha256.Sum256(body))
		do(t, "POST", u+"/sum", body).check(t, fmt.Sprintf("sum of %d bytes", n), 200, textType, []byte(want))
	}

	for _, target := range []string{"/", "/nothing", "/static/", "/cgi-bin/other"} {
		if r := do(t, "GET", u+target, nil); r.code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", target, r.code)
		}
	}
	for _, mt := range []string{"POST /dyn", "GET /sum", "GET /cgi-bin/order", "POST /static/file-00.bin"} {
		method, target, _ := strings.Cut(mt, " ")
		if r := do(t, method, u+target, nil); r.code != http.StatusMethodNotAllowed {
			t.Errorf("%s: %d, want 405", mt, r.code)
		}
	}
}

func TestOrder(t *testing.T) {
	srv := testServer(t)
	journal, err := filepath.Abs("orders")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{0, 5, 1<<20 + 3} {
		body := demo.Bytes(uint64(n), n)
		r := do(t, "POST", srv.URL+"/cgi-bin/order", body, demo.IdempotencyHeader, "k-1")
		want := fmt.Sprintf("journal=%s fault=every=7 key=k-1 length=%d/%d sha256=%x\n", journal, n, n, sha256.Sum256(body))
		r.check(t, fmt.Sprintf("order of %d bytes", n), 200, textType, []byte(want))
	}

	// A chunked body reaches the program with its length.
	body := demo.Bytes(1, 70000)
	req, err := http.NewRequest("POST", srv.URL+"/cgi-bin/order", io.MultiReader(bytes.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(demo.IdempotencyHeader, "k-2")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("journal=%s fault=every=7 key=k-2 length=70000/70000 sha256=%x\n", journal, sha256.Sum256(body))
	if string(got) != want {
		t.Errorf("chunked order: %q, want %q", got, want)
	}
}
