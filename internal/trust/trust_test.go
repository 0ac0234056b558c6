package trust

import (
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/testpki"
)

// pathCase is one VerifyPath scenario: a refusal reason, or the length of
// the path it must verify.
type pathCase struct {
	name       string
	leaf       *x509.Certificate
	bag        []*x509.Certificate
	anchors    []*x509.Certificate
	wantReason string
	wantLen    int
}

func TestVerifyPath(t *testing.T) {
	now := time.Now()
	for _, tt := range classicalPathCases(t, now) {
		t.Run(tt.name, func(t *testing.T) {
			p, err := VerifyPath(tt.leaf, tt.bag, tt.anchors, now)
			checkPathCase(t, tt, now, p, err)
		})
	}
}

// classicalPathCases are paths of RSA and ECDSA certificates only, which
// crypto/x509 verifies.
func classicalPathCases(t *testing.T, now time.Time) []pathCase {
	t.Helper()
	root := testpki.NewCA(t)
	inter := root.Intermediate(t)
	otherRoot := testpki.NewCA(t, testpki.WithCN("Other Root"))
	past := testpki.WithValidity(now.Add(-48*time.Hour), now.Add(-time.Hour))
	future := testpki.WithValidity(now.Add(time.Hour), now.Add(48*time.Hour))
	noCertSign := root.Intermediate(t, testpki.WithModify(func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature }))
	pathLen0 := root.Intermediate(t, testpki.WithModify(func(c *x509.Certificate) { c.MaxPathLen, c.MaxPathLenZero = 0, true }))
	belowPathLen0 := pathLen0.Intermediate(t)
	expiredInter := root.Intermediate(t, past)
	impostor := testpki.NewCA(t) // same subject as root, different key

	return []pathCase{
		{name: "ok/direct", leaf: root.Leaf(t).Cert, anchors: []*x509.Certificate{root.Cert}, wantLen: 2},
		{name: "ok/via intermediate", leaf: inter.Leaf(t).Cert, bag: []*x509.Certificate{inter.Cert}, anchors: []*x509.Certificate{root.Cert}, wantLen: 3},
		{name: "ok/intermediate as anchor", leaf: inter.Leaf(t).Cert, anchors: []*x509.Certificate{inter.Cert}, wantLen: 2},
		{name: "ok/second anchor certificate", leaf: root.Leaf(t).Cert, anchors: []*x509.Certificate{otherRoot.Cert, root.Cert}, wantLen: 2},
		{name: "ok/bag with leaf and unrelated certificates", leaf: inter.Leaf(t).Cert, bag: []*x509.Certificate{otherRoot.Leaf(t).Cert, inter.Cert, otherRoot.Cert}, anchors: []*x509.Certificate{root.Cert}, wantLen: 3},
		{name: "ok/leaf without extended key usage", leaf: root.Leaf(t, testpki.WithModify(func(c *x509.Certificate) { c.ExtKeyUsage = nil })).Cert, anchors: []*x509.Certificate{root.Cert}, wantLen: 2},
		{name: "error/other CA", leaf: otherRoot.Leaf(t).Cert, anchors: []*x509.Certificate{root.Cert}, wantReason: ReasonUntrusted},
		{name: "error/missing intermediate", leaf: inter.Leaf(t).Cert, anchors: []*x509.Certificate{root.Cert}, wantReason: ReasonUntrusted},
		{name: "error/expired leaf", leaf: root.Leaf(t, past).Cert, anchors: []*x509.Certificate{root.Cert}, wantReason: ReasonExpired},
		{name: "error/leaf not yet valid", leaf: root.Leaf(t, future).Cert, anchors: []*x509.Certificate{root.Cert}, wantReason: ReasonNotYetValid},
		{name: "error/expired intermediate", leaf: expiredInter.Leaf(t).Cert, bag: []*x509.Certificate{expiredInter.Cert}, anchors: []*x509.Certificate{root.Cert}, wantReason: ReasonExpired},
		{name: "error/same-name impostor CA", leaf: impostor.Leaf(t).Cert, anchors: []*x509.Certificate{root.Cert}, wantReason: ReasonUntrusted},
		{name: "error/leaf is a CA", leaf: inter.Cert, anchors: []*x509.Certificate{root.Cert}, wantReason: ReasonLeafIsCA},
		{name: "error/leaf without digitalSignature", leaf: root.Leaf(t, testpki.WithModify(func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageKeyEncipherment })).Cert, anchors: []*x509.Certificate{root.Cert}, wantReason: ReasonLeafKeyUsage},
		{name: "error/leaf without keyUsage", leaf: root.Leaf(t, testpki.WithModify(func(c *x509.Certificate) { c.KeyUsage = 0 })).Cert, anchors: []*x509.Certificate{root.Cert}, wantReason: ReasonLeafKeyUsage},
		{name: "error/leaf for servers only", leaf: root.Leaf(t, testpki.WithModify(func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} })).Cert, anchors: []*x509.Certificate{root.Cert}, wantReason: ReasonLeafExtKeyUsage},
		{name: "error/intermediate without keyCertSign", leaf: noCertSign.Leaf(t).Cert, bag: []*x509.Certificate{noCertSign.Cert}, anchors: []*x509.Certificate{root.Cert}, wantReason: ReasonIntermediateUsage},
		{name: "error/path length exceeded", leaf: belowPathLen0.Leaf(t).Cert, bag: []*x509.Certificate{belowPathLen0.Cert, pathLen0.Cert}, anchors: []*x509.Certificate{root.Cert}, wantReason: ReasonPathLength},
	}
}

// checkPathCase compares VerifyPath's result for tt with its expectation.
func checkPathCase(t *testing.T, tt pathCase, now time.Time, p *Path, err *Error) {
	t.Helper()
	if tt.wantReason != "" {
		if err == nil {
			t.Fatalf("verified a path of %d certificates; want refusal %s", len(p.Certs), tt.wantReason)
		}
		if err.Reason != tt.wantReason {
			t.Fatalf("reason %s (%s), want %s", err.Reason, err.Detail, tt.wantReason)
		}
		return
	}
	if err != nil {
		t.Fatalf("refused: %s: %s", err.Reason, err.Detail)
	}
	if len(p.Certs) != tt.wantLen || !p.Certs[0].Equal(tt.leaf) {
		t.Fatalf("path of %d certificates starting at %q, want %d starting at the leaf", len(p.Certs), p.Certs[0].Subject, tt.wantLen)
	}
	if !slices.ContainsFunc(tt.anchors, p.Anchor().Equal) {
		t.Fatalf("path ends at %q, which is not an anchor", p.Anchor().Subject)
	}
	if now.Before(p.NotBefore) || now.After(p.NotAfter) {
		t.Fatalf("validity window [%v, %v] excludes now", p.NotBefore, p.NotAfter)
	}
}

func TestParseAnchorBundle(t *testing.T) {
	root := testpki.NewCA(t)
	other := testpki.NewCA(t)
	third := testpki.NewCA(t)
	leaf := root.Leaf(t)
	tests := []struct {
		name, data, wantErr string
		want                int
	}{
		{name: "ok/one", data: string(testpki.PEM(root.Cert)), want: 1},
		{name: "ok/two for rotation", data: string(testpki.PEM(root.Cert, other.Cert)), want: 2},
		{name: "error/three", data: string(testpki.PEM(root.Cert, other.Cert, third.Cert)), wantErr: "at most 2"},
		{name: "error/leaf", data: string(testpki.PEM(leaf.Cert)), wantErr: "not a CA"},
		{name: "error/empty", data: "", wantErr: "no PEM CERTIFICATE"},
		{name: "error/garbage", data: "hello", wantErr: "no PEM CERTIFICATE"},
		{name: "error/key block", data: string(testpki.KeyPEM(t, leaf.Key)), wantErr: `"PRIVATE KEY"`},
		{name: "error/trailing data", data: string(testpki.PEM(root.Cert)) + "junk", wantErr: "after its last PEM block"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			certs, err := ParseAnchorBundle(tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(certs) != tt.want {
				t.Fatalf("got %d certificates, %v; want %d", len(certs), err, tt.want)
			}
		})
	}
}

func TestRevocations(t *testing.T) {
	now := time.Now()
	root := testpki.NewCA(t)
	inter := root.Intermediate(t)
	leaf := inter.Leaf(t)
	other := inter.Leaf(t)
	interCRL := makeCRL(t, inter, now, leaf.Cert.SerialNumber)
	rootCRL := makeCRL(t, root, now, inter.Cert.SerialNumber)

	if _, err := CRLIssuer(interCRL, []*x509.Certificate{root.Cert}); err == nil {
		t.Error("a CRL signed by the intermediate was attributed to the root anchor")
	}
	if c, err := CRLIssuer(rootCRL, []*x509.Certificate{inter.Cert, root.Cert}); err != nil || !c.Equal(root.Cert) {
		t.Errorf("CRLIssuer = %v, %v; want the root", c, err)
	}

	var leafOnly Revocations
	leafOnly.Add(interCRL)
	if err := leafOnly.Check([]*x509.Certificate{leaf.Cert, inter.Cert, root.Cert}); err == nil || err.Reason != ReasonRevoked {
		t.Errorf("revoked leaf passed: %v", err)
	}
	if err := leafOnly.Check([]*x509.Certificate{other.Cert, inter.Cert, root.Cert}); err != nil {
		t.Errorf("sibling leaf refused: %v", err)
	}
	// Same serial, other issuer: not revoked.
	sameSerial := root.Leaf(t, testpki.WithSerial(leaf.Cert.SerialNumber))
	if err := leafOnly.Check([]*x509.Certificate{sameSerial.Cert, root.Cert}); err != nil {
		t.Errorf("certificate of another issuer with a revoked serial refused: %v", err)
	}
	var interRevoked Revocations
	interRevoked.Add(rootCRL)
	if err := interRevoked.Check([]*x509.Certificate{other.Cert, inter.Cert, root.Cert}); err == nil {
		t.Error("path through a revoked intermediate passed")
	}

	for _, data := range [][]byte{interCRL.Raw, pemCRL(interCRL)} {
		if _, err := ParseCRL(data); err != nil {
			t.Errorf("ParseCRL: %v", err)
		}
	}
	for _, bad := range []string{"", "junk", "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n", string(testpki.PEM(root.Cert))} {
		if _, err := ParseCRL([]byte(bad)); err == nil {
			t.Errorf("ParseCRL(%.20q) accepted garbage", bad)
		}
	}
}

func makeCRL(t *testing.T, ca *testpki.CA, now time.Time, serials ...*big.Int) *x509.RevocationList {
	t.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)}
	for _, s := range serials {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries, x509.RevocationListEntry{SerialNumber: s, RevocationTime: now.Add(-time.Minute)})
	}
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, ca.Cert, ca.Key)
	if err != nil {
		t.Fatal(err)
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		t.Fatal(err)
	}
	return crl
}

func pemCRL(c *x509.RevocationList) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: c.Raw})
}

func FuzzParseAnchorBundle(f *testing.F) {
	f.Add(string(testpki.PEM(testpki.NewCA(f).Cert)))
	f.Add("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
	f.Fuzz(func(t *testing.T, s string) {
		certs, err := ParseAnchorBundle(s)
		if err == nil && (len(certs) == 0 || len(certs) > MaxAnchorCertificates) {
			t.Fatalf("accepted %d certificates", len(certs))
		}
	})
}

func FuzzParseCRL(f *testing.F) {
	f.Add([]byte("-----BEGIN X509 CRL-----\nMIIB\n-----END X509 CRL-----\n"))
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ParseCRL(b)
	})
}
