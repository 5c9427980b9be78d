// Package libzl drives the kernel's zero-loss restart (zlr) facility over
// generic netlink.
//
// A process registered as a service with zlr is restarted in place by the
// kernel when it takes a transient fault: it keeps its PID, its parent and
// its I/O channels. A Policy says which faults count and how many restarts
// are allowed within a sliding window. (Its replay settings are kept for the
// replay of unanswered input, which the kernel does not do yet.)
//
// Open a Client with Dial, then Register, inspect (Service, Services),
// change the policy (SetPolicy) and Unregister services. Services are chosen
// with a Selector, by id, by pid or both. A Service reports the executable
// it is restarted from, its last Fault and the descriptors its last restart
// kept. Client.Restart restarts a service in place on request (online
// maintenance), optionally into a new executable.
//
// A Monitor (DialMonitor) receives the kernel's events as they happen: a
// service registered, faulted, restarted (with the restart's latency), was
// ready again, was given up on (and why), exited. Event times are on
// CLOCK_BOOTTIME; Event.WallTime and SinceBoot convert them.
//
// A service restarted in place finds its incarnation in its environment:
// Incarnation and Restarted read it, without a Client or kernel support.
//
// A restarted service also finds its sockets, pipes, ttys and regular files
// still open, at their numbers. Listen returns the listening socket left on
// an address instead of failing with EADDRINUSE, Conns and Resume return
// the connections that were open, and Ready closes the rest and reports to
// the kernel that the service serves again. In a process that was not
// restarted they behave as net.Listen and as if nothing was inherited.
//
// The kernel refuses bad requests with a message meant for people, such as
// "no process with pid 99999"; it comes back as an *Error, whose Message
// holds it, and which matches os.ErrPermission, os.ErrNotExist and the
// errno values from golang.org/x/sys/unix with errors.Is. On a kernel without
// zlr, and on systems other than Linux, Dial returns ErrNotSupported.
package libzl
