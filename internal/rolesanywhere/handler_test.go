package rolesanywhere

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/auth"
	"github.com/roam-dev/roam/internal/credentials"
	"github.com/roam-dev/roam/internal/session"
	"github.com/roam-dev/roam/internal/sigv4x509"
	"github.com/roam-dev/roam/internal/snapshot"
	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/store/sqlite"
	"github.com/roam-dev/roam/internal/testpki"
)

var testScope = arn.Scope{Partition: "aws", Region: "us-east-1", Account: "123456789012"}

// newHandler returns the control plane over a real SQLite store, with
// the root user as the caller of every request.
func newHandler(t testing.TB) *Handler {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "roam.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.CreateAccount(ctx, &store.Account{ID: testScope.Account, Region: testScope.Region, Partition: "aws", RootAccessKeyID: "AKIAEXAMPLE", RootSecretAccessKey: "secret", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	k, _ := credentials.NewSealingKey(time.Now())
	if err := st.AddSealingKey(ctx, k); err != nil {
		t.Fatal(err)
	}
	loader, err := snapshot.NewLoader(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	return New(Config{
		Store: st, Scope: testScope, Now: time.Now,
		Authorizer: &auth.Authorizer{Snapshots: loader, Now: time.Now},
		Sessions:   session.New(session.Config{Snapshots: loader, Now: time.Now}),
	})
}

var root = &auth.Principal{AccountID: testScope.Account, Arn: testScope.Root(), UserID: testScope.Account}

// call sends a request as root and decodes the JSON answer.
func call(t testing.TB, h *Handler, method, target string, body any) (int, http.Header, map[string]any) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = strings.NewReader(b)
	default:
		raw, _ := json.Marshal(b)
		r = bytes.NewReader(raw)
	}
	req := httptest.NewRequest(method, target, r)
	req = req.WithContext(auth.WithPrincipal(req.Context(), root))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	var doc map[string]any
	_ = json.Unmarshal(w.Body.Bytes(), &doc)
	return w.Code, w.Header(), doc
}

func bundle(t testing.TB) string { return string(testpki.PEM(testpki.NewCA(t).Cert)) }

func anchorInput(t testing.TB, name string) map[string]any {
	return map[string]any{"name": name, "source": map[string]any{"sourceType": "CERTIFICATE_BUNDLE", "sourceData": map[string]any{"x509CertificateData": bundle(t)}}}
}

func TestTrustAnchorLifecycle(t *testing.T) {
	h := newHandler(t)
	status, _, doc := call(t, h, "POST", "/trustanchors", anchorInput(t, "anchor one"))
	if status != http.StatusCreated {
		t.Fatalf("create: %d %v", status, doc)
	}
	ta := doc["trustAnchor"].(map[string]any)
	id := ta["trustAnchorId"].(string)
	if ta["enabled"] != false {
		t.Errorf("enabled defaults to %v, want false", ta["enabled"])
	}
	if ta["trustAnchorArn"] != testScope.RolesAnywhere("trust-anchor", id) {
		t.Errorf("trustAnchorArn %v", ta["trustAnchorArn"])
	}
	ns := ta["notificationSettings"].([]any)
	if len(ns) != 2 {
		t.Fatalf("notificationSettings %v, want the two defaults", ns)
	}
	for i, event := range []string{"CA_CERTIFICATE_EXPIRY", "END_ENTITY_CERTIFICATE_EXPIRY"} {
		n := ns[i].(map[string]any)
		if n["event"] != event || n["enabled"] != true || n["threshold"] != 45.0 || n["channel"] != "ALL" || n["configuredBy"] != "rolesanywhere.amazonaws.com" {
			t.Errorf("notification setting %d = %v", i, n)
		}
	}
	for _, ts := range []string{"createdAt", "updatedAt"} {
		if _, err := time.Parse("2006-01-02T15:04:05.000000Z", ta[ts].(string)); err != nil {
			t.Errorf("%s %v: %v", ts, ta[ts], err)
		}
	}

	for _, step := range []struct {
		method, path string
		enabled      bool
	}{{"POST", "/enable", true}, {"POST", "/disable", false}, {"GET", "", false}} {
		status, _, doc := call(t, h, step.method, "/trustanchor/"+id+step.path, nil)
		if status != 200 || doc["trustAnchor"].(map[string]any)["enabled"] != step.enabled {
			t.Errorf("%s %s: %d %v", step.method, step.path, status, doc)
		}
	}
	status, _, doc = call(t, h, "GET", "/trustanchors", nil)
	if status != 200 || len(doc["trustAnchors"].([]any)) != 1 {
		t.Errorf("list: %d %v", status, doc)
	}
}

func TestValidation(t *testing.T) {
	h := newHandler(t)
	ca := testpki.NewCA(t)
	leaf := ca.Leaf(t)
	tests := []struct {
		name, method, target string
		body                 any
		status               int
		code, message        string
	}{
		{"missing name", "POST", "/trustanchors", map[string]any{"source": anchorInput(t, "x")["source"]}, 400, "ValidationException",
			"1 validation error detected: Value null at 'name' failed to satisfy constraint: Member must not be null"},
		{"bad name", "POST", "/trustanchors", anchorInput(t, "no/slashes"), 400, "ValidationException",
			"Value 'no/slashes' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [ a-zA-Z0-9-_]*"},
		{"bad source type", "POST", "/trustanchors", map[string]any{"name": "a", "source": map[string]any{"sourceType": "NOPE", "sourceData": map[string]any{"x509CertificateData": "x"}}}, 400, "ValidationException",
			"Member must satisfy enum value set: [AWS_ACM_PCA, CERTIFICATE_BUNDLE, SELF_SIGNED_REPOSITORY]"},
		{"both union members", "POST", "/trustanchors", map[string]any{"name": "a", "source": map[string]any{"sourceType": "CERTIFICATE_BUNDLE", "sourceData": map[string]any{"x509CertificateData": "x", "acmPcaArn": "arn:aws:acm-pca:us-east-1:1:certificate-authority/x"}}}, 400, "ValidationException",
			"at 'source.sourceData' failed to satisfy constraint: Member must have exactly one member set"},
		{"leaf as anchor", "POST", "/trustanchors", map[string]any{"name": "a", "source": map[string]any{"sourceType": "CERTIFICATE_BUNDLE", "sourceData": map[string]any{"x509CertificateData": string(testpki.PEM(leaf.Cert))}}}, 400, "ValidationException",
			"is not a CA certificate"},
		{"ACM PCA", "POST", "/trustanchors", map[string]any{"name": "a", "source": map[string]any{"sourceType": "AWS_ACM_PCA", "sourceData": map[string]any{"acmPcaArn": "arn:aws:acm-pca:us-east-1:1:certificate-authority/x"}}}, 400, "ValidationException",
			"AWS_ACM_PCA trust anchors are not supported by roam"},
		{"malformed JSON", "POST", "/trustanchors", `{"name":`, 400, "SerializationException", "Request body is not valid JSON"},
		{"wrong type", "POST", "/trustanchors", `{"name":5}`, 400, "SerializationException", "Value at 'name' has the wrong type"},
		{"unknown anchor", "GET", "/trustanchor/aaaaaaaa-1111-2222-3333-444444444444", nil, 404, "ResourceNotFoundException", "Trust anchor not found"},
		{"short id", "GET", "/trustanchor/abc", nil, 400, "ValidationException", "at 'trustAnchorId' failed to satisfy constraint: Member must have length greater than or equal to 36"},
		{"bad page size", "GET", "/trustanchors?pageSize=x", nil, 400, "ValidationException", "at 'pageSize'"},
		{"bad page token", "GET", "/trustanchors?nextToken=garbage", nil, 400, "ValidationException", "Invalid nextToken"},
		{"duration too short", "POST", "/profiles", map[string]any{"name": "p", "roleArns": []string{}, "durationSeconds": 899}, 400, "ValidationException",
			"Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{"duration too long", "POST", "/profiles", map[string]any{"name": "p", "roleArns": []string{}, "durationSeconds": 43201}, 400, "ValidationException",
			"Member must have value less than or equal to 43200"},
		{"bad role ARN", "POST", "/profiles", map[string]any{"name": "p", "roleArns": []string{"arn:aws:s3:::bucket"}}, 400, "ValidationException",
			"Value 'arn:aws:s3:::bucket' at 'roleArns.1.member' failed to satisfy constraint"},
		{"two errors", "POST", "/profiles", map[string]any{"durationSeconds": 1}, 400, "ValidationException", "3 validation errors detected: "},
		{"session policy not JSON", "POST", "/profiles", map[string]any{"name": "p", "roleArns": []string{}, "sessionPolicy": "nope"}, 400, "ValidationException", "sessionPolicy"},
		{"unknown route", "GET", "/nothing", nil, 404, "UnknownOperationException", "No operation matches GET /nothing"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, hdr, doc := call(t, h, tt.method, tt.target, tt.body)
			if status != tt.status || hdr.Get("X-Amzn-ErrorType") != tt.code {
				t.Fatalf("%d %s, want %d %s: %v", status, hdr.Get("X-Amzn-ErrorType"), tt.status, tt.code, doc)
			}
			if msg, _ := doc["message"].(string); !strings.Contains(msg, tt.message) {
				t.Fatalf("message %q does not contain %q", msg, tt.message)
			}
		})
	}
}

func TestProfileDefaultsAndMappings(t *testing.T) {
	h := newHandler(t)
	role := testScope.Role("/", "R")
	status, _, doc := call(t, h, "POST", "/profiles", map[string]any{"name": "p", "roleArns": []string{role}})
	if status != 201 {
		t.Fatalf("create: %d %v", status, doc)
	}
	p := doc["profile"].(map[string]any)
	if p["durationSeconds"] != 3600.0 || p["enabled"] != false || p["acceptRoleSessionName"] != false || p["requireInstanceProperties"] != false || p["createdBy"] != testScope.Root() {
		t.Errorf("defaults: %v", p)
	}
	want := `[{"certificateField":"x509Issuer","mappingRules":[{"specifier":"*"}]},{"certificateField":"x509SAN","mappingRules":[{"specifier":"DNS"},{"specifier":"URI"},{"specifier":"Name/*"}]},{"certificateField":"x509Subject","mappingRules":[{"specifier":"*"}]}]`
	if got, _ := json.Marshal(p["attributeMappings"]); string(got) != want {
		t.Errorf("attributeMappings %s, want %s", got, want)
	}
	id := p["profileId"].(string)
	status, _, doc = call(t, h, "PUT", "/profiles/"+id+"/mappings", map[string]any{"certificateField": "x509SAN", "mappingRules": []map[string]string{{"specifier": "URI"}, {"specifier": "Name"}}})
	if got, _ := json.Marshal(doc["profile"].(map[string]any)["attributeMappings"].([]any)[1]); status != 200 || string(got) != `{"certificateField":"x509SAN","mappingRules":[{"specifier":"URI"},{"specifier":"Name/*"}]}` {
		t.Errorf("put mapping: %d %s", status, got)
	}
	q := url.Values{"certificateField": {"x509SAN"}, "specifiers": {"URI"}}
	status, _, doc = call(t, h, "DELETE", "/profiles/"+id+"/mappings?"+q.Encode(), nil)
	if got, _ := json.Marshal(doc["profile"].(map[string]any)["attributeMappings"].([]any)[1]); status != 200 || string(got) != `{"certificateField":"x509SAN","mappingRules":[{"specifier":"Name/*"}]}` {
		t.Errorf("delete mapping: %d %s", status, got)
	}
	status, _, doc = call(t, h, "PATCH", "/profile/"+id, map[string]any{"durationSeconds": 900, "acceptRoleSessionName": true, "roleArns": []string{}})
	p = doc["profile"].(map[string]any)
	if status != 200 || p["durationSeconds"] != 900.0 || p["acceptRoleSessionName"] != true || len(p["roleArns"].([]any)) != 0 || p["name"] != "p" {
		t.Errorf("update: %d %v", status, p)
	}
}

// FuzzControlPlane feeds arbitrary requests to the control plane: it must
// never panic nor answer 5xx.
func FuzzControlPlane(f *testing.F) {
	h := newHandler(f)
	for _, s := range []struct{ method, path, body string }{
		{"POST", "/trustanchors", `{"name":"a","source":{"sourceType":"CERTIFICATE_BUNDLE","sourceData":{"x509CertificateData":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"}}}`},
		{"POST", "/profiles", `{"name":"p","roleArns":["arn:aws:iam::123456789012:role/R"],"durationSeconds":900}`},
		{"PATCH", "/put-notifications-settings", `{"trustAnchorId":"aaaaaaaa-1111-2222-3333-444444444444","notificationSettings":[{"enabled":true,"event":"CA_CERTIFICATE_EXPIRY"}]}`},
		{"PUT", "/profiles/aaaaaaaa-1111-2222-3333-444444444444/mappings", `{"certificateField":"x509SAN","mappingRules":[{"specifier":"URI"}]}`},
		{"GET", "/trustanchors?pageSize=2&nextToken=x", ``},
	} {
		f.Add(s.method, s.path, s.body)
	}
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !validMethod(method) || !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \r\n#") {
			return
		}
		if _, err := url.ParseRequestURI(path); err != nil {
			return
		}
		status, _, _ := call(t, h, method, path, body)
		if status >= 500 {
			t.Fatalf("%s %s %q: status %d", method, path, body, status)
		}
	})
}

func validMethod(m string) bool {
	switch m {
	case "GET", "POST", "PUT", "PATCH", "DELETE":
		return true
	}
	return false
}

// FuzzCreateSession feeds arbitrary X.509 authentication headers and
// bodies to CreateSession: it must never panic nor answer 5xx.
func FuzzCreateSession(f *testing.F) {
	h := newHandler(f)
	ca := testpki.NewCA(f)
	leaf := ca.Leaf(f)
	body := []byte(`{"durationSeconds":900}`)
	req := httptest.NewRequest("POST", "/sessions?profileArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1%3A123456789012%3Aprofile%2Fx&roleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2FR&trustAnchorArn=arn%3Aaws%3Arolesanywhere%3Aus-east-1%3A123456789012%3Atrust-anchor%2Fy", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if _, err := sigv4x509Sign(req, body, leaf, time.Now()); err != nil {
		f.Fatal(err)
	}
	f.Add(req.URL.RawQuery, req.Header.Get("Authorization"), req.Header.Get("X-Amz-Date"), req.Header.Get("X-Amz-X509"), "", string(body))
	f.Add("", "AWS4-X509-RSA-SHA256 Credential=1/20261124/us-east-1/rolesanywhere/aws4_request, SignedHeaders=x-amz-x509, Signature=00", "20261124T000000Z", "AAAA", "AAAA,BBBB", `{"durationSeconds":"x"}`)
	f.Fuzz(func(t *testing.T, query, authz, date, x509, chain, body string) {
		r := httptest.NewRequest("POST", "/sessions", strings.NewReader(body))
		r.URL.RawQuery = query
		for k, v := range map[string]string{"Authorization": authz, "X-Amz-Date": date, "X-Amz-X509": x509, "X-Amz-X509-Chain": chain} {
			if v != "" && !strings.ContainsAny(v, "\r\n") {
				r.Header.Set(k, v)
			}
		}
		w := httptest.NewRecorder()
		h.SessionHandler().ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("status %d: %s", w.Code, w.Body)
		}
		if w.Code == http.StatusCreated {
			t.Fatalf("a fuzzed request got credentials: %s", w.Body)
		}
	})
}

func sigv4x509Sign(r *http.Request, body []byte, leaf *testpki.Leaf, at time.Time) (*sigv4x509.Signed, error) {
	return sigv4x509.Sign(r, body, sigv4x509.Identity{Signer: leaf.Key, Certificate: leaf.Cert}, "us-east-1", at)
}

func readCloser(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

func roleRecord(name, trust string) *store.Role {
	return &store.Role{Name: name, ID: "AROAEXAMPLE" + name, Path: "/", AssumeRolePolicyDocument: trust, MaxSessionDuration: 43200, CreatedAt: time.Now()}
}
