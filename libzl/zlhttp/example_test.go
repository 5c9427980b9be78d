package zlhttp_test

import (
	"io"
	"log"
	"net/http"

	"github.com/zl-dev/zl/libzl/zlhttp"
)

// A zero-loss HTTP server: run it under `zlctl run --fault-exit-codes 2 --
// ./server`, and a crash no longer loses the requests in flight.
func ExampleListenAndServe() {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /hello", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello\n")
	})
	srv := &http.Server{Addr: ":8080", Handler: mux}
	log.Fatal(zlhttp.ListenAndServe(srv))
}

// Listen and Serve separately, to do something once the listener is there,
// such as dropping privileges or telling a supervisor.
func ExampleServe() {
	l, err := zlhttp.Listen("tcp", ":8080")
	if l == nil {
		log.Fatal(err)
	}
	if err != nil {
		// Some connections of the previous incarnation could not be
		// adopted; serve the others.
		log.Print(err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir("/srv/www"))}
	log.Fatal(zlhttp.Serve(srv, l))
}

// Handler alone, for a server that manages its listeners and readiness
// itself.
func ExampleHandler() {
	h := zlhttp.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "the same bytes in every incarnation\n")
	}))
	http.Handle("/", h)
}
