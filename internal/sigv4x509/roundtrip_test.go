package sigv4x509

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/mldsa"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"

	"github.com/roam-dev/roam/internal/sigv4"
	"github.com/roam-dev/roam/internal/testpki"
)

var roundTripTime = time.Date(2026, 11, 24, 5, 55, 53, 0, time.UTC)

const (
	testProfileARN = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/bbbbbbbb-1111-2222-3333-444444444444"
	testRoleARN    = "arn:aws:iam::123456789012:role/TestRole"
	testAnchorARN  = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/aaaaaaaa-1111-2222-3333-444444444444"
)

// createSessionRequest builds a CreateSession request as the helper does
// before signing.
func createSessionRequest(t testing.TB, endpoint string, body []byte) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, endpoint+"/sessions", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	q := r.URL.Query()
	q.Set("profileArn", testProfileARN)
	q.Set("roleArn", testRoleARN)
	q.Set("trustAnchorArn", testAnchorARN)
	r.URL.RawQuery = q.Encode()
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Amz-Sdk-Invocation-Id", "b9c1c2bc-e9cd-4ab0-a767-477861e7c424")
	r.Header.Set("Amz-Sdk-Request", "attempt=1; max=3")
	r.Header.Set("User-Agent", "CredHelper/1.8.0 (go1.26.8; linux; amd64)")
	r.Header.Set("X-Amzn-Trace-Id", "Root=1-00000000-000000000000000000000000")
	return r
}

func TestSignVerifyRoundTrip(t *testing.T) {
	body := []byte(`{"durationSeconds":900,"roleSessionName":"my-session.name@example"}`)
	type identity struct {
		id      Identity
		wantAlg string
	}
	build := func(kt testpki.KeyType, withChain bool) identity {
		ca := testpki.NewCA(t)
		issuer := ca
		var chain []*x509.Certificate
		if withChain {
			issuer = ca.Intermediate(t)
			chain = []*x509.Certificate{issuer.Cert}
		}
		leaf := issuer.Leaf(t, testpki.WithKeyType(kt))
		alg := AlgorithmECDSA
		if kt == testpki.RSA2048 {
			alg = AlgorithmRSA
		}
		return identity{Identity{Signer: leaf.Key, Certificate: leaf.Cert, Chain: chain}, alg}
	}
	tests := map[string]identity{
		"ok/rsa-2048":               build(testpki.RSA2048, false),
		"ok/rsa-2048 with chain":    build(testpki.RSA2048, true),
		"ok/ecdsa p-256":            build(testpki.ECP256, false),
		"ok/ecdsa p-256 with chain": build(testpki.ECP256, true),
		"ok/ecdsa p-384":            build(testpki.ECP384, false),
		"ok/ecdsa p-384 with chain": build(testpki.ECP384, true),
		"ok/ml-dsa-44":              {mldsaIdentity(t, 44), AlgorithmMLDSA},
		"ok/ml-dsa-65":              {mldsaIdentity(t, 65), AlgorithmMLDSA},
		"ok/ml-dsa-87":              {mldsaIdentity(t, 87), AlgorithmMLDSA},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := createSessionRequest(t, "http://127.0.0.1:18083", body)
			signed, err := Sign(r, body, tc.id, "us-east-1", roundTripTime)
			if err != nil {
				t.Fatal(err)
			}
			if signed.Algorithm != tc.wantAlg || !strings.HasPrefix(signed.Authorization, tc.wantAlg+" Credential="+tc.id.Certificate.SerialNumber.String()+"/20261124/us-east-1/rolesanywhere/aws4_request, SignedHeaders=") {
				t.Fatalf("Authorization %s", signed.Authorization)
			}
			wantSigned := "amz-sdk-invocation-id;amz-sdk-request;content-type;host;x-amz-date;x-amz-x509"
			if len(tc.id.Chain) > 0 {
				wantSigned += ";x-amz-x509-chain"
			}
			if !strings.Contains(signed.Authorization, "SignedHeaders="+wantSigned+", Signature=") {
				t.Fatalf("signed headers in %s, want %s", signed.Authorization, wantSigned)
			}
			raw := onTheWire(t, r)
			sr, sbody := readWire(t, raw)
			got, err := Verify(sr, sbody, VerifyOptions{Now: roundTripTime.Add(4 * time.Minute)})
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if got.Algorithm != tc.wantAlg || !got.Certificate.Equal(tc.id.Certificate) || len(got.Chain) != len(tc.id.Chain) ||
				got.Region != "us-east-1" || !got.SigningTime.Equal(roundTripTime) ||
				got.CanonicalRequest != signed.CanonicalRequest || got.StringToSign != signed.StringToSign {
				t.Fatalf("verified %+v", got)
			}
			for i := range got.Chain {
				if !got.Chain[i].Equal(tc.id.Chain[i]) {
					t.Fatalf("chain[%d] differs", i)
				}
			}
			checkTampering(t, raw)
		})
	}
}

// TestSignPathPrefix: like the helper, Sign covers /sessions even when the
// endpoint has a path prefix, and Verify's default accepts it.
func TestSignPathPrefix(t *testing.T) {
	leaf := testpki.NewCA(t).Leaf(t)
	body := []byte(`{"durationSeconds":3600}`)
	r := createSessionRequest(t, "http://127.0.0.1:18205/prefix", body)
	signed, err := Sign(r, body, Identity{Signer: leaf.Key, Certificate: leaf.Cert}, "us-east-1", roundTripTime)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(signed.CanonicalRequest, "POST\n/sessions\n") || r.URL.Path != "/prefix/sessions" {
		t.Fatalf("canonical request %q for path %q", signed.CanonicalRequest, r.URL.Path)
	}
	sr, sbody := readWire(t, onTheWire(t, r))
	if _, err := Verify(sr, sbody, VerifyOptions{Now: roundTripTime}); err != nil {
		t.Fatal(err)
	}
}

// TestVerifyChain covers X-Amz-X509-Chain as a bag: repeats of the leaf and
// unrelated certificates are fine, more than five entries are not.
func TestVerifyChain(t *testing.T) {
	ca := testpki.NewCA(t)
	inter := ca.Intermediate(t)
	leaf := inter.Leaf(t)
	unrelated := testpki.NewCA(t).Cert
	body := []byte(`{"durationSeconds":3600}`)
	tests := map[string]struct {
		chain []*x509.Certificate
		want  Reason
	}{
		"ok/one intermediate":              {chain: []*x509.Certificate{inter.Cert}},
		"ok/leaf twice and unrelated":      {chain: []*x509.Certificate{leaf.Cert, leaf.Cert, unrelated}},
		"ok/five entries":                  {chain: []*x509.Certificate{inter.Cert, ca.Cert, unrelated, leaf.Cert, inter.Cert}},
		"error/chain too long (6 entries)": {chain: []*x509.Certificate{inter.Cert, ca.Cert, unrelated, leaf.Cert, inter.Cert, ca.Cert}, want: ReasonChainTooLong},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := createSessionRequest(t, "http://127.0.0.1:18083", body)
			if _, err := Sign(r, body, Identity{Signer: leaf.Key, Certificate: leaf.Cert, Chain: tc.chain}, "us-east-1", roundTripTime); err != nil {
				t.Fatal(err)
			}
			sr, sbody := readWire(t, onTheWire(t, r))
			got, err := Verify(sr, sbody, VerifyOptions{Now: roundTripTime})
			if tc.want != "" {
				var e *Error
				if !errors.As(err, &e) || e.Reason != tc.want || e.PublicMessage() != MessageUntrustedCertificate {
					t.Fatalf("error %v, want %s", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Chain) != len(tc.chain) {
				t.Fatalf("chain of %d, want %d", len(got.Chain), len(tc.chain))
			}
		})
	}
}

func TestVerifyOptions(t *testing.T) {
	leaf := testpki.NewCA(t).Leaf(t)
	body := []byte(`{"durationSeconds":3600}`)
	r := createSessionRequest(t, "http://127.0.0.1:18083", body)
	if _, err := Sign(r, body, Identity{Signer: leaf.Key, Certificate: leaf.Cert}, "us-east-1", roundTripTime); err != nil {
		t.Fatal(err)
	}
	raw := onTheWire(t, r)
	tests := map[string]struct {
		opts VerifyOptions
		want Reason
		bad  bool
	}{
		"ok/default skew edge":      {opts: VerifyOptions{Now: roundTripTime.Add(DefaultMaxSkew)}},
		"ok/wider skew":             {opts: VerifyOptions{Now: roundTripTime.Add(14 * time.Minute), MaxSkew: 15 * time.Minute}},
		"error/default skew":        {opts: VerifyOptions{Now: roundTripTime.Add(DefaultMaxSkew + time.Second)}, want: ReasonDateSkew},
		"error/narrower skew":       {opts: VerifyOptions{Now: roundTripTime.Add(2 * time.Minute), MaxSkew: time.Minute}, want: ReasonDateSkew},
		"error/other canonical URI": {opts: VerifyOptions{Now: roundTripTime, CanonicalURI: "/prefix/sessions"}, want: ReasonSignatureInvalid},
		"error/no clock":            {opts: VerifyOptions{}, bad: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			sr, sbody := readWire(t, raw)
			_, err := Verify(sr, sbody, tc.opts)
			switch {
			case tc.bad:
				var e *Error
				if err == nil || errors.As(err, &e) {
					t.Fatalf("error %v, want a plain usage error", err)
				}
			case tc.want != "":
				if !errors.Is(err, tc.want) {
					t.Fatalf("error %v, want %s", err, tc.want)
				}
				if tc.want == ReasonDateSkew && !strings.Contains(err.Error(), "away from now") {
					t.Fatalf("detail lacks the skew: %v", err)
				}
			case err != nil:
				t.Fatal(err)
			}
		})
	}
}

func TestSignErrors(t *testing.T) {
	leaf := testpki.NewCA(t).Leaf(t)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	tests := map[string]Identity{
		"error/no signer":       {Certificate: leaf.Cert},
		"error/no certificate":  {Signer: leaf.Key},
		"error/unsupported key": {Signer: edKey, Certificate: leaf.Cert},
		"error/signer fails":    {Signer: failingSigner{leaf.Key}, Certificate: leaf.Cert},
	}
	for name, id := range tests {
		t.Run(name, func(t *testing.T) {
			r := createSessionRequest(t, "http://127.0.0.1:18083", nil)
			if _, err := Sign(r, nil, id, "us-east-1", roundTripTime); err == nil {
				t.Fatal("signed")
			}
			if r.Header.Get("Authorization") != "" {
				t.Fatal("Authorization set despite the error")
			}
		})
	}
}

type failingSigner struct{ crypto.Signer }

func (failingSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("token removed")
}

func TestAlgorithmFor(t *testing.T) {
	mlPub44, _, _ := mldsa44.GenerateKey(rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	tests := map[string]struct {
		pub  crypto.PublicKey
		want string
	}{
		"ok/rsa":         {pub: testpki.Key(t, testpki.RSA2048).Public(), want: AlgorithmRSA},
		"ok/ecdsa p-256": {pub: testpki.Key(t, testpki.ECP256).Public(), want: AlgorithmECDSA},
		"ok/ecdsa p-384": {pub: testpki.Key(t, testpki.ECP384).Public(), want: AlgorithmECDSA},
		"ok/ml-dsa-44":   {pub: mlPub44, want: AlgorithmMLDSA},
		"error/ed25519":  {pub: edKey.Public()},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := AlgorithmFor(tc.pub)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("got %s", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %s, %v", got, err)
			}
		})
	}
}

// mldsaIdentity builds an ML-DSA key and a certificate for it. crypto/x509
// cannot create certificates for ML-DSA keys, so the TBSCertificate is
// assembled here and signed by an ECDSA test CA.
func mldsaIdentity(t testing.TB, level int) Identity {
	t.Helper()
	var (
		signer crypto.Signer
		pubRaw []byte
		oid    asn1.ObjectIdentifier
	)
	switch level {
	case 44:
		pk, sk, err := mldsa44.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		signer, pubRaw, oid = sk, pk.Bytes(), mldsa.OID44
	case 65:
		pk, sk, err := mldsa65.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		signer, pubRaw, oid = sk, pk.Bytes(), mldsa.OID65
	case 87:
		pk, sk, err := mldsa87.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		signer, pubRaw, oid = sk, pk.Bytes(), mldsa.OID87
	}
	ca := testpki.NewCA(t, testpki.WithKeyType(testpki.ECP256))
	ecdsaWithSHA256 := pkix.AlgorithmIdentifier{Algorithm: asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}}
	subject, err := asn1.Marshal(pkix.Name{CommonName: "ml-dsa client"}.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	type spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	type validity struct{ NotBefore, NotAfter time.Time }
	tbs := struct {
		Version   int `asn1:"explicit,tag:0"`
		Serial    *big.Int
		Signature pkix.AlgorithmIdentifier
		Issuer    asn1.RawValue
		Validity  validity
		Subject   asn1.RawValue
		SPKI      spki
	}{
		Version:   2,
		Serial:    testpki.RandomSerial(t),
		Signature: ecdsaWithSHA256,
		Issuer:    asn1.RawValue{FullBytes: ca.Cert.RawSubject},
		Validity:  validity{roundTripTime.Add(-time.Hour), roundTripTime.Add(24 * time.Hour)},
		Subject:   asn1.RawValue{FullBytes: subject},
		SPKI:      spki{Algorithm: pkix.AlgorithmIdentifier{Algorithm: oid}, PublicKey: asn1.BitString{Bytes: pubRaw, BitLength: 8 * len(pubRaw)}},
	}
	tbsDER, err := asn1.Marshal(tbs)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(tbsDER)
	sig, err := ecdsa.SignASN1(rand.Reader, ca.Key.(*ecdsa.PrivateKey), digest[:])
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(struct {
		TBS       asn1.RawValue
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}{asn1.RawValue{FullBytes: tbsDER}, ecdsaWithSHA256, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("parse ML-DSA certificate: %v", err)
	}
	if err := cert.CheckSignatureFrom(ca.Cert); err != nil {
		t.Fatalf("ML-DSA certificate signature: %v", err)
	}
	return Identity{Signer: signer, Certificate: cert}
}

func TestPublicKey(t *testing.T) {
	ml := mldsaIdentity(t, 65)
	rsaLeaf := testpki.NewCA(t).Leaf(t, testpki.WithKeyType(testpki.RSA2048))
	withSPKI := func(c *x509.Certificate, spki []byte) *x509.Certificate {
		cp := *c
		cp.PublicKey = nil
		cp.RawSubjectPublicKeyInfo = spki
		return &cp
	}
	mlSPKI := ml.Certificate.RawSubjectPublicKeyInfo
	tests := map[string]struct {
		cert    *x509.Certificate
		wantErr bool
	}{
		"ok/rsa from crypto/x509": {cert: rsaLeaf.Cert},
		"ok/ml-dsa-65":            {cert: ml.Certificate},
		"error/trailing data":     {cert: withSPKI(ml.Certificate, append(append([]byte{}, mlSPKI...), 0)), wantErr: true},
		"error/truncated":         {cert: withSPKI(ml.Certificate, mlSPKI[:len(mlSPKI)-1]), wantErr: true},
		"error/unknown algorithm": {cert: withSPKI(rsaLeaf.Cert, mustMarshalSPKI(t, asn1.ObjectIdentifier{1, 2, 3}, nil, []byte{1})), wantErr: true},
		"error/parameters present": {cert: withSPKI(ml.Certificate, mustMarshalSPKI(t, mldsa.OID65, asn1.NullBytes,
			ml.Signer.Public().(*mldsa65.PublicKey).Bytes())), wantErr: true},
		"error/wrong key size": {cert: withSPKI(ml.Certificate, mustMarshalSPKI(t, mldsa.OID44, nil,
			ml.Signer.Public().(*mldsa65.PublicKey).Bytes())), wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			pub, err := PublicKey(tc.cert)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %T", pub)
				}
				return
			}
			if err != nil || pub == nil {
				t.Fatalf("got %T, %v", pub, err)
			}
		})
	}
}

func mustMarshalSPKI(t testing.TB, oid asn1.ObjectIdentifier, params, key []byte) []byte {
	t.Helper()
	alg := pkix.AlgorithmIdentifier{Algorithm: oid}
	if params != nil {
		alg.Parameters = asn1.RawValue{FullBytes: params}
	}
	der, err := asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}{alg, asn1.BitString{Bytes: key, BitLength: 8 * len(key)}})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// TestVerifyQueryForms: a repeated query name is canonicalised sorted by
// value by SigV4 but in request order by the helper; both must verify.
func TestVerifyQueryForms(t *testing.T) {
	leaf := testpki.NewCA(t).Leaf(t)
	body := []byte(`{"durationSeconds":3600}`)
	tests := map[string]struct {
		rawQuery string
		// sigv4Form signs SigV4's canonical query instead of the helper's.
		sigv4Form bool
	}{
		"ok/helper form, repeated name in request order": {rawQuery: "roleArn=b&roleArn=a&profileArn=p"},
		"ok/sigv4 form, repeated name sorted by value":   {rawQuery: "roleArn=b&roleArn=a&profileArn=p", sigv4Form: true},
		"ok/distinct names":                              {rawQuery: "trustAnchorArn=t&profileArn=p%20q&roleArn=r"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := createSessionRequest(t, "http://127.0.0.1:18083", body)
			r.URL.RawQuery = tc.rawQuery
			signed, err := Sign(r, body, Identity{Signer: leaf.Key, Certificate: leaf.Cert}, "us-east-1", roundTripTime)
			if err != nil {
				t.Fatal(err)
			}
			if tc.sigv4Form {
				// Re-sign the same canonical request with SigV4's query
				// form, as a generic SigV4-X509 client (Envoy) would.
				std, err := sigv4.CanonicalQuery(tc.rawQuery)
				if err != nil {
					t.Fatal(err)
				}
				helper, _ := helperQuery(tc.rawQuery)
				if std == helper {
					t.Fatalf("test needs a query whose two forms differ, got %q", std)
				}
				cr := strings.Replace(signed.CanonicalRequest, "\n"+helper+"\n", "\n"+std+"\n", 1)
				a, _ := sigv4.ParseAuthorization(signed.Authorization)
				sts := sigv4.StringToSign(a.Algorithm, sigv4.FormatTime(roundTripTime), a.Scope, cr)
				sig, err := signStringToSign(leaf.Key, a.Algorithm, sts)
				if err != nil {
					t.Fatal(err)
				}
				a.Signature = hex.EncodeToString(sig)
				r.Header.Set("Authorization", a.String())
			}
			sr, sbody := readWire(t, onTheWire(t, r))
			if _, err := Verify(sr, sbody, VerifyOptions{Now: roundTripTime}); err != nil {
				t.Fatal(err)
			}
			// Changing the order of the repeated values still breaks it in
			// the helper form, since that form signs request order.
			if strings.Contains(tc.rawQuery, "roleArn=b&roleArn=a") && !tc.sigv4Form {
				sr.URL.RawQuery = strings.Replace(tc.rawQuery, "roleArn=b&roleArn=a", "roleArn=a&roleArn=b", 1)
				if _, err := Verify(sr, sbody, VerifyOptions{Now: roundTripTime}); !errors.Is(err, ReasonSignatureInvalid) {
					t.Fatalf("reordered values: %v", err)
				}
			}
		})
	}
}
