package keysource

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"maps"
	"math/bits"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/mldsa"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// withRegistry runs f with a copy of the backend registry and restores the
// original afterwards, so a test can register backends.
func withRegistry(t *testing.T, f func()) {
	t.Helper()
	registry.Lock()
	saved := maps.Clone(registry.m)
	registry.Unlock()
	defer func() {
		registry.Lock()
		registry.m = saved
		registry.Unlock()
	}()
	f()
}

// fakeToken is a Source standing in for a PKCS#11 token.
type fakeToken struct {
	crypto.Signer
	cert   *x509.Certificate
	closed bool
}

func (f *fakeToken) Certificate() (*x509.Certificate, error) { return f.cert, nil }
func (f *fakeToken) Chain() ([]*x509.Certificate, error)     { return nil, nil }
func (f *fakeToken) Close() error                            { f.closed = true; return nil }

// TestRegisterReplacesPlaceholder plugs a backend in the way the PKCS#11
// and TPM implementations will, and checks what the dispatcher hands it
// and that it still checks the key against the certificate.
func TestRegisterReplacesPlaceholder(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t)
	inter := ca.Intermediate(t)
	leaf := inter.Leaf(t)
	certFile := filepath.Join(dir, "cert.pem")
	chainFile := filepath.Join(dir, "chain.pem")
	for p, data := range map[string][]byte{certFile: testpki.PEM(leaf.Cert), chainFile: testpki.PEM(inter.Cert)} {
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const uri = "pkcs11:token=t;object=k?pin-value=pin-9f8e7d"

	withRegistry(t, func() {
		// A cgo build registers the real PKCS#11 backend: let the test
		// backend replace it as it would the placeholder.
		registry.Lock()
		registry.m[BackendPKCS11] = registration{backend: registry.m[BackendPKCS11].backend, placeholder: true}
		registry.Unlock()
		var got *Request
		var opened []*fakeToken
		Register(BackendPKCS11, BackendFunc(func(req *Request) (Source, error) {
			got = req
			key := leaf.Key
			if req.Options.ReusePIN { // stands for "the token holds another key"
				key = testpki.Key(t, testpki.ECP256)
			}
			tok := &fakeToken{Signer: key, cert: req.Certificate}
			opened = append(opened, tok)
			return tok, nil
		}))

		src, err := Open(Options{Certificate: certFile, PrivateKey: uri, Intermediates: chainFile, PKCS11Lib: "/lib/p11.so"})
		if err != nil {
			t.Fatal(err)
		}
		if got.KeyID != uri || got.Key != nil || got.CertificateID != "" || got.Options.PKCS11Lib != "/lib/p11.so" ||
			!got.Certificate.Equal(leaf.Cert) || len(got.Intermediates) != 1 || !got.Intermediates[0].Equal(inter.Cert) {
			t.Fatalf("the backend was asked for %+v", got)
		}
		if src != opened[0] {
			t.Fatal("Open did not return the backend's Source")
		}

		_, err = Open(Options{Certificate: certFile, PrivateKey: uri, ReusePIN: true})
		if !errors.Is(err, ErrKeyMismatch) || strings.Contains(err.Error(), "pin-9f8e7d") {
			t.Fatalf("mismatched token key: %v", err)
		}
		if !strings.Contains(err.Error(), "private key in the pkcs11: URI does not belong to the ECDSA P-256 certificate in "+certFile) {
			t.Fatalf("the error does not say which inputs mismatch: %v", err)
		}
		if !opened[1].closed {
			t.Fatal("the mismatched Source was not closed")
		}

		defer func() {
			if recover() == nil {
				t.Fatal("registering a second real backend did not panic")
			}
		}()
		Register(BackendPKCS11, BackendFunc(func(*Request) (Source, error) { return nil, nil }))
	})
	// The built-in backend (the placeholder, or the real one under cgo,
	// which finds no such token) is back: the test backend would succeed.
	if src, err := Open(Options{Certificate: certFile, PrivateKey: uri}); err == nil {
		src.Close()
		t.Fatal("the test backend is still registered")
	}
}

// TestPKCS12WorkLimits checks that bundles demanding too much key
// derivation are refused before any is done.
func TestPKCS12WorkLimits(t *testing.T) {
	leaf := testpki.NewCA(t).Leaf(t)
	limits := kdfLimits{maxIterations: 1000, maxScryptBytes: 1 << 20}
	cases := map[string]struct {
		enc  *pkcs12.Encoder
		want string
	}{
		"mac":             {pkcs12.Modern2023.WithIterations(1001), "the MAC's iteration count 1001 exceeds 1000"},
		"pbmac1":          {pkcs12.Modern2026.WithIterations(1001), "the MAC's PBKDF2 iteration count 1001 exceeds 1000"},
		"encrypted-safe":  {pkcs12.LegacyRC2, "the encrypted safe's iteration count 2048 exceeds 1000"},
		"within-limits":   {pkcs12.Modern2026.WithIterations(1000), ""},
		"legacy-in-limit": {pkcs12.LegacyDES.WithIterations(1000), ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			der, err := c.enc.Encode(leaf.Key, leaf.Cert, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			_, err = loadPKCS12(der, "b.p12", "", limits)
			if c.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, ErrPKCS12) || err.Error() != "could not read PKCS#12 data: b.p12: "+c.want {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	t.Run("shrouded-key", func(t *testing.T) {
		dir := t.TempDir()
		key, cert, p12 := filepath.Join(dir, "k.pem"), filepath.Join(dir, "c.pem"), filepath.Join(dir, "b.p12")
		if err := os.WriteFile(key, testpki.KeyPEM(t, leaf.Key), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cert, testpki.PEM(leaf.Cert), 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(testenv.Tool(t, "openssl"), "pkcs12", "-export", "-inkey", key, "-in", cert,
			"-certpbe", "NONE", "-iter", "1001", "-nomaciter", "-passout", "pass:", "-out", p12).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl: %v\n%s", err, out)
		}
		der, err := os.ReadFile(p12)
		if err != nil {
			t.Fatal(err)
		}
		_, err = loadPKCS12(der, "b.p12", "", limits)
		if want := "could not read PKCS#12 data: b.p12: the private key's PBKDF2 iteration count 1001 exceeds 1000"; err == nil || err.Error() != want {
			t.Fatalf("err = %v, want %q", err, want)
		}
		if _, err := loadPKCS12(der, "b.p12", "", defaultKDFLimits()); err != nil {
			t.Fatalf("within the default limits: %v", err)
		}
	})
}

// TestPKCS8WorkLimits checks the PBKDF2 and scrypt bounds of encrypted
// PKCS#8 keys.
func TestPKCS8WorkLimits(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "k.pem")
	if err := os.WriteFile(key, testpki.KeyPEM(t, testpki.Key(t, testpki.ECP256)), 0o600); err != nil {
		t.Fatal(err)
	}
	limits := kdfLimits{maxIterations: 1000, maxScryptBytes: 1 << 20}
	cases := map[string]struct {
		args []string
		want string
	}{
		"pbkdf2": {[]string{"-iter", "1001"}, "PBKDF2 iteration count 1001 is outside 1..1000"},
		"scrypt": {[]string{"-scrypt", "-scrypt_N", "2048", "-scrypt_r", "8", "-scrypt_p", "1"}, "scrypt parameters N=2048 r=8 p=1 are invalid or demand more than 1 MiB"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			enc := filepath.Join(dir, name+".pem")
			args := append([]string{"pkcs8", "-topk8", "-in", key, "-out", enc, "-passout", "pass:pw"}, c.args...)
			if out, err := exec.Command(testenv.Tool(t, "openssl"), args...).CombinedOutput(); err != nil {
				t.Fatalf("openssl: %v\n%s", err, out)
			}
			data, err := os.ReadFile(enc)
			if err != nil {
				t.Fatal(err)
			}
			_, err = parsePrivateKey(data, enc, "pw", limits)
			if want := "unable to parse private key: " + enc + ": encrypted PKCS#8 key: " + c.want; err == nil || err.Error() != want {
				t.Fatalf("err = %v, want %q", err, want)
			}
			if _, err := parsePrivateKey(data, enc, "pw", defaultKDFLimits()); err != nil {
				t.Fatalf("within the default limits: %v", err)
			}
		})
	}
}

// TestCheckMLDSAExpanded checks the expanded-key consistency check against
// circl's key expansion and OpenSSL's fixture, and that it catches the
// corruptions circl would load without complaint.
func TestCheckMLDSAExpanded(t *testing.T) {
	for _, oid := range []asn1.ObjectIdentifier{mldsa.OID44, mldsa.OID65, mldsa.OID87} {
		scheme := mldsa.Scheme(oid)
		dims := mldsaDimsOf(scheme)
		t.Run(scheme.Name(), func(t *testing.T) {
			for range 3 {
				seed := make([]byte, scheme.SeedSize())
				rand.Read(seed)
				_, sk := scheme.DeriveKey(seed)
				expanded, err := sk.MarshalBinary()
				if err != nil {
					t.Fatal(err)
				}
				if err := checkMLDSAExpanded(expanded, dims); err != nil {
					t.Fatalf("a valid key: %v", err)
				}
				if _, err := mldsaFromExpanded(scheme, expanded); err != nil {
					t.Fatalf("a valid key: %v", err)
				}

				etaBits := bits.Len(uint(2 * dims.eta))
				t0Start := 128 + (dims.k+dims.l)*mldsaN*etaBits/8
				for _, c := range []struct {
					name string
					at   int
					bit  byte
					want string
				}{
					{"t0/low-bit", t0Start + 5, 0x01, "t0 does not match"},
					{"t0/last-byte", len(expanded) - 1, 0x80, "t0 does not match"},
					{"s2", t0Start - 1, 0x10, ""},
					{"tr", 64, 0x01, "public-key hash"},
				} {
					bad := bytes.Clone(expanded)
					bad[c.at] ^= c.bit
					_, err := mldsaFromExpanded(scheme, bad)
					if err == nil || (c.want != "" && !strings.Contains(err.Error(), c.want)) {
						t.Fatalf("%s flipped: err = %v, want %q", c.name, err, c.want)
					}
				}
				// K is random by design: any value is consistent.
				other := bytes.Clone(expanded)
				other[40] ^= 0xff
				if _, err := mldsaFromExpanded(scheme, other); err != nil {
					t.Fatalf("another K: %v", err)
				}
			}
			// Coefficients of s₁ out of [−η, η].
			bad := make([]byte, scheme.PrivateKeySize())
			for i := 128; i < 128+mldsaN*bits.Len(uint(2*dims.eta))/8; i++ {
				bad[i] = 0xff
			}
			if err := checkMLDSAExpanded(bad, dims); err == nil || !strings.Contains(err.Error(), "out of range") {
				t.Fatalf("s₁ out of range: %v", err)
			}
		})
	}

	t.Run("openssl-fixture", func(t *testing.T) {
		path := filepath.Join(testenv.SharedDir(t), "testdata", "signing-helper-vectors", "mldsa65", "leaf-key.pem")
		data, err := os.ReadFile(path)
		if err != nil {
			t.Skipf("ML-DSA fixture %s is absent: %v", path, err)
		}
		block, _ := pem.Decode(data)
		var info pkcs8Info
		if _, err := asn1.Unmarshal(block.Bytes, &info); err != nil {
			t.Fatal(err)
		}
		var both struct{ Seed, Expanded []byte }
		if _, err := asn1.Unmarshal(info.PrivateKey, &both); err != nil {
			t.Fatal(err)
		}
		if err := checkMLDSAExpanded(both.Expanded, mldsaDimsOf(mldsa.Scheme(mldsa.OID65))); err != nil {
			t.Fatalf("OpenSSL's expanded key: %v", err)
		}
	})
}
