package mldsa

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
)

func spki(t testing.TB, alg pkix.AlgorithmIdentifier, key []byte) []byte {
	t.Helper()
	der, err := asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}{alg, asn1.BitString{Bytes: key, BitLength: 8 * len(key)}})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestPublicKey(t *testing.T) {
	pk, _, err := mldsa65.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	key := pk.Bytes()
	got, err := PublicKey(spki(t, pkix.AlgorithmIdentifier{Algorithm: OID65}, key))
	if err != nil || got == nil || !got.Equal(pk) {
		t.Fatalf("ML-DSA-65 key: %v, %v", got, err)
	}
	if got, err := PublicKey(spki(t, pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}}, key)); got != nil || err != nil {
		t.Fatalf("another algorithm: %v, %v; want nil, nil", got, err)
	}
	for name, der := range map[string][]byte{
		"parameters present":                  spki(t, pkix.AlgorithmIdentifier{Algorithm: OID65, Parameters: asn1.NullRawValue}, key),
		"key of ML-DSA-65 labelled ML-DSA-44": spki(t, pkix.AlgorithmIdentifier{Algorithm: OID44}, key),
		"trailing data":                       append(spki(t, pkix.AlgorithmIdentifier{Algorithm: OID65}, key), 0),
		"truncated":                           spki(t, pkix.AlgorithmIdentifier{Algorithm: OID65}, key)[:100],
	} {
		if got, err := PublicKey(der); err == nil {
			t.Errorf("%s: got %T, want an error", name, got)
		}
	}
}

// FuzzPublicKey: untrusted SubjectPublicKeyInfo bytes never panic, and a
// decoded key re-encodes to the bytes it came from.
func FuzzPublicKey(f *testing.F) {
	pk, _, _ := mldsa65.GenerateKey(nil)
	f.Add(spki(f, pkix.AlgorithmIdentifier{Algorithm: OID65}, pk.Bytes()))
	f.Add(spki(f, pkix.AlgorithmIdentifier{Algorithm: OID44}, []byte{1, 2, 3}))
	f.Add([]byte{0x30, 0x03, 0x06, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, der []byte) {
		pub, err := PublicKey(der)
		if err != nil || pub == nil {
			return
		}
		raw, err := pub.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(der, raw) {
			t.Fatalf("decoded key %x is not in the input", raw[:16])
		}
	})
}
