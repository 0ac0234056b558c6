package sigv4x509

import (
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/roam-dev/roam/internal/testenv"
)

// FuzzVerify feeds arbitrary header values, query and body to Verify,
// starting from real captured requests: it must return nil or an *Error,
// never panic.
func FuzzVerify(f *testing.F) {
	root := testenv.Vectors(f)
	for _, dir := range []string{"rsa2048/run1", "ecdsa-p256/run1", "rsa2048-with-intermediate/run1", "pkcs11-softhsm/ec-cert-and-key-in-token"} {
		for _, v := range loadVectors(f, filepath.Join(root, dir)) {
			r, body := v.request(f)
			f.Add(r.Header.Get("Authorization"), r.Header.Get(HeaderDate), r.Header.Get(HeaderX509),
				r.Header.Get(HeaderChain), r.URL.RawQuery, string(body), r.Header.Get("Amz-Sdk-Request"))
		}
	}
	f.Add("AWS4-X509-RSA-SHA256 Credential=1/20261124/us-east-1/rolesanywhere/aws4_request, SignedHeaders=host;x-amz-x509;x-amz-x509-chain, Signature=00",
		"20261124T055553Z", "MIIB", ",,,,", "a=%zz", "", "")
	f.Add("", "", "", "", "", "", "")

	f.Fuzz(func(t *testing.T, authz, amzDate, x509Header, chain, rawQuery, body, sdkRequest string) {
		r := &http.Request{
			Method:        http.MethodPost,
			URL:           &url.URL{Path: "/sessions", RawQuery: rawQuery},
			Host:          "127.0.0.1:18083",
			Header:        http.Header{},
			ContentLength: int64(len(body)),
		}
		set := func(k, v string) {
			if v != "" {
				r.Header[k] = []string{v}
			}
		}
		set("Authorization", authz)
		set(HeaderDate, amzDate)
		set(HeaderX509, x509Header)
		set(HeaderChain, chain)
		set("Amz-Sdk-Request", sdkRequest)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("Amz-Sdk-Invocation-Id", "b9c1c2bc-e9cd-4ab0-a767-477861e7c424")

		_, err := Verify(r, []byte(body), VerifyOptions{Now: roundTripTime})
		var e *Error
		if err != nil && !errors.As(err, &e) {
			t.Fatalf("error that is not an *Error: %v", err)
		}
		if e != nil && (e.Reason == "" || e.PublicMessage() == "") {
			t.Fatalf("error without a reason or public message: %v", err)
		}
	})
}

// FuzzPublicKey feeds arbitrary SubjectPublicKeyInfo bytes to the ML-DSA
// key decoder (crypto/x509 leaves those keys to us).
func FuzzPublicKey(f *testing.F) {
	f.Add(mldsaIdentity(f, 44).Certificate.RawSubjectPublicKeyInfo)
	f.Add(mldsaIdentity(f, 65).Certificate.RawSubjectPublicKeyInfo)
	f.Add(mldsaIdentity(f, 87).Certificate.RawSubjectPublicKeyInfo)
	f.Add([]byte{0x30, 0x03, 0x06, 0x01, 0x00})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, spki []byte) {
		pub, err := PublicKey(&x509.Certificate{RawSubjectPublicKeyInfo: spki})
		if err != nil {
			return
		}
		if alg, err := AlgorithmFor(pub); err != nil || alg != AlgorithmMLDSA {
			t.Fatalf("decoded %T, algorithm %q, %v", pub, alg, err)
		}
	})
}
