package helper

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// IMDSv2 paths and headers served by serve, as on EC2.
const (
	IMDSTokenPath       = "/latest/api/token"
	IMDSCredentialsPath = "/latest/meta-data/iam/security-credentials"
	HeaderIMDSToken     = "X-Aws-Ec2-Metadata-Token"
	HeaderIMDSTokenTTL  = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"
)

// Limits of the token endpoint, as in aws_signing_helper (and EC2).
const (
	// DefaultIMDSTokenTTL is a token's lifetime when the PUT asks for none.
	DefaultIMDSTokenTTL = 21600
	// MaxIMDSTokenTTL is the longest lifetime a token may ask for.
	MaxIMDSTokenTTL = 21600
	// DefaultMaxIMDSTokens is how many live tokens are kept; beyond it the
	// one that expires first is dropped.
	DefaultMaxIMDSTokens = 256
	// imdsTokenLength is the length of a token: that many characters of
	// standard base64, as the official helper issues.
	imdsTokenLength = 100
)

// IMDSConfig configures an [IMDS] handler.
type IMDSConfig struct {
	// RoleName is served as the instance's one role.
	RoleName string
	// Credentials returns valid credentials and when they were obtained,
	// or an error; [Refresher.Current] fits. Required.
	Credentials func(ctx context.Context) (*Credentials, time.Time, error)
	// Now is the clock token lifetimes are measured with. Required.
	Now func() time.Time
	// Logger receives token and credential errors; nil discards them.
	Logger *Logger
	// MaxTokens bounds the live tokens; 0 means DefaultMaxIMDSTokens.
	MaxTokens int
}

// IMDS is an http.Handler that emulates the IMDSv2 credential endpoints of
// the EC2 instance metadata service, so that the AWS SDKs' and CLI's
// default credential chains (with AWS_EC2_METADATA_SERVICE_ENDPOINT
// pointing at it) obtain IAM Roles Anywhere credentials. It answers like
// aws_signing_helper serve, status codes, bodies and quirks included:
//
//	PUT  /latest/api/token[/...]                      a session token (TTL header 1..21600, default 21600);
//	                                                  400 with X-Forwarded-For or a bad TTL; other methods 405
//	GET  /latest/meta-data/iam/security-credentials   the role name (also with "/" and any other
//	                                                  sub-path, like the official subtree route)
//	GET  /latest/meta-data/iam/security-credentials/ROLE[/...]   the credentials JSON
//	                                                  (401 without a valid token; 405 for other methods)
//	anything else                                     404
//
// Unlike the official helper it never answers with empty credentials: when
// none are valid it answers 500 with the reason.
type IMDS struct {
	cfg    IMDSConfig
	mux    *http.ServeMux
	tokens tokenStore
}

// NewIMDS returns the handler. The role name must be a valid IAM role name.
func NewIMDS(cfg IMDSConfig) (*IMDS, error) {
	if err := checkRoleName(cfg.RoleName); err != nil {
		return nil, err
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = DefaultMaxIMDSTokens
	}
	m := &IMDS{cfg: cfg, tokens: tokenStore{max: cfg.MaxTokens, m: map[string]time.Time{}}}
	mux := http.NewServeMux()
	mux.HandleFunc(IMDSTokenPath, m.putToken)
	mux.HandleFunc(IMDSTokenPath+"/", m.putToken)
	mux.HandleFunc(IMDSCredentialsPath, m.getRoleName)
	mux.HandleFunc(IMDSCredentialsPath+"/", m.getRoleName)
	mux.HandleFunc(IMDSCredentialsPath+"/"+cfg.RoleName, m.getCredentials)
	mux.HandleFunc(IMDSCredentialsPath+"/"+cfg.RoleName+"/", m.getCredentials)
	m.mux = mux
	return m, nil
}

// checkRoleName accepts IAM role names: 1 to 64 characters of letters,
// digits and +=,.@_-.
func checkRoleName(name string) error {
	if name == "" || len(name) > 64 {
		return fmt.Errorf("invalid role name %q: it must have 1 to 64 characters", name)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("+=,.@_-", c)) {
			return fmt.Errorf("invalid role name %q: only letters, digits and +=,.@_- are allowed", name)
		}
	}
	return nil
}

// ServeHTTP implements http.Handler.
func (m *IMDS) ServeHTTP(w http.ResponseWriter, r *http.Request) { m.mux.ServeHTTP(w, r) }

// plain writes a text/plain answer.
func plain(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (m *IMDS) putToken(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPut {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	// A proxy in front would let other machines obtain tokens; EC2 refuses
	// these requests for the same reason.
	if r.Header.Get("X-Forwarded-For") != "" {
		plain(w, http.StatusBadRequest, "unable to process requests with X-Forwarded-For header")
		return
	}
	ttlText := r.Header.Get(HeaderIMDSTokenTTL)
	if ttlText == "" {
		ttlText = strconv.Itoa(DefaultIMDSTokenTTL)
	}
	ttl, err := strconv.Atoi(ttlText)
	if err != nil || ttl < 1 || ttl > MaxIMDSTokenTTL {
		plain(w, http.StatusBadRequest, "invalid token TTL")
		return
	}
	token, err := newIMDSToken()
	if err != nil {
		plain(w, http.StatusInternalServerError, "unable to generate token")
		return
	}
	now := m.cfg.Now()
	m.tokens.insert(token, now.Add(time.Duration(ttl)*time.Second), now)
	w.Header().Set(HeaderIMDSTokenTTL, ttlText)
	plain(w, http.StatusOK, token)
}

// newIMDSToken returns a random token shaped like the official helper's:
// the first 100 characters of the standard base64 of 128 random bytes.
func newIMDSToken() (string, error) {
	b := make([]byte, 128)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b)[:imdsTokenLength], nil
}

// checkToken answers 401 and returns false unless the request carries a
// live token; it returns the token's remaining lifetime.
func (m *IMDS) checkToken(w http.ResponseWriter, r *http.Request) (time.Duration, bool) {
	if token := r.Header.Get(HeaderIMDSToken); token != "" {
		now := m.cfg.Now()
		if exp, ok := m.tokens.lookup(token); ok && !now.After(exp) {
			return exp.Sub(now), true
		}
	}
	plain(w, http.StatusUnauthorized, tokenError(r))
	return 0, false
}

func (m *IMDS) getRoleName(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	left, ok := m.checkToken(w, r)
	if !ok {
		return
	}
	w.Header().Set(HeaderIMDSTokenTTL, strconv.FormatInt(int64(left.Seconds()), 10))
	plain(w, http.StatusOK, m.cfg.RoleName)
}

// imdsCredentials is the credentials document, in EC2's field order.
type imdsCredentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string
	Token           string
	Code            string
	Type            string
	Expiration      time.Time
	LastUpdated     time.Time
}

func (m *IMDS) getCredentials(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	if _, ok := m.checkToken(w, r); !ok {
		m.cfg.Logger.Printf("Token validation received error: %s", tokenError(r))
		return
	}
	c, updated, err := m.cfg.Credentials(r.Context())
	if err != nil {
		m.cfg.Logger.Printf("Error generating credentials: %v", err)
		plain(w, http.StatusInternalServerError, "unable to obtain credentials: "+err.Error())
		return
	}
	doc, err := json.Marshal(imdsCredentials{
		AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, Token: c.SessionToken,
		Code: "Success", Type: "AWS-HMAC", Expiration: c.Expires.UTC(), LastUpdated: updated.UTC(),
	})
	if err != nil {
		plain(w, http.StatusInternalServerError, "failed to encode credentials")
		return
	}
	plain(w, http.StatusOK, string(doc)+"\n")
}

// tokenError says why a request's token was refused.
func tokenError(r *http.Request) string {
	if r.Header.Get(HeaderIMDSToken) == "" {
		return "no token provided"
	}
	return "invalid token provided"
}

// tokenStore holds the live session tokens and their expiry times.
type tokenStore struct {
	mu  sync.Mutex
	max int
	m   map[string]time.Time
}

// insert adds a token, first dropping expired ones and, when full, the one
// that expires first.
func (s *tokenStore) insert(token string, exp, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, e := range s.m {
		if now.After(e) {
			delete(s.m, t)
		}
	}
	for len(s.m) >= s.max {
		var first string
		var firstExp time.Time
		for t, e := range s.m {
			if first == "" || e.Before(firstExp) {
				first, firstExp = t, e
			}
		}
		delete(s.m, first)
	}
	s.m[token] = exp
}

func (s *tokenStore) lookup(token string) (time.Time, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.m[token]
	return exp, ok
}

// len is the number of tokens held (for tests).
func (s *tokenStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m)
}
