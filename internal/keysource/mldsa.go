package keysource

import (
	"bytes"
	"crypto"
	"crypto/sha3"
	"crypto/subtle"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"

	"github.com/cloudflare/circl/sign"
	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
)

// mldsaTRSize is the size of tr, the public-key hash inside an expanded
// ML-DSA private key, which follows the 32-byte rho and 32-byte K.
const mldsaTRSize = 64

// parseMLDSA builds a signer from a PKCS#8 ML-DSA key. The private key is
// any of the encodings OpenSSL 3.5 reads (RFC 9881 §6 plus OpenSSL's bare
// forms):
//
//	seed        [0] IMPLICIT OCTET STRING (SIZE (32))   OpenSSL "seed-only"
//	expandedKey OCTET STRING                             OpenSSL "priv-only"
//	both        SEQUENCE { seed, expandedKey }           OpenSSL "seed-priv", its default
//	the bare 32-byte seed or bare expanded key           OpenSSL "bare-seed"/"bare-priv"
//
// When both a seed and an expanded key are present they must agree, and an
// optional public key must match too.
func parseMLDSA(info *pkcs8Info, scheme sign.Scheme, name string) (crypto.Signer, error) {
	if len(info.Algorithm.Parameters.FullBytes) != 0 {
		return nil, failf(ErrPrivateKey, "%s: %s algorithm identifier must not have parameters", name, scheme.Name())
	}
	sk, err := decodeMLDSAPrivateKey(scheme, info.PrivateKey)
	if err != nil {
		return nil, failf(ErrPrivateKey, "%s: %s private key: %w", name, scheme.Name(), err)
	}
	pub, err := sk.Public().(sign.PublicKey).MarshalBinary()
	if err != nil {
		return nil, failf(ErrPrivateKey, "%s: %s public key: %w", name, scheme.Name(), err)
	}
	if info.PublicKey.BitLength > 0 && !bytes.Equal(info.PublicKey.RightAlign(), pub) {
		return nil, failf(ErrPrivateKey, "%s: the %s public key stored with the private key does not match it", name, scheme.Name())
	}
	return &mldsaSigner{key: sk}, nil
}

func decodeMLDSAPrivateKey(scheme sign.Scheme, b []byte) (sign.PrivateKey, error) {
	seedSize, privSize := scheme.SeedSize(), scheme.PrivateKeySize()
	switch len(b) {
	case seedSize: // bare seed; every ASN.1 form is longer
		return mldsaFromSeed(scheme, b), nil
	case privSize: // bare expanded key; every ASN.1 form is longer
		return mldsaFromExpanded(scheme, b)
	}
	var v asn1.RawValue
	rest, err := asn1.Unmarshal(b, &v)
	if err != nil {
		return nil, fmt.Errorf("malformed: %w", err)
	}
	if len(rest) > 0 {
		return nil, errors.New("malformed: trailing data")
	}
	switch {
	case v.Class == asn1.ClassContextSpecific && v.Tag == 0 && !v.IsCompound:
		if len(v.Bytes) != seedSize {
			return nil, fmt.Errorf("seed is %d bytes, want %d", len(v.Bytes), seedSize)
		}
		return mldsaFromSeed(scheme, v.Bytes), nil
	case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString && !v.IsCompound:
		switch len(v.Bytes) {
		case privSize:
			return mldsaFromExpanded(scheme, v.Bytes)
		case seedSize: // the seed as a plain OCTET STRING, from early drafts
			return mldsaFromSeed(scheme, v.Bytes), nil
		}
		return nil, fmt.Errorf("expanded key is %d bytes, want %d", len(v.Bytes), privSize)
	case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagSequence && v.IsCompound:
		var both struct {
			Seed     []byte
			Expanded []byte
		}
		if rest, err := asn1.Unmarshal(b, &both); err != nil || len(rest) > 0 {
			return nil, errors.New("malformed seed and expanded key")
		}
		if len(both.Seed) != seedSize || len(both.Expanded) != privSize {
			return nil, fmt.Errorf("seed and expanded key are %d and %d bytes, want %d and %d",
				len(both.Seed), len(both.Expanded), seedSize, privSize)
		}
		sk := mldsaFromSeed(scheme, both.Seed)
		expanded, err := sk.MarshalBinary()
		if err != nil {
			return nil, err
		}
		if subtle.ConstantTimeCompare(expanded, both.Expanded) != 1 {
			return nil, errors.New("the seed and the expanded key do not agree")
		}
		return sk, nil
	}
	return nil, errors.New("unknown encoding (want a seed, an expanded key, or both)")
}

func mldsaFromSeed(scheme sign.Scheme, seed []byte) sign.PrivateKey {
	_, sk := scheme.DeriveKey(seed) // the caller checked len(seed)
	return sk
}

// mldsaFromExpanded decodes an expanded private key, checking that it is
// consistent: its coefficients in range, its t₀ the low part of A·s₁ + s₂
// (checkMLDSAExpanded) and its tr the hash of the public key it implies.
func mldsaFromExpanded(scheme sign.Scheme, b []byte) (sign.PrivateKey, error) {
	if err := checkMLDSAExpanded(b, mldsaDimsOf(scheme)); err != nil {
		return nil, fmt.Errorf("the expanded key is inconsistent: %w", err)
	}
	sk, err := scheme.UnmarshalBinaryPrivateKey(b)
	if err != nil {
		return nil, err
	}
	pub, err := sk.Public().(sign.PublicKey).MarshalBinary()
	if err != nil {
		return nil, err
	}
	tr := sha3.SumSHAKE256(pub, mldsaTRSize)
	if subtle.ConstantTimeCompare(tr, b[64:64+mldsaTRSize]) != 1 {
		return nil, errors.New("the expanded key is inconsistent (its public-key hash does not match)")
	}
	return sk, nil
}

// mldsaDimsOf returns the dimensions of an ML-DSA parameter set.
func mldsaDimsOf(scheme sign.Scheme) mldsaDims {
	switch scheme {
	case mldsa44.Scheme():
		return mldsaDims{k: 4, l: 4, eta: 2}
	case mldsa65.Scheme():
		return mldsaDims{k: 6, l: 5, eta: 4}
	}
	return mldsaDims{k: 8, l: 7, eta: 2}
}

// mldsaSigner signs whole messages with ML-DSA in the deterministic mode,
// with an empty context, as AWS4-X509-MLDSA requires.
type mldsaSigner struct{ key sign.PrivateKey }

func (s *mldsaSigner) Public() crypto.PublicKey { return s.key.Public() }

// Sign signs message. opts.HashFunc() must be zero: ML-DSA signs the
// message itself, not a digest of it. rand is not used.
func (s *mldsaSigner) Sign(_ io.Reader, message []byte, opts crypto.SignerOpts) ([]byte, error) {
	if h := hashOf(opts); h != 0 {
		return nil, fmt.Errorf("keysource: %s signs the whole message; call Sign with crypto.Hash(0), not %v", s.key.Scheme().Name(), h)
	}
	return s.key.Sign(nil, message, crypto.Hash(0))
}

// mldsaName returns the parameter set of an ML-DSA public key, or "".
func mldsaName(pub crypto.PublicKey) string {
	if k, ok := pub.(sign.PublicKey); ok && isMLDSA(k.Scheme()) {
		return k.Scheme().Name()
	}
	return ""
}

func isMLDSA(s sign.Scheme) bool {
	return s == mldsa44.Scheme() || s == mldsa65.Scheme() || s == mldsa87.Scheme()
}
