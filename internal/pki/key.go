package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// KeyType names a key algorithm and size roam can generate.
type KeyType string

// The key types roam generates. RSA2048 is the default, for parity with the
// OpenSSL walkthrough in the IAM Roles Anywhere documentation.
const (
	RSA2048 KeyType = "rsa2048"
	RSA3072 KeyType = "rsa3072"
	RSA4096 KeyType = "rsa4096"
	ECP256  KeyType = "ec-p256"
	ECP384  KeyType = "ec-p384"
)

// KeyTypes lists every KeyType roam generates, in the order help text shows them.
func KeyTypes() []KeyType { return []KeyType{RSA2048, RSA3072, RSA4096, ECP256, ECP384} }

// ParseKeyType returns the KeyType named s; an unknown name yields an error
// listing the valid ones.
func ParseKeyType(s string) (KeyType, error) {
	for _, t := range KeyTypes() {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown key type %q (valid: %s)", s, KeyTypeList())
}

// KeyTypeList lists KeyTypes comma-separated, for help and error text.
func KeyTypeList() string {
	names := make([]string, 0, len(KeyTypes()))
	for _, t := range KeyTypes() {
		names = append(names, string(t))
	}
	return strings.Join(names, ", ")
}

// GenerateKey creates a new private key of type t from crypto/rand.
func GenerateKey(t KeyType) (crypto.Signer, error) {
	switch t {
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case RSA4096:
		return rsa.GenerateKey(rand.Reader, 4096)
	case ECP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	}
	return nil, fmt.Errorf("unknown key type %q (valid: %s)", t, KeyTypeList())
}

// DescribeKey names a public key the way KeyType does ("rsa2048",
// "ec-p256"), also for sizes and curves roam does not generate ("rsa1024",
// "ec-p521", "ed25519").
func DescribeKey(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("rsa%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P224():
			return "ec-p224"
		case elliptic.P256():
			return "ec-p256"
		case elliptic.P384():
			return "ec-p384"
		case elliptic.P521():
			return "ec-p521"
		}
		return "ec-" + k.Curve.Params().Name
	case ed25519.PublicKey:
		return "ed25519"
	}
	return fmt.Sprintf("%T", pub)
}

// MinRSABits is the smallest RSA modulus roam signs with or certifies.
const MinRSABits = 2048

// checkPublicKey enforces the key policy for CA keys and certified keys:
// RSA of at least MinRSABits, or ECDSA on P-256, P-384 or P-521. These are
// the keys IAM Roles Anywhere accepts (its signing algorithms are
// AWS4-X509-RSA-SHA256 and AWS4-X509-ECDSA-SHA256).
func checkPublicKey(pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if n := k.N.BitLen(); n < MinRSABits {
			return fmt.Errorf("RSA key of %d bits is too small (at least %d bits are required)", n, MinRSABits)
		}
		return nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
			return nil
		}
	}
	return fmt.Errorf("unsupported key %s (use an RSA or an ECDSA P-256, P-384 or P-521 key)", DescribeKey(pub))
}

// ErrEncryptedKey is returned for password-protected private keys. roam
// reads unencrypted keys only (and writes them with mode 0600).
var ErrEncryptedKey = errors.New("the private key is encrypted; decrypt it first, e.g. openssl pkey -in encrypted.key -out plain.key, and keep the result mode 0600")

// MarshalPrivateKeyPEM encodes key as an unencrypted PKCS#8 "PRIVATE KEY"
// PEM block.
func MarshalPrivateKeyPEM(key crypto.Signer) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("encode private key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

// ParsePrivateKeyPEM reads the one private key in data, in any of the forms
// OpenSSL writes: PKCS#8 ("PRIVATE KEY"), PKCS#1 ("RSA PRIVATE KEY") or SEC1
// ("EC PRIVATE KEY"). CERTIFICATE and "EC PARAMETERS" blocks around the key
// are skipped. Encrypted keys yield an error wrapping ErrEncryptedKey.
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	var key crypto.Signer
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		switch block.Type {
		case "CERTIFICATE", "EC PARAMETERS":
			continue
		case "ENCRYPTED PRIVATE KEY":
			return nil, ErrEncryptedKey
		case "PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY":
		default:
			return nil, fmt.Errorf("unexpected PEM block %q where a private key was expected", block.Type)
		}
		if key != nil {
			return nil, errors.New("more than one private key in the PEM data")
		}
		if strings.Contains(block.Headers["Proc-Type"], "ENCRYPTED") {
			return nil, ErrEncryptedKey
		}
		k, err := parsePrivateKeyDER(block.Type, block.Bytes)
		if err != nil {
			return nil, err
		}
		key = k
	}
	if key == nil {
		return nil, errors.New("no PEM private key found (want a PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY block)")
	}
	return key, nil
}

func parsePrivateKeyDER(blockType string, der []byte) (crypto.Signer, error) {
	var (
		k   any
		err error
	)
	switch blockType {
	case "RSA PRIVATE KEY":
		k, err = x509.ParsePKCS1PrivateKey(der)
	case "EC PRIVATE KEY":
		k, err = x509.ParseECPrivateKey(der)
	default:
		k, err = x509.ParsePKCS8PrivateKey(der)
	}
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", blockType, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("the %s holds a %T, which cannot sign", blockType, k)
	}
	return s, nil
}
