package keysource

// Signature and chain helpers of the PKCS#11 backend that need no cgo, so
// that they are tested (and the TPM backend shares them) in every build.

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"math/big"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// digestInfoPrefixes are the DER DigestInfo headers (RFC 8017 §9.2, note 1)
// that PKCS#1 v1.5 puts before a digest. A token's raw CKM_RSA_PKCS
// mechanism pads whatever it is given, so the prefix is added here.
var digestInfoPrefixes = map[crypto.Hash][]byte{
	crypto.SHA1:   {0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14},
	crypto.SHA224: {0x30, 0x2d, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x04, 0x05, 0x00, 0x04, 0x1c},
	crypto.SHA256: {0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20},
	crypto.SHA384: {0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02, 0x05, 0x00, 0x04, 0x30},
	crypto.SHA512: {0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03, 0x05, 0x00, 0x04, 0x40},
}

// pkcs1DigestInfo returns the DigestInfo that RSASSA-PKCS1-v1_5 signs for
// digest, a hash of type h. A zero h signs digest as it is, as
// rsa.SignPKCS1v15 does.
func pkcs1DigestInfo(h crypto.Hash, digest []byte) ([]byte, error) {
	if h == 0 {
		return digest, nil
	}
	prefix, ok := digestInfoPrefixes[h]
	if !ok {
		return nil, fmt.Errorf("keysource: RSA signatures with %v are not supported (use SHA-256, SHA-384 or SHA-512)", h)
	}
	if len(digest) != h.Size() {
		return nil, fmt.Errorf("keysource: digest is %d bytes, but %v digests are %d", len(digest), h, h.Size())
	}
	return append(bytes.Clone(prefix), digest...), nil
}

// checkDigestLength fails when opts names a hash whose size is not
// len(digest).
func checkDigestLength(digest []byte, opts crypto.SignerOpts) error {
	if h := hashOf(opts); h != 0 && len(digest) != h.Size() {
		return fmt.Errorf("keysource: digest is %d bytes, but %v digests are %d", len(digest), h, h.Size())
	}
	return nil
}

// errBadECDSASignature is returned for a raw ECDSA signature that cannot be
// an r||s pair.
var errBadECDSASignature = errors.New("keysource: the token returned a malformed ECDSA signature")

// ecdsaRawToDER re-encodes a PKCS#11 ECDSA signature, the big-endian r and
// s concatenated (PKCS#11 v2.40 §2.3.1), as the ASN.1 DER SEQUENCE{r, s}
// that crypto.Signer returns and SigV4-X509 sends. curveBytes is the size
// of the curve's order in bytes, which each half must have.
func ecdsaRawToDER(raw []byte, curveBytes int) ([]byte, error) {
	if curveBytes <= 0 || len(raw) != 2*curveBytes {
		return nil, fmt.Errorf("%w: %d bytes, want %d", errBadECDSASignature, len(raw), 2*curveBytes)
	}
	r := new(big.Int).SetBytes(raw[:curveBytes])
	s := new(big.Int).SetBytes(raw[curveBytes:])
	return ecdsaDER(r, s)
}

// ecdsaDER encodes r and s as an ASN.1 DER SEQUENCE{r, s}. Both must be
// positive.
func ecdsaDER(r, s *big.Int) ([]byte, error) {
	if r.Sign() <= 0 || s.Sign() <= 0 {
		return nil, fmt.Errorf("%w: r or s is zero", errBadECDSASignature)
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1BigInt(r)
		b.AddASN1BigInt(s)
	})
	return b.Bytes()
}

// maxTokenChain bounds the chain built from a token's certificates; it is
// also the most X-Amz-X509-Chain may carry.
const maxTokenChain = 5

// issuerChain returns the certificates of pool that issue leaf, then the one
// that issues that, and so on: the intermediates to send with leaf. An
// issuer must have leaf's issuer name as its subject and its signature must
// check out. Self-signed roots end the chain and are not included (the
// server holds them as trust anchors), nor are certificates unrelated to
// leaf or leaf itself. Unlike aws_signing_helper (docs/signing-helper.md
// §9.5), the result never repeats the leaf.
func issuerChain(leaf *x509.Certificate, pool []*x509.Certificate) []*x509.Certificate {
	var chain []*x509.Certificate
	used := make([]bool, len(pool))
	for cur := leaf; len(chain) < maxTokenChain; {
		next := -1
		for i, c := range pool {
			if used[i] || c.Equal(leaf) || !bytes.Equal(c.RawSubject, cur.RawIssuer) {
				continue
			}
			if cur.CheckSignatureFrom(c) == nil {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		used[next] = true
		c := pool[next]
		if bytes.Equal(c.RawSubject, c.RawIssuer) && c.CheckSignatureFrom(c) == nil {
			break // a root
		}
		chain = append(chain, c)
		cur = c
	}
	return chain
}
