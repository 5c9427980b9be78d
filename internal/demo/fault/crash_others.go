//go:build !linux

package fault

import "fmt"

// Crash crashes the process with a fault of the given kind and does not
// return. Only Linux restarts services in place: elsewhere every kind
// panics in a new goroutine, and the runtime exits with status 2.
func Crash(kind Kind) {
	go func() { panic(fmt.Sprintf("fault injection: %v", kind)) }()
	select {}
}
