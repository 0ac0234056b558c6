package policy

import (
	"strconv"
	"strings"
	"time"

	"github.com/roam-dev/roam/internal/arn"
)

// Context holds a request's condition keys. Key names are case-insensitive
// ("aws:SourceIp" and "AWS:sourceip" are the same key); values are
// case-sensitive strings. A key may carry several values (multivalued keys
// such as aws:TagKeys); a key with no values is absent. The zero Context is
// empty and ready to use. A Context may be read by concurrent evaluations
// but not modified while it is read.
type Context struct {
	m map[string][]string
}

// NewContext returns a Context holding a copy of the given keys and values;
// keys differing only in case are merged.
func NewContext(keys map[string][]string) Context {
	c := Context{m: make(map[string][]string, len(keys))}
	for k, v := range keys {
		c.Add(k, v...)
	}
	return c
}

// Set replaces key's values (the slice is kept, not copied). Setting no
// values removes the key.
func (c *Context) Set(key string, values ...string) {
	k := strings.ToLower(key)
	if len(values) == 0 {
		delete(c.m, k)
		return
	}
	if c.m == nil {
		c.m = make(map[string][]string)
	}
	c.m[k] = values
}

// Add appends values to key's values.
func (c *Context) Add(key string, values ...string) {
	if len(values) == 0 {
		return
	}
	k := strings.ToLower(key)
	if c.m == nil {
		c.m = make(map[string][]string)
	}
	old := c.m[k]
	// The full slice expression makes append copy rather than write into a
	// slice the caller handed to Set.
	c.m[k] = append(old[:len(old):len(old)], values...)
}

// Get returns key's values, nil when the key is absent.
func (c *Context) Get(key string) []string {
	return c.lookup(strings.ToLower(key))
}

// Len returns the number of keys present.
func (c *Context) Len() int {
	if c == nil {
		return 0
	}
	return len(c.m)
}

// SetTime sets the global time keys from now: aws:CurrentTime (RFC 3339,
// UTC) and aws:EpochTime (seconds). Evaluation never reads the clock.
func (c *Context) SetTime(now time.Time) {
	c.Set("aws:CurrentTime", now.UTC().Format(time.RFC3339))
	c.Set("aws:EpochTime", strconv.FormatInt(now.Unix(), 10))
}

// lookup takes an already lower-cased key and does not allocate.
func (c *Context) lookup(lowerKey string) []string {
	if c == nil {
		return nil
	}
	return c.m[lowerKey]
}

// Principal is the caller a resource-based (trust) policy is evaluated
// for. Identity policies ignore it.
type Principal struct {
	// Type is PrincipalAWS, PrincipalService, PrincipalFederated or
	// PrincipalCanonicalUser.
	Type string
	// ID identifies the principal: for AWS an ARN (role session, user,
	// role or account root) or a 12-digit account ID; for Service a
	// service principal name such as rolesanywhere.amazonaws.com.
	ID string
	// Aliases are further identifiers of the same principal that a policy
	// may name, e.g. the role ARN behind an assumed-role session ARN.
	Aliases []string
}

// Request is one authorization question.
type Request struct {
	// Principal is the caller; nil for anonymous requests and when only
	// identity policies are evaluated.
	Principal *Principal
	// Action is "service:Action", e.g. "sts:AssumeRole"; it matches
	// case-insensitively.
	Action string
	// Resource is the ARN of the resource acted on ("" when the action has
	// none); it matches case-sensitively.
	Resource string
	// Context holds the condition keys.
	Context Context
}

// Decision is the outcome of an evaluation.
type Decision int

const (
	// ImplicitDeny: no statement allows the request (the default).
	ImplicitDeny Decision = iota
	// Allow: a statement allows the request and none denies it.
	Allow
	// ExplicitDeny: a Deny statement matches; it overrides any Allow.
	ExplicitDeny
)

func (d Decision) String() string {
	switch d {
	case ImplicitDeny:
		return "implicit deny"
	case Allow:
		return "allow"
	case ExplicitDeny:
		return "explicit deny"
	}
	return "Decision(" + strconv.Itoa(int(d)) + ")"
}

// StatementRef identifies a statement of an evaluated policy.
type StatementRef struct {
	// Policy is the policy's index in the slice given to EvaluateAll (0
	// for Policy.Evaluate); PolicyName is its Name.
	Policy     int
	PolicyName string
	// Index is the statement's position in its document, Sid its Sid.
	Index int
	Sid   string

	multi bool // several policies were evaluated: name the policy
}

// Result is the outcome of an evaluation and the reason for it.
type Result struct {
	Decision Decision
	// Action and Resource echo the request.
	Action   string
	Resource string
	// Statement is the deciding statement: the matching Deny statement
	// for ExplicitDeny, the first matching Allow statement for Allow. It
	// is the zero value for ImplicitDeny.
	Statement StatementRef
	// Misses explains an ImplicitDeny: for every statement of every
	// policy, in order, the first element that did not match. It is nil
	// for the other decisions.
	Misses []Miss
}

// Evaluate evaluates the request against p alone.
func (p *Policy) Evaluate(req *Request) Result {
	ps := [1]*Policy{p}
	return EvaluateAll(ps[:], req)
}

// EvaluateAll evaluates the request against a set of policies as IAM does
// within one policy type: an explicit Deny in any statement wins, else any
// Allow allows, else the request is implicitly denied. To intersect sets
// (identity policies and a session policy, say) evaluate each set and
// require Allow from every one. Nil policies are skipped.
func EvaluateAll(policies []*Policy, req *Request) Result {
	res := Result{Action: req.Action, Resource: req.Resource}
	allowed := false
	for pi, p := range policies {
		if p == nil {
			continue
		}
		for si := range p.Statements {
			st := &p.Statements[si]
			if !st.applies(req) {
				continue
			}
			if st.Effect == EffectDeny {
				res.Decision = ExplicitDeny
				res.Statement = st.ref(pi, p, len(policies) > 1)
				return res
			}
			if !allowed {
				allowed = true
				res.Statement = st.ref(pi, p, len(policies) > 1)
			}
		}
	}
	if allowed {
		res.Decision = Allow
		return res
	}
	res.Misses = explainMisses(policies, req)
	return res
}

func (st *Statement) ref(pi int, p *Policy, multi bool) StatementRef {
	return StatementRef{Policy: pi, PolicyName: p.Name, Index: st.Index, Sid: st.Sid, multi: multi}
}

// applies reports whether every element of the statement matches the
// request. The cheapest and most selective test, the action, comes first.
func (st *Statement) applies(req *Request) bool {
	if st.matchAction(req.Action) == (st.NotAction != nil) {
		return false
	}
	if st.principals != nil && st.principals.match(req.Principal) == st.notPrincipal {
		return false
	}
	if st.resources != nil && st.matchResource(req) == (st.NotResource != nil) {
		return false
	}
	for i := range st.Conditions {
		if !st.Conditions[i].c.eval(&req.Context) {
			return false
		}
	}
	return true
}

// matchAction reports whether action matches an entry of Action or
// NotAction (whichever the statement has).
func (st *Statement) matchAction(action string) bool {
	return st.firstAction(action) >= 0
}

func (st *Statement) firstAction(action string) int {
	for i := range st.actions {
		if st.actions[i].match(action) {
			return i
		}
	}
	return -1
}

// matchResource reports whether the request's resource matches an entry of
// Resource or NotResource.
func (st *Statement) matchResource(req *Request) bool {
	return st.firstResource(req) >= 0
}

func (st *Statement) firstResource(req *Request) int {
	for i := range st.resources {
		if st.resources[i].match(req.Resource, &req.Context) {
			return i
		}
	}
	return -1
}

// resourceValue is one compiled Resource or NotResource entry.
type resourceValue struct {
	dynamic bool
	tmpl    template
	pat     pattern
}

func (r *resourceValue) match(resource string, ctx *Context) bool {
	if !r.dynamic {
		return r.pat.match(resource)
	}
	src, _, ok := r.tmpl.render(ctx, true)
	if !ok {
		return false
	}
	p := compilePattern(src, false)
	return p.match(resource)
}

// principalSet is the compiled form of Principals. It keeps flat slices
// rather than maps: sets are small and scanned on every trust-policy
// evaluation.
type principalSet struct {
	any       bool     // "*" or {"AWS": "*"}: everyone, anonymous included
	anyOfType []string // types given as "*", e.g. {"Service": "*"}
	accounts  []string // AWS account principals (ID or :root ARN), as account IDs
	ids       []principalID
}

type principalID struct {
	typ, id string
}

func compilePrincipals(p *Principals) *principalSet {
	s := &principalSet{any: p.Wildcard}
	for _, typ := range [...]string{PrincipalAWS, PrincipalService, PrincipalFederated, PrincipalCanonicalUser} {
		for _, id := range p.ByType[typ] {
			switch {
			case id == "*" && typ == PrincipalAWS:
				// IAM documents "Principal": "*" and {"AWS": "*"} as
				// equivalent: every principal, anonymous included.
				s.any = true
			case id == "*":
				s.anyOfType = append(s.anyOfType, typ)
			case typ == PrincipalAWS && accountOf(id) != "":
				s.accounts = append(s.accounts, accountOf(id))
			default:
				s.ids = append(s.ids, principalID{typ, id})
			}
		}
	}
	return s
}

// accountOf returns the account ID of an account principal: a 12-digit
// account ID or arn:PARTITION:iam::ACCOUNT:root. It returns "" for
// anything else.
func accountOf(id string) string {
	if isAccountID(id) {
		return id
	}
	a, err := arn.Parse(id)
	if err != nil || a.Service != "iam" || a.Region != "" || a.Resource != "root" || !isAccountID(a.Account) {
		return ""
	}
	return a.Account
}

// requestAccount returns the account an AWS request principal belongs to:
// the ID itself when it is an account ID, else the account component of
// its ARN.
func requestAccount(id string) string {
	if isAccountID(id) {
		return id
	}
	if !strings.HasPrefix(id, "arn:") {
		return ""
	}
	rest := id
	for range 4 {
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			return ""
		}
		rest = rest[i+1:]
	}
	i := strings.IndexByte(rest, ':')
	if i < 0 {
		return ""
	}
	return rest[:i]
}

// match reports whether the request principal is in the set. An account
// principal stands for every principal of that account: IAM delegates
// the decision to the account's own identity policies.
func (s *principalSet) match(p *Principal) bool {
	if s.any {
		return true
	}
	if p == nil {
		return false
	}
	for _, typ := range s.anyOfType {
		if typ == p.Type {
			return true
		}
	}
	if p.Type == PrincipalAWS && len(s.accounts) > 0 {
		for _, acct := range s.accounts {
			if requestAccount(p.ID) == acct {
				return true
			}
			for _, a := range p.Aliases {
				if requestAccount(a) == acct {
					return true
				}
			}
		}
	}
	for _, e := range s.ids {
		if e.typ != p.Type {
			continue
		}
		if samePrincipal(p.Type, e.id, p.ID) {
			return true
		}
		for _, a := range p.Aliases {
			if samePrincipal(p.Type, e.id, a) {
				return true
			}
		}
	}
	return false
}

// samePrincipal compares identifiers; service principal names are DNS
// names and compare case-insensitively, everything else exactly.
func samePrincipal(typ, a, b string) bool {
	if typ == PrincipalService {
		return strings.EqualFold(a, b)
	}
	return a == b
}
