// Package trust decides whether a certificate chains to a trust anchor:
// it checks the CA certificates an anchor may hold, builds and verifies the
// path from a leaf through an unordered bag of intermediates to one of the
// anchor's certificates, and applies the certificate rules of IAM Roles
// Anywhere and the anchor's revocation lists.
package trust

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// MaxAnchorCertificates is how many CA certificates one trust anchor may
// hold (AWS quota "Certificates per trust anchor", not adjustable).
const MaxAnchorCertificates = 2

// ParseAnchorBundle parses the PEM bundle of a CERTIFICATE_BUNDLE trust
// anchor and checks that each certificate may act as a trust anchor: a CA
// (basicConstraints CA:true) allowed to sign certificates (keyUsage
// keyCertSign when keyUsage is present), signed with SHA-256 or stronger.
func ParseAnchorBundle(data string) ([]*x509.Certificate, error) {
	rest := []byte(data)
	var certs []*x509.Certificate
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("the certificate bundle holds a %q PEM block; only CERTIFICATE blocks are allowed", block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d of the bundle cannot be parsed: %v", len(certs)+1, err)
		}
		certs = append(certs, cert)
	}
	if strings.TrimSpace(string(rest)) != "" && len(certs) > 0 {
		return nil, errors.New("the certificate bundle has data after its last PEM block")
	}
	if len(certs) == 0 {
		return nil, errors.New("the certificate bundle holds no PEM CERTIFICATE block")
	}
	if len(certs) > MaxAnchorCertificates {
		return nil, fmt.Errorf("the certificate bundle holds %d certificates; a trust anchor holds at most %d", len(certs), MaxAnchorCertificates)
	}
	for i, c := range certs {
		if err := CheckCACertificate(c); err != nil {
			return nil, fmt.Errorf("certificate %d of the bundle (%s): %w", i+1, c.Subject, err)
		}
	}
	return certs, nil
}

// CheckCACertificate applies the rules for certificates that act as CAs
// (trust anchors and intermediates). Their keys may be RSA, ECDSA, Ed25519
// or ML-DSA-44/65/87.
func CheckCACertificate(c *x509.Certificate) error {
	if !c.BasicConstraintsValid || !c.IsCA {
		return errors.New("is not a CA certificate (basicConstraints CA:true is required)")
	}
	if c.KeyUsage != 0 && c.KeyUsage&x509.KeyUsageCertSign == 0 {
		return errors.New("may not sign certificates (keyUsage lacks keyCertSign)")
	}
	if weakSignature(c.SignatureAlgorithm) {
		return fmt.Errorf("is signed with %s; SHA-256 or stronger is required", c.SignatureAlgorithm)
	}
	if c.PublicKey == nil {
		// crypto/x509 leaves ML-DSA keys (and unknown ones) undecoded.
		pub, err := mldsaPublicKey(c)
		if err != nil {
			return fmt.Errorf("has an unusable public key: %v", err)
		}
		if pub == nil {
			return errors.New("has a public key of an unsupported algorithm (RSA, ECDSA, Ed25519 and ML-DSA are supported)")
		}
	}
	return nil
}

// weakSignature reports signature algorithms AWS refuses (MD5, SHA-1).
func weakSignature(a x509.SignatureAlgorithm) bool {
	switch a {
	case x509.MD2WithRSA, x509.MD5WithRSA, x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1:
		return true
	}
	return false
}
