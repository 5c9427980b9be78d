//go:build !linux

package libzl

import (
	"net"
	"os"
)

// An inheritance is the stand-in for the Linux implementation: only Linux
// restarts services in place, so a process never inherits anything.
type inheritance struct{}

func inheritedFDs() []int                                       { return nil }
func newInheritance([]int) *inheritance                         { return &inheritance{} }
func (*inheritance) conns(net.Addr) ([]net.Conn, error)         { return nil, nil }
func (*inheritance) ready() error                               { return nil }
func (*inheritance) file(uint64, uint64, int) (*os.File, error) { return nil, nil }

func (*inheritance) listen(network, address string) (net.Listener, error) {
	return net.Listen(network, address)
}
