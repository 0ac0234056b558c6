package sigv4

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// signedRequest returns a request signed by our Sign at sdkSigningTime.
func signedRequest(t *testing.T, mod func(r *http.Request)) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:8443/", strings.NewReader("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	_, err = Sign(r, Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret, SessionToken: testToken},
		"sts", "us-east-1", HashHex([]byte("Action=GetCallerIdentity&Version=2011-06-15")), sdkSigningTime)
	if err != nil {
		t.Fatal(err)
	}
	if mod != nil {
		mod(r)
	}
	return r
}

func TestParseRequestErrors(t *testing.T) {
	const auth = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261124/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=00"
	tests := map[string]struct {
		mod     func(r *http.Request)
		kind    Kind
		message string
	}{
		"error/no authentication": {
			mod:  func(r *http.Request) { r.Header.Del("Authorization") },
			kind: KindMissing, message: MessageMissingAuthentication,
		},
		"error/no date": {
			mod: func(r *http.Request) {
				r.Header.Del("X-Amz-Date")
				r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE")
			},
			kind: KindIncomplete,
			message: "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. " +
				"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE",
		},
		"error/only the date missing": {
			mod:     func(r *http.Request) { r.Header.Del("X-Amz-Date"); r.Header.Set("Authorization", auth) },
			kind:    KindIncomplete,
			message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=" + auth,
		},
		"error/malformed date": {
			mod:     func(r *http.Request) { r.Header.Set("X-Amz-Date", "2026-11-24T05:55:53Z") },
			kind:    KindIncomplete,
			message: "Date must be in ISO-8601 'basic format'. Got '2026-11-24T05:55:53Z'. See http://en.wikipedia.org/wiki/ISO_8601",
		},
		"error/unsupported algorithm": {
			mod: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), Algorithm, "AWS4-HMAC-SHA512", 1))
			},
			kind: KindIncomplete, message: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'.",
		},
		"error/two authorization headers": {
			mod:  func(r *http.Request) { r.Header.Add("Authorization", auth) },
			kind: KindIncomplete,
		},
		"error/header and query authentication": {
			mod:  func(r *http.Request) { r.URL.RawQuery = "X-Amz-Algorithm=AWS4-HMAC-SHA256" },
			kind: KindIncomplete,
		},
		"error/scope date differs": {
			mod:  func(r *http.Request) { r.Header.Set("X-Amz-Date", "20261125T000000Z") },
			kind: KindMismatch,
			message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: " +
				"'20261124' != '20261125', from '20261125T000000Z'.",
		},
		"error/terminator": {
			mod: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "aws4_request", "aws5_request", 1))
			},
			kind: KindMismatch, message: "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'. ",
		},
		"error/host not signed": {
			mod: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), ";host;", ";", 1))
			},
			kind: KindIncomplete, message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
		},
		"error/signed header absent": {
			mod:  func(r *http.Request) { r.Header.Del("Content-Type") },
			kind: KindMismatch, message: MessageSignatureMismatch,
		},
		"error/malformed query": {
			mod:  func(r *http.Request) { r.URL.RawQuery = "a=%zz" },
			kind: KindIncomplete, message: "The query string is malformed.",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r := signedRequest(t, tc.mod)
			_, err := ParseRequest(r, []byte("Action=GetCallerIdentity&Version=2011-06-15"))
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind {
				t.Fatalf("error %v, want kind %v", err, tc.kind)
			}
			if tc.message != "" && e.Message != tc.message {
				t.Fatalf("message\n got %q\nwant %q", e.Message, tc.message)
			}
			if KindOf(err) != tc.kind || !errors.Is(err, tc.kind) {
				t.Fatalf("KindOf/Is disagree for %v", err)
			}
		})
	}
}

func TestPresignedErrors(t *testing.T) {
	base := "Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256" +
		"&X-Amz-Credential=AKIDEXAMPLE%2F20261124%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20261124T055553Z" +
		"&X-Amz-SignedHeaders=host&X-Amz-Signature=00"
	tests := map[string]struct {
		query   string
		kind    Kind
		message string
	}{
		"ok/parses": {query: base},
		"error/no credential": {query: strings.Replace(base, "X-Amz-Credential=", "X-Amz-Cred=", 1), kind: KindIncomplete,
			message: "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', " +
				"'X-Amz-SignedHeaders', 'X-Amz-Date'. Re-examine the query-string parameters."},
		"error/algorithm":     {query: strings.Replace(base, "HMAC-SHA256", "HMAC-SHA1", 1), kind: KindIncomplete, message: "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA1'."},
		"error/date":          {query: strings.Replace(base, "20261124T055553Z", "20261124", 1), kind: KindIncomplete},
		"error/expires":       {query: base + "&X-Amz-Expires=-1", kind: KindIncomplete},
		"error/expires long":  {query: base + "&X-Amz-Expires=604801", kind: KindIncomplete},
		"error/credential":    {query: strings.Replace(base, "%2Fsts", "", 1), kind: KindIncomplete},
		"error/host unsigned": {query: strings.Replace(base, "SignedHeaders=host", "SignedHeaders=x-amz-date", 1), kind: KindIncomplete},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodGet, "http://127.0.0.1:8443/?"+tc.query, nil)
			if err != nil {
				t.Fatal(err)
			}
			req, err := ParseRequest(r, nil)
			if tc.kind == 0 {
				if err != nil {
					t.Fatal(err)
				}
				if !req.Presigned || !strings.Contains(req.CanonicalRequest, "Action=GetCallerIdentity") ||
					strings.Contains(req.CanonicalRequest, "X-Amz-Signature") {
					t.Fatalf("canonical request\n%s", req.CanonicalRequest)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != tc.kind {
				t.Fatalf("error %v, want kind %v", err, tc.kind)
			}
			if tc.message != "" && e.Message != tc.message {
				t.Fatalf("message\n got %q\nwant %q", e.Message, tc.message)
			}
		})
	}
}

func TestCheckTime(t *testing.T) {
	signed := time.Date(2013, 5, 24, 0, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		now     time.Time
		skew    time.Duration
		message string
	}{
		"ok/same second":        {now: signed, skew: 15 * time.Minute},
		"ok/edge of the past":   {now: signed.Add(15 * time.Minute), skew: 15 * time.Minute},
		"ok/edge of the future": {now: signed.Add(-15 * time.Minute), skew: 15 * time.Minute},
		"ok/sub-second clock":   {now: signed.Add(15*time.Minute + 500*time.Millisecond), skew: 15 * time.Minute},
		"error/expired": {now: signed.Add(20 * time.Minute), skew: 15 * time.Minute,
			message: "Signature expired: 20130524T000000Z is now earlier than 20130524T000500Z (20130524T002000Z - 15 min.)"},
		"error/not yet current": {now: signed.Add(-20 * time.Minute), skew: 15 * time.Minute,
			message: "Signature not yet current: 20130524T000000Z is still later than 20130523T235500Z (20130523T234000Z + 15 min.)"},
		"error/expired with 5 minutes": {now: signed.Add(5*time.Minute + time.Second), skew: 5 * time.Minute,
			message: "Signature expired: 20130524T000000Z is now earlier than 20130524T000001Z (20130524T000501Z - 5 min.)"},
		"error/seconds skew": {now: signed.Add(time.Minute), skew: 30 * time.Second,
			message: "Signature expired: 20130524T000000Z is now earlier than 20130524T000030Z (20130524T000100Z - 30 sec.)"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := CheckTime(signed, tc.now, tc.skew)
			if tc.message == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindExpired || e.Message != tc.message {
				t.Fatalf("error %v\nwant %s", err, tc.message)
			}
		})
	}
}

func TestCheckScope(t *testing.T) {
	req, err := ParseRequest(signedRequest(t, nil), []byte("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		region, service string
		message         string
	}{
		"ok":            {region: "us-east-1", service: "sts"},
		"error/region":  {region: "eu-west-1", service: "sts", message: "Credential should be scoped to a valid region, not 'us-east-1'. "},
		"error/service": {region: "us-east-1", service: "iam", message: "Credential should be scoped to correct service: 'iam'. "},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := req.CheckScope(tc.region, tc.service)
			if tc.message == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindMismatch || e.Message != tc.message {
				t.Fatalf("error %v\nwant %s", err, tc.message)
			}
		})
	}
}

func TestVerify(t *testing.T) {
	body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
	req, err := ParseRequest(signedRequest(t, nil), body)
	if err != nil {
		t.Fatal(err)
	}
	if req.SessionToken != testToken || req.AccessKeyID != testAccessKey || !req.SigningTime.Equal(sdkSigningTime) {
		t.Fatalf("parsed %+v", req)
	}
	tests := map[string]struct {
		secret string
		ok     bool
	}{
		"ok":                  {secret: testSecret, ok: true},
		"error/wrong secret":  {secret: testSecret[:len(testSecret)-1] + "Z"},
		"error/empty secret":  {secret: ""},
		"error/secret prefix": {secret: testSecret[:10]},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			err := req.Verify(tc.secret)
			if tc.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var e *Error
			if !errors.As(err, &e) || e.Kind != KindMismatch || e.Message != MessageSignatureMismatch {
				t.Fatalf("error %v", err)
			}
			if strings.Contains(err.Error(), testSecret) || strings.Contains(err.Error(), testToken) {
				t.Fatalf("error leaks a secret: %v", err)
			}
		})
	}
}

// TestDateHeader covers clients that sign the Date header instead of
// X-Amz-Date (botocore does when the request already has a Date header).
func TestDateHeader(t *testing.T) {
	r, _ := http.NewRequest(http.MethodGet, "http://127.0.0.1:8443/trustanchors", nil)
	r.Header.Set("Date", sdkSigningTime.Format(http.TimeFormat))
	scope := NewScope(sdkSigningTime, "us-east-1", "rolesanywhere")
	headers, signed, err := CanonicalHeaders(r, []string{"date", "host"})
	if err != nil {
		t.Fatal(err)
	}
	cr := CanonicalRequest("GET", "/trustanchors", "", headers, signed, EmptyPayloadHash)
	sig := Signature(SigningKey(testSecret, scope), StringToSign(Algorithm, FormatTime(sdkSigningTime), scope, cr))
	a := Authorization{Algorithm: Algorithm, ID: testAccessKey, Scope: scope, SignedHeaders: []string{"date", "host"}, Signature: sig}
	r.Header.Set("Authorization", a.String())

	checkVerifiesAndResists(t, onTheWire(t, r), testSecret, sdkSigningTime)
}

func TestLogValueRedacts(t *testing.T) {
	req, err := ParseRequest(signedRequest(t, nil), []byte("Action=GetCallerIdentity&Version=2011-06-15"))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("req", "sigv4", req, "creds",
		Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret, SessionToken: testToken})
	out := buf.String()
	if strings.Contains(out, testToken) || strings.Contains(out, testSecret) || !strings.Contains(out, testAccessKey) {
		t.Fatalf("log line %s", out)
	}
}
