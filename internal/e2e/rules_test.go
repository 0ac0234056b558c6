package e2e

import (
	"bufio"
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/roam-dev/roam/internal/testpki"
)

// ruleCase is one row of the CreateSession rule table: a request built
// against fresh resources, and the expected outcome.
type ruleCase struct {
	name string
	// build prepares the resources and the call.
	build func(t *testing.T, f *ruleFixture) sessionCall
	// status is the expected HTTP status; reason the audit reason code of
	// a refusal ("" for an accepted request).
	status int
	reason string
	// check, if set, inspects an accepted response.
	check func(t *testing.T, f *ruleFixture, doc map[string]any)
}

// ruleFixture is a server with a CA and helpers to make resources.
type ruleFixture struct {
	e     *env
	root  *testpki.CA
	inter *testpki.CA
	other *testpki.CA
	n     int
}

func (f *ruleFixture) fresh(t *testing.T) *resources {
	f.n++
	return f.e.setup(t, "rule"+strings.Repeat("x", f.n%3)+strconv.Itoa(f.n), string(testpki.PEM(f.root.Cert)))
}

func (f *ruleFixture) freshWithAnchor(t *testing.T, certs ...*x509.Certificate) *resources {
	f.n++
	return f.e.setup(t, "rule"+strconv.Itoa(f.n), string(testpki.PEM(certs...)))
}

func (f *ruleFixture) trustPolicy(t *testing.T, r *resources, policy string) {
	t.Helper()
	if _, err := f.e.iam.UpdateAssumeRolePolicy(context.Background(), &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(r.RoleName), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
}

func (f *ruleFixture) profile(t *testing.T, r *resources, in *rolesanywhere.UpdateProfileInput) {
	t.Helper()
	in.ProfileId = aws.String(r.ProfileID)
	if _, err := f.e.ra.UpdateProfile(context.Background(), in); err != nil {
		t.Fatal(err)
	}
}

func (f *ruleFixture) roleMax(t *testing.T, r *resources, seconds int32) {
	t.Helper()
	if _, err := f.e.iam.UpdateRole(context.Background(), &iam.UpdateRoleInput{RoleName: aws.String(r.RoleName), MaxSessionDuration: aws.Int32(seconds)}); err != nil {
		t.Fatal(err)
	}
}

func (f *ruleFixture) importCRL(t *testing.T, r *resources, ca *testpki.CA, enabled bool, revoked ...*x509.Certificate) {
	t.Helper()
	var serials []*big.Int
	for _, c := range revoked {
		serials = append(serials, c.SerialNumber)
	}
	if _, err := f.e.ra.ImportCrl(context.Background(), &rolesanywhere.ImportCrlInput{Name: aws.String("crl"), CrlData: makeCRL(t, ca, serials...), TrustAnchorArn: aws.String(r.TrustAnchorArn), Enabled: aws.Bool(enabled)}); err != nil {
		t.Fatal(err)
	}
}

// trustWith returns a correct trust policy with extra condition operators
// merged into its Condition block (JSON text without braces).
func trustWith(anchorArn, extra string) string {
	return strings.Replace(trustPolicy(anchorArn), `"Condition":{`, `"Condition":{`+extra+`,`, 1)
}

func TestCreateSessionRules(t *testing.T) {
	e := start(t)
	f := &ruleFixture{e: e, root: testpki.NewCA(t), other: testpki.NewCA(t, testpki.WithCN("Other CA"))}
	f.inter = f.root.Intermediate(t)
	now := time.Now()
	root := f.root
	leafMod := func(m func(*x509.Certificate)) *testpki.Leaf { return root.Leaf(t, testpki.WithModify(m)) }
	simple := func(leaf *testpki.Leaf) func(*testing.T, *ruleFixture) sessionCall {
		return func(t *testing.T, f *ruleFixture) sessionCall { return sessionCall{leaf: leaf, r: f.fresh(t)} }
	}

	cases := []ruleCase{
		// End-entity certificate rules.
		{name: "ok/rsa2048 leaf", build: simple(root.Leaf(t, testpki.WithKeyType(testpki.RSA2048))), status: 201},
		{name: "ok/ecdsa p256 leaf", build: simple(root.Leaf(t, testpki.WithKeyType(testpki.ECP256))), status: 201},
		{name: "ok/ecdsa p384 leaf", build: simple(root.Leaf(t, testpki.WithKeyType(testpki.ECP384))), status: 201},
		{name: "error/leaf is a CA", build: simple(leafMod(func(c *x509.Certificate) { c.IsCA = true; c.KeyUsage |= x509.KeyUsageCertSign })), status: 403, reason: "leaf.is_ca"},
		{name: "ok/leaf without basicConstraints", build: simple(leafMod(func(c *x509.Certificate) { c.BasicConstraintsValid = false })), status: 201},
		{name: "error/keyUsage without digitalSignature", build: simple(leafMod(func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageKeyEncipherment })), status: 403, reason: "leaf.key_usage"},
		{name: "error/no keyUsage", build: simple(leafMod(func(c *x509.Certificate) { c.KeyUsage = 0 })), status: 403, reason: "leaf.key_usage"},
		{name: "ok/no extendedKeyUsage", build: simple(leafMod(func(c *x509.Certificate) { c.ExtKeyUsage = nil })), status: 201},
		{name: "ok/extendedKeyUsage any", build: simple(leafMod(func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageAny} })), status: 201},
		{name: "ok/extendedKeyUsage client and server", build: simple(leafMod(func(c *x509.Certificate) {
			c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
		})), status: 201},
		{name: "error/extendedKeyUsage server only", build: simple(leafMod(func(c *x509.Certificate) { c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth} })), status: 403, reason: "leaf.ext_key_usage"},
		{name: "error/leaf expired a second ago", build: simple(root.Leaf(t, testpki.WithValidity(now.Add(-time.Hour), now.Add(-time.Second)))), status: 403, reason: "certificate.expired"},
		{name: "ok/leaf expiring in two minutes caps the session", build: simple(root.Leaf(t, testpki.WithValidity(now.Add(-time.Hour), now.Add(2*time.Minute)))), status: 201,
			check: func(t *testing.T, f *ruleFixture, doc map[string]any) {
				exp, err := time.Parse(time.RFC3339, doc["credentialSet"].([]any)[0].(map[string]any)["credentials"].(map[string]any)["expiration"].(string))
				if err != nil {
					t.Fatal(err)
				}
				if exp.After(now.Add(2*time.Minute + time.Second)) {
					t.Errorf("expiration %v outlives the certificate (%v)", exp, now.Add(2*time.Minute))
				}
			}},
		{name: "error/leaf not yet valid", build: simple(root.Leaf(t, testpki.WithValidity(now.Add(time.Minute), now.Add(time.Hour)))), status: 403, reason: "certificate.not_yet_valid"},
		{name: "error/leaf signed with SHA-1", build: simple(root.Leaf(t, testpki.WithKeyType(testpki.RSA2048), testpki.WithModify(func(c *x509.Certificate) { c.SignatureAlgorithm = x509.ECDSAWithSHA1 }))), status: 403, reason: "certificate.weak_signature"},

		{name: "ok/ML-DSA-65 leaf under an ML-DSA CA", build: func(t *testing.T, f *ruleFixture) sessionCall {
			ca := testpki.NewMLDSACA(t)
			return sessionCall{leaf: ca.MLDSALeaf(t), r: f.freshWithAnchor(t, ca.Cert)}
		}, status: 201},
		{name: "ok/ML-DSA-44 leaf under an ECDSA root", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: root.MLDSALeaf(t, testpki.WithKeyType(testpki.MLDSA44)), r: f.fresh(t)}
		}, status: 201},

		// CA certificates and paths.
		{name: "ok/leaf under an intermediate in the chain", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: f.inter.Leaf(t), chain: []*x509.Certificate{f.inter.Cert}, r: f.fresh(t)}
		}, status: 201},
		{name: "error/leaf under an intermediate missing from the chain", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: f.inter.Leaf(t), r: f.fresh(t)}
		}, status: 403, reason: "chain.untrusted"},
		{name: "ok/chain bag with the leaf and unrelated certificates", build: func(t *testing.T, f *ruleFixture) sessionCall {
			leaf := f.inter.Leaf(t)
			return sessionCall{leaf: leaf, chain: []*x509.Certificate{leaf.Cert, f.other.Cert, f.inter.Cert}, r: f.fresh(t)}
		}, status: 201},
		{name: "ok/the PKCS#11 chain quirk: the leaf twice and an unrelated CA", build: func(t *testing.T, f *ruleFixture) sessionCall {
			leaf := root.Leaf(t)
			return sessionCall{leaf: leaf, chain: []*x509.Certificate{leaf.Cert, f.other.Cert, leaf.Cert}, r: f.fresh(t)}
		}, status: 201},
		{name: "ok/chain of exactly 5", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: f.inter.Leaf(t), chain: []*x509.Certificate{f.other.Cert, f.other.Cert, f.other.Cert, f.other.Cert, f.inter.Cert}, r: f.fresh(t)}
		}, status: 201},
		{name: "error/chain of 6", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: f.inter.Leaf(t), chain: []*x509.Certificate{f.other.Cert, f.other.Cert, f.other.Cert, f.other.Cert, f.other.Cert, f.inter.Cert}, r: f.fresh(t)}
		}, status: 403, reason: "chain.too_long"},
		{name: "error/expired intermediate", build: func(t *testing.T, f *ruleFixture) sessionCall {
			in := root.Intermediate(t, testpki.WithValidity(now.Add(-48*time.Hour), now.Add(-time.Hour)))
			return sessionCall{leaf: in.Leaf(t, testpki.WithValidity(now.Add(-2*time.Hour), now.Add(time.Hour))), chain: []*x509.Certificate{in.Cert}, r: f.fresh(t)}
		}, status: 403, reason: "certificate.expired"},
		{name: "error/intermediate without keyCertSign", build: func(t *testing.T, f *ruleFixture) sessionCall {
			in := root.Intermediate(t, testpki.WithModify(func(c *x509.Certificate) { c.KeyUsage = x509.KeyUsageDigitalSignature }))
			return sessionCall{leaf: in.Leaf(t), chain: []*x509.Certificate{in.Cert}, r: f.fresh(t)}
		}, status: 403, reason: "intermediate.not_ca"},
		{name: "error/intermediate that is not a CA", build: func(t *testing.T, f *ruleFixture) sessionCall {
			in := root.Intermediate(t, testpki.WithModify(func(c *x509.Certificate) { c.IsCA = false }))
			return sessionCall{leaf: in.Leaf(t), chain: []*x509.Certificate{in.Cert}, r: f.fresh(t)}
		}, status: 403, reason: "intermediate.not_ca"},
		{name: "error/pathLenConstraint 0 exceeded", build: func(t *testing.T, f *ruleFixture) sessionCall {
			p0 := root.Intermediate(t, testpki.WithModify(func(c *x509.Certificate) { c.MaxPathLen, c.MaxPathLenZero = 0, true }))
			below := p0.Intermediate(t)
			return sessionCall{leaf: below.Leaf(t), chain: []*x509.Certificate{below.Cert, p0.Cert}, r: f.fresh(t)}
		}, status: 403, reason: "chain.path_length"},
		{name: "ok/intermediate CA as the trust anchor", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: f.inter.Leaf(t), r: f.freshWithAnchor(t, f.inter.Cert)}
		}, status: 201},
		{name: "ok/second certificate of a two-CA bundle", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: f.other.Leaf(t), r: f.freshWithAnchor(t, root.Cert, f.other.Cert)}
		}, status: 201},
		{name: "error/certificate from another CA", build: simple(testpki.NewCA(t, testpki.WithCN("Stranger")).Leaf(t)), status: 403, reason: "chain.untrusted"},
		{name: "error/leaf revoked by an enabled CRL", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r, leaf := f.fresh(t), root.Leaf(t)
			f.importCRL(t, r, root, true, leaf.Cert)
			return sessionCall{leaf: leaf, r: r}
		}, status: 403, reason: "certificate.revoked"},
		{name: "ok/leaf listed by a disabled CRL", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r, leaf := f.fresh(t), root.Leaf(t)
			f.importCRL(t, r, root, false, leaf.Cert)
			return sessionCall{leaf: leaf, r: r}
		}, status: 201},
		{name: "error/intermediate revoked by an enabled CRL", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			in := root.Intermediate(t)
			f.importCRL(t, r, root, true, in.Cert)
			return sessionCall{leaf: in.Leaf(t), chain: []*x509.Certificate{in.Cert}, r: r}
		}, status: 403, reason: "certificate.revoked"},

		// The request's signature and its time.
		{name: "ok/signed 4 minutes ago", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: root.Leaf(t), r: f.fresh(t), at: time.Now().Add(-4 * time.Minute)}
		}, status: 201},
		{name: "error/signed 6 minutes ago", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: root.Leaf(t), r: f.fresh(t), at: time.Now().Add(-6 * time.Minute)}
		}, status: 403, reason: "date.skew"},
		{name: "error/signed 6 minutes in the future", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: root.Leaf(t), r: f.fresh(t), at: time.Now().Add(6 * time.Minute)}
		}, status: 403, reason: "date.skew"},
		{name: "error/algorithm does not fit the key", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: root.Leaf(t, testpki.WithKeyType(testpki.ECP256)), r: f.fresh(t), tamper: func(r *http.Request) {
				r.Header.Set("Authorization", strings.Replace(r.Header.Get("Authorization"), "AWS4-X509-ECDSA-SHA256", "AWS4-X509-RSA-SHA256", 1))
			}}
		}, status: 403, reason: "algorithm.key_mismatch"},
		{name: "error/query altered after signing", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: root.Leaf(t), r: f.fresh(t), tamper: func(r *http.Request) { r.URL.RawQuery += "&extra=1" }}
		}, status: 403, reason: "signature.invalid"},

		// Trust anchor, profile and role.
		{name: "error/unknown trust anchor", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := *f.fresh(t)
			r.TrustAnchorArn = strings.Replace(r.TrustAnchorArn, r.TrustAnchorID, "aaaaaaaa-1111-2222-3333-444444444444", 1)
			return sessionCall{leaf: root.Leaf(t), r: &r}
		}, status: 403, reason: "trust_anchor.not_found"},
		{name: "error/trust anchor of another account", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := *f.fresh(t)
			r.TrustAnchorArn = strings.Replace(r.TrustAnchorArn, f.e.account.ID, "999999999999", 1)
			return sessionCall{leaf: root.Leaf(t), r: &r}
		}, status: 403, reason: "trust_anchor.not_found"},
		{name: "error/role listed in the profile but deleted", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			if _, err := f.e.iam.DeleteRole(context.Background(), &iam.DeleteRoleInput{RoleName: aws.String(r.RoleName)}); err != nil {
				t.Fatal(err)
			}
			return sessionCall{leaf: root.Leaf(t), r: r}
		}, status: 403, reason: "role.not_found"},
		{name: "error/missing roleArn", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: root.Leaf(t), r: f.fresh(t), tamper: func(r *http.Request) {}, roleArn: "-"}
		}, status: 400, reason: "request.missing_parameter"},

		// Session derivation.
		{name: "ok/durationSeconds 900", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: root.Leaf(t), r: f.fresh(t), duration: 900}
		}, status: 201, check: expiresIn(900)},
		{name: "error/durationSeconds 899", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: root.Leaf(t), r: f.fresh(t), duration: 899}
		}, status: 400, reason: "request.invalid_duration"},
		{name: "error/durationSeconds 43201", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: root.Leaf(t), r: f.fresh(t), duration: 43201}
		}, status: 400, reason: "request.invalid_duration"},
		{name: "ok/durationSeconds 43200 with profile and role at 43200", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			f.profile(t, r, &rolesanywhere.UpdateProfileInput{DurationSeconds: aws.Int32(43200)})
			f.roleMax(t, r, 43200)
			return sessionCall{leaf: root.Leaf(t, testpki.WithValidity(now.Add(-time.Hour), now.Add(48*time.Hour))), r: r, duration: 43200}
		}, status: 201, check: expiresIn(43200)},
		{name: "ok/request longer than the profile gets the profile's", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: root.Leaf(t), r: f.fresh(t), duration: 7200}
		}, status: 201, check: expiresIn(3600)},
		{name: "error/profile longer than the role's maximum", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			f.profile(t, r, &rolesanywhere.UpdateProfileInput{DurationSeconds: aws.Int32(7200)})
			return sessionCall{leaf: root.Leaf(t), r: r, duration: 7200}
		}, status: 403, reason: "duration.exceeds_role_max"},
		{name: "error/roleSessionName without acceptRoleSessionName", build: func(t *testing.T, f *ruleFixture) sessionCall {
			return sessionCall{leaf: root.Leaf(t), r: f.fresh(t), body: map[string]any{"roleSessionName": "my-session"}}
		}, status: 403, reason: "role_session_name.not_accepted"},
		{name: "ok/roleSessionName with acceptRoleSessionName", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			f.profile(t, r, &rolesanywhere.UpdateProfileInput{AcceptRoleSessionName: aws.Bool(true)})
			return sessionCall{leaf: root.Leaf(t), r: r, body: map[string]any{"roleSessionName": "my-session.name@example"}}
		}, status: 201, check: func(t *testing.T, f *ruleFixture, doc map[string]any) {
			if arn := doc["credentialSet"].([]any)[0].(map[string]any)["assumedRoleUser"].(map[string]any)["arn"].(string); !strings.HasSuffix(arn, "/my-session.name@example") {
				t.Errorf("assumed role ARN %s", arn)
			}
		}},
		{name: "error/roleSessionName STS refuses", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			f.profile(t, r, &rolesanywhere.UpdateProfileInput{AcceptRoleSessionName: aws.Bool(true)})
			return sessionCall{leaf: root.Leaf(t), r: r, body: map[string]any{"roleSessionName": "bad name!"}}
		}, status: 400, reason: "request.invalid_role_session_name"},
		{name: "ok/62-character CN is the source identity as is", build: simple(root.Leaf(t, testpki.WithCN(strings.Repeat("c", 62)))), status: 201,
			check: func(t *testing.T, f *ruleFixture, doc map[string]any) {
				if si := doc["credentialSet"].([]any)[0].(map[string]any)["sourceIdentity"]; si != strings.Repeat("c", 62) {
					t.Errorf("sourceIdentity %v", si)
				}
			}},
		{name: "ok/no CN gives an ID= source identity", build: simple(root.Leaf(t, testpki.WithSubject(pkix.Name{Organization: []string{"NoCN"}}))), status: 201,
			check: func(t *testing.T, f *ruleFixture, doc map[string]any) {
				if si := doc["credentialSet"].([]any)[0].(map[string]any)["sourceIdentity"].(string); !strings.HasPrefix(si, "ID=") || len(si)%2 != 1 {
					t.Errorf("sourceIdentity %v", si)
				}
			}},

		// Trust policies.
		{name: "error/trust policy denies explicitly", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			f.trustPolicy(t, r, strings.Replace(trustPolicy(r.TrustAnchorArn), `"Statement":[`, `"Statement":[{"Effect":"Deny","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalTag/x509Subject/CN":"blocked"}}},`, 1))
			return sessionCall{leaf: root.Leaf(t, testpki.WithCN("blocked")), r: r}
		}, status: 403, reason: "trust_policy.explicit_deny"},
		{name: "ok/StringLike on the SAN URI", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			f.trustPolicy(t, r, trustWith(r.TrustAnchorArn, `"StringLike":{"aws:PrincipalTag/x509SAN/URI":"spiffe://example.org/*"}`))
			return sessionCall{leaf: root.Leaf(t, testpki.WithModify(func(c *x509.Certificate) { c.URIs = []*url.URL{{Scheme: "spiffe", Host: "example.org", Path: "/web"}} })), r: r}
		}, status: 201},
		{name: "error/StringLike on the SAN URI does not match", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			f.trustPolicy(t, r, trustWith(r.TrustAnchorArn, `"StringLike":{"aws:PrincipalTag/x509SAN/URI":"spiffe://example.org/*"}`))
			return sessionCall{leaf: root.Leaf(t, testpki.WithModify(func(c *x509.Certificate) { c.URIs = []*url.URL{{Scheme: "spiffe", Host: "evil.org", Path: "/web"}} })), r: r}
		}, status: 403, reason: "trust_policy.denied"},
		{name: "ok/aws:SourceAccount condition", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			f.trustPolicy(t, r, trustWith(r.TrustAnchorArn, `"StringEquals":{"aws:SourceAccount":"`+f.e.account.ID+`"}`))
			return sessionCall{leaf: root.Leaf(t), r: r}
		}, status: 201},
		{name: "error/x509Issuer condition for another CA", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			f.trustPolicy(t, r, trustWith(r.TrustAnchorArn, `"StringEquals":{"aws:PrincipalTag/x509Issuer/CN":"Other CA"}`))
			return sessionCall{leaf: root.Leaf(t), r: r}
		}, status: 403, reason: "trust_policy.denied"},
		{name: "error/trust policy for another service", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			f.trustPolicy(t, r, strings.Replace(trustPolicy(r.TrustAnchorArn), "rolesanywhere.amazonaws.com", "ec2.amazonaws.com", 1))
			return sessionCall{leaf: root.Leaf(t), r: r}
		}, status: 403, reason: "trust_policy.denied"},
		{name: "ok/trust policy with IfExists on an absent tag", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			f.trustPolicy(t, r, trustWith(r.TrustAnchorArn, `"StringEqualsIfExists":{"aws:PrincipalTag/x509Subject/OU":"ops"}`))
			return sessionCall{leaf: root.Leaf(t), r: r}
		}, status: 201},
		{name: "ok/profile disabled then enabled again", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			ctx := context.Background()
			if _, err := f.e.ra.DisableProfile(ctx, &rolesanywhere.DisableProfileInput{ProfileId: aws.String(r.ProfileID)}); err != nil {
				t.Fatal(err)
			}
			if _, err := f.e.ra.EnableProfile(ctx, &rolesanywhere.EnableProfileInput{ProfileId: aws.String(r.ProfileID)}); err != nil {
				t.Fatal(err)
			}
			return sessionCall{leaf: root.Leaf(t), r: r}
		}, status: 201},
		{name: "error/attribute mapping removed under a condition", build: func(t *testing.T, f *ruleFixture) sessionCall {
			r := f.fresh(t)
			f.trustPolicy(t, r, trustWith(r.TrustAnchorArn, `"StringEquals":{"aws:PrincipalTag/x509Subject/CN":"test-client"}`))
			if _, err := f.e.ra.PutAttributeMapping(context.Background(), &rolesanywhere.PutAttributeMappingInput{ProfileId: aws.String(r.ProfileID),
				CertificateField: ratypes.CertificateFieldX509Subject, MappingRules: []ratypes.MappingRule{{Specifier: aws.String("O")}}}); err != nil {
				t.Fatal(err)
			}
			return sessionCall{leaf: root.Leaf(t), r: r}
		}, status: 403, reason: "trust_policy.denied"},
	}
	if len(cases) < 40 {
		t.Fatalf("only %d cases; the rule table must have at least 40", len(cases))
	}
	var wantReasons []string
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			call := c.build(t, f)
			if call.roleArn == "-" {
				call.roleArn, call.omitRole = "", true
			}
			status, _, doc := e.do(t, call)
			if status != c.status {
				t.Fatalf("status %d, want %d: %v", status, c.status, doc)
			}
			if c.reason != "" {
				if rec := e.logs.lastAudit(t); rec["reason"] != c.reason {
					t.Fatalf("reason %v (%v), want %s", rec["reason"], rec["explanation"], c.reason)
				}
				wantReasons = append(wantReasons, c.reason)
			}
			if c.check != nil {
				c.check(t, f, doc)
			}
		})
	}
	checkAuditFile(t, e.dataDir, wantReasons)
}

// expiresIn checks the credentials expire d seconds after now.
func expiresIn(d int) func(*testing.T, *ruleFixture, map[string]any) {
	return func(t *testing.T, f *ruleFixture, doc map[string]any) {
		exp, err := time.Parse(time.RFC3339, doc["credentialSet"].([]any)[0].(map[string]any)["credentials"].(map[string]any)["expiration"].(string))
		if err != nil {
			t.Fatal(err)
		}
		if got := time.Until(exp); got < time.Duration(d-5)*time.Second || got > time.Duration(d+1)*time.Second {
			t.Errorf("expires in %v, want %ds", got, d)
		}
	}
}

// checkAuditFile reads the audit log file of the server whose data
// directory is dataDir: every refusal is there with its reason code (as
// many times as wantReasons lists it), every grant with the certificate's
// identity, and no secret is.
func checkAuditFile(t *testing.T, dataDir string, wantReasons []string) {
	t.Helper()
	path := filepath.Join(dataDir, "audit.log")
	want := map[string]int{}
	for _, r := range wantReasons {
		want[r]++
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := map[string]int{}
		var records []map[string]any
		f, err := os.Open(path)
		if err == nil {
			sc := bufio.NewScanner(f)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				var rec map[string]any
				if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
					t.Fatalf("audit line is not JSON: %q", sc.Text())
				}
				records = append(records, rec)
				if rec["decision"] == "deny" {
					got[rec["reason"].(string)]++
				}
			}
			f.Close()
		}
		missing := ""
		for r, n := range want {
			if got[r] < n {
				missing = fmt.Sprintf("%d refusals with reason %s (%d so far)", n, r, got[r])
			}
		}
		if missing == "" {
			data, _ := os.ReadFile(path)
			for _, secret := range []string{"secretAccessKey", "sessionToken", "PRIVATE KEY"} {
				if strings.Contains(string(data), secret) {
					t.Errorf("the audit log holds %q", secret)
				}
			}
			for _, rec := range records {
				if rec["decision"] != "allow" {
					continue
				}
				// Empty fields are left out of the record: absent is nil.
				fp, _ := rec["fingerprint_sha256"].(string)
				serial, _ := rec["serial"].(string)
				if fp == "" || serial == "" || rec["subject"] == nil || rec["time"] == nil || rec["source_ip"] != "127.0.0.1" {
					t.Errorf("allow record lacks the certificate's identity: %v", rec)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the audit log %s lacks %s after 5s", path, missing)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
