package sigv4

import (
	"net/http"
	"strings"
	"testing"
)

// BenchmarkParseAndVerify measures the server-side SigV4 check of an STS
// form POST: parse, canonicalise, derive the key and compare.
func BenchmarkParseAndVerify(b *testing.B) {
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:8443/", strings.NewReader(string(body)))
	if err != nil {
		b.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	if _, err := Sign(r, Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret, SessionToken: testToken},
		"sts", "us-east-1", HashHex(body), sdkSigningTime); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		req, err := ParseRequest(r, body)
		if err != nil {
			b.Fatal(err)
		}
		if err := req.Verify(testSecret); err != nil {
			b.Fatal(err)
		}
	}
}
