// Package policy parses and evaluates IAM policy documents: role trust
// policies (evaluated by CreateSession with the principal
// rolesanywhere.amazonaws.com) and identity, session and permission policies
// (evaluated for every control-plane, IAM and STS call).
//
// A document is parsed and validated once with [Parse] or [ParseString],
// which compile every wildcard pattern and typed condition value. A parsed
// [Policy] is immutable and safe for concurrent use; [Policy.Evaluate] and
// [EvaluateAll] answer a [Request] without re-parsing and, when the request
// is allowed and no policy variable has to be substituted, without
// allocating.
//
// Evaluation follows IAM: an explicit Deny in any statement wins, otherwise
// any Allow allows, otherwise the request is implicitly denied. The
// returned [Result] says why: the deciding statement, or for an implicit
// deny, the first element of every statement that did not match, with the
// condition operator, key, policy values and request values where a
// condition failed. Callers intersect policy sets (identity policies ∩
// session policy) by evaluating each set and requiring Allow from all.
//
// Nothing here reads the clock: time-based conditions compare the context
// keys aws:CurrentTime and aws:EpochTime, which the caller supplies (see
// [Context.SetTime]).
package policy

// Kind says which rules a document must follow.
type Kind int

const (
	// IdentityPolicy is an identity-based policy (inline, managed or
	// session policy): it must not name a Principal or NotPrincipal and
	// every statement needs Resource or NotResource.
	IdentityPolicy Kind = iota + 1
	// TrustPolicy is a role trust policy, the resource-based policy of a
	// role: every statement needs Principal or NotPrincipal; Resource may
	// be omitted, in which case the statement applies to any resource.
	TrustPolicy
)

func (k Kind) String() string {
	switch k {
	case IdentityPolicy:
		return "identity policy"
	case TrustPolicy:
		return "trust policy"
	}
	return "unknown policy kind"
}

// Policy versions IAM accepts. Policy variables are substituted only in
// Version2012 documents; in older ones "${...}" is literal text.
const (
	Version2012 = "2012-10-17"
	Version2008 = "2008-10-17"
)

// Effect is a statement's Effect.
type Effect string

// The two effects a statement may have.
const (
	EffectAllow Effect = "Allow"
	EffectDeny  Effect = "Deny"
)

// Policy is a parsed, validated and compiled policy document. Its exported
// fields describe the document for explanations and tooling; treat them as
// read-only (evaluation uses the compiled form built by Parse).
type Policy struct {
	// Name labels the policy in explanations (for example "inline policy
	// S3Access of role/app"). It is not part of the document; set it after
	// Parse, before the policy is shared.
	Name string

	Kind Kind
	// Version is the document's Version, "" when absent (which IAM treats
	// as 2008-10-17: no policy variables).
	Version string
	// ID is the optional top-level Id element.
	ID         string
	Statements []Statement
}

// Statement is one statement of a policy.
type Statement struct {
	// Index is the statement's position in the document, from 0.
	Index  int
	Sid    string
	Effect Effect

	// At most one of Principal and NotPrincipal is set.
	Principal    *Principals
	NotPrincipal *Principals

	// Exactly one of Action and NotAction is non-nil.
	Action    []string
	NotAction []string

	// At most one of Resource and NotResource is non-nil; both are nil
	// when the statement has no resource element (trust policies).
	Resource    []string
	NotResource []string

	// Conditions lists the condition block flattened to one entry per
	// operator and key, in document order. All must hold.
	Conditions []Condition

	actions      []pattern
	resources    []resourceValue
	principals   *principalSet // compiled Principal or NotPrincipal
	notPrincipal bool
}

// Principals is a statement's Principal or NotPrincipal element.
type Principals struct {
	// Wildcard is set for the bare form "Principal": "*".
	Wildcard bool
	// ByType maps a principal type (PrincipalAWS, PrincipalService,
	// PrincipalFederated, PrincipalCanonicalUser) to its identifiers, in
	// document order.
	ByType map[string][]string
}

// Condition is one operator/key pair of a statement's Condition block.
type Condition struct {
	// Operator is the operator as written, qualifiers included, e.g.
	// "ForAnyValue:StringLikeIfExists".
	Operator string
	// Key is the condition key as written; keys compare case-insensitively.
	Key string
	// Values are the policy's values as written (JSON numbers and booleans
	// in their literal text); several values are ORed.
	Values []string

	c compiledCondition
}
