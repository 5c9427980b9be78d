package libzl

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// This file rebuilds one file of the kernel tree out of a quilt-style patch
// series (a "series" file listing patches in order): a small unified-diff
// applier that follows the file through creation, changes and deletion,
// and fails on anything it does not understand instead of guessing.

// seriesFile returns the content of path (relative to the tree root, such as
// "include/uapi/linux/zlr.h") after applying, in order, the patches that the
// series file in dir lists.
func seriesFile(dir, path string) ([]byte, error) {
	series, err := os.ReadFile(filepath.Join(dir, "series"))
	if err != nil {
		return nil, err
	}
	var f patchedFile
	var touched []string
	for n, line := range strings.Split(string(series), "\n") {
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		strip := 1
		for _, opt := range fields[1:] {
			if !strings.HasPrefix(opt, "-p") {
				return nil, fmt.Errorf("series line %d: unsupported option %q", n+1, opt)
			}
			if strip, err = strconv.Atoi(opt[2:]); err != nil {
				return nil, fmt.Errorf("series line %d: bad option %q", n+1, opt)
			}
		}
		patch, err := os.ReadFile(filepath.Join(dir, fields[0]))
		if err != nil {
			return nil, fmt.Errorf("series line %d: %w", n+1, err)
		}
		ok, err := f.apply(string(patch), path, strip)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fields[0], err)
		}
		if ok {
			touched = append(touched, fields[0])
		}
	}
	if !f.exists {
		if len(touched) == 0 {
			return nil, fmt.Errorf("no patch in %s creates %s", filepath.Join(dir, "series"), path)
		}
		return nil, fmt.Errorf("%s does not exist after the series (touched by %s)", path, strings.Join(touched, ", "))
	}
	return []byte(f.content()), nil
}

// A patchedFile is the state of one file while patches are applied.
type patchedFile struct {
	exists    bool
	lines     []string
	noNewline bool // the last line has no newline
}

func (f *patchedFile) content() string {
	if len(f.lines) == 0 {
		return ""
	}
	s := strings.Join(f.lines, "\n")
	if !f.noNewline {
		s += "\n"
	}
	return s
}

// stripPath removes the leading n components of a path in a diff header,
// and any timestamp after a tab. /dev/null stays as it is.
func stripPath(p string, n int) (string, error) {
	if i := strings.IndexByte(p, '\t'); i >= 0 {
		p = p[:i]
	}
	p = strings.TrimSpace(p)
	if p == "/dev/null" {
		return p, nil
	}
	for range n {
		i := strings.IndexByte(p, '/')
		if i < 0 {
			return "", fmt.Errorf("cannot strip %d components from %q", n, p)
		}
		p = p[i+1:]
	}
	return p, nil
}

// apply applies the parts of patch that concern path to f, and reports
// whether there were any.
func (f *patchedFile) apply(patch, path string, strip int) (bool, error) {
	lines := strings.Split(patch, "\n")
	// A trailing newline leaves an empty last element that is not a line.
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	touched := false
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		for _, p := range []string{"rename from ", "rename to ", "copy from ", "copy to "} {
			if strings.HasPrefix(line, p) && strings.TrimPrefix(line, p) == path {
				return false, fmt.Errorf("line %d: %q: renames and copies of %s are not supported", i+1, line, path)
			}
		}
		if !strings.HasPrefix(line, "--- ") || i+1 >= len(lines) || !strings.HasPrefix(lines[i+1], "+++ ") {
			continue
		}
		oldPath, err := stripPath(line[4:], strip)
		if err != nil {
			return false, fmt.Errorf("line %d: %w", i+1, err)
		}
		newPath, err := stripPath(lines[i+1][4:], strip)
		if err != nil {
			return false, fmt.Errorf("line %d: %w", i+2, err)
		}
		i += 2
		mine := oldPath == path || newPath == path
		if mine {
			touched = true
			switch {
			case oldPath == "/dev/null":
				if f.exists {
					return false, fmt.Errorf("line %d: creates %s, which already exists", i-1, path)
				}
				*f = patchedFile{exists: true}
			case !f.exists:
				return false, fmt.Errorf("line %d: changes %s, which does not exist yet", i-1, path)
			case oldPath != newPath && newPath != "/dev/null":
				return false, fmt.Errorf("line %d: renames %s to %s", i-1, oldPath, newPath)
			}
		}
		// The hunks of this file.
		delta := 0
		for i < len(lines) && strings.HasPrefix(lines[i], "@@ ") {
			h, next, err := parseHunk(lines, i)
			if err != nil {
				return false, err
			}
			if mine {
				if err := f.applyHunk(h, delta); err != nil {
					return false, fmt.Errorf("line %d: %w", i+1, err)
				}
				delta += len(h.new) - len(h.old)
			}
			i = next
		}
		if mine && newPath == "/dev/null" {
			if len(f.lines) != 0 {
				return false, fmt.Errorf("deletion of %s leaves %d lines", path, len(f.lines))
			}
			*f = patchedFile{}
		}
		if mine && f.exists && len(f.lines) == 0 && oldPath == "/dev/null" {
			return false, fmt.Errorf("creation of %s has no hunk", path)
		}
		i-- // the loop's i++ moves to the line after the hunks
	}
	return touched, nil
}

// A hunk is one "@@ -a,b +c,d @@" section of a unified diff.
type hunk struct {
	oldStart, newStart int
	old, new           []string // the lines before and after
	oldNoNL, newNoNL   bool     // "\ No newline at end of file" after the last old/new line
}

// parseHunk parses the hunk whose header is lines[i] and returns the index
// of the line after it.
func parseHunk(lines []string, i int) (hunk, int, error) {
	var h hunk
	start, header := i, lines[i]
	fail := func(format string, args ...any) (hunk, int, error) {
		return hunk{}, 0, fmt.Errorf("line %d: %q: %s", start+1, header, fmt.Sprintf(format, args...))
	}
	rest, ok := strings.CutPrefix(header, "@@ -")
	if !ok {
		return fail("not a hunk header")
	}
	end := strings.Index(rest, " @@")
	if end < 0 {
		return fail("not a hunk header")
	}
	oldR, newR, ok := strings.Cut(rest[:end], " +")
	if !ok {
		return fail("not a hunk header")
	}
	var oldCount, newCount int
	var err error
	if h.oldStart, oldCount, err = parseRange(oldR); err != nil {
		return fail("%v", err)
	}
	if h.newStart, newCount, err = parseRange(newR); err != nil {
		return fail("%v", err)
	}
	i++
	last := byte(0) // kind of the previous line, for "\ No newline"
	for len(h.old) < oldCount || len(h.new) < newCount || (i < len(lines) && strings.HasPrefix(lines[i], `\ `)) {
		if i >= len(lines) {
			return fail("hunk ends early: %d of %d old and %d of %d new lines", len(h.old), oldCount, len(h.new), newCount)
		}
		l := lines[i]
		kind, text := byte(' '), ""
		if l != "" {
			// An empty line is an empty context line whose space got lost.
			kind, text = l[0], l[1:]
		}
		switch kind {
		case ' ':
			h.old = append(h.old, text)
			h.new = append(h.new, text)
		case '-':
			h.old = append(h.old, text)
		case '+':
			h.new = append(h.new, text)
		case '\\':
			switch last {
			case ' ':
				h.oldNoNL, h.newNoNL = true, true
			case '-':
				h.oldNoNL = true
			case '+':
				h.newNoNL = true
			default:
				return fail("line %d: %q follows no line", i+1, l)
			}
		default:
			return fail("line %d: %q is not part of a hunk", i+1, l)
		}
		if len(h.old) > oldCount || len(h.new) > newCount {
			return fail("line %d: hunk is longer than its header says", i+1)
		}
		last = kind
		i++
	}
	return h, i, nil
}

// parseRange parses "start,count" or "start" (count 1).
func parseRange(s string) (start, count int, err error) {
	a, b, hasCount := strings.Cut(s, ",")
	if start, err = strconv.Atoi(a); err != nil || start < 0 {
		return 0, 0, fmt.Errorf("bad range %q", s)
	}
	count = 1
	if hasCount {
		if count, err = strconv.Atoi(b); err != nil || count < 0 {
			return 0, 0, fmt.Errorf("bad range %q", s)
		}
	}
	return start, count, nil
}

// applyHunk applies h exactly where it says, shifted by delta for the hunks
// of the same file applied before it: no fuzz, no search for an offset.
func (f *patchedFile) applyHunk(h hunk, delta int) error {
	at := h.oldStart - 1
	if len(h.old) == 0 {
		// "-a,0" inserts after line a.
		at = h.oldStart
	}
	at += delta
	if at < 0 || at+len(h.old) > len(f.lines) {
		return fmt.Errorf("hunk at old line %d does not fit a file of %d lines", h.oldStart, len(f.lines))
	}
	for k, want := range h.old {
		if got := f.lines[at+k]; got != want {
			return fmt.Errorf("hunk at old line %d does not apply: line %d is %q, want %q", h.oldStart, at+k+1, got, want)
		}
	}
	atEnd := at+len(h.old) == len(f.lines)
	if len(h.old) > 0 && atEnd && h.oldNoNL != f.noNewline {
		return fmt.Errorf("hunk at old line %d disagrees on the newline at the end of the file", h.oldStart)
	}
	lines := make([]string, 0, len(f.lines)+len(h.new)-len(h.old))
	lines = append(lines, f.lines[:at]...)
	lines = append(lines, h.new...)
	lines = append(lines, f.lines[at+len(h.old):]...)
	f.lines = lines
	if atEnd {
		f.noNewline = h.newNoNL
	}
	return nil
}

func TestSeriesFile(t *testing.T) {
	const create = `From 1 Mon Sep 17 00:00:00 2001
Subject: [PATCH 1/3] zlr: add the uapi header

Some text.
---
 include/uapi/linux/zlr.h | 4 ++++
 1 file changed, 4 insertions(+)

diff --git a/include/uapi/linux/zlr.h b/include/uapi/linux/zlr.h
new file mode 100644
index 0000000..1111111
--- /dev/null
+++ b/include/uapi/linux/zlr.h
@@ -0,0 +1,5 @@
+#ifndef _ZLR_H
+#define ZLR_A 1
+
+#define ZLR_B 2
+#endif
-- 
2.43.0
`
	const other = `diff --git a/net/zlr/netlink.c b/net/zlr/netlink.c
--- a/net/zlr/netlink.c
+++ b/net/zlr/netlink.c
@@ -1,3 +1,3 @@
 a
--- b
+++ c
 d
diff --git a/include/uapi/linux/zlr.h b/include/uapi/linux/zlr.h
--- a/include/uapi/linux/zlr.h
+++ b/include/uapi/linux/zlr.h
@@ -1,3 +1,4 @@
 #ifndef _ZLR_H
 #define ZLR_A 1
+#define ZLR_A2 3

@@ -4,2 +5,3 @@
 #define ZLR_B 2
+#define ZLR_C 4
 #endif
`
	const remove = `--- a/include/uapi/linux/zlr.h
+++ /dev/null
@@ -1,7 +0,0 @@
-#ifndef _ZLR_H
-#define ZLR_A 1
-#define ZLR_A2 3
-
-#define ZLR_B 2
-#define ZLR_C 4
-#endif
`
	const stale = `--- a/include/uapi/linux/zlr.h
+++ b/include/uapi/linux/zlr.h
@@ -2,1 +2,1 @@
-#define ZLR_A 7
+#define ZLR_A 8
`
	const noNewline = `--- a/include/uapi/linux/zlr.h
+++ b/include/uapi/linux/zlr.h
@@ -5 +5 @@
-#endif
+#endif /* _ZLR_H */
\ No newline at end of file
`
	const short = `--- a/include/uapi/linux/zlr.h
+++ b/include/uapi/linux/zlr.h
@@ -1,3 +1,3 @@
 #ifndef _ZLR_H
-#define ZLR_A 1
`
	tests := []struct {
		name    string
		patches map[string]string
		series  string
		want    string
		wantErr string
	}{
		{
			name:    "create",
			patches: map[string]string{"0001.patch": create},
			series:  "0001.patch\n",
			want:    "#ifndef _ZLR_H\n#define ZLR_A 1\n\n#define ZLR_B 2\n#endif\n",
		},
		{
			name:    "create and change, comments and options in the series",
			patches: map[string]string{"0001.patch": create, "0002.patch": other},
			series:  "# zlr\n0001.patch -p1\n\n0002.patch # second\n",
			want:    "#ifndef _ZLR_H\n#define ZLR_A 1\n#define ZLR_A2 3\n\n#define ZLR_B 2\n#define ZLR_C 4\n#endif\n",
		},
		{
			name:    "no newline at the end",
			patches: map[string]string{"0001.patch": create, "0002.patch": noNewline},
			series:  "0001.patch\n0002.patch\n",
			want:    "#ifndef _ZLR_H\n#define ZLR_A 1\n\n#define ZLR_B 2\n#endif /* _ZLR_H */",
		},
		{
			name:    "deleted",
			patches: map[string]string{"0001.patch": create, "0002.patch": other, "0003.patch": remove},
			series:  "0001.patch\n0002.patch\n0003.patch\n",
			wantErr: "include/uapi/linux/zlr.h does not exist after the series (touched by 0001.patch, 0002.patch, 0003.patch)",
		},
		{
			name:    "never created",
			patches: map[string]string{"0002.patch": other},
			series:  "0002.patch\n",
			wantErr: "0002.patch: line 10: changes include/uapi/linux/zlr.h, which does not exist yet",
		},
		{
			name:    "created twice",
			patches: map[string]string{"0001.patch": create},
			series:  "0001.patch\n0001.patch\n",
			wantErr: "0001.patch: line 12: creates include/uapi/linux/zlr.h, which already exists",
		},
		{
			name:    "does not apply",
			patches: map[string]string{"0001.patch": create, "0002.patch": stale},
			series:  "0001.patch\n0002.patch\n",
			wantErr: `0002.patch: line 3: hunk at old line 2 does not apply: line 2 is "#define ZLR_A 1", want "#define ZLR_A 7"`,
		},
		{
			name:    "truncated hunk",
			patches: map[string]string{"0001.patch": create, "0002.patch": short},
			series:  "0001.patch\n0002.patch\n",
			wantErr: `0002.patch: line 3: "@@ -1,3 +1,3 @@": hunk ends early: 2 of 3 old and 1 of 3 new lines`,
		},
		{
			name:    "missing patch",
			patches: map[string]string{},
			series:  "0001.patch\n",
			wantErr: "series line 1: open ",
		},
		{
			name:    "empty series",
			patches: map[string]string{},
			series:  "",
			wantErr: "no patch in ",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, p := range tt.patches {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(p), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.WriteFile(filepath.Join(dir, "series"), []byte(tt.series), 0o644); err != nil {
				t.Fatal(err)
			}
			got, err := seriesFile(dir, "include/uapi/linux/zlr.h")
			if tt.wantErr != "" {
				if err == nil || !strings.HasPrefix(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one starting %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("file (-want +got):\n%s", diff)
			}
		})
	}
}
