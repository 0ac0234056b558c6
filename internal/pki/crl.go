package pki

import (
	"crypto/rand"
	"crypto/x509"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// Reason is a CRL reason code (RFC 5280 section 5.3.1).
type Reason int

// The reason codes a revocation may carry. Code 7 is unused and
// removeFromCRL (8) belongs to delta CRLs, which roam does not issue.
const (
	Unspecified          Reason = 0
	KeyCompromise        Reason = 1
	CACompromise         Reason = 2
	AffiliationChanged   Reason = 3
	Superseded           Reason = 4
	CessationOfOperation Reason = 5
	CertificateHold      Reason = 6
	PrivilegeWithdrawn   Reason = 9
	AACompromise         Reason = 10
)

var reasonNames = []struct {
	reason Reason
	name   string
}{
	{Unspecified, "unspecified"},
	{KeyCompromise, "keyCompromise"},
	{CACompromise, "cACompromise"},
	{AffiliationChanged, "affiliationChanged"},
	{Superseded, "superseded"},
	{CessationOfOperation, "cessationOfOperation"},
	{CertificateHold, "certificateHold"},
	{PrivilegeWithdrawn, "privilegeWithdrawn"},
	{AACompromise, "aACompromise"},
}

// ReasonNames lists the names ParseReason accepts, in code order.
func ReasonNames() []string {
	names := make([]string, len(reasonNames))
	for i, r := range reasonNames {
		names[i] = r.name
	}
	return names
}

// ParseReason reads a reason by its RFC 5280 name, case-insensitively (as
// openssl ca -crl_reason does).
func ParseReason(s string) (Reason, error) {
	for _, r := range reasonNames {
		if strings.EqualFold(r.name, s) {
			return r.reason, nil
		}
	}
	return 0, fmt.Errorf("unknown revocation reason %q (valid: %s)", s, strings.Join(ReasonNames(), ", "))
}

// String returns the RFC 5280 name of r.
func (r Reason) String() string {
	for _, n := range reasonNames {
		if n.reason == r {
			return n.name
		}
	}
	return fmt.Sprintf("Reason(%d)", int(r))
}

// Revocation records that a certificate was revoked.
type Revocation struct {
	Serial    *big.Int
	RevokedAt time.Time
	Reason    Reason
}

// CreateCRL signs a certificate revocation list listing revoked, with CRL
// number number, thisUpdate now and nextUpdate now+lifetime. It carries
// the CA's authorityKeyIdentifier and is signed like the CA's
// certificates (SHA-256, or SHA-384/512 for the larger curves). The reason
// code extension is left out for Unspecified, as RFC 5280 asks.
func (ca *CA) CreateCRL(now time.Time, number *big.Int, lifetime time.Duration, revoked []Revocation) (*x509.RevocationList, error) {
	if lifetime <= 0 {
		return nil, fmt.Errorf("the CRL lifetime must be positive, not %s", lifetime)
	}
	if number == nil || number.Sign() < 0 {
		return nil, fmt.Errorf("the CRL number must be a non-negative integer, not %v", number)
	}
	if ca.Cert.KeyUsage != 0 && ca.Cert.KeyUsage&x509.KeyUsageCRLSign == 0 {
		return nil, fmt.Errorf("CA certificate %q may not sign CRLs (keyUsage lacks cRLSign)", FormatName(ca.Cert.Subject))
	}
	alg, err := signatureAlgorithm(ca.Key.Public())
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Second)
	tmpl := &x509.RevocationList{
		SignatureAlgorithm: alg,
		Number:             number,
		ThisUpdate:         now,
		NextUpdate:         now.Add(lifetime),
	}
	for _, r := range revoked {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{
			SerialNumber:   r.Serial,
			RevocationTime: r.RevokedAt.UTC(),
			ReasonCode:     int(r.Reason),
		})
	}
	// crypto/x509 insists on keyUsage cRLSign and a subjectKeyIdentifier in
	// the issuer. A v1 or minimal OpenSSL CA may lack either; a copy with
	// both filled in (as OpenSSL would compute them) signs the same CRL.
	issuer := *ca.Cert
	issuer.KeyUsage |= x509.KeyUsageCRLSign
	if len(issuer.SubjectKeyId) == 0 {
		if issuer.SubjectKeyId, err = SubjectKeyID(issuer.PublicKey); err != nil {
			return nil, err
		}
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, &issuer, ca.Key)
	if err != nil {
		return nil, fmt.Errorf("sign CRL: %w", err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("parse the new CRL: %w", err)
	}
	return crl, nil
}
