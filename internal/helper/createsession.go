// Package helper is the client side of IAM Roles Anywhere, compatible with
// aws_signing_helper: it calls CreateSession with an X.509-signed request
// (against roam or AWS itself) and turns the answer into the credential
// formats the AWS CLI and SDKs consume.
package helper

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/sigv4x509"
)

// Params are one CreateSession call's inputs, as the helper's flags give
// them.
type Params struct {
	TrustAnchorArn  string
	ProfileArn      string
	RoleArn         string
	DurationSeconds int64
	RoleSessionName string
	// Region overrides the signing region (default: the trust anchor's).
	Region string
	// Endpoint is --endpoint (a base URL with scheme).
	Endpoint string
}

// Client calls CreateSession.
type Client struct {
	// HTTP sends requests; nil means a client built from NoVerifySSL.
	HTTP        *http.Client
	NoVerifySSL bool
	// Getenv reads AWS_ENDPOINT_URL*, AWS_MAX_ATTEMPTS and friends.
	Getenv func(string) string
	Now    func() time.Time
	// Debug, when set, receives the canonical request, the string to sign
	// and the response status: never a key or a secret.
	Debug io.Writer
	// UserAgent is sent as User-Agent.
	UserAgent string
	// Backoff is the delay before retry n (1-based); nil means exponential
	// backoff with full jitter, capped at 20 s, like the AWS SDKs.
	Backoff func(n int) time.Duration

	// defaultHTTP is built once, so serve and update reuse their
	// connection across refreshes.
	defaultHTTP     *http.Client
	defaultHTTPOnce sync.Once
}

// Credentials are temporary credentials from CreateSession.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey string
	SessionToken    string
	// Expiration is the server's string, passed through untouched.
	Expiration string
	// Expires is Expiration parsed as RFC 3339; zero when it does not parse.
	Expires time.Time
}

// Identity is a signing key and its certificates.
type Identity = sigv4x509.Identity

// SigningRegion returns the signing region: the --region flag, else the
// trust anchor ARN's region. The trust anchor and profile must be in one
// region, as the official helper requires.
func (p *Params) SigningRegion() (string, error) {
	ta, err := arn.Parse(p.TrustAnchorArn)
	if err != nil {
		return "", fmt.Errorf("failed to parse trust anchor arn: %v", err)
	}
	pr, err := arn.Parse(p.ProfileArn)
	if err != nil {
		return "", fmt.Errorf("failed to parse profile arn: %v", err)
	}
	if ta.Region != pr.Region {
		return "", errors.New("trust anchor and profile regions don't match")
	}
	if p.Region != "" {
		return p.Region, nil
	}
	return ta.Region, nil
}

// ResolveEndpoint picks the CreateSession base URL the way
// aws_signing_helper 1.8.0 does: AWS_ENDPOINT_URL_ROLESANYWHERE, then
// --endpoint, then AWS_ENDPOINT_URL, then the region's public endpoint
// (FIPS and dual-stack variants by AWS_USE_FIPS_ENDPOINT and
// AWS_USE_DUALSTACK_ENDPOINT).
func ResolveEndpoint(getenv func(string) string, flag, region string) (string, error) {
	ep := flag
	switch {
	case getenv("AWS_ENDPOINT_URL_ROLESANYWHERE") != "":
		ep = getenv("AWS_ENDPOINT_URL_ROLESANYWHERE")
	case flag != "":
	case getenv("AWS_ENDPOINT_URL") != "":
		ep = getenv("AWS_ENDPOINT_URL")
	default:
		host := "rolesanywhere"
		if strings.EqualFold(getenv("AWS_USE_FIPS_ENDPOINT"), "true") {
			host += "-fips"
		}
		suffix := ".amazonaws.com"
		if strings.HasPrefix(region, "cn-") {
			suffix = ".amazonaws.com.cn"
		}
		if strings.EqualFold(getenv("AWS_USE_DUALSTACK_ENDPOINT"), "true") {
			suffix = ".api.aws"
			if strings.HasPrefix(region, "cn-") {
				suffix = ".api.amazonwebservices.com.cn"
			}
		}
		return "https://" + host + "." + region + suffix, nil
	}
	u, err := url.Parse(ep)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "", fmt.Errorf("failed to resolve service endpoint, Failed to parse uri: %s", ep)
	}
	return strings.TrimSuffix(ep, "/"), nil
}

// maxAttempts is AWS_MAX_ATTEMPTS, else 3 like the AWS SDKs.
func (c *Client) maxAttempts() int {
	if n, err := strconv.Atoi(c.Getenv("AWS_MAX_ATTEMPTS")); err == nil && n > 0 {
		return n
	}
	return 3
}

func (c *Client) httpClient() *http.Client {
	if c.HTTP != nil {
		return c.HTTP
	}
	c.defaultHTTPOnce.Do(func() {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.Proxy = http.ProxyFromEnvironment
		tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.NoVerifySSL} //nolint:gosec // --no-verify-ssl asks for it
		tr.ForceAttemptHTTP2 = true
		c.defaultHTTP = &http.Client{Transport: tr}
	})
	return c.defaultHTTP
}

// CreateSession signs and sends a CreateSession request with id, retrying
// server errors, throttling and transport failures (re-signed each time).
func (c *Client) CreateSession(ctx context.Context, id Identity, p Params) (*Credentials, error) {
	region, err := p.SigningRegion()
	if err != nil {
		return nil, err
	}
	endpoint, err := ResolveEndpoint(c.Getenv, p.Endpoint, region)
	if err != nil {
		return nil, opError(err)
	}

	hc := c.httpClient()
	invocation := uuid.NewString()
	attempts := c.maxAttempts()
	var lastErr error
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 {
			if err := sleep(ctx, c.backoff(attempt-1)); err != nil {
				return nil, err
			}
		}
		creds, retry, err := c.attempt(ctx, hc, endpoint, &p, id, region, invocation, attempt, attempts)
		if err == nil {
			return creds, nil
		}
		lastErr = err
		if !retry {
			return nil, err
		}
	}
	if attempts > 1 {
		return nil, fmt.Errorf("operation error RolesAnywhere: CreateSession, exceeded maximum number of attempts, %d, %w", attempts, unwrapOp(lastErr))
	}
	return nil, lastErr
}

// NewCreateSessionRequest returns the unsigned CreateSession request for p
// against the base URL endpoint, as aws_signing_helper sends attempt n of
// max of the call with the SDK invocation ID invocation: the three ARNs in
// the query, durationSeconds (and roleSessionName when set) in the JSON
// body, and the SDK's Content-Type, Amz-Sdk-Invocation-Id and
// Amz-Sdk-Request headers. It also returns the body, which the signature
// covers.
func NewCreateSessionRequest(ctx context.Context, endpoint string, p *Params, invocation string, n, max int) (*http.Request, []byte, error) {
	body, err := json.Marshal(struct {
		DurationSeconds int64  `json:"durationSeconds"`
		RoleSessionName string `json:"roleSessionName,omitempty"`
	}{p.DurationSeconds, p.RoleSessionName})
	if err != nil {
		return nil, nil, err
	}
	query := url.Values{"profileArn": {p.ProfileArn}, "roleArn": {p.RoleArn}, "trustAnchorArn": {p.TrustAnchorArn}}.Encode()
	target := strings.TrimSuffix(endpoint, "/") + "/sessions?" + query
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Amz-Sdk-Invocation-Id", invocation)
	req.Header.Set("Amz-Sdk-Request", fmt.Sprintf("attempt=%d; max=%d", n, max))
	return req, body, nil
}

// attempt sends one signed request. retry says whether a failure is worth
// another attempt.
func (c *Client) attempt(ctx context.Context, hc *http.Client, endpoint string, p *Params, id Identity, region, invocation string, n, max int) (*Credentials, bool, error) {
	req, body, err := NewCreateSessionRequest(ctx, endpoint, p, invocation, n, max)
	if err != nil {
		return nil, false, opError(err)
	}
	signed, err := sigv4x509.Sign(req, body, id, region, c.Now())
	if err != nil {
		return nil, false, err
	}
	req.Header.Set("User-Agent", c.userAgent())
	if c.Debug != nil {
		fmt.Fprintf(c.Debug, "CreateSession attempt %d: %s %s\n--- canonical request ---\n%s\n--- string to sign ---\n%s\n---\n", n, req.Method, req.URL, signed.CanonicalRequest, signed.StringToSign)
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, false, ctx.Err()
		}
		return nil, true, opError(fmt.Errorf("https response error StatusCode: 0, RequestID: , request send failed, %w", err))
	}
	defer resp.Body.Close()
	respBody, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	requestID := resp.Header.Get("X-Amzn-Requestid")
	if c.Debug != nil {
		fmt.Fprintf(c.Debug, "CreateSession response: %s (request ID %s, %d bytes)\n", resp.Status, requestID, len(respBody))
	}
	if err != nil {
		return nil, true, opError(fmt.Errorf("https response error StatusCode: %d, RequestID: %s, failed to read response body, %w", resp.StatusCode, requestID, err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		code, msg, err := errorInfo(resp, respBody)
		if err != nil {
			return nil, resp.StatusCode >= 500, opError(fmt.Errorf("https response error StatusCode: %d, RequestID: %s, deserialization failed, failed to decode response body, %w", resp.StatusCode, requestID, err))
		}
		retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests || throttling(code)
		return nil, retry, opError(fmt.Errorf("https response error StatusCode: %d, RequestID: %s, %s", resp.StatusCode, requestID, describeError(code, msg)))
	}
	creds, err := parseResponse(respBody)
	if err != nil {
		var unusable unusableError
		if errors.As(err, &unusable) {
			return nil, false, err
		}
		return nil, false, opError(fmt.Errorf("https response error StatusCode: %d, RequestID: %s, deserialization failed, failed to decode response body, %w", resp.StatusCode, requestID, err))
	}
	return creds, false, nil
}

func (c *Client) userAgent() string {
	if c.UserAgent != "" {
		return c.UserAgent
	}
	return fmt.Sprintf("roam (%s; %s; %s)", runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

func (c *Client) backoff(n int) time.Duration {
	if c.Backoff != nil {
		return c.Backoff(n)
	}
	ceiling := time.Duration(1<<min(n, 5)) * time.Second
	if ceiling > 20*time.Second {
		ceiling = 20 * time.Second
	}
	j, err := rand.Int(rand.Reader, big.NewInt(int64(ceiling)))
	if err != nil {
		return ceiling / 2
	}
	return time.Duration(j.Int64())
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// opError words errors like the AWS SDK does, which scripts grep for.
func opError(err error) error {
	return &operationError{err}
}

type operationError struct{ err error }

func (e *operationError) Error() string {
	return "operation error RolesAnywhere: CreateSession, " + e.err.Error()
}
func (e *operationError) Unwrap() error { return e.err }

func unwrapOp(err error) error {
	var op *operationError
	if errors.As(err, &op) {
		return op.err
	}
	return err
}

// errorInfo reads an AWS JSON error: the code from X-Amzn-ErrorType
// (before any ':'), else the body's code or __type; the message from
// message or Message. A body that is not JSON is an error, as in the SDKs.
func errorInfo(resp *http.Response, body []byte) (code, msg string, err error) {
	code = resp.Header.Get("X-Amzn-ErrorType")
	var doc map[string]any
	if len(bytes.TrimSpace(body)) > 0 {
		if err := decodeJSON(body, &doc); err != nil {
			return "", "", err
		}
	}
	if code == "" {
		for _, k := range []string{"code", "Code", "__type"} {
			if s, ok := doc[k].(string); ok && s != "" {
				code = s
				break
			}
		}
	}
	if i := strings.IndexByte(code, ':'); i >= 0 {
		code = code[:i]
	}
	if i := strings.LastIndexByte(code, '#'); i >= 0 {
		code = code[i+1:]
	}
	for k, v := range doc {
		if strings.EqualFold(k, "message") {
			if s, ok := v.(string); ok {
				msg = s
			}
		}
	}
	return code, msg, nil
}

// decodeJSON decodes one JSON value the way the SDK's streaming decoder
// does (so a truncated body reports "unexpected EOF").
func decodeJSON(body []byte, v any) error {
	return json.NewDecoder(bytes.NewReader(body)).Decode(v)
}

func describeError(code, msg string) string {
	switch code {
	case "AccessDeniedException", "ResourceNotFoundException", "ValidationException":
		return code + ": " + msg
	case "":
		return "api error UnknownError: " + msg
	}
	return "api error " + code + ": " + msg
}

func throttling(code string) bool {
	switch code {
	case "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "SlowDown":
		return true
	}
	return false
}

// unusableError is a well-formed answer that holds no usable credentials.
type unusableError struct{ msg string }

func (e unusableError) Error() string { return e.msg }

// parseResponse reads credentialSet[0].credentials; a missing field is a
// clear error (the official helper panics).
func parseResponse(body []byte) (*Credentials, error) {
	var out struct {
		CredentialSet []struct {
			Credentials *struct {
				AccessKeyID     *string `json:"accessKeyId"`
				Expiration      *string `json:"expiration"`
				SecretAccessKey *string `json:"secretAccessKey"`
				SessionToken    *string `json:"sessionToken"`
			} `json:"credentials"`
		} `json:"credentialSet"`
	}
	if err := decodeJSON(body, &out); err != nil {
		return nil, err
	}
	if len(out.CredentialSet) == 0 {
		return nil, unusableError{"unable to obtain temporary security credentials from CreateSession"}
	}
	c := out.CredentialSet[0].Credentials
	if c == nil {
		return nil, unusableError{"malformed CreateSession response: credentialSet[0].credentials is missing"}
	}
	for _, f := range []struct {
		name string
		v    *string
	}{{"accessKeyId", c.AccessKeyID}, {"secretAccessKey", c.SecretAccessKey}, {"sessionToken", c.SessionToken}, {"expiration", c.Expiration}} {
		if f.v == nil || *f.v == "" {
			return nil, unusableError{"malformed CreateSession response: credentialSet[0].credentials." + f.name + " is missing"}
		}
	}
	creds := &Credentials{AccessKeyID: *c.AccessKeyID, SecretAccessKey: *c.SecretAccessKey, SessionToken: *c.SessionToken, Expiration: *c.Expiration}
	if t, err := time.Parse(time.RFC3339, creds.Expiration); err == nil {
		creds.Expires = t
	}
	return creds, nil
}
