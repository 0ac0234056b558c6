package policy

import (
	"strings"
	"testing"
)

func TestPatternMatch(t *testing.T) {
	tests := []struct {
		name string
		pat  string // escaped pattern source
		fold bool
		s    string
		want bool
	}{
		{"exact", "abc", false, "abc", true},
		{"exact differs", "abc", false, "abd", false},
		{"exact case-sensitive", "abc", false, "ABC", false},
		{"exact folded", "sts:AssumeRole", true, "STS:assumerole", true},
		{"star alone", "*", false, "", true},
		{"prefix", "ab*", false, "abcdef", true},
		{"prefix too short", "abc*", false, "ab", false},
		{"prefix folded", "iam:Get*", true, "IAM:GETROLE", true},
		{"suffix", "*def", false, "abcdef", true},
		{"infix", "a*c*e", false, "abcde", true},
		{"infix fails", "a*c*e", false, "abcdx", false},
		{"backtracking", "*a*b", false, "aaab", true},
		{"backtracking fails", "*a*b", false, "aaac", false},
		{"double star", "a**b", false, "ab", true},
		{"question one byte", "a?c", false, "abc", true},
		{"question needs a char", "a?c", false, "ac", false},
		{"question one rune", "a?c", false, "aéc", true},
		{"question after star on multibyte", "*?z", false, "ééz", true},
		{"escaped star literal", `a\*c`, false, "a*c", true},
		{"escaped star not wildcard", `a\*c`, false, "abc", false},
		{"escaped question literal", `a\?`, false, "a?", true},
		{"escaped backslash", `a\\b`, false, `a\b`, true},
		{"escaped prefix", `a\**`, false, "a*bc", true},
		{"escaped prefix not wildcard", `a\**`, false, "abc", false},
		{"star then literal at end", "*.amazonaws.com", false, "rolesanywhere.amazonaws.com", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := compilePattern(tt.pat, tt.fold)
			if got := p.match(tt.s); got != tt.want {
				t.Errorf("compilePattern(%q).match(%q) = %v, want %v", tt.pat, tt.s, got, tt.want)
			}
			// The general matcher must agree with every fast path.
			pat := tt.pat
			if tt.fold {
				pat = strings.ToLower(pat)
			}
			if got := globMatch(pat, tt.s, tt.fold); got != tt.want {
				t.Errorf("globMatch(%q, %q) = %v, want %v", pat, tt.s, got, tt.want)
			}
		})
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "a*b?c", `back\slash`, `*?\`} {
		t.Run(s, func(t *testing.T) {
			if got := unescapeGlob(escapeGlob(s)); got != s {
				t.Errorf("unescape(escape(%q)) = %q", s, got)
			}
			p := compilePattern(escapeGlob(s), false)
			if !p.match(s) {
				t.Errorf("literal pattern %q does not match itself", s)
			}
			if globMatch(escapeGlob(s), s+"x", false) {
				t.Errorf("escaped %q matches a longer string", s)
			}
		})
	}
}
