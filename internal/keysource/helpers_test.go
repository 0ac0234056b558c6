package keysource_test

import (
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/ecdsa"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/cloudflare/circl/sign"
	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"

	"github.com/roam-dev/roam/internal/keysource"
	"github.com/roam-dev/roam/internal/sigv4x509"
	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// message is what the tests sign.
var message = []byte("AWS4-X509-RSA-SHA256\n20260101T000000Z\n20260101/us-east-1/rolesanywhere/aws4_request\nabc")

// writeFile writes data to dir/name and returns the path.
func writeFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// openssl runs the openssl binary, skipping the test when it is missing.
func openssl(t testing.TB, args ...string) []byte {
	t.Helper()
	bin := testenv.Tool(t, "openssl")
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl %v: %v\n%s", args, err, stderr.String())
	}
	return out
}

// pemBlock encodes one PEM block.
func pemBlock(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

func sec1PEM(t testing.TB, k crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalECPrivateKey(k.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	return pemBlock("EC PRIVATE KEY", der)
}

func pkcs1PEM(k crypto.Signer) []byte {
	return pemBlock("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k.(*rsa.PrivateKey)))
}

func pkcs8DER(t testing.TB, k crypto.Signer) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// mustOpen opens opts or fails the test.
func mustOpen(t testing.TB, opts keysource.Options) keysource.Source {
	t.Helper()
	src, err := keysource.Open(opts)
	if err != nil {
		t.Fatalf("Open(%v): %v", opts, err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// signAndVerify signs message with src the way SigV4-X509 does for the key
// type and verifies the signature with cert's public key.
func signAndVerify(t testing.TB, src keysource.Source, cert *x509.Certificate) {
	t.Helper()
	pub, err := sigv4x509.PublicKey(cert)
	if err != nil {
		t.Fatal(err)
	}
	if pk, ok := pub.(sign.PublicKey); ok {
		sig, err := src.Sign(nil, message, crypto.Hash(0))
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		if !pk.Scheme().Verify(pk, message, sig, nil) {
			t.Fatalf("%s signature does not verify", pk.Scheme().Name())
		}
		return
	}
	digest := sha256.Sum256(message)
	sig, err := src.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	if !verifies(pub, digest[:], sig) {
		t.Fatalf("%T signature does not verify", pub)
	}
}

// checkIdentity checks that src serves wantLeaf and wantChain, and that its
// key signs for the leaf.
func checkIdentity(t testing.TB, src keysource.Source, wantLeaf *x509.Certificate, wantChain []*x509.Certificate) {
	t.Helper()
	leaf, err := src.Certificate()
	if err != nil {
		t.Fatalf("Certificate: %v", err)
	}
	if !leaf.Equal(wantLeaf) {
		t.Fatalf("Certificate = %q, want %q", leaf.Subject, wantLeaf.Subject)
	}
	chain, err := src.Chain()
	if err != nil {
		t.Fatalf("Chain: %v", err)
	}
	if len(chain) != len(wantChain) {
		t.Fatalf("Chain has %d certificates, want %d", len(chain), len(wantChain))
	}
	for i := range chain {
		if !chain[i].Equal(wantChain[i]) {
			t.Fatalf("Chain[%d] = %q, want %q", i, chain[i].Subject, wantChain[i].Subject)
		}
	}
	signAndVerify(t, src, leaf)
}

// ML-DSA test material.

var mldsaOIDs = map[string]asn1.ObjectIdentifier{
	"ML-DSA-44": {2, 16, 840, 1, 101, 3, 4, 3, 17},
	"ML-DSA-65": {2, 16, 840, 1, 101, 3, 4, 3, 18},
	"ML-DSA-87": {2, 16, 840, 1, 101, 3, 4, 3, 19},
}

var mldsaSchemes = []sign.Scheme{mldsa44.Scheme(), mldsa65.Scheme(), mldsa87.Scheme()}

// mldsaKey is an ML-DSA key with its seed and expanded encodings.
type mldsaKey struct {
	scheme   sign.Scheme
	seed     []byte
	expanded []byte
	key      sign.PrivateKey
}

func newMLDSAKey(t testing.TB, scheme sign.Scheme) *mldsaKey {
	t.Helper()
	seed := make([]byte, scheme.SeedSize())
	rand.Read(seed)
	_, sk := scheme.DeriveKey(seed)
	expanded, err := sk.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	return &mldsaKey{scheme: scheme, seed: seed, expanded: expanded, key: sk}
}

// pkcs8 encodes the key as PKCS#8 with the private key in the given form:
// seed, expanded, both, bare-seed or bare-expanded.
func (k *mldsaKey) pkcs8(t testing.TB, form string) []byte {
	t.Helper()
	var priv []byte
	var err error
	switch form {
	case "seed":
		priv, err = asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: k.seed})
	case "expanded":
		priv, err = asn1.Marshal(k.expanded)
	case "both":
		priv, err = asn1.Marshal(struct{ Seed, Expanded []byte }{k.seed, k.expanded})
	case "bare-seed":
		priv = k.seed
	case "bare-expanded":
		priv = k.expanded
	default:
		t.Fatalf("unknown ML-DSA key form %q", form)
	}
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(struct {
		Version    int
		Algorithm  pkix.AlgorithmIdentifier
		PrivateKey []byte
	}{0, pkix.AlgorithmIdentifier{Algorithm: mldsaOIDs[k.scheme.Name()]}, priv})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// cert returns a certificate for the key.
func (k *mldsaKey) cert(t testing.TB) *x509.Certificate {
	t.Helper()
	return testpki.NewCA(t).MLDSALeaf(t, testpki.WithKey(k.key)).Cert
}

// encryptPKCS8 encrypts a PKCS#8 key as OpenSSL's default does: PBES2 with
// PBKDF2-HMAC-SHA256 and AES-256-CBC. It serves key types openssl 3.0
// cannot handle (ML-DSA).
func encryptPKCS8(t testing.TB, der []byte, password string) []byte {
	t.Helper()
	salt, iv := make([]byte, 16), make([]byte, aes.BlockSize)
	rand.Read(salt)
	rand.Read(iv)
	const iterations = 2048
	key, err := pbkdf2.Key(sha256.New, password, salt, iterations, 32)
	if err != nil {
		t.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	pad := aes.BlockSize - len(der)%aes.BlockSize
	plain := append(bytes.Clone(der), bytes.Repeat([]byte{byte(pad)}, pad)...)
	ct := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, plain)

	must := func(b []byte, err error) []byte {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	kdf := must(asn1.Marshal(struct {
		Salt       []byte
		Iterations int
		PRF        pkix.AlgorithmIdentifier
	}{salt, iterations, pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}, Parameters: asn1.NullRawValue}}))
	pbes2 := must(asn1.Marshal(struct{ KDF, Cipher pkix.AlgorithmIdentifier }{
		pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}, Parameters: asn1.RawValue{FullBytes: kdf}},
		pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}, Parameters: asn1.RawValue{FullBytes: must(asn1.Marshal(iv))}},
	}))
	return must(asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		Data      []byte
	}{pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}, Parameters: asn1.RawValue{FullBytes: pbes2}}, ct}))
}
