// Package mldsa names the ML-DSA parameter sets (FIPS 204) by their X.509
// algorithm identifiers (RFC 9881) and decodes ML-DSA public keys from a
// SubjectPublicKeyInfo, neither of which crypto/x509 does yet.
package mldsa

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"

	"github.com/cloudflare/circl/sign"
	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
)

// The algorithm identifiers, used for keys and signatures alike.
var (
	OID44 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 17}
	OID65 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}
	OID87 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 19}
)

// Scheme returns the parameter set oid names, or nil for another algorithm.
func Scheme(oid asn1.ObjectIdentifier) sign.Scheme {
	switch {
	case oid.Equal(OID44):
		return mldsa44.Scheme()
	case oid.Equal(OID65):
		return mldsa65.Scheme()
	case oid.Equal(OID87):
		return mldsa87.Scheme()
	}
	return nil
}

// SchemeOf returns the parameter set alg names, nil for another
// algorithm, or an error when alg is ML-DSA with parameters (RFC 9881
// requires them to be absent).
func SchemeOf(alg pkix.AlgorithmIdentifier) (sign.Scheme, error) {
	scheme := Scheme(alg.Algorithm)
	if scheme != nil && len(alg.Parameters.FullBytes) != 0 {
		return nil, fmt.Errorf("the %s algorithm identifier has parameters; they must be absent", scheme.Name())
	}
	return scheme, nil
}

// PublicKey decodes a DER SubjectPublicKeyInfo holding an ML-DSA key. It
// returns a nil key and no error when the key is of another algorithm, and
// an error when the structure or the ML-DSA key is malformed.
func PublicKey(spkiDER []byte) (sign.PublicKey, error) {
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	rest, err := asn1.Unmarshal(spkiDER, &spki)
	if err != nil {
		return nil, fmt.Errorf("malformed subjectPublicKeyInfo: %v", err)
	}
	if len(rest) != 0 {
		return nil, errors.New("malformed subjectPublicKeyInfo: trailing data")
	}
	scheme, err := SchemeOf(spki.Algorithm)
	if err != nil || scheme == nil {
		return nil, err
	}
	if spki.PublicKey.BitLength%8 != 0 {
		return nil, fmt.Errorf("the %s public key is not a whole number of bytes", scheme.Name())
	}
	pub, err := scheme.UnmarshalBinaryPublicKey(spki.PublicKey.Bytes)
	if err != nil {
		return nil, fmt.Errorf("malformed %s public key (%d bytes, want %d): %v", scheme.Name(), len(spki.PublicKey.Bytes), scheme.PublicKeySize(), err)
	}
	return pub, nil
}
