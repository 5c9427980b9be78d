package zlcgi_test

import (
	"io"
	"log"
	"net/http"

	"github.com/zl-dev/zl/libzl/zlcgi"
)

// The main function of a zero-loss CGI program that echoes its request
// body: a crash while it serves restarts it in place, and the web server gets
// one complete response.
func ExampleServe() {
	err := zlcgi.Serve(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "cannot read the body", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Write(body)
	}))
	if err != nil {
		log.Fatal(err)
	}
}

// Register with a name and a stricter budget: one restart a minute.
func ExampleRun() {
	policy := zlcgi.DefaultPolicy()
	one := uint32(1)
	policy.MaxRestarts = &one
	cfg := zlcgi.Config{Name: "checkout", Policy: &policy}
	if err := zlcgi.Run(cfg, http.DefaultServeMux); err != nil {
		log.Fatal(err)
	}
}
