package keysource

// Fuzz tests for every parser of untrusted bytes. They run as ordinary
// tests over their seeds; fuzz one with, for example,
//
//	go test ./internal/keysource -run '^$' -fuzz '^FuzzParsePrivateKey$' -fuzztime 20s -fuzzminimizetime 1000x
//
// (Bounding minimization keeps the kilobyte-sized PKCS#12 and PEM inputs
// from spending the whole run minimizing one input.)

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
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/mldsa"

	"github.com/cloudflare/circl/sign"
	"golang.org/x/crypto/scrypt"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// fuzzLimits keep each input fast: real files are allowed far more work.
var fuzzLimits = kdfLimits{maxIterations: 4096, maxScryptBytes: 1 << 20}

// fuzzPassword turns the fuzzer's string into the password, with a prefix
// that appears in no message, so that a leak is detectable. An empty
// string stays empty (no password).
func fuzzPassword(p string) string {
	if p == "" {
		return ""
	}
	return "pw-" + p
}

// sentinels are the errors every failure must match.
var sentinels = []error{ErrCertificatePEM, ErrCertificate, ErrChain, ErrPrivateKey, ErrIncorrectPassword,
	ErrPasswordRequired, ErrPKCS12, ErrNoCertificate, ErrKeyMismatch}

// checkFuzzError fails unless err matches a sentinel and does not reveal
// the password.
func checkFuzzError(t *testing.T, err error, password string) {
	t.Helper()
	matched := false
	for _, s := range sentinels {
		if errors.Is(err, s) {
			matched = true
			break
		}
	}
	if !matched {
		t.Fatalf("error matches no sentinel: %v", err)
	}
	if password != "" && strings.Contains(err.Error(), password) {
		t.Fatalf("error reveals the password: %v", err)
	}
}

// checkSigner fails unless signer signs a digest (or, for ML-DSA, a
// message) that verifies with its public key.
func checkSigner(t *testing.T, signer crypto.Signer) {
	t.Helper()
	msg := []byte("fuzz")
	if pub, ok := signer.Public().(sign.PublicKey); ok {
		sig, err := signer.Sign(nil, msg, crypto.Hash(0))
		if err != nil {
			t.Fatalf("Sign: %v", err)
		}
		if !pub.Scheme().Verify(pub, msg, sig, nil) {
			t.Fatalf("%s signature does not verify", pub.Scheme().Name())
		}
		return
	}
	digest := sha256.Sum256(msg)
	sig, err := signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil {
		// crypto/rsa checks the key when signing; a key it accepted when
		// parsing must sign.
		t.Fatalf("Sign: %v", err)
	}
	if !verifyDigest(signer.Public(), digest[:], sig) {
		t.Fatalf("%T signature does not verify", signer.Public())
	}
}

// Seeds.

func seedKeys(f *testing.F) []crypto.Signer {
	return []crypto.Signer{testpki.Key(f, testpki.RSA2048), testpki.Key(f, testpki.ECP256), testpki.Key(f, testpki.ECP384)}
}

// seedMLDSA returns PKCS#8 encodings of an ML-DSA key in the seed, expanded
// and seed+expanded forms, and its parameter set.
func seedMLDSA(f *testing.F, oid asn1.ObjectIdentifier) [][]byte {
	scheme := mldsa.Scheme(oid)
	seed := make([]byte, scheme.SeedSize())
	rand.Read(seed)
	_, sk := scheme.DeriveKey(seed)
	expanded, err := sk.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	mustMarshal := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	var out [][]byte
	for _, priv := range [][]byte{
		mustMarshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: seed}),
		mustMarshal(expanded),
		mustMarshal(struct{ Seed, Expanded []byte }{seed, expanded}),
	} {
		out = append(out, mustMarshal(pkcs8Info{Algorithm: pkix.AlgorithmIdentifier{Algorithm: oid}, PrivateKey: priv}))
	}
	return out
}

// sealPKCS8 encrypts a PKCS#8 key with PBES2 and AES-128-CBC, using PBKDF2
// (HMAC-SHA256) or scrypt with parameters cheap enough for fuzzing.
func sealPKCS8(f *testing.F, der []byte, password string, useScrypt bool) []byte {
	mustMarshal := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	salt, iv := make([]byte, 8), make([]byte, aes.BlockSize)
	rand.Read(salt)
	rand.Read(iv)
	var key []byte
	var kdf pkix.AlgorithmIdentifier
	var err error
	if useScrypt {
		key, err = scrypt.Key([]byte(password), salt, 16, 8, 1, 16)
		kdf = pkix.AlgorithmIdentifier{Algorithm: oidScrypt, Parameters: asn1.RawValue{FullBytes: mustMarshal(scryptParams{Salt: salt, CostParameter: 16, BlockSize: 8, Parallelization: 1})}}
	} else {
		key, err = pbkdf2.Key(sha256.New, password, salt, 10, 16)
		kdf = pkix.AlgorithmIdentifier{Algorithm: oidPBKDF2, Parameters: asn1.RawValue{FullBytes: mustMarshal(pbkdf2Params{
			Salt: salt, Iterations: 10, PRF: pkix.AlgorithmIdentifier{Algorithm: oidHMACWithSHA256, Parameters: asn1.NullRawValue}})}}
	}
	if err != nil {
		f.Fatal(err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		f.Fatal(err)
	}
	pad := aes.BlockSize - len(der)%aes.BlockSize
	plain := append(bytes.Clone(der), bytes.Repeat([]byte{byte(pad)}, pad)...)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(plain, plain)
	params := mustMarshal(pbes2Params{
		KeyDerivationFunc: kdf,
		EncryptionScheme:  pkix.AlgorithmIdentifier{Algorithm: oidAES128CBC, Parameters: asn1.RawValue{FullBytes: mustMarshal(iv)}},
	})
	return mustMarshal(encryptedPrivateKeyInfo{
		Algorithm: pkix.AlgorithmIdentifier{Algorithm: oidPBES2, Parameters: asn1.RawValue{FullBytes: params}},
		Data:      plain,
	})
}

func pemOf(typ string, der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der})
}

// vectorFiles returns the checked-in helper vector files with the given
// suffix, as extra seeds.
func vectorFiles(f *testing.F, pattern string) [][]byte {
	paths, _ := filepath.Glob(filepath.Join(testenv.Vectors(f), "key-formats", pattern))
	var out [][]byte
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, b)
		}
	}
	return out
}

// seedPFX returns PKCS#12 bundles in the legacy and modern forms.
func seedPFX(f *testing.F, password string) [][]byte {
	ca := testpki.NewCA(f)
	inter := ca.Intermediate(f)
	leaf := inter.Leaf(f)
	var out [][]byte
	for _, enc := range []*pkcs12.Encoder{pkcs12.LegacyRC2, pkcs12.LegacyDES, pkcs12.Modern2023, pkcs12.Modern2026} {
		der, err := enc.WithIterations(16).Encode(leaf.Key, leaf.Cert, []*x509.Certificate{inter.Cert, ca.Cert}, password)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, der)
	}
	der, err := pkcs12.Passwordless.Encode(leaf.Key, leaf.Cert, nil, "")
	if err != nil {
		f.Fatal(err)
	}
	return append(out, der)
}

func FuzzParsePrivateKey(f *testing.F) {
	const password = "secret"
	for _, k := range seedKeys(f) {
		der, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(pemOf("PRIVATE KEY", der), "")
		f.Add(der, "")
		f.Add(pemOf("ENCRYPTED PRIVATE KEY", sealPKCS8(f, der, fuzzPassword(password), false)), password)
		f.Add(sealPKCS8(f, der, fuzzPassword(password), true), password)
		switch k := k.(type) {
		case *rsa.PrivateKey:
			f.Add(pemOf("RSA PRIVATE KEY", x509.MarshalPKCS1PrivateKey(k)), "")
		case *ecdsa.PrivateKey:
			sec1, err := x509.MarshalECPrivateKey(k)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(pemOf("EC PRIVATE KEY", sec1), "")
			f.Add(sec1, "")
		}
	}
	for _, oid := range []asn1.ObjectIdentifier{mldsa.OID44, mldsa.OID65, mldsa.OID87} {
		for _, der := range seedMLDSA(f, oid) {
			f.Add(pemOf("PRIVATE KEY", der), "")
		}
	}
	for _, b := range vectorFiles(f, "*.pem") {
		f.Add(b, "password")
	}
	f.Fuzz(func(t *testing.T, data []byte, p string) {
		password := fuzzPassword(p)
		signer, err := parsePrivateKey(data, "fuzz", password, fuzzLimits)
		if err != nil {
			checkFuzzError(t, err, password)
			return
		}
		checkSigner(t, signer)
	})
}

func FuzzMLDSAPrivateKey(f *testing.F) {
	oids := []asn1.ObjectIdentifier{mldsa.OID44, mldsa.OID65, mldsa.OID87}
	for i, oid := range oids {
		for _, der := range seedMLDSA(f, oid) {
			var info pkcs8Info
			if _, err := asn1.Unmarshal(der, &info); err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(i), info.PrivateKey)
		}
	}
	f.Fuzz(func(t *testing.T, level uint8, priv []byte) {
		scheme := mldsa.Scheme(oids[int(level)%len(oids)])
		sk, err := decodeMLDSAPrivateKey(scheme, priv)
		if err != nil {
			return
		}
		checkSigner(t, &mldsaSigner{key: sk})
	})
}

func FuzzPKCS12(f *testing.F) {
	const password = "secret"
	for _, der := range seedPFX(f, fuzzPassword(password)) {
		f.Add(der, password)
	}
	for _, der := range seedPFX(f, "") {
		f.Add(der, "")
	}
	for _, b := range vectorFiles(f, "*.p12") {
		f.Add(b, "")
	}
	f.Fuzz(func(t *testing.T, data []byte, p string) {
		password := fuzzPassword(p)
		id, err := loadPKCS12(data, "fuzz", password, fuzzLimits)
		if err != nil {
			checkFuzzError(t, err, password)
			return
		}
		if !publicKeyMatches(id.Signer.Public(), id.Certificate) {
			t.Fatal("the key does not match the certificate")
		}
		for _, c := range id.Chain {
			if c.Equal(id.Certificate) {
				t.Fatal("the chain holds the leaf")
			}
		}
		checkSigner(t, id.Signer)
	})
}

// FuzzCertificates fuzzes the certificate and intermediates parsers.
func FuzzCertificates(f *testing.F) {
	ca := testpki.NewCA(f)
	inter := ca.Intermediate(f)
	leaf := inter.Leaf(f)
	f.Add(testpki.PEM(leaf.Cert))
	f.Add(testpki.PEM(leaf.Cert, inter.Cert, ca.Cert))
	f.Add(leaf.Cert.Raw)
	f.Add(append([]byte("# chain\n"), testpki.PEM(inter.Cert)...))
	f.Add(append(testpki.PEM(inter.Cert), testpki.KeyPEM(f, leaf.Key)...))
	for _, b := range vectorFiles(f, "*.pem") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		first, leafErr := parseLeaf(data, "fuzz")
		if leafErr != nil {
			checkFuzzError(t, leafErr, "")
		}
		chain, err := parseChain(data, "fuzz")
		if err != nil {
			checkFuzzError(t, err, "")
			return
		}
		for _, c := range chain {
			if c == nil {
				t.Fatal("nil certificate in chain")
			}
		}
		if len(chain) > 0 && (leafErr != nil || first == nil || !first.Equal(chain[0])) {
			t.Fatalf("the first certificate of a valid bundle is not its leaf (%v)", leafErr)
		}
	})
}

// FuzzLoad fuzzes loading a software identity from a certificate, a key
// and an intermediates input, as Open does for standard input and the
// environment: selection, PKCS#12 fallback and the key match check.
func FuzzLoad(f *testing.F) {
	const password = "secret"
	ca := testpki.NewCA(f)
	inter := ca.Intermediate(f)
	leaf := inter.Leaf(f)
	certPEM, keyPEM := testpki.PEM(leaf.Cert), testpki.KeyPEM(f, leaf.Key)
	f.Add(certPEM, keyPEM, testpki.PEM(inter.Cert), "")
	f.Add(append(bytes.Clone(certPEM), keyPEM...), []byte(nil), []byte(nil), "")
	f.Add(certPEM, testpki.KeyPEM(f, testpki.Key(f, testpki.ECP256)), []byte(nil), "")
	f.Add([]byte(nil), keyPEM, []byte(nil), "")
	der, err := x509.MarshalPKCS8PrivateKey(leaf.Key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(certPEM, pemOf("ENCRYPTED PRIVATE KEY", sealPKCS8(f, der, fuzzPassword(password), false)), []byte(nil), password)
	for _, p12 := range seedPFX(f, "") {
		f.Add(p12, []byte(nil), []byte(nil), "")
	}
	f.Fuzz(func(t *testing.T, cert, key, chain []byte, p string) {
		password := fuzzPassword(p)
		in := &inputs{}
		for _, x := range []struct {
			in   *input
			data []byte
			name string
		}{{&in.cert, cert, "cert"}, {&in.key, key, "key"}, {&in.chain, chain, "chain"}} {
			if len(x.data) > 0 {
				*x.in = input{kind: inputData, name: x.name, data: x.data}
			}
		}
		raw, err := readInputs(in)
		if err != nil {
			t.Fatal(err) // data inputs cannot fail to read
		}
		id, err := loadSoftware(in, raw, password, fuzzLimits)
		if err != nil {
			checkFuzzError(t, err, password)
			return
		}
		if !publicKeyMatches(id.Signer.Public(), id.Certificate) {
			t.Fatal("the key does not match the certificate")
		}
		checkSigner(t, id.Signer)
	})
}
