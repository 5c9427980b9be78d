package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot/vg/vgimg"
)

// The lines that delimit the README's results section.
const (
	beginMarker = "<!-- bench:begin -->"
	endMarker   = "<!-- bench:end -->"
)

// createPNG writes img to path as PNG.
func createPNG(path string, img *vgimg.Canvas) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("plot %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return nil
}

// mdCell escapes a table cell's text for Markdown.
func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// readmeSection is the README's results section, without its markers: the
// date, the machine, the summary table and the plots, which it links
// relative to the README.
func readmeSection(all *All, rows []row, plots []plotFile, outDir, readme string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured on %s", all.Date)
	if all.Machine != "" {
		fmt.Fprintf(&b, " on %s", all.Machine)
	}
	b.WriteString(" by `make bench`, which wrote this section (`bench/report`) and `" +
		filepath.ToSlash(filepath.Join(relDir(outDir, readme), "results.json")) + "`.\n\n")
	b.WriteString("Absolute times come from an emulated VM (QEMU TCG when KVM does not start) and are many " +
		"times those of real hardware; the ratios, measured against baselines in the same boot, with " +
		"repetitions interleaved, are what carries over. The papers' figures are theirs, on their " +
		"2007 hardware, quoted for scale.\n\n")
	b.WriteString("| figure | measured | target | papers | verdict |\n|---|---|---|---|---|\n")
	for _, r := range rows {
		v := r.Verdict
		if v == "" {
			v = "-"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdCell(r.Figure), mdCell(r.Measured), mdCell(r.Target), mdCell(r.Paper), v)
	}
	for _, p := range plots {
		fmt.Fprintf(&b, "\n![%s](%s)\n", p.Caption, filepath.ToSlash(filepath.Join(relDir(outDir, readme), p.Name)))
	}
	return b.String()
}

// relDir is dir relative to the directory of the file readme.
func relDir(dir, readme string) string {
	rel, err := filepath.Rel(filepath.Dir(readme), dir)
	if err != nil {
		return dir
	}
	return rel
}

// rewriteReadme replaces what lies between the markers in the file at
// path with section.
func rewriteReadme(path, section string) error {
	old, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("README: %w", err)
	}
	updated, err := replaceSection(old, section)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := os.WriteFile(path, updated, 0o644); err != nil {
		return fmt.Errorf("README: %w", err)
	}
	return nil
}

// replaceSection replaces the lines between the markers in doc with
// section.
func replaceSection(doc []byte, section string) ([]byte, error) {
	begin := bytes.Index(doc, []byte(beginMarker+"\n"))
	end := bytes.Index(doc, []byte(endMarker))
	if begin < 0 || end < 0 || end < begin {
		return nil, fmt.Errorf("no %q line followed by a %q line", beginMarker, endMarker)
	}
	begin += len(beginMarker) + 1
	var out bytes.Buffer
	out.Write(doc[:begin])
	out.WriteString(strings.TrimRight(section, "\n") + "\n")
	out.Write(doc[end:])
	return out.Bytes(), nil
}
