package session

import (
	"crypto/x509"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/roam-dev/roam/internal/credentials"
	"github.com/roam-dev/roam/internal/snapshot"
	"github.com/roam-dev/roam/internal/trust"
)

// request is what the rules look at: an authenticated (or, for an
// explanation, presented) certificate and one CreateSession call's
// parameters.
type request struct {
	cert                                *certInfo
	chain                               []*certInfo // X-Amz-X509-Chain, as sent
	trustAnchorArn, profileArn, roleArn string
	in                                  input
	duration                            *int64
	net                                 netContext

	// trusted is set by evaluate once the certificate has a verified,
	// unrevoked path to the trust anchor.
	trusted bool
	// profile is set by evaluate once the profile is found and enabled.
	profile *snapshot.Profile
}

// netContext is what the trust policy may learn of the connection.
type netContext struct {
	sourceIP  string
	userAgent string
	secure    bool
}

func netOf(r *http.Request, sourceIP string) netContext {
	return netContext{sourceIP: sourceIP, userAgent: r.UserAgent(), secure: r.TLS != nil}
}

// Check is one rule's outcome in an explanation.
type Check struct {
	Rule string `json:"rule"`
	// Result is "pass", "fail" or "skipped".
	Result string `json:"result"`
	// Reason is the stable reason code of a failure.
	Reason string `json:"reason,omitempty"`
	Detail string `json:"detail"`
}

// trace collects checks; a nil *trace collects nothing, and then the rules
// stop at the first failure, as CreateSession does.
type trace struct {
	checks []Check
}

// pass records a passed rule; detail is only called when tracing, so the
// hot path never builds explanations nobody reads.
func (t *trace) pass(rule string, detail func() string) {
	if t != nil {
		t.checks = append(t.checks, Check{Rule: rule, Result: "pass", Detail: detail()})
	}
}

func (t *trace) fail(rule string, d *denial) {
	if t != nil {
		t.checks = append(t.checks, Check{Rule: rule, Result: "fail", Reason: d.reason, Detail: d.why})
	}
}

func (t *trace) skip(rule, why string) {
	if t != nil {
		t.checks = append(t.checks, Check{Rule: rule, Result: "skipped", Detail: why})
	}
}

// Rule names, in the order they are checked.
const (
	ruleTrustAnchor = "trust anchor"
	rulePath        = "certificate path"
	ruleRevocation  = "revocation"
	ruleProfile     = "profile"
	ruleRoleListed  = "role in profile"
	ruleRole        = "role"
	ruleSession     = "session"
	ruleTrustPolicy = "trust policy"
)

// evaluate applies CreateSession's rules after the signature: the trust
// anchor, the certificate path to it and its revocations, the profile, the
// role, the session's derivation and the role's trust policy. Without a
// trace it stops at the first failure; with one it records every rule,
// going on wherever the rules that follow still have what they need, and
// returns the first failure.
func (s *Service) evaluate(snap *snapshot.Snapshot, q *request, now time.Time, tr *trace) (*credentials.Session, *snapshot.Role, *denial) {
	var first *denial
	// failed records a failure and says whether to stop.
	failed := func(rule string, d *denial) bool {
		if first == nil {
			first = d
		}
		tr.fail(rule, d)
		return tr == nil
	}

	anchor, den := findAnchor(snap, q.trustAnchorArn)
	if den != nil {
		if failed(ruleTrustAnchor, den) {
			return nil, nil, first
		}
	} else {
		tr.pass(ruleTrustAnchor, func() string {
			return fmt.Sprintf("%s (%q) is enabled and holds %s", anchor.Arn, anchor.Name, subjectsOf(anchor.Certs))
		})
	}

	var path *trust.Path
	switch {
	case anchor == nil || anchor.Err != nil:
		tr.skip(rulePath, "needs a trust anchor with usable certificates")
	default:
		p, terr := s.paths.verify(anchor, q.cert, q.chain, now)
		if terr != nil {
			if failed(rulePath, untrusted(terr.Reason, "%s", terr.Detail)) {
				return nil, nil, first
			}
			break
		}
		path = p
		tr.pass(rulePath, func() string {
			return fmt.Sprintf("%s, valid until %s", subjectsOf(p.Certs), p.NotAfter.UTC().Format(time.RFC3339))
		})
	}
	if path == nil {
		tr.skip(ruleRevocation, "needs a certificate path")
	} else if terr := anchor.Revocations.Check(path.Certs); terr != nil {
		if failed(ruleRevocation, untrusted(terr.Reason, "%s", terr.Detail)) {
			return nil, nil, first
		}
	} else {
		q.trusted = true
		tr.pass(ruleRevocation, func() string { return "no enabled CRL of the trust anchor lists a certificate of the path" })
	}

	profile, den := findProfile(snap, q.profileArn, q.roleArn)
	if den != nil {
		if failed(ruleProfile, den) {
			return nil, nil, first
		}
	} else {
		tr.pass(ruleProfile, func() string { return fmt.Sprintf("%s (%q) is enabled", profile.Arn, profile.Name) })
	}
	if profile == nil {
		tr.skip(ruleRoleListed, "needs a profile")
	} else if !slices.Contains(profile.RoleArns, q.roleArn) {
		if failed(ruleRoleListed, cannotAssume(q.roleArn, "role.not_in_profile", "the role %s is not one of the profile %s's roles %v", q.roleArn, profile.Arn, profile.RoleArns)) {
			return nil, nil, first
		}
	} else {
		tr.pass(ruleRoleListed, func() string { return "the profile lists " + q.roleArn })
	}
	role := snap.Role(q.roleArn)
	if role == nil {
		if failed(ruleRole, cannotAssume(q.roleArn, "role.not_found", "no role has the ARN %s in account %s", q.roleArn, snap.Account.ID)) {
			return nil, nil, first
		}
	} else {
		tr.pass(ruleRole, func() string {
			return fmt.Sprintf("%s exists (maximum session duration %ds)", role.Arn, role.MaxSessionDuration)
		})
	}

	if profile == nil || role == nil {
		tr.skip(ruleSession, "needs the profile and the role")
		tr.skip(ruleTrustPolicy, "needs the profile and the role")
		return nil, role, first
	}
	notAfter := q.cert.cert.NotAfter
	if path != nil {
		notAfter = path.NotAfter
	}
	q.profile = profile
	sess, den := derive(snap, profile, role, q.cert, notAfter, q.in, q.duration, now)
	if den != nil {
		if failed(ruleSession, den) {
			return nil, nil, first
		}
		tr.skip(ruleTrustPolicy, "needs a session")
		return nil, role, first
	}
	tr.pass(ruleSession, func() string {
		return fmt.Sprintf("name %q, source identity %q, %ds until %s, tags %s", sess.SessionName, sess.SourceIdentity,
			sess.Expiration-sess.IssuedAt, sess.Expires().Format(time.RFC3339), tagList(sess.Tags))
	})
	if anchor != nil {
		sess.TrustAnchorID = anchor.ID
	}

	if den := checkTrustPolicy(role, q.trustAnchorArn, sess, q.net, now); den != nil {
		if failed(ruleTrustPolicy, den) {
			return nil, nil, first
		}
	} else {
		tr.pass(ruleTrustPolicy, func() string {
			return fmt.Sprintf("the trust policy of %s allows %s for %s", role.Name, strings.Join(trustActions(sess), ", "), ServicePrincipal)
		})
	}
	if first != nil {
		return nil, role, first
	}
	return sess, role, nil
}

func subjectsOf(certs []*x509.Certificate) string {
	parts := make([]string, len(certs))
	for i, c := range certs {
		parts[i] = fmt.Sprintf("%q", RenderName(c.RawSubject))
	}
	return strings.Join(parts, " -> ")
}

func tagList(tags []credentials.Tag) string {
	if len(tags) == 0 {
		return "(none)"
	}
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = t.Key + "=" + t.Value
	}
	return strings.Join(parts, ", ")
}
