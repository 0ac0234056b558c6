package policy

import (
	"fmt"
	"strconv"
	"strings"
)

// Element names the part of a statement that did not match a request.
type Element int

// Statement elements, in the order an explanation checks them.
const (
	// ElementEffect: the statement is a Deny statement, so it cannot
	// allow anything.
	ElementEffect Element = iota + 1
	ElementPrincipal
	ElementAction
	ElementResource
	ElementCondition
)

func (e Element) String() string {
	switch e {
	case ElementEffect:
		return "effect"
	case ElementPrincipal:
		return "principal"
	case ElementAction:
		return "action"
	case ElementResource:
		return "resource"
	case ElementCondition:
		return "condition"
	}
	return "Element(" + strconv.Itoa(int(e)) + ")"
}

// Miss says why one statement did not allow a request: the first element,
// in the order effect, principal, action, resource, condition, that did
// not match.
type Miss struct {
	Statement StatementRef
	Effect    Effect
	Element   Element
	// Negated is set when the element is NotPrincipal, NotAction or
	// NotResource: the request was excluded rather than not listed.
	Negated bool
	// Values are the statement's entries for the element: its actions,
	// resources, or principals written "Type:identifier" (or "*").
	Values []string
	// Got is the request's value for the element: the action, the
	// resource, or the principal as "Type:identifier" ("" when the request
	// has none).
	Got string
	// Matched is, for a negated action or resource element, the entry
	// that excluded the request.
	Matched string
	// Condition details a condition miss.
	Condition *ConditionMiss
}

// ConditionMiss details the condition that did not hold.
type ConditionMiss struct {
	// Operator and Key are as written in the policy.
	Operator string
	Key      string
	// PolicyValues are the policy's values as written.
	PolicyValues []string
	// ResolvedValues are PolicyValues after policy variable substitution,
	// "" for a value whose variable could not be resolved; nil when no
	// value has variables.
	ResolvedValues []string
	// Unresolved names the policy variables the request gave no (single)
	// value for.
	Unresolved []string
	// RequestValues are the request's values for Key; nil when Absent.
	RequestValues []string
	Absent        bool
	// Value is the request value that made the condition fail, when one
	// value is to blame: for a positive operator the single value that
	// matched no policy value, for a negated operator (or ForAllValues)
	// the value that matched (or failed to match) Matched.
	Value string
	// Matched is the policy value Value matched, for negated operators.
	Matched string

	null    bool
	negated bool
	set     setQualifier
}

func explainMisses(policies []*Policy, req *Request) []Miss {
	n := 0
	for _, p := range policies {
		if p != nil {
			n += len(p.Statements)
		}
	}
	if n == 0 {
		return nil
	}
	misses := make([]Miss, 0, n)
	for pi, p := range policies {
		if p == nil {
			continue
		}
		for si := range p.Statements {
			st := &p.Statements[si]
			m := st.explain(req)
			m.Statement = st.ref(pi, p, len(policies) > 1)
			misses = append(misses, m)
		}
	}
	return misses
}

// explain finds the first element of st that does not match req.
func (st *Statement) explain(req *Request) Miss {
	m := Miss{Effect: st.Effect}
	if st.Effect == EffectDeny {
		m.Element = ElementEffect
		return m
	}
	if st.principals != nil && st.principals.match(req.Principal) == st.notPrincipal {
		m.Element, m.Negated = ElementPrincipal, st.notPrincipal
		block := st.Principal
		if st.notPrincipal {
			block = st.NotPrincipal
		}
		m.Values = block.entries()
		if req.Principal != nil {
			m.Got = req.Principal.Type + ":" + req.Principal.ID
		}
		return m
	}
	if i := st.firstAction(req.Action); (i >= 0) == (st.NotAction != nil) {
		m.Element, m.Got = ElementAction, req.Action
		m.Values, m.Negated = st.Action, st.NotAction != nil
		if m.Negated {
			m.Values, m.Matched = st.NotAction, st.NotAction[i]
		}
		return m
	}
	if st.resources != nil {
		if i := st.firstResource(req); (i >= 0) == (st.NotResource != nil) {
			m.Element, m.Got = ElementResource, req.Resource
			m.Values, m.Negated = st.Resource, st.NotResource != nil
			if m.Negated {
				m.Values, m.Matched = st.NotResource, st.NotResource[i]
			}
			return m
		}
	}
	for i := range st.Conditions {
		c := &st.Conditions[i]
		if !c.c.eval(&req.Context) {
			m.Element = ElementCondition
			m.Condition = c.explain(&req.Context)
			return m
		}
	}
	return m // unreachable for a statement that did not apply
}

// entries lists the principals as "Type:identifier", types in a fixed
// order.
func (p *Principals) entries() []string {
	if p.Wildcard {
		return []string{"*"}
	}
	var out []string
	for _, typ := range [...]string{PrincipalAWS, PrincipalService, PrincipalFederated, PrincipalCanonicalUser} {
		for _, id := range p.ByType[typ] {
			out = append(out, typ+":"+id)
		}
	}
	return out
}

func (c *Condition) explain(ctx *Context) *ConditionMiss {
	cc := &c.c
	vals := ctx.lookup(cc.key)
	cm := &ConditionMiss{
		Operator:      c.Operator,
		Key:           c.Key,
		PolicyValues:  c.Values,
		RequestValues: vals,
		Absent:        len(vals) == 0,
		null:          cc.op == opNull,
		negated:       cc.negated,
		set:           cc.set,
	}
	resolved := make([]string, len(c.Values))
	dynamic := false
	for i := range cc.values {
		v := &cc.values[i]
		if !v.dynamic {
			resolved[i] = c.Values[i]
			continue
		}
		dynamic = true
		if s, missing, ok := v.tmpl.render(ctx, false); ok {
			resolved[i] = s
		} else {
			cm.Unresolved = append(cm.Unresolved, missing)
		}
	}
	if dynamic {
		cm.ResolvedValues = resolved
	}
	if cm.null || cm.Absent {
		return cm
	}
	switch {
	case cc.set == setForAnyValue:
		// Every request value failed; none is singled out.
	case cc.set == setForAllValues:
		for _, r := range vals {
			if i := cc.firstMatch(r, ctx); (i >= 0) == cc.negated {
				cm.Value = r
				if i >= 0 {
					cm.Matched = c.Values[i]
				}
				break
			}
		}
	case cc.negated:
		for _, r := range vals {
			if i := cc.firstMatch(r, ctx); i >= 0 {
				cm.Value, cm.Matched = r, c.Values[i]
				break
			}
		}
	case len(vals) == 1:
		cm.Value = vals[0]
	}
	return cm
}

// String renders the statement reference, e.g. `statement 0
// ("AllowRolesAnywhere")`, prefixed with the policy's name (or index)
// when several policies were evaluated.
func (r StatementRef) String() string {
	var b strings.Builder
	switch {
	case r.PolicyName != "":
		fmt.Fprintf(&b, "policy %q ", r.PolicyName)
	case r.multi:
		fmt.Fprintf(&b, "policy %d ", r.Policy)
	}
	fmt.Fprintf(&b, "statement %d", r.Index)
	if r.Sid != "" {
		fmt.Fprintf(&b, " (%q)", r.Sid)
	}
	return b.String()
}

// String renders the decision and its reason as one paragraph.
func (r Result) String() string {
	on := ""
	if r.Resource != "" {
		on = fmt.Sprintf(" on %q", r.Resource)
	}
	switch r.Decision {
	case Allow:
		return fmt.Sprintf("allowed: %s allows %s%s", r.Statement, r.Action, on)
	case ExplicitDeny:
		return fmt.Sprintf("explicitly denied: %s denies %s%s", r.Statement, r.Action, on)
	}
	var allows []Miss
	for _, m := range r.Misses {
		if m.Effect == EffectAllow {
			allows = append(allows, m)
		}
	}
	switch {
	case len(r.Misses) == 0:
		return fmt.Sprintf("no statement allows action %s: there are no statements", r.Action)
	case len(allows) == 0:
		return fmt.Sprintf("no statement allows action %s: every statement is a Deny statement", r.Action)
	}
	onlyActions := true
	for _, m := range allows {
		onlyActions = onlyActions && m.Element == ElementAction
	}
	parts := make([]string, len(allows))
	if onlyActions {
		for i, m := range allows {
			if m.Negated {
				parts[i] = fmt.Sprintf("%s excludes it by NotAction %s", m.Statement, m.Matched)
			} else {
				parts[i] = fmt.Sprintf("%s lists only %s", m.Statement, strings.Join(m.Values, ", "))
			}
		}
		return fmt.Sprintf("no statement allows action %s (%s)", r.Action, strings.Join(parts, "; "))
	}
	for i, m := range allows {
		parts[i] = m.String()
	}
	return fmt.Sprintf("no statement allows action %s%s: %s", r.Action, on, strings.Join(parts, "; "))
}

// String renders the miss, e.g. `statement 0 ("AllowRolesAnywhere"):
// condition ArnEquals aws:SourceArn: request value "..." does not match
// policy value "..."`.
func (m Miss) String() string {
	return m.Statement.String() + ": " + m.detail()
}

func (m Miss) detail() string {
	switch m.Element {
	case ElementEffect:
		return "effect is Deny"
	case ElementPrincipal:
		list := formatPrincipals(m.Values)
		switch {
		case m.Got == "" && m.Negated:
			return "the request has no principal; NotPrincipal lists " + list
		case m.Got == "":
			return "the request has no principal; Principal lists " + list
		case m.Negated:
			return fmt.Sprintf("principal %s is excluded by NotPrincipal %s", formatPrincipal(m.Got), list)
		}
		return fmt.Sprintf("principal %s is not in Principal %s", formatPrincipal(m.Got), list)
	case ElementAction:
		if m.Negated {
			return fmt.Sprintf("action %s is excluded by NotAction %s", m.Got, m.Matched)
		}
		return fmt.Sprintf("action %s is not listed (Action lists only %s)", m.Got, strings.Join(m.Values, ", "))
	case ElementResource:
		if m.Negated {
			return fmt.Sprintf("resource %q is excluded by NotResource %q", m.Got, m.Matched)
		}
		if m.Got == "" {
			return "the request names no resource; Resource lists " + quoteList(m.Values)
		}
		return fmt.Sprintf("resource %q does not match Resource %s", m.Got, quoteList(m.Values))
	case ElementCondition:
		if m.Condition != nil {
			return "condition " + m.Condition.String()
		}
	}
	return "all elements match"
}

// String renders the condition miss, e.g. `ArnEquals aws:SourceArn:
// request value "..." does not match policy value "..."`.
func (c *ConditionMiss) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: ", c.Operator, c.Key)
	switch {
	case c.null && c.Absent:
		b.WriteString("key is absent from the request but the policy requires it present")
	case c.null:
		fmt.Fprintf(&b, "key is present (request %s) but the policy requires it absent", c.requestValues())
	case c.Absent && c.set == setForAnyValue:
		b.WriteString("key is absent from the request (ForAnyValue needs at least one value)")
	case c.Absent:
		fmt.Fprintf(&b, "key is absent from the request (%s)", c.policyValues())
	case c.set == setForAnyValue && c.negated:
		fmt.Fprintf(&b, "every request value (%s) matches %s", quoteList(c.RequestValues), c.policyValues())
	case c.set == setForAnyValue:
		fmt.Fprintf(&b, "no request value (%s) matches %s", quoteList(c.RequestValues), c.policyValues())
	case c.negated && c.Matched != "":
		fmt.Fprintf(&b, "request value %q matches policy value %q", c.Value, c.Matched)
	case c.Value != "":
		fmt.Fprintf(&b, "request value %q does not match %s", c.Value, c.policyValues())
	default:
		fmt.Fprintf(&b, "request %s do not match %s", c.requestValues(), c.policyValues())
	}
	for _, v := range c.Unresolved {
		fmt.Fprintf(&b, " (policy variable ${%s} has no single value in the request)", v)
	}
	return b.String()
}

func (c *ConditionMiss) requestValues() string {
	if len(c.RequestValues) == 1 {
		return fmt.Sprintf("value %q", c.RequestValues[0])
	}
	return "values " + quoteList(c.RequestValues)
}

func (c *ConditionMiss) policyValues() string {
	vals := make([]string, len(c.PolicyValues))
	for i, v := range c.PolicyValues {
		vals[i] = strconv.Quote(v)
		if c.ResolvedValues != nil && c.ResolvedValues[i] != v && c.ResolvedValues[i] != "" {
			vals[i] += fmt.Sprintf(" (resolved to %q)", c.ResolvedValues[i])
		}
	}
	switch len(vals) {
	case 0:
		return "no policy values"
	case 1:
		return "policy value " + vals[0]
	}
	return "any of policy values " + strings.Join(vals, ", ")
}

func quoteList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = strconv.Quote(v)
	}
	return strings.Join(q, ", ")
}

func formatPrincipal(entry string) string {
	if entry == "*" {
		return `"*"`
	}
	typ, id, _ := strings.Cut(entry, ":")
	return fmt.Sprintf("%s %q", typ, id)
}

func formatPrincipals(entries []string) string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = formatPrincipal(e)
	}
	return strings.Join(out, ", ")
}
