package libzl

import (
	"fmt"
	"math"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/zl-dev/zl/libzl/internal/zlrnl"
)

// Operation names, as the kernel's spec names the commands; they appear in
// Error.Op.
const (
	opRegister   = "register"
	opUnregister = "unregister"
	opGet        = "get"
	opSetPolicy  = "set-policy"
	opRestart    = "restart"
	opReady      = "ready"
	opCommit     = "commit"
	opStats      = "stats"
)

// MaxNameLen is the longest service name the kernel accepts, in bytes.
const MaxNameLen = zlrnl.ZLR_NAME_LEN - 1

// ErrNotSupported is returned by Dial when the running kernel has no zlr
// generic netlink family (it was built without the zlr patches or without
// CONFIG_ZLR), or on an operating system other than Linux.
//
// errors.Is(ErrNotSupported, os.ErrNotExist) reports true.
var ErrNotSupported error = notSupportedError{}

type notSupportedError struct{}

func (notSupportedError) Error() string {
	return "zlr: not supported: the kernel has no zlr generic netlink family"
}

func (notSupportedError) Is(target error) bool { return target == os.ErrNotExist }

// An Error is a request refused by the kernel, with the reason it gave, or
// refused by the Client before sending because the kernel could not accept
// it (for example a duration that is not a whole number of milliseconds).
//
// Use errors.Is to test it: os.ErrPermission matches EPERM and EACCES,
// os.ErrNotExist matches ESRCH (no such process) and ENOENT (no such
// service), and the errno values of golang.org/x/sys/unix match themselves.
type Error struct {
	// Op is the operation refused: "register", "unregister", "get",
	// "set-policy", "restart", "ready", "commit" or "stats".
	Op string

	// Message is the kernel's explanation (its extended acknowledgement),
	// such as "no process with pid 99999", or the Client's own for requests
	// it refused. It may be empty.
	Message string

	// Err is the underlying error: for kernel refusals usually a
	// *netlink.OpError wrapping a unix.Errno, for the Client's own
	// refusals os.ErrInvalid.
	Err error
}

// Error implements error. It returns the kernel's message when there is one,
// as in "zlr register: no process with pid 99999".
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("zlr")
	if e.Op != "" {
		b.WriteString(" ")
		b.WriteString(e.Op)
	}
	b.WriteString(": ")
	switch {
	case e.Message != "":
		b.WriteString(e.Message)
	case e.Err != nil:
		b.WriteString(errText(e.Err))
	default:
		b.WriteString("unknown error")
	}
	return b.String()
}

// Unwrap returns Err, for errors.Is and errors.As.
func (e *Error) Unwrap() error { return e.Err }

// invalidf returns the Client's own refusal of a request for op.
func invalidf(op, format string, args ...any) error {
	return &Error{Op: op, Message: fmt.Sprintf(format, args...), Err: os.ErrInvalid}
}

// A Client talks to the kernel's zlr generic netlink family. Its methods may
// be called from several goroutines at once, but not concurrently with
// Close.
type Client struct {
	// The operating system-specific client.
	c *client
}

// Dial opens a Client. It returns ErrNotSupported when the kernel has no
// zlr family.
func Dial() (*Client, error) {
	c, err := newClient()
	if err != nil {
		return nil, err
	}
	return &Client{c: c}, nil
}

// Close releases the Client's netlink socket.
func (c *Client) Close() error { return c.c.Close() }

// A Registration describes a process to register as a service.
type Registration struct {
	// PID is the process to register, in the caller's PID namespace; 0
	// means the calling process. Registering another user's process takes
	// the right to ptrace it or CAP_SYS_ADMIN.
	PID int

	// Name is a label for people, at most MaxNameLen bytes; empty means
	// the process's command name.
	Name string

	// Policy holds the policy settings that differ from the kernel's
	// defaults; the fields left nil keep them.
	Policy PolicyConfig
}

// A Selector chooses one service by its ID, by the PID of its process, or
// by both (the kernel then checks they name the same service).
type Selector struct {
	ID  uint32
	PID int
}

// ByID returns a Selector for the service with the given id.
func ByID(id uint32) Selector { return Selector{ID: id} }

// ByPID returns a Selector for the service whose process has the given pid.
func ByPID(pid int) Selector { return Selector{PID: pid} }

// String returns a description of s for messages, such as "service 3" or
// "pid 1234".
func (s Selector) String() string {
	switch {
	case s.ID != 0 && s.PID != 0:
		return fmt.Sprintf("service %d (pid %d)", s.ID, s.PID)
	case s.ID != 0:
		return fmt.Sprintf("service %d", s.ID)
	case s.PID != 0:
		return fmt.Sprintf("pid %d", s.PID)
	default:
		return "no service"
	}
}

// check refuses selectors that cannot be sent.
func (s Selector) check(op string) error {
	if s.ID == 0 && s.PID == 0 {
		return invalidf(op, "a service must be chosen by id or pid")
	}
	return checkPID(op, s.PID)
}

func checkPID(op string, pid int) error {
	if pid < 0 || uint64(pid) > math.MaxUint32 {
		return invalidf(op, "pid %d out of range", pid)
	}
	return nil
}

// A Service is a process registered with zlr, as the kernel reports it.
type Service struct {
	// ID identifies the service while it is registered.
	ID uint32

	// PID is the service's process, in the caller's PID namespace.
	PID int

	// Name is the service's label, at most MaxNameLen bytes.
	Name string

	// UID is the real user id of the process when it was registered, in the
	// caller's user namespace.
	UID uint32

	// Policy is the service's complete restart policy.
	Policy Policy

	// Incarnation counts the restarts in place so far.
	Incarnation uint32

	// Faults counts the faults the kernel intercepted since registration.
	Faults uint64

	// Restarts counts the restarts completed since registration.
	Restarts uint64

	// GiveUps counts the faults let through because the policy forbade a
	// restart.
	GiveUps uint64

	// Registered is the time of registration, as time since boot
	// (CLOCK_BOOTTIME).
	Registered time.Duration

	// Exe is the executable the kernel restarts the service from, as the
	// process named it to execve. The restart image (executable,
	// arguments, environment and working directory) is taken at
	// registration and again each time the service executes a new program.
	// It is empty when the kernel does not report it.
	Exe string

	// LastFault is the last fault the kernel intercepted, or nil when there
	// has been none since registration.
	LastFault *Fault

	// Retained is the number of descriptors the last restart kept open. The
	// kernel reports it only after a restart: before one (Incarnation 0)
	// it is 0.
	Retained int

	// RetainedFDs are the numbers of the descriptors the last restart kept
	// open, in ascending order; the kernel lists at most the first
	// MaxRetainedFDs of them. It is nil before any restart and when the
	// restart kept none.
	RetainedFDs []int

	// Replay holds the service's replay counters. A kernel that does not
	// report them leaves them 0.
	Replay ReplayStats
}

// ReplayStats holds the counters of a service's replay logs: the copies the
// kernel keeps of the input the service read on each of its streams (TCP
// and UNIX stream sockets, pipes) since the stream's last request boundary,
// to serve it again after a restart.
type ReplayStats struct {
	// Held is the number of bytes the service's replay logs hold now, over
	// all its streams; the policy's ReplayLimit bounds it.
	Held uint64

	// Streams is the number of streams whose reads are logged for the
	// service now.
	Streams uint64

	// Replays counts the streams whose log was served again after a
	// restart, since registration.
	Replays uint64

	// Bytes counts the bytes served again from replay logs after restarts,
	// since registration.
	Bytes uint64

	// Overflows counts the times a stream of the service lost its replay
	// guarantee until its next boundary (see EventReplayOverflow), since
	// registration.
	Overflows uint64
}

// Stats holds the state of zlr as a whole, over the services of every
// namespace, as Client.Stats reports it.
type Stats struct {
	// Services is the number of services registered now.
	Services int

	// ReplayHeld is the number of bytes all replay logs hold now.
	ReplayHeld uint64

	// ReplayLimit is the most all replay logs may hold together, in
	// bytes: the kernel.zlr.replay_limit sysctl. A stream whose log would
	// take more loses its replay guarantee until its next boundary, with
	// OverflowGlobalLimit.
	ReplayLimit uint64

	// ReplayStreams is the number of streams whose reads are logged now.
	ReplayStreams uint64

	// Replays counts the streams whose log was served again after a
	// restart, since boot.
	Replays uint64

	// ReplayBytes counts the bytes served again from replay logs, since
	// boot.
	ReplayBytes uint64

	// ReplayOverflows counts the times a stream lost its replay guarantee,
	// since boot.
	ReplayOverflows uint64
}

// MaxRetainedFDs is the most descriptor numbers the kernel lists in
// Service.RetainedFDs; Service.Retained counts them all.
const MaxRetainedFDs = 1024

// A Fault is a fault of a service that the kernel intercepted: a fault
// signal or a fault exit status of its policy.
type Fault struct {
	// Signal is the fault signal, or 0 when the fault was an exit status.
	Signal syscall.Signal

	// ExitCode is the exit status, when Signal is 0.
	ExitCode int

	// Code is the signal's si_code, which says why it was sent, such as
	// SEGV_MAPERR (1) for a SIGSEGV at an unmapped address, or SI_TKILL
	// (-6) for a signal another thread sent.
	Code int32

	// Addr is the signal's si_addr: the address whose access faulted for
	// SIGSEGV and SIGBUS, the faulting instruction for SIGILL and SIGFPE;
	// for other signals it is usually 0.
	Addr uint64

	// IP is the process's instruction pointer at the fault.
	IP uint64

	// Time is when the fault happened, as time since boot (CLOCK_BOOTTIME).
	Time time.Duration
}

// Register registers a process as a service and returns it with its
// complete policy. The kernel restarts the service from its executable,
// arguments, environment and working directory as they are at registration,
// or after the service's next execve: a process can register itself and
// then execute the program to serve.
func (c *Client) Register(r Registration) (*Service, error) {
	if err := checkPID(opRegister, r.PID); err != nil {
		return nil, err
	}
	if len(r.Name) > MaxNameLen {
		return nil, invalidf(opRegister, "name %q is longer than %d bytes", r.Name, MaxNameLen)
	}
	if strings.IndexByte(r.Name, 0) >= 0 {
		return nil, invalidf(opRegister, "name %q contains a NUL byte", r.Name)
	}
	if err := r.Policy.check(opRegister); err != nil {
		return nil, err
	}
	return c.c.register(r)
}

// Unregister forgets a service; its process keeps running as an ordinary
// one.
func (c *Client) Unregister(sel Selector) error {
	if err := sel.check(opUnregister); err != nil {
		return err
	}
	return c.c.unregister(sel)
}

// Service returns the service sel chooses.
func (c *Client) Service(sel Selector) (*Service, error) {
	if err := sel.check(opGet); err != nil {
		return nil, err
	}
	return c.c.service(sel)
}

// Services returns every service the caller may read, in the kernel's order.
func (c *Client) Services() ([]*Service, error) { return c.c.services() }

// Restart restarts the service sel chooses in place, as after a fault, at
// its next return to user space (online maintenance): the kernel wakes one
// of its threads as a signal would, and the process re-executes its restart
// image with the same retention of descriptors. The restart budget, the
// minimum uptime and the backoff do not apply.
//
// When exe is not empty, the service restarts into that executable, which
// then stays its restart image's; the kernel requires an absolute path to a
// regular file, as the caller sees it, and refuses others with a message in
// the *Error. Otherwise the service restarts from its current image, which
// picks up a binary replaced on disk.
//
// Restart returns the service as it is when the request is accepted, before
// the restart: the outcome comes as an EventRestart, or as an EventGiveUp
// when the restart could not run (see Monitor). A request while another is
// pending is refused with EBUSY.
func (c *Client) Restart(sel Selector, exe string) (*Service, error) {
	if err := sel.check(opRestart); err != nil {
		return nil, err
	}
	if strings.IndexByte(exe, 0) >= 0 {
		return nil, invalidf(opRestart, "executable path %q contains a NUL byte", exe)
	}
	return c.c.restart(sel, exe)
}

// Ready reports to the kernel that the calling process, a service, serves
// again after a restart. The first call of each incarnation sends an
// EventReady with the time the restart took up to the call; later calls,
// and calls from a service that was not restarted, send nothing. Ready
// returns the service; a process that is not a service gets an *Error
// matching os.ErrNotExist (ENOENT).
//
// Services usually call the package-level Ready instead, which also closes
// the descriptors they inherited and did not adopt.
func (c *Client) Ready() (*Service, error) { return c.c.ready() }

// Commit marks a request boundary on fd, a descriptor of the calling
// process, which must be a registered service: the kernel empties the
// replay log of the stream (a connected TCP or UNIX stream socket, or a
// pipe or FIFO) open at fd, and forgets what the service wrote on it. After
// a restart, the new incarnation reads the stream from there on, and its
// writes are no longer de-duplicated against the bytes before the commit.
// Commit is the explicit form of the boundary the kernel finds by itself
// on a socket, a read that follows a write; see the package-level Commit
// for when a service needs it.
//
// A process that is not a service gets an *Error matching os.ErrNotExist
// (ENOENT). The kernel refuses what it cannot commit, such as a descriptor
// that is not open, with a message in the *Error; a kernel whose zlr
// predates the command refuses it with EOPNOTSUPP.
func (c *Client) Commit(fd int) error {
	if fd < 0 || uint64(fd) > math.MaxUint32 {
		return invalidf(opCommit, "descriptor %d out of range", fd)
	}
	return c.c.commit(fd)
}

// Stats returns the state of zlr as a whole: the services registered in
// every namespace and the replay logs of all services, against the
// kernel's global limit. A kernel whose zlr predates the command refuses
// it with EOPNOTSUPP.
func (c *Client) Stats() (*Stats, error) { return c.c.stats() }

// SetPolicy changes the policy settings of the service sel chooses that are
// set in p, and returns the service with its complete policy.
func (c *Client) SetPolicy(sel Selector, p PolicyConfig) (*Service, error) {
	if err := sel.check(opSetPolicy); err != nil {
		return nil, err
	}
	if err := p.check(opSetPolicy); err != nil {
		return nil, err
	}
	return c.c.setPolicy(sel, p)
}
