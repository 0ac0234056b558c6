package policy

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// baseOperator is a condition operator without qualifiers or negation.
// Negated operators (StringNotEquals, NotIpAddress, ...) share the base of
// their positive form.
type baseOperator uint8

const (
	opStringEquals baseOperator = iota + 1
	opStringEqualsIgnoreCase
	opStringLike
	opNumericEquals
	opNumericLessThan
	opNumericLessThanEquals
	opNumericGreaterThan
	opNumericGreaterThanEquals
	opDateEquals
	opDateLessThan
	opDateLessThanEquals
	opDateGreaterThan
	opDateGreaterThanEquals
	opBool
	opBinaryEquals
	opIPAddress
	opArnLike // ArnEquals and ArnLike: IAM documents them as the same test
	opNull
)

// lookupOperator resolves an operator name (qualifiers removed).
func lookupOperator(name string) (op baseOperator, negated bool, ok bool) {
	switch name {
	case "StringEquals":
		return opStringEquals, false, true
	case "StringNotEquals":
		return opStringEquals, true, true
	case "StringEqualsIgnoreCase":
		return opStringEqualsIgnoreCase, false, true
	case "StringNotEqualsIgnoreCase":
		return opStringEqualsIgnoreCase, true, true
	case "StringLike":
		return opStringLike, false, true
	case "StringNotLike":
		return opStringLike, true, true
	case "NumericEquals":
		return opNumericEquals, false, true
	case "NumericNotEquals":
		return opNumericEquals, true, true
	case "NumericLessThan":
		return opNumericLessThan, false, true
	case "NumericLessThanEquals":
		return opNumericLessThanEquals, false, true
	case "NumericGreaterThan":
		return opNumericGreaterThan, false, true
	case "NumericGreaterThanEquals":
		return opNumericGreaterThanEquals, false, true
	case "DateEquals":
		return opDateEquals, false, true
	case "DateNotEquals":
		return opDateEquals, true, true
	case "DateLessThan":
		return opDateLessThan, false, true
	case "DateLessThanEquals":
		return opDateLessThanEquals, false, true
	case "DateGreaterThan":
		return opDateGreaterThan, false, true
	case "DateGreaterThanEquals":
		return opDateGreaterThanEquals, false, true
	case "Bool":
		return opBool, false, true
	case "BinaryEquals":
		return opBinaryEquals, false, true
	case "IpAddress":
		return opIPAddress, false, true
	case "NotIpAddress":
		return opIPAddress, true, true
	case "ArnEquals", "ArnLike":
		return opArnLike, false, true
	case "ArnNotEquals", "ArnNotLike":
		return opArnLike, true, true
	case "Null":
		return opNull, false, true
	}
	return 0, false, false
}

// acceptsVariables reports whether IAM substitutes policy variables in the
// operator's values: it does for the string, ARN and Bool operators only.
func (op baseOperator) acceptsVariables() bool {
	switch op {
	case opStringEquals, opStringEqualsIgnoreCase, opStringLike, opBool, opArnLike:
		return true
	}
	return false
}

type setQualifier uint8

const (
	setNone setQualifier = iota
	setForAnyValue
	setForAllValues
)

// compiledCondition is the evaluable form of a Condition.
type compiledCondition struct {
	op       baseOperator
	negated  bool
	ifExists bool
	set      setQualifier
	key      string // lower-cased
	values   []conditionValue
}

// conditionValue is one policy value, converted once at parse time to the
// form its operator compares. Values with policy variables are kept as a
// template and converted per request.
type conditionValue struct {
	dynamic bool
	tmpl    template
	str     string // StringEquals*, Bool
	glob    pattern
	arn     arnPattern
	num     float64
	time    time.Time
	prefix  netip.Prefix
	bin     []byte
	null    bool // Null: true means "key must be absent"
}

// parseOperator parses an operator name with its ForAnyValue:/ForAllValues:
// prefix and IfExists suffix.
func parseOperator(name string) (compiledCondition, error) {
	var c compiledCondition
	rest := name
	switch {
	case strings.HasPrefix(rest, "ForAnyValue:"):
		c.set, rest = setForAnyValue, rest[len("ForAnyValue:"):]
	case strings.HasPrefix(rest, "ForAllValues:"):
		c.set, rest = setForAllValues, rest[len("ForAllValues:"):]
	}
	if base, ok := strings.CutSuffix(rest, "IfExists"); ok {
		c.ifExists, rest = true, base
	}
	op, negated, ok := lookupOperator(rest)
	if !ok {
		return c, fmt.Errorf("unknown condition operator %q", name)
	}
	if op == opNull && (c.ifExists || c.set != setNone) {
		return c, fmt.Errorf("condition operator %q: Null takes neither IfExists nor a set qualifier", name)
	}
	c.op, c.negated = op, negated
	return c, nil
}

// compileValue converts one policy value for op. vars says whether the
// document substitutes policy variables (Version 2012-10-17).
func compileValue(op baseOperator, raw string, vars bool) (conditionValue, error) {
	var v conditionValue
	if op.acceptsVariables() {
		t, err := parseTemplate(raw, vars)
		if err != nil {
			return v, err
		}
		if t.dynamic() {
			v.dynamic, v.tmpl = true, t
			return v, nil
		}
		plain, _, _ := t.render(nil, false)
		glob, _, _ := t.render(nil, true)
		switch op {
		case opStringEquals, opStringEqualsIgnoreCase:
			v.str = plain
		case opStringLike:
			v.glob = compilePattern(glob, false)
		case opArnLike:
			v.arn = compileArnPattern(glob)
		case opBool:
			if !strings.EqualFold(plain, "true") && !strings.EqualFold(plain, "false") {
				return v, fmt.Errorf("value %q is not a boolean (true or false)", raw)
			}
			v.str = plain
		}
		return v, nil
	}
	var ok bool
	switch op {
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		if v.num, ok = parseNumber(raw); !ok {
			return v, fmt.Errorf("value %q is not a number", raw)
		}
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		if v.time, ok = parseDate(raw); !ok {
			return v, fmt.Errorf("value %q is not an ISO 8601 date or epoch seconds", raw)
		}
	case opIPAddress:
		if v.prefix, ok = parseIPPrefix(raw); !ok {
			return v, fmt.Errorf("value %q is not an IP address or CIDR block", raw)
		}
	case opBinaryEquals:
		if v.bin, ok = decodeBase64(raw); !ok {
			return v, fmt.Errorf("value %q is not base64", raw)
		}
	case opNull:
		switch {
		case strings.EqualFold(raw, "true"):
			v.null = true
		case strings.EqualFold(raw, "false"):
		default:
			return v, fmt.Errorf("value %q is not a boolean (true or false)", raw)
		}
	}
	return v, nil
}

// eval reports whether the condition holds for ctx.
//
// A key with no values is absent. IAM documents the absent case: "If the
// key that you specify in a policy condition is not present in the request
// context, the values do not match and the condition is false. If the
// policy condition requires that the key is not matched, such as
// StringNotLike or ArnNotLike, and the right key is not present, the
// condition is true. This logic applies to all condition operators except
// ...IfExists and Null check." (IAM User Guide, "IAM JSON policy elements:
// Condition operators"). So an absent key makes positive operators false,
// negated operators true, ...IfExists operators true, ForAllValues true
// and ForAnyValue false ("Set operators for multivalued context keys").
//
// Several policy values are ORed: a positive operator holds when a request
// value matches any of them; a negated one when it matches none (so
// StringNotEquals with several values means "not equal to any"). Without a
// set qualifier a multivalued key behaves like ForAnyValue for positive
// operators and as the negation of that for negated ones.
func (c *compiledCondition) eval(ctx *Context) bool {
	vals := ctx.lookup(c.key)
	if c.op == opNull {
		for i := range c.values {
			if c.values[i].null == (len(vals) == 0) {
				return true
			}
		}
		return false
	}
	if len(vals) == 0 {
		switch {
		case c.ifExists, c.set == setForAllValues:
			return true
		case c.set == setForAnyValue:
			return false
		}
		return c.negated
	}
	switch c.set {
	case setForAnyValue:
		for _, r := range vals {
			if c.matchAny(r, ctx) != c.negated {
				return true
			}
		}
		return false
	case setForAllValues:
		for _, r := range vals {
			if c.matchAny(r, ctx) == c.negated {
				return false
			}
		}
		return true
	}
	for _, r := range vals {
		if c.matchAny(r, ctx) {
			return !c.negated
		}
	}
	return c.negated
}

// matchAny reports whether request value r matches any policy value, and
// is the positive form of the operator.
func (c *compiledCondition) matchAny(r string, ctx *Context) bool {
	return c.firstMatch(r, ctx) >= 0
}

// firstMatch returns the index of the first policy value r matches, or -1.
func (c *compiledCondition) firstMatch(r string, ctx *Context) int {
	for i := range c.values {
		if c.matchValue(&c.values[i], r, ctx) {
			return i
		}
	}
	return -1
}

func (c *compiledCondition) matchValue(v *conditionValue, r string, ctx *Context) bool {
	if v.dynamic {
		return c.matchDynamic(v, r, ctx)
	}
	switch c.op {
	case opStringEquals:
		return r == v.str
	case opStringEqualsIgnoreCase, opBool:
		return strings.EqualFold(r, v.str)
	case opStringLike:
		return v.glob.match(r)
	case opArnLike:
		return v.arn.match(r)
	case opNumericEquals, opNumericLessThan, opNumericLessThanEquals, opNumericGreaterThan, opNumericGreaterThanEquals:
		n, ok := parseNumber(r)
		return ok && compareOK(c.op, cmpFloat(n, v.num))
	case opDateEquals, opDateLessThan, opDateLessThanEquals, opDateGreaterThan, opDateGreaterThanEquals:
		t, ok := parseDate(r)
		return ok && compareOK(c.op, t.Compare(v.time))
	case opIPAddress:
		a, err := netip.ParseAddr(r)
		return err == nil && v.prefix.Contains(a.WithZone("").Unmap())
	case opBinaryEquals:
		b, ok := decodeBase64(r)
		return ok && bytes.Equal(b, v.bin)
	}
	return false
}

// matchDynamic resolves the policy variables of v and compares. A value
// whose variables cannot be resolved matches nothing.
func (c *compiledCondition) matchDynamic(v *conditionValue, r string, ctx *Context) bool {
	glob := c.op == opStringLike || c.op == opArnLike
	s, _, ok := v.tmpl.render(ctx, glob)
	if !ok {
		return false
	}
	switch c.op {
	case opStringEquals:
		return r == s
	case opStringEqualsIgnoreCase, opBool:
		return strings.EqualFold(r, s)
	case opStringLike:
		p := compilePattern(s, false)
		return p.match(r)
	case opArnLike:
		p := compileArnPattern(s)
		return p.match(r)
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// compareOK maps a three-way comparison of request against policy value to
// the operator's verdict.
func compareOK(op baseOperator, cmp int) bool {
	switch op {
	case opNumericEquals, opDateEquals:
		return cmp == 0
	case opNumericLessThan, opDateLessThan:
		return cmp < 0
	case opNumericLessThanEquals, opDateLessThanEquals:
		return cmp <= 0
	case opNumericGreaterThan, opDateGreaterThan:
		return cmp > 0
	case opNumericGreaterThanEquals, opDateGreaterThanEquals:
		return cmp >= 0
	}
	return false
}

// parseNumber accepts IAM's numeric literals: an optional sign, digits with
// an optional fraction, and an optional exponent. It rejects what
// strconv.ParseFloat would otherwise take (Inf, NaN, hex, underscores).
func parseNumber(s string) (float64, bool) {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := 0
	for i < len(s) && isDigit(s[i]) {
		i, digits = i+1, digits+1
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && isDigit(s[i]) {
			i, digits = i+1, digits+1
		}
	}
	if digits == 0 {
		return 0, false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		exp := 0
		for i < len(s) && isDigit(s[i]) {
			i, exp = i+1, exp+1
		}
		if exp == 0 {
			return 0, false
		}
	}
	if i != len(s) {
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return f, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parseDate accepts epoch seconds and the ISO 8601 forms IAM documents
// (extended and basic, with or without time, seconds, fraction and zone;
// a missing zone means UTC).
func parseDate(s string) (time.Time, bool) {
	if s == "" {
		return time.Time{}, false
	}
	if allDigits(strings.TrimPrefix(s, "-")) {
		// All digits: epoch seconds (so the basic date-only form
		// YYYYMMDD is read as epoch seconds too).
		n, err := strconv.ParseInt(s, 10, 64)
		return time.Unix(n, 0).UTC(), err == nil
	}
	layouts := [...]string{
		time.RFC3339, // also takes a fractional second
		"2006-01-02T15:04Z07:00",
		"2006-01-02T15:04:05Z0700",
		"2006-01-02T15:04:05",
		"2006-01-02T15:04",
		"2006-01-02",
		"20060102T150405Z07:00",
		"20060102T150405Z0700",
		"20060102T150405",
		"20060102T1504Z07:00",
	}
	for _, l := range layouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseIPPrefix accepts a CIDR block or a single address (a /32 or /128).
func parseIPPrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		if p.Addr().Is4In6() {
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
			if p.Bits() < 0 {
				return netip.Prefix{}, false
			}
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

func decodeBase64(s string) ([]byte, bool) {
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, true
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	return b, err == nil
}

// arnPattern compares an ARN component by component: "Each of the six
// colon-delimited components of the ARN is checked separately and each can
// include multi-character match wildcards (*) or single-character match
// wildcards (?)" (IAM User Guide, ARN condition operators). Wildcards in
// the first five components therefore never cross ':'; the sixth
// (resource) component takes the rest of the ARN, colons included. A
// policy value with fewer than six components compares its last component
// with the rest of the request value, so "*" matches any ARN.
type arnPattern struct {
	n     int
	parts [6]pattern
	// exact is set when no component has a wildcard: component-wise
	// equality is then plain string equality with lit.
	exact bool
	lit   string
}

func compileArnPattern(src string) arnPattern {
	var p arnPattern
	rest := src
	for p.n < 5 {
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			break
		}
		p.parts[p.n] = compilePattern(rest[:i], false)
		p.n++
		rest = rest[i+1:]
	}
	p.parts[p.n] = compilePattern(rest, false)
	p.n++
	if firstWildcard(src) < 0 {
		p.exact, p.lit = true, unescapeGlob(src)
	}
	return p
}

func (p *arnPattern) match(s string) bool {
	if p.exact {
		return s == p.lit
	}
	rest := s
	for i := 0; i < p.n-1; i++ {
		j := strings.IndexByte(rest, ':')
		if j < 0 || !p.parts[i].match(rest[:j]) {
			return false
		}
		rest = rest[j+1:]
	}
	return p.parts[p.n-1].match(rest)
}
