package auth

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/credentials"
	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/policy"
	"github.com/roam-dev/roam/internal/snapshot"
)

// Authorizer evaluates IAM policies for API calls: the root user may do
// anything; a role session may do what its role's permission policies
// allow, narrowed by the session policies it was issued with (the profile's
// inline session policy and managed policies). An explicit Deny anywhere
// wins; no Allow means deny.
type Authorizer struct {
	Snapshots *snapshot.Loader
	Now       func() time.Time
}

// Authorize returns nil when the request's principal may perform req, and
// otherwise an access-denied *apierror.Error naming the action and resource
// (AccessDeniedException; the query protocol's writer calls it AccessDenied).
// The error's Detail holds the policy evaluation's explanation.
func (a *Authorizer) Authorize(ctx context.Context, req Request) error {
	p := PrincipalFrom(ctx)
	if p == nil {
		return deny(req, "anonymous", "", "the request is not authenticated")
	}
	if p.Root() {
		return nil
	}
	snap, err := a.Snapshots.Current(ctx)
	if err != nil {
		return err
	}
	s := p.Session
	role := snap.Roles[strings.ToLower(s.RoleName)]
	if role == nil || role.ID != s.RoleID {
		return deny(req, p.Arn, "", fmt.Sprintf("the role %s behind this session no longer exists", s.RoleName))
	}
	preq := &policy.Request{Action: req.Action, Resource: req.Resource, Context: a.context(ctx, p, role.Arn, req)}

	identity := policy.EvaluateAll(role.Permissions, preq)
	if identity.Decision == policy.ExplicitDeny {
		return deny(req, p.Arn, "with an explicit deny in an identity-based policy", identity.String())
	}
	var sessionPolicies []*policy.Policy
	if s.SessionPolicy != "" {
		sp, err := sessionPolicy(snap, s)
		if err != nil {
			return deny(req, p.Arn, "", "the session policy no longer parses: "+err.Error())
		}
		sessionPolicies = append(sessionPolicies, sp)
	}
	for _, arn := range s.PolicyArns {
		if mp := snap.Policies[arn]; mp != nil {
			sessionPolicies = append(sessionPolicies, mp.Default)
		}
	}
	if len(sessionPolicies) > 0 || len(s.PolicyArns) > 0 {
		sess := policy.EvaluateAll(sessionPolicies, preq)
		switch sess.Decision {
		case policy.ExplicitDeny:
			return deny(req, p.Arn, "with an explicit deny in a session policy", sess.String())
		case policy.ImplicitDeny:
			return deny(req, p.Arn, "because no session policy allows the "+req.Action+" action", sess.String())
		}
	}
	if identity.Decision != policy.Allow {
		return deny(req, p.Arn, "because no identity-based policy allows the "+req.Action+" action", identity.String())
	}
	return nil
}

// sessionPolicy returns the session's inline session policy, parsed. A
// session carries its profile's compacted policy, which the snapshot has
// already parsed, so the document is parsed here only when the profile's
// policy has changed since the session was issued.
func sessionPolicy(snap *snapshot.Snapshot, s *credentials.Session) (*policy.Policy, error) {
	if pr := snap.Profiles[s.ProfileID]; pr != nil && pr.SessionPolicy != nil && pr.CompactPolicy == s.SessionPolicy {
		return pr.SessionPolicy, nil
	}
	return policy.ParseString(s.SessionPolicy, policy.IdentityPolicy)
}

// context builds the condition keys of a role session's request: the
// principal's, the connection's and the request's own.
func (a *Authorizer) context(ctx context.Context, p *Principal, roleArn string, req Request) policy.Context {
	var c policy.Context
	c.SetTime(a.Now())
	hr := httpapi.RequestFrom(ctx)
	c.Set("aws:SecureTransport", strconv.FormatBool(hr.Secure))
	if hr.SourceIP != "" {
		c.Set("aws:SourceIp", hr.SourceIP)
	}
	if hr.UserAgent != "" {
		c.Set("aws:UserAgent", hr.UserAgent)
	}
	if hr.Region != "" {
		c.Set("aws:RequestedRegion", hr.Region)
	}
	c.Set("aws:PrincipalArn", roleArn)
	c.Set("aws:PrincipalAccount", p.AccountID)
	c.Set("aws:PrincipalType", "AssumedRole")
	c.Set("aws:userid", p.UserID)
	if p.Session.SourceIdentity != "" {
		c.Set("aws:SourceIdentity", p.Session.SourceIdentity)
	}
	for _, t := range p.Session.Tags {
		c.Set("aws:PrincipalTag/"+t.Key, t.Value)
	}
	for k, v := range req.Context {
		c.Set(k, v...)
	}
	return c
}

// deny builds the access-denied error, worded like AWS's: the public
// message names the principal, action, resource and the kind of policy
// that decided; detail (the evaluation's explanation) stays in the log.
func deny(req Request, principal, because, detail string) *apierror.Error {
	resource := req.Resource
	if resource == "" {
		resource = "*"
	}
	msg := fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s", principal, req.Action, resource)
	if because != "" {
		msg += " " + because
	}
	e := apierror.AccessDenied("%s", msg)
	e.Detail = detail
	return e
}
