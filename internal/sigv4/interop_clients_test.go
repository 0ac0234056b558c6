package sigv4

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// verifyingServer is an httptest server that verifies every request with
// the sigv4 package and answers with a minimal valid response, so that real
// aws-sdk-go-v2 service clients can be pointed at it.
type verifyingServer struct {
	*httptest.Server
	mu   sync.Mutex
	seen []verified
}

type verified struct {
	method, path, service string
	token                 string
	err                   error
}

func newVerifyingServer(t *testing.T) *verifyingServer {
	t.Helper()
	s := &verifyingServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		v := verified{method: r.Method, path: r.URL.Path}
		req, err := ParseRequest(r, body)
		if err == nil {
			v.service, v.token = req.Scope.Service, req.SessionToken
			// The SDK signs with the wall clock, so the check uses it too.
			err = req.CheckTime(time.Now(), DefaultMaxSkew)
		}
		if err == nil {
			err = req.CheckScope("us-east-1", req.Scope.Service)
		}
		if err == nil {
			err = req.Verify(testSecret)
		}
		v.err = err
		s.mu.Lock()
		s.seen = append(s.seen, v)
		s.mu.Unlock()
		if err != nil {
			w.Header().Set("X-Amzn-ErrorType", "InvalidSignatureException")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `{"message":"signature rejected"}`)
			return
		}
		switch v.service {
		case "sts":
			w.Header().Set("Content-Type", "text/xml")
			io.WriteString(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>`+
				`<Arn>arn:aws:iam::123456789012:root</Arn><UserId>123456789012</UserId><Account>123456789012</Account>`+
				`</GetCallerIdentityResult><ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)
		case "iam":
			w.Header().Set("Content-Type", "text/xml")
			io.WriteString(w, `<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListRolesResult>`+
				`<IsTruncated>false</IsTruncated><Roles/></ListRolesResult></ListRolesResponse>`)
		default:
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{}`)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// TestServiceClientsInterop drives the real aws-sdk-go-v2 IAM, STS and
// Roles Anywhere clients (the whole middleware stack: retry headers, user
// agent, endpoint resolution, serialisation) against a verifying server.
func TestServiceClientsInterop(t *testing.T) {
	srv := newVerifyingServer(t)
	cfg := aws.Config{
		Region: "us-east-1",
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecret, SessionToken: testToken}, nil
		}),
		HTTPClient:       srv.Client(),
		RetryMaxAttempts: 1,
	}
	endpoint := aws.String(srv.URL)
	stsClient := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = endpoint })
	iamClient := iam.NewFromConfig(cfg, func(o *iam.Options) { o.BaseEndpoint = endpoint })
	raClient := rolesanywhere.NewFromConfig(cfg, func(o *rolesanywhere.Options) { o.BaseEndpoint = endpoint })
	ctx := context.Background()
	anchorARN := "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/aaaaaaaa-1111-2222-3333-444444444444"

	calls := map[string]struct {
		call    func() error
		method  string
		path    string
		service string
	}{
		"sts GetCallerIdentity (form POST)": {func() error {
			_, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			return err
		}, http.MethodPost, "/", "sts"},
		"iam ListRoles (form POST)": {func() error {
			_, err := iamClient.ListRoles(ctx, &iam.ListRolesInput{PathPrefix: aws.String("/service role/")})
			return err
		}, http.MethodPost, "/", "iam"},
		"rolesanywhere ListTagsForResource (GET with query)": {func() error {
			_, err := raClient.ListTagsForResource(ctx, &rolesanywhere.ListTagsForResourceInput{ResourceArn: aws.String(anchorARN)})
			return err
		}, http.MethodGet, "/ListTagsForResource", "rolesanywhere"},
		"rolesanywhere UntagResource (POST)": {func() error {
			_, err := raClient.UntagResource(ctx, &rolesanywhere.UntagResourceInput{ResourceArn: aws.String(anchorARN), TagKeys: []string{"b", "a", "a b"}})
			return err
		}, http.MethodPost, "/UntagResource", "rolesanywhere"},
		"rolesanywhere CreateProfile (POST JSON)": {func() error {
			_, err := raClient.CreateProfile(ctx, &rolesanywhere.CreateProfileInput{Name: aws.String("p 1"), RoleArns: []string{"arn:aws:iam::123456789012:role/R"}})
			return err
		}, http.MethodPost, "/profiles", "rolesanywhere"},
		"rolesanywhere UpdateProfile (PATCH)": {func() error {
			_, err := raClient.UpdateProfile(ctx, &rolesanywhere.UpdateProfileInput{ProfileId: aws.String("bbbbbbbb-1111-2222-3333-444444444444"), DurationSeconds: aws.Int32(900)})
			return err
		}, http.MethodPatch, "/profile/bbbbbbbb-1111-2222-3333-444444444444", "rolesanywhere"},
		"rolesanywhere DeleteTrustAnchor (DELETE)": {func() error {
			_, err := raClient.DeleteTrustAnchor(ctx, &rolesanywhere.DeleteTrustAnchorInput{TrustAnchorId: aws.String("aaaaaaaa-1111-2222-3333-444444444444")})
			return err
		}, http.MethodDelete, "/trustanchor/aaaaaaaa-1111-2222-3333-444444444444", "rolesanywhere"},
	}
	for name, c := range calls {
		t.Run(name, func(t *testing.T) {
			srv.mu.Lock()
			srv.seen = nil
			srv.mu.Unlock()
			callErr := c.call()
			srv.mu.Lock()
			defer srv.mu.Unlock()
			if len(srv.seen) != 1 {
				t.Fatalf("server saw %d requests (client error %v)", len(srv.seen), callErr)
			}
			v := srv.seen[0]
			if v.err != nil {
				t.Fatalf("server rejected %s %s: %v", v.method, v.path, v.err)
			}
			if callErr != nil {
				t.Fatalf("client: %v", callErr)
			}
			if v.method != c.method || v.path != c.path || v.service != c.service || v.token != testToken {
				t.Fatalf("server saw %+v", v)
			}
		})
	}
}
