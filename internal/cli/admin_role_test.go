package cli_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"

	"github.com/roam-dev/roam/internal/testpki"
)

// adminRoleJSON is what role create, get and delete print as JSON.
type adminRoleJSON struct {
	Role struct {
		Path                     string     `json:"Path"`
		RoleName                 string     `json:"RoleName"`
		RoleID                   string     `json:"RoleId"`
		Arn                      string     `json:"Arn"`
		CreateDate               *time.Time `json:"CreateDate"`
		AssumeRolePolicyDocument any        `json:"AssumeRolePolicyDocument"`
		Description              string     `json:"Description"`
		MaxSessionDuration       int        `json:"MaxSessionDuration"`
	} `json:"Role"`
	RolePolicies []struct {
		PolicyName     string `json:"PolicyName"`
		PolicyDocument any    `json:"PolicyDocument"`
	} `json:"RolePolicies"`
	AttachedPolicies []struct {
		PolicyName string `json:"PolicyName"`
		PolicyArn  string `json:"PolicyArn"`
	} `json:"AttachedPolicies"`
}

// adminDecode decodes JSON text into a generic value, for comparisons.
func adminDecode(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

// adminTrustPolicy is the trust policy a Roles Anywhere role needs, with
// the given conditions, as a generic JSON value.
func adminTrustPolicy(t *testing.T, condition string) any {
	t.Helper()
	return adminDecode(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Principal":{"Service":"rolesanywhere.amazonaws.com"},
		"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],
		"Condition":`+condition+`}]}`)
}

// getRole reads a role and its trust policy from the server.
func (s *adminServer) getRole(t *testing.T, name string) (*iamtypes.Role, any) {
	t.Helper()
	out, err := s.iam.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		t.Fatalf("GetRole %s: %v", name, err)
	}
	doc, err := url.PathUnescape(aws.ToString(out.Role.AssumeRolePolicyDocument))
	if err != nil {
		t.Fatal(err)
	}
	return out.Role, adminDecode(t, doc)
}

func (s *adminServer) roleExists(t *testing.T, name string) bool {
	t.Helper()
	_, err := s.iam.GetRole(context.Background(), &iam.GetRoleInput{RoleName: aws.String(name)})
	var nse *iamtypes.NoSuchEntityException
	if errors.As(err, &nse) {
		return false
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func TestAdminRole(t *testing.T) {
	s := adminStart(t)
	ca := testpki.NewCA(t)
	var ta1, ta2 adminTADoc
	s.mustJSON(t, &ta1, "trust-anchor", "create", "--name", "one", "--ca-file", adminWriteCA(t, ca.Cert))
	s.mustJSON(t, &ta2, "trust-anchor", "create", "--name", "two", "--ca-file", adminWriteCA(t, ca.Cert))
	arn1, arn2 := ta1.TrustAnchor.TrustAnchorArn, ta2.TrustAnchor.TrustAnchorArn

	// create, naming the trust anchor by name, with every condition.
	r := s.mustRun(t, "role", "create", "--name", "abc", "--trust-anchor", "one", "--cn", "client.abc.example",
		"--san-uri", "spiffe://abc.example/*", "--san-uri", "spiffe://abc.example/other", "--read-only",
		"--max-session-duration", "2h", "--description", "the abc workload")
	role, trust := s.getRole(t, "abc")
	wantTrust := adminTrustPolicy(t, `{
		"ArnEquals": {"aws:SourceArn": "`+arn1+`"},
		"StringEquals": {"aws:PrincipalTag/x509Subject/CN": "client.abc.example"},
		"StringLike": {"aws:PrincipalTag/x509SAN/URI": ["spiffe://abc.example/*", "spiffe://abc.example/other"]}}`)
	if !reflect.DeepEqual(trust, wantTrust) {
		t.Errorf("trust policy on the server:\n%v\nwant\n%v", trust, wantTrust)
	}
	if aws.ToInt32(role.MaxSessionDuration) != 7200 || aws.ToString(role.Description) != "the abc workload" {
		t.Errorf("server role: max session %d, description %q", aws.ToInt32(role.MaxSessionDuration), aws.ToString(role.Description))
	}
	pol, err := s.iam.GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: aws.String("abc"), PolicyName: aws.String("read-only")})
	if err != nil {
		t.Fatalf("the read-only policy: %v", err)
	}
	doc, _ := url.PathUnescape(aws.ToString(pol.PolicyDocument))
	wantReadOnly := adminDecode(t, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow",
		"Action":["rolesanywhere:Get*","rolesanywhere:List*","iam:Get*","iam:List*"],"Resource":"*"}]}`)
	if !reflect.DeepEqual(adminDecode(t, doc), wantReadOnly) {
		t.Errorf("read-only policy: %s", doc)
	}
	f := adminFields(t, r.stdout)
	trustLines := f["Trust policy"]
	if len(trustLines) < 10 || trustLines[0] != "{" || !reflect.DeepEqual(adminDecode(t, strings.Join(trustLines, "\n")), wantTrust) {
		t.Errorf("the table's trust policy:\n%s", strings.Join(trustLines, "\n"))
	}
	delete(f, "Trust policy")
	adminCompareFields(t, f, map[string][]string{
		"Name": {"abc"}, "ARN": {aws.ToString(role.Arn)}, "ID": {aws.ToString(role.RoleId)},
		"Description": {"the abc workload"}, "Max session": {"7200s"},
		"Created":         {role.CreateDate.UTC().Format(time.RFC3339)},
		"Inline policies": {"read-only"}, "Attached policies": {"-"},
	})

	// get, by name and by ARN, as JSON.
	for _, ref := range []string{"abc", aws.ToString(role.Arn)} {
		var got adminRoleJSON
		s.mustJSON(t, &got, "role", "get", ref)
		if got.Role.RoleName != "abc" || got.Role.Arn != aws.ToString(role.Arn) || got.Role.MaxSessionDuration != 7200 ||
			got.Role.Path != "/" || !reflect.DeepEqual(got.Role.AssumeRolePolicyDocument, wantTrust) ||
			len(got.RolePolicies) != 1 || got.RolePolicies[0].PolicyName != "read-only" ||
			!reflect.DeepEqual(got.RolePolicies[0].PolicyDocument, wantReadOnly) || len(got.AttachedPolicies) != 0 {
			t.Errorf("role get %s: %+v", ref, got)
		}
	}

	// A role for two trust anchors, with a permission policy from a file.
	perm := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`
	var two adminRoleJSON
	s.mustJSON(t, &two, "role", "create", "--name", "both", "--trust-anchor", arn1, "--trust-anchor", ta2.TrustAnchor.TrustAnchorID,
		"--policy-file", adminWriteFile(t, "perm.json", perm+"\n"), "--policy-name", "whoami")
	_, trust = s.getRole(t, "both")
	if want := adminTrustPolicy(t, `{"ArnEquals": {"aws:SourceArn": ["`+arn1+`", "`+arn2+`"]}}`); !reflect.DeepEqual(trust, want) {
		t.Errorf("two anchors: %v", trust)
	}
	if len(two.RolePolicies) != 1 || two.RolePolicies[0].PolicyName != "whoami" || !reflect.DeepEqual(two.RolePolicies[0].PolicyDocument, adminDecode(t, perm)) {
		t.Errorf("policies %+v", two.RolePolicies)
	}
	if _, err := s.iam.GetRolePolicy(context.Background(), &iam.GetRolePolicyInput{RoleName: aws.String("both"), PolicyName: aws.String("whoami")}); err != nil {
		t.Errorf("the whoami policy: %v", err)
	}

	// list.
	both, _ := s.getRole(t, "both")
	adminCompareRows(t, adminTable(t, s.mustRun(t, "role", "list").stdout), []map[string]string{
		{"NAME": "abc", "ARN": aws.ToString(role.Arn), "MAX SESSION": "7200s", "CREATED": role.CreateDate.UTC().Format(time.RFC3339)},
		{"NAME": "both", "ARN": aws.ToString(both.Arn), "MAX SESSION": "3600s", "CREATED": both.CreateDate.UTC().Format(time.RFC3339)},
	})
	var list struct {
		Roles []json.RawMessage `json:"Roles"`
	}
	s.mustJSON(t, &list, "role", "list")
	if len(list.Roles) != 2 {
		t.Errorf("role list JSON: %d roles", len(list.Roles))
	}

	// trust-policy prints what create generates; with ARNs it needs no
	// server and no credentials.
	offline := adminRunEnv(t, nil, "admin", "--endpoint", "http://127.0.0.1:1", "--admin-credentials", "/nonexistent",
		"role", "trust-policy", "--trust-anchor", arn1, "--cn", "client.abc.example", "--san-uri", "spiffe://abc.example/*", "--san-uri", "spiffe://abc.example/other")
	if offline.code != 0 || !reflect.DeepEqual(adminDecode(t, offline.stdout), wantTrust) {
		t.Errorf("trust-policy offline: exit %d\n%s%s", offline.code, offline.stdout, offline.stderr)
	}
	if !strings.HasPrefix(offline.stdout, "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [\n") {
		t.Errorf("trust-policy is not indented:\n%s", offline.stdout)
	}
	byName := s.mustRun(t, "role", "trust-policy", "--trust-anchor", "two")
	if want := adminTrustPolicy(t, `{"ArnEquals": {"aws:SourceArn": "`+arn2+`"}}`); !reflect.DeepEqual(adminDecode(t, byName.stdout), want) {
		t.Errorf("trust-policy by name:\n%s", byName.stdout)
	}
}

func TestAdminRoleErrors(t *testing.T) {
	s := adminStart(t)
	ca := testpki.NewCA(t)
	s.mustRun(t, "trust-anchor", "create", "--name", "ta", "--ca-file", adminWriteCA(t, ca.Cert))
	notJSON := adminWriteFile(t, "bad.json", "{not json")
	list := adminWriteFile(t, "list.json", "[]")
	malformed := adminWriteFile(t, "malformed.json", `{"Version":"2012-10-17","Statement":[{"Effect":"Maybe","Action":"*","Resource":"*"}]}`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"error/no trust anchor", []string{"create", "--name", "r", "--trust-anchor", "nope"}, `admin role create: --trust-anchor nope: no trust anchor is named "nope"`},
		{"error/profile ARN as trust anchor", []string{"create", "--name", "r", "--trust-anchor", "arn:aws:rolesanywhere:us-east-1:111122223333:profile/0ace5b12-24b9-427e-a483-c55884852fbf"},
			"admin role create: --trust-anchor: arn:aws:rolesanywhere:us-east-1:111122223333:profile/0ace5b12-24b9-427e-a483-c55884852fbf is not a trust anchor ARN (want arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID)"},
		{"error/policy not JSON", []string{"create", "--name", "r", "--trust-anchor", "ta", "--policy-file", notJSON},
			"admin role create: --policy-file " + notJSON + " is not a JSON policy document: invalid character 'n' looking for beginning of object key string"},
		{"error/policy a list", []string{"create", "--name", "r", "--trust-anchor", "ta", "--policy-file", list},
			"admin role create: --policy-file " + list + " is not a JSON policy document: want an object"},
		{"error/malformed policy", []string{"create", "--name", "r", "--trust-anchor", "ta", "--policy-file", malformed},
			"admin role create: put policy permissions: MalformedPolicyDocument: "},
		{"error/missing role", []string{"get", "nobody"}, "admin role get: NoSuchEntity: "},
		{"error/not a role ARN", []string{"delete", "arn:aws:iam::111122223333:policy/p"},
			"admin role delete: arn:aws:iam::111122223333:policy/p is not an IAM role ARN (want arn:aws:iam::ACCOUNT:role/NAME)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.run(t, append([]string{"role"}, tt.args...)...)
			want := "roam: " + tt.want
			if r.code != 1 || !strings.HasPrefix(r.stderr, want) || (!strings.HasSuffix(want, ": ") && r.stderr != want+"\n") {
				t.Errorf("exit %d, stderr %q\nwant 1, %q", r.code, r.stderr, want)
			}
		})
	}
	// The role whose policy was refused was not kept.
	if s.roleExists(t, "r") {
		t.Error("role r exists after a failed create")
	}

	usage := []struct {
		name string
		args []string
		want string
	}{
		{"error/policy and read-only", []string{"create", "--name", "r", "--trust-anchor", "ta", "--read-only", "--policy-file", list}, "admin role create: --policy-file and --read-only exclude each other"},
		{"error/policy name alone", []string{"create", "--name", "r", "--trust-anchor", "ta", "--policy-name", "x"}, "admin role create: --policy-name needs --policy-file or --read-only"},
		{"error/short session", []string{"create", "--name", "r", "--trust-anchor", "ta", "--max-session-duration", "30m"}, "admin role create: --max-session-duration 30m: must be between 3600 and 43200 seconds"},
		{"error/bad session", []string{"create", "--name", "r", "--trust-anchor", "ta", "--max-session-duration", "1.5s"}, `admin role create: --max-session-duration "1.5s": want seconds (3600) or a duration (1h)`},
		{"error/no trust anchor flag", []string{"trust-policy"}, `required flag(s) "trust-anchor" not set`},
	}
	for _, tt := range usage {
		t.Run(tt.name, func(t *testing.T) {
			r := s.run(t, append([]string{"role"}, tt.args...)...)
			if r.code != 1 || !strings.HasPrefix(r.stderr, "Error: "+tt.want+"\nUsage:") {
				t.Errorf("exit %d, stderr %q\nwant 1 and the usage error %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

func TestAdminRoleDelete(t *testing.T) {
	s := adminStart(t)
	ctx := context.Background()
	ca := testpki.NewCA(t)
	s.mustRun(t, "trust-anchor", "create", "--name", "ta", "--ca-file", adminWriteCA(t, ca.Cert))
	s.mustRun(t, "role", "create", "--name", "busy", "--trust-anchor", "ta", "--read-only")
	busy, _ := s.getRole(t, "busy")
	managed, err := s.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("whoami"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	managedArn := aws.ToString(managed.Policy.Arn)
	if _, err := s.iam.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String("busy"), PolicyArn: aws.String(managedArn)}); err != nil {
		t.Fatal(err)
	}
	p, err := s.ra.CreateProfile(ctx, &rolesanywhere.CreateProfileInput{Name: aws.String("uses-busy"), RoleArns: []string{aws.ToString(busy.Arn)}})
	if err != nil {
		t.Fatal(err)
	}

	// Without --force, a role with policies stays.
	s.wantError(t, "admin role delete: role busy has 1 inline policy (read-only) and 1 attached policy ("+managedArn+"); pass --force to delete them with the role",
		"role", "delete", "busy")
	if !s.roleExists(t, "busy") {
		t.Fatal("a refused delete deleted the role")
	}

	// With --force, the policies go first, then the role; the profile that
	// lists it is named.
	r := s.mustRun(t, "role", "delete", aws.ToString(busy.Arn), "--force")
	want := "deleted inline policy read-only of role busy\ndetached policy " + managedArn + " from role busy\ndeleted role busy\n"
	if r.stdout != want {
		t.Errorf("stdout %q\nwant %q", r.stdout, want)
	}
	if wantWarn := "roam: warning: profile uses-busy (" + aws.ToString(p.Profile.ProfileId) + ") still lists the deleted role " + aws.ToString(busy.Arn) + "\n"; r.stderr != wantWarn {
		t.Errorf("stderr %q\nwant %q", r.stderr, wantWarn)
	}
	if s.roleExists(t, "busy") {
		t.Error("the role still exists")
	}
	// The managed policy itself is kept, attached to nothing.
	got, err := s.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(managedArn)})
	if err != nil || aws.ToInt32(got.Policy.AttachmentCount) != 0 {
		t.Errorf("managed policy after delete: %v, %v", got, err)
	}

	// A role without policies needs no --force; JSON describes it.
	s.mustRun(t, "role", "create", "--name", "bare", "--trust-anchor", "ta")
	var doc adminRoleJSON
	s.mustJSON(t, &doc, "role", "delete", "bare")
	if doc.Role.RoleName != "bare" || len(doc.RolePolicies) != 0 || s.roleExists(t, "bare") {
		t.Errorf("delete bare: %+v", doc)
	}
}
