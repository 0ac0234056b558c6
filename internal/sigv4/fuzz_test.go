package sigv4

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

func FuzzParseAuthorization(f *testing.F) {
	for _, s := range []string{
		"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7",
		"AWS4-X509-RSA-SHA256 Credential=12379813738877118345/20261124/us-east-1/rolesanywhere/aws4_request,SignedHeaders=host;x-amz-x509,Signature=00",
		"AWS4-HMAC-SHA256 Credential=ABCDEF",
		"Bearer eyJ0eXAi",
		"AWS4-HMAC-SHA256 Credential=a/b/c/d/e, SignedHeaders=;;, Signature=",
		"AWS4-HMAC-SHA256 Credential==, Credential==",
		"",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		a, err := ParseAuthorization(header)
		if err != nil {
			if KindOf(err) == 0 {
				t.Fatalf("error without a kind: %v", err)
			}
			return
		}
		// Whatever parses formats back to a header that parses the same.
		b, err := ParseAuthorization(a.String())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", a.String(), err)
		}
		if a.Algorithm != b.Algorithm || a.ID != b.ID || a.Scope != b.Scope || a.Signature != b.Signature ||
			!slices.Equal(a.SignedHeaders, b.SignedHeaders) {
			t.Fatalf("round trip changed %+v into %+v", a, b)
		}
	})
}

func FuzzCanonicalQuery(f *testing.F) {
	for _, s := range []string{
		"", "a=1&b=2", "k=b&k=a&k=a%20b", "flag&a=", "q=a+b&r=%2B", "x=%zz", "a=1;b=2", "=&&=", "%C3%A9=%E2%82%AC",
		"X-Amz-Signature=abc&Action=GetCallerIdentity",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := CanonicalQuery(raw, QuerySignature)
		if err != nil {
			return
		}
		// The canonical form is a fixed point: canonicalising it again
		// changes nothing, and it holds only unreserved bytes, '%', '=' and '&'.
		again, err := CanonicalQuery(got, QuerySignature)
		if err != nil || again != got {
			t.Fatalf("not a fixed point: %q -> %q -> %q (%v)", raw, got, again, err)
		}
		for i := 0; i < len(got); i++ {
			if c := got[i]; !unreserved(c) && c != '%' && c != '=' && c != '&' {
				t.Fatalf("byte %q left unescaped in %q", c, got)
			}
		}
		if strings.Contains("&"+got, "&"+QuerySignature+"=") {
			t.Fatalf("excluded parameter kept in %q", got)
		}
	})
}

// FuzzParseRequest feeds arbitrary authentication material, query and body
// to the whole server-side path: it must return an *Error, never panic.
func FuzzParseRequest(f *testing.F) {
	f.Add("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=00",
		"20261124T055553Z", "", "Action=GetCallerIdentity", "application/x-www-form-urlencoded")
	f.Add("", "", "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=A%2F20261124%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261124T055553Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00&X-Amz-Expires=60", "", "")
	f.Add("AWS4-HMAC-SHA256 Credential=A/20261124/us-east-1/sts/aws4_request, SignedHeaders=content-length;host;date, Signature=zz",
		"", "a=%zz", "\x00", "Tue, 24 Nov 2026 05:55:53 GMT")
	f.Fuzz(func(t *testing.T, authz, amzDate, rawQuery, body, other string) {
		r := &http.Request{
			Method:        http.MethodPost,
			URL:           &url.URL{Path: "/", RawQuery: rawQuery},
			Host:          "127.0.0.1:8443",
			Header:        http.Header{},
			ContentLength: int64(len(body)),
		}
		if authz != "" {
			r.Header.Set("Authorization", authz)
		}
		if amzDate != "" {
			r.Header.Set("X-Amz-Date", amzDate)
		}
		r.Header.Set("Content-Type", other)
		r.Header.Set("Date", other)
		req, err := ParseRequest(r, []byte(body))
		if err != nil {
			if KindOf(err) == 0 {
				t.Fatalf("error without a kind: %v", err)
			}
			return
		}
		if err := req.Verify("secret"); err != nil && KindOf(err) != KindMismatch {
			t.Fatalf("verify: %v", err)
		}
	})
}
