package trust

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"slices"
	"time"
)

// maxPathIntermediates bounds the intermediates buildPath puts between a
// leaf and its anchor: X-Amz-X509-Chain carries at most 5 certificates.
const maxPathIntermediates = 5

// maxSignatureChecks bounds the signatures one buildPath verifies, as
// crypto/x509 bounds its own, so that a bag of many certificates with the
// same name cannot make path building expensive.
const maxSignatureChecks = 100

var (
	oidSubjectAltName  = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidNameConstraints = asn1.ObjectIdentifier{2, 5, 29, 30}
)

// anyPolicy is the special certificate policy 2.5.29.32.0 (RFC 5280).
const anyPolicy = "2.5.29.32.0"

// buildPath is VerifyPath for paths crypto/x509 cannot verify because a
// certificate on them is signed with ML-DSA or holds an ML-DSA key. The
// leaf has passed CheckLeaf.
//
// It searches depth first from leaf for issuers by name, among anchors
// first and then bag, those whose subjectKeyIdentifier matches the child's
// authorityKeyIdentifier first; it verifies every signature with
// checkSignature and applies the rules of x509.Certificate.Verify with
// ExtKeyUsageClientAuth (validity at now, CA and pathLenConstraint of each
// issuer, unhandled critical extensions, extended key usage nesting) and
// then checkChain. It returns the first path that passes; when none does,
// the refusal of the first issuer whose signature verified but which broke
// a rule, or else diagnoseUntrusted's explanation.
//
// Name constraints and certificate policy constraints are not
// reimplemented: a path they could invalidate (a name-constrained CA above
// a certificate with a subjectAltName; requireExplicitPolicy; a policy
// mapping of anyPolicy) is refused with ReasonInvalid.
func buildPath(leaf *x509.Certificate, bag, anchors []*x509.Certificate, now time.Time) (*Path, *Error) {
	if err := checkValidity(leaf, now, "certificate"); err != nil {
		return nil, err
	}
	b := &pathBuilder{now: now, anchors: anchors}
	for _, c := range bag {
		if !c.Equal(leaf) && !slices.ContainsFunc(b.bag, c.Equal) {
			b.bag = append(b.bag, c)
		}
	}
	chain := []*x509.Certificate{leaf}
	if slices.ContainsFunc(anchors, leaf.Equal) {
		return finishPath(chain)
	}
	if p := b.extend(chain); p != nil {
		return p, nil
	}
	if b.err != nil {
		return nil, b.err
	}
	return nil, diagnoseUntrusted(leaf, bag, anchors, now)
}

// pathBuilder holds the state of one buildPath search.
type pathBuilder struct {
	now          time.Time
	anchors, bag []*x509.Certificate
	// checks counts signature verifications.
	checks int
	// err is the first refusal of an issuer whose signature verified.
	err *Error
}

// note records err unless an earlier refusal is recorded.
func (b *pathBuilder) note(err *Error) {
	if b.err == nil {
		b.err = err
	}
}

// extend returns the first acceptable path that continues chain (leaf
// first) to an anchor, or nil.
func (b *pathBuilder) extend(chain []*x509.Certificate) *Path {
	child := chain[len(chain)-1]
	tiers := []struct {
		certs  []*x509.Certificate
		anchor bool
	}{{b.anchors, true}, {b.bag, false}}
	for _, tier := range tiers {
		for _, c := range issuerCandidates(child, tier.certs) {
			if alreadyInChain(c, chain) {
				continue
			}
			if b.checks == maxSignatureChecks {
				b.note(refuse(ReasonInvalid, "gave up building a path from %q after %d signature checks", chain[0].Subject, maxSignatureChecks))
				return nil
			}
			b.checks++
			if checkSignature(child, c) != nil {
				continue
			}
			if !tier.anchor && len(chain) > maxPathIntermediates {
				b.note(refuse(ReasonPathLength, "the path from %q to the trust anchor would need more than %d intermediate certificates", chain[0].Subject, maxPathIntermediates))
				continue
			}
			if err := b.checkIssuer(c, len(chain), tier.anchor); err != nil {
				b.note(err)
				continue
			}
			next := append(slices.Clip(chain), c)
			if tier.anchor {
				p, err := finishPath(next)
				if err == nil {
					return p
				}
				b.note(err)
				continue
			}
			if p := b.extend(next); p != nil {
				return p
			}
			if b.checks == maxSignatureChecks {
				return nil
			}
		}
	}
	return nil
}

// checkIssuer applies the rules crypto/x509 applies to a certificate c it
// appends to a path below which there are n certificates: validity at now,
// no unhandled critical extension, a CA (unless c is an anchor), and the
// pathLenConstraint.
func (b *pathBuilder) checkIssuer(c *x509.Certificate, n int, anchor bool) *Error {
	if err := checkValidity(c, b.now, "CA certificate"); err != nil {
		return err
	}
	if !anchor && (!c.BasicConstraintsValid || !c.IsCA) {
		return refuse(ReasonIntermediateUsage, "certificate %q is not allowed to sign certificates: it is not a CA certificate (basicConstraints CA:true is required)", c.Subject)
	}
	if intermediates := n - 1; c.BasicConstraintsValid && c.MaxPathLen >= 0 && intermediates > c.MaxPathLen {
		return refuse(ReasonPathLength, "the path violates a pathLenConstraint: CA certificate %q allows %d intermediate certificate(s) below it, the path has %d", c.Subject, c.MaxPathLen, intermediates)
	}
	return nil
}

// checkValidity refuses c, a kind ("certificate", "CA certificate"), when
// now is outside its validity period or when it has a critical extension
// crypto/x509 does not handle.
func checkValidity(c *x509.Certificate, now time.Time, kind string) *Error {
	if len(c.UnhandledCriticalExtensions) > 0 {
		return refuse(ReasonInvalid, "%s %q has unsupported critical extension(s) %v", kind, c.Subject, c.UnhandledCriticalExtensions)
	}
	if now.Before(c.NotBefore) {
		return refuse(ReasonNotYetValid, "%s %q is not valid until %s (now %s)", kind, c.Subject, c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if now.After(c.NotAfter) {
		return refuse(ReasonExpired, "%s %q expired at %s (now %s)", kind, c.Subject, c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	return nil
}

// finishPath applies the rules that concern a whole path, leaf first and
// anchor last: extended key usage nesting, the constraints buildPath does
// not implement, and checkChain.
func finishPath(chain []*x509.Certificate) (*Path, *Error) {
	for _, c := range chain {
		if !allowsClientAuth(c) {
			return nil, refuse(ReasonLeafExtKeyUsage, "the extended key usages along the path do not allow client authentication: certificate %q has an extendedKeyUsage without clientAuth", c.Subject)
		}
	}
	for j, ca := range chain {
		if j == 0 || !hasExtension(ca, oidNameConstraints) {
			continue
		}
		for _, c := range chain[:j] {
			if hasExtension(c, oidSubjectAltName) {
				return nil, refuse(ReasonInvalid, "CA certificate %q has name constraints and %q below it has a subjectAltName; name constraints are not checked on paths with ML-DSA certificates, so the path is refused", ca.Subject, c.Subject)
			}
		}
	}
	for _, c := range chain[:len(chain)-1] {
		if c.RequireExplicitPolicy > 0 || c.RequireExplicitPolicyZero {
			return nil, refuse(ReasonInvalid, "certificate %q requires explicit certificate policies; policy constraints are not checked on paths with ML-DSA certificates, so the path is refused", c.Subject)
		}
		for _, m := range c.PolicyMappings {
			if m.IssuerDomainPolicy.String() == anyPolicy || m.SubjectDomainPolicy.String() == anyPolicy {
				return nil, refuse(ReasonInvalid, "certificate %q maps anyPolicy, which RFC 5280 forbids", c.Subject)
			}
		}
	}
	return checkChain(chain)
}

// allowsClientAuth reports whether c's extendedKeyUsage, if any, allows
// client authentication. As crypto/x509 does, a CA's extendedKeyUsage
// limits the certificates below it.
func allowsClientAuth(c *x509.Certificate) bool {
	if len(c.ExtKeyUsage) == 0 && len(c.UnknownExtKeyUsage) == 0 {
		return true
	}
	return slices.ContainsFunc(c.ExtKeyUsage, func(u x509.ExtKeyUsage) bool {
		return u == x509.ExtKeyUsageClientAuth || u == x509.ExtKeyUsageAny
	})
}

// issuerCandidates returns the certificates of certs whose subject is
// child's issuer, in crypto/x509's order of plausibility: matching key
// identifiers, then one key identifier absent, then mismatching ones.
func issuerCandidates(child *x509.Certificate, certs []*x509.Certificate) []*x509.Certificate {
	var match, oneAbsent, mismatch []*x509.Certificate
	for _, c := range certs {
		if !bytes.Equal(c.RawSubject, child.RawIssuer) {
			continue
		}
		switch {
		case bytes.Equal(c.SubjectKeyId, child.AuthorityKeyId):
			match = append(match, c)
		case len(c.SubjectKeyId) == 0 || len(child.AuthorityKeyId) == 0:
			oneAbsent = append(oneAbsent, c)
		default:
			mismatch = append(mismatch, c)
		}
	}
	return slices.Concat(match, oneAbsent, mismatch)
}

// alreadyInChain reports whether chain holds a certificate with c's
// subject, public key and subjectAltName, as crypto/x509 does to avoid
// loops through cross-certificates.
func alreadyInChain(c *x509.Certificate, chain []*x509.Certificate) bool {
	san := extensionValue(c, oidSubjectAltName)
	for _, other := range chain {
		if !bytes.Equal(c.RawSubject, other.RawSubject) || !bytes.Equal(c.RawSubjectPublicKeyInfo, other.RawSubjectPublicKeyInfo) {
			continue
		}
		otherSAN := extensionValue(other, oidSubjectAltName)
		if (san == nil) == (otherSAN == nil) && bytes.Equal(san, otherSAN) {
			return true
		}
	}
	return false
}

func hasExtension(c *x509.Certificate, oid asn1.ObjectIdentifier) bool {
	return extensionValue(c, oid) != nil
}

// extensionValue returns the value of c's extension oid, or nil when c has
// none (a present extension returns a non-nil value).
func extensionValue(c *x509.Certificate, oid asn1.ObjectIdentifier) []byte {
	for _, e := range c.Extensions {
		if e.Id.Equal(oid) {
			if e.Value == nil {
				return []byte{}
			}
			return e.Value
		}
	}
	return nil
}
