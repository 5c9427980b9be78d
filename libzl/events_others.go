//go:build !linux

package libzl

import "time"

// A monitor is the stand-in for the Linux implementation: zlr exists only
// in Linux, so every operation returns ErrNotSupported.
type monitor struct{}

func newMonitor() (*monitor, error)          { return nil, ErrNotSupported }
func (*monitor) next() (*Event, error)       { return nil, ErrNotSupported }
func (*monitor) setDeadline(time.Time) error { return ErrNotSupported }
func (*monitor) Close() error                { return ErrNotSupported }
func sinceBoot() (time.Duration, error)      { return 0, ErrNotSupported }
