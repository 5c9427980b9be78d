package libzl

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	nl "github.com/zl-dev/zl/libzl/internal/zlrnl"
)

// The uapi header, as the kernel patch series creates it, and where the tree
// built from the series keeps it.
const (
	uapiHeader  = "include/uapi/linux/zlr.h"
	patchDir    = "../linux-patches"
	builtHeader = "../build/linux/" + uapiHeader
	zlrnlDir    = "internal/zlrnl"
)

// uapiHeaderEnv names a header file to check against instead of the
// series, such as a kernel tree's header while the series has not caught up
// with it yet:
//
//	ZL_UAPI_HEADER=$PWD/build/linux/include/uapi/linux/zlr.h go test ./libzl -run UAPI
//
// A relative path is relative to the libzl directory, where tests run.
const uapiHeaderEnv = "ZL_UAPI_HEADER"

// goConstants maps each constant of the uapi header to the Go constant that
// mirrors it.
var goConstants = map[string]any{
	"ZLR_FAMILY_NAME":    nl.ZLR_FAMILY_NAME,
	"ZLR_FAMILY_VERSION": nl.ZLR_FAMILY_VERSION,
	"ZLR_MCGRP_MONITOR":  nl.ZLR_MCGRP_MONITOR,

	"ZLR_NAME_LEN":            nl.ZLR_NAME_LEN,
	"ZLR_MAX_RESTARTS_LIMIT":  nl.ZLR_MAX_RESTARTS_LIMIT,
	"ZLR_WINDOW_MS_LIMIT":     nl.ZLR_WINDOW_MS_LIMIT,
	"ZLR_BACKOFF_MS_LIMIT":    nl.ZLR_BACKOFF_MS_LIMIT,
	"ZLR_MIN_UPTIME_MS_LIMIT": nl.ZLR_MIN_UPTIME_MS_LIMIT,
	"ZLR_REPLAY_LIMIT_MAX":    nl.ZLR_REPLAY_LIMIT_MAX,

	"ZLR_POLICY_FLAGS_REPLAY": nl.ZLR_POLICY_FLAGS_REPLAY,
	"ZLR_POLICY_FLAGS_DEDUP":  nl.ZLR_POLICY_FLAGS_DEDUP,

	"ZLR_A_POLICY_FAULT_SIGNALS":    nl.ZLR_A_POLICY_FAULT_SIGNALS,
	"ZLR_A_POLICY_FAULT_EXIT_CODES": nl.ZLR_A_POLICY_FAULT_EXIT_CODES,
	"ZLR_A_POLICY_MAX_RESTARTS":     nl.ZLR_A_POLICY_MAX_RESTARTS,
	"ZLR_A_POLICY_WINDOW_MS":        nl.ZLR_A_POLICY_WINDOW_MS,
	"ZLR_A_POLICY_BACKOFF_MS":       nl.ZLR_A_POLICY_BACKOFF_MS,
	"ZLR_A_POLICY_MIN_UPTIME_MS":    nl.ZLR_A_POLICY_MIN_UPTIME_MS,
	"ZLR_A_POLICY_REPLAY_LIMIT":     nl.ZLR_A_POLICY_REPLAY_LIMIT,
	"ZLR_A_POLICY_FLAGS":            nl.ZLR_A_POLICY_FLAGS,
	"ZLR_A_POLICY_MAX":              nl.ZLR_A_POLICY_MAX,

	"ZLR_A_FAULT_SIGNAL":    nl.ZLR_A_FAULT_SIGNAL,
	"ZLR_A_FAULT_EXIT_CODE": nl.ZLR_A_FAULT_EXIT_CODE,
	"ZLR_A_FAULT_CODE":      nl.ZLR_A_FAULT_CODE,
	"ZLR_A_FAULT_ADDR":      nl.ZLR_A_FAULT_ADDR,
	"ZLR_A_FAULT_IP":        nl.ZLR_A_FAULT_IP,
	"ZLR_A_FAULT_TIME":      nl.ZLR_A_FAULT_TIME,
	"ZLR_A_FAULT_MAX":       nl.ZLR_A_FAULT_MAX,

	"ZLR_A_SERVICE_ID":          nl.ZLR_A_SERVICE_ID,
	"ZLR_A_SERVICE_PID":         nl.ZLR_A_SERVICE_PID,
	"ZLR_A_SERVICE_NAME":        nl.ZLR_A_SERVICE_NAME,
	"ZLR_A_SERVICE_UID":         nl.ZLR_A_SERVICE_UID,
	"ZLR_A_SERVICE_POLICY":      nl.ZLR_A_SERVICE_POLICY,
	"ZLR_A_SERVICE_INCARNATION": nl.ZLR_A_SERVICE_INCARNATION,
	"ZLR_A_SERVICE_FAULTS":      nl.ZLR_A_SERVICE_FAULTS,
	"ZLR_A_SERVICE_RESTARTS":    nl.ZLR_A_SERVICE_RESTARTS,
	"ZLR_A_SERVICE_GIVEUPS":     nl.ZLR_A_SERVICE_GIVEUPS,
	"ZLR_A_SERVICE_REG_TIME":    nl.ZLR_A_SERVICE_REG_TIME,
	"ZLR_A_SERVICE_EXE":         nl.ZLR_A_SERVICE_EXE,
	"ZLR_A_SERVICE_LAST_FAULT":  nl.ZLR_A_SERVICE_LAST_FAULT,
	"ZLR_A_SERVICE_MAX":         nl.ZLR_A_SERVICE_MAX,

	"ZLR_CMD_REGISTER":   nl.ZLR_CMD_REGISTER,
	"ZLR_CMD_UNREGISTER": nl.ZLR_CMD_UNREGISTER,
	"ZLR_CMD_GET":        nl.ZLR_CMD_GET,
	"ZLR_CMD_SET_POLICY": nl.ZLR_CMD_SET_POLICY,
	"ZLR_CMD_MAX":        nl.ZLR_CMD_MAX,

	"ZLR_RESTART_CAUSE_FAULT":       nl.ZLR_RESTART_CAUSE_FAULT,
	"ZLR_RESTART_CAUSE_REQUEST":     nl.ZLR_RESTART_CAUSE_REQUEST,
	"ZLR_GIVEUP_REASON_DISABLED":    nl.ZLR_GIVEUP_REASON_DISABLED,
	"ZLR_GIVEUP_REASON_TOO_SOON":    nl.ZLR_GIVEUP_REASON_TOO_SOON,
	"ZLR_GIVEUP_REASON_BUDGET":      nl.ZLR_GIVEUP_REASON_BUDGET,
	"ZLR_GIVEUP_REASON_EXEC_FAILED": nl.ZLR_GIVEUP_REASON_EXEC_FAILED,
	"ZLR_GIVEUP_REASON_KILLED":      nl.ZLR_GIVEUP_REASON_KILLED,
	"ZLR_A_SERVICE_RETAINED":        nl.ZLR_A_SERVICE_RETAINED,
	"ZLR_A_SERVICE_RETAINED_FDS":    nl.ZLR_A_SERVICE_RETAINED_FDS,
	"ZLR_A_EVENT_ID":                nl.ZLR_A_EVENT_ID,
	"ZLR_A_EVENT_PID":               nl.ZLR_A_EVENT_PID,
	"ZLR_A_EVENT_NAME":              nl.ZLR_A_EVENT_NAME,
	"ZLR_A_EVENT_INCARNATION":       nl.ZLR_A_EVENT_INCARNATION,
	"ZLR_A_EVENT_TIME":              nl.ZLR_A_EVENT_TIME,
	"ZLR_A_EVENT_FAULT":             nl.ZLR_A_EVENT_FAULT,
	"ZLR_A_EVENT_CAUSE":             nl.ZLR_A_EVENT_CAUSE,
	"ZLR_A_EVENT_LATENCY":           nl.ZLR_A_EVENT_LATENCY,
	"ZLR_A_EVENT_EXE":               nl.ZLR_A_EVENT_EXE,
	"ZLR_A_EVENT_RETAINED":          nl.ZLR_A_EVENT_RETAINED,
	"ZLR_A_EVENT_REASON":            nl.ZLR_A_EVENT_REASON,
	"ZLR_A_EVENT_ERROR":             nl.ZLR_A_EVENT_ERROR,
	"ZLR_A_EVENT_EXIT_STATUS":       nl.ZLR_A_EVENT_EXIT_STATUS,
	"ZLR_A_EVENT_MAX":               nl.ZLR_A_EVENT_MAX,
	"ZLR_CMD_RESTART":               nl.ZLR_CMD_RESTART,
	"ZLR_CMD_READY":                 nl.ZLR_CMD_READY,
	"ZLR_CMD_REGISTER_NTF":          nl.ZLR_CMD_REGISTER_NTF,
	"ZLR_CMD_UNREGISTER_NTF":        nl.ZLR_CMD_UNREGISTER_NTF,
	"ZLR_CMD_FAULT_NTF":             nl.ZLR_CMD_FAULT_NTF,
	"ZLR_CMD_RESTART_NTF":           nl.ZLR_CMD_RESTART_NTF,
	"ZLR_CMD_READY_NTF":             nl.ZLR_CMD_READY_NTF,
	"ZLR_CMD_GIVEUP_NTF":            nl.ZLR_CMD_GIVEUP_NTF,
	"ZLR_CMD_EXIT_NTF":              nl.ZLR_CMD_EXIT_NTF,

	"ZLR_STREAM_KIND_TCP":               nl.ZLR_STREAM_KIND_TCP,
	"ZLR_STREAM_KIND_UNIX":              nl.ZLR_STREAM_KIND_UNIX,
	"ZLR_STREAM_KIND_PIPE":              nl.ZLR_STREAM_KIND_PIPE,
	"ZLR_OVERFLOW_REASON_SERVICE_LIMIT": nl.ZLR_OVERFLOW_REASON_SERVICE_LIMIT,
	"ZLR_OVERFLOW_REASON_GLOBAL_LIMIT":  nl.ZLR_OVERFLOW_REASON_GLOBAL_LIMIT,
	"ZLR_OVERFLOW_REASON_NOMEM":         nl.ZLR_OVERFLOW_REASON_NOMEM,
	"ZLR_OVERFLOW_REASON_TRUNCATED":     nl.ZLR_OVERFLOW_REASON_TRUNCATED,
	"ZLR_OVERFLOW_REASON_USER_LIMIT":    nl.ZLR_OVERFLOW_REASON_USER_LIMIT,
	"ZLR_A_SERVICE_REPLAY_HELD":         nl.ZLR_A_SERVICE_REPLAY_HELD,
	"ZLR_A_SERVICE_REPLAY_STREAMS":      nl.ZLR_A_SERVICE_REPLAY_STREAMS,
	"ZLR_A_SERVICE_REPLAYS":             nl.ZLR_A_SERVICE_REPLAYS,
	"ZLR_A_SERVICE_REPLAY_BYTES":        nl.ZLR_A_SERVICE_REPLAY_BYTES,
	"ZLR_A_SERVICE_REPLAY_OVERFLOWS":    nl.ZLR_A_SERVICE_REPLAY_OVERFLOWS,
	"ZLR_A_SERVICE_FD":                  nl.ZLR_A_SERVICE_FD,
	"ZLR_A_STATS_SERVICES":              nl.ZLR_A_STATS_SERVICES,
	"ZLR_A_STATS_REPLAY_HELD":           nl.ZLR_A_STATS_REPLAY_HELD,
	"ZLR_A_STATS_REPLAY_LIMIT":          nl.ZLR_A_STATS_REPLAY_LIMIT,
	"ZLR_A_STATS_REPLAY_STREAMS":        nl.ZLR_A_STATS_REPLAY_STREAMS,
	"ZLR_A_STATS_REPLAYS":               nl.ZLR_A_STATS_REPLAYS,
	"ZLR_A_STATS_REPLAY_BYTES":          nl.ZLR_A_STATS_REPLAY_BYTES,
	"ZLR_A_STATS_REPLAY_OVERFLOWS":      nl.ZLR_A_STATS_REPLAY_OVERFLOWS,
	"ZLR_A_STATS_MAX":                   nl.ZLR_A_STATS_MAX,
	"ZLR_A_EVENT_STREAM_KIND":           nl.ZLR_A_EVENT_STREAM_KIND,
	"ZLR_A_EVENT_STREAM_INO":            nl.ZLR_A_EVENT_STREAM_INO,
	"ZLR_A_EVENT_OVERFLOW_REASON":       nl.ZLR_A_EVENT_OVERFLOW_REASON,
	"ZLR_A_EVENT_REPLAY_LIMIT":          nl.ZLR_A_EVENT_REPLAY_LIMIT,
	"ZLR_CMD_COMMIT":                    nl.ZLR_CMD_COMMIT,
	"ZLR_CMD_STATS":                     nl.ZLR_CMD_STATS,
	"ZLR_CMD_REPLAY_OVERFLOW_NTF":       nl.ZLR_CMD_REPLAY_OVERFLOW_NTF,
}

// TestUAPIHeader checks the Go constants against the uapi header of the
// kernel patch series, in both directions; $ZL_UAPI_HEADER, if set, names
// another header to check against. A mismatch fails the test.
func TestUAPIHeader(t *testing.T) {
	src, from := readUAPIHeader(t)
	t.Logf("header from %s", from)

	header, err := headerConstants(string(src), "ZLR_")
	if err != nil {
		t.Fatalf("%s: %v", from, err)
	}
	if len(header) == 0 {
		t.Fatalf("%s: no ZLR_ constants found", from)
	}

	for _, name := range sortedKeys(header) {
		if strings.HasPrefix(name, "__") {
			continue // enum counters, internal to the header
		}
		goValue, ok := goConstants[name]
		if !ok {
			t.Errorf("%s = %v in the header has no Go constant: add it to internal/zlrnl and goConstants", name, header[name])
			continue
		}
		if !sameValue(header[name], goValue) {
			t.Errorf("%s = %#v in the header, %#v in Go", name, header[name], goValue)
		}
	}
	for _, name := range sortedKeys(goConstants) {
		if _, ok := header[name]; !ok {
			t.Errorf("Go constant %s is not in the header", name)
		}
	}

	// Every constant of the internal package must be in the table, or
	// it could drift from the header unnoticed.
	for _, name := range packageConstants(t, zlrnlDir) {
		if _, ok := goConstants[name]; !ok {
			t.Errorf("constant %s of %s is not in goConstants", name, zlrnlDir)
		}
	}
}

// readUAPIHeader returns the header $ZL_UAPI_HEADER names if it is set;
// otherwise the header built from the patch series, or, while the series
// is not there, the one of the kernel tree in build/.
func readUAPIHeader(t *testing.T) ([]byte, string) {
	t.Helper()
	if path := os.Getenv(uapiHeaderEnv); path != "" {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%s: %v", uapiHeaderEnv, err)
		}
		return src, path + " (from $" + uapiHeaderEnv + ")"
	}
	series := filepath.Join(patchDir, "series")
	if _, err := os.Stat(series); err == nil {
		src, err := seriesFile(patchDir, uapiHeader)
		if err != nil {
			t.Fatalf("rebuilding %s from %s: %v", uapiHeader, series, err)
		}
		return src, series
	} else if !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	src, err := os.ReadFile(builtHeader)
	if err != nil {
		t.Fatalf("no uapi header to check against: %s is missing and so is %s (%v)", series, builtHeader, err)
	}
	return src, builtHeader
}

// sameValue compares a header value (int64 or string) with a Go constant.
func sameValue(h, g any) bool {
	switch g := g.(type) {
	case int:
		return h == int64(g)
	case string:
		return h == g
	default:
		return false
	}
}

// packageConstants returns the names of the constants declared in the
// non-test Go files of dir.
func packageConstants(t *testing.T, dir string) []string {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				for _, n := range spec.(*ast.ValueSpec).Names {
					names = append(names, n.Name)
				}
			}
		}
	}
	if len(names) == 0 {
		t.Fatalf("no constants found in %s", dir)
	}
	return names
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
