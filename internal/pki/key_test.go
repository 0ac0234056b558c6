package pki_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/pki"
	"github.com/roam-dev/roam/internal/testpki"
)

func TestGenerateKey(t *testing.T) {
	for _, kt := range pki.KeyTypes() {
		t.Run(string(kt), func(t *testing.T) {
			if kt == pki.RSA4096 && testing.Short() {
				t.Skip("RSA-4096 generation is slow")
			}
			key, err := pki.GenerateKey(kt)
			if err != nil {
				t.Fatal(err)
			}
			if got := pki.DescribeKey(key.Public()); got != string(kt) {
				t.Errorf("DescribeKey = %q, want %q", got, kt)
			}
			data, err := pki.MarshalPrivateKeyPEM(key)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(string(data), "-----BEGIN PRIVATE KEY-----\n") {
				t.Errorf("not PKCS#8 PEM:\n%s", data)
			}
			back, err := pki.ParsePrivateKeyPEM(data)
			if err != nil {
				t.Fatal(err)
			}
			if !publicKeysEqual(back.Public(), key.Public()) {
				t.Error("the parsed key differs from the generated one")
			}
		})
	}
}

func TestParseKeyType(t *testing.T) {
	for _, kt := range pki.KeyTypes() {
		if got, err := pki.ParseKeyType(string(kt)); err != nil || got != kt {
			t.Errorf("ParseKeyType(%q) = %q, %v", kt, got, err)
		}
	}
	_, err := pki.ParseKeyType("rsa1024")
	if err == nil || !strings.Contains(err.Error(), `"rsa1024"`) || !strings.Contains(err.Error(), "rsa2048, rsa3072, rsa4096, ec-p256, ec-p384") {
		t.Errorf("ParseKeyType(rsa1024) error = %v, want one naming the input and listing the valid types", err)
	}
	if _, err := pki.GenerateKey("dsa"); err == nil {
		t.Error("GenerateKey(dsa) succeeded")
	}
}

func TestParsePrivateKeyPEM(t *testing.T) {
	rsaKey := testpki.Key(t, testpki.RSA2048)
	ecKey := testpki.Key(t, testpki.ECP256)
	pkcs1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(rsaKey.(*rsa.PrivateKey))})
	sec1DER, err := x509.MarshalECPrivateKey(ecKey.(*ecdsa.PrivateKey))
	if err != nil {
		t.Fatal(err)
	}
	sec1 := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1DER})
	ecParams := pem.EncodeToMemory(&pem.Block{Type: "EC PARAMETERS", Bytes: []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}})
	pkcs8 := testpki.KeyPEM(t, ecKey)
	leaf := testpki.NewCA(t).Leaf(t, testpki.WithKey(ecKey))
	certPEM := testpki.PEM(leaf.Cert)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edKey)
	edPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER})
	legacyEncrypted := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF"}, Bytes: []byte{1, 2, 3}})

	tests := []struct {
		name    string
		data    []byte
		want    crypto.PublicKey
		wantErr string
		is      error
	}{
		{name: "ok/pkcs8", data: pkcs8, want: ecKey.Public()},
		{name: "ok/pkcs1", data: pkcs1, want: rsaKey.Public()},
		{name: "ok/sec1", data: sec1, want: ecKey.Public()},
		{name: "ok/sec1 after EC PARAMETERS", data: append(append([]byte{}, ecParams...), sec1...), want: ecKey.Public()},
		{name: "ok/key beside its certificate", data: append(append([]byte{}, certPEM...), pkcs8...), want: ecKey.Public()},
		{name: "ok/ed25519 parses (policy is checked elsewhere)", data: edPEM, want: edKey.Public()},
		{name: "error/empty", data: nil, wantErr: "no PEM private key found"},
		{name: "error/certificate only", data: certPEM, wantErr: "no PEM private key found"},
		{name: "error/encrypted pkcs8", data: pem.EncodeToMemory(&pem.Block{Type: "ENCRYPTED PRIVATE KEY", Bytes: []byte{0x30, 0}}), is: pki.ErrEncryptedKey},
		{name: "error/legacy encrypted", data: legacyEncrypted, is: pki.ErrEncryptedKey},
		{name: "error/public key block", data: pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: []byte{0x30, 0}}), wantErr: `unexpected PEM block "PUBLIC KEY"`},
		{name: "error/two keys", data: append(append([]byte{}, pkcs8...), sec1...), wantErr: "more than one private key"},
		{name: "error/garbage in block", data: pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: []byte("nope")}), wantErr: "parse EC PRIVATE KEY"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key, err := pki.ParsePrivateKeyPEM(tt.data)
			switch {
			case tt.is != nil:
				if !errors.Is(err, tt.is) {
					t.Fatalf("error = %v, want %v", err, tt.is)
				}
			case tt.wantErr != "":
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			case !publicKeysEqual(key.Public(), tt.want):
				t.Error("wrong key")
			}
		})
	}
}

func TestDescribeKey(t *testing.T) {
	p521, err := ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	for _, tt := range []struct {
		pub  crypto.PublicKey
		want string
	}{
		{testpki.Key(t, testpki.RSA3072).Public(), "rsa3072"},
		{testpki.Key(t, testpki.ECP384).Public(), "ec-p384"},
		{p521.Public(), "ec-p521"},
		{edPub, "ed25519"},
	} {
		if got := pki.DescribeKey(tt.pub); got != tt.want {
			t.Errorf("DescribeKey(%T) = %q, want %q", tt.pub, got, tt.want)
		}
	}
}

func FuzzParsePrivateKeyPEM(f *testing.F) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	der, _ := x509.MarshalECPrivateKey(key)
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: der}))
	f.Add(testpki.KeyPEM(f, key))
	f.Add([]byte("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n"))
	f.Add([]byte("garbage"))
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := pki.ParsePrivateKeyPEM(data)
		if err != nil {
			return
		}
		// Whatever parses must encode again as PKCS#8 and parse back to
		// the same key.
		out, err := pki.MarshalPrivateKeyPEM(k)
		if err != nil {
			return // e.g. a key type PKCS#8 cannot hold; not a parser bug
		}
		back, err := pki.ParsePrivateKeyPEM(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !publicKeysEqual(back.Public(), k.Public()) {
			t.Fatal("round trip changed the key")
		}
	})
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}
