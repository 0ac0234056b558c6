package sigv4x509

import (
	"testing"

	"github.com/roam-dev/roam/internal/testpki"
)

// benchIdentities are the key types CreateSession sees most.
func benchIdentities(b *testing.B) map[string]Identity {
	b.Helper()
	ca := testpki.NewCA(b)
	rsaLeaf := ca.Leaf(b, testpki.WithKeyType(testpki.RSA2048))
	ecLeaf := ca.Leaf(b, testpki.WithKeyType(testpki.ECP256))
	return map[string]Identity{
		"RSA-2048":   {Signer: rsaLeaf.Key, Certificate: rsaLeaf.Cert},
		"ECDSA-P256": {Signer: ecLeaf.Key, Certificate: ecLeaf.Cert},
		"ML-DSA-65":  mldsaIdentity(b, 65),
	}
}

// BenchmarkVerify measures the whole server-side check of one CreateSession
// request (parsing, certificate decoding, canonicalisation, signature).
func BenchmarkVerify(b *testing.B) {
	body := []byte(`{"durationSeconds":3600}`)
	ids := benchIdentities(b)
	for _, name := range []string{"RSA-2048", "ECDSA-P256", "ML-DSA-65"} {
		id := ids[name]
		b.Run(name, func(b *testing.B) {
			r := createSessionRequest(b, "http://127.0.0.1:18083", body)
			if _, err := Sign(r, body, id, "us-east-1", roundTripTime); err != nil {
				b.Fatal(err)
			}
			sr, sbody := readWire(b, onTheWire(b, r))
			opts := VerifyOptions{Now: roundTripTime}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Verify(sr, sbody, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSign measures the client side: canonicalisation and signing.
func BenchmarkSign(b *testing.B) {
	body := []byte(`{"durationSeconds":3600}`)
	ids := benchIdentities(b)
	for _, name := range []string{"RSA-2048", "ECDSA-P256", "ML-DSA-65"} {
		id := ids[name]
		b.Run(name, func(b *testing.B) {
			r := createSessionRequest(b, "http://127.0.0.1:18083", body)
			b.ReportAllocs()
			for b.Loop() {
				r.Header = r.Header.Clone()
				if _, err := Sign(r, body, id, "us-east-1", roundTripTime); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
