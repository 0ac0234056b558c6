package sigv4

import (
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestAWSDocumentationExample reproduces the worked example of the SigV4
// documentation (IAM ListUsers, 2015-08-30) step by step.
func TestAWSDocumentationExample(t *testing.T) {
	r, err := http.NewRequest(http.MethodGet, "https://iam.amazonaws.com/?Action=ListUsers&Version=2010-05-08", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	r.Header.Set("X-Amz-Date", "20150830T123600Z")
	headers, signed, err := CanonicalHeaders(r, []string{"content-type", "host", "x-amz-date"})
	if err != nil {
		t.Fatal(err)
	}
	query, err := CanonicalQuery(r.URL.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	cr := CanonicalRequest(r.Method, CanonicalURI(r.URL, false), query, headers, signed, EmptyPayloadHash)
	wantCR := "GET\n/\nAction=ListUsers&Version=2010-05-08\n" +
		"content-type:application/x-www-form-urlencoded; charset=utf-8\nhost:iam.amazonaws.com\nx-amz-date:20150830T123600Z\n\n" +
		"content-type;host;x-amz-date\n" + EmptyPayloadHash
	if cr != wantCR {
		t.Fatalf("canonical request\n%q\nwant\n%q", cr, wantCR)
	}
	if got := HashHex([]byte(cr)); got != "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59" {
		t.Fatalf("canonical request hash %s", got)
	}
	when := time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)
	scope := NewScope(when, "us-east-1", "iam")
	key := SigningKey("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", scope)
	const wantKey = "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"
	if got := hex.EncodeToString(key); got != wantKey {
		t.Fatalf("signing key %s, want %s", got, wantKey)
	}
	sts := StringToSign(Algorithm, FormatTime(when), scope, cr)
	wantSTS := "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/iam/aws4_request\nf536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59"
	if sts != wantSTS {
		t.Fatalf("string to sign\n%s", sts)
	}
	if got := Signature(key, sts); got != "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7" {
		t.Fatalf("signature %s", got)
	}
}

func TestCanonicalURI(t *testing.T) {
	parse := func(s string) *url.URL {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	tests := map[string]struct {
		url            *url.URL
		noDoubleEscape bool
		want           string
	}{
		"ok/empty path":                 {url: parse("http://h"), want: "/"},
		"ok/root":                       {url: parse("http://h/"), want: "/"},
		"ok/plain":                      {url: parse("http://h/trustanchors"), want: "/trustanchors"},
		"ok/escaped space double":       {url: parse("http://h/a%20b"), want: "/a%2520b"},
		"ok/escaped slash kept escaped": {url: parse("http://h/a%2Fb/c"), want: "/a%252Fb/c"},
		"ok/lowercase escape kept":      {url: parse("http://h/a%2fb"), want: "/a%252fb"},
		"ok/sub-delims escaped":         {url: parse("http://h/a+b=c!d"), want: "/a%2Bb%3Dc%21d"},
		"ok/unreserved untouched":       {url: parse("http://h/A-z_0.9~"), want: "/A-z_0.9~"},
		"ok/utf-8":                      {url: parse("http://h/%C3%A9"), want: "/%25C3%25A9"},
		"ok/no double escape (S3)":      {url: parse("http://h/a%20b"), noDoubleEscape: true, want: "/a%20b"},
		"ok/opaque with authority":      {url: &url.URL{Scheme: "http", Opaque: "//h/x%20y?q=1"}, want: "/x%2520y"},
		"ok/opaque path":                {url: &url.URL{Scheme: "http", Opaque: "/x"}, want: "/x"},
		"ok/opaque without path":        {url: &url.URL{Scheme: "http", Opaque: "//h"}, want: "/"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := CanonicalURI(tc.url, tc.noDoubleEscape); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCanonicalQuery(t *testing.T) {
	tests := map[string]struct {
		raw     string
		exclude []string
		want    string
		wantErr bool
	}{
		"ok/empty":                {raw: "", want: ""},
		"ok/sorted by key":        {raw: "b=2&a=1", want: "a=1&b=2"},
		"ok/repeated key sorted":  {raw: "k=b&k=a&k=a%20b", want: "k=a&k=a%20b&k=b"},
		"ok/key without equals":   {raw: "flag&a=1", want: "a=1&flag="},
		"ok/empty value":          {raw: "a=", want: "a="},
		"ok/plus is space":        {raw: "q=a+b", want: "q=a%20b"},
		"ok/encoded plus":         {raw: "q=a%2Bb", want: "q=a%2Bb"},
		"ok/lower hex upper":      {raw: "arn=arn%3aaws%2fx", want: "arn=arn%3Aaws%2Fx"},
		"ok/raw reserved encoded": {raw: "arn=arn:aws:iam::1:role/R", want: "arn=arn%3Aaws%3Aiam%3A%3A1%3Arole%2FR"},
		"ok/unreserved kept":      {raw: "t=A-z_0.9~", want: "t=A-z_0.9~"},
		"ok/tilde decoded":        {raw: "t=%7E", want: "t=~"},
		"ok/utf-8":                {raw: "n=%C3%A9", want: "n=%C3%A9"},
		"ok/semicolon literal":    {raw: "a=1;b", want: "a=1%3Bb"},
		"ok/empty segments":       {raw: "a=1&&b=2&", want: "a=1&b=2"},
		"ok/sorted after encoding": {
			// '-' (0x2D) sorts after '%' (0x25): "a%2Fb" comes first.
			raw: "k=a-b&k=a/b", want: "k=a%2Fb&k=a-b",
		},
		"ok/exclude signature":   {raw: "X-Amz-Signature=abc&Action=X", exclude: []string{QuerySignature}, want: "Action=X"},
		"error/bad escape key":   {raw: "a%zz=1", wantErr: true},
		"error/bad escape value": {raw: "a=%4", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := CanonicalQuery(tc.raw, tc.exclude...)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestCanonicalHeaders(t *testing.T) {
	newReq := func(mod func(r *http.Request)) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, "http://api.example:8443/x", strings.NewReader("abc"))
		if mod != nil {
			mod(r)
		}
		return r
	}
	tests := map[string]struct {
		req        *http.Request
		names      []string
		want       string
		wantSigned string
		wantAbsent bool
		wantErr    bool
	}{
		"ok/host from request": {
			req: newReq(nil), names: []string{"host"},
			want: "host:api.example:8443\n", wantSigned: "host",
		},
		"ok/host from URL when Host empty": {
			req: newReq(func(r *http.Request) { r.Host = "" }), names: []string{"host"},
			want: "host:api.example:8443\n", wantSigned: "host",
		},
		"ok/trim and collapse": {
			req:   newReq(func(r *http.Request) { r.Header.Set("X-A", "  a   b \t c  ") }),
			names: []string{"x-a"}, want: "x-a:a b \t c\n", wantSigned: "x-a",
		},
		"ok/several values joined": {
			req:   newReq(func(r *http.Request) { r.Header.Add("X-A", "1"); r.Header.Add("X-A", " 2 ") }),
			names: []string{"x-a"}, want: "x-a:1,2\n", wantSigned: "x-a",
		},
		"ok/content-length from ContentLength": {
			req: newReq(nil), names: []string{"content-length", "host"},
			want: "content-length:3\nhost:api.example:8443\n", wantSigned: "content-length;host",
		},
		"ok/content-length header wins": {
			req:   newReq(func(r *http.Request) { r.Header.Set("Content-Length", "7") }),
			names: []string{"content-length"}, want: "content-length:7\n", wantSigned: "content-length",
		},
		"ok/names lower-cased, order kept": {
			req:   newReq(func(r *http.Request) { r.Header.Set("X-B", "b"); r.Header.Set("X-A", "a") }),
			names: []string{"X-B", "x-a"}, want: "x-b:b\nx-a:a\n", wantSigned: "x-b;x-a",
		},
		"ok/non-canonical header keys merged": {
			req:   newReq(func(r *http.Request) { r.Header["x-lower"] = []string{"v"} }),
			names: []string{"x-lower"}, want: "x-lower:v\n", wantSigned: "x-lower",
		},
		"ok/empty value present": {
			req:   newReq(func(r *http.Request) { r.Header["X-E"] = []string{""} }),
			names: []string{"x-e"}, want: "x-e:\n", wantSigned: "x-e",
		},
		"error/absent header": {req: newReq(nil), names: []string{"host", "x-missing"}, wantAbsent: true},
		"error/unknown length": {
			req:   newReq(func(r *http.Request) { r.ContentLength = -1 }),
			names: []string{"content-length"}, wantAbsent: true,
		},
		"error/no host":    {req: &http.Request{Header: http.Header{}, URL: &url.URL{}}, names: []string{"host"}, wantAbsent: true},
		"error/duplicate":  {req: newReq(nil), names: []string{"host", "Host"}, wantErr: true},
		"error/empty name": {req: newReq(nil), names: []string{""}, wantErr: true},
		"error/no names":   {req: newReq(nil), names: nil, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, signed, err := CanonicalHeaders(tc.req, tc.names)
			switch {
			case tc.wantAbsent:
				if !errors.Is(err, ErrHeaderAbsent) {
					t.Fatalf("error %v, want ErrHeaderAbsent", err)
				}
				return
			case tc.wantErr:
				if err == nil || errors.Is(err, ErrHeaderAbsent) {
					t.Fatalf("error %v, want a malformed-list error", err)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if got != tc.want || signed != tc.wantSigned {
				t.Fatalf("got %q / %q, want %q / %q", got, signed, tc.want, tc.wantSigned)
			}
		})
	}
}

func TestParseTime(t *testing.T) {
	tests := map[string]struct {
		in      string
		wantErr bool
	}{
		"ok":                      {in: "20261124T055553Z"},
		"error/fractional second": {in: "20261124T055553.5Z", wantErr: true},
		"error/extended format":   {in: "2026-11-24T05:55:53Z", wantErr: true},
		"error/no zone":           {in: "20261124T055553", wantErr: true},
		"error/out of range":      {in: "20261324T055553Z", wantErr: true},
		"error/empty":             {in: "", wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseTime(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("parsed %v", got)
				}
				return
			}
			if err != nil || FormatTime(got) != tc.in {
				t.Fatalf("got %v, %v", got, err)
			}
		})
	}
}
