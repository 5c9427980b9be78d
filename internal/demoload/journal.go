package demoload

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"strings"
)

// An Order is a CGI order the load placed.
type Order struct {
	// Key is the order's idempotency key.
	Key string

	// Line is the journal line the order must have, as
	// internal/demo.JournalLine makes it.
	Line string

	// OK says whether the order was answered correctly, in which case it
	// must be in the journal; a failed order may be there or not.
	OK bool
}

// JournalReport is what CheckJournal found.
type JournalReport struct {
	// Lines is the number of lines in the journal.
	Lines int `json:"lines"`

	// Orders is the number of orders checked, of which Recorded are in
	// the journal.
	Orders   int `json:"orders"`
	Recorded int `json:"recorded"`

	// Duplicated is the number of orders recorded more than once.
	Duplicated int `json:"duplicated"`

	// Missing is the number of orders answered correctly but not recorded.
	Missing int `json:"missing"`

	// Malformed is the number of lines not of the form "KEY LENGTH SHA256"
	// or without a final newline.
	Malformed int `json:"malformed"`

	// Mismatched is the number of lines of the orders checked that record
	// a body other than the one sent.
	Mismatched int `json:"mismatched"`

	// Foreign is the number of well-formed lines of other orders (of other
	// runs, for example); they are not checked.
	Foreign int `json:"foreign"`

	// Problems describes the first few problems found; never nil.
	Problems []string `json:"problems"`
}

// OK reports whether the journal recorded every order answered correctly
// once, as sent, and holds nothing malformed.
func (r *JournalReport) OK() bool {
	return r.Duplicated == 0 && r.Missing == 0 && r.Malformed == 0 && r.Mismatched == 0
}

func (r *JournalReport) problem(format string, args ...any) {
	if len(r.Problems) < maxErrors {
		r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
	}
}

// CheckJournal checks the CGI demo's journal at path against the orders
// placed (Result.Orders): each order answered correctly is recorded once,
// each recorded order is recorded as sent, no order is recorded twice, and
// every line is well formed. A journal that does not exist is empty. The
// error is for a journal that cannot be read; what is wrong with its
// content is in the report.
func CheckJournal(path string, orders []Order) (JournalReport, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return checkJournal(strings.NewReader(""), orders)
	}
	if err != nil {
		return JournalReport{}, fmt.Errorf("opening the journal: %w", err)
	}
	defer f.Close()
	rep, err := checkJournal(f, orders)
	if err != nil {
		return rep, fmt.Errorf("reading the journal %s: %w", path, err)
	}
	return rep, nil
}

func checkJournal(r io.Reader, orders []Order) (JournalReport, error) {
	rep := JournalReport{Orders: len(orders), Problems: []string{}}
	byKey := make(map[string]*Order, len(orders))
	for i := range orders {
		byKey[orders[i].Key] = &orders[i]
	}
	seen := make(map[string]int, len(orders))
	br := bufio.NewReader(r)
	for n := 1; ; n++ {
		line, err := br.ReadString('\n')
		if err == io.EOF && line == "" {
			break
		}
		if err != nil && err != io.EOF {
			return rep, err
		}
		rep.Lines++
		key, ok := parseJournalLine(line)
		if !ok {
			rep.Malformed++
			rep.problem("line %d malformed: %.100q", n, line)
			continue
		}
		o := byKey[key]
		if o == nil {
			rep.Foreign++
			continue
		}
		seen[key]++
		switch seen[key] {
		case 1:
			rep.Recorded++
		case 2:
			rep.Duplicated++
			rep.problem("line %d: order %s recorded again", n, key)
		}
		if line != o.Line {
			rep.Mismatched++
			rep.problem("line %d: order %s recorded as %q, sent as %q", n, key, strings.TrimSuffix(line, "\n"), strings.TrimSuffix(o.Line, "\n"))
		}
	}
	for _, o := range orders {
		if o.OK && seen[o.Key] == 0 {
			rep.Missing++
			rep.problem("order %s answered but not recorded", o.Key)
		}
	}
	return rep, nil
}

// parseJournalLine returns the key of a line of the form
// "KEY LENGTH SHA256\n", and whether it has that form.
func parseJournalLine(line string) (key string, ok bool) {
	body, ok := strings.CutSuffix(line, "\n")
	if !ok {
		return "", false
	}
	f := strings.Split(body, " ")
	if len(f) != 3 || f[0] == "" || len(f[2]) != 64 {
		return "", false
	}
	if n, err := strconv.Atoi(f[1]); err != nil || n < 0 || strconv.Itoa(n) != f[1] {
		return "", false
	}
	for _, c := range f[2] {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return "", false
		}
	}
	return f[0], true
}
