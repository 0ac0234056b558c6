package trust

import (
	"bytes"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Reason codes for refused certificates. They are stable: audit records
// and tests match on them.
const (
	ReasonUntrusted         = "chain.untrusted"
	ReasonExpired           = "certificate.expired"
	ReasonNotYetValid       = "certificate.not_yet_valid"
	ReasonLeafVersion       = "leaf.version"
	ReasonLeafIsCA          = "leaf.is_ca"
	ReasonLeafKeyUsage      = "leaf.key_usage"
	ReasonLeafExtKeyUsage   = "leaf.ext_key_usage"
	ReasonWeakSignature     = "certificate.weak_signature"
	ReasonIntermediateUsage = "intermediate.not_ca"
	ReasonPathLength        = "chain.path_length"
	ReasonRevoked           = "certificate.revoked"
	ReasonInvalid           = "certificate.invalid"
)

// Error explains why a certificate is not trusted.
type Error struct {
	Reason string
	Detail string
}

func (e *Error) Error() string { return e.Detail }

func refuse(reason, format string, args ...any) *Error {
	return &Error{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Path is a verified certification path.
type Path struct {
	// Certs runs from the leaf to the anchor certificate, inclusive.
	Certs []*x509.Certificate
	// NotBefore and NotAfter bound the instants at which every certificate
	// of the path is valid.
	NotBefore, NotAfter time.Time
}

// Anchor returns the trust anchor certificate that ends the path.
func (p *Path) Anchor() *x509.Certificate { return p.Certs[len(p.Certs)-1] }

// CheckLeaf applies the end-entity rules of IAM Roles Anywhere: X.509 v3,
// not a CA, keyUsage with digitalSignature, extendedKeyUsage (if present)
// allowing client authentication, a signature of SHA-256 or stronger.
func CheckLeaf(leaf *x509.Certificate) *Error {
	if leaf.Version != 3 {
		return refuse(ReasonLeafVersion, "the certificate %q is X.509 version %d; version 3 is required", leaf.Subject, leaf.Version)
	}
	if leaf.BasicConstraintsValid && leaf.IsCA {
		return refuse(ReasonLeafIsCA, "the signing certificate %q is a CA certificate (basicConstraints CA:true); an end-entity certificate is required", leaf.Subject)
	}
	if leaf.KeyUsage&x509.KeyUsageDigitalSignature == 0 {
		if leaf.KeyUsage == 0 {
			return refuse(ReasonLeafKeyUsage, "the certificate %q has no keyUsage extension; it must allow digitalSignature", leaf.Subject)
		}
		return refuse(ReasonLeafKeyUsage, "the certificate %q has a keyUsage without digitalSignature", leaf.Subject)
	}
	if !allowsClientAuth(leaf) {
		return refuse(ReasonLeafExtKeyUsage, "the certificate %q has an extendedKeyUsage without clientAuth", leaf.Subject)
	}
	if weakSignature(leaf.SignatureAlgorithm) {
		return refuse(ReasonWeakSignature, "the certificate %q is signed with %s; SHA-256 or stronger is required", leaf.Subject, leaf.SignatureAlgorithm)
	}
	return nil
}

// VerifyPath builds and verifies a path from leaf to one of anchors at
// time now. bag holds candidate intermediates in any order; certificates in
// it that do not belong to a path (the leaf itself, unrelated certificates)
// are ignored. Any certificate may be signed with, or hold, an RSA, ECDSA
// or ML-DSA key.
func VerifyPath(leaf *x509.Certificate, bag, anchors []*x509.Certificate, now time.Time) (*Path, *Error) {
	if err := CheckLeaf(leaf); err != nil {
		return nil, err
	}
	chains, x509Err := verifyX509(leaf, bag, anchors, now)
	var firstErr *Error
	for _, chain := range chains {
		p, err := checkChain(chain)
		if err == nil {
			return p, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if usesMLDSA(leaf) || slices.ContainsFunc(bag, usesMLDSA) || slices.ContainsFunc(anchors, usesMLDSA) {
		// crypto/x509 cannot verify ML-DSA signatures, so it found no
		// acceptable path through an ML-DSA certificate; build one here.
		return buildPath(leaf, bag, anchors, now)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	// Only now explain crypto/x509's refusal: diagnoseUntrusted verifies
	// signatures again, which would be wasted before buildPath.
	return nil, explain(x509Err, leaf, bag, anchors, now)
}

// verifyX509 runs crypto/x509's path builder with the anchors as roots
// and bag as intermediates.
func verifyX509(leaf *x509.Certificate, bag, anchors []*x509.Certificate, now time.Time) ([][]*x509.Certificate, error) {
	roots := x509.NewCertPool()
	for _, a := range anchors {
		roots.AddCert(a)
	}
	inter := x509.NewCertPool()
	for _, c := range bag {
		if !c.Equal(leaf) {
			inter.AddCert(c)
		}
	}
	return leaf.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   now,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// checkChain applies the rules x509.Verify leaves out: every CA of the path
// may sign certificates and uses a strong signature algorithm.
func checkChain(chain []*x509.Certificate) (*Path, *Error) {
	p := &Path{Certs: chain, NotBefore: chain[0].NotBefore, NotAfter: chain[0].NotAfter}
	for i, c := range chain {
		if i > 0 {
			if err := CheckCACertificate(c); err != nil {
				return nil, refuse(ReasonIntermediateUsage, "CA certificate %q %v", c.Subject, err)
			}
		}
		// The anchor's self-signature is not checked by path validation,
		// but AWS refuses weak anchors when they are registered.
		if i < len(chain)-1 && weakSignature(c.SignatureAlgorithm) {
			return nil, refuse(ReasonWeakSignature, "certificate %q is signed with %s; SHA-256 or stronger is required", c.Subject, c.SignatureAlgorithm)
		}
		if c.NotBefore.After(p.NotBefore) {
			p.NotBefore = c.NotBefore
		}
		if c.NotAfter.Before(p.NotAfter) {
			p.NotAfter = c.NotAfter
		}
	}
	return p, nil
}

// explain turns an x509 verification error into a precise reason.
func explain(err error, leaf *x509.Certificate, bag, anchors []*x509.Certificate, now time.Time) *Error {
	var inv x509.CertificateInvalidError
	if errors.As(err, &inv) {
		switch inv.Reason {
		case x509.Expired:
			c := inv.Cert
			if now.Before(c.NotBefore) {
				return refuse(ReasonNotYetValid, "certificate %q is not valid until %s (now %s)", c.Subject, c.NotBefore.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
			}
			return refuse(ReasonExpired, "certificate %q expired at %s (now %s)", c.Subject, c.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		case x509.TooManyIntermediates:
			return refuse(ReasonPathLength, "the path violates a pathLenConstraint: %v", err)
		case x509.NotAuthorizedToSign:
			return refuse(ReasonIntermediateUsage, "certificate %q is not allowed to sign certificates: %v", inv.Cert.Subject, err)
		case x509.IncompatibleUsage:
			return refuse(ReasonLeafExtKeyUsage, "the extended key usages along the path do not allow client authentication: %v", err)
		}
		return refuse(ReasonInvalid, "%v", err)
	}
	var unknown x509.UnknownAuthorityError
	if errors.As(err, &unknown) {
		return diagnoseUntrusted(leaf, bag, anchors, now)
	}
	var insecure x509.InsecureAlgorithmError
	if errors.As(err, &insecure) {
		return refuse(ReasonWeakSignature, "%v", err)
	}
	return refuse(ReasonInvalid, "%v", err)
}

func subjects(certs []*x509.Certificate) string {
	s := make([]string, len(certs))
	for i, c := range certs {
		s[i] = fmt.Sprintf("%q", c.Subject.String())
	}
	return strings.Join(s, ", ")
}

func countOthers(bag []*x509.Certificate, leaf *x509.Certificate) int {
	n := 0
	for _, c := range bag {
		if !c.Equal(leaf) {
			n++
		}
	}
	return n
}

// diagnoseUntrusted walks up from leaf by issuer name, through the bag and
// the anchors, to say why no path was found: a missing issuer, an issuer
// that may not sign, a signature that does not verify, an expired CA.
func diagnoseUntrusted(leaf *x509.Certificate, bag, anchors []*x509.Certificate, now time.Time) *Error {
	candidates := append(append([]*x509.Certificate{}, anchors...), bag...)
	cur := leaf
	for depth := 0; depth <= len(candidates); depth++ {
		var issuers []*x509.Certificate
		for _, c := range candidates {
			if !c.Equal(cur) && bytes.Equal(c.RawSubject, cur.RawIssuer) {
				issuers = append(issuers, c)
			}
		}
		if len(issuers) == 0 {
			if depth == 0 {
				return refuse(ReasonUntrusted, "the certificate %q was issued by %q, which is neither a certificate of the trust anchor [%s] nor in X-Amz-X509-Chain (%d other certificate(s))", leaf.Subject, leaf.Issuer, subjects(anchors), countOthers(bag, leaf))
			}
			return refuse(ReasonUntrusted, "the chain from %q reaches %q, issued by %q, which is neither a certificate of the trust anchor [%s] nor in X-Amz-X509-Chain", leaf.Subject, cur.Subject, cur.Issuer, subjects(anchors))
		}
		var verified *x509.Certificate
		var sigErr error
		for _, is := range issuers {
			err := checkSignature(cur, is)
			if err == nil {
				verified = is
				break
			}
			if sigErr == nil {
				sigErr = err
			}
		}
		if verified == nil {
			is := issuers[0]
			if err := CheckCACertificate(is); err != nil {
				return refuse(ReasonIntermediateUsage, "the issuer %q of %q %v", is.Subject, cur.Subject, err)
			}
			return refuse(ReasonUntrusted, "the certificate %q names %q as its issuer, but its signature does not verify with that certificate's key (%v; a different CA with the same name?)", cur.Subject, cur.Issuer, sigErr)
		}
		if now.After(verified.NotAfter) {
			return refuse(ReasonExpired, "CA certificate %q expired at %s (now %s)", verified.Subject, verified.NotAfter.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
		}
		if now.Before(verified.NotBefore) {
			return refuse(ReasonNotYetValid, "CA certificate %q is not valid until %s", verified.Subject, verified.NotBefore.UTC().Format(time.RFC3339))
		}
		if slices.ContainsFunc(anchors, verified.Equal) {
			break
		}
		cur = verified
	}
	return refuse(ReasonUntrusted, "no valid path from %q to the trust anchor's certificates [%s]", leaf.Subject, subjects(anchors))
}
