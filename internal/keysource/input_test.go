package keysource_test

import (
	"crypto/x509"
	"errors"
	"io"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/roam-dev/roam/internal/keysource"
	"github.com/roam-dev/roam/internal/testpki"
)

// onceReader fails the test if it is read again after returning EOF, which
// would mean standard input was read twice.
type onceReader struct {
	t   testing.TB
	r   io.Reader
	eof bool
}

func (o *onceReader) Read(p []byte) (int, error) {
	if o.eof {
		o.t.Error("standard input was read after EOF")
		return 0, io.EOF
	}
	n, err := o.r.Read(p)
	if err == io.EOF {
		o.eof = true
	}
	return n, err
}

func stdin(t testing.TB, parts ...[]byte) io.Reader {
	var b strings.Builder
	for _, p := range parts {
		b.Write(p)
	}
	return &onceReader{t: t, r: strings.NewReader(b.String())}
}

func TestStdin(t *testing.T) {
	type stdinCase func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate)
	cases := map[string]stdinCase{
		"certificate-and-key/both-dash": func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate) {
			return keysource.Options{Certificate: "-", PrivateKey: "-",
				Stdin: stdin(t, testpki.KeyPEM(t, p.leaf.Key), testpki.PEM(p.leaf.Cert))}, nil
		},
		"certificate-and-key/certificate-dash-only": func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate) {
			return keysource.Options{Certificate: "-",
				Stdin: stdin(t, testpki.PEM(p.leaf.Cert), sec1PEM(t, p.leaf.Key))}, nil
		},
		"certificate/dash-key-file": func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate) {
			return keysource.Options{Certificate: "-", PrivateKey: writeFile(t, dir, "key.pem", testpki.KeyPEM(t, p.leaf.Key)),
				Stdin: stdin(t, testpki.PEM(p.leaf.Cert))}, nil
		},
		"key/dash-certificate-file": func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate) {
			return keysource.Options{Certificate: writeFile(t, dir, "cert.pem", testpki.PEM(p.leaf.Cert)), PrivateKey: "-",
				Stdin: stdin(t, testpki.KeyPEM(t, p.leaf.Key))}, nil
		},
		"all-three/dash": func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate) {
			return keysource.Options{Certificate: "-", PrivateKey: "-", Intermediates: "-",
					Stdin: stdin(t, testpki.PEM(p.leaf.Cert), testpki.KeyPEM(t, p.leaf.Key), testpki.PEM(p.inter.Cert, p.root.Cert))},
				[]*x509.Certificate{p.inter.Cert, p.root.Cert}
		},
		"intermediates/dash-with-files": func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate) {
			return keysource.Options{
					Certificate:   writeFile(t, dir, "cert.pem", testpki.PEM(p.leaf.Cert)),
					PrivateKey:    writeFile(t, dir, "key.pem", testpki.KeyPEM(t, p.leaf.Key)),
					Intermediates: "-",
					Stdin:         stdin(t, testpki.PEM(p.inter.Cert))},
				[]*x509.Certificate{p.inter.Cert}
		},
		"pkcs12/dash": func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate) {
			der, err := pkcs12.Modern.Encode(p.leaf.Key, p.leaf.Cert, []*x509.Certificate{p.inter.Cert}, "")
			if err != nil {
				t.Fatal(err)
			}
			return keysource.Options{Certificate: "-", Stdin: stdin(t, der)}, []*x509.Certificate{p.inter.Cert}
		},
		"environment/certificate-with-key-on-stdin": func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate) {
			return keysource.Options{PrivateKey: "-", Stdin: stdin(t, testpki.KeyPEM(t, p.leaf.Key)),
				Getenv: envMap(map[string]string{keysource.EnvCertificate: string(testpki.PEM(p.leaf.Cert))})}, nil
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			p := newChainPKI(t, testpki.ECP256)
			opts, chain := setup(t, t.TempDir(), p)
			src := mustOpen(t, opts)
			checkIdentity(t, src, p.leaf.Cert, chain)
			// What was read from standard input stays: nothing is read again.
			checkIdentity(t, src, p.leaf.Cert, chain)
		})
	}
}

func TestEnvironment(t *testing.T) {
	type envCase func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate)
	escaped := func(b []byte) string { return strings.ReplaceAll(string(b), "\n", `\n`) }
	cases := map[string]envCase{
		"all-three": func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate) {
			return keysource.Options{Getenv: envMap(map[string]string{
				keysource.EnvCertificate:   string(testpki.PEM(p.leaf.Cert)),
				keysource.EnvPrivateKey:    string(testpki.KeyPEM(t, p.leaf.Key)),
				keysource.EnvIntermediates: string(testpki.PEM(p.inter.Cert)),
			})}, []*x509.Certificate{p.inter.Cert}
		},
		"certificate-holding-the-key-too": func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate) {
			return keysource.Options{Getenv: envMap(map[string]string{
				keysource.EnvCertificate: string(testpki.PEM(p.leaf.Cert)) + string(testpki.KeyPEM(t, p.leaf.Key)),
			})}, nil
		},
		"escaped-newlines": func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate) {
			return keysource.Options{Getenv: envMap(map[string]string{
				keysource.EnvCertificate: escaped(testpki.PEM(p.leaf.Cert)),
				keysource.EnvPrivateKey:  escaped(testpki.KeyPEM(t, p.leaf.Key)),
			})}, nil
		},
		"flags-win/variables-are-not-read": func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate) {
			return keysource.Options{
				Certificate:   writeFile(t, dir, "cert.pem", testpki.PEM(p.leaf.Cert)),
				PrivateKey:    writeFile(t, dir, "key.pem", testpki.KeyPEM(t, p.leaf.Key)),
				Intermediates: writeFile(t, dir, "chain.pem", testpki.PEM(p.inter.Cert)),
				Getenv: envMap(map[string]string{
					keysource.EnvCertificate:   "garbage",
					keysource.EnvPrivateKey:    "garbage",
					keysource.EnvIntermediates: "garbage",
				}),
			}, []*x509.Certificate{p.inter.Cert}
		},
		"flags-win/per-input": func(t *testing.T, dir string, p *chainPKI) (keysource.Options, []*x509.Certificate) {
			other := newChainPKI(t, testpki.RSA2048)
			return keysource.Options{
				Certificate: writeFile(t, dir, "cert.pem", testpki.PEM(p.leaf.Cert)),
				Getenv: envMap(map[string]string{
					keysource.EnvCertificate:   string(testpki.PEM(other.leaf.Cert)),
					keysource.EnvPrivateKey:    string(testpki.KeyPEM(t, p.leaf.Key)),
					keysource.EnvIntermediates: string(testpki.PEM(p.root.Cert)),
				}),
			}, []*x509.Certificate{p.root.Cert}
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			p := newChainPKI(t, testpki.ECP256)
			opts, chain := setup(t, t.TempDir(), p)
			checkIdentity(t, mustOpen(t, opts), p.leaf.Cert, chain)
		})
	}
}

// TestEnvironmentErrorsNameTheVariable checks that a bad variable is named
// in the error and its value never appears.
func TestEnvironmentErrorsNameTheVariable(t *testing.T) {
	p := newChainPKI(t, testpki.ECP256)
	other := testpki.Key(t, testpki.ECP256)
	keyPEM := string(testpki.KeyPEM(t, other))
	_, err := keysource.Open(keysource.Options{Getenv: envMap(map[string]string{
		keysource.EnvCertificate: string(testpki.PEM(p.leaf.Cert)),
		keysource.EnvPrivateKey:  keyPEM,
	})})
	if !errors.Is(err, keysource.ErrKeyMismatch) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "private key in $ROAM_PRIVATE_KEY does not belong to the ECDSA P-256 certificate in $ROAM_CERTIFICATE") {
		t.Fatalf("error does not name the variables: %v", err)
	}
	for _, line := range strings.Split(keyPEM, "\n")[1:3] {
		if strings.Contains(err.Error(), line) {
			t.Fatalf("error reveals the key: %v", err)
		}
	}

	_, err = keysource.Open(keysource.Options{Getenv: envMap(map[string]string{
		keysource.EnvCertificate:   string(testpki.PEM(p.leaf.Cert)),
		keysource.EnvPrivateKey:    string(testpki.KeyPEM(t, p.leaf.Key)),
		keysource.EnvIntermediates: keyPEM,
	})})
	wantErr(t, err, keysource.ErrChain, `invalid certificate chain: $ROAM_INTERMEDIATES holds a "PRIVATE KEY" block; it may hold only CERTIFICATE blocks`)
}
