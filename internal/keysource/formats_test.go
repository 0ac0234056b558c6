package keysource_test

import (
	"crypto"
	"crypto/x509"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/roam-dev/roam/internal/keysource"
	"github.com/roam-dev/roam/internal/testpki"
)

// chainPKI is a root, an intermediate and a leaf signed by it.
type chainPKI struct {
	root, inter *testpki.CA
	leaf        *testpki.Leaf
}

func newChainPKI(t testing.TB, kt testpki.KeyType) *chainPKI {
	t.Helper()
	root := testpki.NewCA(t)
	inter := root.Intermediate(t)
	return &chainPKI{root: root, inter: inter, leaf: inter.Leaf(t, testpki.WithKeyType(kt))}
}

// formatCase writes its inputs into dir and returns the options to open
// them with, and the leaf and chain Open must produce.
type formatCase func(t *testing.T, dir string) (keysource.Options, *x509.Certificate, []*x509.Certificate)

// plainFiles writes the leaf certificate and keyPEM as separate files.
func plainFiles(kt testpki.KeyType, keyPEM func(testing.TB, crypto.Signer) []byte) formatCase {
	return func(t *testing.T, dir string) (keysource.Options, *x509.Certificate, []*x509.Certificate) {
		p := newChainPKI(t, kt)
		opts := keysource.Options{
			Certificate: writeFile(t, dir, "cert.pem", testpki.PEM(p.leaf.Cert)),
			PrivateKey:  writeFile(t, dir, "key", keyPEM(t, p.leaf.Key)),
		}
		return opts, p.leaf.Cert, nil
	}
}

func TestOpenSoftwareFormats(t *testing.T) {
	cases := map[string]formatCase{
		"pkcs8/rsa2048": plainFiles(testpki.RSA2048, testpki.KeyPEM),
		"pkcs8/rsa3072": plainFiles(testpki.RSA3072, testpki.KeyPEM),
		"pkcs8/ec-p256": plainFiles(testpki.ECP256, testpki.KeyPEM),
		"pkcs8/ec-p384": plainFiles(testpki.ECP384, testpki.KeyPEM),
		"sec1/ec-p256":  plainFiles(testpki.ECP256, sec1PEM),
		"sec1/ec-p384":  plainFiles(testpki.ECP384, sec1PEM),
		"pkcs1/rsa2048": plainFiles(testpki.RSA2048, func(_ testing.TB, k crypto.Signer) []byte { return pkcs1PEM(k) }),
		"sec1/after-ec-parameters-block": plainFiles(testpki.ECP256, func(t testing.TB, k crypto.Signer) []byte {
			// What `openssl ecparam -genkey` writes.
			return append(pemBlock("EC PARAMETERS", []byte{0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07}), sec1PEM(t, k)...)
		}),
		"der/pkcs8": plainFiles(testpki.ECP256, pkcs8DER),
		"der/sec1": plainFiles(testpki.ECP256, func(t testing.TB, k crypto.Signer) []byte {
			b := sec1PEM(t, k)
			return pemDecode(t, b)
		}),
		"der/pkcs1": plainFiles(testpki.RSA2048, func(t testing.TB, k crypto.Signer) []byte { return pemDecode(t, pkcs1PEM(k)) }),
		"combo/key-then-cert-as-certificate-only": func(t *testing.T, dir string) (keysource.Options, *x509.Certificate, []*x509.Certificate) {
			p := newChainPKI(t, testpki.RSA2048)
			combo := append(pkcs1PEM(p.leaf.Key), testpki.PEM(p.leaf.Cert)...)
			return keysource.Options{Certificate: writeFile(t, dir, "combo.pem", combo)}, p.leaf.Cert, nil
		},
		"combo/cert-then-pkcs8-as-both-flags": func(t *testing.T, dir string) (keysource.Options, *x509.Certificate, []*x509.Certificate) {
			p := newChainPKI(t, testpki.ECP256)
			path := writeFile(t, dir, "combo.pem", append(testpki.PEM(p.leaf.Cert), testpki.KeyPEM(t, p.leaf.Key)...))
			return keysource.Options{Certificate: path, PrivateKey: path}, p.leaf.Cert, nil
		},
		"certificate/der": func(t *testing.T, dir string) (keysource.Options, *x509.Certificate, []*x509.Certificate) {
			p := newChainPKI(t, testpki.ECP256)
			return keysource.Options{
				Certificate: writeFile(t, dir, "cert.der", p.leaf.Cert.Raw),
				PrivateKey:  writeFile(t, dir, "key.pem", testpki.KeyPEM(t, p.leaf.Key)),
			}, p.leaf.Cert, nil
		},
		"certificate/first-of-several-blocks": func(t *testing.T, dir string) (keysource.Options, *x509.Certificate, []*x509.Certificate) {
			p := newChainPKI(t, testpki.ECP256)
			return keysource.Options{
				Certificate: writeFile(t, dir, "fullchain.pem", testpki.PEM(p.leaf.Cert, p.inter.Cert)),
				PrivateKey:  writeFile(t, dir, "key.pem", testpki.KeyPEM(t, p.leaf.Key)),
			}, p.leaf.Cert, nil
		},
		"intermediates": func(t *testing.T, dir string) (keysource.Options, *x509.Certificate, []*x509.Certificate) {
			p := newChainPKI(t, testpki.RSA2048)
			return keysource.Options{
				Certificate:   writeFile(t, dir, "cert.pem", testpki.PEM(p.leaf.Cert)),
				PrivateKey:    writeFile(t, dir, "key.pem", testpki.KeyPEM(t, p.leaf.Key)),
				Intermediates: writeFile(t, dir, "chain.pem", append([]byte("# bundle\n"), testpki.PEM(p.inter.Cert, p.root.Cert)...)),
			}, p.leaf.Cert, []*x509.Certificate{p.inter.Cert, p.root.Cert}
		},
		"intermediates/empty-file": func(t *testing.T, dir string) (keysource.Options, *x509.Certificate, []*x509.Certificate) {
			p := newChainPKI(t, testpki.ECP256)
			return keysource.Options{
				Certificate:   writeFile(t, dir, "cert.pem", testpki.PEM(p.leaf.Cert)),
				PrivateKey:    writeFile(t, dir, "key.pem", testpki.KeyPEM(t, p.leaf.Key)),
				Intermediates: writeFile(t, dir, "chain.pem", nil),
			}, p.leaf.Cert, nil
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			opts, leaf, chain := setup(t, t.TempDir())
			checkIdentity(t, mustOpen(t, opts), leaf, chain)
		})
	}
}

// pemDecode returns the DER of the first PEM block.
func pemDecode(t testing.TB, b []byte) []byte {
	t.Helper()
	blocks := pemBlocks(b)
	if len(blocks) == 0 {
		t.Fatal("no PEM block")
	}
	return blocks[0].Bytes
}

func TestOpenEncryptedPKCS8(t *testing.T) {
	type encCase struct {
		name string
		args []string // openssl pkcs8 -topk8 options
	}
	var cases []encCase
	for _, prf := range []string{"hmacWithSHA1", "hmacWithSHA224", "hmacWithSHA256", "hmacWithSHA384", "hmacWithSHA512"} {
		for _, c := range []string{"aes-128-cbc", "aes-192-cbc", "aes-256-cbc"} {
			cases = append(cases, encCase{"pbkdf2/" + prf + "/" + c, []string{"-v2", c, "-v2prf", prf}})
		}
	}
	cases = append(cases,
		encCase{"pbkdf2/hmacWithSHA256/des-ede3-cbc", []string{"-v2", "des3"}},
		encCase{"scrypt/aes-256-cbc", []string{"-scrypt"}},
		encCase{"scrypt/N=1024,p=2/aes-128-cbc", []string{"-scrypt", "-scrypt_N", "1024", "-scrypt_r", "8", "-scrypt_p", "2", "-v2", "aes-128-cbc"}},
	)
	const password = "correct horse battery staple"
	for i, c := range cases {
		kt := []testpki.KeyType{testpki.RSA2048, testpki.ECP256, testpki.ECP384}[i%3]
		t.Run(fmt.Sprintf("%s/%s", c.name, kt), func(t *testing.T) {
			dir := t.TempDir()
			p := newChainPKI(t, kt)
			plain := writeFile(t, dir, "plain.pem", testpki.KeyPEM(t, p.leaf.Key))
			enc := filepath.Join(dir, "enc.pem")
			openssl(t, append([]string{"pkcs8", "-topk8", "-in", plain, "-out", enc, "-passout", "pass:" + password}, c.args...)...)
			opts := keysource.Options{
				Certificate:   writeFile(t, dir, "cert.pem", testpki.PEM(p.leaf.Cert)),
				PrivateKey:    enc,
				PKCS8Password: password,
			}
			checkIdentity(t, mustOpen(t, opts), p.leaf.Cert, nil)

			opts.PKCS8Password = "wrong"
			if _, err := keysource.Open(opts); err == nil || err.Error() != "failed to read private key: incorrect PKCS#8 private key password" {
				t.Fatalf("wrong password: err = %v", err)
			}
		})
	}
}

func TestOpenPKCS12(t *testing.T) {
	cases := map[string]struct {
		args     []string
		password string
		keyType  testpki.KeyType
	}{
		"openssl3-default/aes-256-sha256/rsa": {keyType: testpki.RSA2048},
		"openssl3-default/aes-256-sha256/ec":  {keyType: testpki.ECP256},
		"legacy/sha1-rc2-3des":                {args: []string{"-legacy"}, keyType: testpki.RSA2048},
		"sha1-3des":                           {args: []string{"-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"}, keyType: testpki.ECP384},
		"with-password":                       {password: "p12 secret", keyType: testpki.ECP256},
		"legacy/with-password":                {args: []string{"-legacy"}, password: "p12 secret", keyType: testpki.RSA2048},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := newChainPKI(t, c.keyType)
			p12 := filepath.Join(dir, "bundle.p12")
			openssl(t, append([]string{"pkcs12", "-export",
				"-inkey", writeFile(t, dir, "key.pem", testpki.KeyPEM(t, p.leaf.Key)),
				"-in", writeFile(t, dir, "cert.pem", testpki.PEM(p.leaf.Cert)),
				"-certfile", writeFile(t, dir, "chain.pem", testpki.PEM(p.inter.Cert, p.root.Cert)),
				"-passout", "pass:" + c.password, "-out", p12}, c.args...)...)

			src := mustOpen(t, keysource.Options{Certificate: p12, PKCS8Password: c.password})
			checkIdentity(t, src, p.leaf.Cert, []*x509.Certificate{p.inter.Cert, p.root.Cert})

			if c.password != "" {
				_, err := keysource.Open(keysource.Options{Certificate: p12})
				wantErr(t, err, keysource.ErrPKCS12, "could not read PKCS#12 data: "+p12+" is protected by a password; pass it with --pkcs8-password")
				_, err = keysource.Open(keysource.Options{Certificate: p12, PKCS8Password: "nope"})
				wantErr(t, err, keysource.ErrPKCS12, "could not read PKCS#12 data: "+p12+": incorrect PKCS#12 password")
			}
		})
	}
}

func TestOpenMLDSA(t *testing.T) {
	forms := []string{"seed", "expanded", "both", "bare-seed", "bare-expanded"}
	for _, scheme := range mldsaSchemes {
		k := newMLDSAKey(t, scheme)
		cert := k.cert(t)
		for _, form := range forms {
			t.Run(scheme.Name()+"/"+form, func(t *testing.T) {
				dir := t.TempDir()
				src := mustOpen(t, keysource.Options{
					Certificate: writeFile(t, dir, "cert.pem", testpki.PEM(cert)),
					PrivateKey:  writeFile(t, dir, "key.pem", pemBlock("PRIVATE KEY", k.pkcs8(t, form))),
				})
				checkIdentity(t, src, cert, nil)
			})
		}
		t.Run(scheme.Name()+"/encrypted", func(t *testing.T) {
			dir := t.TempDir()
			src := mustOpen(t, keysource.Options{
				Certificate:   writeFile(t, dir, "cert.pem", testpki.PEM(cert)),
				PrivateKey:    writeFile(t, dir, "key.pem", pemBlock("ENCRYPTED PRIVATE KEY", encryptPKCS8(t, k.pkcs8(t, "both"), "pw"))),
				PKCS8Password: "pw",
			})
			checkIdentity(t, src, cert, nil)
		})
		t.Run(scheme.Name()+"/combo-pem", func(t *testing.T) {
			combo := append(testpki.PEM(cert), pemBlock("PRIVATE KEY", k.pkcs8(t, "seed"))...)
			src := mustOpen(t, keysource.Options{Certificate: writeFile(t, t.TempDir(), "combo.pem", combo)})
			checkIdentity(t, src, cert, nil)
		})
	}
}

func TestMLDSASignatureIsDeterministic(t *testing.T) {
	k := newMLDSAKey(t, mldsaSchemes[1])
	dir := t.TempDir()
	src := mustOpen(t, keysource.Options{
		Certificate: writeFile(t, dir, "cert.pem", testpki.PEM(k.cert(t))),
		PrivateKey:  writeFile(t, dir, "key.pem", pemBlock("PRIVATE KEY", k.pkcs8(t, "seed"))),
	})
	a, err := src.Sign(nil, message, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	b, err := src.Sign(nil, message, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) || len(a) != k.scheme.SignatureSize() {
		t.Fatalf("signatures differ or have the wrong size (%d, %d bytes)", len(a), len(b))
	}
}
