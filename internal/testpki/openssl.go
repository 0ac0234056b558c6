package testpki

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/testenv"
)

// The subjects the OpenSSL walkthrough uses unless told otherwise.
const (
	OpenSSLCASubject     = "/C=US/ST=California/L=San Francisco/O=ABC Inc./OU=DevOps/CN=ABC Root CA"
	OpenSSLClientSubject = "/C=US/ST=California/L=San Francisco/O=ABC Inc./OU=DevOps/CN=client.abc.example"
)

// OpenSSLConfig is the v3.ext of the classic walkthrough: a [req] section,
// [v3_ca] for the CA certificate and [v3_cert] for client certificates.
const OpenSSLConfig = `[ req ]
distinguished_name = req_distinguished_name
prompt             = no

[ req_distinguished_name ]

[ v3_ca ]
subjectKeyIdentifier   = hash
authorityKeyIdentifier = keyid:always,issuer
basicConstraints       = critical,CA:true
keyUsage               = critical,digitalSignature,cRLSign,keyCertSign

[ v3_cert ]
basicConstraints       = critical,CA:false
authorityKeyIdentifier = keyid,issuer
keyUsage               = critical,digitalSignature,nonRepudiation,keyEncipherment,dataEncipherment
`

// OpenSSLWalkthrough runs the classic OpenSSL recipe for a private CA and
// a client certificate, the way the IAM Roles Anywhere documentation and
// countless blog posts do it. The zero value uses the default subjects.
type OpenSSLWalkthrough struct {
	CASubject     string // -subj of the CA; default OpenSSLCASubject
	ClientSubject string // -subj of the client CSR; default OpenSSLClientSubject
}

// OpenSSLFiles are the absolute paths the walkthrough leaves behind.
type OpenSSLFiles struct {
	Dir        string
	Config     string // v3.ext
	CAKey      string // ca.key, RSA 2048, as openssl genrsa writes it
	CACert     string // ca.pem, self-signed, 3650 days, v3_ca
	ClientKey  string // client.key, RSA 2048
	ClientCSR  string // client.csr
	ClientCert string // client.pem, signed by the CA, 365 days, SHA-256, v3_cert
}

// Run performs the walkthrough in dir with the openssl binary (skipping
// the test when openssl is missing, failing it in CI):
//
//	openssl genrsa -out ca.key 2048
//	openssl req -new -x509 -days 3650 -key ca.key -out ca.pem -config v3.ext -extensions v3_ca -subj CA_SUBJECT
//	openssl genrsa -out client.key 2048
//	openssl req -new -key client.key -out client.csr -subj CLIENT_SUBJECT
//	openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 365 -sha256 -extfile v3.ext -extensions v3_cert
func (w OpenSSLWalkthrough) Run(tb testing.TB, dir string) *OpenSSLFiles {
	tb.Helper()
	openssl := testenv.Tool(tb, "openssl")
	caSubj, clientSubj := w.CASubject, w.ClientSubject
	if caSubj == "" {
		caSubj = OpenSSLCASubject
	}
	if clientSubj == "" {
		clientSubj = OpenSSLClientSubject
	}
	dir, err := filepath.Abs(dir)
	if err != nil {
		tb.Fatalf("testpki: %v", err)
	}
	f := &OpenSSLFiles{
		Dir:        dir,
		Config:     filepath.Join(dir, "v3.ext"),
		CAKey:      filepath.Join(dir, "ca.key"),
		CACert:     filepath.Join(dir, "ca.pem"),
		ClientKey:  filepath.Join(dir, "client.key"),
		ClientCSR:  filepath.Join(dir, "client.csr"),
		ClientCert: filepath.Join(dir, "client.pem"),
	}
	if err := os.WriteFile(f.Config, []byte(OpenSSLConfig), 0o644); err != nil {
		tb.Fatalf("testpki: %v", err)
	}
	for _, args := range [][]string{
		{"genrsa", "-out", "ca.key", "2048"},
		{"req", "-new", "-x509", "-days", "3650", "-key", "ca.key", "-out", "ca.pem", "-config", "v3.ext", "-extensions", "v3_ca", "-subj", caSubj},
		{"genrsa", "-out", "client.key", "2048"},
		{"req", "-new", "-key", "client.key", "-out", "client.csr", "-subj", clientSubj},
		{"x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "365", "-sha256", "-extfile", "v3.ext", "-extensions", "v3_cert"},
	} {
		RunOpenSSL(tb, openssl, dir, args...)
	}
	return f
}

// RunOpenSSL runs the openssl binary at path in dir and returns its
// standard output, failing the test with the command and its output when
// it exits non-zero.
func RunOpenSSL(tb testing.TB, path, dir string, args ...string) string {
	tb.Helper()
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		tb.Fatalf("testpki: openssl %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// CA loads the walkthrough's CA certificate and key.
func (f *OpenSSLFiles) CA(tb testing.TB) *CA {
	tb.Helper()
	return &CA{Cert: readCert(tb, f.CACert), Key: readKey(tb, f.CAKey)}
}

// Client loads the walkthrough's client certificate and key.
func (f *OpenSSLFiles) Client(tb testing.TB) *Leaf {
	tb.Helper()
	return &Leaf{Cert: readCert(tb, f.ClientCert), Key: readKey(tb, f.ClientKey)}
}

func readCert(tb testing.TB, path string) *x509.Certificate {
	tb.Helper()
	block := readPEM(tb, path)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		tb.Fatalf("testpki: %s: %v", path, err)
	}
	return cert
}

// readKey reads a PKCS#8 key (what OpenSSL 3 writes) or a PKCS#1 one
// (what OpenSSL 1.x writes).
func readKey(tb testing.TB, path string) crypto.Signer {
	tb.Helper()
	block := readPEM(tb, path)
	var (
		k   any
		err error
	)
	if block.Type == "RSA PRIVATE KEY" {
		k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	} else {
		k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		tb.Fatalf("testpki: %s: %v", path, err)
	}
	s, ok := k.(crypto.Signer)
	if !ok {
		tb.Fatalf("testpki: %s holds a %T", path, k)
	}
	return s
}

func readPEM(tb testing.TB, path string) *pem.Block {
	tb.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("testpki: %v", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		tb.Fatalf("testpki: %s holds no PEM block", path)
	}
	return block
}
