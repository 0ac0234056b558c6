package keysource_test

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/pem"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/roam-dev/roam/internal/keysource"
	"github.com/roam-dev/roam/internal/testpki"
)

// wantErr checks that err matches sentinel and reads exactly want.
func wantErr(t testing.TB, err, sentinel error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("error %q does not match %q", err, sentinel)
	}
	if err.Error() != want {
		t.Fatalf("error:\n got %q\nwant %q", err, want)
	}
}

func pemBlocks(data []byte) []*pem.Block {
	var blocks []*pem.Block
	for {
		var b *pem.Block
		if b, data = pem.Decode(data); b == nil {
			return blocks
		}
		blocks = append(blocks, b)
	}
}

func TestOpenErrors(t *testing.T) {
	const password = "s3cret-pass"
	type errCase struct {
		opts     keysource.Options
		sentinel error
		want     string // exact; "PREFIX:" at the start means a prefix
	}
	cases := map[string]func(t *testing.T, dir string) errCase{
		"cert/missing-file": func(t *testing.T, dir string) errCase {
			p := filepath.Join(dir, "missing.pem")
			return errCase{keysource.Options{Certificate: p, PrivateKey: writeFile(t, dir, "k.pem", nil)},
				keysource.ErrCertificatePEM, "could not parse PEM data: stat " + p + ": no such file or directory"}
		},
		"cert/directory": func(t *testing.T, dir string) errCase {
			return errCase{keysource.Options{Certificate: dir},
				keysource.ErrCertificatePEM, "could not parse PEM data: " + dir + " is a directory"}
		},
		"cert/no-certificate-block-with-key": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			c := writeFile(t, dir, "c.pem", testpki.KeyPEM(t, l.Key))
			return errCase{keysource.Options{Certificate: c, PrivateKey: writeFile(t, dir, "k.pem", testpki.KeyPEM(t, l.Key))},
				keysource.ErrCertificatePEM, "could not parse PEM data: " + c + " holds no CERTIFICATE block"}
		},
		"cert/key-only-pem-as-certificate": func(t *testing.T, dir string) errCase {
			c := writeFile(t, dir, "key.pem", testpki.KeyPEM(t, testpki.Key(t, testpki.ECP256)))
			return errCase{keysource.Options{Certificate: c}, keysource.ErrCertificatePEM,
				"could not parse PEM data: " + c + " holds no CERTIFICATE block (a key alone goes in --private-key, its certificate in --certificate)"}
		},
		"cert/garbage-without-key": func(t *testing.T, dir string) errCase {
			c := writeFile(t, dir, "c.bin", []byte("not a certificate"))
			return errCase{keysource.Options{Certificate: c}, keysource.ErrCertificatePEM,
				"could not parse PEM data: " + c + " holds neither a PEM certificate nor a PKCS#12 bundle"}
		},
		"cert/empty-without-key": func(t *testing.T, dir string) errCase {
			c := writeFile(t, dir, "c.pem", []byte("\n"))
			return errCase{keysource.Options{Certificate: c}, keysource.ErrCertificatePEM, "could not parse PEM data: " + c + " is empty"}
		},
		"cert/malformed-certificate-block": func(t *testing.T, dir string) errCase {
			c := writeFile(t, dir, "c.pem", pemBlock("CERTIFICATE", []byte{0x30, 0x03, 0x02, 0x01, 0x01}))
			return errCase{keysource.Options{Certificate: c, PrivateKey: c}, keysource.ErrCertificate, "PREFIX:could not parse certificate: " + c + ": x509: "}
		},
		"cert/tpm-handle": func(t *testing.T, dir string) errCase {
			return errCase{keysource.Options{Certificate: "handle:0x81000001"}, keysource.ErrCertificatePEM,
				"could not parse PEM data: a certificate cannot be a TPM handle; pass the certificate file with --certificate"}
		},
		"cert/pkcs11-with-file-key": func(t *testing.T, dir string) errCase {
			k := writeFile(t, dir, "k.pem", testpki.KeyPEM(t, testpki.Key(t, testpki.ECP256)))
			return errCase{keysource.Options{Certificate: "pkcs11:object=c?pin-value=pin-9f8e7d", PrivateKey: k}, keysource.ErrNoCertificate,
				"undefined certificate value: the certificate is a pkcs11: URI but " + k + " is not a key in the token; pass the certificate as a file, or the key as a pkcs11: URI too"}
		},
		"key/missing-file": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			k := filepath.Join(dir, "missing.pem")
			return errCase{keysource.Options{Certificate: writeFile(t, dir, "c.pem", testpki.PEM(l.Cert)), PrivateKey: k},
				keysource.ErrPrivateKey, "unable to parse private key: stat " + k + ": no such file or directory"}
		},
		"key/certificate-only": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			c := writeFile(t, dir, "c.pem", testpki.PEM(l.Cert))
			return errCase{keysource.Options{Certificate: c, PrivateKey: c}, keysource.ErrPrivateKey, "unable to parse private key: " + c + " holds no private key"}
		},
		"key/certificate-only-as-certificate": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			c := writeFile(t, dir, "c.pem", testpki.PEM(l.Cert))
			return errCase{keysource.Options{Certificate: c}, keysource.ErrPrivateKey, "unable to parse private key: " + c + " holds no private key"}
		},
		"key/garbage": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			k := writeFile(t, dir, "k.der", []byte{1, 2, 3})
			return errCase{keysource.Options{Certificate: writeFile(t, dir, "c.pem", testpki.PEM(l.Cert)), PrivateKey: k},
				keysource.ErrPrivateKey, "unable to parse private key: " + k + " holds no PEM private key block and is not a DER private key"}
		},
		"key/ed25519": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			_, ed, _ := ed25519.GenerateKey(rand.Reader)
			k := writeFile(t, dir, "k.pem", testpki.KeyPEM(t, ed))
			return errCase{keysource.Options{Certificate: writeFile(t, dir, "c.pem", testpki.PEM(l.Cert)), PrivateKey: k},
				keysource.ErrPrivateKey, "unable to parse private key: " + k + " holds an Ed25519 key; Roles Anywhere accepts RSA, ECDSA and ML-DSA keys"}
		},
		"key/legacy-pem-encryption": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			k := writeFile(t, dir, "k.pem", pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY",
				Headers: map[string]string{"Proc-Type": "4,ENCRYPTED", "DEK-Info": "AES-256-CBC,00112233445566778899AABBCCDDEEFF"}, Bytes: []byte{1, 2, 3}}))
			return errCase{keysource.Options{Certificate: writeFile(t, dir, "c.pem", testpki.PEM(l.Cert)), PrivateKey: k},
				keysource.ErrPrivateKey, "unable to parse private key: " + k + " uses legacy OpenSSL PEM encryption, which is not supported; convert it with: openssl pkcs8 -topk8 -v2 aes-256-cbc"}
		},
		"key/openssh": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			k := writeFile(t, dir, "id", pemBlock("OPENSSH PRIVATE KEY", []byte("openssh-key-v1")))
			return errCase{keysource.Options{Certificate: writeFile(t, dir, "c.pem", testpki.PEM(l.Cert)), PrivateKey: k},
				keysource.ErrPrivateKey, "unable to parse private key: " + k + ` holds a "OPENSSH PRIVATE KEY" block, which is not a supported key format (use PKCS#8, SEC1 or PKCS#1 PEM)`}
		},
		"key/encrypted-without-password": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			k := writeFile(t, dir, "k.pem", pemBlock("ENCRYPTED PRIVATE KEY", encryptPKCS8(t, pkcs8DER(t, l.Key), password)))
			return errCase{keysource.Options{Certificate: writeFile(t, dir, "c.pem", testpki.PEM(l.Cert)), PrivateKey: k},
				keysource.ErrPasswordRequired, "failed to read private key: the PKCS#8 private key is encrypted and no password was given: " + k + " holds an ENCRYPTED PRIVATE KEY; pass its password with --pkcs8-password"}
		},
		"key/encrypted-wrong-password": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			k := writeFile(t, dir, "k.pem", pemBlock("ENCRYPTED PRIVATE KEY", encryptPKCS8(t, pkcs8DER(t, l.Key), password)))
			return errCase{keysource.Options{Certificate: writeFile(t, dir, "c.pem", testpki.PEM(l.Cert)), PrivateKey: k, PKCS8Password: password + "x"},
				keysource.ErrIncorrectPassword, "failed to read private key: incorrect PKCS#8 private key password"}
		},
		"key/without-certificate": func(t *testing.T, dir string) errCase {
			k := writeFile(t, dir, "k.pem", testpki.KeyPEM(t, testpki.Key(t, testpki.ECP256)))
			return errCase{keysource.Options{PrivateKey: k}, keysource.ErrNoCertificate,
				"undefined certificate value: " + k + " holds a private key but no certificate was given; pass it with --certificate (or ROAM_CERTIFICATE)"}
		},
		"mismatch/separate-files": func(t *testing.T, dir string) errCase {
			ca := testpki.NewCA(t)
			l := ca.Leaf(t, testpki.WithKeyType(testpki.ECP256))
			c := writeFile(t, dir, "c.pem", testpki.PEM(l.Cert))
			k := writeFile(t, dir, "k.pem", testpki.KeyPEM(t, testpki.Key(t, testpki.ECP256)))
			return errCase{keysource.Options{Certificate: c, PrivateKey: k}, keysource.ErrKeyMismatch,
				fmt.Sprintf("private key does not match certificate: the ECDSA P-256 private key in %s does not belong to the ECDSA P-256 certificate in %s (subject \"CN=test-client\", serial %s)", k, c, l.Cert.SerialNumber)}
		},
		"mismatch/rsa-key-ec-certificate": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t, testpki.WithKeyType(testpki.ECP384))
			c := writeFile(t, dir, "c.pem", testpki.PEM(l.Cert))
			k := writeFile(t, dir, "k.pem", pkcs1PEM(testpki.Key(t, testpki.RSA2048)))
			return errCase{keysource.Options{Certificate: c, PrivateKey: k}, keysource.ErrKeyMismatch,
				fmt.Sprintf("private key does not match certificate: the RSA-2048 private key in %s does not belong to the ECDSA P-384 certificate in %s (subject \"CN=test-client\", serial %s)", k, c, l.Cert.SerialNumber)}
		},
		"mismatch/combo-file": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			c := writeFile(t, dir, "combo.pem", append(testpki.PEM(l.Cert), testpki.KeyPEM(t, testpki.Key(t, testpki.ECP256))...))
			return errCase{keysource.Options{Certificate: c}, keysource.ErrKeyMismatch,
				fmt.Sprintf("private key does not match certificate: the ECDSA P-256 private key in %s does not belong to the ECDSA P-256 certificate in the same input (subject \"CN=test-client\", serial %s)", c, l.Cert.SerialNumber)}
		},
		"chain/non-certificate-block": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			ch := writeFile(t, dir, "chain.pem", append(testpki.PEM(l.Cert), testpki.KeyPEM(t, l.Key)...))
			return errCase{keysource.Options{Certificate: writeFile(t, dir, "c.pem", testpki.PEM(l.Cert)), PrivateKey: writeFile(t, dir, "k.pem", testpki.KeyPEM(t, l.Key)), Intermediates: ch},
				keysource.ErrChain, "invalid certificate chain: " + ch + ` holds a "PRIVATE KEY" block; it may hold only CERTIFICATE blocks`}
		},
		"chain/not-pem": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			ch := writeFile(t, dir, "chain.der", l.Cert.Raw)
			return errCase{keysource.Options{Certificate: writeFile(t, dir, "c.pem", testpki.PEM(l.Cert)), PrivateKey: writeFile(t, dir, "k.pem", testpki.KeyPEM(t, l.Key)), Intermediates: ch},
				keysource.ErrChain, "invalid certificate chain: " + ch + " holds no PEM CERTIFICATE block"}
		},
		"chain/with-pkcs12": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			der, err := pkcs12.Modern.Encode(l.Key, l.Cert, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			p := writeFile(t, dir, "b.p12", der)
			return errCase{keysource.Options{Certificate: p, Intermediates: writeFile(t, dir, "chain.pem", testpki.PEM(l.Cert))}, keysource.ErrChain,
				"invalid certificate chain: can't specify certificate chain when using PKCS#12 files (" + p + "); certificate bundle should be provided within the PKCS#12 file"}
		},
		"pkcs12/corrupt": func(t *testing.T, dir string) errCase {
			p := writeFile(t, dir, "b.p12", []byte{0x30, 0x03, 0x02, 0x01, 0x01})
			return errCase{keysource.Options{Certificate: p}, keysource.ErrPKCS12, "PREFIX:could not read PKCS#12 data: " + p + ": pkcs12: "}
		},
		"env/key-beside-pkcs12": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			der, err := pkcs12.Modern.Encode(l.Key, l.Cert, nil, "")
			if err != nil {
				t.Fatal(err)
			}
			p := writeFile(t, dir, "b.p12", der)
			return errCase{keysource.Options{Certificate: p, Getenv: envMap(map[string]string{keysource.EnvPrivateKey: string(testpki.KeyPEM(t, l.Key))})},
				keysource.ErrCertificatePEM, "could not parse PEM data: " + p + " holds no CERTIFICATE block (it is not read as PKCS#12 because $ROAM_PRIVATE_KEY provides the private key)"}
		},
		"stdin/unavailable": func(t *testing.T, dir string) errCase {
			return errCase{keysource.Options{Certificate: "-"}, keysource.ErrCertificatePEM, "could not parse PEM data: standard input is not available"}
		},
		"env/file-name-instead-of-pem": func(t *testing.T, dir string) errCase {
			l := testpki.NewCA(t).Leaf(t)
			return errCase{keysource.Options{
				Certificate: writeFile(t, dir, "c.pem", testpki.PEM(l.Cert)),
				Getenv:      envMap(map[string]string{keysource.EnvPrivateKey: "/etc/roam/key.pem"}),
			}, keysource.ErrPrivateKey, "unable to parse private key: $ROAM_PRIVATE_KEY holds no PEM data; it must hold PEM text (-----BEGIN ...), not a file name"}
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			c := setup(t, t.TempDir())
			_, err := keysource.Open(c.opts)
			if want, ok := strings.CutPrefix(c.want, "PREFIX:"); ok {
				if err == nil || !errors.Is(err, c.sentinel) || !strings.HasPrefix(err.Error(), want) {
					t.Fatalf("error = %v, want one starting with %q", err, want)
				}
			} else {
				wantErr(t, err, c.sentinel, c.want)
			}
			for _, secret := range []string{password, "pin-9f8e7d"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error %q reveals a secret", err)
				}
			}
		})
	}
}

func TestCertStoreUnavailable(t *testing.T) {
	if runtime.GOOS == "windows" || runtime.GOOS == "darwin" {
		t.Skip("the store message differs where stores exist")
	}
	const tail = "platform certificate stores (--cert-selector, --system-store-name and --use-latest-expiring-certificate) " +
		"exist only on Windows and macOS, so pass --certificate and --private-key (or set ROAM_CERTIFICATE and ROAM_PRIVATE_KEY)"
	prefix := "unable to use cert store signer on " + runtime.GOOS + ": "
	cert := writeFile(t, t.TempDir(), "c.pem", testpki.PEM(testpki.NewCA(t).Cert))
	cases := map[string]struct {
		opts keysource.Options
		why  string
	}{
		"no-certificate-no-key": {keysource.Options{Getenv: envMap(nil)},
			"neither --certificate nor --private-key was given (nor ROAM_CERTIFICATE or ROAM_PRIVATE_KEY), which selects the platform certificate store"},
		"cert-selector":                   {keysource.Options{CertSelector: "Key=x509Subject,Value=CN=a"}, "--cert-selector selects a certificate from a platform certificate store"},
		"system-store-name":               {keysource.Options{SystemStoreName: "MY"}, "--system-store-name selects a certificate from a platform certificate store"},
		"use-latest-expiring-certificate": {keysource.Options{Certificate: cert, UseLatestExpiringCertificate: true}, "--use-latest-expiring-certificate selects a certificate from a platform certificate store"},
		"several": {keysource.Options{CertSelector: "x", SystemStoreName: "CA"},
			"--cert-selector, --system-store-name select a certificate from a platform certificate store"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := keysource.Open(c.opts)
			wantErr(t, err, keysource.ErrCertStore, prefix+c.why+"; "+tail)
		})
	}
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestOptionsStringRedactsSecrets(t *testing.T) {
	o := keysource.Options{
		Certificate:    "pkcs11:token=t;object=c?pin-value=1234",
		PrivateKey:     "key.pem",
		PKCS8Password:  "hunter2",
		TPMKeyPassword: "tpm-secret",
		ReusePIN:       true,
	}
	s := fmt.Sprint(o) + fmt.Sprintf("%+v", o) + o.LogValue().String()
	for _, secret := range []string{"1234", "hunter2", "tpm-secret"} {
		if strings.Contains(s, secret) {
			t.Fatalf("%q reveals %q", s, secret)
		}
	}
	want := "keysource.Options{--certificate=pkcs11:token=t;object=c?REDACTED --private-key=key.pem --pkcs8-password=REDACTED --tpm-key-password=REDACTED --reuse-pin}"
	if got := o.String(); got != want {
		t.Fatalf("String() = %q, want %q", got, want)
	}
}

func TestSignOptions(t *testing.T) {
	dir := t.TempDir()
	open := func(t *testing.T, kt testpki.KeyType) keysource.Source {
		l := testpki.NewCA(t).Leaf(t, testpki.WithKeyType(kt))
		return mustOpen(t, keysource.Options{
			Certificate: writeFile(t, dir, string(kt)+".crt", testpki.PEM(l.Cert)),
			PrivateKey:  writeFile(t, dir, string(kt)+".key", testpki.KeyPEM(t, l.Key)),
		})
	}
	t.Run("rsa/digest-length", func(t *testing.T) {
		_, err := open(t, testpki.RSA2048).Sign(rand.Reader, make([]byte, 20), crypto.SHA256)
		if err == nil {
			t.Fatal("a 20-byte SHA-256 digest was signed")
		}
	})
	t.Run("rsa/pss-when-asked", func(t *testing.T) {
		src := open(t, testpki.RSA3072)
		digest := sha256.Sum256(message)
		opts := &rsa.PSSOptions{Hash: crypto.SHA256, SaltLength: rsa.PSSSaltLengthEqualsHash}
		sig, err := src.Sign(rand.Reader, digest[:], opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := rsa.VerifyPSS(src.Public().(*rsa.PublicKey), crypto.SHA256, digest[:], sig, opts); err != nil {
			t.Fatalf("PSS signature does not verify: %v", err)
		}
	})
	t.Run("ecdsa/digest-length", func(t *testing.T) {
		_, err := open(t, testpki.ECP256).Sign(rand.Reader, make([]byte, 20), crypto.SHA256)
		if err == nil || !strings.Contains(err.Error(), "digest is 20 bytes") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("mldsa/prehashed", func(t *testing.T) {
		k := newMLDSAKey(t, mldsaSchemes[0])
		src := mustOpen(t, keysource.Options{
			Certificate: writeFile(t, dir, "ml.crt", testpki.PEM(k.cert(t))),
			PrivateKey:  writeFile(t, dir, "ml.key", pemBlock("PRIVATE KEY", k.pkcs8(t, "seed"))),
		})
		_, err := src.Sign(nil, message, crypto.SHA256)
		if err == nil || err.Error() != "keysource: ML-DSA-44 signs the whole message; call Sign with crypto.Hash(0), not SHA-256" {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestClose(t *testing.T) {
	dir := t.TempDir()
	l := testpki.NewCA(t).Leaf(t)
	src, err := keysource.Open(keysource.Options{
		Certificate: writeFile(t, dir, "c.pem", testpki.PEM(l.Cert)),
		PrivateKey:  writeFile(t, dir, "k.pem", testpki.KeyPEM(t, l.Key)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Certificate(); !errors.Is(err, keysource.ErrClosed) {
		t.Fatalf("Certificate after Close: %v", err)
	}
	if _, err := src.Sign(rand.Reader, make([]byte, 32), crypto.SHA256); !errors.Is(err, keysource.ErrClosed) {
		t.Fatalf("Sign after Close: %v", err)
	}
	if src.Public() == nil {
		t.Fatal("Public after Close is nil")
	}
}
