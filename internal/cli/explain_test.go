package cli_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/roam-dev/roam/internal/testpki"
)

// TestExplain: roam explain reports each rule's outcome for a certificate
// and three ARNs, and what the caller would see.
func TestExplain(t *testing.T) {
	s := adminStart(t)
	ctx := context.Background()
	ca := testpki.NewCA(t)
	leaf := ca.Leaf(t, testpki.WithCN("explained"))
	ta, err := s.ra.CreateTrustAnchor(ctx, &rolesanywhere.CreateTrustAnchorInput{Name: aws.String("ta"), Enabled: aws.Bool(true),
		Source: &ratypes.Source{SourceType: ratypes.TrustAnchorTypeCertificateBundle, SourceData: &ratypes.SourceDataMemberX509CertificateData{Value: string(testpki.PEM(ca.Cert))}}})
	if err != nil {
		t.Fatal(err)
	}
	profileArnAsSource := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"ArnEquals":{"aws:SourceArn":"PROFILE"}}}]}`
	role, err := s.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":"sts:AssumeRole"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.ra.CreateProfile(ctx, &rolesanywhere.CreateProfileInput{Name: aws.String("p"), Enabled: aws.Bool(true), RoleArns: []string{*role.Role.Arn}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String("r"), PolicyDocument: aws.String(strings.Replace(profileArnAsSource, "PROFILE", *p.Profile.ProfileArn, 1))}); err != nil {
		t.Fatal(err)
	}
	certFile := adminWriteFile(t, "leaf.pem", string(testpki.PEM(leaf.Cert)))
	args := []string{"explain", "--endpoint", s.url, "--admin-credentials", s.credsFile, "--certificate", certFile,
		"--trust-anchor-arn", *ta.TrustAnchor.TrustAnchorArn, "--profile-arn", *p.Profile.ProfileArn, "--role-arn", *role.Role.Arn}

	r := adminRunEnv(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		`CreateSession would DENY (trust_policy.denied): the caller would see "Unable to assume role for ` + *role.Role.Arn + `"`,
		"certificate path  PASS",
		"trust policy      FAIL (trust_policy.denied)",
		"aws:SourceArn is the trust anchor's ARN",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, r.stdout)
		}
	}

	r = adminRunEnv(t, nil, append(args, "--output", "json", "--at", "2000-01-01T00:00:00Z")...)
	var out struct {
		Decision string
		Checks   []struct{ Rule, Result, Reason string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Decision != "deny" {
		t.Fatalf("json output %v: %s %s", err, r.stdout, r.stderr)
	}
	if c := out.Checks[2]; c.Rule != "certificate path" || c.Reason != "certificate.not_yet_valid" {
		t.Errorf("explaining the year 2000: %+v", c)
	}

	r = adminRunEnv(t, nil, append(args[:len(args):len(args)], "--at", "yesterday")...)
	if r.code == 0 || !strings.Contains(r.stderr, "--at \"yesterday\": want an RFC 3339 time") {
		t.Errorf("bad --at: exit %d, %s", r.code, r.stderr)
	}
}
