package sigv4

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Query parameters of presigned (query-string) authentication.
const (
	QueryAlgorithm     = "X-Amz-Algorithm"
	QueryCredential    = "X-Amz-Credential"
	QueryDate          = "X-Amz-Date"
	QuerySignedHeaders = "X-Amz-SignedHeaders"
	QuerySignature     = "X-Amz-Signature"
	QuerySecurityToken = "X-Amz-Security-Token"
	QueryExpires       = "X-Amz-Expires"
)

// MaxPresignExpires is the longest X-Amz-Expires SigV4 allows (7 days).
const MaxPresignExpires = 7 * 24 * time.Hour

// Options adjust canonicalisation for both [ParseRequest] and [Sign].
type Options struct {
	// NoDoubleEscape makes the canonical URI the wire path as is, the way
	// S3 signs, instead of escaping it a second time.
	NoDoubleEscape bool
}

// Request is the SigV4 authentication of an HTTP request, parsed and
// canonicalised, ready to be checked with [Request.CheckTime],
// [Request.CheckScope] and [Request.Verify] once the secret for AccessKeyID
// is known.
type Request struct {
	// Algorithm is always [Algorithm] for a parsed request.
	Algorithm   string
	AccessKeyID string
	Scope       Scope
	// SignedHeaders is the client's list, in the client's order.
	SignedHeaders []string
	// SigningTime comes from X-Amz-Date, or the Date header when
	// X-Amz-Date is absent (header authentication only).
	SigningTime time.Time
	// SessionToken is X-Amz-Security-Token (header or query), or "".
	SessionToken string
	// Presigned is true for query-string authentication.
	Presigned bool
	// Expires is X-Amz-Expires of a presigned request, 0 when absent.
	Expires time.Duration

	CanonicalRequest string
	StringToSign     string

	signature string
}

// LogValue keeps the session token and the signature out of logs.
func (r *Request) LogValue() slog.Value {
	token := ""
	if r.SessionToken != "" {
		token = "REDACTED"
	}
	return slog.GroupValue(
		slog.String("access_key_id", r.AccessKeyID),
		slog.String("scope", r.Scope.String()),
		slog.String("signing_time", FormatTime(r.SigningTime)),
		slog.Bool("presigned", r.Presigned),
		slog.String("signed_headers", strings.Join(r.SignedHeaders, ";")),
		slog.String("session_token", token),
	)
}

// ParseRequest reads the SigV4 authentication of r, from the Authorization
// header or from presigned query parameters, and builds its canonical request
// and string to sign. body is the request body, already read. It checks
// everything that needs no secret and no clock: the form of the
// authentication, the algorithm, the scope terminator, that the scope date
// matches the signing date, and that host is signed.
//
// Errors are *Error values: KindMissing when there is no authentication,
// KindIncomplete when it is malformed, KindMismatch when its scope contradicts
// the request or a signed header is absent.
func ParseRequest(r *http.Request, body []byte, optFns ...func(*Options)) (*Request, error) {
	var opts Options
	for _, f := range optFns {
		f(&opts)
	}

	authz := r.Header.Values("Authorization")
	query, _ := url.ParseQuery(r.URL.RawQuery) // a malformed query fails in CanonicalQuery below
	presigned := query.Has(QueryAlgorithm)
	switch {
	case len(authz) > 1:
		return nil, newError(KindIncomplete, "Only one Authorization header is allowed.")
	case len(authz) == 1 && presigned:
		return nil, newError(KindIncomplete, "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, "+
			"Signature query string parameter or the Authorization header should be specified")
	case len(authz) == 0 && !presigned:
		return nil, &Error{Kind: KindMissing, Message: MessageMissingAuthentication}
	}

	var req *Request
	var err error
	if presigned {
		req, err = parsePresigned(query)
	} else {
		req, err = parseHeaderAuth(r, authz[0])
	}
	if err != nil {
		return nil, err
	}

	if req.Scope.Terminator != Terminator {
		return nil, newError(KindMismatch, "Credential should be scoped with a valid terminator: '%s', not '%s'. ",
			Terminator, echo(req.Scope.Terminator))
	}
	amzDate := FormatTime(req.SigningTime)
	if req.Scope.Date != amzDate[:8] {
		return nil, newError(KindMismatch,
			"Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.",
			req.Scope.Date, amzDate[:8], amzDate)
	}
	if !slices.ContainsFunc(req.SignedHeaders, func(h string) bool { return strings.EqualFold(h, "host") }) {
		return nil, newError(KindIncomplete, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.")
	}

	var exclude []string
	if presigned {
		exclude = []string{QuerySignature}
	}
	cq, err := CanonicalQuery(r.URL.RawQuery, exclude...)
	if err != nil {
		return nil, &Error{Kind: KindIncomplete, Message: "The query string is malformed.", Detail: err.Error()}
	}
	headers, signed, err := CanonicalHeaders(r, req.SignedHeaders)
	if err != nil {
		return nil, &Error{Kind: KindMismatch, Message: MessageSignatureMismatch, Detail: err.Error()}
	}
	req.CanonicalRequest = CanonicalRequest(r.Method, CanonicalURI(r.URL, opts.NoDoubleEscape), cq, headers, signed, HashHex(body))
	req.StringToSign = StringToSign(Algorithm, amzDate, req.Scope, req.CanonicalRequest)
	return req, nil
}

// parseHeaderAuth handles the Authorization header form.
func parseHeaderAuth(r *http.Request, header string) (*Request, error) {
	a, missing, err := parseAuthorization(header)
	if err != nil {
		return nil, err
	}
	amzDate := r.Header.Get("X-Amz-Date")
	date := r.Header.Get("Date")
	if amzDate == "" && date == "" {
		missing += "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. "
	}
	if missing != "" {
		return nil, &Error{Kind: KindIncomplete, Message: missing + "Authorization=" + echo(strings.TrimSpace(header))}
	}
	if a.Algorithm != Algorithm {
		return nil, newError(KindIncomplete, "Unsupported AWS 'algorithm': '%s'.", echo(a.Algorithm))
	}

	var t time.Time
	if amzDate != "" {
		t, err = ParseTime(amzDate)
	} else {
		t, err = http.ParseTime(date)
		amzDate = date
	}
	if err != nil {
		return nil, newError(KindIncomplete,
			"Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", echo(amzDate))
	}
	return &Request{
		Algorithm:     a.Algorithm,
		AccessKeyID:   a.ID,
		Scope:         a.Scope,
		SignedHeaders: a.SignedHeaders,
		SigningTime:   t.UTC(),
		SessionToken:  r.Header.Get("X-Amz-Security-Token"),
		signature:     a.Signature,
	}, nil
}

// parsePresigned handles query-string authentication.
func parsePresigned(q url.Values) (*Request, error) {
	for _, k := range []string{QueryAlgorithm, QueryCredential, QuerySignature, QuerySignedHeaders, QueryDate} {
		if q.Get(k) == "" {
			return nil, newError(KindIncomplete, "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', "+
				"'X-Amz-Signature', 'X-Amz-SignedHeaders', 'X-Amz-Date'. Re-examine the query-string parameters.")
		}
	}
	if alg := q.Get(QueryAlgorithm); alg != Algorithm {
		return nil, newError(KindIncomplete, "Unsupported AWS 'algorithm': '%s'.", echo(alg))
	}
	a := &Authorization{Algorithm: Algorithm}
	if err := a.setCredential(q.Get(QueryCredential)); err != nil {
		return nil, err
	}
	var err error
	if a.SignedHeaders, err = parseSignedHeaders(q.Get(QuerySignedHeaders)); err != nil {
		return nil, err
	}
	t, err := ParseTime(q.Get(QueryDate))
	if err != nil {
		return nil, newError(KindIncomplete, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
	}
	req := &Request{
		Algorithm:     Algorithm,
		AccessKeyID:   a.ID,
		Scope:         a.Scope,
		SignedHeaders: a.SignedHeaders,
		SigningTime:   t,
		SessionToken:  q.Get(QuerySecurityToken),
		Presigned:     true,
		signature:     q.Get(QuerySignature),
	}
	if q.Has(QueryExpires) {
		s := q.Get(QueryExpires)
		n, err := strconv.ParseInt(s, 10, 64)
		switch {
		case err != nil || n < 1:
			return nil, newError(KindIncomplete, "X-Amz-Expires should be a number of seconds, at least 1; got '%s'.", echo(s))
		case time.Duration(n) > MaxPresignExpires/time.Second:
			return nil, newError(KindIncomplete, "X-Amz-Expires must be less than a week (in seconds) that is 604800")
		}
		req.Expires = time.Duration(n) * time.Second
	}
	return req, nil
}

// CheckTime checks the signing time against now. A request is accepted from
// maxSkew before now until maxSkew after now; a presigned request with
// X-Amz-Expires is accepted until SigningTime + Expires instead. Errors are
// *Error values of KindExpired with AWS's wording.
func (r *Request) CheckTime(now time.Time, maxSkew time.Duration) error {
	return checkTime(r.SigningTime, now, maxSkew, r.Expires)
}

// CheckTime checks a signing time against now with a maximum skew either
// way, returning KindExpired errors worded like AWS's. It is the clock rule
// of SigV4 for requests signed in headers, exported for the X.509 variant.
func CheckTime(signingTime, now time.Time, maxSkew time.Duration) error {
	return checkTime(signingTime, now, maxSkew, 0)
}

func checkTime(t, now time.Time, maxSkew, expires time.Duration) error {
	now = now.UTC().Truncate(time.Second)
	if latest := now.Add(maxSkew); t.After(latest) {
		return newError(KindExpired, "Signature not yet current: %s is still later than %s (%s + %s)",
			FormatTime(t), FormatTime(latest), FormatTime(now), formatDuration(maxSkew))
	}
	window := maxSkew
	if expires > 0 {
		window = expires
	}
	if earliest := now.Add(-window); t.Before(earliest) {
		return newError(KindExpired, "Signature expired: %s is now earlier than %s (%s - %s)",
			FormatTime(t), FormatTime(earliest), FormatTime(now), formatDuration(window))
	}
	return nil
}

// formatDuration renders a skew the way AWS does ("15 min.").
func formatDuration(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min.", d/time.Minute)
	}
	return fmt.Sprintf("%d sec.", d/time.Second)
}

// CheckScope checks that the credential scope names this server's region
// and the service the request is for, with AWS's wording (KindMismatch).
func (r *Request) CheckScope(region, service string) error {
	if r.Scope.Region != region {
		return newError(KindMismatch, "Credential should be scoped to a valid region, not '%s'. ", echo(r.Scope.Region))
	}
	if r.Scope.Service != service {
		return newError(KindMismatch, "Credential should be scoped to correct service: '%s'. ", service)
	}
	return nil
}

// Verify recomputes the signature with secret and compares it with the one
// the client sent, in constant time. A mismatch is a KindMismatch *Error
// with AWS's SignatureDoesNotMatch message.
func (r *Request) Verify(secret string) error {
	want := Signature(SigningKey(secret, r.Scope), r.StringToSign)
	if subtle.ConstantTimeCompare([]byte(want), []byte(r.signature)) != 1 {
		return &Error{Kind: KindMismatch, Message: MessageSignatureMismatch,
			Detail: "signature mismatch for access key " + r.AccessKeyID}
	}
	return nil
}
