package rolesanywhere

import (
	"fmt"
	"regexp"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/roam-dev/roam/internal/apierror"
)

// Patterns from the service model. The model leaves them unanchored; AWS
// matches the whole value, so they are anchored here.
var (
	uuidPattern         = modelPattern(`[a-f0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}`)
	namePattern         = modelPattern(`[ a-zA-Z0-9-_]*`)
	tagPattern          = modelPattern(`[ a-zA-Z0-9_.:/=+@-]*`)
	roleArnPattern      = modelPattern(`arn:aws(-[^:]+)?:iam(:.*){2}(:role.*)`)
	trustAnchorArnPattn = modelPattern(`arn:aws(-[^:]+)?:rolesanywhere(:.*){2}(:trust-anchor.*)`)
)

// pattern is compiled on first use, keeping process start cheap.
type pattern struct {
	re  func() *regexp.Regexp
	src string
}

func modelPattern(src string) pattern {
	return pattern{re: sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:` + src + `)$`) }), src: src}
}

// validator collects constraint violations and reports them the way AWS
// services do: "2 validation errors detected: Value 'x' at 'name' failed to
// satisfy constraint: Member must ...; Value ...".
type validator struct {
	errs []string
}

func (v *validator) fail(field string, value any, constraint string) {
	var shown string
	switch x := value.(type) {
	case nil:
		shown = "null"
	case string:
		shown = "'" + truncate(x) + "'"
	case sensitive:
		shown = "'***'"
	default:
		shown = "'" + truncate(fmt.Sprint(x)) + "'"
	}
	v.errs = append(v.errs, fmt.Sprintf("Value %s at '%s' failed to satisfy constraint: Member must %s", shown, field, constraint))
}

// sensitive marks a value that must not be echoed (tag keys and values are
// sensitive in the model).
type sensitive struct{}

// truncate shortens s to at most 64 bytes for an error message, without
// splitting a UTF-8 sequence.
func truncate(s string) string {
	const max = 64
	if len(s) <= max {
		return s
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "..."
}

// required records a violation when a required member is absent.
func (v *validator) required(field string, present bool) bool {
	if !present {
		v.fail(field, nil, "not be null")
	}
	return present
}

// str checks a string's length (in characters) and pattern.
func (v *validator) str(field, s string, min, max int, p *pattern) {
	v.strValue(field, s, s, min, max, p)
}

func (v *validator) strValue(field, s string, shown any, min, max int, p *pattern) {
	n := len([]rune(s))
	switch {
	case n < min:
		v.fail(field, shown, fmt.Sprintf("have length greater than or equal to %d", min))
	case max > 0 && n > max:
		v.fail(field, shown, fmt.Sprintf("have length less than or equal to %d", max))
	case p != nil && !p.re().MatchString(s):
		v.fail(field, shown, "satisfy regular expression pattern: "+p.src)
	}
}

// optStr checks an optional string.
func (v *validator) optStr(field string, s *string, min, max int, p *pattern) {
	if s != nil {
		v.str(field, *s, min, max, p)
	}
}

func (v *validator) intRange(field string, n, min, max int64) {
	switch {
	case n < min:
		v.fail(field, n, fmt.Sprintf("have value greater than or equal to %d", min))
	case n > max:
		v.fail(field, n, fmt.Sprintf("have value less than or equal to %d", max))
	}
}

func (v *validator) listLen(field string, n, min, max int) {
	switch {
	case n < min:
		v.fail(field, fmt.Sprintf("[%d items]", n), fmt.Sprintf("have length greater than or equal to %d", min))
	case n > max:
		v.fail(field, fmt.Sprintf("[%d items]", n), fmt.Sprintf("have length less than or equal to %d", max))
	}
}

func (v *validator) enum(field, s string, allowed ...string) {
	for _, a := range allowed {
		if s == a {
			return
		}
	}
	v.fail(field, s, "satisfy enum value set: ["+strings.Join(allowed, ", ")+"]")
}

// err returns the collected violations as one ValidationException.
func (v *validator) err() error {
	switch len(v.errs) {
	case 0:
		return nil
	case 1:
		return apierror.Validation("1 validation error detected: %s", v.errs[0])
	}
	return apierror.Validation("%d validation errors detected: %s", len(v.errs), strings.Join(v.errs, "; "))
}

// ids

func (v *validator) id(field, id string) {
	v.str(field, id, 36, 36, &uuidPattern)
}

func (v *validator) tags(field string, tags []tagWire) {
	v.listLen(field, len(tags), 0, 200)
	for i, t := range tags {
		f := fmt.Sprintf("%s.%d.member", field, i+1)
		if v.required(f+".key", t.Key != nil) {
			v.strValue(f+".key", *t.Key, sensitive{}, 1, 128, &tagPattern)
			if strings.HasPrefix(strings.ToLower(*t.Key), "aws:") {
				v.fail(f+".key", sensitive{}, "not start with the reserved prefix aws:")
			}
		}
		if v.required(f+".value", t.Value != nil) {
			v.strValue(f+".value", *t.Value, sensitive{}, 0, 256, &tagPattern)
		}
	}
}
