package helper

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/sha512"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cloudflare/circl/sign/mldsa/mldsa65"

	"github.com/roam-dev/roam/internal/keysource"
	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// openVectorKey opens a captured case's leaf certificate and key.
func openVectorKey(t *testing.T, dir string) *keysource.Identity {
	t.Helper()
	src, err := keysource.Open(keysource.Options{Certificate: filepath.Join(dir, "leaf-cert.pem"), PrivateKey: filepath.Join(dir, "leaf-key.pem")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	id, err := keysource.Snapshot(src)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func readVectorFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestTestStringVectors: the fixed string is the one the official helper
// signed, byte for byte (rebuilt independently in the vectors).
func TestTestStringVectors(t *testing.T) {
	root := testenv.Vectors(t)
	for _, kind := range []string{"rsa2048", "ecdsa-p256"} {
		t.Run(kind, func(t *testing.T) {
			id := openVectorKey(t, filepath.Join(root, kind))
			got, err := TestString(id.Signer.Public())
			if err != nil {
				t.Fatal(err)
			}
			want := readVectorFile(t, filepath.Join(root, "sign-string", kind+"-fixed-string.bin"))
			if !bytes.Equal(got, want) {
				t.Fatalf("fixed string\n got %x\nwant %x", got, want)
			}
			if len(got) != 82 {
				t.Fatalf("fixed string is %d bytes, want 82", len(got))
			}
		})
	}
}

// TestSignTestStringRSAVectors: RSA signatures are deterministic, so every
// captured output is reproduced byte for byte, in every format and digest.
func TestSignTestStringRSAVectors(t *testing.T) {
	root := testenv.Vectors(t)
	id := openVectorKey(t, filepath.Join(root, "rsa2048"))
	tests := []struct {
		file, format, digest string
	}{
		{"rsa2048-json-run1.txt", "json", "SHA256"},
		{"rsa2048-json-run2.txt", "json", "SHA256"},
		{"rsa2048-text-sha256.txt", "text", "SHA256"},
		{"rsa2048-text-sha384.txt", "text", "SHA384"},
		{"rsa2048-text-sha512.txt", "text", "SHA512"},
		{"rsa2048-bin-sha256.bin", "bin", "SHA256"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			digest, ok := Digest(tt.digest)
			if !ok {
				t.Fatalf("digest %s unknown", tt.digest)
			}
			sig, err := SignTestString(id.Signer, digest)
			if err != nil {
				t.Fatal(err)
			}
			got, err := FormatSignature(sig, tt.format)
			if err != nil {
				t.Fatal(err)
			}
			if want := readVectorFile(t, filepath.Join(root, "sign-string", tt.file)); !bytes.Equal(got, want) {
				t.Fatalf("output\n got %q\nwant %q", got, want)
			}
		})
	}
}

// TestSignTestStringECDSAVectors: ECDSA signatures are randomized, so the
// captured outputs and roam's own must each verify against the fixed
// string with their digest.
func TestSignTestStringECDSAVectors(t *testing.T) {
	root := testenv.Vectors(t)
	id := openVectorKey(t, filepath.Join(root, "ecdsa-p256"))
	pub := id.Signer.Public().(*ecdsa.PublicKey)
	fixed := readVectorFile(t, filepath.Join(root, "sign-string", "ecdsa-p256-fixed-string.bin"))
	verify := func(t *testing.T, sig []byte, digest crypto.Hash) {
		t.Helper()
		h := digest.New()
		h.Write(fixed)
		if !ecdsa.VerifyASN1(pub, h.Sum(nil), sig) {
			t.Fatalf("signature %x does not verify with %v", sig, digest)
		}
	}
	captured := []struct {
		file   string
		decode func([]byte) []byte
		digest crypto.Hash
	}{
		{"ecdsa-p256-json-run1.txt", unhexJSON, crypto.SHA256},
		{"ecdsa-p256-json-run2.txt", unhexJSON, crypto.SHA256},
		{"ecdsa-p256-text-sha256.txt", unhex, crypto.SHA256},
		{"ecdsa-p256-text-sha384.txt", unhex, crypto.SHA384},
		{"ecdsa-p256-text-sha512.txt", unhex, crypto.SHA512},
		{"ecdsa-p256-bin-sha256.bin", func(b []byte) []byte { return b }, crypto.SHA256},
	}
	for _, c := range captured {
		t.Run("captured/"+c.file, func(t *testing.T) {
			verify(t, c.decode(readVectorFile(t, filepath.Join(root, "sign-string", c.file))), c.digest)
		})
	}
	for _, name := range DigestNames() {
		digest, _ := Digest(name)
		t.Run("roam/"+name, func(t *testing.T) {
			sig, err := SignTestString(id.Signer, digest)
			if err != nil {
				t.Fatal(err)
			}
			verify(t, sig, digest)
			// A signature over the wrong digest must not verify: the digest
			// flag is really used.
			other := crypto.SHA256
			if digest == crypto.SHA256 {
				other = crypto.SHA512
			}
			h := other.New()
			h.Write(fixed)
			if ecdsa.VerifyASN1(pub, h.Sum(nil), sig) {
				t.Fatalf("a %v signature verifies as %v", digest, other)
			}
		})
	}
}

func unhex(b []byte) []byte {
	out, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		panic(err)
	}
	return out
}

func unhexJSON(b []byte) []byte { return unhex(bytes.Trim(b, `"`)) }

// TestSignTestStringMLDSA signs with the ML-DSA-65 fixture of the official
// helper (read from ../shared): no key suffix, the digest is ignored, and
// the signature is deterministic and verifies.
func TestSignTestStringMLDSA(t *testing.T) {
	dir := filepath.Join(testenv.SharedDir(t), "testdata", "signing-helper-vectors", "mldsa65")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("ML-DSA fixture absent: %v", err)
	}
	id := openVectorKey(t, dir)
	msg, err := TestString(id.Signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	if string(msg) != TestStringPrefix+TestStringVersion {
		t.Fatalf("ML-DSA fixed string %q, want no key suffix", msg)
	}
	a, err := SignTestString(id.Signer, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	b, err := SignTestString(id.Signer, crypto.SHA512)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("ML-DSA signatures differ by digest or run; the digest must be ignored and signing deterministic")
	}
	pub, ok := id.Signer.Public().(*mldsa65.PublicKey)
	if !ok {
		t.Fatalf("public key %T, want ML-DSA-65", id.Signer.Public())
	}
	if !mldsa65.Verify(pub, msg, nil, a) {
		t.Fatal("ML-DSA signature does not verify")
	}
}

func TestSignTestStringGenerated(t *testing.T) {
	for _, kt := range []testpki.KeyType{testpki.RSA2048, testpki.ECP256, testpki.ECP384} {
		t.Run(string(kt), func(t *testing.T) {
			key := testpki.Key(t, kt)
			msg, err := TestString(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			other, _ := TestString(testpki.Key(t, kt).Public())
			if bytes.Equal(msg, other) {
				t.Fatal("two keys give the same fixed string")
			}
			sig, err := SignTestString(key, crypto.SHA384)
			if err != nil {
				t.Fatal(err)
			}
			d := sha512.Sum384(msg)
			if k, ok := key.Public().(*ecdsa.PublicKey); ok && !ecdsa.VerifyASN1(k, d[:], sig) {
				t.Fatal("ECDSA signature does not verify")
			}
		})
	}
}

func TestTestStringErrors(t *testing.T) {
	if _, err := TestString(struct{}{}); err == nil || !strings.Contains(err.Error(), "unsupported key type") {
		t.Fatalf("error %v", err)
	}
	if _, err := FormatSignature([]byte{1}, "xml"); err == nil || !strings.Contains(err.Error(), `unknown signature format "xml"`) {
		t.Fatalf("error %v", err)
	}
	for f, want := range map[string]string{"json": `"01ff"`, "text": "01ff", "bin": "\x01\xff"} {
		if got, _ := FormatSignature([]byte{1, 0xff}, f); string(got) != want {
			t.Errorf("%s: %q, want %q", f, got, want)
		}
	}
}
