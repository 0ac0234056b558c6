package policy

import (
	"fmt"
	"strings"
)

// Parse parses, validates and compiles a policy document of the given kind.
// Errors other than an invalid kind are *[MalformedError]s carrying IAM's
// MalformedPolicyDocument message. The caller decodes URL-encoded documents
// (as IAM APIs return them) before calling Parse.
//
// Parse follows IAM's grammar: top-level Version, Id and Statement only;
// Statement an object or an array of objects; in each statement Sid,
// Effect, Principal|NotPrincipal, Action|NotAction, Resource|NotResource
// and Condition only; a single string wherever IAM accepts a list; unique
// Sids; known condition operators. Beyond IAM it rejects duplicate JSON
// keys and condition values its operator can never match (a number that
// is not numeric, an unparsable date, CIDR block or base64 value).
func Parse(doc []byte, kind Kind) (*Policy, error) {
	if kind != IdentityPolicy && kind != TrustPolicy {
		return nil, fmt.Errorf("policy: invalid kind %d", int(kind))
	}
	root, err := decodeJSON(doc)
	if err != nil {
		return nil, syntaxErr("", "invalid JSON: %v", err)
	}
	if root.kind != jsonObject {
		return nil, syntaxErr("", "the document is %s, want an object", root.kind)
	}
	p := &Policy{Kind: kind}
	var stmts *jsonValue
	for i := range root.members {
		m := &root.members[i]
		switch m.key {
		case "Version":
			if m.val.kind != jsonString {
				return nil, syntaxErr("Version", "is %s, want a string", m.val.kind)
			}
			if m.val.str != Version2012 && m.val.str != Version2008 {
				return nil, malformed(msgVersion, "Version", "unsupported version %q: want %q or %q", m.val.str, Version2012, Version2008)
			}
			p.Version = m.val.str
		case "Id":
			if m.val.kind != jsonString {
				return nil, syntaxErr("Id", "is %s, want a string", m.val.kind)
			}
			p.ID = m.val.str
		case "Statement":
			stmts = &m.val
		default:
			return nil, syntaxErr("", "unknown element %q", m.key)
		}
	}
	if stmts == nil {
		return nil, syntaxErr("", "missing Statement")
	}
	var list []jsonValue
	switch stmts.kind {
	case jsonObject:
		list = []jsonValue{*stmts}
	case jsonArray:
		list = stmts.elems
	default:
		return nil, syntaxErr("Statement", "is %s, want an object or an array of objects", stmts.kind)
	}
	vars := p.Version == Version2012
	sids := make(map[string]bool, len(list))
	p.Statements = make([]Statement, 0, len(list))
	for i := range list {
		st, err := parseStatement(&list[i], i, kind, vars)
		if err != nil {
			return nil, err
		}
		if st.Sid != "" {
			if sids[st.Sid] {
				return nil, malformed(msgDuplicateSid, fmt.Sprintf("Statement[%d].Sid", i), "Sid %q is used twice", st.Sid)
			}
			sids[st.Sid] = true
		}
		p.Statements = append(p.Statements, st)
	}
	return p, nil
}

// ParseString is Parse for a document held in a string.
func ParseString(doc string, kind Kind) (*Policy, error) {
	return Parse([]byte(doc), kind)
}

func parseStatement(v *jsonValue, index int, kind Kind, vars bool) (Statement, error) {
	path := fmt.Sprintf("Statement[%d]", index)
	st := Statement{Index: index}
	if v.kind != jsonObject {
		return st, syntaxErr(path, "is %s, want an object", v.kind)
	}
	var err error
	hasEffect := false
	for i := range v.members {
		m := &v.members[i]
		mpath := path + "." + m.key
		switch m.key {
		case "Sid":
			if m.val.kind != jsonString {
				return st, syntaxErr(mpath, "is %s, want a string", m.val.kind)
			}
			st.Sid = m.val.str
		case "Effect":
			if m.val.kind != jsonString || (m.val.str != string(EffectAllow) && m.val.str != string(EffectDeny)) {
				return st, syntaxErr(mpath, "must be \"Allow\" or \"Deny\"")
			}
			st.Effect, hasEffect = Effect(m.val.str), true
		case "Principal":
			st.Principal, err = parsePrincipals(&m.val, mpath)
		case "NotPrincipal":
			st.NotPrincipal, err = parsePrincipals(&m.val, mpath)
		case "Action":
			st.Action, err = stringList(&m.val, mpath)
		case "NotAction":
			st.NotAction, err = stringList(&m.val, mpath)
		case "Resource":
			st.Resource, err = stringList(&m.val, mpath)
		case "NotResource":
			st.NotResource, err = stringList(&m.val, mpath)
		case "Condition":
			st.Conditions, err = parseConditions(&m.val, mpath, vars)
		default:
			return st, syntaxErr(path, "unknown element %q", m.key)
		}
		if err != nil {
			return st, err
		}
	}
	if !hasEffect {
		return st, syntaxErr(path, "missing Effect")
	}
	if err := st.checkPrincipal(path, kind); err != nil {
		return st, err
	}
	if err := st.compileActions(path); err != nil {
		return st, err
	}
	if err := st.compileResources(path, kind, vars); err != nil {
		return st, err
	}
	if kind == IdentityPolicy && !isAlphanumeric(st.Sid) {
		return st, malformed(msgSidChars, path+".Sid", "Sid %q", st.Sid)
	}
	return st, nil
}

func (st *Statement) checkPrincipal(path string, kind Kind) error {
	switch {
	case st.Principal != nil && st.NotPrincipal != nil:
		return syntaxErr(path, "both Principal and NotPrincipal")
	case kind == IdentityPolicy && (st.Principal != nil || st.NotPrincipal != nil):
		return malformed(msgPrincipalProhibited, path, "identity policies apply to the principal they are attached to")
	case kind == TrustPolicy && st.Principal == nil && st.NotPrincipal == nil:
		return malformed(msgPrincipalRequired, path, "a trust policy statement must name a Principal or NotPrincipal")
	case st.Principal != nil:
		st.principals = compilePrincipals(st.Principal)
	case st.NotPrincipal != nil:
		st.principals, st.notPrincipal = compilePrincipals(st.NotPrincipal), true
	}
	return nil
}

func (st *Statement) compileActions(path string) error {
	list, field := st.Action, "Action"
	switch {
	case st.Action != nil && st.NotAction != nil:
		return syntaxErr(path, "both Action and NotAction")
	case st.NotAction != nil:
		list, field = st.NotAction, "NotAction"
	}
	if len(list) == 0 {
		return malformed(msgNoActions, path, "Action or NotAction must list at least one action")
	}
	st.actions = make([]pattern, len(list))
	for i, a := range list {
		if a != "*" {
			if j := strings.IndexByte(a, ':'); j <= 0 {
				return malformed(msgVendor, path+"."+field, "action %q has no service prefix", a)
			}
		}
		st.actions[i] = compilePattern(escapeBackslashes(a), true)
	}
	return nil
}

func (st *Statement) compileResources(path string, kind Kind, vars bool) error {
	list, field := st.Resource, "Resource"
	switch {
	case st.Resource != nil && st.NotResource != nil:
		return syntaxErr(path, "both Resource and NotResource")
	case kind == TrustPolicy && st.Resource != nil:
		// A role trust policy is about the role itself; IAM refuses one
		// that names resources.
		return &MalformedError{Message: "Has prohibited field Resource", Path: path + ".Resource"}
	case kind == TrustPolicy && st.NotResource != nil:
		return &MalformedError{Message: "Has prohibited field NotResource", Path: path + ".NotResource"}
	case st.NotResource != nil:
		list, field = st.NotResource, "NotResource"
	case st.Resource == nil && kind == TrustPolicy:
		return nil // applies to the role
	}
	if len(list) == 0 {
		return malformed(msgNoResources, path, "Resource or NotResource must list at least one resource")
	}
	st.resources = make([]resourceValue, len(list))
	for i, r := range list {
		if r != "*" && !strings.HasPrefix(r, "arn:") {
			return &MalformedError{Message: fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r), Path: path + "." + field}
		}
		t, err := parseTemplate(r, vars)
		if err != nil {
			return syntaxErr(path+"."+field, "%v", err)
		}
		if t.dynamic() {
			st.resources[i] = resourceValue{dynamic: true, tmpl: t}
			continue
		}
		src, _, _ := t.render(nil, true)
		st.resources[i] = resourceValue{pat: compilePattern(src, false)}
	}
	return nil
}

func isAlphanumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isDigit(c) && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// stringList accepts a string or an array of strings.
func stringList(v *jsonValue, path string) ([]string, error) {
	switch v.kind {
	case jsonString:
		return []string{v.str}, nil
	case jsonArray:
		out := make([]string, len(v.elems))
		for i, e := range v.elems {
			if e.kind != jsonString {
				return nil, syntaxErr(path, "element %d is %s, want a string", i, e.kind)
			}
			out[i] = e.str
		}
		return out, nil
	}
	return nil, syntaxErr(path, "is %s, want a string or an array of strings", v.kind)
}

// Principal types.
const (
	PrincipalAWS           = "AWS"
	PrincipalService       = "Service"
	PrincipalFederated     = "Federated"
	PrincipalCanonicalUser = "CanonicalUser"
)

func parsePrincipals(v *jsonValue, path string) (*Principals, error) {
	switch v.kind {
	case jsonString:
		if v.str != "*" {
			return nil, malformed(msgInvalidPrincipalPart+fmt.Sprintf("%q", v.str), path, "a principal given as a string must be \"*\"")
		}
		return &Principals{Wildcard: true}, nil
	case jsonObject:
	default:
		return nil, syntaxErr(path, "is %s, want \"*\" or an object", v.kind)
	}
	if len(v.members) == 0 {
		return nil, malformed(msgInvalidPrincipalPart+"{}", path, "no principal given")
	}
	p := &Principals{ByType: make(map[string][]string, len(v.members))}
	for i := range v.members {
		m := &v.members[i]
		switch m.key {
		case PrincipalAWS, PrincipalService, PrincipalFederated, PrincipalCanonicalUser:
		default:
			return nil, malformed(msgInvalidPrincipalPart+fmt.Sprintf("%q", m.key), path, "unknown principal type %q", m.key)
		}
		ids, err := stringList(&m.val, path+"."+m.key)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, malformed(msgInvalidPrincipalPart+fmt.Sprintf("%q:[]", m.key), path, "no %s principal given", m.key)
		}
		for _, id := range ids {
			if !validPrincipal(m.key, id) {
				return nil, malformed(msgInvalidPrincipalPart+fmt.Sprintf("%q:%q", m.key, id), path, "invalid %s principal %q", m.key, id)
			}
		}
		p.ByType[m.key] = ids
	}
	return p, nil
}

// validPrincipal checks an identifier of the given type. Wildcards are
// allowed only as the whole value "*"; AWS principals are an account ID,
// an ARN or an IAM unique ID (which IAM shows for deleted principals).
func validPrincipal(typ, id string) bool {
	if id == "*" {
		return true
	}
	if id == "" || strings.ContainsAny(id, "*?") {
		return false
	}
	if typ != PrincipalAWS {
		return true
	}
	return isAccountID(id) || strings.HasPrefix(id, "arn:") || isUniqueID(id)
}

func isAccountID(s string) bool { return len(s) == 12 && allDigits(s) }

func isUniqueID(s string) bool {
	if len(s) < 16 || s[0] != 'A' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && !('A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

func parseConditions(v *jsonValue, path string, vars bool) ([]Condition, error) {
	if v.kind != jsonObject {
		return nil, syntaxErr(path, "is %s, want an object", v.kind)
	}
	var out []Condition
	for i := range v.members {
		opm := &v.members[i]
		header, err := parseOperator(opm.key)
		if err != nil {
			return nil, syntaxErr(path, "%v", err)
		}
		if opm.val.kind != jsonObject {
			return nil, syntaxErr(path+"."+opm.key, "is %s, want an object of condition keys", opm.val.kind)
		}
		for j := range opm.val.members {
			km := &opm.val.members[j]
			kpath := path + "." + opm.key + "." + km.key
			if k := strings.IndexByte(km.key, ':'); k <= 0 {
				return nil, malformed(msgVendor, kpath, "condition key %q has no service prefix", km.key)
			}
			values, err := conditionValues(&km.val, kpath)
			if err != nil {
				return nil, err
			}
			c := Condition{Operator: opm.key, Key: km.key, Values: values, c: header}
			c.c.key = strings.ToLower(km.key)
			c.c.values = make([]conditionValue, len(values))
			for k, raw := range values {
				if c.c.values[k], err = compileValue(header.op, raw, vars); err != nil {
					return nil, syntaxErr(kpath, "%v", err)
				}
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// conditionValues accepts a string, number or boolean, or an array of
// them, and returns their text.
func conditionValues(v *jsonValue, path string) ([]string, error) {
	if s, ok := scalarText(v); ok {
		return []string{s}, nil
	}
	if v.kind != jsonArray {
		return nil, syntaxErr(path, "is %s, want a string, number, boolean or an array of them", v.kind)
	}
	out := make([]string, len(v.elems))
	for i := range v.elems {
		s, ok := scalarText(&v.elems[i])
		if !ok {
			return nil, syntaxErr(path, "element %d is %s, want a string, number or boolean", i, v.elems[i].kind)
		}
		out[i] = s
	}
	return out, nil
}

func scalarText(v *jsonValue) (string, bool) {
	switch v.kind {
	case jsonString, jsonNumber:
		return v.str, true
	case jsonBool:
		if v.b {
			return "true", true
		}
		return "false", true
	}
	return "", false
}
