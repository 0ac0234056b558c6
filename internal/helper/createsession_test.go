package helper

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/sigv4x509"
	"github.com/roam-dev/roam/internal/testpki"
)

const (
	taArn   = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/aaaaaaaa-1111-2222-3333-444444444444"
	profArn = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/bbbbbbbb-1111-2222-3333-444444444444"
	roleArn = "arn:aws:iam::123456789012:role/TestRole"
	okBody  = `{"credentialSet":[{"assumedRoleUser":{"arn":"a","assumedRoleId":"b"},"credentials":{"accessKeyId":"ASIAEXAMPLE","expiration":"2026-11-24T06:55:53Z","secretAccessKey":"secret","sessionToken":"token"},"packedPolicySize":0,"roleArn":"r","sourceIdentity":"CN=x"}],"subjectArn":"s"}`
)

// reply is one canned answer of the fake endpoint.
type reply struct {
	status int
	header map[string]string
	body   string
}

// fakeEndpoint answers with replies in turn (the last one repeats) and
// verifies each request's X.509 signature.
type fakeEndpoint struct {
	mu       sync.Mutex
	replies  []reply
	requests []*http.Request
	bodies   []string
	verified []error
}

func (f *fakeEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	_, err := sigv4x509.Verify(r, body, sigv4x509.VerifyOptions{Now: time.Now()})
	f.mu.Lock()
	f.requests = append(f.requests, r)
	f.bodies = append(f.bodies, string(body))
	f.verified = append(f.verified, err)
	rep := f.replies[min(len(f.requests), len(f.replies))-1]
	f.mu.Unlock()
	for k, v := range rep.header {
		w.Header().Set(k, v)
	}
	w.Header().Set("X-Amzn-Requestid", "req-1")
	w.WriteHeader(rep.status)
	_, _ = io.WriteString(w, rep.body)
}

func identity(t *testing.T) Identity {
	ca := testpki.NewCA(t)
	leaf := ca.Leaf(t)
	return Identity{Signer: leaf.Key, Certificate: leaf.Cert}
}

func client(env map[string]string) *Client {
	return &Client{
		Getenv:  func(k string) string { return env[k] },
		Now:     time.Now,
		Backoff: func(int) time.Duration { return time.Millisecond },
	}
}

func TestCreateSession(t *testing.T) {
	id := identity(t)
	tests := []struct {
		name     string
		replies  []reply
		env      map[string]string
		params   Params
		wantErr  string
		requests int
	}{
		{name: "ok/201", replies: []reply{{201, nil, okBody}}, requests: 1},
		{name: "ok/200 also accepted", replies: []reply{{200, nil, okBody}}, requests: 1},
		{name: "ok/503 then success", replies: []reply{{503, nil, `{}`}, {201, nil, okBody}}, requests: 2},
		{name: "ok/throttled then success", replies: []reply{{400, map[string]string{"X-Amzn-ErrorType": "ThrottlingException"}, `{"message":"slow down"}`}, {201, nil, okBody}}, requests: 2},
		{name: "error/500 three times", replies: []reply{{500, nil, `{"message":"Internal failure"}`}}, requests: 3,
			wantErr: "operation error RolesAnywhere: CreateSession, exceeded maximum number of attempts, 3, https response error StatusCode: 500, RequestID: req-1, api error UnknownError: Internal failure"},
		{name: "error/AWS_MAX_ATTEMPTS=1", replies: []reply{{500, nil, `{"message":"Internal failure"}`}}, env: map[string]string{"AWS_MAX_ATTEMPTS": "1"}, requests: 1,
			wantErr: "operation error RolesAnywhere: CreateSession, https response error StatusCode: 500, RequestID: req-1, api error UnknownError: Internal failure"},
		{name: "error/403 header type", replies: []reply{{403, map[string]string{"X-Amzn-ErrorType": "AccessDeniedException:http://internal"}, `{"message":"Untrusted signing certificate"}`}}, requests: 1,
			wantErr: "operation error RolesAnywhere: CreateSession, https response error StatusCode: 403, RequestID: req-1, AccessDeniedException: Untrusted signing certificate"},
		{name: "error/403 body type", replies: []reply{{403, nil, `{"__type":"AccessDeniedException","message":"Invalid signature"}`}}, requests: 1,
			wantErr: "StatusCode: 403, RequestID: req-1, AccessDeniedException: Invalid signature"},
		{name: "error/400 plain text", replies: []reply{{400, nil, "bad request"}}, requests: 1, wantErr: "StatusCode: 400, RequestID: req-1, deserialization failed, failed to decode response body, invalid character 'b' looking for beginning of value"},
		{name: "error/truncated JSON", replies: []reply{{200, nil, okBody[:40]}}, requests: 1, wantErr: "deserialization failed, failed to decode response body, unexpected EOF"},
		{name: "error/HTML", replies: []reply{{200, nil, "<html>"}}, requests: 1, wantErr: "deserialization failed, failed to decode response body, invalid character '<'"},
		{name: "error/empty credential set", replies: []reply{{200, nil, `{"credentialSet":[]}`}}, requests: 1, wantErr: "unable to obtain temporary security credentials from CreateSession"},
		{name: "error/no credentials", replies: []reply{{200, nil, `{"credentialSet":[{}]}`}}, requests: 1, wantErr: "malformed CreateSession response: credentialSet[0].credentials is missing"},
		{name: "error/null session token", replies: []reply{{200, nil, strings.Replace(okBody, `"token"`, "null", 1)}}, requests: 1, wantErr: "credentialSet[0].credentials.sessionToken is missing"},
		{name: "error/number as string", replies: []reply{{200, nil, strings.Replace(okBody, `"ASIAEXAMPLE"`, "12", 1)}}, requests: 1, wantErr: "deserialization failed"},
		{name: "error/regions differ", replies: []reply{{201, nil, okBody}}, params: Params{ProfileArn: strings.Replace(profArn, "us-east-1", "eu-west-1", 1)}, wantErr: "trust anchor and profile regions don't match"},
		{name: "error/bad trust anchor ARN", replies: []reply{{201, nil, okBody}}, params: Params{TrustAnchorArn: "not-an-arn"}, wantErr: "failed to parse trust anchor arn"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeEndpoint{replies: tt.replies}
			srv := httptest.NewServer(fake)
			defer srv.Close()
			p := Params{TrustAnchorArn: taArn, ProfileArn: profArn, RoleArn: roleArn, DurationSeconds: 3600, Endpoint: srv.URL}
			if tt.params.ProfileArn != "" {
				p.ProfileArn = tt.params.ProfileArn
			}
			if tt.params.TrustAnchorArn != "" {
				p.TrustAnchorArn = tt.params.TrustAnchorArn
			}
			creds, err := client(tt.env).CreateSession(context.Background(), id, p)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want it to contain %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if string(ProcessCredentials(creds)) != `{"Version":1,"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"secret","SessionToken":"token","Expiration":"2026-11-24T06:55:53Z"}` {
				t.Fatalf("output %s", ProcessCredentials(creds))
			}
			if len(fake.requests) != tt.requests {
				t.Fatalf("%d requests, want %d", len(fake.requests), tt.requests)
			}
			for i, r := range fake.requests {
				if fake.verified[i] != nil {
					t.Errorf("request %d does not verify: %v", i+1, fake.verified[i])
				}
				if got, want := r.Header.Get("Amz-Sdk-Request"), "attempt="+string(rune('1'+i))+"; max="; !strings.HasPrefix(got, want) {
					t.Errorf("request %d Amz-Sdk-Request %q", i+1, got)
				}
				if r.Header.Get("Amz-Sdk-Invocation-Id") != fake.requests[0].Header.Get("Amz-Sdk-Invocation-Id") {
					t.Error("the invocation ID changed between attempts")
				}
				if fake.bodies[i] != `{"durationSeconds":3600}` {
					t.Errorf("body %s", fake.bodies[i])
				}
			}
		})
	}
}

func TestCreateSessionTransportErrorsAreRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // connection refused from now on
	_, err := client(nil).CreateSession(context.Background(), identity(t), Params{TrustAnchorArn: taArn, ProfileArn: profArn, RoleArn: roleArn, DurationSeconds: 900, Endpoint: url})
	if err == nil || !strings.Contains(err.Error(), "exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed") {
		t.Fatalf("error %v", err)
	}
}

func TestRequestBody(t *testing.T) {
	fake := &fakeEndpoint{replies: []reply{{201, nil, okBody}}}
	srv := httptest.NewServer(fake)
	defer srv.Close()
	_, err := client(nil).CreateSession(context.Background(), identity(t), Params{TrustAnchorArn: taArn, ProfileArn: profArn, RoleArn: roleArn, DurationSeconds: 900, RoleSessionName: "my-session.name@example", Endpoint: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fake.bodies[0], `{"durationSeconds":900,"roleSessionName":"my-session.name@example"}`; got != want {
		t.Fatalf("body %s, want %s", got, want)
	}
	var q map[string][]string = fake.requests[0].URL.Query()
	if q["trustAnchorArn"][0] != taArn || q["profileArn"][0] != profArn || q["roleArn"][0] != roleArn {
		t.Fatalf("query %v", q)
	}
}

func TestResolveEndpoint(t *testing.T) {
	tests := []struct {
		name, flag, region string
		env                map[string]string
		want, wantErr      string
	}{
		{name: "default", region: "eu-west-1", want: "https://rolesanywhere.eu-west-1.amazonaws.com"},
		{name: "china", region: "cn-north-1", want: "https://rolesanywhere.cn-north-1.amazonaws.com.cn"},
		{name: "fips", region: "us-east-1", env: map[string]string{"AWS_USE_FIPS_ENDPOINT": "true"}, want: "https://rolesanywhere-fips.us-east-1.amazonaws.com"},
		{name: "dual-stack", region: "us-east-1", env: map[string]string{"AWS_USE_DUALSTACK_ENDPOINT": "true"}, want: "https://rolesanywhere.us-east-1.api.aws"},
		{name: "flag", flag: "http://127.0.0.1:8443/", region: "us-east-1", want: "http://127.0.0.1:8443"},
		{name: "AWS_ENDPOINT_URL without flag", region: "us-east-1", env: map[string]string{"AWS_ENDPOINT_URL": "http://env:1"}, want: "http://env:1"},
		{name: "flag beats AWS_ENDPOINT_URL", flag: "http://flag:1", region: "us-east-1", env: map[string]string{"AWS_ENDPOINT_URL": "http://env:1"}, want: "http://flag:1"},
		{name: "AWS_ENDPOINT_URL_ROLESANYWHERE beats flag", flag: "http://flag:1", region: "us-east-1", env: map[string]string{"AWS_ENDPOINT_URL_ROLESANYWHERE": "http://ra:1", "AWS_ENDPOINT_URL": "http://env:1"}, want: "http://ra:1"},
		{name: "no scheme", flag: "127.0.0.1:8443", region: "us-east-1", wantErr: "Failed to parse uri: 127.0.0.1:8443"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveEndpoint(func(k string) string { return tt.env[k] }, tt.flag, tt.region)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func FuzzParseResponse(f *testing.F) {
	f.Add([]byte(okBody))
	f.Add([]byte(`{"credentialSet":[{"credentials":{}}]}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := parseResponse(b)
		if err == nil && (c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" || c.Expiration == "") {
			t.Fatalf("accepted incomplete credentials %+v", c)
		}
		if err == nil {
			var out map[string]any
			if json.Unmarshal(ProcessCredentials(c), &out) != nil {
				t.Fatal("output is not JSON")
			}
		}
	})
}
