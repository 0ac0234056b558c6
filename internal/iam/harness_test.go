package iam_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/auth"
	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/iam"
	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/store/sqlite"
)

const (
	account   = "123456789012"
	requestID = "c0ffee00-1111-2222-3333-444455556666"
)

var (
	scope = arn.Scope{Partition: "aws", Region: "us-east-1", Account: account}
	// clock is the handler's fixed time.
	clock = time.Date(2026, 11, 24, 6, 17, 55, 0, time.UTC)

	rootPrincipal = &auth.Principal{AccountID: account, Arn: scope.Root(), UserID: account}
)

// newStore returns an empty store for one test: the real SQLite store in
// the test's temporary directory.
func newStore(t testing.TB) store.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "roam.db"))
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// authorizer records every question and denies those deny picks.
type authorizer struct {
	mu       sync.Mutex
	requests []auth.Request
	deny     func(auth.Request) bool
}

func (a *authorizer) Authorize(ctx context.Context, req auth.Request) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.requests = append(a.requests, req)
	if a.deny != nil && a.deny(req) {
		caller := auth.PrincipalFrom(ctx).Arn
		return apierror.AccessDenied("User: %s is not authorized to perform: %s on resource: %s", caller, req.Action, req.Resource)
	}
	return nil
}

// last returns the last question asked about action.
func (a *authorizer) last(t *testing.T, action string) auth.Request {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, r := range slices.Backward(a.requests) {
		if r.Action == action {
			return r
		}
	}
	t.Fatalf("the authorizer was never asked about %s", action)
	return auth.Request{}
}

// validatePolicy stands in for the policy engine: a document is a JSON
// object with a Statement; trust policies name a Principal in every
// statement, permission policies in none.
func validatePolicy(document string, trust bool) error {
	var doc struct {
		Statement []map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(document), &doc); err != nil || len(doc.Statement) == 0 {
		return errors.New("Syntax errors in policy.")
	}
	for _, s := range doc.Statement {
		_, hasPrincipal := s["Principal"]
		switch {
		case trust && !hasPrincipal:
			return errors.New("Missing required field Principal")
		case !trust && hasPrincipal:
			return errors.New("Policy document should not specify a principal.")
		}
	}
	return nil
}

// env is a running IAM endpoint and an aws-sdk-go-v2 client for it.
type env struct {
	client *awsiam.Client
	authz  *authorizer
	store  store.Store
	url    string
	http   *http.Client
}

// withCaller stands in for the server's middleware: it installs the
// request record and the authenticated principal (nil: unauthenticated).
func withCaller(p *auth.Principal, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := httpapi.WithRequest(r.Context(), &httpapi.Request{ID: requestID})
		if p != nil {
			ctx = auth.WithPrincipal(ctx, p)
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func newHandler(t testing.TB, st store.Store, authz *authorizer) *iam.Handler {
	t.Helper()
	return iam.New(iam.Config{
		Store:          st,
		Scope:          scope,
		Authorizer:     authz,
		ValidatePolicy: validatePolicy,
		Now:            func() time.Time { return clock },
	})
}

// newEnv starts an IAM endpoint over loopback for the root principal.
func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{authz: &authorizer{}, store: newStore(t)}
	srv := httptest.NewServer(withCaller(rootPrincipal, newHandler(t, e.store, e.authz)))
	t.Cleanup(srv.Close)
	e.url, e.http = srv.URL, srv.Client()
	e.client = awsiam.NewFromConfig(sdkConfig(srv), func(o *awsiam.Options) { o.BaseEndpoint = aws.String(srv.URL) })
	return e
}

// sdkConfig is a client configuration for srv with static credentials
// (the handler does not check signatures) and no retries.
func sdkConfig(srv *httptest.Server) aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		HTTPClient:  srv.Client(),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// wantAPIError checks that the SDK surfaced an API error with IAM's
// status, code and message, and that the error unwraps to the SDK's
// modelled type T (smithy.GenericAPIError for codes the model lacks).
func wantAPIError[T error](t *testing.T, err error, status int, code, message string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got success, want %s", code)
	}
	var typed T
	if !errors.As(err, &typed) {
		t.Errorf("error %v is not a %T", err, typed)
	}
	var api smithy.APIError
	if !errors.As(err, &api) {
		t.Fatalf("error %v is not an API error", err)
	}
	if api.ErrorCode() != code || api.ErrorMessage() != message {
		t.Errorf("got %s: %q\nwant %s: %q", api.ErrorCode(), api.ErrorMessage(), code, message)
	}
	var resp *awshttp.ResponseError
	if !errors.As(err, &resp) {
		t.Fatalf("error %v carries no HTTP response", err)
	}
	if resp.HTTPStatusCode() != status {
		t.Errorf("status %d, want %d", resp.HTTPStatusCode(), status)
	}
	if resp.ServiceRequestID() != requestID {
		t.Errorf("request ID %q, want %q", resp.ServiceRequestID(), requestID)
	}
}

const (
	trustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]}]}`
	readPolicy  = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::bucket/*"}]}`
	writePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":"*"}]}`
)

// mustCreateRole creates a role with the trust policy.
func (e *env) mustCreateRole(t *testing.T, name, path string) {
	t.Helper()
	in := &awsiam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustPolicy)}
	if path != "" {
		in.Path = aws.String(path)
	}
	if _, err := e.client.CreateRole(context.Background(), in); err != nil {
		t.Fatalf("CreateRole %s: %v", name, err)
	}
}

// mustCreatePolicy creates a managed policy and returns its ARN.
func (e *env) mustCreatePolicy(t *testing.T, name, path string) string {
	t.Helper()
	in := &awsiam.CreatePolicyInput{PolicyName: aws.String(name), PolicyDocument: aws.String(readPolicy)}
	if path != "" {
		in.Path = aws.String(path)
	}
	out, err := e.client.CreatePolicy(context.Background(), in)
	if err != nil {
		t.Fatalf("CreatePolicy %s: %v", name, err)
	}
	return aws.ToString(out.Policy.Arn)
}
