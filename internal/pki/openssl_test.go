package pki_test

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/pki"
	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// These tests prove roam and OpenSSL agree: OpenSSL accepts what roam
// makes, and roam reads what OpenSSL makes. They run at the real time,
// since openssl verify checks validity against the system clock.

// openssl runs the openssl binary in dir and returns its combined output.
func openssl(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(testenv.Tool(t, "openssl"), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustOpenSSL(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := openssl(t, dir, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(name, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestOpenSSLVerifiesRoamChain(t *testing.T) {
	testenv.Tool(t, "openssl")
	dir := t.TempDir()
	at := time.Now()
	root, err := pki.NewRoot(at, testpki.Key(t, testpki.RSA2048), pki.CAOptions{Subject: mustSubject(t, "C=US,O=ABC Inc.,CN=Roam Test Root"), Lifetime: 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	inter, err := root.NewIntermediate(at, testpki.Key(t, testpki.ECP384), pki.CAOptions{Subject: mustSubject(t, "C=US,O=ABC Inc.,CN=Roam Test Issuing CA"), Lifetime: 180 * 24 * time.Hour, PathLen: ptr(0)})
	if err != nil {
		t.Fatal(err)
	}
	sans, _ := pki.ParseSANs("dns:a.example,uri:spiffe://x/y,email:a@b.example,ip:10.0.0.1")
	rsaLeaf, err := root.IssueClient(at, testpki.Key(t, testpki.RSA2048).Public(), pki.ClientOptions{Subject: mustSubject(t, "O=ABC Inc.,CN=rsa-client"), SANs: sans, Lifetime: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ecLeaf, err := inter.IssueClient(at, testpki.Key(t, testpki.ECP256).Public(), pki.ClientOptions{Subject: mustSubject(t, "O=ABC Inc.,CN=ec-client"), Lifetime: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "root.pem"), pki.EncodeCertificates(root.Cert))
	writeFile(t, filepath.Join(dir, "chain.pem"), pki.EncodeCertificates(inter.Intermediates()...))
	writeFile(t, filepath.Join(dir, "rsa.pem"), pki.EncodeCertificates(rsaLeaf))
	writeFile(t, filepath.Join(dir, "ec.pem"), pki.EncodeCertificates(ecLeaf))

	t.Run("verify", func(t *testing.T) {
		for _, args := range [][]string{
			{"verify", "-CAfile", "root.pem", "rsa.pem"},
			{"verify", "-CAfile", "root.pem", "-purpose", "sslclient", "rsa.pem"},
			{"verify", "-CAfile", "root.pem", "-untrusted", "chain.pem", "ec.pem"},
			{"verify", "-CAfile", "root.pem", "-untrusted", "chain.pem", "-purpose", "sslclient", "-x509_strict", "ec.pem"},
		} {
			out := mustOpenSSL(t, dir, args...)
			if !strings.Contains(out, ": OK") {
				t.Errorf("openssl %s: %s", strings.Join(args, " "), out)
			}
		}
		// The leaf is no server certificate, and must not pass as a CA.
		if out, err := openssl(t, dir, "verify", "-CAfile", "root.pem", "-purpose", "sslserver", "rsa.pem"); err == nil {
			t.Errorf("a client certificate verified for sslserver: %s", out)
		}
		if out, err := openssl(t, dir, "verify", "-CAfile", "rsa.pem", "-partial_chain", "-untrusted", "rsa.pem", "ec.pem"); err == nil {
			t.Errorf("verified through a client certificate: %s", out)
		}
	})

	t.Run("extensions", func(t *testing.T) {
		text := func(name string) string { return mustOpenSSL(t, dir, "x509", "-in", name, "-noout", "-text") }
		checks := []struct {
			file string
			want []string
		}{
			{"root.pem", []string{
				"Version: 3 (0x2)",
				"Signature Algorithm: sha256WithRSAEncryption",
				"X509v3 Basic Constraints: critical\n                CA:TRUE\n",
				"X509v3 Key Usage: critical\n                Digital Signature, Certificate Sign, CRL Sign\n",
				"X509v3 Subject Key Identifier:",
				"X509v3 Authority Key Identifier:",
				"Subject: C = US, O = ABC Inc., CN = Roam Test Root",
			}},
			{"chain.pem", []string{
				"Signature Algorithm: sha256WithRSAEncryption",
				"X509v3 Basic Constraints: critical\n                CA:TRUE, pathlen:0\n",
				"X509v3 Key Usage: critical\n                Digital Signature, Certificate Sign, CRL Sign\n",
				"Public Key Algorithm: id-ecPublicKey",
			}},
			{"rsa.pem", []string{
				"Signature Algorithm: sha256WithRSAEncryption",
				"X509v3 Basic Constraints: critical\n                CA:FALSE\n",
				"X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation, Key Encipherment, Data Encipherment\n",
				"X509v3 Extended Key Usage: \n                TLS Web Client Authentication\n",
				"DNS:a.example, email:a@b.example, IP Address:10.0.0.1, URI:spiffe://x/y",
				"X509v3 Subject Key Identifier:",
			}},
			{"ec.pem", []string{
				"Signature Algorithm: ecdsa-with-SHA384",
				"X509v3 Basic Constraints: critical\n                CA:FALSE\n",
				"X509v3 Key Usage: critical\n                Digital Signature\n",
				"X509v3 Extended Key Usage: \n                TLS Web Client Authentication\n",
			}},
		}
		for _, c := range checks {
			out := text(c.file)
			for _, w := range c.want {
				if !strings.Contains(out, w) {
					t.Errorf("openssl x509 -text %s lacks %q:\n%s", c.file, w, out)
				}
			}
		}
		// OpenSSL's keyid of the root equals roam's SKI, and the leaf's AKI
		// names it.
		rootText, leafText := text("root.pem"), text("rsa.pem")
		ski := hexColon(root.Cert.SubjectKeyId)
		if !strings.Contains(rootText, "X509v3 Subject Key Identifier: \n                "+ski) ||
			!strings.Contains(leafText, "X509v3 Authority Key Identifier: \n                "+ski) {
			t.Errorf("SKI %s not found as the root's SKI and the leaf's AKI", ski)
		}
	})

	t.Run("crl", func(t *testing.T) {
		crl, err := root.CreateCRL(at, big.NewInt(3), 30*24*time.Hour, []pki.Revocation{{Serial: rsaLeaf.SerialNumber, RevokedAt: at, Reason: pki.KeyCompromise}})
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dir, "root.crl"), pki.EncodeCRL(crl.Raw))
		out := mustOpenSSL(t, dir, "crl", "-in", "root.crl", "-CAfile", "root.pem", "-noout")
		if !strings.Contains(out, "verify OK") {
			t.Errorf("openssl crl -CAfile: %s", out)
		}
		text := mustOpenSSL(t, dir, "crl", "-in", "root.crl", "-noout", "-text")
		for _, w := range []string{
			"Serial Number: " + pki.FormatSerial(rsaLeaf.SerialNumber),
			"X509v3 CRL Reason Code: \n                Key Compromise",
			"X509v3 CRL Number: \n                3",
			"X509v3 Authority Key Identifier: \n                " + hexColon(root.Cert.SubjectKeyId),
			"Signature Algorithm: sha256WithRSAEncryption",
		} {
			if !strings.Contains(text, w) {
				t.Errorf("openssl crl -text lacks %q:\n%s", w, text)
			}
		}
		// With the CRL, OpenSSL rejects the revoked leaf.
		out, err = openssl(t, dir, "verify", "-crl_check", "-CRLfile", "root.crl", "-CAfile", "root.pem", "rsa.pem")
		if err == nil || !strings.Contains(out, "certificate revoked") {
			t.Errorf("openssl verify -crl_check of a revoked certificate: %v\n%s", err, out)
		}
	})
}

// hexColon writes b as OpenSSL prints key identifiers (AB:CD:...).
func hexColon(b []byte) string {
	parts := make([]string, len(b))
	for i, c := range b {
		parts[i] = fmt.Sprintf("%02X", c)
	}
	return strings.Join(parts, ":")
}

func TestSubjectKeyIDMatchesOpenSSL(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "v3.ext"), []byte(testpki.OpenSSLConfig))
	for _, kt := range []testpki.KeyType{testpki.RSA2048, testpki.ECP256, testpki.ECP384} {
		t.Run(string(kt), func(t *testing.T) {
			key := testpki.Key(t, kt)
			writeFile(t, filepath.Join(dir, "k.pem"), testpki.KeyPEM(t, key))
			mustOpenSSL(t, dir, "req", "-new", "-x509", "-key", "k.pem", "-subj", "/CN=ski", "-days", "1", "-config", "v3.ext", "-extensions", "v3_ca", "-out", "c.pem")
			data, _ := os.ReadFile(filepath.Join(dir, "c.pem"))
			certs, err := pki.ParseCertificatesPEM(data)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := pki.SubjectKeyID(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(certs[0].SubjectKeyId, ours) {
				t.Errorf("OpenSSL's hash %x, roam's %x", certs[0].SubjectKeyId, ours)
			}
		})
	}
}

func TestParseSubjectMatchesOpenSSL(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "v3.ext"), []byte(testpki.OpenSSLConfig))
	writeFile(t, filepath.Join(dir, "k.pem"), testpki.KeyPEM(t, testpki.Key(t, testpki.ECP256)))
	// Each -subj is given to openssl req and to ParseSubject: both must
	// yield the same attributes in the same order.
	for _, subj := range []string{
		testpki.OpenSSLCASubject,
		"/CN=first/O=ABC Inc./C=US",
		"/C=US/O=ABC, Inc./OU=DevOps/OU=Platform/OU=EU/CN=x",
		`/O=a\/b/CN=a\+b`,
		"/DC=example/DC=com/UID=jdoe/emailAddress=j@example.com/CN=J Doe",
		"/CN=Bücher GmbH",
	} {
		t.Run(subj, func(t *testing.T) {
			mustOpenSSL(t, dir, "req", "-new", "-x509", "-key", "k.pem", "-subj", subj, "-days", "1", "-config", "v3.ext", "-extensions", "v3_ca", "-out", "c.pem", "-utf8")
			data, _ := os.ReadFile(filepath.Join(dir, "c.pem"))
			certs, err := pki.ParseCertificatesPEM(data)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := pki.ParseSubject(subj)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := pki.FormatName(ours), pki.FormatName(certs[0].Subject); got != want {
				t.Errorf("roam reads %q, OpenSSL made %q", got, want)
			}
			var theirs pkix.RDNSequence
			if _, err := asn1.Unmarshal(certs[0].RawSubject, &theirs); err != nil {
				t.Fatal(err)
			}
			if got, want := len(ours.ToRDNSequence()), len(theirs); got != want {
				t.Errorf("roam encodes %d RDNs, OpenSSL %d", got, want)
			}
		})
	}
}

func TestLoadOpenSSLKeys(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		header string // the PEM header OpenSSL writes, to be sure of the form tested
		is     error
	}{
		{"pkcs8 rsa (genrsa)", []string{"genrsa", "-out", "k.pem", "2048"}, "-----BEGIN PRIVATE KEY-----", nil},
		{"pkcs1 rsa (genrsa -traditional)", []string{"genrsa", "-traditional", "-out", "k.pem", "2048"}, "-----BEGIN RSA PRIVATE KEY-----", nil},
		{"sec1 ec (ecparam -genkey)", []string{"ecparam", "-name", "prime256v1", "-genkey", "-out", "k.pem"}, "-----BEGIN EC PARAMETERS-----", nil},
		{"pkcs8 ec (genpkey)", []string{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384", "-out", "k.pem"}, "-----BEGIN PRIVATE KEY-----", nil},
		{"encrypted pkcs8", []string{"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256", "-pass", "pass:secret", "-out", "k.pem"}, "-----BEGIN ENCRYPTED PRIVATE KEY-----", pki.ErrEncryptedKey},
		{"encrypted pkcs1", []string{"genrsa", "-traditional", "-aes256", "-passout", "pass:secret", "-out", "k.pem", "2048"}, "Proc-Type: 4,ENCRYPTED", pki.ErrEncryptedKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = os.Remove(filepath.Join(dir, "k.pem"))
			mustOpenSSL(t, dir, tt.args...)
			data, err := os.ReadFile(filepath.Join(dir, "k.pem"))
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(data), tt.header) {
				t.Fatalf("OpenSSL wrote another form than %q:\n%s", tt.header, data)
			}
			key, err := pki.ParsePrivateKeyPEM(data)
			if tt.is != nil {
				if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), "decrypt it first") {
					t.Fatalf("error = %v, want %v", err, tt.is)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			// The public key matches what OpenSSL derives from the file.
			mustOpenSSL(t, dir, "pkey", "-in", "k.pem", "-pubout", "-outform", "DER", "-out", "pub.der")
			want, _ := os.ReadFile(filepath.Join(dir, "pub.der"))
			got, err := x509.MarshalPKIXPublicKey(key.Public())
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Error("the public key differs from OpenSSL's")
			}
		})
	}
}

func TestFingerprintMatchesOpenSSL(t *testing.T) {
	dir := t.TempDir()
	cert := testpki.NewCA(t).Cert
	writeFile(t, filepath.Join(dir, "c.pem"), pki.EncodeCertificates(cert))
	out := mustOpenSSL(t, dir, "x509", "-in", "c.pem", "-noout", "-fingerprint", "-sha256")
	m := regexp.MustCompile(`(?i)sha256 Fingerprint=([0-9A-F:]+)`).FindStringSubmatch(out)
	if m == nil || m[1] != pki.Fingerprint(cert) {
		t.Errorf("openssl: %q, roam: %s", out, pki.Fingerprint(cert))
	}
	serial := mustOpenSSL(t, dir, "x509", "-in", "c.pem", "-noout", "-serial")
	if strings.TrimSpace(serial) != "serial="+pki.FormatSerial(cert.SerialNumber) {
		t.Errorf("openssl: %q, roam: %s", serial, pki.FormatSerial(cert.SerialNumber))
	}
}
