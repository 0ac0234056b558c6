package testpki_test

import (
	"crypto"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

func TestOpenSSLWalkthrough(t *testing.T) {
	tests := []struct {
		name     string
		w        testpki.OpenSSLWalkthrough
		caCN     string
		clientCN string
	}{
		{"defaults", testpki.OpenSSLWalkthrough{}, "ABC Root CA", "client.abc.example"},
		{"custom subjects", testpki.OpenSSLWalkthrough{CASubject: "/O=Test/CN=Other CA", ClientSubject: "/O=Test/CN=other-client"}, "Other CA", "other-client"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.w.Run(t, t.TempDir())
			for _, p := range []string{f.Config, f.CAKey, f.CACert, f.ClientKey, f.ClientCSR, f.ClientCert} {
				if _, err := os.Stat(p); err != nil {
					t.Errorf("missing %s: %v", p, err)
				}
			}
			ca, client := f.CA(t), f.Client(t)
			if ca.Cert.Subject.CommonName != tt.caCN || client.Cert.Subject.CommonName != tt.clientCN {
				t.Errorf("CNs %q and %q, want %q and %q", ca.Cert.Subject.CommonName, client.Cert.Subject.CommonName, tt.caCN, tt.clientCN)
			}
			// [v3_ca]
			if !ca.Cert.IsCA || ca.Cert.KeyUsage != x509.KeyUsageDigitalSignature|x509.KeyUsageCRLSign|x509.KeyUsageCertSign || len(ca.Cert.SubjectKeyId) == 0 {
				t.Errorf("CA: IsCA=%v keyUsage=%b SKI=%x", ca.Cert.IsCA, ca.Cert.KeyUsage, ca.Cert.SubjectKeyId)
			}
			if d := ca.Cert.NotAfter.Sub(ca.Cert.NotBefore); d != 3650*24*time.Hour {
				t.Errorf("CA validity %v, want 3650 days", d)
			}
			// [v3_cert]
			c := client.Cert
			if c.IsCA || !c.BasicConstraintsValid {
				t.Errorf("client: IsCA=%v basicConstraints=%v", c.IsCA, c.BasicConstraintsValid)
			}
			if want := x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment; c.KeyUsage != want {
				t.Errorf("client keyUsage %b, want %b", c.KeyUsage, want)
			}
			if c.SignatureAlgorithm != x509.SHA256WithRSA || string(c.AuthorityKeyId) != string(ca.Cert.SubjectKeyId) {
				t.Errorf("client signature %v, AKI %x (CA SKI %x)", c.SignatureAlgorithm, c.AuthorityKeyId, ca.Cert.SubjectKeyId)
			}
			if err := c.CheckSignatureFrom(ca.Cert); err != nil {
				t.Error(err)
			}
			pub, ok := client.Key.Public().(interface{ Equal(crypto.PublicKey) bool })
			if !ok || !pub.Equal(c.PublicKey) {
				t.Error("client.key does not match client.pem")
			}
			out := testpki.RunOpenSSL(t, testenv.Tool(t, "openssl"), f.Dir, "verify", "-CAfile", "ca.pem", "client.pem")
			if !strings.Contains(out, "client.pem: OK") {
				t.Errorf("openssl verify: %s", out)
			}
		})
	}
}
