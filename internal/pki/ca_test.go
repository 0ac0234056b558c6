package pki_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/pki"
	"github.com/roam-dev/roam/internal/testpki"
)

// now is the pinned clock of these tests; certificates are checked at it.
var now = time.Date(2026, 3, 1, 12, 0, 0, 500, time.UTC)

var (
	oidBasicConstraints = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtKeyUsage      = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidSKI              = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidAKI              = asn1.ObjectIdentifier{2, 5, 29, 35}
)

// criticality maps each extension of cert to its critical flag.
func criticality(cert *x509.Certificate) map[string]bool {
	m := map[string]bool{}
	for _, e := range cert.Extensions {
		m[e.Id.String()] = e.Critical
	}
	return m
}

func checkCritical(t *testing.T, cert *x509.Certificate, want map[string]bool) {
	t.Helper()
	got := criticality(cert)
	for oid, crit := range want {
		c, ok := got[oid]
		if !ok {
			t.Errorf("extension %s is missing", oid)
		} else if c != crit {
			t.Errorf("extension %s critical = %v, want %v", oid, c, crit)
		}
	}
}

func mustSubject(t testing.TB, s string) pkix.Name {
	t.Helper()
	n, err := pki.ParseSubject(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func newRoot(t testing.TB, kt testpki.KeyType, lifetime time.Duration) *pki.CA {
	t.Helper()
	ca, err := pki.NewRoot(now, testpki.Key(t, kt), pki.CAOptions{Subject: mustSubject(t, "C=US,O=ABC Inc.,CN=Test Root"), Lifetime: lifetime})
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestNewRoot(t *testing.T) {
	tests := []struct {
		keyType testpki.KeyType
		sigAlg  x509.SignatureAlgorithm
	}{
		{testpki.RSA2048, x509.SHA256WithRSA},
		{testpki.ECP256, x509.ECDSAWithSHA256},
		{testpki.ECP384, x509.ECDSAWithSHA384},
	}
	for _, tt := range tests {
		t.Run(string(tt.keyType), func(t *testing.T) {
			key := testpki.Key(t, tt.keyType)
			subject := mustSubject(t, "C=US,ST=California,L=San Francisco,O=ABC Inc.,OU=DevOps,CN=Root")
			ca, err := pki.NewRoot(now, key, pki.CAOptions{Subject: subject, Lifetime: 3650 * 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			c := ca.Cert
			if !c.IsCA || !c.BasicConstraintsValid || c.MaxPathLen != -1 {
				t.Errorf("basicConstraints: IsCA=%v valid=%v pathlen=%d", c.IsCA, c.BasicConstraintsValid, c.MaxPathLen)
			}
			if want := x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign | x509.KeyUsageCertSign; c.KeyUsage != want {
				t.Errorf("keyUsage = %v, want %v", c.KeyUsage, want)
			}
			checkCritical(t, c, map[string]bool{
				oidBasicConstraints.String(): true, oidKeyUsage.String(): true,
				oidSKI.String(): false, oidAKI.String(): false,
			})
			ski, _ := pki.SubjectKeyID(key.Public())
			if !bytes.Equal(c.SubjectKeyId, ski) || !bytes.Equal(c.AuthorityKeyId, ski) {
				t.Errorf("SKI %x / AKI %x, want both %x", c.SubjectKeyId, c.AuthorityKeyId, ski)
			}
			if c.SignatureAlgorithm != tt.sigAlg {
				t.Errorf("signature algorithm %v, want %v", c.SignatureAlgorithm, tt.sigAlg)
			}
			if c.SerialNumber.Sign() <= 0 || c.SerialNumber.BitLen() > 128 {
				t.Errorf("serial %v is not a positive 128-bit number", c.SerialNumber)
			}
			if !c.NotBefore.Equal(time.Date(2026, 3, 1, 11, 59, 0, 0, time.UTC)) || !c.NotAfter.Equal(now.Add(3650*24*time.Hour).Truncate(time.Second)) {
				t.Errorf("validity %v to %v", c.NotBefore, c.NotAfter)
			}
			if got := pki.FormatName(c.Subject); got != "C=US, ST=California, L=San Francisco, O=ABC Inc., OU=DevOps, CN=Root" {
				t.Errorf("subject %q", got)
			}
			if !ca.IsRoot() || ca.Intermediates() != nil {
				t.Error("a root reports itself as an intermediate")
			}
			if err := c.CheckSignatureFrom(c); err != nil {
				t.Errorf("self-signature: %v", err)
			}
		})
	}
}

func TestNewRootErrors(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		key     crypto.Signer
		opts    pki.CAOptions
		wantErr string
	}{
		{"error/empty subject", testpki.Key(t, testpki.ECP256), pki.CAOptions{Lifetime: time.Hour}, "subject is empty"},
		{"error/zero lifetime", testpki.Key(t, testpki.ECP256), pki.CAOptions{Subject: pkix.Name{CommonName: "x"}}, "lifetime must be positive"},
		{"error/small RSA key", small, pki.CAOptions{Subject: pkix.Name{CommonName: "x"}, Lifetime: time.Hour}, "RSA key of 1024 bits is too small"},
		{"error/negative pathlen", testpki.Key(t, testpki.ECP256), pki.CAOptions{Subject: pkix.Name{CommonName: "x"}, Lifetime: time.Hour, PathLen: ptr(-2)}, "pathlen must not be negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pki.NewRoot(now, tt.key, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestNewIntermediate(t *testing.T) {
	root := newRoot(t, testpki.ECP256, 10*365*24*time.Hour)
	inter, err := root.NewIntermediate(now, testpki.Key(t, testpki.RSA2048), pki.CAOptions{Subject: pkix.Name{CommonName: "Issuing CA 1"}, Lifetime: 5 * 365 * 24 * time.Hour, PathLen: ptr(1)})
	if err != nil {
		t.Fatal(err)
	}
	c := inter.Cert
	if !c.IsCA || c.MaxPathLen != 1 {
		t.Errorf("IsCA=%v pathlen=%d, want CA with pathlen 1", c.IsCA, c.MaxPathLen)
	}
	if !bytes.Equal(c.AuthorityKeyId, root.Cert.SubjectKeyId) {
		t.Errorf("AKI %x, want the root's SKI %x", c.AuthorityKeyId, root.Cert.SubjectKeyId)
	}
	if c.SignatureAlgorithm != x509.ECDSAWithSHA256 {
		t.Errorf("signed with %v, want the root's ECDSA-SHA256", c.SignatureAlgorithm)
	}
	if inter.IsRoot() || len(inter.Chain) != 0 || len(inter.Intermediates()) != 1 {
		t.Errorf("IsRoot=%v chain=%d intermediates=%d", inter.IsRoot(), len(inter.Chain), len(inter.Intermediates()))
	}
	// A second level carries the first in its chain.
	inter2, err := inter.NewIntermediate(now, testpki.Key(t, testpki.ECP256), pki.CAOptions{Subject: pkix.Name{CommonName: "Issuing CA 2"}, Lifetime: 365 * 24 * time.Hour, PathLen: ptr(0)})
	if err != nil {
		t.Fatal(err)
	}
	if got := inter2.Intermediates(); len(got) != 2 || !got[0].Equal(inter2.Cert) || !got[1].Equal(inter.Cert) {
		t.Errorf("Intermediates() = %d certificates, want inter2, inter", len(got))
	}
	leaf, err := inter2.IssueClient(now, testpki.Key(t, testpki.ECP256).Public(), pki.ClientOptions{Subject: pkix.Name{CommonName: "leaf"}, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	verify(t, leaf, root, inter2.Intermediates())

	t.Run("error/pathlen 0 parent", func(t *testing.T) {
		_, err := inter2.NewIntermediate(now, testpki.Key(t, testpki.ECP256), pki.CAOptions{Subject: pkix.Name{CommonName: "x"}, Lifetime: time.Hour})
		if err == nil || !strings.Contains(err.Error(), "pathlen 0 and may not sign intermediate CAs") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("error/pathlen not below parent", func(t *testing.T) {
		_, err := inter.NewIntermediate(now, testpki.Key(t, testpki.ECP256), pki.CAOptions{Subject: pkix.Name{CommonName: "x"}, Lifetime: time.Hour, PathLen: ptr(1)})
		if err == nil || !strings.Contains(err.Error(), "pathlen 1 is not below the parent CA's pathlen 1") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("ok/clamped to parent", func(t *testing.T) {
		short := newRoot(t, testpki.ECP256, 24*time.Hour)
		child, err := short.NewIntermediate(now, testpki.Key(t, testpki.ECP256), pki.CAOptions{Subject: pkix.Name{CommonName: "x"}, Lifetime: 48 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if !child.Cert.NotAfter.Equal(short.Cert.NotAfter) {
			t.Errorf("notAfter %v, want the parent's %v", child.Cert.NotAfter, short.Cert.NotAfter)
		}
	})
}

// verify checks leaf chains to root for client authentication at now.
func verify(t *testing.T, leaf *x509.Certificate, root *pki.CA, intermediates []*x509.Certificate) {
	t.Helper()
	roots, inters := x509.NewCertPool(), x509.NewCertPool()
	roots.AddCert(root.Cert)
	for _, c := range intermediates {
		inters.AddCert(c)
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("verify %q: %v", leaf.Subject, err)
	}
}

func TestIssueClient(t *testing.T) {
	root := newRoot(t, testpki.RSA2048, 365*24*time.Hour)
	sans, err := pki.ParseSANs("dns:a.example,uri:spiffe://x/y,email:a@b.example,ip:10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		key       testpki.KeyType
		wantUsage x509.KeyUsage
		sigAlg    x509.SignatureAlgorithm
	}{
		{"ok/rsa key", testpki.RSA2048, x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment, x509.SHA256WithRSA},
		{"ok/ec key", testpki.ECP256, x509.KeyUsageDigitalSignature, x509.SHA256WithRSA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pub := testpki.Key(t, tt.key).Public()
			c, err := root.IssueClient(now, pub, pki.ClientOptions{Subject: mustSubject(t, "O=ABC Inc.,OU=DevOps,OU=EU,CN=client"), SANs: sans, Lifetime: 30 * 24 * time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if c.IsCA || !c.BasicConstraintsValid {
				t.Errorf("basicConstraints: IsCA=%v valid=%v, want CA:false present", c.IsCA, c.BasicConstraintsValid)
			}
			if c.KeyUsage != tt.wantUsage {
				t.Errorf("keyUsage = %b, want %b", c.KeyUsage, tt.wantUsage)
			}
			if len(c.ExtKeyUsage) != 1 || c.ExtKeyUsage[0] != x509.ExtKeyUsageClientAuth {
				t.Errorf("extKeyUsage = %v, want clientAuth", c.ExtKeyUsage)
			}
			checkCritical(t, c, map[string]bool{
				oidBasicConstraints.String(): true, oidKeyUsage.String(): true, oidExtKeyUsage.String(): false,
				oidSKI.String(): false, oidAKI.String(): false,
			})
			ski, _ := pki.SubjectKeyID(pub)
			if !bytes.Equal(c.SubjectKeyId, ski) || !bytes.Equal(c.AuthorityKeyId, root.Cert.SubjectKeyId) {
				t.Errorf("SKI %x AKI %x", c.SubjectKeyId, c.AuthorityKeyId)
			}
			if c.SignatureAlgorithm != tt.sigAlg {
				t.Errorf("signature algorithm %v", c.SignatureAlgorithm)
			}
			if got := pki.FormatName(c.Subject); got != "O=ABC Inc., OU=DevOps, OU=EU, CN=client" {
				t.Errorf("subject %q", got)
			}
			got := pki.SANs{DNSNames: c.DNSNames, URIs: c.URIs, EmailAddresses: c.EmailAddresses, IPAddresses: c.IPAddresses}
			if got.String() != sans.String() {
				t.Errorf("SANs %q, want %q", got, sans)
			}
			if want := now.Add(-time.Minute).Truncate(time.Second); !c.NotBefore.Equal(want) {
				t.Errorf("notBefore %v, want %v", c.NotBefore, want)
			}
			if want := now.Add(30 * 24 * time.Hour).Truncate(time.Second); !c.NotAfter.Equal(want) {
				t.Errorf("notAfter %v, want %v", c.NotAfter, want)
			}
			if c.Version != 3 {
				t.Errorf("version %d", c.Version)
			}
			verify(t, c, root, nil)
		})
	}
}

func TestIssueClientErrors(t *testing.T) {
	root := newRoot(t, testpki.ECP256, 24*time.Hour)
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	p224, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	good := testpki.Key(t, testpki.ECP256).Public()
	subject := pkix.Name{CommonName: "c"}
	tests := []struct {
		name    string
		now     time.Time
		pub     crypto.PublicKey
		opts    pki.ClientOptions
		wantErr string
	}{
		{"error/empty subject", now, good, pki.ClientOptions{Lifetime: time.Hour}, "subject is empty"},
		{"error/small RSA key", now, small.Public(), pki.ClientOptions{Subject: subject, Lifetime: time.Hour}, "RSA key of 1024 bits is too small"},
		{"error/P-224 key", now, p224.Public(), pki.ClientOptions{Subject: subject, Lifetime: time.Hour}, "unsupported key ec-p224"},
		{"error/negative lifetime", now, good, pki.ClientOptions{Subject: subject, Lifetime: -time.Hour}, "lifetime must be positive"},
		{"error/expired CA", now.Add(25 * time.Hour), good, pki.ClientOptions{Subject: subject, Lifetime: time.Hour}, "expired at 2026-03-02T12:00:00Z"},
		{"error/malformed SAN", now, good, pki.ClientOptions{Subject: subject, Lifetime: time.Hour, SANs: pki.SANs{EmailAddresses: []string{"nobody"}}}, "SAN email:nobody: email address must be local@domain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := root.IssueClient(tt.now, tt.pub, tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestValidity(t *testing.T) {
	root := newRoot(t, testpki.ECP256, 24*time.Hour)
	tests := []struct {
		name        string
		lifetime    time.Duration
		wantAfter   time.Time
		wantClamped bool
	}{
		{"ok/inside", time.Hour, now.Add(time.Hour).Truncate(time.Second), false},
		{"ok/up to the CA", 24 * time.Hour, now.Add(24 * time.Hour).Truncate(time.Second), false},
		{"ok/clamped", 365 * 24 * time.Hour, root.Cert.NotAfter, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := root.Validity(now, tt.lifetime)
			if err != nil {
				t.Fatal(err)
			}
			if want := now.Add(tt.lifetime).Truncate(time.Second); !v.Requested.Equal(want) {
				t.Errorf("Requested = %v, want %v", v.Requested, want)
			}
			if !v.NotAfter.Equal(tt.wantAfter) || v.Clamped != tt.wantClamped {
				t.Errorf("Validity = %v clamped=%v, want %v clamped=%v", v.NotAfter, v.Clamped, tt.wantAfter, tt.wantClamped)
			}
			leaf, err := root.IssueClient(now, testpki.Key(t, testpki.ECP256).Public(), pki.ClientOptions{Subject: pkix.Name{CommonName: "c"}, Lifetime: tt.lifetime})
			if err != nil {
				t.Fatal(err)
			}
			if !leaf.NotAfter.Equal(v.NotAfter) || leaf.NotAfter.After(root.Cert.NotAfter) {
				t.Errorf("leaf notAfter %v, want %v (CA ends %v)", leaf.NotAfter, v.NotAfter, root.Cert.NotAfter)
			}
		})
	}
}

func TestSignCSR(t *testing.T) {
	root := newRoot(t, testpki.ECP384, 365*24*time.Hour)
	key := testpki.Key(t, testpki.RSA2048)
	bc, err := asn1.Marshal(struct {
		IsCA bool `asn1:"optional"`
	}{true})
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.CertificateRequest{
		Subject:        mustSubject(t, "CN=hsm-client,O=ABC Inc."),
		DNSNames:       []string{"hsm.example"},
		URIs:           []*url.URL{{Scheme: "spiffe", Host: "abc.example", Path: "/hsm"}},
		EmailAddresses: []string{"ops@abc.example"},
		IPAddresses:    []net.IP{net.ParseIP("192.0.2.7").To4()},
		// The requester asks to be a CA; the profile must not listen.
		ExtraExtensions: []pkix.Extension{{Id: oidBasicConstraints, Critical: true, Value: bc}},
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	csr, err := x509.ParseCertificateRequest(der)
	if err != nil {
		t.Fatal(err)
	}
	c, err := root.SignCSR(now, csr, 90*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if c.IsCA {
		t.Error("the CSR's CA:true request was honoured")
	}
	if !bytes.Equal(c.RawSubject, csr.RawSubject) {
		t.Errorf("subject %q, want the CSR's %q", c.Subject, csr.Subject)
	}
	if pki.FormatName(c.Subject) != "CN=hsm-client, O=ABC Inc." {
		t.Errorf("subject order changed: %q", pki.FormatName(c.Subject))
	}
	got := pki.SANs{DNSNames: c.DNSNames, URIs: c.URIs, EmailAddresses: c.EmailAddresses, IPAddresses: c.IPAddresses}
	if want := "dns:hsm.example,uri:spiffe://abc.example/hsm,email:ops@abc.example,ip:192.0.2.7"; got.String() != want {
		t.Errorf("SANs %q, want %q", got, want)
	}
	if !publicKeysEqual(c.PublicKey, key.Public()) {
		t.Error("the certificate does not certify the CSR's key")
	}
	if c.SignatureAlgorithm != x509.ECDSAWithSHA384 {
		t.Errorf("signature algorithm %v, want ECDSA-SHA384 for a P-384 CA", c.SignatureAlgorithm)
	}
	if want := x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment | x509.KeyUsageKeyEncipherment | x509.KeyUsageDataEncipherment; c.KeyUsage != want {
		t.Errorf("keyUsage %b, want %b", c.KeyUsage, want)
	}
	verify(t, c, root, nil)

	t.Run("error/bad signature", func(t *testing.T) {
		forged := *csr
		forged.Signature = bytes.Clone(csr.Signature)
		forged.Signature[len(forged.Signature)-1] ^= 1
		if _, err := root.SignCSR(now, &forged, time.Hour); err == nil || !strings.Contains(err.Error(), "signature does not verify") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("error/malformed SAN", func(t *testing.T) {
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "c"}, DNSNames: []string{"a b.example"}}, key)
		if err != nil {
			t.Fatal(err)
		}
		bad, _ := x509.ParseCertificateRequest(der)
		if _, err := root.SignCSR(now, bad, time.Hour); err == nil || !strings.Contains(err.Error(), "malformed name: SAN dns:a b.example") {
			t.Fatalf("error = %v", err)
		}
	})
	t.Run("error/empty subject", func(t *testing.T) {
		der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{"a.example"}}, key)
		if err != nil {
			t.Fatal(err)
		}
		empty, _ := x509.ParseCertificateRequest(der)
		if _, err := root.SignCSR(now, empty, time.Hour); err == nil || !strings.Contains(err.Error(), "empty subject") {
			t.Fatalf("error = %v", err)
		}
	})
}

func TestNewCA(t *testing.T) {
	root := newRoot(t, testpki.ECP256, 24*time.Hour)
	inter, err := root.NewIntermediate(now, testpki.Key(t, testpki.ECP256), pki.CAOptions{Subject: pkix.Name{CommonName: "i"}, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	leafKey := testpki.Key(t, testpki.ECP256)
	leaf, err := root.IssueClient(now, leafKey.Public(), pki.ClientOptions{Subject: pkix.Name{CommonName: "c"}, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	noSign := testpki.NewCA(t, testpki.WithModify(func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageCRLSign }))
	other := newRoot(t, testpki.ECP256, time.Hour)
	tests := []struct {
		name    string
		cert    *x509.Certificate
		key     crypto.Signer
		chain   []*x509.Certificate
		wantErr string
	}{
		{"ok/root", root.Cert, root.Key, nil, ""},
		{"ok/intermediate with its root", inter.Cert, inter.Key, []*x509.Certificate{root.Cert}, ""},
		{"error/leaf", leaf, leafKey, nil, "is not a CA certificate"},
		{"error/no keyCertSign", noSign.Cert, noSign.Key, nil, "lacks keyCertSign"},
		{"error/wrong key", root.Cert, inter.Key, nil, "does not belong"},
		{"error/wrong chain", inter.Cert, inter.Key, []*x509.Certificate{other.Cert}, "did not sign"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pki.NewCA(tt.cert, tt.key, tt.chain)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestIssuerWithoutSKI(t *testing.T) {
	// An issuer certificate without a subjectKeyIdentifier (crypto/x509
	// always adds one to a CA, so the parsed field is cleared to stand for
	// one made elsewhere) still gets its key named in the
	// authorityKeyIdentifier of what it issues and of its CRLs.
	root := newRoot(t, testpki.ECP256, 24*time.Hour)
	bare := *root.Cert
	bare.SubjectKeyId = nil
	ca := &pki.CA{Cert: &bare, Key: root.Key}
	leaf, err := ca.IssueClient(now, testpki.Key(t, testpki.ECP256).Public(), pki.ClientOptions{Subject: pkix.Name{CommonName: "c"}, Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := pki.SubjectKeyID(root.Cert.PublicKey)
	if !bytes.Equal(leaf.AuthorityKeyId, want) {
		t.Errorf("certificate AKI %x, want %x", leaf.AuthorityKeyId, want)
	}
	crl, err := ca.CreateCRL(now, big.NewInt(1), time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(crl.AuthorityKeyId, want) {
		t.Errorf("CRL AKI %x, want %x", crl.AuthorityKeyId, want)
	}
}
