// Package pki is roam's private certificate authority: key generation and
// loading, subject and SAN syntax, root and intermediate CA certificates
// with OpenSSL's classic v3_ca extensions, client certificates fit for IAM
// Roles Anywhere (issued from a generated key or from a CSR), revocation
// records and CRLs, and the on-disk CA directory that holds them.
//
// Every operation takes the current time explicitly, and every key is a
// crypto.Signer, so a CA key may live outside the process.
package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"time"
)

// ClockSkew is how far before "now" certificates start being valid, so a
// relying party whose clock lags a little still accepts them.
const ClockSkew = time.Minute

// CA is a certificate authority: its certificate, the key that signs for
// it, and the intermediate certificates between it and its root.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
	// Chain holds the CA certificates above Cert, nearest first, excluding
	// the self-signed root. It is empty for a root and for an intermediate
	// signed directly by a root.
	Chain []*x509.Certificate
}

// NewCA checks that cert is a CA certificate allowed to sign certificates,
// that key belongs to it, and that chain links cert upward, and returns
// the CA they make.
func NewCA(cert *x509.Certificate, key crypto.Signer, chain []*x509.Certificate) (*CA, error) {
	if !cert.BasicConstraintsValid || !cert.IsCA {
		return nil, fmt.Errorf("certificate %q is not a CA certificate (basicConstraints CA:true is missing)", FormatName(cert.Subject))
	}
	if cert.KeyUsage != 0 && cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("CA certificate %q may not sign certificates (keyUsage lacks keyCertSign)", FormatName(cert.Subject))
	}
	if err := checkPublicKey(cert.PublicKey); err != nil {
		return nil, fmt.Errorf("CA certificate %q: %w", FormatName(cert.Subject), err)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("the private key does not belong to CA certificate %q", FormatName(cert.Subject))
	}
	child := cert
	for i, c := range chain {
		if err := child.CheckSignatureFrom(c); err != nil {
			return nil, fmt.Errorf("chain certificate %d (%q) did not sign %q: %w", i+1, FormatName(c.Subject), FormatName(child.Subject), err)
		}
		child = c
	}
	return &CA{Cert: cert, Key: key, Chain: chain}, nil
}

// IsRoot reports whether the CA's certificate is self-signed.
func (ca *CA) IsRoot() bool { return isSelfSigned(ca.Cert) }

func isSelfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

// Intermediates returns the certificates a client presents along with a
// certificate this CA issued (aws_signing_helper --intermediates): the
// CA's own certificate followed by Chain. It is nil for a root CA, whose
// certificate is the trust anchor itself.
func (ca *CA) Intermediates() []*x509.Certificate {
	if ca.IsRoot() {
		return nil
	}
	return append([]*x509.Certificate{ca.Cert}, ca.Chain...)
}

// Validity is a certificate's validity period as the CA grants it.
type Validity struct {
	NotBefore, NotAfter time.Time
	// Requested is the notAfter asked for: now plus the lifetime.
	Requested time.Time
	// Clamped reports that Requested lies past the CA certificate's own
	// notAfter, so NotAfter was cut back to it.
	Clamped bool
}

// Validity computes the validity period of a certificate issued at now for
// lifetime: from now-ClockSkew to now+lifetime, in whole seconds, never
// past the CA's own notAfter. A CA that has expired issues nothing.
func (ca *CA) Validity(now time.Time, lifetime time.Duration) (Validity, error) {
	v, err := validity(now, lifetime)
	if err != nil {
		return v, err
	}
	if !now.Before(ca.Cert.NotAfter) {
		return Validity{}, fmt.Errorf("the CA certificate %q expired at %s", FormatName(ca.Cert.Subject), ca.Cert.NotAfter.UTC().Format(time.RFC3339))
	}
	if v.NotAfter.After(ca.Cert.NotAfter) {
		v.NotAfter, v.Clamped = ca.Cert.NotAfter.UTC(), true
	}
	return v, nil
}

func validity(now time.Time, lifetime time.Duration) (Validity, error) {
	if lifetime <= 0 {
		return Validity{}, fmt.Errorf("the certificate lifetime must be positive, not %s", lifetime)
	}
	now = now.UTC()
	end := now.Add(lifetime).Truncate(time.Second)
	return Validity{NotBefore: now.Add(-ClockSkew).Truncate(time.Second), NotAfter: end, Requested: end}, nil
}

// CAOptions describe a CA certificate to create.
type CAOptions struct {
	Subject  pkix.Name
	Lifetime time.Duration
	// PathLen, when set, limits how many intermediate CAs may follow this
	// one (basicConstraints pathlen). nil leaves the path unconstrained.
	PathLen *int
}

// NewRoot creates a self-signed root CA for key with the classic v3_ca
// extensions: subjectKeyIdentifier (SHA-1 of the public key bits),
// authorityKeyIdentifier (the same key identifier), basicConstraints
// critical CA:true, keyUsage critical digitalSignature, cRLSign,
// keyCertSign. It is valid from now-ClockSkew for opts.Lifetime.
func NewRoot(now time.Time, key crypto.Signer, opts CAOptions) (*CA, error) {
	v, err := validity(now, opts.Lifetime)
	if err != nil {
		return nil, err
	}
	tmpl, err := caTemplate(key.Public(), opts, v)
	if err != nil {
		return nil, err
	}
	tmpl.AuthorityKeyId = tmpl.SubjectKeyId
	cert, err := createCertificate(tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key}, nil
}

// NewIntermediate creates an intermediate CA for key, signed by ca, with the
// same extensions as NewRoot (the authorityKeyIdentifier names ca's key).
// Its validity is ca.Validity(now, opts.Lifetime). A PathLen must be
// smaller than ca's own, and a CA with pathlen 0 signs no CAs.
func (ca *CA) NewIntermediate(now time.Time, key crypto.Signer, opts CAOptions) (*CA, error) {
	// A parsed certificate has MaxPathLen -1 without a pathlen, and
	// MaxPathLen 0 with MaxPathLenZero for pathlen 0.
	if ca.Cert.MaxPathLen == 0 && ca.Cert.MaxPathLenZero {
		return nil, fmt.Errorf("CA %q has pathlen 0 and may not sign intermediate CAs", FormatName(ca.Cert.Subject))
	}
	if opts.PathLen != nil && ca.Cert.MaxPathLen > 0 && *opts.PathLen >= ca.Cert.MaxPathLen {
		return nil, fmt.Errorf("pathlen %d is not below the parent CA's pathlen %d", *opts.PathLen, ca.Cert.MaxPathLen)
	}
	v, err := ca.Validity(now, opts.Lifetime)
	if err != nil {
		return nil, err
	}
	tmpl, err := caTemplate(key.Public(), opts, v)
	if err != nil {
		return nil, err
	}
	if err := ca.setAuthorityKeyID(tmpl); err != nil {
		return nil, err
	}
	cert, err := createCertificate(tmpl, ca.Cert, key.Public(), ca.Key)
	if err != nil {
		return nil, err
	}
	return &CA{Cert: cert, Key: key, Chain: ca.Intermediates()}, nil
}

func caTemplate(pub crypto.PublicKey, opts CAOptions, v Validity) (*x509.Certificate, error) {
	if err := checkPublicKey(pub); err != nil {
		return nil, fmt.Errorf("CA key: %w", err)
	}
	if len(opts.Subject.ToRDNSequence()) == 0 {
		return nil, errors.New("the CA subject is empty")
	}
	ski, err := SubjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               opts.Subject,
		NotBefore:             v.NotBefore,
		NotAfter:              v.NotAfter,
		SubjectKeyId:          ski,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLen:            -1,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign | x509.KeyUsageCertSign,
	}
	if opts.PathLen != nil {
		if *opts.PathLen < 0 {
			return nil, fmt.Errorf("pathlen must not be negative, not %d", *opts.PathLen)
		}
		tmpl.MaxPathLen = *opts.PathLen
		tmpl.MaxPathLenZero = *opts.PathLen == 0
	}
	return tmpl, nil
}

// ClientOptions describe a client certificate to issue.
type ClientOptions struct {
	// Subject must not be empty: IAM Roles Anywhere keys its Subject
	// resource by the certificate subject.
	Subject  pkix.Name
	SANs     SANs
	Lifetime time.Duration
}

// IssueClient certifies pub as a client: authorityKeyIdentifier,
// subjectKeyIdentifier, basicConstraints critical CA:false, keyUsage
// critical digitalSignature (plus nonRepudiation, keyEncipherment and
// dataEncipherment for RSA keys, the classic OpenSSL recipe),
// extendedKeyUsage clientAuth and the requested SANs. The validity is
// ca.Validity(now, opts.Lifetime): it never outlives the CA.
func (ca *CA) IssueClient(now time.Time, pub crypto.PublicKey, opts ClientOptions) (*x509.Certificate, error) {
	if len(opts.Subject.ToRDNSequence()) == 0 {
		return nil, errors.New("the certificate subject is empty (IAM Roles Anywhere requires one)")
	}
	if err := opts.SANs.Validate(); err != nil {
		return nil, err
	}
	tmpl, err := ca.clientTemplate(now, pub, opts.Lifetime)
	if err != nil {
		return nil, err
	}
	tmpl.Subject = opts.Subject
	tmpl.DNSNames = opts.SANs.DNSNames
	tmpl.URIs = opts.SANs.URIs
	tmpl.EmailAddresses = opts.SANs.EmailAddresses
	tmpl.IPAddresses = opts.SANs.IPAddresses
	return createCertificate(tmpl, ca.Cert, pub, ca.Key)
}

// SignCSR issues a client certificate for the key in csr, for keys made
// elsewhere (an HSM, a TPM, another host). The request's self-signature
// must verify. The subject and the requested DNS, URI, email and IP SANs
// are copied (and must be well-formed, as ParseSANs would have them); every
// other requested extension, such as basicConstraints
// CA:true, is ignored: the certificate gets IssueClient's profile.
func (ca *CA) SignCSR(now time.Time, csr *x509.CertificateRequest, lifetime time.Duration) (*x509.Certificate, error) {
	if err := csr.CheckSignature(); err != nil {
		return nil, fmt.Errorf("the certificate request's signature does not verify: %w", err)
	}
	if len(csr.Subject.Names) == 0 {
		return nil, errors.New("the certificate request has an empty subject (IAM Roles Anywhere requires one)")
	}
	sans := SANs{DNSNames: csr.DNSNames, URIs: csr.URIs, EmailAddresses: csr.EmailAddresses, IPAddresses: csr.IPAddresses}
	if err := sans.Validate(); err != nil {
		return nil, fmt.Errorf("the certificate request asks for a malformed name: %w", err)
	}
	tmpl, err := ca.clientTemplate(now, csr.PublicKey, lifetime)
	if err != nil {
		return nil, err
	}
	// RawSubject keeps the requester's exact encoding and attribute order.
	tmpl.RawSubject = csr.RawSubject
	tmpl.DNSNames = csr.DNSNames
	tmpl.URIs = csr.URIs
	tmpl.EmailAddresses = csr.EmailAddresses
	tmpl.IPAddresses = csr.IPAddresses
	return createCertificate(tmpl, ca.Cert, csr.PublicKey, ca.Key)
}

func (ca *CA) clientTemplate(now time.Time, pub crypto.PublicKey, lifetime time.Duration) (*x509.Certificate, error) {
	if err := checkPublicKey(pub); err != nil {
		return nil, fmt.Errorf("certified key: %w", err)
	}
	v, err := ca.Validity(now, lifetime)
	if err != nil {
		return nil, err
	}
	ski, err := SubjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	usage := x509.KeyUsageDigitalSignature
	if _, ok := pub.(*rsa.PublicKey); ok {
		usage |= x509.KeyUsageContentCommitment | x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		NotBefore:             v.NotBefore,
		NotAfter:              v.NotAfter,
		SubjectKeyId:          ski,
		BasicConstraintsValid: true,
		IsCA:                  false,
		KeyUsage:              usage,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	if err := ca.setAuthorityKeyID(tmpl); err != nil {
		return nil, err
	}
	return tmpl, nil
}

// setAuthorityKeyID names the CA's key in tmpl. crypto/x509 copies the
// issuer's subjectKeyIdentifier by itself; for an issuer certificate
// without one, the identifier is computed the way OpenSSL computes it.
func (ca *CA) setAuthorityKeyID(tmpl *x509.Certificate) error {
	if len(ca.Cert.SubjectKeyId) > 0 {
		tmpl.AuthorityKeyId = ca.Cert.SubjectKeyId
		return nil
	}
	id, err := SubjectKeyID(ca.Cert.PublicKey)
	if err != nil {
		return err
	}
	tmpl.AuthorityKeyId = id
	return nil
}

// createCertificate signs tmpl with the signature algorithm matching the
// signer (SHA-256, or SHA-384/512 for the larger curves) and parses the
// result.
func createCertificate(tmpl, parent *x509.Certificate, pub crypto.PublicKey, signer crypto.Signer) (*x509.Certificate, error) {
	alg, err := signatureAlgorithm(signer.Public())
	if err != nil {
		return nil, err
	}
	tmpl.SignatureAlgorithm = alg
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, signer)
	if err != nil {
		return nil, fmt.Errorf("sign certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse the new certificate: %w", err)
	}
	return cert, nil
}

func signatureAlgorithm(pub crypto.PublicKey) (x509.SignatureAlgorithm, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return x509.SHA256WithRSA, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return x509.ECDSAWithSHA256, nil
		case elliptic.P384():
			return x509.ECDSAWithSHA384, nil
		case elliptic.P521():
			return x509.ECDSAWithSHA512, nil
		}
	}
	return x509.UnknownSignatureAlgorithm, fmt.Errorf("cannot sign with a %s key", DescribeKey(pub))
}

// SubjectKeyID computes a key identifier the way OpenSSL's
// subjectKeyIdentifier=hash does (RFC 5280 section 4.2.1.2, method 1): the
// SHA-1 digest of the subjectPublicKey BIT STRING, without its tag, length
// and unused-bits octet.
func SubjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("encode public key: %w", err)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("decode public key: %w", err)
	}
	sum := sha1.Sum(spki.PublicKey.Bytes)
	return sum[:], nil
}

// serialLimit is 2^128: serials are random positive 128-bit numbers.
var serialLimit = new(big.Int).Lsh(big.NewInt(1), 128)

func randomSerial() (*big.Int, error) {
	for {
		n, err := rand.Int(rand.Reader, serialLimit)
		if err != nil {
			return nil, fmt.Errorf("generate serial number: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}
