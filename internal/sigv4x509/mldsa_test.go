package sigv4x509

import (
	"bytes"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/roam-dev/roam/internal/mldsa"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"

	"github.com/roam-dev/roam/internal/testenv"
)

// mldsaVectors returns the mldsa65 case, which stays in the shared reference
// material (its fixtures belong to the helper project).
func mldsaVectors(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(testenv.SharedDir(t), "testdata", "signing-helper-vectors", "mldsa65")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("ML-DSA vectors %s are absent (they are not copied into the repository): %v", dir, err)
	}
	return dir
}

// TestMLDSAVectors verifies the requests the helper signed with ML-DSA-65.
func TestMLDSAVectors(t *testing.T) {
	dir := mldsaVectors(t)
	vectors := loadVectors(t, dir)
	if len(vectors) < 2 {
		t.Fatalf("%d ML-DSA requests, want 2", len(vectors))
	}
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			r, body := v.request(t)
			got, err := Verify(r, body, VerifyOptions{Now: signingTime(t, r)})
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if got.Algorithm != AlgorithmMLDSA || got.Certificate.PublicKey != nil {
				t.Fatalf("algorithm %s, x509 public key %T", got.Algorithm, got.Certificate.PublicKey)
			}
			if _, ok := got.PublicKey.(*mldsa65.PublicKey); !ok {
				t.Fatalf("public key %T", got.PublicKey)
			}
			if want := readText(t, filepath.Join(v.caseDir, "string_to_sign.txt")); got.StringToSign != want {
				t.Fatalf("string to sign\n%s\nwant\n%s", got.StringToSign, want)
			}
			// Tampering is caught by the ML-DSA verifier too.
			_, err = Verify(r, append(body, ' '), VerifyOptions{Now: signingTime(t, r)})
			if !errors.Is(err, ReasonSignatureInvalid) {
				t.Fatalf("tampered body: %v", err)
			}
			checkTampering(t, v.raw)
		})
	}
}

// TestMLDSAReproduceSignature re-signs the ML-DSA requests with the fixture
// key: the helper signs deterministically, so the signature must match.
func TestMLDSAReproduceSignature(t *testing.T) {
	dir := mldsaVectors(t)
	key := readMLDSA65Key(t, filepath.Join(dir, "leaf-key.pem"))
	for _, v := range loadVectors(t, dir) {
		t.Run(v.name, func(t *testing.T) {
			r, body := v.request(t)
			_, signed := resign(t, r, body, key)
			if want := readText(t, filepath.Join(v.caseDir, "signature.hex")); signed.Signature != want {
				t.Fatalf("signature differs (got %d hex digits, want %d)", len(signed.Signature), len(want))
			}
			if got, want := signed.Authorization, r.Header.Get("Authorization"); got != want {
				t.Fatal("Authorization header differs")
			}
		})
	}
}

// readMLDSA65Key loads an ML-DSA-65 PKCS#8 key in any of the three
// private key encodings (seed [0], expanded OCTET STRING, or both).
func readMLDSA65Key(t *testing.T, path string) *mldsa65.PrivateKey {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("%s: no PRIVATE KEY block", path)
	}
	var p8 struct {
		Version    int
		Algorithm  pkix.AlgorithmIdentifier
		PrivateKey []byte
	}
	if _, err := asn1.Unmarshal(block.Bytes, &p8); err != nil {
		t.Fatalf("pkcs8: %v", err)
	}
	if !p8.Algorithm.Algorithm.Equal(mldsa.OID65) {
		t.Fatalf("algorithm %v is not ML-DSA-65", p8.Algorithm.Algorithm)
	}
	key, err := mldsa65FromPrivateKeyField(p8.PrivateKey)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return key
}

func mldsa65FromPrivateKeyField(b []byte) (*mldsa65.PrivateKey, error) {
	var raw asn1.RawValue
	if _, err := asn1.Unmarshal(b, &raw); err != nil {
		return nil, err
	}
	fromSeed := func(seed []byte) (*mldsa65.PrivateKey, error) {
		if len(seed) != mldsa65.SeedSize {
			return nil, fmt.Errorf("seed of %d bytes", len(seed))
		}
		_, sk := mldsa65.NewKeyFromSeed((*[mldsa65.SeedSize]byte)(seed))
		return sk, nil
	}
	switch {
	case raw.Class == asn1.ClassContextSpecific && raw.Tag == 0: // seed
		return fromSeed(raw.Bytes)
	case raw.Class == asn1.ClassUniversal && raw.Tag == asn1.TagOctetString: // expanded key
		var sk mldsa65.PrivateKey
		return &sk, sk.UnmarshalBinary(raw.Bytes)
	case raw.Class == asn1.ClassUniversal && raw.Tag == asn1.TagSequence: // both
		var both struct{ Seed, Expanded []byte }
		if _, err := asn1.Unmarshal(b, &both); err != nil {
			return nil, err
		}
		sk, err := fromSeed(both.Seed)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(sk.Bytes(), both.Expanded) {
			return nil, fmt.Errorf("expanded key does not match the seed")
		}
		return sk, nil
	}
	return nil, fmt.Errorf("unknown ML-DSA private key encoding (class %d tag %d)", raw.Class, raw.Tag)
}
