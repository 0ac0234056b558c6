package sigv4x509

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"

	"github.com/roam-dev/roam/internal/mldsa"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
)

// Signing algorithm names, as they appear in the Authorization header and
// the string to sign.
const (
	// AlgorithmRSA: RSASSA-PKCS1-v1_5 over SHA-256 of the string to sign.
	AlgorithmRSA = "AWS4-X509-RSA-SHA256"
	// AlgorithmECDSA: ECDSA over SHA-256 of the string to sign, ASN.1 DER
	// encoded, for any curve (P-384 and P-521 too).
	AlgorithmECDSA = "AWS4-X509-ECDSA-SHA256"
	// AlgorithmMLDSA: pure ML-DSA-44/65/87 (FIPS 204) over the string to
	// sign itself, empty context.
	AlgorithmMLDSA = "AWS4-X509-MLDSA"
)

// AlgorithmFor returns the signing algorithm for a public key: RSA, ECDSA
// on any curve, or ML-DSA-44/65/87 (circl's public key types).
func AlgorithmFor(pub crypto.PublicKey) (string, error) {
	switch pub.(type) {
	case *rsa.PublicKey:
		return AlgorithmRSA, nil
	case *ecdsa.PublicKey:
		return AlgorithmECDSA, nil
	case *mldsa44.PublicKey, *mldsa65.PublicKey, *mldsa87.PublicKey:
		return AlgorithmMLDSA, nil
	}
	return "", fmt.Errorf("sigv4x509: unsupported public key type %T", pub)
}

// PublicKey returns the certificate's public key. crypto/x509 leaves
// PublicKey nil for ML-DSA certificates, so their SubjectPublicKeyInfo is
// decoded here into circl's key types.
func PublicKey(cert *x509.Certificate) (crypto.PublicKey, error) {
	if cert.PublicKey != nil {
		return cert.PublicKey, nil
	}
	pub, err := mldsa.PublicKey(cert.RawSubjectPublicKeyInfo)
	if err != nil {
		return nil, err
	}
	if pub == nil {
		return nil, errors.New("unsupported public key algorithm (RSA, ECDSA and ML-DSA are supported)")
	}
	return pub, nil
}

// signStringToSign signs the string to sign with alg: a SHA-256 digest for
// RSA and ECDSA, the message itself for ML-DSA (crypto.Hash(0)). rsa and
// ecdsa keys and well-behaved hardware signers return PKCS#1 v1.5 and ASN.1
// DER signatures for crypto.SHA256.
func signStringToSign(signer crypto.Signer, alg, stringToSign string) ([]byte, error) {
	if alg == AlgorithmMLDSA {
		return signer.Sign(rand.Reader, []byte(stringToSign), crypto.Hash(0))
	}
	digest := sha256.Sum256([]byte(stringToSign))
	return signer.Sign(rand.Reader, digest[:], crypto.SHA256)
}

// errKeyMismatch reports an algorithm that does not fit the key type.
var errKeyMismatch = errors.New("algorithm does not match the key type")

// verifyStringToSign checks sig over the string to sign with pub under alg.
// It returns errKeyMismatch when pub is not a key of alg's type.
func verifyStringToSign(pub crypto.PublicKey, alg, stringToSign string, sig []byte) error {
	msg := []byte(stringToSign)
	switch alg {
	case AlgorithmRSA:
		k, ok := pub.(*rsa.PublicKey)
		if !ok {
			return errKeyMismatch
		}
		digest := sha256.Sum256(msg)
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest[:], sig)
	case AlgorithmECDSA:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return errKeyMismatch
		}
		digest := sha256.Sum256(msg)
		if !ecdsa.VerifyASN1(k, digest[:], sig) {
			return errors.New("ecdsa: verification error")
		}
		return nil
	case AlgorithmMLDSA:
		var ok bool
		switch k := pub.(type) {
		case *mldsa44.PublicKey:
			ok = mldsa44.Verify(k, msg, nil, sig)
		case *mldsa65.PublicKey:
			ok = mldsa65.Verify(k, msg, nil, sig)
		case *mldsa87.PublicKey:
			ok = mldsa87.Verify(k, msg, nil, sig)
		default:
			return errKeyMismatch
		}
		if !ok {
			return errors.New("ml-dsa: verification error")
		}
		return nil
	}
	return fmt.Errorf("unsupported algorithm %q", alg)
}
