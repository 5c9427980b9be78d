//go:build linux

package libzl

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/sys/unix"

	nl "github.com/zl-dev/zl/libzl/internal/zlrnl"
)

// The seed corpus of the fuzz targets is committed under
// testdata/fuzz/FuzzXxx/seed-*, in the format of go test; fuzzSeeds is its
// source. TestFuzzSeedCorpusCurrent fails when the files differ from it;
// after changing the seeds, rewrite them with
//
//	ZL_UPDATE_FUZZ_SEEDS=1 go test -run '^TestFuzzSeedCorpusCurrent$' ./libzl
//
// Inputs that a fuzzing run found and wrote there under other names are
// kept as they are.

// updateSeedsEnv is the environment variable that makes
// TestFuzzSeedCorpusCurrent rewrite the seed files.
const updateSeedsEnv = "ZL_UPDATE_FUZZ_SEEDS"

// seedPrefix starts the names of the seed files this file writes.
const seedPrefix = "seed-"

// A seed is one input of a fuzz target: the values of its arguments.
type seed []any

// fuzzSeeds returns the seeds of each fuzz target, by target and name.
// Valid messages come from the fixtures of the unit tests, written by hand,
// and from the kernel's encoding of their values; the others are malformed
// in one way each.
func fuzzSeeds(t *testing.T) map[string]map[string]seed {
	t.Helper()
	enc := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatalf("encode a seed: %v", err)
		}
		return b
	}
	fds := make([]uint32, MaxRetainedFDs+1)
	for i := range fds {
		fds[i] = uint32(i)
	}
	exitCodes := make([]byte, 256)
	for i := range exitCodes {
		exitCodes[i] = byte(i)
	}
	mask := signalMask(web.Policy.FaultSignals)
	ms := func(d time.Duration) int64 { return int64(d) }

	return map[string]map[string]seed{
		"FuzzParseService": {
			"seed-web":                    {webAttrs},
			"seed-db":                     {dbAttrs},
			"seed-web-encoded":            {enc(encodeService(web))},
			"seed-empty":                  {[]byte{}},
			"seed-unknown-attributes":     {cat(nla(nl.ZLR_A_SERVICE_ID, u32(9)), nla(99, []byte{1, 2, 3}), nla(0, []byte{}), nla(nl.ZLR_A_SERVICE_FD, u32(5)), nest(nl.ZLR_A_SERVICE_POLICY, nla(42, u64(1))), nla(0x3fff, u64(1)))},
			"seed-name-padded":            {nla(nl.ZLR_A_SERVICE_NAME, []byte("db\x00\x00\x00"))},
			"seed-exe-without-nul":        {nla(nl.ZLR_A_SERVICE_EXE, []byte("/usr/bin/web"))},
			"seed-zero-length-attribute":  {cat([]byte{0, 0, nl.ZLR_A_SERVICE_NAME, 0}, nla(nl.ZLR_A_SERVICE_ID, u32(1)))},
			"seed-retained":               {cat(nla(nl.ZLR_A_SERVICE_INCARNATION, u32(1)), nla(nl.ZLR_A_SERVICE_RETAINED, u32(1500)), nla(nl.ZLR_A_SERVICE_RETAINED_FDS, u32s(3, 4, 0xffffffff)))},
			"seed-retained-none":          {cat(nla(nl.ZLR_A_SERVICE_RETAINED, u32(0)), nla(nl.ZLR_A_SERVICE_RETAINED_FDS))},
			"seed-truncated-attribute":    {[]byte{8, 0, 1, 0, 1}},
			"seed-truncated-header":       {[]byte{8, 0, 1}},
			"seed-length-below-header":    {[]byte{2, 0, 1, 0}},
			"seed-u32-of-2-bytes":         {nla(nl.ZLR_A_SERVICE_ID, []byte{1, 0})},
			"seed-u32-of-8-bytes":         {nla(nl.ZLR_A_SERVICE_PID, u64(1))},
			"seed-uint-of-12-bytes":       {nla(nl.ZLR_A_SERVICE_REPLAY_OVERFLOWS, u64(1), u32(2))},
			"seed-time-beyond-int64":      {nla(nl.ZLR_A_SERVICE_REG_TIME, u64(1<<63))},
			"seed-fds-of-6-bytes":         {nla(nl.ZLR_A_SERVICE_RETAINED_FDS, u32(1), []byte{2, 0})},
			"seed-fds-descending":         {nla(nl.ZLR_A_SERVICE_RETAINED_FDS, u32s(5, 3))},
			"seed-fds-repeated":           {nla(nl.ZLR_A_SERVICE_RETAINED_FDS, u32s(3, 3))},
			"seed-fds-too-many":           {nla(nl.ZLR_A_SERVICE_RETAINED_FDS, u32s(fds...))},
			"seed-policy-garbage":         {nest(nl.ZLR_A_SERVICE_POLICY, []byte{12, 0, 3, 0})},
			"seed-policy-too-short":       {nest(nl.ZLR_A_SERVICE_POLICY, []byte{1, 2})},
			"seed-policy-uint-of-2-bytes": {nest(nl.ZLR_A_SERVICE_POLICY, nla(nl.ZLR_A_POLICY_FAULT_SIGNALS, []byte{1, 0}))},
			"seed-policy-signal-zero":     {nest(nl.ZLR_A_SERVICE_POLICY, nla(nl.ZLR_A_POLICY_FAULT_SIGNALS, u64(1|1<<11)))},
			"seed-fault-truncated":        {nest(nl.ZLR_A_SERVICE_LAST_FAULT, []byte{12, 0, 6, 0, 1})},
			"seed-fault-time-beyond":      {nest(nl.ZLR_A_SERVICE_LAST_FAULT, nla(nl.ZLR_A_FAULT_TIME, u64(1<<63)))},
			"seed-name-nul-inside":        {nla(nl.ZLR_A_SERVICE_NAME, str("we\x00b"))},
			"seed-name-oversized":         {nla(nl.ZLR_A_SERVICE_NAME, str(strings.Repeat("n", MaxNameLen+1)))},
			"seed-name-longest":           {nla(nl.ZLR_A_SERVICE_NAME, str(strings.Repeat("n", MaxNameLen)))},
			"seed-exe-oversized":          {nla(nl.ZLR_A_SERVICE_EXE, str("/"+strings.Repeat("x", 4096)))},
		},
		"FuzzParseStats": {
			"seed-stats":               {statsAttrs},
			"seed-stats-encoded":       {enc(encodeStats(stats))},
			"seed-empty":               {[]byte{}},
			"seed-unknown-attributes":  {cat(nla(nl.ZLR_A_STATS_SERVICES, u32(1)), nla(nl.ZLR_A_STATS_MAX+1, u64(7)), nla(0, []byte{}))},
			"seed-services-of-2-bytes": {nla(nl.ZLR_A_STATS_SERVICES, []byte{1, 0})},
			"seed-uint-of-16-bytes":    {nla(nl.ZLR_A_STATS_REPLAY_OVERFLOWS, u64(1), u64(2))},
			"seed-uint-of-3-bytes":     {nla(nl.ZLR_A_STATS_REPLAY_HELD, []byte{1, 2, 3})},
			"seed-truncated-attribute": {[]byte{8, 0, 2, 0, 1}},
		},
		"FuzzParseEvent": {
			"seed-register":             {uint8(nl.ZLR_CMD_REGISTER_NTF), head()},
			"seed-fault":                {uint8(nl.ZLR_CMD_FAULT_NTF), cat(head(), segvAttrs(nl.ZLR_A_EVENT_FAULT))},
			"seed-restart":              {uint8(nl.ZLR_CMD_RESTART_NTF), cat(head(), segvAttrs(nl.ZLR_A_EVENT_FAULT), nla(nl.ZLR_A_EVENT_CAUSE, u32(nl.ZLR_RESTART_CAUSE_FAULT)), nla(nl.ZLR_A_EVENT_LATENCY, u32(183000)), nla(nl.ZLR_A_EVENT_EXE, str("/usr/bin/web")), nla(nl.ZLR_A_EVENT_RETAINED, u32(5)))},
			"seed-ready":                {uint8(nl.ZLR_CMD_READY_NTF), cat(head(), nla(nl.ZLR_A_EVENT_LATENCY, u64(1<<40)))},
			"seed-giveup":               {uint8(nl.ZLR_CMD_GIVEUP_NTF), cat(head(), nla(nl.ZLR_A_EVENT_CAUSE, u32(nl.ZLR_RESTART_CAUSE_REQUEST)), nla(nl.ZLR_A_EVENT_REASON, u32(nl.ZLR_GIVEUP_REASON_EXEC_FAILED)), nla(nl.ZLR_A_EVENT_ERROR, s32(-int32(unix.EACCES))))},
			"seed-exit":                 {uint8(nl.ZLR_CMD_EXIT_NTF), cat(head(), nla(nl.ZLR_A_EVENT_EXIT_STATUS, u32(0x8b)))},
			"seed-replay-overflow":      {uint8(nl.ZLR_CMD_REPLAY_OVERFLOW_NTF), cat(head(), nla(nl.ZLR_A_EVENT_STREAM_KIND, u32(nl.ZLR_STREAM_KIND_PIPE)), nla(nl.ZLR_A_EVENT_STREAM_INO, u64(1<<40)), nla(nl.ZLR_A_EVENT_OVERFLOW_REASON, u32(nl.ZLR_OVERFLOW_REASON_GLOBAL_LIMIT)), nla(nl.ZLR_A_EVENT_REPLAY_LIMIT, u64(8<<30)))},
			"seed-restart-encoded":      {uint8(nl.ZLR_CMD_RESTART_NTF), enc(encodeEvent(with(webEvent(EventRestart), func(e *Event) { e.Fault, e.Exe, e.Latency, e.Retained = segv, "/usr/bin/web", time.Millisecond, 3 })))},
			"seed-unknown-command":      {uint8(nl.ZLR_CMD_GET), webAttrs},
			"seed-unknown-attributes":   {uint8(nl.ZLR_CMD_GIVEUP_NTF), cat(nla(nl.ZLR_A_EVENT_MAX+1, u64(1)), nla(nl.ZLR_A_EVENT_ERROR, u32(0x80000000)), nest(nl.ZLR_A_EVENT_FAULT, nla(nl.ZLR_A_FAULT_MAX+1, u32(1))))},
			"seed-short-id":             {uint8(nl.ZLR_CMD_REGISTER_NTF), nla(nl.ZLR_A_EVENT_ID, []byte{3})},
			"seed-time-of-2-bytes":      {uint8(nl.ZLR_CMD_FAULT_NTF), nla(nl.ZLR_A_EVENT_TIME, []byte{1, 2})},
			"seed-latency-beyond-int64": {uint8(nl.ZLR_CMD_READY_NTF), nla(nl.ZLR_A_EVENT_LATENCY, u64(1<<63))},
			"seed-stream-ino-of-3":      {uint8(nl.ZLR_CMD_REPLAY_OVERFLOW_NTF), cat(head(), nla(nl.ZLR_A_EVENT_STREAM_INO, []byte{1, 2, 3}))},
			"seed-fault-truncated":      {uint8(nl.ZLR_CMD_FAULT_NTF), nest(nl.ZLR_A_EVENT_FAULT, []byte{12, 0, 4, 0, 1})},
			"seed-fault-garbage":        {uint8(nl.ZLR_CMD_FAULT_NTF), nest(nl.ZLR_A_EVENT_FAULT, []byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3, 4})},
			"seed-truncated-attribute":  {uint8(nl.ZLR_CMD_EXIT_NTF), []byte{8, 0, 1, 0, 3}},
			"seed-name-nul-inside":      {uint8(nl.ZLR_CMD_REGISTER_NTF), nla(nl.ZLR_A_EVENT_NAME, str("w\x00eb"))},
			"seed-name-oversized":       {uint8(nl.ZLR_CMD_REGISTER_NTF), nla(nl.ZLR_A_EVENT_NAME, str(strings.Repeat("n", 100)))},
			"seed-exe-nul-inside":       {uint8(nl.ZLR_CMD_RESTART_NTF), nla(nl.ZLR_A_EVENT_EXE, []byte("/usr\x00/bin/web\x00\x00"))},
		},
		"FuzzMonitorNext": {
			"seed-fault":           {uint8(nl.ZLR_CMD_FAULT_NTF), cat(head(), segvAttrs(nl.ZLR_A_EVENT_FAULT))},
			"seed-replay-overflow": {uint8(nl.ZLR_CMD_REPLAY_OVERFLOW_NTF), cat(head(), nla(nl.ZLR_A_EVENT_STREAM_KIND, u32(nl.ZLR_STREAM_KIND_TCP)))},
			"seed-malformed":       {uint8(nl.ZLR_CMD_FAULT_NTF), nla(nl.ZLR_A_EVENT_TIME, []byte{1})},
			"seed-get-reply":       {uint8(nl.ZLR_CMD_GET), webAttrs},
			"seed-command-0":       {uint8(0), []byte{}},
			"seed-command-255":     {uint8(255), head()},
		},
		"FuzzPolicyRoundTrip": {
			// id, pid, present, signals, codes, repeat, max-restarts,
			// window, backoff, min-uptime (ns), replay limit, flags.
			"seed-all":              {uint32(3), uint32(0), uint8(0xff), mask, []byte{3, 2}, uint8(0), uint32(5), ms(time.Minute), ms(250 * time.Millisecond), ms(0), uint32(1 << 20), uint32(FlagReplay | FlagDedup)},
			"seed-some":             {uint32(0), uint32(1234), uint8(0b1100), uint64(0), []byte{}, uint8(0), uint32(3), ms(30 * time.Second), ms(0), ms(0), uint32(0), uint32(0)},
			"seed-none":             {uint32(3), uint32(1234), uint8(0), uint64(0), []byte{}, uint8(0), uint32(0), ms(0), ms(0), ms(0), uint32(0), uint32(0)},
			"seed-clear-lists":      {uint32(3), uint32(0), uint8(0b11), uint64(0), []byte{}, uint8(0), uint32(0), ms(0), ms(0), ms(0), uint32(0), uint32(0)},
			"seed-no-selector":      {uint32(0), uint32(0), uint8(0b100), uint64(0), []byte{}, uint8(0), uint32(1), ms(0), ms(0), ms(0), uint32(0), uint32(0)},
			"seed-signal-0":         {uint32(3), uint32(0), uint8(0b1), uint64(1 | 1<<11), []byte{}, uint8(0), uint32(0), ms(0), ms(0), ms(0), uint32(0), uint32(0)},
			"seed-signal-63":        {uint32(3), uint32(0), uint8(0b1), uint64(1 << 63), []byte{}, uint8(0), uint32(0), ms(0), ms(0), ms(0), uint32(0), uint32(0)},
			"seed-window-not-ms":    {uint32(3), uint32(0), uint8(0b1000), uint64(0), []byte{}, uint8(0), uint32(0), ms(1500 * time.Microsecond), ms(0), ms(0), uint32(0), uint32(0)},
			"seed-backoff-negative": {uint32(3), uint32(0), uint8(0b10000), uint64(0), []byte{}, uint8(0), uint32(0), ms(0), ms(-time.Millisecond), ms(0), uint32(0), uint32(0)},
			"seed-uptime-too-long":  {uint32(3), uint32(0), uint8(0b100000), uint64(0), []byte{}, uint8(0), uint32(0), ms(0), ms(0), ms((math.MaxUint32 + 1) * time.Millisecond), uint32(0), uint32(0)},
			"seed-uptime-longest":   {uint32(3), uint32(0), uint8(0b100000), uint64(0), []byte{}, uint8(0), uint32(0), ms(0), ms(0), ms(math.MaxUint32 * time.Millisecond), uint32(0), uint32(0)},
			"seed-codes-255":        {uint32(3), uint32(0), uint8(0b10), uint64(0), exitCodes[1:], uint8(0), uint32(0), ms(0), ms(0), ms(0), uint32(0), uint32(0)},
			"seed-codes-256":        {uint32(3), uint32(0), uint8(0b10), uint64(0), exitCodes, uint8(0), uint32(0), ms(0), ms(0), ms(0), uint32(0), uint32(0)},
			// More exit codes than an attribute holds: the encoder
			// failed, where the Client must refuse them itself.
			"seed-codes-65536": {uint32(3), uint32(0), uint8(0b10), uint64(0), exitCodes, uint8(255), uint32(0), ms(0), ms(0), ms(0), uint32(0), uint32(0)},
		},
		"FuzzClientReply": {
			"seed-reply":                {int32(0), webAttrs},
			"seed-reply-malformed":      {int32(0), []byte{8, 0, 1, 0, 1}},
			"seed-enoent-message":       {-int32(unix.ENOENT), nla(unix.NLMSGERR_ATTR_MSG, str("no service with id 3"))},
			"seed-esrch-message-offset": {-int32(unix.ESRCH), cat(nla(unix.NLMSGERR_ATTR_MSG, str("no process with pid 99999")), nla(unix.NLMSGERR_ATTR_OFFS, u32(20)))},
			"seed-eperm":                {-int32(unix.EPERM), []byte{}},
			"seed-eacces-garbage":       {-int32(unix.EACCES), []byte{0xff, 0xff, 1, 0, 'x'}},
			"seed-message-nul-inside":   {-int32(unix.EINVAL), nla(unix.NLMSGERR_ATTR_MSG, str("bad\x00policy"))},
			"seed-message-not-string":   {-int32(unix.EINVAL), nla(unix.NLMSGERR_ATTR_MSG, []byte{0xc3})},
			"seed-offset-of-2-bytes":    {-int32(unix.EINVAL), nla(unix.NLMSGERR_ATTR_OFFS, []byte{1, 0})},
			"seed-positive-code":        {int32(syscall.EIO), []byte{}},
			"seed-code-min":             {int32(math.MinInt32), []byte{}},
		},
	}
}

// marshalCorpus returns the corpus file of go test holding the values of s,
// as the go command writes it.
func marshalCorpus(s seed) []byte {
	b := bytes.NewBufferString("go test fuzz v1\n")
	for _, v := range s {
		switch v := v.(type) {
		case int64, uint16, uint32, uint64:
			fmt.Fprintf(b, "%T(%v)\n", v, v)
		case int32:
			if utf8.ValidRune(v) {
				fmt.Fprintf(b, "rune(%q)\n", v)
			} else {
				fmt.Fprintf(b, "int32(%v)\n", v)
			}
		case uint8:
			fmt.Fprintf(b, "byte(%q)\n", v)
		case []byte:
			fmt.Fprintf(b, "[]byte(%q)\n", v)
		default:
			panic(fmt.Sprintf("seed value of type %T", v))
		}
	}
	return b.Bytes()
}

// fuzzTargets returns the names of the fuzz targets of the package's
// tests, as ci/go-fuzz finds them.
func fuzzTargets(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^func (Fuzz\w+)\(`)
	var names []string
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			names = append(names, string(m[1]))
		}
	}
	slices.Sort(names)
	return names
}

func TestFuzzSeedCorpusCurrent(t *testing.T) {
	update := os.Getenv(updateSeedsEnv) == "1"
	seeds := fuzzSeeds(t)
	for _, name := range fuzzTargets(t) {
		if len(seeds[name]) == 0 {
			t.Errorf("fuzz target %s has no seeds in fuzzSeeds", name)
		}
	}
	for target, files := range seeds {
		dir := filepath.Join("testdata", "fuzz", target)
		if update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		for name, s := range files {
			path := filepath.Join(dir, name)
			want := marshalCorpus(s)
			if update {
				if err := os.WriteFile(path, want, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			got, err := os.ReadFile(path)
			switch {
			case err != nil:
				t.Errorf("seed %s: %v", path, err)
			case !bytes.Equal(got, want):
				t.Errorf("seed %s differs from fuzzSeeds", path)
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Errorf("seeds of %s: %v", target, err)
			continue
		}
		for _, e := range entries {
			if _, ok := files[e.Name()]; ok || !strings.HasPrefix(e.Name(), seedPrefix) {
				continue
			}
			path := filepath.Join(dir, e.Name())
			if update {
				if err := os.Remove(path); err != nil {
					t.Fatal(err)
				}
				continue
			}
			t.Errorf("seed %s is not in fuzzSeeds", path)
		}
	}
	if t.Failed() && !update {
		t.Logf("rewrite the seeds with %s=1 go test -run '^TestFuzzSeedCorpusCurrent$' ./libzl", updateSeedsEnv)
	}
}
