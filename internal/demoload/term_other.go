//go:build !linux

package demoload

import "os"

// IsTerminal reports whether f is a terminal; outside Linux it says no,
// and output is plain.
func IsTerminal(f *os.File) bool { return false }
