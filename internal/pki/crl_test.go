package pki_test

import (
	"bytes"
	"crypto/x509"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/pki"
	"github.com/roam-dev/roam/internal/testpki"
)

func TestCreateCRL(t *testing.T) {
	for _, kt := range []testpki.KeyType{testpki.RSA2048, testpki.ECP384} {
		t.Run(string(kt), func(t *testing.T) {
			ca := newRoot(t, kt, 365*24*time.Hour)
			revoked := []pki.Revocation{
				{Serial: big.NewInt(0x1234), RevokedAt: now.Add(-time.Hour), Reason: pki.KeyCompromise},
				{Serial: new(big.Int).Lsh(big.NewInt(1), 127), RevokedAt: now.Add(-2 * time.Hour), Reason: pki.Unspecified},
			}
			crl, err := ca.CreateCRL(now, big.NewInt(7), 30*24*time.Hour, revoked)
			if err != nil {
				t.Fatal(err)
			}
			if err := crl.CheckSignatureFrom(ca.Cert); err != nil {
				t.Errorf("signature: %v", err)
			}
			if crl.Number.Int64() != 7 {
				t.Errorf("number %v, want 7", crl.Number)
			}
			if !bytes.Equal(crl.AuthorityKeyId, ca.Cert.SubjectKeyId) {
				t.Errorf("AKI %x, want %x", crl.AuthorityKeyId, ca.Cert.SubjectKeyId)
			}
			if !bytes.Equal(crl.RawIssuer, ca.Cert.RawSubject) {
				t.Error("issuer is not the CA's subject")
			}
			wantThis := now.Truncate(time.Second)
			if !crl.ThisUpdate.Equal(wantThis) || !crl.NextUpdate.Equal(wantThis.Add(30*24*time.Hour)) {
				t.Errorf("thisUpdate %v nextUpdate %v", crl.ThisUpdate, crl.NextUpdate)
			}
			if len(crl.RevokedCertificateEntries) != 2 {
				t.Fatalf("%d entries, want 2", len(crl.RevokedCertificateEntries))
			}
			e0, e1 := crl.RevokedCertificateEntries[0], crl.RevokedCertificateEntries[1]
			if e0.SerialNumber.Cmp(revoked[0].Serial) != 0 || e0.ReasonCode != int(pki.KeyCompromise) || !e0.RevocationTime.Equal(revoked[0].RevokedAt.Truncate(time.Second)) {
				t.Errorf("entry 0 = %v %d %v", e0.SerialNumber, e0.ReasonCode, e0.RevocationTime)
			}
			// RFC 5280: the unspecified reason is expressed by leaving the
			// reason code extension out.
			if e1.SerialNumber.Cmp(revoked[1].Serial) != 0 || e1.ReasonCode != 0 || len(e1.Extensions) != 0 {
				t.Errorf("entry 1 = %v reason %d extensions %v", e1.SerialNumber, e1.ReasonCode, e1.Extensions)
			}
			want := map[testpki.KeyType]x509.SignatureAlgorithm{testpki.RSA2048: x509.SHA256WithRSA, testpki.ECP384: x509.ECDSAWithSHA384}[kt]
			if crl.SignatureAlgorithm != want {
				t.Errorf("signature algorithm %v, want %v", crl.SignatureAlgorithm, want)
			}
			pemData := pki.EncodeCRL(crl.Raw)
			if !strings.HasPrefix(string(pemData), "-----BEGIN X509 CRL-----\n") {
				t.Errorf("PEM:\n%s", pemData)
			}
		})
	}
}

func TestCreateCRLErrors(t *testing.T) {
	ca := newRoot(t, testpki.ECP256, time.Hour)
	noCRLSign := testpki.NewCA(t, testpki.WithModify(func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageCertSign }))
	tests := []struct {
		name     string
		ca       *pki.CA
		number   *big.Int
		lifetime time.Duration
		wantErr  string
	}{
		{"error/zero lifetime", ca, big.NewInt(1), 0, "lifetime must be positive"},
		{"error/nil number", ca, nil, time.Hour, "CRL number must be"},
		{"error/negative number", ca, big.NewInt(-1), time.Hour, "CRL number must be"},
		{"error/no cRLSign", &pki.CA{Cert: noCRLSign.Cert, Key: noCRLSign.Key}, big.NewInt(1), time.Hour, "lacks cRLSign"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.ca.CreateCRL(now, tt.number, tt.lifetime, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestParseReason(t *testing.T) {
	for _, name := range pki.ReasonNames() {
		r, err := pki.ParseReason(name)
		if err != nil || r.String() != name {
			t.Errorf("ParseReason(%q) = %v, %v", name, r, err)
		}
	}
	for in, want := range map[string]pki.Reason{"KEYCOMPROMISE": pki.KeyCompromise, "CACompromise": pki.CACompromise, "superseded": pki.Superseded} {
		if got, err := pki.ParseReason(in); err != nil || got != want {
			t.Errorf("ParseReason(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := pki.ParseReason("removeFromCRL"); err == nil || !strings.Contains(err.Error(), "valid: unspecified, keyCompromise") {
		t.Errorf("ParseReason(removeFromCRL) error = %v", err)
	}
	if got := pki.Reason(7).String(); got != "Reason(7)" {
		t.Errorf("Reason(7).String() = %q", got)
	}
}
