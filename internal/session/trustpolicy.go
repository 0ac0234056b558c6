package session

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/roam-dev/roam/internal/credentials"
	"github.com/roam-dev/roam/internal/policy"
	"github.com/roam-dev/roam/internal/snapshot"
)

// Trust-policy actions CreateSession needs. sts:TagSession is needed only
// when the session carries tags, sts:SetSourceIdentity always (every
// session has a source identity).
const (
	actionAssumeRole        = "sts:AssumeRole"
	actionTagSession        = "sts:TagSession"
	actionSetSourceIdentity = "sts:SetSourceIdentity"
)

// trustContext builds the condition keys the trust policy sees: the
// trust anchor as aws:SourceArn, the certificate's attributes as principal
// and request tags, the source identity and session name.
func trustContext(anchorArn string, s *credentials.Session, n netContext, now time.Time) policy.Context {
	var c policy.Context
	c.SetTime(now)
	c.Set("aws:SourceArn", anchorArn)
	c.Set("aws:SourceAccount", s.AccountID)
	c.Set("aws:PrincipalServiceName", ServicePrincipal)
	if n.sourceIP != "" {
		c.Set("aws:SourceIp", n.sourceIP)
	}
	c.Set("aws:SecureTransport", strconv.FormatBool(n.secure))
	if n.userAgent != "" {
		c.Set("aws:UserAgent", n.userAgent)
	}
	c.Set("sts:SourceIdentity", s.SourceIdentity)
	c.Set("sts:RoleSessionName", s.SessionName)
	for _, t := range s.Tags {
		c.Set("aws:PrincipalTag/"+t.Key, t.Value)
		c.Set("aws:RequestTag/"+t.Key, t.Value)
		c.Add("aws:TagKeys", t.Key)
	}
	return c
}

// trustActions are the actions the session needs the trust policy to allow.
func trustActions(s *credentials.Session) []string {
	actions := []string{actionAssumeRole, actionSetSourceIdentity}
	if len(s.Tags) > 0 {
		actions = append(actions, actionTagSession)
	}
	return actions
}

// checkTrustPolicy requires the role's trust policy to allow the service
// principal every action the session needs, and explains a refusal.
func checkTrustPolicy(role *snapshot.Role, anchorArn string, s *credentials.Session, n netContext, now time.Time) *denial {
	if role.TrustErr != nil {
		return cannotAssume(role.Arn, "trust_policy.invalid", "the trust policy of role %s does not parse: %v", role.Name, role.TrustErr)
	}
	req := &policy.Request{
		Principal: &policy.Principal{Type: policy.PrincipalService, ID: ServicePrincipal},
		Resource:  role.Arn,
		Context:   trustContext(anchorArn, s, n, now),
	}
	for _, action := range trustActions(s) {
		req.Action = action
		res := role.Trust.Evaluate(req)
		if res.Decision == policy.Allow {
			continue
		}
		reason := "trust_policy.denied"
		if res.Decision == policy.ExplicitDeny {
			reason = "trust_policy.explicit_deny"
		}
		why := fmt.Sprintf("the trust policy of role %s does not allow %s for %s: %s", role.Name, action, ServicePrincipal, res.String())
		if hint := trustHint(res, anchorArn, action); hint != "" {
			why += ". Hint: " + hint
		}
		return cannotAssume(role.Arn, reason, "%s", why)
	}
	return nil
}

// trustHint recognises the common mistakes in Roles Anywhere trust
// policies and says how to fix them.
func trustHint(res policy.Result, anchorArn string, action string) string {
	var hints []string
	for _, m := range res.Misses {
		switch {
		case m.Element == policy.ElementPrincipal && m.Effect == policy.EffectAllow:
			hints = appendOnce(hints, fmt.Sprintf(`the Principal must be {"Service": %q}`, ServicePrincipal))
		case m.Element == policy.ElementAction && m.Effect == policy.EffectAllow && action != actionAssumeRole:
			hints = appendOnce(hints, fmt.Sprintf("Roles Anywhere needs the trust policy to allow %s, %s and %s; add %s to the statement's Action", actionAssumeRole, actionTagSession, actionSetSourceIdentity, action))
		case m.Condition != nil && strings.EqualFold(m.Condition.Key, "aws:SourceArn"):
			for _, v := range m.Condition.PolicyValues {
				if strings.Contains(v, ":profile/") {
					hints = appendOnce(hints, fmt.Sprintf("aws:SourceArn is the trust anchor's ARN (%s), but the condition compares it with a profile ARN (%s); compare aws:SourceArn with the trust anchor ARN", anchorArn, v))
				}
			}
		case m.Condition != nil && strings.HasPrefix(strings.ToLower(m.Condition.Key), "aws:principaltag/") && m.Condition.Absent:
			hints = appendOnce(hints, fmt.Sprintf("the certificate provides no %s: check the certificate's fields and the profile's attribute mappings", m.Condition.Key))
		}
	}
	return strings.Join(hints, "; ")
}

func appendOnce(list []string, s string) []string {
	if slices.Contains(list, s) {
		return list
	}
	return append(list, s)
}
