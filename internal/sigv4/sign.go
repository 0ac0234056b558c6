package sigv4

import (
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Credentials are the AWS credentials a client signs with.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	// SessionToken is set for temporary credentials, else "".
	SessionToken string
}

// LogValue keeps the secret key and the session token out of logs.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("access_key_id", c.AccessKeyID), slog.String("secret", "REDACTED"))
}

// Signed is the outcome of [Sign]: what was set on the request and the
// intermediate strings, for debug output.
type Signed struct {
	Authorization    string
	CanonicalRequest string
	StringToSign     string
	Signature        string
}

// signable reports whether Sign signs the header with this lower-case name.
// Like aws-sdk-go-v2 it skips headers that proxies and transports change;
// host and content-length are handled separately.
func signable(name string) bool {
	switch name {
	case "authorization", "user-agent", "x-amzn-trace-id", "expect", "transfer-encoding", "host", "content-length":
		return false
	}
	return true
}

// Sign signs r in place with AWS4-HMAC-SHA256 in the Authorization header,
// the way aws-sdk-go-v2 does: it sets X-Amz-Date from t and
// X-Amz-Security-Token (when creds has a session token), then signs host,
// content-length (when r.ContentLength > 0) and every other header present
// except Authorization, User-Agent, X-Amzn-Trace-Id, Expect and
// Transfer-Encoding. payloadHash is the hex SHA-256 of the body (see
// [HashHex] and [EmptyPayloadHash]); Sign never reads r.Body.
func Sign(r *http.Request, creds Credentials, service, region, payloadHash string, t time.Time, optFns ...func(*Options)) (*Signed, error) {
	var opts Options
	for _, f := range optFns {
		f(&opts)
	}
	t = t.UTC()
	amzDate := FormatTime(t)
	r.Header.Del("Authorization")
	r.Header.Set("X-Amz-Date", amzDate)
	if creds.SessionToken != "" {
		r.Header.Set("X-Amz-Security-Token", creds.SessionToken)
	} else {
		r.Header.Del("X-Amz-Security-Token")
	}

	names := []string{"host"}
	if r.ContentLength > 0 || r.Header.Get("Content-Length") != "" {
		names = append(names, "content-length")
	}
	for k := range r.Header {
		lk := strings.ToLower(k)
		if signable(lk) && !slices.Contains(names, lk) {
			names = append(names, lk)
		}
	}
	slices.Sort(names)

	headers, signedHeaders, err := CanonicalHeaders(r, names)
	if err != nil {
		return nil, err
	}
	query, err := CanonicalQuery(r.URL.RawQuery)
	if err != nil {
		return nil, err
	}
	scope := NewScope(t, region, service)
	cr := CanonicalRequest(r.Method, CanonicalURI(r.URL, opts.NoDoubleEscape), query, headers, signedHeaders, payloadHash)
	sts := StringToSign(Algorithm, amzDate, scope, cr)
	sig := Signature(SigningKey(creds.SecretAccessKey, scope), sts)
	a := Authorization{Algorithm: Algorithm, ID: creds.AccessKeyID, Scope: scope, SignedHeaders: names, Signature: sig}
	auth := a.String()
	r.Header.Set("Authorization", auth)
	return &Signed{Authorization: auth, CanonicalRequest: cr, StringToSign: sts, Signature: sig}, nil
}
