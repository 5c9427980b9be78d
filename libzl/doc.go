// Package libzl drives the kernel's zero-loss restart (zlr) facility over
// generic netlink.
//
// A process registered as a service with zlr is restarted in place by the
// kernel when it takes a transient fault: it keeps its PID, its parent and
// its I/O channels. A Policy says which faults count, how many restarts are
// allowed within a sliding window, and whether input is replayed and output
// de-duplicated.
//
// With FlagReplay, the kernel keeps a replay log of each stream a service
// reads, connected TCP and UNIX stream sockets and pipes and FIFOs: the
// bytes read since the stream's last request boundary. After a restart, the
// new incarnation reads them again before live data; with FlagDedup, its
// first writes are dropped up to what the previous incarnation had written
// since the boundary, so that a half-sent response is completed, not
// repeated. A read that follows a write on the stream is a boundary, which
// fits request/response protocols on sockets; Commit marks one explicitly,
// for other protocols and for pipes, which a service rarely both reads and
// writes. The logs of a
// service share its policy's ReplayLimit: a stream that would take more
// loses its guarantee until its next boundary, and an EventReplayOverflow
// says so. Service.Replay holds a service's replay counters, Client.Stats
// those of the whole kernel.
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
// ready again, was given up on (and why), exited, or lost the replay
// guarantee of a stream (and why). Event times are on
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
