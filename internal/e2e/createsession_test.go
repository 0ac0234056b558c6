package e2e

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"

	"github.com/roam-dev/roam/internal/session"
	"github.com/roam-dev/roam/internal/sigv4x509"
	"github.com/roam-dev/roam/internal/testpki"
)

// sessionCall describes one CreateSession request.
type sessionCall struct {
	leaf     *testpki.Leaf
	chain    []*x509.Certificate // X-Amz-X509-Chain
	r        *resources
	roleArn  string    // default r.RoleArn
	at       time.Time // signing time; default now
	inBody   bool      // ARNs in the JSON body instead of the query
	body     map[string]any
	tamper   func(*http.Request) // applied after signing
	omitRole bool                // send no roleArn at all
	duration int64
}

// do signs and sends a CreateSession request and returns the status and
// decoded JSON body.
func (e *env) do(t *testing.T, c sessionCall) (int, http.Header, map[string]any) {
	t.Helper()
	if c.roleArn == "" && !c.omitRole {
		c.roleArn = c.r.RoleArn
	}
	if c.at.IsZero() {
		c.at = time.Now()
	}
	body := map[string]any{"durationSeconds": 3600}
	if c.duration != 0 {
		body["durationSeconds"] = c.duration
	}
	for k, v := range c.body {
		body[k] = v
	}
	arns := map[string]string{"trustAnchorArn": c.r.TrustAnchorArn, "profileArn": c.r.ProfileArn, "roleArn": c.roleArn}
	if c.omitRole {
		delete(arns, "roleArn")
	}
	target := e.url + "/sessions"
	if c.inBody {
		for k, v := range arns {
			body[k] = v
		}
	} else {
		q := url.Values{}
		for k, v := range arns {
			q.Set(k, v)
		}
		target += "?" + q.Encode()
	}
	raw, _ := json.Marshal(body)
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if _, err := sigv4x509.Sign(req, raw, sigv4x509.Identity{Signer: c.leaf.Key, Certificate: c.leaf.Cert, Chain: c.chain}, e.account.Region, c.at); err != nil {
		t.Fatal(err)
	}
	if c.tamper != nil {
		c.tamper(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	respBody, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	if err := json.Unmarshal(respBody, &doc); err != nil {
		t.Fatalf("response is not JSON (%d): %s", resp.StatusCode, respBody)
	}
	return resp.StatusCode, resp.Header, doc
}

func TestCreateSessionResponse(t *testing.T) {
	e := start(t)
	ca := testpki.NewCA(t)
	r := e.setup(t, "shape", string(testpki.PEM(ca.Cert)))
	leaf := ca.Leaf(t, testpki.WithCN("shape-client"))
	for _, inBody := range []bool{false, true} {
		name := "ARNs in query"
		if inBody {
			name = "ARNs in body"
		}
		t.Run(name, func(t *testing.T) {
			before := time.Now().Truncate(time.Second)
			status, hdr, doc := e.do(t, sessionCall{leaf: leaf, r: r, inBody: inBody, duration: 900})
			if status != http.StatusCreated {
				t.Fatalf("status %d: %v", status, doc)
			}
			if hdr.Get("x-amzn-RequestId") == "" {
				t.Error("no x-amzn-RequestId header")
			}
			set := doc["credentialSet"].([]any)
			if len(set) != 1 {
				t.Fatalf("credentialSet has %d items", len(set))
			}
			item := set[0].(map[string]any)
			creds := item["credentials"].(map[string]any)
			for _, k := range []string{"accessKeyId", "secretAccessKey", "sessionToken", "expiration"} {
				if s, _ := creds[k].(string); s == "" {
					t.Errorf("credentials.%s is missing", k)
				}
			}
			exp, err := time.Parse(time.RFC3339, creds["expiration"].(string))
			if err != nil {
				t.Fatalf("expiration %q is not RFC 3339: %v", creds["expiration"], err)
			}
			if d := exp.Sub(before); d < 899*time.Second || d > 902*time.Second {
				t.Errorf("expiration %v is %v after the request, want 900s", exp, d)
			}
			serial := session.HexSerial(leaf.Cert.SerialNumber)
			user := item["assumedRoleUser"].(map[string]any)
			if got, want := user["arn"], wantArn(e, r.RoleName, serial); got != want {
				t.Errorf("assumedRoleUser.arn = %v, want %s", got, want)
			}
			if got := user["assumedRoleId"].(string); !regexp.MustCompile(`^AROA[A-Z2-7]{17}:` + serial + `$`).MatchString(got) {
				t.Errorf("assumedRoleId = %q", got)
			}
			if item["roleArn"] != r.RoleArn || item["sourceIdentity"] != "CN=shape-client" {
				t.Errorf("roleArn %v, sourceIdentity %v", item["roleArn"], item["sourceIdentity"])
			}
			subj := regexp.MustCompile(`^arn:aws:rolesanywhere:` + e.account.Region + `:` + e.account.ID + `:subject/[a-f0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}$`)
			if !subj.MatchString(doc["subjectArn"].(string)) {
				t.Errorf("subjectArn = %v", doc["subjectArn"])
			}
		})
	}
}

// TestCreateSessionDenials: each refusal is a 403 with AWS's message, the
// audit log names the rule that failed, and the server keeps serving.
func TestCreateSessionDenials(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	ca := testpki.NewCA(t)
	other := testpki.NewCA(t, testpki.WithCN("Other CA"))
	caPEM := string(testpki.PEM(ca.Cert))
	good := ca.Leaf(t, testpki.WithCN("good-client"))
	now := time.Now()
	n := 0
	fresh := func() *resources {
		n++
		return e.setup(t, "deny"+string(rune('a'+n)), caPEM)
	}
	unable := func(r *resources) string { return "Unable to assume role for " + r.RoleArn }
	healthy := e.setup(t, "healthy", caPEM)

	tests := []struct {
		name    string
		prepare func(t *testing.T) (sessionCall, string) // the call and the expected message
		reason  string
		why     string // substring of the audit explanation
	}{
		{
			name: "certificate from another CA",
			prepare: func(t *testing.T) (sessionCall, string) {
				return sessionCall{leaf: other.Leaf(t), r: fresh()}, "Untrusted signing certificate"
			},
			reason: "chain.untrusted", why: `issued by "CN=Other CA"`,
		},
		{
			name: "expired certificate",
			prepare: func(t *testing.T) (sessionCall, string) {
				return sessionCall{leaf: ca.Leaf(t, testpki.WithValidity(now.Add(-48*time.Hour), now.Add(-time.Hour))), r: fresh()}, "Untrusted signing certificate"
			},
			reason: "certificate.expired", why: "expired at",
		},
		{
			name: "disabled trust anchor",
			prepare: func(t *testing.T) (sessionCall, string) {
				r := fresh()
				if _, err := e.ra.DisableTrustAnchor(ctx, &rolesanywhere.DisableTrustAnchorInput{TrustAnchorId: aws.String(r.TrustAnchorID)}); err != nil {
					t.Fatal(err)
				}
				return sessionCall{leaf: good, r: r}, "Untrusted signing certificate"
			},
			reason: "trust_anchor.disabled", why: "is disabled",
		},
		{
			name: "disabled profile",
			prepare: func(t *testing.T) (sessionCall, string) {
				r := fresh()
				if _, err := e.ra.DisableProfile(ctx, &rolesanywhere.DisableProfileInput{ProfileId: aws.String(r.ProfileID)}); err != nil {
					t.Fatal(err)
				}
				return sessionCall{leaf: good, r: r}, unable(r)
			},
			reason: "profile.disabled", why: "is disabled",
		},
		{
			name: "role not in the profile",
			prepare: func(t *testing.T) (sessionCall, string) {
				r := fresh()
				out, err := e.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("outsider-" + r.RoleName), AssumeRolePolicyDocument: aws.String(trustPolicy(r.TrustAnchorArn))})
				if err != nil {
					t.Fatal(err)
				}
				return sessionCall{leaf: good, r: r, roleArn: *out.Role.Arn}, "Unable to assume role for " + *out.Role.Arn
			},
			reason: "role.not_in_profile", why: "is not one of the profile",
		},
		{
			name: "trust policy compares aws:SourceArn with the profile",
			prepare: func(t *testing.T) (sessionCall, string) {
				r := fresh()
				bad := strings.Replace(trustPolicy(r.TrustAnchorArn), r.TrustAnchorArn, r.ProfileArn, 1)
				if _, err := e.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(r.RoleName), PolicyDocument: aws.String(bad)}); err != nil {
					t.Fatal(err)
				}
				return sessionCall{leaf: good, r: r}, unable(r)
			},
			reason: "trust_policy.denied", why: "aws:SourceArn is the trust anchor's ARN",
		},
		{
			name: "trust policy without sts:SetSourceIdentity",
			prepare: func(t *testing.T) (sessionCall, string) {
				r := fresh()
				bad := strings.Replace(trustPolicy(r.TrustAnchorArn), `,"sts:SetSourceIdentity"`, "", 1)
				if _, err := e.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(r.RoleName), PolicyDocument: aws.String(bad)}); err != nil {
					t.Fatal(err)
				}
				return sessionCall{leaf: good, r: r}, unable(r)
			},
			reason: "trust_policy.denied", why: "add sts:SetSourceIdentity",
		},
		{
			name: "date skew over 5 minutes",
			prepare: func(t *testing.T) (sessionCall, string) {
				return sessionCall{leaf: good, r: fresh(), at: now.Add(-6 * time.Minute)}, "Invalid signature"
			},
			reason: "date.skew",
		},
		{
			name: "serial mismatch",
			prepare: func(t *testing.T) (sessionCall, string) {
				return sessionCall{leaf: good, r: fresh(), tamper: func(r *http.Request) {
					h := r.Header.Get("Authorization")
					r.Header.Set("Authorization", strings.Replace(h, "Credential="+good.Cert.SerialNumber.String(), "Credential=12345", 1))
				}}, "Invalid signature"
			},
			reason: "serial.mismatch",
		},
		{
			name: "garbage in X-Amz-X509",
			prepare: func(t *testing.T) (sessionCall, string) {
				return sessionCall{leaf: good, r: fresh(), tamper: func(r *http.Request) { r.Header.Set("X-Amz-X509", "not a certificate!") }}, "Untrusted signing certificate"
			},
			reason: "certificate.malformed",
		},
		{
			name: "tampered body",
			prepare: func(t *testing.T) (sessionCall, string) {
				return sessionCall{leaf: good, r: fresh(), tamper: func(r *http.Request) {
					b := []byte(`{"durationSeconds":3601}`)
					r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
				}}, "Invalid signature"
			},
			reason: "signature.invalid",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			call, wantMsg := tt.prepare(t)
			status, hdr, doc := e.do(t, call)
			if status != http.StatusForbidden || hdr.Get("X-Amzn-ErrorType") != "AccessDeniedException" {
				t.Fatalf("status %d %s, want 403 AccessDeniedException: %v", status, hdr.Get("X-Amzn-ErrorType"), doc)
			}
			if doc["message"] != wantMsg {
				t.Errorf("message %q, want %q", doc["message"], wantMsg)
			}
			rec := e.logs.lastAudit(t)
			if rec["decision"] != "deny" || rec["reason"] != tt.reason {
				t.Errorf("audit decision %v reason %v, want deny %s (%v)", rec["decision"], rec["reason"], tt.reason, rec["explanation"])
			}
			if expl, _ := rec["explanation"].(string); !strings.Contains(expl, tt.why) || expl == "" {
				t.Errorf("audit explanation %q does not say %q", expl, tt.why)
			}
			if strings.Contains(doc["message"].(string), "Hint") {
				t.Error("the operator's explanation leaked to the caller")
			}
			// The server keeps serving valid requests.
			if status, _, doc := e.do(t, sessionCall{leaf: good, r: healthy}); status != http.StatusCreated {
				t.Fatalf("valid request after the denial: %d %v", status, doc)
			}
		})
	}
}
