package results

import (
	"fmt"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// clockPoll is how often WaitFineClock looks at the clock's resolution.
const clockPoll = 10 * time.Millisecond

// WaitFineClock waits, up to timeout, until the kernel's clocks have a fine
// resolution (a microsecond or better), and reports how long it waited on
// standard error. In the emulated VM the kernel sometimes starts on the tick
// (4 ms at HZ=250) and moves to the TSC only when its delayed calibration
// has run; timings taken before then are worthless.
func WaitFineClock(timeout time.Duration) error {
	start := time.Now()
	for {
		var res unix.Timespec
		if err := unix.ClockGetres(unix.CLOCK_BOOTTIME, &res); err != nil {
			return fmt.Errorf("clock resolution: %w", err)
		}
		if res.Nano() <= int64(time.Microsecond) {
			if waited := time.Since(start); waited > clockPoll {
				fmt.Fprintf(os.Stderr, "waited %v for a fine clock\n", waited.Round(time.Millisecond))
			}
			return nil
		}
		if time.Since(start) > timeout {
			return fmt.Errorf("the clock's resolution is still %v after %v", time.Duration(res.Nano()), timeout)
		}
		time.Sleep(clockPoll) // polls a condition the kernel changes without telling
	}
}
