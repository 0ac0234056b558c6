package trust

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// forge returns c with one byte of its signature flipped.
func forge(t *testing.T, c *x509.Certificate) *x509.Certificate {
	t.Helper()
	der := slices.Clone(c.Raw)
	der[len(der)-len(c.Signature)/2] ^= 0x01
	forged, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse forged certificate: %v", err)
	}
	return forged
}

func certs(cs ...*x509.Certificate) []*x509.Certificate { return cs }

// mldsaPathCases are paths with at least one ML-DSA certificate.
func mldsaPathCases(t *testing.T, now time.Time) []pathCase {
	t.Helper()
	past := testpki.WithValidity(now.Add(-48*time.Hour), now.Add(-time.Hour))
	future := testpki.WithValidity(now.Add(time.Hour), now.Add(48*time.Hour))
	ml := func(k testpki.KeyType) testpki.Option { return testpki.WithKeyType(k) }

	root44 := testpki.NewMLDSACA(t, ml(testpki.MLDSA44))
	root65 := testpki.NewMLDSACA(t, ml(testpki.MLDSA65))
	root87 := testpki.NewMLDSACA(t, ml(testpki.MLDSA87))
	rsaRoot := testpki.NewCA(t, testpki.WithKeyType(testpki.RSA2048), testpki.WithCN("RSA Root"))
	ecRoot := testpki.NewCA(t, testpki.WithCN("ECDSA Root"))

	// ML-DSA root → RSA intermediate → ECDSA leaf.
	rsaUnderML := root65.MLDSAIntermediate(t, ml(testpki.RSA2048), testpki.WithCN("RSA under ML-DSA"))
	// ECDSA root → ML-DSA-87 intermediate → ML-DSA-44 intermediate → RSA
	// intermediate → ML-DSA-65 leaf.
	ml87UnderEC := ecRoot.MLDSAIntermediate(t, ml(testpki.MLDSA87), testpki.WithCN("ML-DSA-87 under ECDSA"))
	ml44Under87 := ml87UnderEC.MLDSAIntermediate(t, ml(testpki.MLDSA44), testpki.WithCN("ML-DSA-44 under 87"))
	rsaUnder44 := ml44Under87.MLDSAIntermediate(t, ml(testpki.RSA2048), testpki.WithCN("RSA under ML-DSA-44"))
	mixedLeaf := rsaUnder44.MLDSALeaf(t)

	expiredInter := root65.MLDSAIntermediate(t, past, testpki.WithCN("Expired ML-DSA Intermediate"))
	futureInter := root65.MLDSAIntermediate(t, future, testpki.WithCN("Future ML-DSA Intermediate"))
	shortInter := root65.MLDSAIntermediate(t, testpki.WithValidity(now.Add(-time.Minute), now.Add(time.Hour)), testpki.WithCN("Short-lived"))
	noCertSign := root65.MLDSAIntermediate(t, testpki.WithCN("No keyCertSign"),
		testpki.WithModify(func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign }))
	notCA := root65.MLDSAIntermediate(t, testpki.WithCN("Not a CA"),
		testpki.WithModify(func(c *x509.Certificate) { c.IsCA = false; c.KeyUsage = x509.KeyUsageDigitalSignature }))
	pathLen0 := root65.MLDSAIntermediate(t, testpki.WithCN("PathLen 0"),
		testpki.WithModify(func(c *x509.Certificate) { c.MaxPathLen, c.MaxPathLenZero = 0, true }))
	belowPathLen0 := pathLen0.MLDSAIntermediate(t, testpki.WithCN("Below PathLen 0"))
	serverOnly := root65.MLDSAIntermediate(t, testpki.WithCN("Server-only CA"),
		testpki.WithModify(func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} }))
	clientCA := root65.MLDSAIntermediate(t, testpki.WithCN("Client CA"),
		testpki.WithModify(func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth} }))
	constrained := root65.MLDSAIntermediate(t, testpki.WithCN("Name-constrained CA"),
		testpki.WithModify(func(c *x509.Certificate) { c.PermittedDNSDomains = []string{"example.com"} }))
	critical := root65.MLDSAIntermediate(t, testpki.WithCN("Unknown critical extension"),
		testpki.WithModify(func(c *x509.Certificate) {
			c.ExtraExtensions = []pkix.Extension{{Id: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 99999, 1}, Critical: true, Value: []byte{5, 0}}}
		}))
	impostor := testpki.NewMLDSACA(t) // root65's name, another key
	impostor44 := testpki.NewMLDSACA(t, ml(testpki.MLDSA44), testpki.WithCN("Test ML-DSA Root CA"))

	// Six ML-DSA intermediates in a row: one more than a path may hold.
	long := []*testpki.CA{root65}
	for range 6 {
		long = append(long, long[len(long)-1].MLDSAIntermediate(t))
	}
	var longBag []*x509.Certificate
	for _, ca := range long[1:] {
		longBag = append(longBag, ca.Cert)
	}
	// Unordered, with the leaf and unrelated certificates.
	leaf87 := ml44Under87.MLDSALeaf(t, ml(testpki.MLDSA87))
	sanLeaf := func(ca *testpki.CA) *x509.Certificate {
		return ca.MLDSALeaf(t, testpki.WithModify(func(c *x509.Certificate) { c.DNSNames = []string{"host.example.com"} })).Cert
	}

	return []pathCase{
		{name: "ok/ml-dsa-44 root to leaf", leaf: root44.MLDSALeaf(t, ml(testpki.MLDSA44)).Cert, anchors: certs(root44.Cert), wantLen: 2},
		{name: "ok/ml-dsa-65 root to leaf", leaf: root65.MLDSALeaf(t).Cert, anchors: certs(root65.Cert), wantLen: 2},
		{name: "ok/ml-dsa-87 root to leaf", leaf: root87.MLDSALeaf(t, ml(testpki.MLDSA87)).Cert, anchors: certs(root87.Cert), wantLen: 2},
		{name: "ok/ml-dsa-87 root to ecdsa leaf", leaf: root87.MLDSALeaf(t, ml(testpki.ECP384)).Cert, anchors: certs(root87.Cert), wantLen: 2},
		{name: "ok/ml-dsa root, rsa intermediate, ecdsa leaf", leaf: rsaUnderML.Leaf(t, ml(testpki.ECP256)).Cert, bag: certs(rsaUnderML.Cert), anchors: certs(root65.Cert), wantLen: 3},
		{name: "ok/rsa root to ml-dsa leaf", leaf: rsaRoot.MLDSALeaf(t).Cert, anchors: certs(rsaRoot.Cert), wantLen: 2},
		{name: "ok/mixed intermediates in any order", leaf: mixedLeaf.Cert, bag: certs(ml44Under87.Cert, rsaUnder44.Cert, mixedLeaf.Cert, root44.Cert, ml87UnderEC.Cert), anchors: certs(ecRoot.Cert), wantLen: 5},
		{name: "ok/ml-dsa intermediate as anchor", leaf: leaf87.Cert, anchors: certs(ml44Under87.Cert), wantLen: 2},
		{name: "ok/second anchor certificate", leaf: root65.MLDSALeaf(t).Cert, anchors: certs(rsaRoot.Cert, root65.Cert), wantLen: 2},
		{name: "ok/rsa leaf beside an ml-dsa anchor", leaf: rsaRoot.Leaf(t).Cert, anchors: certs(root65.Cert, rsaRoot.Cert), wantLen: 2},
		{name: "ok/validity window of a short-lived intermediate", leaf: shortInter.MLDSALeaf(t).Cert, bag: certs(shortInter.Cert), anchors: certs(root65.Cert), wantLen: 3},
		{name: "ok/intermediate restricted to clientAuth", leaf: clientCA.MLDSALeaf(t).Cert, bag: certs(clientCA.Cert), anchors: certs(root65.Cert), wantLen: 3},
		{name: "ok/name constraints, leaf without subjectAltName", leaf: constrained.MLDSALeaf(t).Cert, bag: certs(constrained.Cert), anchors: certs(root65.Cert), wantLen: 3},
		{name: "ok/five intermediates", leaf: long[5].MLDSALeaf(t).Cert, bag: longBag, anchors: certs(root65.Cert), wantLen: 7},

		{name: "error/expired ml-dsa intermediate", leaf: expiredInter.MLDSALeaf(t).Cert, bag: certs(expiredInter.Cert), anchors: certs(root65.Cert), wantReason: ReasonExpired},
		{name: "error/ml-dsa intermediate not yet valid", leaf: futureInter.MLDSALeaf(t).Cert, bag: certs(futureInter.Cert), anchors: certs(root65.Cert), wantReason: ReasonNotYetValid},
		{name: "error/expired ml-dsa leaf", leaf: root65.MLDSALeaf(t, past).Cert, anchors: certs(root65.Cert), wantReason: ReasonExpired},
		{name: "error/ml-dsa leaf not yet valid", leaf: root65.MLDSALeaf(t, future).Cert, anchors: certs(root65.Cert), wantReason: ReasonNotYetValid},
		{name: "error/forged ml-dsa leaf signature", leaf: forge(t, root65.MLDSALeaf(t).Cert), anchors: certs(root65.Cert), wantReason: ReasonUntrusted},
		{name: "error/forged ml-dsa intermediate signature", leaf: rsaUnderML.Leaf(t).Cert, bag: certs(forge(t, rsaUnderML.Cert)), anchors: certs(root65.Cert), wantReason: ReasonUntrusted},
		{name: "error/forged signature on an ml-dsa leaf under rsa", leaf: forge(t, rsaRoot.MLDSALeaf(t).Cert), anchors: certs(rsaRoot.Cert), wantReason: ReasonUntrusted},
		{name: "error/same-name impostor ml-dsa CA", leaf: impostor.MLDSALeaf(t).Cert, anchors: certs(root65.Cert), wantReason: ReasonUntrusted},
		{name: "error/same-name CA of another parameter set", leaf: impostor44.MLDSALeaf(t).Cert, anchors: certs(root65.Cert), wantReason: ReasonUntrusted},
		{name: "error/missing intermediate under an ml-dsa root", leaf: rsaUnderML.Leaf(t).Cert, anchors: certs(root65.Cert), wantReason: ReasonUntrusted},
		{name: "error/other ml-dsa CA", leaf: root44.MLDSALeaf(t).Cert, anchors: certs(root87.Cert), wantReason: ReasonUntrusted},
		{name: "error/ml-dsa CA without keyCertSign", leaf: noCertSign.MLDSALeaf(t).Cert, bag: certs(noCertSign.Cert), anchors: certs(root65.Cert), wantReason: ReasonIntermediateUsage},
		{name: "error/ml-dsa issuer not a CA", leaf: notCA.MLDSALeaf(t).Cert, bag: certs(notCA.Cert), anchors: certs(root65.Cert), wantReason: ReasonIntermediateUsage},
		{name: "error/path length exceeded", leaf: belowPathLen0.MLDSALeaf(t).Cert, bag: certs(belowPathLen0.Cert, pathLen0.Cert), anchors: certs(root65.Cert), wantReason: ReasonPathLength},
		{name: "error/six intermediates", leaf: long[6].MLDSALeaf(t).Cert, bag: longBag, anchors: certs(root65.Cert), wantReason: ReasonPathLength},
		{name: "error/intermediate for servers only", leaf: serverOnly.MLDSALeaf(t).Cert, bag: certs(serverOnly.Cert), anchors: certs(root65.Cert), wantReason: ReasonLeafExtKeyUsage},
		{name: "error/ml-dsa leaf for servers only", leaf: root65.MLDSALeaf(t, testpki.WithModify(func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} })).Cert, anchors: certs(root65.Cert), wantReason: ReasonLeafExtKeyUsage},
		{name: "error/ml-dsa leaf without digitalSignature", leaf: root65.MLDSALeaf(t, testpki.WithModify(func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageKeyEncipherment })).Cert, anchors: certs(root65.Cert), wantReason: ReasonLeafKeyUsage},
		{name: "error/ml-dsa leaf is a CA", leaf: pathLen0.Cert, anchors: certs(root65.Cert), wantReason: ReasonLeafIsCA},
		{name: "error/name constraints, leaf with subjectAltName", leaf: sanLeaf(constrained), bag: certs(constrained.Cert), anchors: certs(root65.Cert), wantReason: ReasonInvalid},
		{name: "error/unhandled critical extension", leaf: critical.MLDSALeaf(t).Cert, bag: certs(critical.Cert), anchors: certs(root65.Cert), wantReason: ReasonInvalid},
	}
}

func TestVerifyPathMLDSA(t *testing.T) {
	now := time.Now()
	for _, tt := range mldsaPathCases(t, now) {
		t.Run(tt.name, func(t *testing.T) {
			p, err := VerifyPath(tt.leaf, tt.bag, tt.anchors, now)
			checkPathCase(t, tt, now, p, err)
			if err != nil {
				t.Logf("%s: %s", err.Reason, err.Detail)
				return
			}
			for i, c := range p.Certs[:len(p.Certs)-1] {
				if err := checkSignature(c, p.Certs[i+1]); err != nil {
					t.Errorf("certificate %d of the path (%q) is not signed by the next: %v", i, c.Subject, err)
				}
			}
		})
	}
}

// TestVerifyPathDetails pins the diagnostics of refusals specific to
// ML-DSA, beyond their reason codes.
func TestVerifyPathDetails(t *testing.T) {
	now := time.Now()
	root := testpki.NewMLDSACA(t)
	short := root.MLDSAIntermediate(t, testpki.WithValidity(now.Add(-2*time.Hour), now.Add(2*time.Hour)))
	leaf := short.MLDSALeaf(t)
	p, err := VerifyPath(leaf.Cert, certs(short.Cert), certs(root.Cert), now)
	if err != nil {
		t.Fatalf("refused: %v", err)
	}
	if !p.NotBefore.Equal(leaf.Cert.NotBefore) || !p.NotAfter.Equal(short.Cert.NotAfter) {
		t.Errorf("validity window [%v, %v], want [%v, %v]", p.NotBefore, p.NotAfter, leaf.Cert.NotBefore, short.Cert.NotAfter)
	}

	tests := map[string]struct {
		leaf       *x509.Certificate
		wantDetail string
	}{
		"error/forged signature": {leaf: forge(t, root.MLDSALeaf(t).Cert), wantDetail: "the ML-DSA-65 signature does not verify"},
		"error/key of another parameter set": {leaf: testpki.NewMLDSACA(t, testpki.WithKeyType(testpki.MLDSA87), testpki.WithCN("Test ML-DSA Root CA")).MLDSALeaf(t).Cert,
			wantDetail: "signed with ML-DSA-87, but the issuer's key is ML-DSA-65"},
		"error/classical signature, ml-dsa issuer key": {leaf: testpki.NewCA(t, testpki.WithCN("Test ML-DSA Root CA")).Leaf(t).Cert,
			wantDetail: "signed with ECDSA-SHA256, but the issuer's key is ML-DSA-65"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := VerifyPath(tc.leaf, nil, certs(root.Cert), now)
			if err == nil || err.Reason != ReasonUntrusted || !strings.Contains(err.Detail, tc.wantDetail) {
				t.Fatalf("got %v, want %s mentioning %q", err, ReasonUntrusted, tc.wantDetail)
			}
		})
	}
}

// TestBuildPathMatchesX509 runs the ML-DSA path builder on the paths
// crypto/x509 verifies: both must reach the same verdict.
func TestBuildPathMatchesX509(t *testing.T) {
	now := time.Now()
	for _, tt := range classicalPathCases(t, now) {
		t.Run(tt.name, func(t *testing.T) {
			want, wantErr := VerifyPath(tt.leaf, tt.bag, tt.anchors, now)
			var got *Path
			err := CheckLeaf(tt.leaf)
			if err == nil {
				got, err = buildPath(tt.leaf, tt.bag, tt.anchors, now)
			}
			switch {
			case (err == nil) != (wantErr == nil):
				t.Fatalf("buildPath: %v; crypto/x509: %v", err, wantErr)
			case err != nil && err.Reason != wantErr.Reason:
				t.Fatalf("buildPath refused with %s (%s); crypto/x509 with %s (%s)", err.Reason, err.Detail, wantErr.Reason, wantErr.Detail)
			case err == nil && !slices.EqualFunc(got.Certs, want.Certs, (*x509.Certificate).Equal):
				t.Fatalf("buildPath found a path of %d certificates, crypto/x509 one of %d", len(got.Certs), len(want.Certs))
			}
			checkPathCase(t, tt, now, got, err)
		})
	}
}

func TestParseAnchorBundleMLDSA(t *testing.T) {
	root44 := testpki.NewMLDSACA(t, testpki.WithKeyType(testpki.MLDSA44))
	root65 := testpki.NewMLDSACA(t)
	root87 := testpki.NewMLDSACA(t, testpki.WithKeyType(testpki.MLDSA87))
	rsaRoot := testpki.NewCA(t, testpki.WithKeyType(testpki.RSA2048))
	mlInterUnderRSA := rsaRoot.MLDSAIntermediate(t)
	noCertSign := testpki.NewMLDSACA(t, testpki.WithModify(func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageCRLSign }))
	tests := []struct {
		name, data, wantErr string
		want                int
	}{
		{name: "ok/ml-dsa-44", data: string(testpki.PEM(root44.Cert)), want: 1},
		{name: "ok/ml-dsa-65", data: string(testpki.PEM(root65.Cert)), want: 1},
		{name: "ok/ml-dsa-87", data: string(testpki.PEM(root87.Cert)), want: 1},
		{name: "ok/rotation from rsa to ml-dsa", data: string(testpki.PEM(rsaRoot.Cert, root65.Cert)), want: 2},
		{name: "ok/ml-dsa intermediate under rsa", data: string(testpki.PEM(mlInterUnderRSA.Cert)), want: 1},
		{name: "error/ml-dsa leaf", data: string(testpki.PEM(root65.MLDSALeaf(t).Cert)), wantErr: "not a CA"},
		{name: "error/ml-dsa CA without keyCertSign", data: string(testpki.PEM(noCertSign.Cert)), wantErr: "keyCertSign"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAnchorBundle(tt.data)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != tt.want {
				t.Fatalf("got %d certificates, %v; want %d", len(got), err, tt.want)
			}
		})
	}
}

func TestCheckCACertificateKeys(t *testing.T) {
	root := testpki.NewMLDSACA(t)
	withSPKI := func(alg asn1.ObjectIdentifier, params []byte, key []byte) *x509.Certificate {
		c := *root.Cert
		ai := pkix.AlgorithmIdentifier{Algorithm: alg}
		if params != nil {
			ai.Parameters = asn1.RawValue{FullBytes: params}
		}
		der, err := asn1.Marshal(struct {
			Algorithm pkix.AlgorithmIdentifier
			PublicKey asn1.BitString
		}{ai, asn1.BitString{Bytes: key, BitLength: 8 * len(key)}})
		if err != nil {
			t.Fatal(err)
		}
		c.RawSubjectPublicKeyInfo = der
		return &c
	}
	key65 := root.Key.Public().(interface{ MarshalBinary() ([]byte, error) })
	raw, err := key65.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	ml44 := asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 17}
	ml65 := asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}
	tests := map[string]struct {
		cert    *x509.Certificate
		wantErr string
	}{
		"ok/ml-dsa-65":             {cert: root.Cert},
		"error/wrong key size":     {cert: withSPKI(ml44, nil, raw), wantErr: "malformed ML-DSA-44 public key"},
		"error/parameters present": {cert: withSPKI(ml65, asn1.NullBytes, raw), wantErr: "parameters"},
		"error/unknown algorithm":  {cert: withSPKI(asn1.ObjectIdentifier{1, 3, 101, 113}, nil, raw[:57]), wantErr: "unsupported algorithm"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := CheckCACertificate(tc.cert)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error %v, want it to mention %q", err, tc.wantErr)
			}
		})
	}
}

func TestRevocationsMLDSA(t *testing.T) {
	now := time.Now()
	root := testpki.NewMLDSACA(t, testpki.WithKeyType(testpki.MLDSA87))
	inter := root.MLDSAIntermediate(t, testpki.WithKeyType(testpki.MLDSA44))
	leaf := inter.MLDSALeaf(t)
	sibling := inter.MLDSALeaf(t)
	rsaRoot := testpki.NewCA(t, testpki.WithKeyType(testpki.RSA2048))
	impostor := testpki.NewMLDSACA(t, testpki.WithKeyType(testpki.MLDSA87), testpki.WithCN("Test ML-DSA Root CA"))
	noCRLSign := testpki.NewMLDSACA(t, testpki.WithCN("No cRLSign"), testpki.WithModify(func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageCertSign }))

	interCRL := inter.CRL(t, now, leaf.Cert.SerialNumber)
	rootCRL := root.CRL(t, now, inter.Cert.SerialNumber)
	for _, data := range [][]byte{rootCRL.Raw, pemCRL(rootCRL)} {
		if _, err := ParseCRL(data); err != nil {
			t.Errorf("ParseCRL of an ML-DSA CRL: %v", err)
		}
	}
	forged, err := x509.ParseRevocationList(forgeCRL(rootCRL))
	if err != nil {
		t.Fatal(err)
	}

	issuers := map[string]struct {
		crl     *x509.RevocationList
		anchors []*x509.Certificate
		want    *x509.Certificate
	}{
		"ok/ml-dsa-87 root":                  {crl: rootCRL, anchors: certs(rsaRoot.Cert, root.Cert), want: root.Cert},
		"ok/ml-dsa-44 intermediate anchor":   {crl: interCRL, anchors: certs(inter.Cert), want: inter.Cert},
		"ok/rsa CRL beside an ml-dsa anchor": {crl: rsaRoot.CRL(t, now), anchors: certs(root.Cert, rsaRoot.Cert), want: rsaRoot.Cert},
		"error/signed by the intermediate":   {crl: interCRL, anchors: certs(root.Cert)},
		"error/forged signature":             {crl: forged, anchors: certs(root.Cert)},
		"error/same-name impostor":           {crl: impostor.CRL(t, now), anchors: certs(root.Cert)},
		"error/issuer without cRLSign":       {crl: noCRLSign.CRL(t, now), anchors: certs(noCRLSign.Cert)},
	}
	for name, tc := range issuers {
		t.Run(name, func(t *testing.T) {
			got, err := CRLIssuer(tc.crl, tc.anchors)
			if tc.want == nil {
				if err == nil {
					t.Fatalf("CRL attributed to %q", got.Subject)
				}
				return
			}
			if err != nil || !got.Equal(tc.want) {
				t.Fatalf("CRLIssuer = %v, %v; want %q", got, err, tc.want.Subject)
			}
		})
	}

	// The revoked ML-DSA leaf is refused once its path is verified.
	var r Revocations
	r.Add(interCRL)
	p, verr := VerifyPath(leaf.Cert, certs(inter.Cert), certs(root.Cert), now)
	if verr != nil {
		t.Fatalf("path of the leaf: %v", verr)
	}
	if err := r.Check(p.Certs); err == nil || err.Reason != ReasonRevoked {
		t.Errorf("revoked ML-DSA leaf passed: %v", err)
	}
	p, verr = VerifyPath(sibling.Cert, certs(inter.Cert), certs(root.Cert), now)
	if verr != nil {
		t.Fatalf("path of the sibling: %v", verr)
	}
	if err := r.Check(p.Certs); err != nil {
		t.Errorf("sibling refused: %v", err)
	}
	var interRevoked Revocations
	interRevoked.Add(rootCRL)
	if err := interRevoked.Check(p.Certs); err == nil || err.Reason != ReasonRevoked {
		t.Errorf("path through a revoked ML-DSA intermediate passed: %v", err)
	}
}

// forgeCRL returns crl's DER with one byte of its signature flipped.
func forgeCRL(crl *x509.RevocationList) []byte {
	der := slices.Clone(crl.Raw)
	der[len(der)-len(crl.Signature)/2] ^= 0x01
	return der
}

// TestSigningHelperFixture checks the ML-DSA-65 certificate of the
// aws_signing_helper fixtures: a self-signed CA:TRUE certificate with an
// empty subject. Its signature, made by another implementation, verifies;
// it may be a trust anchor, but as a leaf it is refused like any CA
// certificate.
func TestSigningHelperFixture(t *testing.T) {
	path := filepath.Join(testenv.SharedDir(t), "testdata", "signing-helper-vectors", "mldsa65", "leaf-cert.pem")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Skipf("fixture absent: %v", err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !usesMLDSA(cert) {
		t.Fatal("the fixture is not recognised as an ML-DSA certificate")
	}
	if err := checkSignature(cert, cert); err != nil {
		t.Fatalf("self-signature: %v", err)
	}
	if _, err := ParseAnchorBundle(string(data)); err != nil {
		t.Errorf("as a trust anchor: %v", err)
	}
	now := cert.NotBefore.Add(time.Hour)
	_, verr := VerifyPath(cert, nil, certs(cert), now)
	if verr == nil || verr.Reason != ReasonLeafIsCA {
		t.Fatalf("as leaf and anchor: %v, want %s", verr, ReasonLeafIsCA)
	}
	t.Logf("as leaf and anchor: %s: %s", verr.Reason, verr.Detail)
}

// FuzzBuildPath feeds the path builder bags of arbitrary DER: the first
// certificate is the leaf, the last the anchor, the rest the bag. It must
// not panic, and a path it returns must be one.
func FuzzBuildPath(f *testing.F) {
	now := time.Now()
	root := testpki.NewMLDSACA(f)
	rsaInter := root.MLDSAIntermediate(f, testpki.WithKeyType(testpki.RSA2048))
	mlInter := rsaInter.MLDSAIntermediate(f, testpki.WithKeyType(testpki.MLDSA44))
	leaf := mlInter.MLDSALeaf(f)
	join := func(cs ...*x509.Certificate) []byte {
		var b []byte
		for _, c := range cs {
			b = append(b, c.Raw...)
		}
		return b
	}
	f.Add(join(leaf.Cert, mlInter.Cert, rsaInter.Cert, root.Cert), now.Unix())
	f.Add(join(leaf.Cert, rsaInter.Cert, mlInter.Cert, root.Cert), now.Unix())
	f.Add(join(root.MLDSALeaf(f, testpki.WithKeyType(testpki.MLDSA87)).Cert, root.Cert), now.Unix())
	f.Add(join(leaf.Cert, mlInter.Cert), now.Unix())
	f.Add(join(root.Cert), now.Unix())
	f.Add([]byte{0x30, 0x03, 0x02, 0x01, 0x00}, int64(0))
	f.Fuzz(func(t *testing.T, data []byte, unix int64) {
		var cs []*x509.Certificate
		for len(data) > 0 && len(cs) < 8 {
			var raw asn1.RawValue
			rest, err := asn1.Unmarshal(data, &raw)
			if err != nil {
				break
			}
			data = rest
			if c, err := x509.ParseCertificate(raw.FullBytes); err == nil {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			return
		}
		at := time.Unix(unix, 0)
		leaf, anchors := cs[0], cs[len(cs)-1:]
		var bag []*x509.Certificate
		if len(cs) > 2 {
			bag = cs[1 : len(cs)-1]
		}
		for _, verify := range []func() (*Path, *Error){
			func() (*Path, *Error) { return buildPath(leaf, bag, anchors, at) },
			func() (*Path, *Error) { return VerifyPath(leaf, bag, anchors, at) },
		} {
			p, err := verify()
			if err != nil {
				if err.Reason == "" || err.Detail == "" {
					t.Fatalf("refusal without reason or detail: %#v", err)
				}
				continue
			}
			if !p.Certs[0].Equal(leaf) || !slices.ContainsFunc(anchors, p.Anchor().Equal) {
				t.Fatal("the path does not run from the leaf to an anchor")
			}
			if at.Before(p.NotBefore) || at.After(p.NotAfter) {
				t.Fatalf("validity window [%v, %v] excludes %v", p.NotBefore, p.NotAfter, at)
			}
			for i, c := range p.Certs[:len(p.Certs)-1] {
				if err := checkSignature(c, p.Certs[i+1]); err != nil {
					t.Fatalf("certificate %d of the path is not signed by the next: %v", i, err)
				}
			}
		}
	})
}

// FuzzCheckSignature feeds arbitrary signed structures and public keys to
// the ML-DSA signature checks.
func FuzzCheckSignature(f *testing.F) {
	root := testpki.NewMLDSACA(f)
	leaf := root.MLDSALeaf(f)
	crl := root.CRL(f, time.Now(), big.NewInt(7))
	f.Add(leaf.Cert.Raw, root.Cert.RawSubjectPublicKeyInfo)
	f.Add(crl.Raw, root.Cert.RawSubjectPublicKeyInfo)
	f.Add(root.Cert.Raw, []byte{0x30, 0x00})
	f.Fuzz(func(t *testing.T, signed, spki []byte) {
		issuer := &x509.Certificate{Version: 3, BasicConstraintsValid: true, IsCA: true, RawSubjectPublicKeyInfo: spki}
		_ = checkSignature(&x509.Certificate{Raw: signed}, issuer)
		_ = checkCRLSignature(&x509.RevocationList{Raw: signed}, issuer)
		_ = usesMLDSA(&x509.Certificate{Raw: signed, RawSubjectPublicKeyInfo: spki})
		if err := CheckCACertificate(issuer); err == nil {
			if pub, _ := mldsaPublicKey(issuer); pub == nil {
				t.Fatal("CA certificate without a usable key accepted")
			}
		}
	})
}
