package cli_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/cli"
	"github.com/roam-dev/roam/internal/pki"
	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// caClock is the pinned time of the tests that do not involve openssl
// (which checks validity against the real clock).
var caClock = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// caResult is what one in-process run of roam printed.
type caResult struct {
	code           int
	stdout, stderr string
}

// caRun runs roam with args in-process at time now.
func caRun(t *testing.T, now time.Time, args ...string) caResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &cli.Env{
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(string) string { return "" },
		Now:    func() time.Time { return now },
	}
	code := cli.Main(context.Background(), env, append([]string{"roam"}, args...))
	return caResult{code, stdout.String(), stderr.String()}
}

// caMustRun runs roam and fails the test unless it succeeds.
func caMustRun(t *testing.T, now time.Time, args ...string) caResult {
	t.Helper()
	r := caRun(t, now, args...)
	if r.code != 0 {
		t.Fatalf("roam %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

func caReadCerts(t *testing.T, name string) []*x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	certs, err := pki.ParseCertificatesPEM(data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return certs
}

func caMode(t *testing.T, name string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// caOpenSSL runs openssl in dir and returns its combined output.
func caOpenSSL(t *testing.T, dir string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(testenv.Tool(t, "openssl"), args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func caMustOpenSSL(t *testing.T, dir string, args ...string) string {
	t.Helper()
	out, err := caOpenSSL(t, dir, args...)
	if err != nil {
		t.Fatalf("openssl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

func TestCAHelp(t *testing.T) {
	r := caMustRun(t, caClock, "ca")
	for _, sub := range []string{"init", "issue", "sign", "revoke", "crl"} {
		if !strings.Contains(r.stdout, "  "+sub+" ") {
			t.Errorf("roam ca help lacks %q:\n%s", sub, r.stdout)
		}
	}
}

func TestCAInit(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "root")
	r := caMustRun(t, caClock, "ca", "init", "--dir", dir, "--subject", "C=US,ST=California,L=San Francisco,O=ABC Inc.,OU=DevOps,CN=Test Root", "--key-type", "ec-p256", "--days", "30")
	certs := caReadCerts(t, filepath.Join(dir, "ca.pem"))
	if len(certs) != 1 {
		t.Fatalf("ca.pem holds %d certificates", len(certs))
	}
	ca := certs[0]
	for _, want := range []string{
		"wrote " + filepath.Join(dir, "ca.key") + " (private key, ec-p256, mode 0600)\n",
		"wrote " + filepath.Join(dir, "ca.pem") + " (root CA certificate; the trust anchor)\n",
		"  subject:    C=US, ST=California, L=San Francisco, O=ABC Inc., OU=DevOps, CN=Test Root\n",
		"  sha256:     " + pki.Fingerprint(ca) + "\n",
		"  not before: 2026-03-01T11:59:00Z\n",
		"  not after:  2026-03-31T12:00:00Z\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if r.stderr != "" {
		t.Errorf("stderr: %s", r.stderr)
	}
	if m := caMode(t, filepath.Join(dir, "ca.key")); m != 0o600 {
		t.Errorf("ca.key mode %v, want 0600", m)
	}
	if _, err := os.Stat(filepath.Join(dir, "chain.pem")); err == nil {
		t.Error("a root CA directory has chain.pem")
	}
	if !ca.IsCA || ca.Subject.CommonName != "Test Root" {
		t.Errorf("ca.pem: IsCA=%v CN=%q", ca.IsCA, ca.Subject.CommonName)
	}

	t.Run("error/exists", func(t *testing.T) {
		r := caRun(t, caClock, "ca", "init", "--dir", dir, "--key-type", "ec-p256")
		want := "roam: ca init: " + filepath.Join(dir, "ca.key") + " already exists (use --force to replace it)\n"
		if r.code != 1 || r.stderr != want {
			t.Fatalf("exit %d, stderr %q; want 1, %q", r.code, r.stderr, want)
		}
		if again := caReadCerts(t, filepath.Join(dir, "ca.pem"))[0]; !again.Equal(ca) {
			t.Error("a refused init changed ca.pem")
		}
	})
	t.Run("ok/force", func(t *testing.T) {
		caMustRun(t, caClock, "ca", "init", "--dir", dir, "--key-type", "ec-p256", "--force")
		replaced := caReadCerts(t, filepath.Join(dir, "ca.pem"))[0]
		if replaced.Equal(ca) || replaced.Subject.CommonName != "roam Root CA" {
			t.Errorf("--force gave %q", replaced.Subject)
		}
		if m := caMode(t, filepath.Join(dir, "ca.key")); m != 0o600 {
			t.Errorf("replaced ca.key mode %v, want 0600", m)
		}
	})
}

func TestCAInitDefaults(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	r := caMustRun(t, caClock, "ca", "init", "--dir", dir)
	ca := caReadCerts(t, filepath.Join(dir, "ca.pem"))[0]
	if got := pki.FormatName(ca.Subject); got != "CN=roam Root CA" {
		t.Errorf("subject %q", got)
	}
	if got := pki.DescribeKey(ca.PublicKey); got != "rsa2048" {
		t.Errorf("key %s, want rsa2048", got)
	}
	if want := caClock.Add(3650 * 24 * time.Hour); !ca.NotAfter.Equal(want) {
		t.Errorf("notAfter %v, want %v", ca.NotAfter, want)
	}
	if !strings.Contains(r.stdout, "(private key, rsa2048, mode 0600)") {
		t.Errorf("stdout:\n%s", r.stdout)
	}
	inter := filepath.Join(filepath.Dir(dir), "inter")
	caMustRun(t, caClock, "ca", "init", "--dir", inter, "--parent", dir, "--key-type", "ec-p256")
	ic := caReadCerts(t, filepath.Join(inter, "ca.pem"))[0]
	if got := pki.FormatName(ic.Subject); got != "CN=roam Intermediate CA" || ic.MaxPathLen != -1 {
		t.Errorf("intermediate subject %q pathlen %d", got, ic.MaxPathLen)
	}
}

func TestCAInitErrors(t *testing.T) {
	base := t.TempDir()
	parent := filepath.Join(base, "parent")
	caMustRun(t, caClock, "ca", "init", "--dir", parent, "--key-type", "ec-p256", "--path-len", "0")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"error/no dir", []string{"ca", "init"}, `required flag(s) "dir" not set`},
		{"error/unknown key type", []string{"ca", "init", "--dir", "x", "--key-type", "rsa1024"}, `ca init: --key-type: unknown key type "rsa1024" (valid: rsa2048, rsa3072, rsa4096, ec-p256, ec-p384)`},
		{"error/bad subject", []string{"ca", "init", "--dir", "x", "--subject", "C=USA,CN=x"}, `ca init: --subject: subject attribute 1 ("C=USA"): C must be a two-letter country code`},
		{"error/zero days", []string{"ca", "init", "--dir", "x", "--days", "0"}, "ca init: --days must be between 1 and 36500, not 0"},
		{"error/negative path-len", []string{"ca", "init", "--dir", "x", "--path-len", "-2"}, "ca init: --path-len must be 0 or more, not -2"},
		{"error/parent is dir", []string{"ca", "init", "--dir", parent, "--parent", parent + "/."}, "ca init: --parent and --dir are the same directory"},
		{"error/missing parent", []string{"ca", "init", "--dir", filepath.Join(base, "y"), "--parent", filepath.Join(base, "nope"), "--key-type", "ec-p256"}, "ca init: parent CA: no CA in " + filepath.Join(base, "nope")},
		{"error/parent with pathlen 0", []string{"ca", "init", "--dir", filepath.Join(base, "z"), "--parent", parent, "--key-type", "ec-p256"}, "may not sign intermediate CAs"},
		{"error/extra argument", []string{"ca", "init", "--dir", "x", "extra"}, `unknown command "extra"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := caRun(t, caClock, tt.args...)
			if r.code != 1 || !strings.Contains(r.stderr, tt.wantErr) {
				t.Fatalf("exit %d, stderr:\n%s\nwant it to contain %q", r.code, r.stderr, tt.wantErr)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(base, "z")); err == nil {
		t.Error("a failed init left a directory behind")
	}
}

// TestCAChainWithOpenSSL builds root -> intermediate -> client with roam
// and checks OpenSSL accepts the client for TLS client authentication.
func TestCAChainWithOpenSSL(t *testing.T) {
	testenv.Tool(t, "openssl")
	now := time.Now()
	base := t.TempDir()
	root, inter := filepath.Join(base, "root"), filepath.Join(base, "inter")
	caMustRun(t, now, "ca", "init", "--dir", root, "--subject", "/C=US/O=ABC Inc./CN=ABC Root", "--days", "365")
	r := caMustRun(t, now, "ca", "init", "--dir", inter, "--parent", root, "--path-len", "0", "--key-type", "ec-p384", "--days", "180")
	if !strings.Contains(r.stdout, "(intermediate CA certificate)") || !strings.Contains(r.stdout, filepath.Join(inter, "chain.pem")+" (1 intermediate certificate") {
		t.Errorf("init --parent stdout:\n%s", r.stdout)
	}
	if chain := caReadCerts(t, filepath.Join(inter, "chain.pem")); len(chain) != 1 || chain[0].MaxPathLen != 0 || !chain[0].MaxPathLenZero {
		t.Errorf("chain.pem: %d certificates", len(chain))
	}
	out := filepath.Join(base, "client")
	r = caMustRun(t, now, "ca", "issue", "--dir", inter, "--cn", "client.abc.example", "--subject", "O=ABC Inc.,OU=DevOps",
		"--san", "dns:client.abc.example,uri:spiffe://abc.example/client", "--san", "ip:10.0.0.1", "--key-type", "ec-p256", "--days", "30", "--out", out)
	for _, want := range []string{
		"wrote " + out + ".key (private key, ec-p256, mode 0600)\n",
		"wrote " + out + ".pem (client certificate)\n",
		"wrote " + out + "-chain.pem (1 intermediate certificate, for --intermediates)\n",
		"  subject:    O=ABC Inc., OU=DevOps, CN=client.abc.example\n",
		"  sans:       dns:client.abc.example,uri:spiffe://abc.example/client,ip:10.0.0.1\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("issue stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if m := caMode(t, out+".key"); m != 0o600 {
		t.Errorf("client key mode %v, want 0600", m)
	}
	if leaf := caReadCerts(t, out+".pem"); len(leaf) != 1 {
		t.Errorf("client.pem holds %d certificates, want the leaf alone", len(leaf))
	}
	for _, args := range [][]string{
		{"verify", "-CAfile", "root/ca.pem", "-untrusted", "inter/chain.pem", "client.pem"},
		{"verify", "-CAfile", "root/ca.pem", "-untrusted", "client-chain.pem", "-purpose", "sslclient", "-x509_strict", "client.pem"},
		{"verify", "-CAfile", "root/ca.pem", "-purpose", "sslclient", "inter/ca.pem"},
	} {
		if o := caMustOpenSSL(t, base, args...); !strings.Contains(o, ": OK") {
			t.Errorf("openssl %s: %s", strings.Join(args, " "), o)
		}
	}
	text := caMustOpenSSL(t, base, "x509", "-in", "client.pem", "-noout", "-text")
	for _, want := range []string{
		"Signature Algorithm: ecdsa-with-SHA384",
		"X509v3 Basic Constraints: critical\n                CA:FALSE",
		"X509v3 Key Usage: critical\n                Digital Signature\n",
		"TLS Web Client Authentication",
		"DNS:client.abc.example, IP Address:10.0.0.1, URI:spiffe://abc.example/client",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("openssl x509 -text lacks %q:\n%s", want, text)
		}
	}
	// The key is PKCS#8 and belongs to the certificate.
	keyPEM, _ := os.ReadFile(out + ".key")
	if block, _ := pem.Decode(keyPEM); block == nil || block.Type != "PRIVATE KEY" {
		t.Error("client.key is not PKCS#8 PEM")
	}
	key, err := pki.ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if !caSameKey(key.Public(), caReadCerts(t, out+".pem")[0].PublicKey) {
		t.Error("client.key does not match client.pem")
	}

	t.Run("error/outputs exist", func(t *testing.T) {
		r := caRun(t, now, "ca", "issue", "--dir", inter, "--cn", "again", "--key-type", "ec-p256", "--out", out)
		if r.code != 1 || r.stderr != "roam: ca issue: "+out+".key already exists (use --force to replace it)\n" {
			t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
		}
		if again, _ := os.ReadFile(out + ".key"); !bytes.Equal(again, keyPEM) {
			t.Error("a refused issue replaced the key")
		}
		caMustRun(t, now, "ca", "issue", "--dir", inter, "--cn", "again", "--key-type", "ec-p256", "--out", out, "--force")
		if again, _ := os.ReadFile(out + ".key"); bytes.Equal(again, keyPEM) {
			t.Error("--force did not replace the key")
		}
		if m := caMode(t, out+".key"); m != 0o600 {
			t.Errorf("replaced key mode %v, want 0600", m)
		}
	})
}

func caSameKey(a, b crypto.PublicKey) bool {
	e, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && e.Equal(b)
}

// TestCAWithOpenSSLDirectory uses the CA the OpenSSL walkthrough made, as
// it is, for roam ca issue, sign, revoke and crl.
func TestCAWithOpenSSLDirectory(t *testing.T) {
	f := testpki.OpenSSLWalkthrough{}.Run(t, t.TempDir())
	now := time.Now()

	issued := filepath.Join(f.Dir, "roam-client")
	caMustRun(t, now, "ca", "issue", "--dir", f.Dir, "--cn", "roam-client", "--key-type", "rsa2048", "--out", issued)
	if _, err := os.Stat(issued + "-chain.pem"); err == nil {
		t.Error("a client of a root CA got a chain file")
	}
	text := caMustOpenSSL(t, f.Dir, "x509", "-in", "roam-client.pem", "-noout", "-text")
	if !strings.Contains(text, "Digital Signature, Non Repudiation, Key Encipherment, Data Encipherment") {
		t.Errorf("RSA client key usage:\n%s", text)
	}

	signed := filepath.Join(f.Dir, "signed")
	r := caMustRun(t, now, "ca", "sign", "--dir", f.Dir, "--csr", f.ClientCSR, "--out", signed, "--days", "90")
	if !strings.Contains(r.stdout, "wrote "+signed+".pem (client certificate)") ||
		!strings.Contains(r.stdout, "subject:    C=US, ST=California, L=San Francisco, O=ABC Inc., OU=DevOps, CN=client.abc.example") {
		t.Errorf("sign stdout:\n%s", r.stdout)
	}
	cert := caReadCerts(t, signed+".pem")[0]
	openSSLMade := caReadCerts(t, f.ClientCert)[0]
	if !bytes.Equal(cert.RawSubject, openSSLMade.RawSubject) || !caSameKey(cert.PublicKey, openSSLMade.PublicKey) {
		t.Error("roam ca sign changed the subject or the key of the request")
	}
	for _, name := range []string{"roam-client.pem", "signed.pem", "client.pem"} {
		if o := caMustOpenSSL(t, f.Dir, "verify", "-CAfile", "ca.pem", name); !strings.Contains(o, name+": OK") {
			t.Errorf("openssl verify %s: %s", name, o)
		}
	}
	if o := caMustOpenSSL(t, f.Dir, "verify", "-CAfile", "ca.pem", "-purpose", "sslclient", "signed.pem"); !strings.Contains(o, ": OK") {
		t.Errorf("openssl verify -purpose sslclient: %s", o)
	}

	// Revoke the OpenSSL-made client by file and roam's by serial, then
	// publish a CRL OpenSSL verifies.
	r = caMustRun(t, now, "ca", "revoke", "--dir", f.Dir, "--cert", f.ClientCert, "--reason", "keyCompromise")
	if !strings.Contains(r.stdout, "revoked serial "+pki.FormatSerial(openSSLMade.SerialNumber)+" (decimal "+openSSLMade.SerialNumber.String()+")") {
		t.Errorf("revoke stdout:\n%s", r.stdout)
	}
	roamMade := caReadCerts(t, issued+".pem")[0]
	caMustRun(t, now, "ca", "revoke", "--dir", f.Dir, "--serial", "0x"+pki.FormatSerial(roamMade.SerialNumber), "--reason", "superseded")
	r = caMustRun(t, now, "ca", "crl", "--dir", f.Dir, "--out", filepath.Join(f.Dir, "ca.crl"))
	if !strings.Contains(r.stdout, "(CRL number 1, 2 revoked, next update ") {
		t.Errorf("crl stdout:\n%s", r.stdout)
	}
	if o := caMustOpenSSL(t, f.Dir, "crl", "-in", "ca.crl", "-CAfile", "ca.pem", "-noout"); !strings.Contains(o, "verify OK") {
		t.Errorf("openssl crl: %s", o)
	}
	crlText := caMustOpenSSL(t, f.Dir, "crl", "-in", "ca.crl", "-noout", "-text")
	for _, want := range []string{
		"Serial Number: " + pki.FormatSerial(openSSLMade.SerialNumber),
		"Serial Number: " + pki.FormatSerial(roamMade.SerialNumber),
		"Key Compromise", "Superseded",
	} {
		if !strings.Contains(crlText, want) {
			t.Errorf("CRL lacks %q:\n%s", want, crlText)
		}
	}
	for _, name := range []string{"client.pem", "roam-client.pem"} {
		if o, err := caOpenSSL(t, f.Dir, "verify", "-crl_check", "-CRLfile", "ca.crl", "-CAfile", "ca.pem", name); err == nil || !strings.Contains(o, "certificate revoked") {
			t.Errorf("openssl verify -crl_check %s: %v\n%s", name, err, o)
		}
	}
	if o := caMustOpenSSL(t, f.Dir, "verify", "-crl_check", "-CRLfile", "ca.crl", "-CAfile", "ca.pem", "signed.pem"); !strings.Contains(o, ": OK") {
		t.Errorf("an unrevoked certificate fails the CRL check: %s", o)
	}
}

func TestCARevokeAndCRL(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "ca")
	caMustRun(t, caClock, "ca", "init", "--dir", dir, "--key-type", "ec-p256")
	caMustRun(t, caClock, "ca", "issue", "--dir", dir, "--cn", "c", "--key-type", "ec-p256", "--out", filepath.Join(base, "c"))
	leaf := caReadCerts(t, filepath.Join(base, "c.pem"))[0]

	r := caMustRun(t, caClock, "ca", "revoke", "--dir", dir, "--cert", filepath.Join(base, "c.pem"), "--reason", "keycompromise")
	want := "revoked serial " + pki.FormatSerial(leaf.SerialNumber) + " (decimal " + leaf.SerialNumber.String() + ") at 2026-03-01T12:00:00Z, reason keyCompromise\n"
	if !strings.HasPrefix(r.stdout, want) {
		t.Errorf("stdout %q, want prefix %q", r.stdout, want)
	}
	caMustRun(t, caClock, "ca", "revoke", "--dir", dir, "--serial", "4096")
	for i, n := range []string{"1", "2"} {
		crlFile := filepath.Join(base, "ca.crl")
		r := caMustRun(t, caClock.Add(time.Duration(i)*time.Hour), "ca", "crl", "--dir", dir, "--days", "7", "--out", crlFile)
		wantOut := "wrote " + crlFile + " (CRL number " + n + ", 2 revoked, next update " + caClock.Add(time.Duration(i)*time.Hour+7*24*time.Hour).Format(time.RFC3339) + ")\n"
		if r.stdout != wantOut {
			t.Errorf("stdout %q, want %q", r.stdout, wantOut)
		}
		data, _ := os.ReadFile(crlFile)
		block, _ := pem.Decode(data)
		if block == nil || block.Type != "X509 CRL" {
			t.Fatalf("%s is not an X509 CRL PEM file", crlFile)
		}
		crl, err := x509.ParseRevocationList(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		if crl.Number.String() != n || len(crl.RevokedCertificateEntries) != 2 || crl.RevokedCertificateEntries[1].SerialNumber.Int64() != 4096 {
			t.Errorf("CRL number %v, %d entries", crl.Number, len(crl.RevokedCertificateEntries))
		}
	}

	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"error/again", []string{"ca", "revoke", "--dir", dir, "--serial", "0x1000"}, "ca revoke: serial 1000 was revoked at 2026-03-01T12:00:00Z (reason unspecified): already revoked"},
		{"error/neither serial nor cert", []string{"ca", "revoke", "--dir", dir}, "ca revoke: pass exactly one of --serial or --cert"},
		{"error/both", []string{"ca", "revoke", "--dir", dir, "--serial", "1", "--cert", "x"}, "ca revoke: pass exactly one of --serial or --cert"},
		{"error/bad serial", []string{"ca", "revoke", "--dir", dir, "--serial", "12g"}, `ca revoke: --serial: serial number "12g" is not a decimal or hex number`},
		{"error/bad reason", []string{"ca", "revoke", "--dir", dir, "--serial", "5", "--reason", "bored"}, `ca revoke: --reason: unknown revocation reason "bored" (valid: unspecified, keyCompromise,`},
		{"error/foreign certificate", []string{"ca", "revoke", "--dir", dir, "--cert", caForeignCert(t, base)}, "was not issued by the CA in " + dir},
		{"error/crl without out", []string{"ca", "crl", "--dir", dir}, `required flag(s) "out" not set`},
		{"error/crl days", []string{"ca", "crl", "--dir", dir, "--out", "x", "--days", "-1"}, "ca crl: --days must be between 1 and 36500, not -1"},
		{"error/not a CA dir", []string{"ca", "crl", "--dir", base, "--out", "x"}, "ca crl: no CA in " + base},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := caRun(t, caClock, tt.args...)
			if r.code != 1 || !strings.Contains(r.stderr, tt.wantErr) {
				t.Fatalf("exit %d, stderr:\n%s\nwant it to contain %q", r.code, r.stderr, tt.wantErr)
			}
		})
	}
}

// caForeignCert writes a certificate from an unrelated CA and returns its path.
func caForeignCert(t *testing.T, dir string) string {
	t.Helper()
	name := filepath.Join(dir, "foreign.pem")
	if err := os.WriteFile(name, testpki.PEM(testpki.NewCA(t).Leaf(t).Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestCAIssueClamped(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "ca")
	caMustRun(t, caClock, "ca", "init", "--dir", dir, "--key-type", "ec-p256", "--days", "10")
	r := caMustRun(t, caClock, "ca", "issue", "--dir", dir, "--cn", "c", "--key-type", "ec-p256", "--days", "365", "--out", filepath.Join(base, "c"))
	want := `roam: warning: the certificate may not outlive its CA "CN=roam Root CA": it ends at 2026-03-11T12:00:00Z, not 2027-03-01T12:00:00Z` + "\n"
	if r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
	ca := caReadCerts(t, filepath.Join(dir, "ca.pem"))[0]
	if leaf := caReadCerts(t, filepath.Join(base, "c.pem"))[0]; !leaf.NotAfter.Equal(ca.NotAfter) {
		t.Errorf("leaf notAfter %v, CA notAfter %v", leaf.NotAfter, ca.NotAfter)
	}
	// Within the CA's life there is no warning.
	r = caMustRun(t, caClock, "ca", "issue", "--dir", dir, "--cn", "d", "--key-type", "ec-p256", "--days", "5", "--out", filepath.Join(base, "d"))
	if r.stderr != "" {
		t.Errorf("stderr %q", r.stderr)
	}
	// A cut shorter than a day, the unit of --days, passes silently.
	r = caMustRun(t, caClock.Add(time.Hour), "ca", "issue", "--dir", dir, "--cn", "f", "--key-type", "ec-p256", "--days", "10", "--out", filepath.Join(base, "f"))
	if leaf := caReadCerts(t, filepath.Join(base, "f.pem"))[0]; r.stderr != "" || !leaf.NotAfter.Equal(ca.NotAfter) {
		t.Errorf("stderr %q, notAfter %v (CA %v)", r.stderr, leaf.NotAfter, ca.NotAfter)
	}
	// After the CA expired nothing is issued.
	r = caRun(t, caClock.Add(11*24*time.Hour), "ca", "issue", "--dir", dir, "--cn", "e", "--key-type", "ec-p256", "--out", filepath.Join(base, "e"))
	if r.code != 1 || !strings.Contains(r.stderr, `ca issue: the CA certificate "CN=roam Root CA" expired at 2026-03-11T12:00:00Z`) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(base, "e.key")); err == nil {
		t.Error("a refused issue left a key behind")
	}
}

func TestCAIssueAndSignErrors(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "ca")
	caMustRun(t, caClock, "ca", "init", "--dir", dir, "--key-type", "ec-p256")
	tampered := filepath.Join(base, "tampered.csr")
	caWriteTamperedCSR(t, tampered)
	out := filepath.Join(base, "out")
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"error/no cn", []string{"ca", "issue", "--dir", dir, "--out", out}, "ca issue: --cn (or a --subject with CN=) is required"},
		{"error/subject without cn", []string{"ca", "issue", "--dir", dir, "--subject", "O=ABC", "--out", out}, "ca issue: the subject has no CN (pass --cn)"},
		{"error/conflicting cn", []string{"ca", "issue", "--dir", dir, "--subject", "CN=a", "--cn", "b", "--out", out}, `ca issue: --cn: the subject already has CN="a", which differs from "b"`},
		{"error/bad san", []string{"ca", "issue", "--dir", dir, "--cn", "c", "--san", "dns:a..b", "--out", out}, `ca issue: --san: SAN "dns:a..b": DNS name has an empty label`},
		{"error/bad key type", []string{"ca", "issue", "--dir", dir, "--cn", "c", "--key-type", "ed25519", "--out", out}, `unknown key type "ed25519"`},
		{"error/no out", []string{"ca", "issue", "--dir", dir, "--cn", "c"}, `required flag(s) "out" not set`},
		{"error/missing csr", []string{"ca", "sign", "--dir", dir, "--csr", filepath.Join(base, "nope.csr"), "--out", out}, "ca sign: open " + filepath.Join(base, "nope.csr")},
		{"error/not a csr", []string{"ca", "sign", "--dir", dir, "--csr", filepath.Join(dir, "ca.pem"), "--out", out}, `unexpected PEM block "CERTIFICATE" where a CERTIFICATE REQUEST was expected`},
		{"error/tampered csr", []string{"ca", "sign", "--dir", dir, "--csr", tampered, "--out", out}, "the certificate request's signature does not verify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := caRun(t, caClock, tt.args...)
			if r.code != 1 || !strings.Contains(r.stderr, tt.wantErr) {
				t.Fatalf("exit %d, stderr:\n%s\nwant it to contain %q", r.code, r.stderr, tt.wantErr)
			}
			if _, err := os.Stat(out + ".pem"); err == nil {
				t.Error("a failed command wrote a certificate")
			}
		})
	}
}

// caWriteTamperedCSR writes a CSR whose subject was changed after signing.
func caWriteTamperedCSR(t *testing.T, name string) {
	t.Helper()
	key := testpki.Key(t, testpki.ECP256)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "aaaa"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	der = bytes.Replace(der, []byte("aaaa"), []byte("bbbb"), 1)
	if err := os.WriteFile(name, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
}
