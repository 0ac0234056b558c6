package keysource_test

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/keysource"
	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// vectorCase is a captured run of the official helper: its key and
// certificate flags, exit code and first stderr line (without the log
// timestamp).
type vectorCase struct {
	opts     keysource.Options
	exitCode string
	message  string
}

// readVectorCase reads dir/command.txt, exit_code.txt and stderr.txt.
// Paths in the command are relative to the vectors directory.
func readVectorCase(t *testing.T, vectors, dir string) vectorCase {
	t.Helper()
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	var c vectorCase
	args := strings.Fields(read("command.txt"))
	for i := 0; i+1 < len(args); i++ {
		v := args[i+1]
		switch args[i] {
		case "--certificate":
			c.opts.Certificate = filepath.Join(vectors, v)
		case "--private-key":
			c.opts.PrivateKey = filepath.Join(vectors, v)
		case "--intermediates":
			c.opts.Intermediates = filepath.Join(vectors, v)
		case "--pkcs8-password":
			c.opts.PKCS8Password = v
		}
	}
	c.exitCode = read("exit_code.txt")
	if line, _, _ := strings.Cut(read("stderr.txt"), "\n"); len(line) > len("2006/01/02 15:04:05 ") {
		c.message = line[len("2006/01/02 15:04:05 "):]
	}
	return c
}

// TestHelperKeyFormatVectors replays every key-formats case the official
// helper was run on. Successful runs must open to a key that signs for the
// certificate; failures must fail with the helper's message (exactly for
// the wrong password, as a prefix elsewhere since roam adds which input and
// why). The one intended difference: roam accepts OpenSSL 3's default
// AES/SHA-256 PKCS#12, which the helper refuses.
func TestHelperKeyFormatVectors(t *testing.T) {
	vectors := testenv.Vectors(t)
	dirs, err := filepath.Glob(filepath.Join(vectors, "key-formats", "*", "command.txt"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no key-formats vectors found: %v", err)
	}
	for _, cmd := range dirs {
		dir := filepath.Dir(cmd)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c := readVectorCase(t, vectors, dir)
			src, err := keysource.Open(c.opts)
			switch {
			case filepath.Base(dir) == "pkcs12-openssl3-default":
				if c.exitCode != "1" || !strings.HasPrefix(c.message, "pkcs12: unknown digest algorithm") {
					t.Fatalf("vector changed: exit %s, %q", c.exitCode, c.message)
				}
				if err != nil {
					t.Fatalf("roam should accept the OpenSSL 3 default PKCS#12: %v", err)
				}
			case c.exitCode == "0":
				if err != nil {
					t.Fatalf("the helper succeeded, Open failed: %v", err)
				}
			default:
				if err == nil {
					t.Fatalf("the helper failed with %q, Open succeeded", c.message)
				}
				if !strings.HasPrefix(err.Error(), c.message) {
					t.Fatalf("error %q does not start with the helper's %q", err, c.message)
				}
				if strings.Contains(c.message, "password") && err.Error() != c.message {
					t.Fatalf("error %q, want exactly %q", err, c.message)
				}
				return
			}
			defer src.Close()
			leaf, err := src.Certificate()
			if err != nil {
				t.Fatal(err)
			}
			signAndVerify(t, src, leaf)
		})
	}
}

// TestHelperRunVectors opens the key material of the main runs and checks
// that the RSA signatures over the captured strings to sign are byte for
// byte the ones the official helper sent (RSA PKCS#1 v1.5 is
// deterministic), and that ECDSA signatures verify.
func TestHelperRunVectors(t *testing.T) {
	vectors := testenv.Vectors(t)
	for _, name := range []string{"rsa2048", "ecdsa-p256", "rsa2048-with-intermediate"} {
		t.Run(name, func(t *testing.T) {
			c := readVectorCase(t, vectors, filepath.Join(vectors, name, "run1"))
			src := mustOpen(t, c.opts)
			leaf, err := src.Certificate()
			if err != nil {
				t.Fatal(err)
			}
			certPEM, err := os.ReadFile(filepath.Join(vectors, name, "leaf-cert.pem"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(testpki.PEM(leaf), certPEM) {
				t.Fatal("Certificate is not leaf-cert.pem")
			}
			chain, err := src.Chain()
			if err != nil {
				t.Fatal(err)
			}
			if want := 0; c.opts.Intermediates == "" && len(chain) != want {
				t.Fatalf("chain has %d certificates, want none", len(chain))
			}
			if c.opts.Intermediates != "" {
				intPEM, err := os.ReadFile(filepath.Join(vectors, name, "int-cert.pem"))
				if err != nil {
					t.Fatal(err)
				}
				if len(chain) != 1 || !bytes.Equal(testpki.PEM(chain[0]), intPEM) {
					t.Fatalf("chain is not int-cert.pem (%d certificates)", len(chain))
				}
			}
			signAndVerify(t, src, leaf)

			for _, run := range []string{"run1", "run2"} {
				sts, err := os.ReadFile(filepath.Join(vectors, name, run, "string_to_sign.txt"))
				if os.IsNotExist(err) {
					continue
				} else if err != nil {
					t.Fatal(err)
				}
				captured, err := os.ReadFile(filepath.Join(vectors, name, run, "signature.bin"))
				if err != nil {
					t.Fatal(err)
				}
				digest := sha256.Sum256(sts)
				sig, err := src.Sign(rand.Reader, digest[:], crypto.SHA256)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case strings.HasPrefix(name, "rsa"):
					if !bytes.Equal(sig, captured) {
						t.Fatalf("%s: RSA signature differs from the helper's", run)
					}
				case !verifies(leaf.PublicKey, digest[:], sig) || !verifies(leaf.PublicKey, digest[:], captured):
					t.Fatalf("%s: the ECDSA signature, or the helper's, does not verify over the string to sign", run)
				}
			}
		})
	}
}

// TestRSASignatureMatchesOpenSSL compares RSA signatures with
// `openssl dgst -sha256 -sign` (PKCS#1 v1.5 is deterministic) for every RSA
// key encoding, generated and checked in.
func TestRSASignatureMatchesOpenSSL(t *testing.T) {
	dir := t.TempDir()
	l := testpki.NewCA(t).Leaf(t, testpki.WithKeyType(testpki.RSA2048))
	msg := writeFile(t, dir, "msg", message)
	digest := sha256.Sum256(message)
	vectors := testenv.Vectors(t)
	vectorCert := filepath.Join(vectors, "key-formats", "cert.pem")
	type rsaCase struct {
		cert, key, password string
	}
	cases := map[string]rsaCase{
		"generated/pkcs8": {key: writeFile(t, dir, "pkcs8.pem", testpki.KeyPEM(t, l.Key))},
		"generated/pkcs1": {key: writeFile(t, dir, "pkcs1.pem", pkcs1PEM(l.Key))},
		"vector/pkcs1":    {cert: vectorCert, key: filepath.Join(vectors, "key-formats", "key-pkcs1.pem")},
		"vector/pkcs8-aes256": {cert: vectorCert, key: filepath.Join(vectors, "key-formats", "key-pkcs8-enc-aes256.pem"),
			password: "password"},
		"vector/pkcs8-scrypt": {cert: vectorCert, key: filepath.Join(vectors, "key-formats", "key-pkcs8-enc-scrypt.pem"),
			password: "password"},
		"vector/rsa2048": {cert: filepath.Join(vectors, "rsa2048", "leaf-cert.pem"), key: filepath.Join(vectors, "rsa2048", "leaf-key.pem")},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if c.cert == "" {
				c.cert = writeFile(t, t.TempDir(), "cert.pem", testpki.PEM(l.Cert))
			}
			args := []string{"dgst", "-sha256", "-sign", c.key}
			if c.password != "" {
				args = append(args, "-passin", "pass:"+c.password)
			}
			want := openssl(t, append(args, msg)...)
			src := mustOpen(t, keysource.Options{Certificate: c.cert, PrivateKey: c.key, PKCS8Password: c.password})
			got, err := src.Sign(rand.Reader, digest[:], crypto.SHA256)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("signature differs from openssl's:\n got %x\nwant %x", got, want)
			}
		})
	}
}

// TestMLDSAHelperFixture opens the official helper's ML-DSA-65 fixture (an
// OpenSSL 3.5 key) and reproduces its deterministic signature.
func TestMLDSAHelperFixture(t *testing.T) {
	dir := filepath.Join(testenv.SharedDir(t), "testdata", "signing-helper-vectors", "mldsa65")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("ML-DSA fixture %s is absent: %v", dir, err)
	}
	src := mustOpen(t, keysource.Options{
		Certificate: filepath.Join(dir, "leaf-cert.pem"),
		PrivateKey:  filepath.Join(dir, "leaf-key.pem"),
	})
	leaf, err := src.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	signAndVerify(t, src, leaf)
	for _, run := range []string{"run1", "run2"} {
		sts, err := os.ReadFile(filepath.Join(dir, run, "string_to_sign.txt"))
		if err != nil {
			t.Fatal(err)
		}
		sigHex, err := os.ReadFile(filepath.Join(dir, run, "signature.hex"))
		if err != nil {
			t.Fatal(err)
		}
		want, err := hex.DecodeString(strings.TrimSpace(string(sigHex)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := src.Sign(nil, sts, crypto.Hash(0))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: ML-DSA-65 signature differs from the helper's (%d vs %d bytes)", run, len(got), len(want))
		}
	}
}
