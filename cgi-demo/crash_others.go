//go:build !linux

package main

import "fmt"

// crash crashes the process with a fault of the given kind and does not
// return. Only Linux restarts services in place: elsewhere every kind
// panics in a new goroutine, and the runtime exits with status 2.
func crash(kind faultKind) {
	go func() { panic(fmt.Sprintf("fault injection: %v", kind)) }()
	select {}
}
