//go:build linux

package fault

import (
	"fmt"
	"os"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Crash crashes the process with a fault of the given kind, as the kernel
// sees a real one, and does not return. kind must not be KindMix.
//
// A Go program does not die of SIGSEGV or SIGABRT: the runtime's handler
// turns them into a crash report and exit status 2. So segv and abort first
// set the signal's disposition back to SIG_DFL with a raw rt_sigaction (the
// os/signal package cannot), then send the signal to the calling thread: the
// process dies by the signal, as a C server would. A panic in a handler
// would not crash the server either, since net/http recovers it; panic
// panics in a new goroutine, and the runtime exits with status 2.
func Crash(kind Kind) {
	switch kind {
	case KindSEGV:
		dieBySignal(unix.SIGSEGV)
	case KindAbort:
		dieBySignal(unix.SIGABRT)
	case KindPanic:
		go func() { panic(fmt.Sprintf("fault injection: %v", kind)) }()
		select {}
	}
	fmt.Fprintf(os.Stderr, "fault injection: cannot crash with %v\n", kind)
	os.Exit(3)
}

// dieBySignal kills the process with sig under its default disposition.
func dieBySignal(sig unix.Signal) {
	runtime.LockOSThread()
	// The kernel's struct sigaction (handler, flags, restorer, mask) with
	// every field zero: SIG_DFL, no flags, nothing blocked during it.
	var act [4]uint64
	_, _, errno := unix.RawSyscall6(unix.SYS_RT_SIGACTION, uintptr(sig),
		uintptr(unsafe.Pointer(&act)), 0, unsafe.Sizeof(act[3]), 0, 0)
	if errno != 0 {
		fmt.Fprintf(os.Stderr, "fault injection: rt_sigaction(%v): %v\n", sig, errno)
		os.Exit(3)
	}
	if err := unix.Tgkill(unix.Getpid(), unix.Gettid(), sig); err != nil {
		fmt.Fprintf(os.Stderr, "fault injection: tgkill(%v): %v\n", sig, err)
		os.Exit(3)
	}
	// The signal is delivered on the way back from tgkill; should it be
	// blocked, give it a moment before saying so.
	time.Sleep(5 * time.Second)
	fmt.Fprintf(os.Stderr, "fault injection: %v did not kill the process\n", sig)
	os.Exit(3)
}
