package keysource

import (
	"crypto"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"strings"

	"github.com/roam-dev/roam/internal/mldsa"
)

// pkcs8Info is a PKCS#8 PrivateKeyInfo / OneAsymmetricKey (RFC 5958).
type pkcs8Info struct {
	Version    int
	Algorithm  pkix.AlgorithmIdentifier
	PrivateKey []byte
	Attributes asn1.RawValue  `asn1:"optional,tag:0"`
	PublicKey  asn1.BitString `asn1:"optional,tag:1"`
}

// parsePrivateKey returns a signer for the private key in data, which is
// read from the input called name. PEM input is scanned for its first
// private-key block; anything else is tried as a DER key. password
// decrypts an ENCRYPTED PRIVATE KEY within limits.
func parsePrivateKey(data []byte, name, password string, limits kdfLimits) (crypto.Signer, error) {
	if !looksLikePEM(data) {
		return parseDERKey(data, name, password, limits)
	}
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		switch b.Type {
		case pemPKCS8:
			return parsePKCS8(b.Bytes, name)
		case pemEncryptedPKCS8:
			return parseEncryptedPKCS8(b.Bytes, name, password, limits)
		case pemSEC1, pemPKCS1:
			if _, ok := b.Headers["Proc-Type"]; ok {
				return nil, failf(ErrPrivateKey, "%s uses legacy OpenSSL PEM encryption, which is not supported; "+
					"convert it with: openssl pkcs8 -topk8 -v2 aes-256-cbc", name)
			}
			if b.Type == pemSEC1 {
				return parseSEC1(b.Bytes, name)
			}
			return parsePKCS1(b.Bytes, name)
		case pemTSS2:
			return nil, failf(ErrPrivateKey, "%s holds a TPM key (TSS2 PRIVATE KEY), which cannot replace a software key while roam runs", name)
		default:
			if strings.HasSuffix(b.Type, "PRIVATE KEY") {
				return nil, failf(ErrPrivateKey, "%s holds a %q block, which is not a supported key format "+
					"(use PKCS#8, SEC1 or PKCS#1 PEM)", name, b.Type)
			}
		}
	}
	return nil, failf(ErrPrivateKey, "%s holds no private key", name)
}

// parseDERKey parses a DER private key: encrypted or plain PKCS#8, SEC1 or
// PKCS#1.
func parseDERKey(der []byte, name, password string, limits kdfLimits) (crypto.Signer, error) {
	if isEncryptedPKCS8(der) {
		return parseEncryptedPKCS8(der, name, password, limits)
	}
	var info pkcs8Info
	if rest, err := asn1.Unmarshal(der, &info); err == nil && len(rest) == 0 {
		return parsePKCS8(der, name)
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return newECDSASigner(k), nil
	}
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return newRSASigner(k), nil
	}
	return nil, failf(ErrPrivateKey, "%s holds no PEM private key block and is not a DER private key", name)
}

// parsePKCS8 parses an unencrypted PKCS#8 key: RSA, ECDSA or ML-DSA.
func parsePKCS8(der []byte, name string) (crypto.Signer, error) {
	var info pkcs8Info
	rest, err := asn1.Unmarshal(der, &info)
	if err != nil {
		return nil, failf(ErrPrivateKey, "%s: malformed PKCS#8 key: %w", name, err)
	}
	if len(rest) > 0 {
		return nil, failf(ErrPrivateKey, "%s: trailing data after the PKCS#8 key", name)
	}
	if scheme := mldsa.Scheme(info.Algorithm.Algorithm); scheme != nil {
		return parseMLDSA(&info, scheme, name)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, failf(ErrPrivateKey, "%s: %w", name, err)
	}
	return newSigner(key, name)
}

func parseSEC1(der []byte, name string) (crypto.Signer, error) {
	k, err := x509.ParseECPrivateKey(der)
	if err != nil {
		return nil, failf(ErrPrivateKey, "%s: %w", name, err)
	}
	return newECDSASigner(k), nil
}

func parsePKCS1(der []byte, name string) (crypto.Signer, error) {
	k, err := x509.ParsePKCS1PrivateKey(der)
	if err != nil {
		return nil, failf(ErrPrivateKey, "%s: %w", name, err)
	}
	return newRSASigner(k), nil
}

// newSigner wraps a key parsed by crypto/x509, rejecting the types Roles
// Anywhere does not accept.
func newSigner(key any, name string) (crypto.Signer, error) {
	switch k := key.(type) {
	case *rsa.PrivateKey:
		return newRSASigner(k), nil
	case *ecdsa.PrivateKey:
		return newECDSASigner(k), nil
	}
	var kind string
	switch key.(type) {
	case ed25519.PrivateKey:
		kind = "Ed25519"
	case *ecdh.PrivateKey:
		kind = "X25519"
	default:
		kind = fmt.Sprintf("%T", key)
	}
	return nil, failf(ErrPrivateKey, "%s holds an %s key; Roles Anywhere accepts RSA, ECDSA and ML-DSA keys", name, kind)
}
