package libzl

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/google/go-cmp/cmp"
)

// This file reads the constants out of a generated uapi header: every
// "#define ZLR_..." with an integer or string value and every enum entry,
// with implicit values and "= (__X - 1)" style expressions evaluated.

var (
	blockComment = regexp.MustCompile(`(?s)/\*.*?\*/`)
	lineComment  = regexp.MustCompile(`//[^\n]*`)
	defineRE     = regexp.MustCompile(`^\s*#\s*define\s+(\w+)(\(?)\s*(.*?)\s*$`)
	enumRE       = regexp.MustCompile(`\benum\s*(\w*)\s*\{([^}]*)\}`)
	entryRE      = regexp.MustCompile(`^(\w+)\s*(?:=\s*(.+))?$`)
)

// headerConstants returns the constants of a header whose names start with
// prefix (or "__" and prefix), as int64 or string values. It fails on any
// such definition it cannot read.
func headerConstants(src, prefix string) (map[string]any, error) {
	src = blockComment.ReplaceAllStringFunc(src, func(c string) string {
		// Keep the line count for messages.
		return strings.Repeat("\n", strings.Count(c, "\n"))
	})
	src = lineComment.ReplaceAllString(src, "")
	// Join continued lines.
	src = strings.ReplaceAll(src, "\\\n", " ")

	consts := map[string]any{}
	ours := func(name string) bool {
		return strings.HasPrefix(name, prefix) || strings.HasPrefix(name, "__"+prefix)
	}
	add := func(name string, v any) error {
		if _, dup := consts[name]; dup {
			return fmt.Errorf("%s defined twice", name)
		}
		consts[name] = v
		return nil
	}

	for n, line := range strings.Split(src, "\n") {
		m := defineRE.FindStringSubmatch(line)
		if m == nil || !ours(m[1]) {
			continue
		}
		name, fnLike, value := m[1], m[2], m[3]
		if fnLike != "" {
			return nil, fmt.Errorf("line %d: function-like macro %s is not supported", n+1, name)
		}
		if value == "" {
			return nil, fmt.Errorf("line %d: %s has no value", n+1, name)
		}
		var v any
		if strings.HasPrefix(value, `"`) {
			s, err := strconv.Unquote(value)
			if err != nil {
				return nil, fmt.Errorf("line %d: %s: bad string %s", n+1, name, value)
			}
			v = s
		} else {
			i, err := evalExpr(value, consts)
			if err != nil {
				return nil, fmt.Errorf("line %d: %s: %w", n+1, name, err)
			}
			v = i
		}
		if err := add(name, v); err != nil {
			return nil, fmt.Errorf("line %d: %w", n+1, err)
		}
	}

	for _, m := range enumRE.FindAllStringSubmatch(src, -1) {
		enum := m[1]
		if enum == "" {
			enum = "(anonymous)"
		}
		next := int64(0)
		for _, entry := range strings.Split(m[2], ",") {
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			e := entryRE.FindStringSubmatch(entry)
			if e == nil {
				return nil, fmt.Errorf("enum %s: cannot read entry %q", enum, entry)
			}
			name := e[1]
			if !ours(name) {
				return nil, fmt.Errorf("enum %s: entry %s lacks the %s prefix", enum, name, prefix)
			}
			if e[2] != "" {
				v, err := evalExpr(e[2], consts)
				if err != nil {
					return nil, fmt.Errorf("enum %s: %s: %w", enum, name, err)
				}
				next = v
			}
			if err := add(name, next); err != nil {
				return nil, fmt.Errorf("enum %s: %w", enum, err)
			}
			next++
		}
	}
	return consts, nil
}

// evalExpr evaluates a C integer constant expression made of literals,
// known names, parentheses and the operators ~ * / + - << >> & ^ |.
func evalExpr(s string, names map[string]any) (int64, error) {
	p := &exprParser{names: names}
	if err := p.tokenize(s); err != nil {
		return 0, err
	}
	v, err := p.or()
	if err != nil {
		return 0, err
	}
	if p.pos != len(p.toks) {
		return 0, fmt.Errorf("unexpected %q in %q", p.toks[p.pos], s)
	}
	return v, nil
}

type exprParser struct {
	toks  []string
	pos   int
	names map[string]any
}

func (p *exprParser) tokenize(s string) error {
	for i := 0; i < len(s); {
		c := rune(s[i])
		switch {
		case unicode.IsSpace(c):
			i++
		case c == '_' || unicode.IsLetter(c) || unicode.IsDigit(c):
			j := i
			for j < len(s) && (s[j] == '_' || unicode.IsLetter(rune(s[j])) || unicode.IsDigit(rune(s[j]))) {
				j++
			}
			p.toks = append(p.toks, s[i:j])
			i = j
		case strings.HasPrefix(s[i:], "<<") || strings.HasPrefix(s[i:], ">>"):
			p.toks = append(p.toks, s[i:i+2])
			i += 2
		case strings.ContainsRune("()~*/+-&^|", c):
			p.toks = append(p.toks, s[i:i+1])
			i++
		default:
			return fmt.Errorf("unsupported character %q in %q", c, s)
		}
	}
	if len(p.toks) == 0 {
		return fmt.Errorf("empty expression")
	}
	return nil
}

func (p *exprParser) peek() string {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return ""
}

// binary parses a left-associative level of binary operators.
func (p *exprParser) binary(next func() (int64, error), ops map[string]func(a, b int64) (int64, error)) (int64, error) {
	v, err := next()
	if err != nil {
		return 0, err
	}
	for {
		op, ok := ops[p.peek()]
		if !ok {
			return v, nil
		}
		p.pos++
		w, err := next()
		if err != nil {
			return 0, err
		}
		if v, err = op(v, w); err != nil {
			return 0, err
		}
	}
}

func (p *exprParser) or() (int64, error) {
	return p.binary(p.xor, map[string]func(a, b int64) (int64, error){"|": func(a, b int64) (int64, error) { return a | b, nil }})
}

func (p *exprParser) xor() (int64, error) {
	return p.binary(p.and, map[string]func(a, b int64) (int64, error){"^": func(a, b int64) (int64, error) { return a ^ b, nil }})
}

func (p *exprParser) and() (int64, error) {
	return p.binary(p.shift, map[string]func(a, b int64) (int64, error){"&": func(a, b int64) (int64, error) { return a & b, nil }})
}

func (p *exprParser) shift() (int64, error) {
	return p.binary(p.additive, map[string]func(a, b int64) (int64, error){
		"<<": func(a, b int64) (int64, error) {
			if b < 0 || b > 63 {
				return 0, fmt.Errorf("shift by %d", b)
			}
			return a << b, nil
		},
		">>": func(a, b int64) (int64, error) {
			if b < 0 || b > 63 {
				return 0, fmt.Errorf("shift by %d", b)
			}
			return a >> b, nil
		},
	})
}

func (p *exprParser) additive() (int64, error) {
	return p.binary(p.multiplicative, map[string]func(a, b int64) (int64, error){
		"+": func(a, b int64) (int64, error) { return a + b, nil },
		"-": func(a, b int64) (int64, error) { return a - b, nil },
	})
}

func (p *exprParser) multiplicative() (int64, error) {
	return p.binary(p.unary, map[string]func(a, b int64) (int64, error){
		"*": func(a, b int64) (int64, error) { return a * b, nil },
		"/": func(a, b int64) (int64, error) {
			if b == 0 {
				return 0, fmt.Errorf("division by zero")
			}
			return a / b, nil
		},
	})
}

func (p *exprParser) unary() (int64, error) {
	tok := p.peek()
	switch tok {
	case "":
		return 0, fmt.Errorf("expression ends early")
	case "-", "~", "+":
		p.pos++
		v, err := p.unary()
		if err != nil {
			return 0, err
		}
		switch tok {
		case "-":
			return -v, nil
		case "~":
			return ^v, nil
		}
		return v, nil
	case "(":
		p.pos++
		v, err := p.or()
		if err != nil {
			return 0, err
		}
		if p.peek() != ")" {
			return 0, fmt.Errorf("missing )")
		}
		p.pos++
		return v, nil
	}
	p.pos++
	if c := tok[0]; c >= '0' && c <= '9' {
		lit := strings.TrimRight(tok, "uUlL")
		v, err := strconv.ParseInt(lit, 0, 64)
		if err != nil {
			return 0, fmt.Errorf("bad number %q", tok)
		}
		return v, nil
	}
	v, ok := p.names[tok]
	if !ok {
		return 0, fmt.Errorf("unknown name %s", tok)
	}
	i, ok := v.(int64)
	if !ok {
		return 0, fmt.Errorf("%s is not an integer", tok)
	}
	return i, nil
}

func TestHeaderConstants(t *testing.T) {
	tests := []struct {
		name    string
		src     string
		want    map[string]any
		wantErr string
	}{
		{
			name: "defines and enums",
			src: `/* SPDX */
#ifndef _UAPI_LINUX_ZLR_H
#define _UAPI_LINUX_ZLR_H
#define ZLR_FAMILY_NAME	"zlr"  /* comment */
#define ZLR_X		0x10
#define ZLR_Y		(ZLR_X << 2) // comment
#define  ZLR_Z 7U
/**
 * enum zlr_flags - #define ZLR_NOT_THIS 3
 */
enum zlr_flags {
	ZLR_F_A = 1,
	ZLR_F_B = 2,
};
enum {
	ZLR_A_ONE = 1,
	ZLR_A_TWO,

	__ZLR_A_MAX,
	ZLR_A_MAX = (__ZLR_A_MAX - 1)
};
enum { ZLR_ZERO, ZLR_NEXT };
#endif /* _UAPI_LINUX_ZLR_H */
`,
			want: map[string]any{
				"ZLR_FAMILY_NAME": "zlr",
				"ZLR_X":           int64(16),
				"ZLR_Y":           int64(64),
				"ZLR_Z":           int64(7),
				"ZLR_F_A":         int64(1),
				"ZLR_F_B":         int64(2),
				"ZLR_A_ONE":       int64(1),
				"ZLR_A_TWO":       int64(2),
				"__ZLR_A_MAX":     int64(3),
				"ZLR_A_MAX":       int64(2),
				"ZLR_ZERO":        int64(0),
				"ZLR_NEXT":        int64(1),
			},
		},
		{
			name:    "function-like macro",
			src:     "#define ZLR_F(x) (x)\n",
			wantErr: "line 1: function-like macro ZLR_F is not supported",
		},
		{
			name:    "unknown name",
			src:     "enum { ZLR_A = ZLR_B + 1 };\n",
			wantErr: "enum (anonymous): ZLR_A: unknown name ZLR_B",
		},
		{
			name:    "foreign enum entry",
			src:     "enum zlr_x { FOO = 1 };\n",
			wantErr: "enum zlr_x: entry FOO lacks the ZLR_ prefix",
		},
		{
			name:    "duplicate",
			src:     "#define ZLR_A 1\nenum { ZLR_A = 2 };\n",
			wantErr: "enum (anonymous): ZLR_A defined twice",
		},
		{
			name:    "unreadable value",
			src:     "#define ZLR_A sizeof(int)\n",
			wantErr: "line 1: ZLR_A: unknown name sizeof",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := headerConstants(tt.src, "ZLR_")
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("constants (-want +got):\n%s", diff)
			}
		})
	}
}
