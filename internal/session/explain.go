package session

import (
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"time"

	"github.com/roam-dev/roam/internal/credentials"
)

// ExplainInput is a CreateSession to explain: a certificate (PEM or DER)
// and its chain instead of a signed request, and the call's parameters.
type ExplainInput struct {
	Certificate     []byte
	Chain           []byte // PEM bundle; may be empty
	TrustAnchorArn  string
	ProfileArn      string
	RoleArn         string
	DurationSeconds *int64
	RoleSessionName *string
	// At is the moment to decide for; zero means now.
	At time.Time
	// SourceIP is what aws:SourceIp holds for the trust policy, if set.
	SourceIP string
}

// Explanation says what CreateSession would decide and why, rule by rule.
type Explanation struct {
	Decision string `json:"decision"` // "allow" or "deny"
	// Reason and Explanation are the first failure's code and detail, as
	// the audit log would record them; Message is what the caller would get.
	Reason      string  `json:"reason,omitempty"`
	Explanation string  `json:"explanation,omitempty"`
	Message     string  `json:"message,omitempty"`
	Checks      []Check `json:"checks"`
	// Session describes the session that would be issued.
	Session *SessionPreview `json:"session,omitempty"`
}

// SessionPreview is the session an allowed request would get.
type SessionPreview struct {
	RoleArn        string            `json:"roleArn"`
	SessionName    string            `json:"sessionName"`
	SourceIdentity string            `json:"sourceIdentity"`
	Expiration     time.Time         `json:"expiration"`
	Tags           map[string]string `json:"tags"`
}

// ErrExplainInput marks an ExplainInput that cannot be explained
// (unparsable certificates, missing ARNs).
var ErrExplainInput = errors.New("cannot explain")

// Explain evaluates CreateSession's rules for in without a signature (the
// private key is not needed), and reports every rule's outcome.
func (s *Service) Explain(ctx context.Context, in ExplainInput) (*Explanation, error) {
	now := in.At
	if now.IsZero() {
		now = s.now()
	}
	leafDER := in.Certificate
	if block, _ := pem.Decode(in.Certificate); block != nil {
		leafDER = block.Bytes
	}
	ci, err := s.certs.lookup(leafDER)
	if err != nil {
		return nil, fmt.Errorf("%w: certificate: %v", ErrExplainInput, err)
	}
	ci.derive()
	var chain []*certInfo
	for rest := in.Chain; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		c, err := s.certs.lookup(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: chain certificate %d: %v", ErrExplainInput, len(chain)+1, err)
		}
		chain = append(chain, c)
	}
	for _, p := range []struct{ name, v string }{{"trust anchor ARN", in.TrustAnchorArn}, {"profile ARN", in.ProfileArn}, {"role ARN", in.RoleArn}} {
		if p.v == "" {
			return nil, fmt.Errorf("%w: the %s is required", ErrExplainInput, p.name)
		}
	}
	snap, err := s.snapshots.Current(ctx)
	if err != nil {
		return nil, err
	}
	tr := &trace{}
	tr.skip("signature", "explain needs no private key: the request signature is not part of the explanation")
	var den *denial
	if len(chain) > 5 {
		den = untrusted("chain.too_long", "the chain holds %d certificates; X-Amz-X509-Chain allows at most 5", len(chain))
		tr.fail("chain size", den)
	}
	var duration *int64
	if in.DurationSeconds != nil {
		if duration, den = durationParam(jsonNumber(*in.DurationSeconds)); den != nil {
			tr.fail("parameters", den)
		}
	}
	q := &request{
		cert: ci, chain: chain,
		trustAnchorArn: in.TrustAnchorArn, profileArn: in.ProfileArn, roleArn: in.RoleArn,
		in:       input{RoleSessionName: in.RoleSessionName},
		duration: duration,
		net:      netContext{sourceIP: in.SourceIP, userAgent: "roam-explain", secure: true},
	}
	sess, role, first := s.evaluate(snap, q, now, tr)
	if den == nil {
		den = first
	}
	out := &Explanation{Decision: "allow", Checks: tr.checks}
	if den != nil {
		out.Decision, out.Reason, out.Explanation, out.Message = "deny", den.reason, den.why, den.err.Message
		return out, nil
	}
	out.Session = preview(role.Arn, sess)
	return out, nil
}

func preview(roleArn string, s *credentials.Session) *SessionPreview {
	p := &SessionPreview{RoleArn: roleArn, SessionName: s.SessionName, SourceIdentity: s.SourceIdentity, Expiration: s.Expires(), Tags: map[string]string{}}
	for _, t := range s.Tags {
		p.Tags[t.Key] = t.Value
	}
	return p
}
