package pki_test

import (
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/pki"
	"github.com/roam-dev/roam/internal/testpki"
)

func TestParseCertificatesPEM(t *testing.T) {
	root := testpki.NewCA(t)
	inter := root.Intermediate(t)
	leaf := inter.Leaf(t)
	bundle := testpki.PEM(leaf.Cert, inter.Cert)
	tests := []struct {
		name    string
		data    []byte
		want    []*x509.Certificate
		wantErr string
	}{
		{name: "ok/bundle in order", data: bundle, want: []*x509.Certificate{leaf.Cert, inter.Cert}},
		{name: "ok/text around blocks", data: []byte("Certificate:\n    Data: ...\n" + string(testpki.PEM(root.Cert)) + "trailer\n"), want: []*x509.Certificate{root.Cert}},
		{name: "ok/DER", data: leaf.Cert.Raw, want: []*x509.Certificate{leaf.Cert}},
		{name: "error/empty", data: nil, wantErr: "no PEM certificate found"},
		{name: "error/key block", data: append(testpki.KeyPEM(t, leaf.Key), bundle...), wantErr: `unexpected PEM block "PRIVATE KEY"`},
		{name: "error/bad certificate", data: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{0x30, 0x03, 1, 2, 3}}), wantErr: "certificate 1:"},
		{name: "error/bad DER", data: []byte{0x30, 0x03, 1, 2, 3}, wantErr: "not a DER certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pki.ParseCertificatesPEM(tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("%d certificates, want %d", len(got), len(tt.want))
			}
			for i := range got {
				if !got[i].Equal(tt.want[i]) {
					t.Errorf("certificate %d differs", i)
				}
			}
		})
	}
	if got := pki.EncodeCertificates(leaf.Cert, inter.Cert); string(got) != string(bundle) {
		t.Errorf("EncodeCertificates:\n%s\nwant\n%s", got, bundle)
	}
}

func TestParseCSRPEM(t *testing.T) {
	key := testpki.Key(t, testpki.ECP256)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "csr"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	csrPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	tests := []struct {
		name    string
		data    []byte
		wantErr string
	}{
		{name: "ok/PEM", data: csrPEM},
		{name: "ok/legacy NEW CERTIFICATE REQUEST", data: pem.EncodeToMemory(&pem.Block{Type: "NEW CERTIFICATE REQUEST", Bytes: der})},
		{name: "ok/DER", data: der},
		{name: "error/empty", wantErr: "no PEM certificate request found"},
		{name: "error/two requests", data: append(append([]byte{}, csrPEM...), csrPEM...), wantErr: "more than one certificate request"},
		{name: "error/certificate", data: testpki.PEM(testpki.NewCA(t).Cert), wantErr: `unexpected PEM block "CERTIFICATE"`},
		{name: "error/garbage block", data: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte("x")}), wantErr: "parse certificate request"},
		{name: "error/garbage DER", data: []byte{0x30, 0x01, 0x00}, wantErr: "not a DER one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csr, err := pki.ParseCSRPEM(tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if csr.Subject.CommonName != "csr" {
				t.Errorf("CN = %q", csr.Subject.CommonName)
			}
		})
	}
}

func TestParseSerial(t *testing.T) {
	tests := []struct {
		in      string
		want    string // decimal
		wantErr string
	}{
		{in: "1000", want: "1000"},
		{in: "0x1000", want: "4096"},
		{in: "0X0a", want: "10"},
		{in: "4C5E", want: "19550"},
		{in: "4c:5e", want: "19550"},
		{in: "10:00", want: "4096"},
		{in: " 42 ", want: "42"},
		{in: "", wantErr: "is empty"},
		{in: "0x", wantErr: "is empty"},
		{in: "0", wantErr: "not positive"},
		{in: "-5", wantErr: "not a positive"},
		{in: "+5", wantErr: "not a positive"},
		{in: "1_000", wantErr: "not a positive"},
		{in: "12g", wantErr: "not a decimal or hex number"},
		{in: "0x" + strings.Repeat("ff", 21), wantErr: "longer than 20 bytes"},
	}
	for _, tt := range tests {
		got, err := pki.ParseSerial(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseSerial(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ParseSerial(%q) = %v, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatSerial(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{{1, "01"}, {255, "FF"}, {4096, "1000"}, {0xABCDE, "0ABCDE"}} {
		if got := pki.FormatSerial(big.NewInt(tt.n)); got != tt.want {
			t.Errorf("FormatSerial(%d) = %q, want %q", tt.n, got, tt.want)
		}
		if back, err := pki.ParseSerial("0x" + pki.FormatSerial(big.NewInt(tt.n))); err != nil || back.Int64() != tt.n {
			t.Errorf("ParseSerial(0x%s) = %v, %v", pki.FormatSerial(big.NewInt(tt.n)), back, err)
		}
	}
}

func FuzzParseCertificatesPEM(f *testing.F) {
	ca := testpki.NewCA(f)
	f.Add(testpki.PEM(ca.Cert))
	f.Add(ca.Cert.Raw)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		certs, err := pki.ParseCertificatesPEM(data)
		if err == nil && len(certs) == 0 {
			t.Fatal("no error and no certificates")
		}
	})
}

func FuzzParseCSRPEM(f *testing.F) {
	key := testpki.Key(f, testpki.ECP256)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "csr"}, DNSNames: []string{"a.example"}}, key)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
	f.Add(der)
	ca := testpki.NewCA(f)
	signer := &pki.CA{Cert: ca.Cert, Key: ca.Key}
	f.Fuzz(func(t *testing.T, data []byte) {
		csr, err := pki.ParseCSRPEM(data)
		if err != nil {
			return
		}
		// Signing checks the request's signature first; a forged or
		// malformed request must come back as an error, never a panic.
		_, _ = signer.SignCSR(ca.Cert.NotBefore.Add(ca.Cert.NotAfter.Sub(ca.Cert.NotBefore)/2), csr, time.Hour)
	})
}
