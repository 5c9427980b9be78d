//go:build e2e

package e2e

import (
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var defaultSignals = []string{"SIGILL", "SIGABRT", "SIGBUS", "SIGFPE", "SIGSEGV", "SIGSYS"}

func TestZlctlLifecycle(t *testing.T) {
	proc := startSleeper(t, 0)
	pid := proc.Process.Pid

	var s serviceJSON
	decode(t, mustZlctl(t, "register", "--pid", pidArg(proc), "--name", "web",
		"--max-restarts", "3", "--window", "10s", "-o", "json"), &s)
	if s.ID == 0 || s.PID != pid || s.Name != "web" || s.UID != 0 || s.Incarnation != 0 {
		t.Fatalf("register: got %+v", s)
	}
	if s.Policy.MaxRestarts != 3 || s.Policy.WindowMS != 10000 {
		t.Errorf("register: budget %d in %d ms, want 3 in 10000", s.Policy.MaxRestarts, s.Policy.WindowMS)
	}
	// What was not given keeps the kernel's default.
	if diff := cmp.Diff(defaultSignals, s.Policy.FaultSignals); diff != "" {
		t.Errorf("default fault signals (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"replay", "dedup"}, s.Policy.Flags); diff != "" {
		t.Errorf("default flags (-want +got):\n%s", diff)
	}
	if len(s.Policy.FaultExitCodes) != 0 || s.Policy.ReplayLimit != 16<<20 || s.Policy.BackoffMS != 0 {
		t.Errorf("defaults: got %+v", s.Policy)
	}
	id := strconv.FormatUint(uint64(s.ID), 10)

	if got, ok := list(t, 0)[s.ID]; !ok || got.PID != pid || got.Name != "web" {
		t.Fatalf("list -o json: service %d missing or wrong: %+v", s.ID, got)
	}
	// Piped, the list is plain rows: a header and one row per service.
	plain := mustZlctl(t, "list")
	if !regexp.MustCompile(`(?m)^ID\s+PID\s+NAME`).MatchString(plain) ||
		!regexp.MustCompile(`(?m)^`+id+`\s+`+strconv.Itoa(pid)+`\s+web\s`).MatchString(plain) {
		t.Errorf("list: no header or no row for service %s:\n%s", id, plain)
	}

	show := mustZlctl(t, "show", id)
	for _, want := range []string{`(?m)^id:\s+` + id + `$`, `(?m)^pid:\s+` + strconv.Itoa(pid) + `$`,
		`(?m)^name:\s+web$`, `(?m)^max restarts:\s+3$`, `(?m)^window:\s+10s$`} {
		if !regexp.MustCompile(want).MatchString(show) {
			t.Errorf("show %s: no match for %s in:\n%s", id, want, show)
		}
	}
	// The same service, but for the age of the registration, which may have
	// crossed a second between the two calls.
	age := regexp.MustCompile(`(?m)^(registered:\s+)\S+ ago`)
	if byPID := mustZlctl(t, "show", "--pid", pidArg(proc)); age.ReplaceAllString(byPID, "${1}N ago") !=
		age.ReplaceAllString(show, "${1}N ago") {
		t.Errorf("show --pid differs from show ID:\n%s\nvs\n%s", byPID, show)
	}

	// policy set changes what is given and nothing else.
	var p serviceJSON
	decode(t, mustZlctl(t, "policy", "set", "--pid", pidArg(proc), "--fault-exit-codes", "2",
		"--min-uptime", "1s", "--dedup=false", "-o", "json"), &p)
	if diff := cmp.Diff([]int{2}, p.Policy.FaultExitCodes); diff != "" {
		t.Errorf("fault exit codes (-want +got):\n%s", diff)
	}
	if p.Policy.MinUptimeMS != 1000 || p.Policy.MaxRestarts != 3 || p.Policy.WindowMS != 10000 {
		t.Errorf("policy set: got %+v", p.Policy)
	}
	if diff := cmp.Diff([]string{"replay"}, p.Policy.Flags); diff != "" {
		t.Errorf("flags after --dedup=false (-want +got):\n%s", diff)
	}
	policy := mustZlctl(t, "policy", "show", id)
	if !regexp.MustCompile(`(?m)^fault exit codes:\s+2$`).MatchString(policy) ||
		!regexp.MustCompile(`(?m)^min uptime:\s+1s$`).MatchString(policy) {
		t.Errorf("policy show:\n%s", policy)
	}
	decode(t, mustZlctl(t, "policy", "set", id, "--fault-exit-codes", "", "-o", "json"), &p)
	if len(p.Policy.FaultExitCodes) != 0 {
		t.Errorf("--fault-exit-codes \"\" did not clear: %v", p.Policy.FaultExitCodes)
	}

	mustZlctl(t, "unregister", id)
	r := zlctl(t, "show", id)
	if r.code != 1 || r.stderr != "zlctl: no service with id "+id+"\n" {
		t.Errorf("show after unregister: %v", r)
	}
	// The process goes on as an ordinary one.
	if err := proc.Process.Signal(syscall.Signal(0)); err != nil {
		t.Errorf("process gone after unregister: %v", err)
	}
}

func TestZlctlServiceGoneWhenProcessExits(t *testing.T) {
	proc := startSleeper(t, 0)
	var s serviceJSON
	decode(t, mustZlctl(t, "register", "--pid", pidArg(proc), "-o", "json"), &s)
	if s.Name != "sleep" {
		t.Errorf("default name %q, want the process's comm \"sleep\"", s.Name)
	}
	if err := proc.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	waitExited(t, proc)
	if _, ok := list(t, 0)[s.ID]; ok {
		t.Errorf("service %d still listed after its process exited", s.ID)
	}
}

// Each refusal is printed as the kernel worded it, exits 1 (2 for usage errors), and changes
// nothing.
func TestZlctlRefusals(t *testing.T) {
	proc := startSleeper(t, 0)
	pid := pidArg(proc)
	other := startSleeper(t, 0)
	mustZlctl(t, "register", "--pid", pidArg(other))

	tests := []struct {
		name string
		args []string
		code int
		want string // stderr, after "zlctl: "
	}{
		{"no such process", []string{"register", "--pid", "4000000"}, 1, "no process with pid 4000000"},
		{"zero window", []string{"register", "--pid", pid, "--window", "0s"}, 1, "restart window must not be zero"},
		{"window out of range", []string{"register", "--pid", pid, "--window", "48h"}, 1,
			"window-ms 172800000 out of range 1-86400000"},
		{"max restarts out of range", []string{"register", "--pid", pid, "--max-restarts", "20000"}, 1,
			"max-restarts 20000 out of range 0-10000"},
		{"bad signal", []string{"register", "--pid", pid, "--fault-signals", "SEGV,KILL"}, 1,
			"signal 9 cannot be a fault signal (allowed: ILL TRAP ABRT BUS FPE SEGV SYS)"},
		{"resource-limit signal", []string{"register", "--pid", pid, "--fault-signals", "XCPU"}, 1,
			"signal 24 cannot be a fault signal (allowed: ILL TRAP ABRT BUS FPE SEGV SYS)"},
		{"kernel thread", []string{"register", "--pid", "2"}, 1, "pid 2 is a kernel thread"},
		{"init", []string{"register", "--pid", "1"}, 1, "pid 1 is the init process of its namespace"},
		{"not registered", []string{"policy", "set", "--pid", pid, "--max-restarts", "1"}, 1,
			"pid " + pid + " is not registered"},
		{"no such service", []string{"show", "123456"}, 1, "no service with id 123456"},
		{"twice", []string{"register", "--pid", pidArg(other)}, 1, "pid " + pidArg(other) + " is already registered as service"},
		{"missing pid", []string{"register"}, 2, ""},
		{"unparsable duration", []string{"register", "--pid", pid, "--window", "soon"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.name, " ", "_"), func(t *testing.T) {
			r := zlctl(t, tt.args...)
			if r.code != tt.code || r.stdout != "" || !strings.HasPrefix(r.stderr, "zlctl: "+tt.want) {
				t.Errorf("zlctl %v: %v; want exit %d and stderr starting %q", tt.args, r, tt.code, "zlctl: "+tt.want)
			}
			if listedPID(t, proc.Process.Pid) {
				t.Errorf("zlctl %v registered pid %s although it failed", tt.args, pid)
			}
		})
	}
}

// An unprivileged user can manage its own processes but cannot read, change, unregister or
// register another user's, and does not see them listed.
func TestZlctlPermissions(t *testing.T) {
	root := startSleeper(t, 0)
	rootFree := startSleeper(t, 0)
	var s serviceJSON
	decode(t, mustZlctl(t, "register", "--pid", pidArg(root), "-o", "json"), &s)
	id := strconv.FormatUint(uint64(s.ID), 10)
	hint := " (you must own the process or have CAP_SYS_ADMIN)\n"

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"show", id}, "not permitted to read service " + id},
		{[]string{"policy", "set", id, "--max-restarts", "1"}, "not permitted to change service " + id},
		{[]string{"unregister", id}, "not permitted to unregister service " + id},
		{[]string{"register", "--pid", pidArg(rootFree)}, "not permitted to register pid " + pidArg(rootFree)},
	} {
		r := zlctlAs(t, nobody, tt.args...)
		if want := "zlctl: " + tt.want + hint; r.code != 1 || r.stderr != want {
			t.Errorf("as nobody, zlctl %v: %v; want exit 1 and %q", tt.args, r, want)
		}
	}
	if _, ok := list(t, nobody)[s.ID]; ok {
		t.Errorf("nobody sees root's service %s", id)
	}
	if got := list(t, 0)[s.ID]; got.Policy.MaxRestarts != 5 {
		t.Errorf("root's service changed: %+v", got)
	}
	if listedPID(t, rootFree.Process.Pid) {
		t.Errorf("nobody registered root's process")
	}

	// Its own process: everything works.
	mine := startSleeper(t, nobody)
	r := zlctlAs(t, nobody, "register", "--pid", pidArg(mine), "-o", "json")
	if r.code != 0 {
		t.Fatalf("as nobody, register own process: %v", r)
	}
	decode(t, r.stdout, &s)
	if s.UID != nobody {
		t.Errorf("uid %d, want %d", s.UID, nobody)
	}
	if _, ok := list(t, nobody)[s.ID]; !ok {
		t.Errorf("nobody does not see its own service")
	}
	if r := zlctlAs(t, nobody, "unregister", "--pid", pidArg(mine)); r.code != 0 {
		t.Errorf("as nobody, unregister own process: %v", r)
	}
}

func TestZlctlCompletion(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		out := mustZlctl(t, "completion", shell)
		if !strings.Contains(out, "zlctl") {
			t.Errorf("completion %s: no mention of zlctl in %d bytes", shell, len(out))
		}
	}
}
