package policy

import (
	"fmt"
	"strings"
)

// template is a policy string that may contain policy variables. In
// Version 2012-10-17 documents, Resource entries and the values of
// String*, Arn* and Bool conditions may contain:
//
//	${key}               the single value of context key key (case-insensitive)
//	${key, 'default'}    the same, or default when the key is absent ('' in
//	                     the default is a quote)
//	${*} ${?} ${$}       a literal '*', '?' or '$'
//
// A variable whose key is absent from the request, or has several values
// (IAM does not substitute multivalued keys), cannot be resolved: the
// policy value containing it matches nothing. Substitution is a single
// pass; substituted text is never re-scanned, and in wildcard contexts it
// is literal (a username containing '*' is not a wildcard).
type template struct {
	raw  string
	segs []segment // nil when raw holds no variables
}

type segmentKind uint8

const (
	segText    segmentKind = iota // policy text: '*' and '?' are wildcards in wildcard contexts
	segLiteral                    // text from ${*}, ${?}, ${$}: always literal
	segVar
)

type segment struct {
	kind   segmentKind
	text   string // segText, segLiteral; the key as written for segVar
	key    string // lower-cased context key
	def    string
	hasDef bool
}

// parseTemplate splits s into text, escapes and variables. With vars false
// (documents older than 2012-10-17) s is all text.
func parseTemplate(s string, vars bool) (template, error) {
	t := template{raw: s}
	if !vars || !strings.Contains(s, "${") {
		return t, nil
	}
	rest := s
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			t.addText(rest)
			break
		}
		t.addText(rest[:i])
		seg, n, err := parseVariable(rest[i+2:])
		if err != nil {
			return template{}, err
		}
		t.segs = append(t.segs, seg)
		rest = rest[i+2+n:]
	}
	return t, nil
}

func (t *template) addText(s string) {
	if s != "" {
		t.segs = append(t.segs, segment{kind: segText, text: s})
	}
}

// parseVariable parses the inside of "${...}" from s (which starts right
// after "${") and returns the segment and the number of bytes consumed,
// closing brace included.
func parseVariable(s string) (segment, int, error) {
	end := strings.IndexAny(s, ",}")
	if end < 0 {
		return segment{}, 0, fmt.Errorf("unterminated policy variable \"${%s\"", s)
	}
	name := strings.TrimSpace(s[:end])
	if name == "" {
		return segment{}, 0, fmt.Errorf("empty policy variable in \"${%s\"", s)
	}
	if s[end] == '}' {
		switch name {
		case "*", "?", "$":
			return segment{kind: segLiteral, text: name}, end + 1, nil
		}
		return segment{kind: segVar, text: name, key: strings.ToLower(name)}, end + 1, nil
	}
	// A default value: ${key, 'text'}.
	i := end + 1
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i >= len(s) || s[i] != '\'' {
		return segment{}, 0, fmt.Errorf("policy variable ${%s...}: default value must be in single quotes", name)
	}
	i++
	var def strings.Builder
	for {
		if i >= len(s) {
			return segment{}, 0, fmt.Errorf("policy variable ${%s...}: unterminated default value", name)
		}
		if s[i] == '\'' {
			if i+1 < len(s) && s[i+1] == '\'' {
				def.WriteByte('\'')
				i += 2
				continue
			}
			i++
			break
		}
		def.WriteByte(s[i])
		i++
	}
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i >= len(s) || s[i] != '}' {
		return segment{}, 0, fmt.Errorf("policy variable ${%s...}: expected '}' after the default value", name)
	}
	return segment{kind: segVar, text: name, key: strings.ToLower(name), def: def.String(), hasDef: true}, i + 1, nil
}

// dynamic reports whether t has variables that need a request to resolve.
func (t *template) dynamic() bool {
	for _, s := range t.segs {
		if s.kind == segVar {
			return true
		}
	}
	return false
}

// render resolves t against ctx. With glob set the result is an escaped
// pattern source: policy text keeps its wildcards and everything else is
// literal. It returns the name of the first variable it could not resolve
// and false when the value cannot be used.
func (t *template) render(ctx *Context, glob bool) (string, string, bool) {
	if t.segs == nil {
		if glob {
			return escapeBackslashes(t.raw), "", true
		}
		return t.raw, "", true
	}
	var b strings.Builder
	b.Grow(len(t.raw) + 16)
	for i := range t.segs {
		s := &t.segs[i]
		var text string
		literal := true
		switch s.kind {
		case segText:
			text, literal = s.text, false
		case segLiteral:
			text = s.text
		case segVar:
			vals := ctx.lookup(s.key)
			switch {
			case len(vals) == 1:
				text = vals[0]
			case s.hasDef:
				text = s.def
			default:
				return "", s.text, false
			}
		}
		switch {
		case !glob:
			b.WriteString(text)
		case literal:
			b.WriteString(escapeGlob(text))
		default:
			b.WriteString(escapeBackslashes(text))
		}
	}
	return b.String(), "", true
}
