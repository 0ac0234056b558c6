package iam

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/roam-dev/roam/internal/store"
)

// pattern is a constraint from the service model. The model's patterns are
// Java regular expressions matched against the whole value; re is the Go
// equivalent, anchored, and src is the model's text, quoted in messages as
// IAM quotes it.
// The expression is compiled on first use, so process start (which every
// credential_process run pays) does not compile patterns it never uses.
type pattern struct {
	re  func() *regexp.Regexp
	src string
}

func newPattern(goExpr, modelSrc string) *pattern {
	return &pattern{re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:` + goExpr + `)$`) }), src: modelSrc}
}

// Patterns of the IAM service model (2010-05-08).
var (
	roleNamePattern   = newPattern(`[\w+=,.@-]+`, `[\w+=,.@-]+`)
	policyNamePattern = roleNamePattern
	rolePathPattern   = newPattern(`/|/[\x{21}-\x{7E}]+/`, `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
	rolePrefixPattern = newPattern(`/[\x{21}-\x{7F}]*`, `\u002F[\u0021-\u007F]*`)
	policyPathPattern = newPattern(`(/[A-Za-z0-9.,+@=_-]+)*/`, `((/[A-Za-z0-9\.,\+@=_-]+)*)/`)
	documentPattern   = newPattern(`[\t\n\r\x{20}-\x{FF}]+`, `[\u0009\u000A\u000D\u0020-\u00FF]+`)
	roleDescPattern   = newPattern(`[\t\n\r\x{20}-\x{7E}\x{A1}-\x{FF}]*`, `[\u0009\u000A\u000D\u0020-\u007E\u00A1-\u00FF]*`)
	tagKeyPattern     = newPattern(`[\p{L}\p{Z}\p{N}_.:/=+\-@]+`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]+`)
	tagValuePattern   = newPattern(`[\p{L}\p{Z}\p{N}_.:/=+\-@]*`, `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
	versionIDPattern  = newPattern(`v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`, `v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	markerPattern     = newPattern(`[\x{20}-\x{FF}]+`, `[\u0020-\u00FF]+`)
)

// strRule constrains a string parameter: its length in characters and,
// optionally, a pattern.
type strRule struct {
	min, max int
	pat      *pattern
}

// intRule constrains an integer parameter.
type intRule struct{ min, max int64 }

// Constraints of the parameters roam serves, from the service model.
var (
	roleNameRule   = strRule{1, 64, roleNamePattern}
	policyNameRule = strRule{1, 128, policyNamePattern}
	rolePathRule   = strRule{1, 512, rolePathPattern}
	rolePrefixRule = strRule{1, 512, rolePrefixPattern}
	policyPathRule = strRule{1, 512, policyPathPattern}
	documentRule   = strRule{1, 131072, documentPattern}
	roleDescRule   = strRule{0, 1000, roleDescPattern}
	policyDescRule = strRule{0, 1000, nil}
	arnRule        = strRule{20, 2048, nil}
	versionIDRule  = strRule{0, 0, versionIDPattern}
	tagKeyRule     = strRule{1, 128, tagKeyPattern}
	tagValueRule   = strRule{0, 256, tagValuePattern}
	// markerRule departs from the model's 320-character cap: markers are
	// opaque tokens roam issued, and one naming a long non-ASCII tag key
	// is longer than that.
	markerRule          = strRule{1, 1024, markerPattern}
	maxItemsRule        = intRule{1, 1000}
	sessionDurationRule = intRule{3600, 43200}
)

// maxTags is the most tags one request or one role carries.
const maxTags = 50

// form reads the parameters of one request, collecting every constraint
// violation so they are reported together, as IAM does.
type form struct {
	values url.Values
	errs   []string
}

// field names a parameter in validation messages: IAM's messages use the
// model's member name with a lower-case first letter ("roleName").
func field(param string) string {
	if param == "" {
		return param
	}
	return strings.ToLower(param[:1]) + param[1:]
}

func (f *form) fail(fieldName string, value any, constraint string) {
	shown := "null"
	if value != nil {
		shown = "'" + truncate(fmt.Sprint(value)) + "'"
	}
	f.errs = append(f.errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", shown, fieldName, constraint))
}

// truncate shortens long values echoed in messages (policy documents may
// be 128 KiB).
func truncate(s string) string {
	const max = 128
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	return string([]rune(s)[:max]) + "..."
}

// err returns the collected violations as one ValidationError.
func (f *form) err() error {
	switch len(f.errs) {
	case 0:
		return nil
	case 1:
		return validationError("1 validation error detected: %s", f.errs[0])
	}
	return validationError("%d validation errors detected: %s", len(f.errs), strings.Join(f.errs, "; "))
}

// lookup returns a parameter's first value and whether it was sent.
func (f *form) lookup(param string) (string, bool) {
	v, ok := f.values[param]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// str reads a string parameter and checks it against rule. A required
// parameter that is absent is a violation; an optional one returns ok false.
func (f *form) str(param string, rule strRule, required bool) (s string, ok bool) {
	s, ok = f.lookup(param)
	if !ok {
		if required {
			f.fail(field(param), nil, "not be null")
		}
		return "", false
	}
	f.check(field(param), s, rule)
	return s, true
}

// check records a violation when s breaks rule.
func (f *form) check(fieldName, s string, rule strRule) {
	n := utf8.RuneCountInString(s)
	switch {
	case n < rule.min:
		f.fail(fieldName, s, fmt.Sprintf("have length greater than or equal to %d", rule.min))
	case rule.max > 0 && n > rule.max:
		f.fail(fieldName, s, fmt.Sprintf("have length less than or equal to %d", rule.max))
	case rule.pat != nil && !rule.pat.re().MatchString(s):
		f.fail(fieldName, s, "satisfy regular expression pattern: "+rule.pat.src)
	}
}

// integer reads an optional integer parameter within rule.
func (f *form) integer(param string, rule intRule) (n int64, ok bool) {
	s, ok := f.lookup(param)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		f.fail(field(param), s, "be an integer")
		return 0, false
	}
	switch {
	case n < rule.min:
		f.fail(field(param), n, fmt.Sprintf("have value greater than or equal to %d", rule.min))
	case n > rule.max:
		f.fail(field(param), n, fmt.Sprintf("have value less than or equal to %d", rule.max))
	}
	return n, true
}

// boolean reads an optional boolean parameter ("true" or "false").
func (f *form) boolean(param string) bool {
	s, ok := f.lookup(param)
	if !ok {
		return false
	}
	switch {
	case strings.EqualFold(s, "true"):
		return true
	case strings.EqualFold(s, "false"):
		return false
	}
	f.fail(field(param), s, "be a boolean (true or false)")
	return false
}

// enum reads an optional parameter that must be one of allowed.
func (f *form) enum(param string, allowed ...string) (string, bool) {
	s, ok := f.lookup(param)
	if ok && !slices.Contains(allowed, s) {
		f.fail(field(param), s, "satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
	}
	return s, ok
}

// page reads Marker and MaxItems; MaxItems defaults to 100 as in IAM.
func (f *form) page() (marker string, maxItems int) {
	marker, _ = f.str("Marker", markerRule, false)
	n, ok := f.integer("MaxItems", maxItemsRule)
	if !ok || n < maxItemsRule.min || n > maxItemsRule.max {
		n = 100
	}
	return marker, int(n)
}

// listMembers collects the members of a query-protocol list parameter
// (List.member.N[.Suffix]=value). It returns, in index order, one map per
// member from suffix ("" for scalar lists) to value, and whether the list
// was sent at all: an empty list is sent as "List=" alone. Keys whose index
// is not a positive decimal integer are not members and are ignored, like
// any unknown parameter.
func (f *form) listMembers(param string) (members []map[string]string, present bool) {
	_, present = f.values[param]
	prefix := param + ".member."
	byIndex := map[int]map[string]string{}
	for key, vals := range f.values {
		rest, ok := strings.CutPrefix(key, prefix)
		if !ok || len(vals) == 0 {
			continue
		}
		idx, suffix, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(idx)
		if err != nil || n < 1 || strconv.Itoa(n) != idx {
			continue
		}
		m := byIndex[n]
		if m == nil {
			m = map[string]string{}
			byIndex[n] = m
		}
		m[suffix] = vals[0]
	}
	if len(byIndex) == 0 {
		return nil, present
	}
	indexes := make([]int, 0, len(byIndex))
	for n := range byIndex {
		indexes = append(indexes, n)
	}
	slices.Sort(indexes)
	members = make([]map[string]string, len(indexes))
	for i, n := range indexes {
		members[i] = byIndex[n]
	}
	return members, true
}

// tags reads a Tags list (Tags.member.N.Key / .Value) and checks IAM's
// tag rules: at most 50, each key and value within its length and pattern.
func (f *form) tags(param string, required bool) (tags []store.Tag, present bool) {
	members, present := f.listMembers(param)
	name := field(param)
	if !present {
		if required {
			f.fail(name, nil, "not be null")
		}
		return nil, false
	}
	if len(members) > maxTags {
		f.fail(name, fmt.Sprintf("[%d tags]", len(members)), fmt.Sprintf("have length less than or equal to %d", maxTags))
		return nil, true
	}
	tags = make([]store.Tag, 0, len(members))
	for i, m := range members {
		at := fmt.Sprintf("%s.%d.member", name, i+1)
		key, hasKey := m["Key"]
		value, hasValue := m["Value"]
		if !hasKey {
			f.fail(at+".key", nil, "not be null")
		} else {
			f.check(at+".key", key, tagKeyRule)
		}
		if !hasValue {
			f.fail(at+".value", nil, "not be null")
		} else {
			f.check(at+".value", value, tagValueRule)
		}
		tags = append(tags, store.Tag{Key: key, Value: value})
	}
	return tags, true
}

// strList reads a list of strings (List.member.N), each checked by rule.
func (f *form) strList(param string, rule strRule, maxLen int, required bool) (list []string, present bool) {
	members, present := f.listMembers(param)
	name := field(param)
	if !present {
		if required {
			f.fail(name, nil, "not be null")
		}
		return nil, false
	}
	if len(members) > maxLen {
		f.fail(name, fmt.Sprintf("[%d items]", len(members)), fmt.Sprintf("have length less than or equal to %d", maxLen))
		return nil, true
	}
	for i, m := range members {
		v, ok := m[""]
		at := fmt.Sprintf("%s.%d.member", name, i+1)
		if !ok {
			f.fail(at, nil, "not be null")
			continue
		}
		f.check(at, v, rule)
		list = append(list, v)
	}
	return list, true
}
