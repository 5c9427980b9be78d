package zlcgi_test

import (
	"io"
	"log"
	"net/http"

	"github.com/zl-dev/zl/libzl/zlcgi"
	"github.com/zl-dev/zl/libzl/zlhttp"
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

// A zero-loss web server that runs a CGI program: the programs its crashed
// incarnation had started go on, and the new incarnation finishes their
// requests with them.
func ExampleHost() {
	cgi := &zlcgi.Host{Path: "/srv/cgi-bin/checkout"}
	// Before zlhttp.Serve calls libzl.Ready, which closes the pipes nobody
	// adopted.
	if err := cgi.Resume(); err != nil {
		log.Print(err)
	}
	mux := http.NewServeMux()
	mux.Handle("POST /cgi-bin/checkout", cgi)
	srv := &http.Server{Addr: ":8080", Handler: mux}
	log.Fatal(zlhttp.ListenAndServe(srv))
}
