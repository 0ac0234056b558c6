package sigv4x509

import (
	"crypto/x509"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/sigv4"
	"github.com/roam-dev/roam/internal/testenv"
)

// TestVectorsVerify verifies every request aws_signing_helper 1.8.0 sent to
// the capture server, with the clock pinned to its X-Amz-Date.
func TestVectorsVerify(t *testing.T) {
	root := testenv.Vectors(t)
	vectors := loadVectors(t, root)
	if len(vectors) < 40 {
		t.Fatalf("found %d captured requests under %s, want at least 40", len(vectors), root)
	}
	mustHave := []string{
		"rsa2048/run1/", "rsa2048/run2/", "ecdsa-p256/run1/", "ecdsa-p256/run2/", "rsa2048-with-intermediate/run1/",
		"pkcs11-softhsm/rsa-cert-and-key-in-token/", "pkcs11-softhsm/ec-cert-and-key-in-token/",
		"key-formats/pkcs1-key/", "key-formats/pkcs12-sha1-3des/", "key-formats/pkcs8-encrypted-scrypt/",
		"errors/endpoint-with-path-prefix/", "errors/err500/", "serve/", "update/",
	}
	for _, prefix := range mustHave {
		found := false
		for _, v := range vectors {
			found = found || strings.HasPrefix(v.name, prefix)
		}
		if !found {
			t.Errorf("no captured request under %s", prefix)
		}
	}

	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			r, body := v.request(t)
			got, err := Verify(r, body, VerifyOptions{Now: signingTime(t, r)})
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			a, err := sigv4.ParseAuthorization(r.Header.Get("Authorization"))
			if err != nil {
				t.Fatal(err)
			}
			if got.Algorithm != a.Algorithm || got.Certificate.SerialNumber.String() != a.ID ||
				got.Region != a.Scope.Region || !got.SigningTime.Equal(signingTime(t, r)) || got.PublicKey == nil {
				t.Fatalf("verified %+v for %s", got, a)
			}
			if _, hasChain := r.Header[HeaderChain]; hasChain != (len(got.Chain) > 0) {
				t.Fatalf("chain of %d certificates, header present %v", len(got.Chain), hasChain)
			}
			// Our canonicalisation agrees with the capture server's
			// independent verifier and with the extracted files.
			if v.captured.Verify.Valid {
				if got.CanonicalRequest != v.captured.Verify.CanonicalRequest || got.StringToSign != v.captured.Verify.StringToSign {
					t.Fatalf("canonical request\n%s\ncapture server's\n%s", got.CanonicalRequest, v.captured.Verify.CanonicalRequest)
				}
			}
			if want := readText(t, filepath.Join(v.caseDir, "canonical_request.txt")); want != "" && got.CanonicalRequest != want {
				t.Fatalf("canonical request differs from canonical_request.txt:\n%s", got.CanonicalRequest)
			}
			if want := readText(t, filepath.Join(v.caseDir, "string_to_sign.txt")); want != "" && got.StringToSign != want {
				t.Fatalf("string to sign differs from string_to_sign.txt:\n%s", got.StringToSign)
			}
		})
	}
}

// TestVectorPathPrefix pins down the quirk of errors/endpoint-with-path-prefix:
// the helper sends /prefix/sessions but signs /sessions.
func TestVectorPathPrefix(t *testing.T) {
	root := testenv.Vectors(t)
	var v *vector
	for _, x := range loadVectors(t, root) {
		if strings.HasPrefix(x.name, "errors/endpoint-with-path-prefix/") {
			v = &x
		}
	}
	if v == nil {
		t.Fatal("errors/endpoint-with-path-prefix has no captured request")
	}
	r, body := v.request(t)
	if r.URL.Path != "/prefix/sessions" {
		t.Fatalf("path %q", r.URL.Path)
	}
	if _, err := Verify(r, body, VerifyOptions{Now: signingTime(t, r)}); err != nil {
		t.Fatalf("default canonical URI: %v", err)
	}
	_, err := Verify(r, body, VerifyOptions{Now: signingTime(t, r), CanonicalURI: r.URL.Path})
	if !errors.Is(err, ReasonSignatureInvalid) {
		t.Fatalf("verifying against the wire path: %v, want %s", err, ReasonSignatureInvalid)
	}
}

// TestVectorsReproduceSignature signs each captured request again with the
// private key where the vectors hold it. RSA PKCS#1 v1.5 is deterministic,
// so the Authorization header (and the extracted canonical request, string
// to sign and signature) must come out byte for byte; ECDSA is randomized,
// so there the canonical request and string to sign must match and the new
// signature must verify.
func TestVectorsReproduceSignature(t *testing.T) {
	root := testenv.Vectors(t)
	keys := readKeys(t,
		filepath.Join(root, "rsa2048", "leaf-key.pem"),
		filepath.Join(root, "rsa2048-with-intermediate", "leaf-key.pem"),
		filepath.Join(root, "key-formats", "key-pkcs1.pem"),
		filepath.Join(root, "key-formats", "combo-key-then-cert.pem"),
		filepath.Join(root, "ecdsa-p256", "leaf-key.pem"),
	)
	var rsaReproduced, ecdsaChecked int
	for _, v := range loadVectors(t, root) {
		r, body := v.request(t)
		leaf, err := parseLeaf(r, x509.ParseCertificate)
		if err != nil {
			t.Fatal(err)
		}
		key := keyFor(keys, leaf.PublicKey)
		if key == nil {
			continue // the PKCS#11 cases: the key lives in a SoftHSM token
		}
		t.Run(v.name, func(t *testing.T) {
			c, signed := resign(t, r, body, key)
			for _, h := range []string{HeaderDate, HeaderX509, HeaderChain} {
				if got, want := c.Header.Get(h), r.Header.Get(h); got != want {
					t.Fatalf("%s\n got %s\nwant %s", h, got, want)
				}
			}
			if want := readText(t, filepath.Join(v.caseDir, "canonical_request.txt")); want != "" && signed.CanonicalRequest != want {
				t.Fatalf("canonical request\n%s\nwant\n%s", signed.CanonicalRequest, want)
			}
			if want := readText(t, filepath.Join(v.caseDir, "string_to_sign.txt")); want != "" && signed.StringToSign != want {
				t.Fatalf("string to sign\n%s\nwant\n%s", signed.StringToSign, want)
			}
			if v.captured.Verify.Valid && signed.StringToSign != v.captured.Verify.StringToSign {
				t.Fatalf("string to sign\n%s\ncapture server's\n%s", signed.StringToSign, v.captured.Verify.StringToSign)
			}
			switch signed.Algorithm {
			case AlgorithmRSA:
				if got, want := signed.Authorization, r.Header.Get("Authorization"); got != want {
					t.Fatalf("Authorization\n got %s\nwant %s", got, want)
				}
				if want := readText(t, filepath.Join(v.caseDir, "signature.hex")); want != "" && signed.Signature != want {
					t.Fatalf("signature %s\nwant %s", signed.Signature, want)
				}
				rsaReproduced++
			case AlgorithmECDSA:
				ecdsaChecked++
			}
			// Whatever we signed verifies, through the wire.
			sr, sbody := readWire(t, onTheWire(t, c))
			if _, err := Verify(sr, sbody, VerifyOptions{Now: signingTime(t, r)}); err != nil {
				t.Fatalf("our signature does not verify: %v", err)
			}
		})
	}
	if rsaReproduced < 30 || ecdsaChecked < 2 {
		t.Fatalf("reproduced %d RSA and %d ECDSA requests, want at least 30 and 2", rsaReproduced, ecdsaChecked)
	}
}
