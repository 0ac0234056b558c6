package sigv4x509

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/roam-dev/roam/internal/sigv4"
)

// Protocol constants.
const (
	// Service is the credential scope service of every AWS4-X509 request.
	Service = "rolesanywhere"
	// CanonicalURI is what aws_signing_helper signs as the path, whatever
	// path prefix its endpoint has.
	CanonicalURI = "/sessions"
	// MaxChainLength is the most certificates X-Amz-X509-Chain may hold.
	MaxChainLength = 5
	// DefaultMaxSkew is the clock skew Verify allows by default.
	DefaultMaxSkew = 5 * time.Minute
)

// Header names.
const (
	HeaderDate  = "X-Amz-Date"
	HeaderX509  = "X-Amz-X509"
	HeaderChain = "X-Amz-X509-Chain"
)

// Identity is what a client signs with: a private key, the leaf certificate
// for it, and the intermediates to send along (may be empty).
type Identity struct {
	Signer      crypto.Signer
	Certificate *x509.Certificate
	Chain       []*x509.Certificate
}

// Signed is the outcome of [Sign]: the header that was set and the
// intermediate strings, for --debug output.
type Signed struct {
	Algorithm        string
	Authorization    string
	CanonicalRequest string
	StringToSign     string
	// Signature is the lowercase hex signature.
	Signature string
}

// Sign signs a CreateSession request in place exactly as aws_signing_helper
// 1.8.0 does. req must already carry its query (the ARNs) and every header
// to be signed (Content-Type, Amz-Sdk-Invocation-Id, Amz-Sdk-Request, ...);
// body is the request body, which Sign does not read from req.
//
// Sign sets X-Amz-Date (from t), X-Amz-X509 (standard base64 DER of the
// leaf) and X-Amz-X509-Chain (comma-joined, only when id.Chain is not
// empty), then signs host and every header in req.Header except
// Authorization, User-Agent and X-Amzn-Trace-Id. host is req.Host, or
// req.URL.Host when that is empty (http.NewRequest sets both to the URL's
// host[:port], which is what goes on the wire). The canonical URI is always
// "/sessions" (even when req.URL.Path carries an endpoint prefix), the
// method is req.Method (POST for CreateSession), the canonical query is Go's
// url.Values encoding with "%20" for spaces, and the Credential is the
// decimal serial of the leaf. The algorithm follows the key type: RSA
// PKCS#1 v1.5 or ECDSA DER over SHA-256, or pure ML-DSA over the string to
// sign. Like the helper, Sign does not check that the key matches the
// certificate.
func Sign(req *http.Request, body []byte, id Identity, region string, t time.Time) (*Signed, error) {
	if id.Signer == nil || id.Certificate == nil {
		return nil, errors.New("sigv4x509: sign: a signer and a certificate are required")
	}
	alg, err := AlgorithmFor(id.Signer.Public())
	if err != nil {
		return nil, err
	}
	t = t.UTC()
	amzDate := sigv4.FormatTime(t)
	req.Header.Del("Authorization")
	req.Header.Set(HeaderDate, amzDate)
	req.Header.Set(HeaderX509, base64.StdEncoding.EncodeToString(id.Certificate.Raw))
	if len(id.Chain) > 0 {
		parts := make([]string, len(id.Chain))
		for i, c := range id.Chain {
			parts[i] = base64.StdEncoding.EncodeToString(c.Raw)
		}
		req.Header.Set(HeaderChain, strings.Join(parts, ","))
	} else {
		req.Header.Del(HeaderChain)
	}

	names := []string{"host"}
	for k := range req.Header {
		switch lk := strings.ToLower(k); lk {
		case "authorization", "user-agent", "x-amzn-trace-id", "host":
		default:
			if !slices.Contains(names, lk) {
				names = append(names, lk)
			}
		}
	}
	slices.Sort(names)
	headers, signedHeaders, err := sigv4.CanonicalHeaders(req, names)
	if err != nil {
		return nil, fmt.Errorf("sigv4x509: sign: %w", err)
	}
	query, err := helperQuery(req.URL.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("sigv4x509: sign: query: %w", err)
	}
	scope := sigv4.NewScope(t, region, Service)
	cr := sigv4.CanonicalRequest(req.Method, CanonicalURI, query, headers, signedHeaders, sigv4.HashHex(body))
	sts := sigv4.StringToSign(alg, amzDate, scope, cr)
	sig, err := signStringToSign(id.Signer, alg, sts)
	if err != nil {
		return nil, fmt.Errorf("sigv4x509: sign: %w", err)
	}
	a := sigv4.Authorization{
		Algorithm:     alg,
		ID:            id.Certificate.SerialNumber.String(),
		Scope:         scope,
		SignedHeaders: names,
		Signature:     hex.EncodeToString(sig),
	}
	auth := a.String()
	req.Header.Set("Authorization", auth)
	return &Signed{Algorithm: alg, Authorization: auth, CanonicalRequest: cr, StringToSign: sts, Signature: a.Signature}, nil
}

// helperQuery is aws_signing_helper's canonical query: the query parsed and
// re-encoded by url.Values.Encode (sorted by decoded name, values in
// request order), with "+" turned into "%20". For distinct names it equals
// sigv4.CanonicalQuery.
func helperQuery(rawQuery string) (string, error) {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return "", err
	}
	return strings.ReplaceAll(q.Encode(), "+", "%20"), nil
}
