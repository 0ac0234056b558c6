package policy

import (
	"strings"
	"unicode/utf8"
)

// pattern is a compiled IAM wildcard pattern: '*' matches any run of
// characters (including none) and '?' exactly one character. In src a
// literal '*', '?' or '\' (as produced by the ${*}, ${?} escapes and by
// substituted variable values) is preceded by '\'.
type pattern struct {
	src  string
	lit  string // the unescaped literal, for patExact and patPrefix
	kind patternKind
	fold bool // ASCII case-insensitive (actions)
}

type patternKind uint8

const (
	patGeneral patternKind = iota
	patAny                 // "*"
	patExact               // no wildcard
	patPrefix              // literal followed by a single trailing '*'
)

// compilePattern compiles an escaped pattern source. With fold set the
// pattern matches ASCII letters case-insensitively.
func compilePattern(src string, fold bool) pattern {
	if fold {
		src = asciiLower(src)
	}
	p := pattern{src: src, fold: fold}
	switch w := firstWildcard(src); {
	case src == "*":
		p.kind = patAny
	case w < 0:
		p.kind, p.lit = patExact, unescapeGlob(src)
	case w == len(src)-1 && src[w] == '*':
		p.kind, p.lit = patPrefix, unescapeGlob(src[:w])
	}
	return p
}

func (p *pattern) match(s string) bool {
	switch p.kind {
	case patAny:
		return true
	case patExact:
		if p.fold {
			return asciiEqualFold(p.lit, s)
		}
		return p.lit == s
	case patPrefix:
		if len(s) < len(p.lit) {
			return false
		}
		if p.fold {
			return asciiEqualFold(p.lit, s[:len(p.lit)])
		}
		return s[:len(p.lit)] == p.lit
	}
	return globMatch(p.src, s, p.fold)
}

// globMatch reports whether s matches the escaped pattern pat. It runs in
// O(len(pat)·len(s)) time without recursion: on a mismatch it retries
// from the most recent '*', letting that star absorb one more character.
func globMatch(pat, s string, fold bool) bool {
	px, sx := 0, 0
	starPx, starSx := -1, 0
	for px < len(pat) || sx < len(s) {
		if px < len(pat) {
			switch c := pat[px]; c {
			case '*':
				starPx, starSx = px+1, sx
				px++
				continue
			case '?':
				if sx < len(s) {
					_, n := utf8.DecodeRuneInString(s[sx:])
					px++
					sx += n
					continue
				}
			default:
				n := 1
				if c == '\\' && px+1 < len(pat) {
					c, n = pat[px+1], 2
				}
				if sx < len(s) && byteEqual(c, s[sx], fold) {
					px += n
					sx++
					continue
				}
			}
		}
		if starPx >= 0 && starSx < len(s) {
			_, n := utf8.DecodeRuneInString(s[starSx:])
			starSx += n
			px, sx = starPx, starSx
			continue
		}
		return false
	}
	return true
}

func byteEqual(a, b byte, fold bool) bool {
	if a == b {
		return true
	}
	return fold && asciiLowerByte(a) == asciiLowerByte(b)
}

func asciiLowerByte(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				b[j] = asciiLowerByte(b[j])
			}
			return string(b)
		}
	}
	return s
}

func asciiEqualFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if asciiLowerByte(a[i]) != asciiLowerByte(b[i]) {
			return false
		}
	}
	return true
}

// firstWildcard returns the index of the first unescaped '*' or '?' in the
// escaped pattern src, or -1.
func firstWildcard(src string) int {
	for i := 0; i < len(src); i++ {
		switch src[i] {
		case '\\':
			i++
		case '*', '?':
			return i
		}
	}
	return -1
}

// escapeGlob escapes s so that every character in it is literal.
func escapeGlob(s string) string {
	if !strings.ContainsAny(s, `*?\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 4)
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '*' || c == '?' || c == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// escapeBackslashes escapes only '\', keeping '*' and '?' as wildcards:
// the form of policy text in a wildcard context.
func escapeBackslashes(s string) string {
	return strings.ReplaceAll(s, `\`, `\\`)
}

func unescapeGlob(src string) string {
	if !strings.Contains(src, `\`) {
		return src
	}
	var b strings.Builder
	for i := 0; i < len(src); i++ {
		if src[i] == '\\' && i+1 < len(src) {
			i++
		}
		b.WriteByte(src[i])
	}
	return b.String()
}
