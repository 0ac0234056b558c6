package helper

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	_ "crypto/sha512" // SHA-384 and SHA-512 for --digest
	"crypto/x509"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/roam-dev/roam/internal/sigv4x509"
)

// Parts of the fixed string that sign-string signs. Its shape is
// TestStringPrefix || TestStringVersion || SHA-256("IAM RA" || public key).
const (
	TestStringPrefix  = "AWS Roles Anywhere Credential Helper Signing Test"
	TestStringVersion = "1"
	testStringKeyTag  = "IAM RA"
)

// DigestNames returns the --digest values sign-string accepts, spelled
// exactly (the official helper rejects "sha256").
func DigestNames() []string { return []string{"SHA256", "SHA384", "SHA512"} }

// Digest returns the hash a --digest value names.
func Digest(name string) (crypto.Hash, bool) {
	switch name {
	case "SHA256":
		return crypto.SHA256, true
	case "SHA384":
		return crypto.SHA384, true
	case "SHA512":
		return crypto.SHA512, true
	}
	return 0, false
}

// SignatureFormats returns the --format values of sign-string.
func SignatureFormats() []string { return []string{"json", "text", "bin"} }

// TestString returns the fixed string that sign-string signs for a key:
// TestStringPrefix, TestStringVersion and the raw 32-byte SHA-256 of
// "IAM RA" followed by the public key (the DER PKCS#1 RSAPublicKey for
// RSA, the uncompressed point for ECDSA). ML-DSA keys get no key suffix,
// as in aws_signing_helper.
func TestString(pub crypto.PublicKey) ([]byte, error) {
	msg := []byte(TestStringPrefix + TestStringVersion)
	var keyBytes []byte
	switch k := pub.(type) {
	case *rsa.PublicKey:
		keyBytes = x509.MarshalPKCS1PublicKey(k)
	case *ecdsa.PublicKey:
		b, err := k.Bytes()
		if err != nil {
			return nil, fmt.Errorf("encode ECDSA public key: %w", err)
		}
		keyBytes = b
	default:
		if alg, err := sigv4x509.AlgorithmFor(pub); err == nil && alg == sigv4x509.AlgorithmMLDSA {
			return msg, nil
		}
		return nil, fmt.Errorf("unsupported key type %T: sign-string signs with RSA, ECDSA and ML-DSA keys", pub)
	}
	h := sha256.New()
	h.Write([]byte(testStringKeyTag))
	h.Write(keyBytes)
	return h.Sum(msg), nil
}

// SignTestString signs the fixed string for signer's key with digest, as
// sign-string does: RSA keys sign with PKCS#1 v1.5, ECDSA keys return an
// ASN.1 DER signature, and ML-DSA keys sign the string itself in pure mode,
// ignoring digest.
func SignTestString(signer crypto.Signer, digest crypto.Hash) ([]byte, error) {
	pub := signer.Public()
	msg, err := TestString(pub)
	if err != nil {
		return nil, err
	}
	if alg, _ := sigv4x509.AlgorithmFor(pub); alg == sigv4x509.AlgorithmMLDSA {
		return signer.Sign(rand.Reader, msg, crypto.Hash(0))
	}
	if !digest.Available() {
		return nil, fmt.Errorf("digest %v is not available", digest)
	}
	h := digest.New()
	h.Write(msg)
	sig, err := signer.Sign(rand.Reader, h.Sum(nil), digest)
	if err != nil {
		return nil, fmt.Errorf("unable to sign the digest: %w", err)
	}
	return sig, nil
}

// FormatSignature renders a signature the way sign-string prints it: "json"
// is a JSON string of lowercase hex, "text" the bare hex, "bin" the raw
// bytes; none ends with a newline.
func FormatSignature(sig []byte, format string) ([]byte, error) {
	switch format {
	case "json":
		return []byte(`"` + hex.EncodeToString(sig) + `"`), nil
	case "text":
		return []byte(hex.EncodeToString(sig)), nil
	case "bin":
		return sig, nil
	}
	return nil, fmt.Errorf("unknown signature format %q: must be one of %s", format, strings.Join(SignatureFormats(), ", "))
}
