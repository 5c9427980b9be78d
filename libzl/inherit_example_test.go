package libzl_test

import (
	"fmt"
	"log"
	"net"
	"net/http"

	"github.com/zl-dev/zl/libzl"
)

// A restartable HTTP server. The original process registers itself, to be
// restarted in place when it panics (exit status 2). After a restart, Listen
// finds the listening socket the previous incarnation left, whose backlog
// held the clients that connected meanwhile; Resume serves first the
// connections that were open, such as keep-alive ones between requests; Ready
// closes the rest of what was inherited. The first time, Listen is net.Listen
// and Resume and Ready do nothing.
func Example_restartableServer() {
	if !libzl.Restarted() {
		c, err := libzl.Dial()
		if err != nil {
			log.Fatal(err)
		}
		_, err = c.Register(libzl.Registration{
			Name:   "web",
			Policy: libzl.PolicyConfig{FaultExitCodes: []uint8{2}},
		})
		c.Close()
		if err != nil {
			log.Fatal(err)
		}
	}

	l, err := libzl.Listen("tcp", ":8080")
	if err != nil {
		log.Fatal(err)
	}
	if l, err = libzl.Resume(l); err != nil {
		log.Print(err) // some connections were lost; serve the others
	}
	if err := libzl.Ready(); err != nil {
		log.Print(err)
	}

	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from incarnation %d\n", libzl.Incarnation())
	})
	log.Fatal(http.Serve(l, nil))
}

// Conns returns every connection the previous incarnation left, including
// those it made itself; a service that cannot resume them closes them, and
// tells its accepted clients apart by their local address.
func ExampleConns() {
	l, err := libzl.Listen("tcp", ":7000")
	if err != nil {
		log.Fatal(err)
	}
	conns, err := libzl.Conns()
	if err != nil {
		log.Print(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	for _, c := range conns {
		if a, ok := c.LocalAddr().(*net.TCPAddr); ok && a.Port == port {
			log.Printf("resuming client %v", c.RemoteAddr())
			go serve(c)
			continue
		}
		c.Close()
	}
	if err := libzl.Ready(); err != nil {
		log.Print(err)
	}
	for {
		c, err := l.Accept()
		if err != nil {
			log.Fatal(err)
		}
		go serve(c)
	}
}

// serve speaks the service's protocol on c.
func serve(c net.Conn) { c.Close() }
