package cli_test

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/testpki"
)

func TestCACheck(t *testing.T) {
	root := testpki.NewCA(t)
	inter := root.Intermediate(t)
	leaf := inter.Leaf(t)
	serverOnly := root.Leaf(t, testpki.WithModify(func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }))
	anchor := adminWriteFile(t, "root.pem", string(testpki.PEM(root.Cert)))
	chain := adminWriteFile(t, "chain.pem", string(testpki.PEM(inter.Cert)))
	leafFile := adminWriteFile(t, "leaf.pem", string(testpki.PEM(leaf.Cert)))
	now := time.Now()
	crlDER, err := x509.CreateRevocationList(rand.Reader, &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now, NextUpdate: now.Add(time.Hour),
		RevokedCertificateEntries: []x509.RevocationListEntry{{SerialNumber: inter.Cert.SerialNumber, RevocationTime: now}}}, root.Cert, root.Key)
	if err != nil {
		t.Fatal(err)
	}
	crl := adminWriteFile(t, "root.crl", string(pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: crlDER})))

	tests := []struct {
		name     string
		args     []string
		exit     int
		contains []string
	}{
		{"ok/leaf under an intermediate", []string{"--certificate", leafFile, "--intermediates", chain, "--trust-anchor", anchor}, 0,
			[]string{"certificate path        pass", "IAM Roles Anywhere would accept this certificate"}},
		{"error/missing intermediate", []string{"--certificate", leafFile, "--trust-anchor", anchor}, 1,
			[]string{"certificate path        FAIL    chain.untrusted:", "neither a certificate of the trust anchor"}},
		{"error/later than the leaf's validity", []string{"--certificate", leafFile, "--intermediates", chain, "--trust-anchor", anchor, "--at", leaf.Cert.NotAfter.Add(time.Hour).Format(time.RFC3339)}, 1,
			[]string{"FAIL    certificate.expired:"}},
		{"error/server-only certificate", []string{"--certificate", adminWriteFile(t, "server.pem", string(testpki.PEM(serverOnly.Cert))), "--trust-anchor", anchor}, 1,
			[]string{"end-entity certificate  FAIL    leaf.ext_key_usage:"}},
		{"error/intermediate revoked", []string{"--certificate", leafFile, "--intermediates", chain, "--trust-anchor", anchor, "--crl", crl}, 1,
			[]string{"revocation              FAIL    certificate.revoked:"}},
		{"error/a leaf as the trust anchor", []string{"--certificate", leafFile, "--trust-anchor", leafFile}, 1,
			[]string{"trust anchor            FAIL", "is not a CA certificate"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := adminRunEnv(t, nil, append([]string{"ca", "check"}, tt.args...)...)
			if r.code != tt.exit {
				t.Fatalf("exit %d, want %d\n%s%s", r.code, tt.exit, r.stdout, r.stderr)
			}
			for _, want := range tt.contains {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("output lacks %q:\n%s", want, r.stdout)
				}
			}
		})
	}
}
