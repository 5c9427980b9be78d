package output

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/zl-dev/zl/libzl"
)

// ServiceJSON is the pinned JSON form of a service.
type ServiceJSON struct {
	ID           uint32     `json:"id"`
	PID          int        `json:"pid"`
	Name         string     `json:"name"`
	Exe          string     `json:"exe"`
	UID          uint32     `json:"uid"`
	Incarnation  uint32     `json:"incarnation"`
	Faults       uint64     `json:"faults"`
	Restarts     uint64     `json:"restarts"`
	GiveUps      uint64     `json:"giveups"`
	RegisteredNS int64      `json:"registered_ns"`
	LastFault    *FaultJSON `json:"last_fault"`   // null until a fault
	Retained     int        `json:"retained"`     // 0 before a restart
	RetainedFDs  []int      `json:"retained_fds"` // never null; the first 1024
	Replay       ReplayJSON `json:"replay"`
	Policy       PolicyJSON `json:"policy"`
}

// ReplayJSON is the pinned JSON form of a service's replay counters.
type ReplayJSON struct {
	Held      uint64 `json:"held"`      // bytes the replay logs hold now
	Streams   uint64 `json:"streams"`   // streams logged now
	Replays   uint64 `json:"replays"`   // streams replayed after restarts
	Bytes     uint64 `json:"bytes"`     // bytes replayed after restarts
	Overflows uint64 `json:"overflows"` // times a stream lost its guarantee
}

// FaultJSON is the pinned JSON form of a fault.
type FaultJSON struct {
	Signal   string `json:"signal"` // "SIGSEGV", or "" for an exit status
	ExitCode int    `json:"exit_code"`
	Code     int32  `json:"code"`
	Addr     uint64 `json:"addr"`
	IP       uint64 `json:"ip"`
	TimeNS   int64  `json:"time_ns"`
}

// PolicyJSON is the pinned JSON form of a policy. Lists are never null.
type PolicyJSON struct {
	FaultSignals   []string `json:"fault_signals"`
	FaultExitCodes []int    `json:"fault_exit_codes"`
	MaxRestarts    uint32   `json:"max_restarts"`
	WindowMS       int64    `json:"window_ms"`
	BackoffMS      int64    `json:"backoff_ms"`
	MinUptimeMS    int64    `json:"min_uptime_ms"`
	ReplayLimit    uint32   `json:"replay_limit"`
	Flags          []string `json:"flags"`
}

// NewServiceJSON returns the JSON form of s.
func NewServiceJSON(s *libzl.Service) ServiceJSON {
	return ServiceJSON{
		ID:           s.ID,
		PID:          s.PID,
		Name:         s.Name,
		Exe:          s.Exe,
		UID:          s.UID,
		Incarnation:  s.Incarnation,
		Faults:       s.Faults,
		Restarts:     s.Restarts,
		GiveUps:      s.GiveUps,
		RegisteredNS: s.Registered.Nanoseconds(),
		LastFault:    NewFaultJSON(s.LastFault),
		Retained:     s.Retained,
		RetainedFDs:  append([]int{}, s.RetainedFDs...),
		Replay: ReplayJSON{
			Held:      s.Replay.Held,
			Streams:   s.Replay.Streams,
			Replays:   s.Replay.Replays,
			Bytes:     s.Replay.Bytes,
			Overflows: s.Replay.Overflows,
		},
		Policy: NewPolicyJSON(s.Policy),
	}
}

// NewFaultJSON returns the JSON form of f, nil when f is.
func NewFaultJSON(f *libzl.Fault) *FaultJSON {
	if f == nil {
		return nil
	}
	var sig string
	if f.Signal != 0 {
		sig = SignalName(f.Signal, false)
	}
	return &FaultJSON{
		Signal:   sig,
		ExitCode: f.ExitCode,
		Code:     f.Code,
		Addr:     f.Addr,
		IP:       f.IP,
		TimeNS:   f.Time.Nanoseconds(),
	}
}

// NewPolicyJSON returns the JSON form of p.
func NewPolicyJSON(p libzl.Policy) PolicyJSON {
	codes := make([]int, len(p.FaultExitCodes))
	for i, c := range p.FaultExitCodes {
		codes[i] = int(c)
	}
	return PolicyJSON{
		FaultSignals:   SignalNames(p.FaultSignals, false),
		FaultExitCodes: codes,
		MaxRestarts:    p.MaxRestarts,
		WindowMS:       p.Window.Milliseconds(),
		BackoffMS:      p.Backoff.Milliseconds(),
		MinUptimeMS:    p.MinUptime.Milliseconds(),
		ReplayLimit:    p.ReplayLimit,
		Flags:          p.Flags.Names(),
	}
}

// WriteJSON writes v as indented JSON.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// A Clock gives the time since boot, to show ages; nil or failing means
// ages are left out.
type Clock func() (time.Duration, error)

func (c Clock) now() (time.Duration, bool) {
	if c == nil {
		return 0, false
	}
	d, err := c()
	return d, err == nil
}

// WriteService writes s as "key: value" lines, its policy included.
func WriteService(w io.Writer, s *libzl.Service, clock Clock) error {
	registered := fmt.Sprintf("%s after boot", Duration(s.Registered.Truncate(time.Second)))
	if now, ok := clock.now(); ok {
		registered = fmt.Sprintf("%s ago (%s)", Age(s.Registered, now), registered)
	}
	rows := [][2]string{
		{"id", fmt.Sprint(s.ID)},
		{"pid", fmt.Sprint(s.PID)},
		{"name", orDash(s.Name)},
		{"exe", orDash(s.Exe)},
		{"uid", fmt.Sprint(s.UID)},
		{"incarnation", fmt.Sprint(s.Incarnation)},
		{"restarts", fmt.Sprint(s.Restarts)},
		{"faults", fmt.Sprint(s.Faults)},
		{"giveups", fmt.Sprint(s.GiveUps)},
		{"registered", registered},
		{"last fault", Fault(s.LastFault, clock)},
		{"retained", Retained(s)},
		{"retained fds", RetainedFDs(s)},
		{"replay held", Bytes(s.Replay.Held)},
		{"replay streams", fmt.Sprint(s.Replay.Streams)},
		{"replays", fmt.Sprint(s.Replay.Replays)},
		{"replayed bytes", Bytes(s.Replay.Bytes)},
		{"replay overflows", fmt.Sprint(s.Replay.Overflows)},
	}
	return writeKeyValues(w, append(rows, policyRows(s.Policy)...))
}

// Fault describes f for people, with how long ago it happened when clock
// gives the time (otherwise when, after boot): "SIGSEGV (code 1) at 0x0,
// ip 0x401136, 3s ago", "exit status 2, 1m ago", or "none" when f is nil.
// The address appears only for the signals that report one.
func Fault(f *libzl.Fault, clock Clock) string {
	if f == nil {
		return "none"
	}
	var b strings.Builder
	if f.Signal == 0 {
		fmt.Fprintf(&b, "exit status %d", f.ExitCode)
	} else {
		fmt.Fprintf(&b, "%s (code %d)", SignalName(f.Signal, false), f.Code)
		if hasFaultAddr(f.Signal) {
			fmt.Fprintf(&b, " at %#x", f.Addr)
		}
		fmt.Fprintf(&b, ", ip %#x", f.IP)
	}
	if now, ok := clock.now(); ok {
		fmt.Fprintf(&b, ", %s ago", Age(f.Time, now))
	} else {
		fmt.Fprintf(&b, ", %s after boot", Duration(f.Time.Truncate(time.Second)))
	}
	return b.String()
}

// ShortFault names f in a few characters: its signal ("SIGSEGV"), "exit
// 2" for an exit status, or "-" when f is nil.
func ShortFault(f *libzl.Fault) string {
	switch {
	case f == nil:
		return "-"
	case f.Signal == 0:
		return fmt.Sprintf("exit %d", f.ExitCode)
	default:
		return SignalName(f.Signal, false)
	}
}

// Retained returns the number of descriptors the last restart of s kept,
// or "-" before any restart.
func Retained(s *libzl.Service) string {
	if s.Incarnation == 0 {
		return "-"
	}
	return fmt.Sprint(s.Retained)
}

// RetainedFDs returns the descriptors the last restart of s kept, as
// ranges ("0-2,5,7"), "none", or "-" before any restart. When the kernel
// listed only the first of them, it says so.
func RetainedFDs(s *libzl.Service) string {
	switch {
	case s.Incarnation == 0:
		return "-"
	case len(s.RetainedFDs) == 0:
		return "none"
	case s.Retained > len(s.RetainedFDs):
		return fmt.Sprintf("%s (the first %d of %d)", Ranges(s.RetainedFDs), len(s.RetainedFDs), s.Retained)
	default:
		return Ranges(s.RetainedFDs)
	}
}

// Ranges returns ascending numbers with the runs of consecutive ones
// compressed, as the kernel writes CPU lists: "0-2,5,7"; "" for none.
func Ranges(ns []int) string {
	var b strings.Builder
	for i := 0; i < len(ns); {
		j := i
		for j+1 < len(ns) && ns[j+1] == ns[j]+1 {
			j++
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		if j == i {
			fmt.Fprint(&b, ns[i])
		} else {
			fmt.Fprintf(&b, "%d-%d", ns[i], ns[j])
		}
		i = j + 1
	}
	return b.String()
}

// hasFaultAddr reports whether sig reports the address of the fault in
// si_addr (see sigaction(2)).
func hasFaultAddr(sig syscall.Signal) bool {
	switch sig {
	case syscall.SIGILL, syscall.SIGFPE, syscall.SIGSEGV, syscall.SIGBUS, syscall.SIGTRAP:
		return true
	default:
		return false
	}
}

// WritePolicy writes p as "key: value" lines.
func WritePolicy(w io.Writer, p libzl.Policy) error {
	return writeKeyValues(w, policyRows(p))
}

func policyRows(p libzl.Policy) [][2]string {
	return [][2]string{
		{"fault signals", orNone(strings.Join(SignalNames(p.FaultSignals, false), " "))},
		{"fault exit codes", orNone(strings.Join(strings.Split(ExitCodes(p.FaultExitCodes), ","), " "))},
		{"max restarts", fmt.Sprint(p.MaxRestarts)},
		{"window", Duration(p.Window)},
		{"backoff", Duration(p.Backoff)},
		{"min uptime", Duration(p.MinUptime)},
		{"replay limit", Bytes(uint64(p.ReplayLimit))},
		{"flags", orNone(strings.Join(p.Flags.Names(), " "))},
	}
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func writeKeyValues(w io.Writer, rows [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for _, r := range rows {
		fmt.Fprintf(tw, "%s:\t%s\n", r[0], r[1])
	}
	return tw.Flush()
}

// serviceColumns are the columns of a service list.
var serviceColumns = []string{
	"ID", "PID", "NAME", "UID", "INC", "RESTARTS", "FAULTS", "GIVEUPS", "LAST FAULT", "KEPT",
	"SIGNALS", "EXIT CODES", "MAX/WINDOW", "FLAGS", "AGE",
}

func serviceRow(s *libzl.Service, now time.Duration, haveNow bool) []string {
	age := "-"
	if haveNow {
		age = Age(s.Registered, now)
	}
	return []string{
		fmt.Sprint(s.ID),
		fmt.Sprint(s.PID),
		orDash(s.Name),
		fmt.Sprint(s.UID),
		fmt.Sprint(s.Incarnation),
		fmt.Sprint(s.Restarts),
		fmt.Sprint(s.Faults),
		fmt.Sprint(s.GiveUps),
		ShortFault(s.LastFault),
		Retained(s),
		orDash(strings.Join(SignalNames(s.Policy.FaultSignals, true), ",")),
		orDash(ExitCodes(s.Policy.FaultExitCodes)),
		fmt.Sprintf("%d/%s", s.Policy.MaxRestarts, Duration(s.Policy.Window)),
		orDash(strings.Join(s.Policy.Flags.Names(), ",")),
		age,
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// WriteServices writes a table of services: with borders for a terminal,
// as plain aligned rows otherwise.
func WriteServices(w io.Writer, svcs []*libzl.Service, clock Clock, terminal bool) error {
	now, haveNow := clock.now()
	rows := make([][]string, 0, len(svcs))
	for _, s := range svcs {
		rows = append(rows, serviceRow(s, now, haveNow))
	}
	if !terminal {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, r := range append([][]string{serviceColumns}, rows...) {
			fmt.Fprintln(tw, strings.Join(r, "\t"))
		}
		return tw.Flush()
	}
	t := tablewriter.NewTable(w,
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithHeaderAlignment(tw.AlignLeft),
		tablewriter.WithRowAlignment(tw.AlignLeft),
	)
	t.Header(serviceColumns)
	if err := t.Bulk(rows); err != nil {
		return err
	}
	return t.Render()
}
