// Package auth decides who is calling (SigV4 authentication against the
// account's root keys and roam's sealed session credentials) and what they
// may do (IAM policy evaluation for every control-plane, IAM and STS call).
package auth

import (
	"context"

	"github.com/roam-dev/roam/internal/credentials"
)

// Principal is an authenticated caller.
type Principal struct {
	AccountID string
	// Arn is arn:aws:iam::ACCOUNT:root for the root keys, or
	// arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION for a role session.
	Arn string
	// UserID is the account ID for root, ROLEID:SESSION for a session.
	UserID string
	// Session is the role session behind temporary credentials; nil for
	// the root keys.
	Session *credentials.Session
}

// Root reports whether the principal is the account's root user.
func (p *Principal) Root() bool { return p.Session == nil }

type principalKey struct{}

// WithPrincipal returns a context carrying the request's principal.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the request's principal, or nil when the request
// was not authenticated.
func PrincipalFrom(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Request is one authorization question: may the request's principal
// perform Action on Resource? Context adds request-specific condition keys
// (aws:RequestTag/..., iam:PassedToService, ...) to the global ones the
// authorizer derives from the principal and the HTTP request.
type Request struct {
	Action   string
	Resource string
	Context  map[string][]string
}
