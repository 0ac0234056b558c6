package trust

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/roam-dev/roam/internal/mldsa"

	"github.com/cloudflare/circl/sign"
)

// crypto/x509 (Go 1.26) parses certificates and CRLs that use ML-DSA
// (FIPS 204) but cannot use them: PublicKey is nil, SignatureAlgorithm is
// UnknownSignatureAlgorithm, and CheckSignatureFrom fails. This file checks
// such signatures with circl; sigv4x509.PublicKey decodes the same keys for
// request signatures.

// signedObject is the outer structure shared by certificates (RFC 5280
// §4.1) and CRLs (§5.1).
type signedObject struct {
	TBS       asn1.RawValue
	Algorithm pkix.AlgorithmIdentifier
	Signature asn1.BitString
}

// mldsaSigned reports how der, a certificate or CRL, is signed: with an
// ML-DSA parameter set (and then its signed bytes and signature), or with
// another algorithm (nil scheme), which crypto/x509 handles.
func mldsaSigned(der []byte) (scheme sign.Scheme, tbs, sig []byte, err error) {
	var s signedObject
	rest, err := asn1.Unmarshal(der, &s)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("malformed signed structure: %v", err)
	}
	if len(rest) != 0 {
		return nil, nil, nil, errors.New("malformed signed structure: trailing data")
	}
	scheme, err = mldsa.SchemeOf(s.Algorithm)
	if err != nil || scheme == nil {
		return nil, nil, nil, err
	}
	if s.Signature.BitLength%8 != 0 {
		return nil, nil, nil, fmt.Errorf("the %s signature is not a whole number of bytes", scheme.Name())
	}
	return scheme, s.TBS.FullBytes, s.Signature.Bytes, nil
}

// mldsaPublicKey returns c's ML-DSA public key, a nil key when c holds
// another kind of key, or an error when the ML-DSA key is malformed.
func mldsaPublicKey(c *x509.Certificate) (sign.PublicKey, error) {
	return mldsa.PublicKey(c.RawSubjectPublicKeyInfo)
}

// usesMLDSA reports whether c is signed with ML-DSA or holds an ML-DSA
// key (well-formed or not): crypto/x509 cannot verify a path through it.
func usesMLDSA(c *x509.Certificate) bool {
	if scheme, _, _, err := mldsaSigned(c.Raw); scheme != nil || (err != nil && c.SignatureAlgorithm == x509.UnknownSignatureAlgorithm) {
		return true
	}
	pub, err := mldsaPublicKey(c)
	return pub != nil || (err != nil && c.PublicKeyAlgorithm == x509.UnknownPublicKeyAlgorithm)
}

// checkSignature reports whether parent issued child, with the checks of
// child.CheckSignatureFrom(parent) (parent is a CA certificate that may
// sign certificates; the signature verifies with its key), for ML-DSA
// signatures and keys too.
func checkSignature(child, parent *x509.Certificate) error {
	scheme, tbs, sig, err := mldsaSigned(child.Raw)
	if err != nil {
		return err
	}
	if scheme == nil {
		if err := classicalKeyFor(child.SignatureAlgorithm, parent); err != nil {
			return err
		}
		return child.CheckSignatureFrom(parent)
	}
	if err := mayIssue(parent, x509.KeyUsageCertSign); err != nil {
		return err
	}
	return verifyMLDSA(scheme, tbs, sig, parent)
}

// checkCRLSignature reports whether issuer signed crl, with the checks of
// crl.CheckSignatureFrom(issuer) (issuer is a CA certificate that may sign
// CRLs), for ML-DSA signatures and keys too.
func checkCRLSignature(crl *x509.RevocationList, issuer *x509.Certificate) error {
	scheme, tbs, sig, err := mldsaSigned(crl.Raw)
	if err != nil {
		return err
	}
	if scheme == nil {
		if err := classicalKeyFor(crl.SignatureAlgorithm, issuer); err != nil {
			return err
		}
		return crl.CheckSignatureFrom(issuer)
	}
	if err := mayIssue(issuer, x509.KeyUsageCRLSign); err != nil {
		return err
	}
	return verifyMLDSA(scheme, tbs, sig, issuer)
}

// mayIssue applies the issuer checks of crypto/x509's CheckSignatureFrom:
// a version 3 issuer must be a CA, and its keyUsage (when present) must
// include usage.
func mayIssue(issuer *x509.Certificate, usage x509.KeyUsage) error {
	if issuer.Version == 3 && !issuer.BasicConstraintsValid || issuer.BasicConstraintsValid && !issuer.IsCA {
		return x509.ConstraintViolationError{}
	}
	if issuer.KeyUsage != 0 && issuer.KeyUsage&usage == 0 {
		return x509.ConstraintViolationError{}
	}
	return nil
}

// classicalKeyFor explains the mismatch of a signature made with alg (not
// ML-DSA) and an issuer holding an ML-DSA key, which crypto/x509 would only
// report as an unsupported algorithm.
func classicalKeyFor(alg x509.SignatureAlgorithm, issuer *x509.Certificate) error {
	if issuer.PublicKey != nil {
		return nil
	}
	if pub, err := mldsaPublicKey(issuer); err == nil && pub != nil {
		return fmt.Errorf("signed with %s, but the issuer's key is %s", alg, pub.Scheme().Name())
	}
	return nil
}

// verifyMLDSA checks sig, a pure ML-DSA signature with an empty context
// made with scheme, over tbs with issuer's key.
func verifyMLDSA(scheme sign.Scheme, tbs, sig []byte, issuer *x509.Certificate) error {
	pub, err := mldsaPublicKey(issuer)
	if err != nil {
		return fmt.Errorf("the issuer's public key: %v", err)
	}
	if pub == nil {
		return fmt.Errorf("signed with %s, but the issuer's key is %s", scheme.Name(), keyAlgorithm(issuer))
	}
	if pub.Scheme() != scheme {
		return fmt.Errorf("signed with %s, but the issuer's key is %s", scheme.Name(), pub.Scheme().Name())
	}
	if !scheme.Verify(pub, tbs, sig, nil) {
		return fmt.Errorf("the %s signature does not verify", scheme.Name())
	}
	return nil
}

// keyAlgorithm names the algorithm of c's public key for diagnostics.
func keyAlgorithm(c *x509.Certificate) string {
	if c.PublicKeyAlgorithm != x509.UnknownPublicKeyAlgorithm {
		return c.PublicKeyAlgorithm.String()
	}
	if pub, err := mldsaPublicKey(c); err == nil && pub != nil {
		return pub.Scheme().Name()
	}
	return "of an unsupported algorithm"
}
