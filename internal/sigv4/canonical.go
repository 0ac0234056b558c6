package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Protocol constants.
const (
	// Algorithm is the SigV4 HMAC algorithm name.
	Algorithm = "AWS4-HMAC-SHA256"
	// Terminator ends every credential scope.
	Terminator = "aws4_request"
	// TimeFormat is the layout of X-Amz-Date (ISO 8601 basic, UTC).
	TimeFormat = "20060102T150405Z"
	// DateFormat is the layout of the credential scope date.
	DateFormat = "20060102"
	// EmptyPayloadHash is the lowercase hex SHA-256 of an empty body.
	EmptyPayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// DefaultMaxSkew is the clock skew AWS allows for SigV4 requests.
	DefaultMaxSkew = 15 * time.Minute
)

// ErrHeaderAbsent is wrapped by [CanonicalHeaders] when a header named in the
// signed list is not in the request.
var ErrHeaderAbsent = errors.New("signed header is absent from the request")

// Scope is a credential scope: date/region/service/terminator. Date is
// YYYYMMDD. Scopes parsed from a request keep the terminator the client sent
// (it must be [Terminator] to verify); [NewScope] sets it.
type Scope struct {
	Date       string
	Region     string
	Service    string
	Terminator string
}

// NewScope returns the scope for a signing time, region and service.
func NewScope(t time.Time, region, service string) Scope {
	return Scope{Date: t.UTC().Format(DateFormat), Region: region, Service: service, Terminator: Terminator}
}

// String returns date/region/service/terminator.
func (s Scope) String() string {
	return s.Date + "/" + s.Region + "/" + s.Service + "/" + s.Terminator
}

// FormatTime formats t as an X-Amz-Date value.
func FormatTime(t time.Time) string { return t.UTC().Format(TimeFormat) }

// ParseTime parses an X-Amz-Date value strictly: exactly YYYYMMDD'T'HHMMSS'Z'
// (time.Parse alone would also accept a fractional second).
func ParseTime(s string) (time.Time, error) {
	if len(s) != len(TimeFormat) {
		return time.Time{}, fmt.Errorf("date %q is not in %s format", s, TimeFormat)
	}
	t, err := time.Parse(TimeFormat, s)
	if err != nil || t.Format(TimeFormat) != s {
		return time.Time{}, fmt.Errorf("date %q is not in %s format", s, TimeFormat)
	}
	return t, nil
}

// validScopeDate reports whether s is exactly YYYYMMDD.
func validScopeDate(s string) bool {
	if len(s) != len(DateFormat) {
		return false
	}
	t, err := time.Parse(DateFormat, s)
	return err == nil && t.Format(DateFormat) == s
}

// HashHex returns the lowercase hex SHA-256 of b, the form of the payload
// hash and of the canonical request hash.
func HashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// unreserved reports whether c is in RFC 3986's unreserved set, the only
// bytes SigV4 leaves unescaped.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '_' || c == '.' || c == '~'
}

const upperHex = "0123456789ABCDEF"

// escape percent-encodes every byte outside the unreserved set (and '/'
// when keepSlash) with uppercase hex. A space becomes %20.
func escape(s string, keepSlash bool) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if !unreserved(s[i]) && !(keepSlash && s[i] == '/') {
			n++
		}
	}
	if n == 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unreserved(c) || keepSlash && c == '/' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(upperHex[c>>4])
		b.WriteByte(upperHex[c&15])
	}
	return b.String()
}

// EscapePath percent-encodes a path the way non-S3 AWS SDKs do when they
// build the canonical URI: every byte but the unreserved set and '/' is
// encoded, including '%' itself.
func EscapePath(path string) string { return escape(path, true) }

// CanonicalURI returns the canonical URI of u: its escaped path as it goes on
// the wire ("/" when empty), escaped a second time as every AWS service but
// S3 expects. With noDoubleEscape the wire path is used as is (S3 style).
// Dot segments are not removed: the SDKs we interoperate with never send them.
func CanonicalURI(u *url.URL, noDoubleEscape bool) string {
	path := wirePath(u)
	if path == "" {
		path = "/"
	}
	if noDoubleEscape {
		return path
	}
	return EscapePath(path)
}

// wirePath returns the escaped path of u as a client puts it on the request
// line, for opaque URLs too ("//host/path" or "/path").
func wirePath(u *url.URL) string {
	if u.Opaque == "" {
		return u.EscapedPath()
	}
	p, _, _ := strings.Cut(u.Opaque, "?")
	if rest, ok := strings.CutPrefix(p, "//"); ok {
		i := strings.IndexByte(rest, '/')
		if i < 0 {
			return ""
		}
		return rest[i:]
	}
	if i := strings.IndexByte(p, '/'); i >= 0 {
		return p[i:]
	}
	return ""
}

// CanonicalQuery returns the canonical query string of a raw (still encoded)
// query: each name and value is decoded ('+' is a space), re-encoded per RFC
// 3986 with uppercase hex and %20 for a space, and the pairs are sorted by
// encoded name, then encoded value. Repeated names and names without '=' (an
// empty value) are kept; empty segments ("a=1&&b=2") are dropped. Parameters
// whose decoded name is in exclude (such as X-Amz-Signature in a presigned
// URL) are left out. A malformed percent-escape is an error.
func CanonicalQuery(rawQuery string, exclude ...string) (string, error) {
	if rawQuery == "" {
		return "", nil
	}
	type pair struct{ k, v string }
	pairs := make([]pair, 0, strings.Count(rawQuery, "&")+1)
	for seg := range strings.SplitSeq(rawQuery, "&") {
		if seg == "" {
			continue
		}
		rk, rv, _ := strings.Cut(seg, "=")
		k, err := url.QueryUnescape(rk)
		if err != nil {
			return "", fmt.Errorf("query parameter name %q: %w", rk, err)
		}
		v, err := url.QueryUnescape(rv)
		if err != nil {
			return "", fmt.Errorf("query parameter %q value: %w", k, err)
		}
		if slices.Contains(exclude, k) {
			continue
		}
		pairs = append(pairs, pair{escape(k, false), escape(v, false)})
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.v, b.v)
	})
	var b strings.Builder
	b.Grow(len(rawQuery) + len(rawQuery)/4)
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String(), nil
}

// CanonicalHeaders builds the canonical header block (one "name:value\n"
// line per name) and the signed-headers list ("a;b;c") for the given header
// names, in the order given (signers pass them sorted; verifiers pass the
// client's list unchanged). Names are matched case-insensitively and written
// in lower case. Values are trimmed, inner runs of spaces collapse to one,
// and several values of one header are joined with ",".
//
// "host" is taken from r.Host (r.URL.Host when empty), since net/http keeps
// it out of r.Header. "content-length" is taken from the Content-Length
// header when present, else from r.ContentLength (a client-side request
// keeps it only there). A name absent from the request is an error wrapping
// [ErrHeaderAbsent]; so are an empty or repeated name.
func CanonicalHeaders(r *http.Request, names []string) (canonical, signedHeaders string, err error) {
	if len(names) == 0 {
		return "", "", errors.New("no signed headers")
	}
	values := headerLookup(r.Header)
	var b strings.Builder
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		name := strings.ToLower(n)
		if name == "" {
			return "", "", errors.New("empty signed header name")
		}
		if seen[name] {
			return "", "", fmt.Errorf("signed header %q listed twice", name)
		}
		seen[name] = true

		var vals []string
		switch name {
		case "host":
			host := r.Host
			if host == "" && r.URL != nil {
				host = r.URL.Host
			}
			if host == "" {
				return "", "", fmt.Errorf("%w: host", ErrHeaderAbsent)
			}
			vals = []string{host}
		case "content-length":
			vals = values(name)
			if len(vals) == 0 {
				if r.ContentLength < 0 {
					return "", "", fmt.Errorf("%w: content-length (length unknown)", ErrHeaderAbsent)
				}
				vals = []string{strconv.FormatInt(r.ContentLength, 10)}
			}
		default:
			vals = values(name)
			if len(vals) == 0 {
				return "", "", fmt.Errorf("%w: %s", ErrHeaderAbsent, name)
			}
		}
		b.WriteString(name)
		b.WriteByte(':')
		for i, v := range vals {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(trimAll(v))
		}
		b.WriteByte('\n')
	}
	return b.String(), strings.ToLower(strings.Join(names, ";")), nil
}

// headerLookup returns a case-insensitive lookup of h by lower-case name.
// Server-side headers always have canonical keys, so the common path is a
// plain map access; a hand-built header with other spellings is merged.
func headerLookup(h http.Header) func(lowerName string) []string {
	canonicalKeys := true
	for k := range h {
		if http.CanonicalHeaderKey(k) != k {
			canonicalKeys = false
			break
		}
	}
	if canonicalKeys {
		return func(name string) []string { return h[http.CanonicalHeaderKey(name)] }
	}
	lower := make(map[string][]string, len(h))
	for k, v := range h {
		lk := strings.ToLower(k)
		lower[lk] = append(lower[lk], v...)
	}
	return func(name string) []string { return lower[name] }
}

// trimAll trims leading and trailing white space and collapses every inner
// run of spaces to a single space (SigV4's Trimall).
func trimAll(v string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, "  ") {
		return v
	}
	var b strings.Builder
	b.Grow(len(v))
	space := false
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c == ' ' {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		b.WriteByte(c)
	}
	return b.String()
}

// CanonicalRequest joins the six parts of a canonical request. headers is
// the block from [CanonicalHeaders] (each line ending in "\n"), so the
// result has the empty line SigV4 requires after the headers.
func CanonicalRequest(method, uri, query, headers, signedHeaders, payloadHash string) string {
	return method + "\n" + uri + "\n" + query + "\n" + headers + "\n" + signedHeaders + "\n" + payloadHash
}

// StringToSign returns algorithm, the X-Amz-Date value, the scope and the
// hex SHA-256 of the canonical request, joined by newlines.
func StringToSign(algorithm, amzDate string, scope Scope, canonicalRequest string) string {
	return algorithm + "\n" + amzDate + "\n" + scope.String() + "\n" + HashHex([]byte(canonicalRequest))
}

// SigningKey derives the SigV4 signing key from a secret access key:
// HMAC chained over the scope's date, region, service and terminator.
func SigningKey(secret string, scope Scope) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), scope.Date)
	k = hmacSHA256(k, scope.Region)
	k = hmacSHA256(k, scope.Service)
	return hmacSHA256(k, scope.Terminator)
}

// Signature returns the lowercase hex HMAC-SHA256 of the string to sign
// under the signing key.
func Signature(signingKey []byte, stringToSign string) string {
	return hex.EncodeToString(hmacSHA256(signingKey, stringToSign))
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}
