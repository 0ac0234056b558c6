package sigv4

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

const (
	testAccessKey = "AKIDEXAMPLE"
	testSecret    = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	testToken     = "FwoGZXIvYXdzEXAMPLESESSIONTOKEN=="
)

var sdkSigningTime = time.Date(2026, 11, 24, 5, 55, 53, 0, time.UTC)

// sdkCase is a request shape the AWS CLI or an SDK sends to one of our APIs.
type sdkCase struct {
	name    string
	service string
	method  string
	url     string
	body    string
	header  http.Header
	token   string
}

func sdkCases() []sdkCase {
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded; charset=utf-8"}}
	json := http.Header{"Content-Type": {"application/json"}}
	return []sdkCase{
		{name: "GET with query (ListTagsForResource)", service: "rolesanywhere", method: http.MethodGet,
			url: "http://127.0.0.1:8443/ListTagsForResource?resourceArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1%3A123456789012%3Atrust-anchor%2Faaaaaaaa-1111-2222-3333-444444444444"},
		{name: "POST JSON (CreateTrustAnchor)", service: "rolesanywhere", method: http.MethodPost,
			url: "http://127.0.0.1:8443/trustanchors", header: json,
			body: `{"enabled":true,"name":"anchor","source":{"sourceData":{"x509CertificateData":"MIIB"},"sourceType":"CERTIFICATE_BUNDLE"}}`},
		{name: "PATCH (UpdateProfile)", service: "rolesanywhere", method: http.MethodPatch,
			url: "http://127.0.0.1:8443/profile/bbbbbbbb-1111-2222-3333-444444444444", header: json,
			body: `{"durationSeconds":900}`},
		{name: "DELETE with repeated query keys (UntagResource)", service: "rolesanywhere", method: http.MethodDelete,
			url: "http://127.0.0.1:8443/UntagResource?tagKeys=b&tagKeys=a&tagKeys=a%20b&resourceArn=arn%3Aaws%3Ax"},
		{name: "POST form (STS GetCallerIdentity)", service: "sts", method: http.MethodPost,
			url: "http://127.0.0.1:8443/", header: form, body: "Action=GetCallerIdentity&Version=2011-06-15"},
		{name: "POST form with session token (IAM ListRoles)", service: "iam", method: http.MethodPost,
			url: "http://127.0.0.1:8443/", header: form, token: testToken,
			body: "Action=ListRoles&PathPrefix=%2Fservice-role%2F&Version=2010-05-08"},
		{name: "path needing escaping", service: "rolesanywhere", method: http.MethodGet,
			url: "http://127.0.0.1:8443/trustanchor/a%20b%2Fc+d=e%21f~g%C3%A9?x=%2B&y=a+b&z"},
		{name: "headers with odd spacing and several values", service: "rolesanywhere", method: http.MethodPost,
			url:  "http://127.0.0.1:8443/profiles",
			body: `{"name":"p"}`,
			header: http.Header{
				"Content-Type": {"application/json"},
				"X-Custom":     {"  a   b  ", "c"},
				"X-Amz-Target": {"RolesAnywhere.CreateProfile"},
			}},
		{name: "default port dropped from host", service: "sts", method: http.MethodPost,
			url: "http://sts.example.com:80/", header: form, body: "Action=GetCallerIdentity&Version=2011-06-15"},
	}
}

func (c sdkCase) request(t *testing.T) *http.Request {
	t.Helper()
	r, err := http.NewRequest(c.method, c.url, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range c.header {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	return r
}

// TestSDKSignerInterop signs with aws-sdk-go-v2's own signer and verifies
// with ours, then checks that every kind of tampering is caught.
func TestSDKSignerInterop(t *testing.T) {
	signer := v4.NewSigner()
	for _, c := range sdkCases() {
		t.Run(c.name, func(t *testing.T) {
			r := c.request(t)
			creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret, SessionToken: c.token}
			err := signer.SignHTTP(context.Background(), creds, r, HashHex([]byte(c.body)), c.service, "us-east-1", sdkSigningTime)
			if err != nil {
				t.Fatalf("sdk sign: %v", err)
			}
			raw := onTheWire(t, r)
			parsed, body := readWire(t, raw)
			req, err := verifyAll(parsed, body, testSecret, sdkSigningTime.Add(time.Minute))
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if req.AccessKeyID != testAccessKey || req.Scope != NewScope(sdkSigningTime, "us-east-1", c.service) ||
				!req.SigningTime.Equal(sdkSigningTime) || req.SessionToken != c.token || req.Presigned {
				t.Fatalf("parsed %+v", req)
			}
			if err := req.CheckScope("us-east-1", c.service); err != nil {
				t.Fatalf("scope: %v", err)
			}
			checkVerifiesAndResists(t, raw, testSecret, sdkSigningTime.Add(time.Minute))
		})
	}
}

// TestSignMatchesSDK checks that our client-side Sign produces exactly the
// Authorization header aws-sdk-go-v2 produces for the same request.
func TestSignMatchesSDK(t *testing.T) {
	signer := v4.NewSigner()
	for _, c := range sdkCases() {
		t.Run(c.name, func(t *testing.T) {
			theirs := c.request(t)
			creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret, SessionToken: c.token}
			if err := signer.SignHTTP(context.Background(), creds, theirs, HashHex([]byte(c.body)), c.service, "us-east-1", sdkSigningTime); err != nil {
				t.Fatal(err)
			}
			ours := c.request(t)
			// The SDK drops a default port from Host and rewrites the query
			// in canonical form; our Sign leaves the request as given.
			ours.Host = theirs.Host
			signed, err := Sign(ours, Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret, SessionToken: c.token},
				c.service, "us-east-1", HashHex([]byte(c.body)), sdkSigningTime)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := signed.Authorization, theirs.Header.Get("Authorization"); got != want {
				t.Fatalf("Authorization\n got %s\nwant %s\ncanonical request:\n%s", got, want, signed.CanonicalRequest)
			}
			// And our own signature verifies on the server side.
			checkVerifiesAndResists(t, onTheWire(t, ours), testSecret, sdkSigningTime)
		})
	}
}

// TestSDKPresignInterop verifies URLs presigned by aws-sdk-go-v2.
func TestSDKPresignInterop(t *testing.T) {
	signer := v4.NewSigner()
	tests := map[string]struct {
		url     string
		expires string
		token   string
		now     time.Time
		want    Kind
	}{
		"ok": {url: "http://127.0.0.1:8443/?Action=GetCallerIdentity&Version=2011-06-15", now: sdkSigningTime.Add(time.Minute)},
		"ok/with expires and token": {url: "http://127.0.0.1:8443/?Action=GetCallerIdentity&Version=2011-06-15",
			expires: "60", token: testToken, now: sdkSigningTime.Add(59 * time.Second)},
		"error/past X-Amz-Expires": {url: "http://127.0.0.1:8443/?Action=GetCallerIdentity&Version=2011-06-15",
			expires: "60", now: sdkSigningTime.Add(61 * time.Second), want: KindExpired},
		"error/past skew without expires": {url: "http://127.0.0.1:8443/?Action=GetCallerIdentity&Version=2011-06-15",
			now: sdkSigningTime.Add(DefaultMaxSkew + time.Second), want: KindExpired},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			u := tc.url
			if tc.expires != "" {
				u += "&X-Amz-Expires=" + tc.expires
			}
			r, err := http.NewRequest(http.MethodGet, u, nil)
			if err != nil {
				t.Fatal(err)
			}
			creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret, SessionToken: tc.token}
			signedURL, signedHeaders, err := signer.PresignHTTP(context.Background(), creds, r, EmptyPayloadHash, "sts", "us-east-1", sdkSigningTime)
			if err != nil {
				t.Fatal(err)
			}
			pr, err := http.NewRequest(http.MethodGet, signedURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, vs := range signedHeaders {
				if !strings.EqualFold(k, "host") {
					pr.Header[k] = vs
				}
			}
			raw := onTheWire(t, pr)
			parsed, body := readWire(t, raw)
			req, err := verifyAll(parsed, body, testSecret, tc.now)
			if tc.want != 0 {
				if !errors.Is(err, tc.want) {
					t.Fatalf("error %v, want kind %v", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if !req.Presigned || req.SessionToken != tc.token || req.AccessKeyID != testAccessKey {
				t.Fatalf("parsed %+v", req)
			}
			if tc.expires != "" {
				if n, _ := strconv.Atoi(tc.expires); req.Expires != time.Duration(n)*time.Second {
					t.Fatalf("expires %v", req.Expires)
				}
			}
			checkVerifiesAndResists(t, raw, testSecret, tc.now)
		})
	}
}

// TestSDKBodyReplay makes sure that the payload hash comes from the body we
// were given, not from a header the client may have set.
func TestSDKBodyReplay(t *testing.T) {
	r, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8443/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	creds := aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, "UNSIGNED-PAYLOAD", "sts", "us-east-1", sdkSigningTime); err != nil {
		t.Fatal(err)
	}
	parsed, body := readWire(t, onTheWire(t, r))
	_, err := verifyAll(parsed, bytes.ToUpper(body), testSecret, sdkSigningTime)
	if !errors.Is(err, KindMismatch) {
		t.Fatalf("UNSIGNED-PAYLOAD request accepted or wrong error: %v", err)
	}
}
