package cli_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/roam-dev/roam/internal/testpki"
)

// adminProfileJSON is a profile as --output json prints it.
type adminProfileJSON struct {
	ProfileID                 string     `json:"profileId"`
	ProfileArn                string     `json:"profileArn"`
	Name                      string     `json:"name"`
	RequireInstanceProperties bool       `json:"requireInstanceProperties"`
	Enabled                   bool       `json:"enabled"`
	CreatedBy                 string     `json:"createdBy"`
	SessionPolicy             string     `json:"sessionPolicy"`
	RoleArns                  []string   `json:"roleArns"`
	ManagedPolicyArns         []string   `json:"managedPolicyArns"`
	CreatedAt                 *time.Time `json:"createdAt"`
	UpdatedAt                 *time.Time `json:"updatedAt"`
	DurationSeconds           int        `json:"durationSeconds"`
	AcceptRoleSessionName     bool       `json:"acceptRoleSessionName"`
	AttributeMappings         []struct {
		CertificateField string `json:"certificateField"`
		MappingRules     []struct {
			Specifier string `json:"specifier"`
		} `json:"mappingRules"`
	} `json:"attributeMappings"`
}

type adminProfileDoc struct {
	Profile adminProfileJSON `json:"profile"`
}

func (s *adminServer) getProfile(t *testing.T, id string) *ratypes.ProfileDetail {
	t.Helper()
	out, err := s.ra.GetProfile(context.Background(), &rolesanywhere.GetProfileInput{ProfileId: aws.String(id)})
	if err != nil {
		t.Fatalf("GetProfile %s: %v", id, err)
	}
	return out.Profile
}

func TestAdminProfile(t *testing.T) {
	s := adminStart(t)
	ctx := context.Background()
	ca := testpki.NewCA(t)
	s.mustRun(t, "trust-anchor", "create", "--name", "ta", "--ca-file", adminWriteCA(t, ca.Cert))
	s.mustRun(t, "role", "create", "--name", "one", "--trust-anchor", "ta")
	s.mustRun(t, "role", "create", "--name", "two", "--trust-anchor", "ta")
	s.mustRun(t, "role", "create", "--name", "three", "--trust-anchor", "ta")
	one, _ := s.getRole(t, "one")
	two, _ := s.getRole(t, "two")
	three, _ := s.getRole(t, "three")
	managed, err := s.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String("narrow"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:List*","Resource":"*"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	managedArn := aws.ToString(managed.Policy.Arn)
	session := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rolesanywhere:List*","Resource":"*"}]}`

	// create: roles by name and by ARN, comma-separated and repeated.
	r := s.mustRun(t, "profile", "create", "--name", "abc", "--role", "one,"+aws.ToString(two.Arn), "--role", "three",
		"--duration", "15m", "--session-policy-file", adminWriteFile(t, "session.json", session), "--managed-policy-arn", managedArn,
		"--accept-role-session-name")
	f := adminFields(t, r.stdout)
	id := strings.Join(f["ID"], "")
	p := s.getProfile(t, id)
	wantRoles := []string{aws.ToString(one.Arn), aws.ToString(two.Arn), aws.ToString(three.Arn)}
	if !reflect.DeepEqual(p.RoleArns, wantRoles) || aws.ToInt32(p.DurationSeconds) != 900 || !aws.ToBool(p.Enabled) ||
		!aws.ToBool(p.AcceptRoleSessionName) || aws.ToString(p.SessionPolicy) != session || !reflect.DeepEqual(p.ManagedPolicyArns, []string{managedArn}) {
		t.Errorf("server profile: roles %v duration %d enabled %v accept %v session %q managed %v", p.RoleArns, aws.ToInt32(p.DurationSeconds),
			aws.ToBool(p.Enabled), aws.ToBool(p.AcceptRoleSessionName), aws.ToString(p.SessionPolicy), p.ManagedPolicyArns)
	}
	sessionLines := f["Session policy"]
	delete(f, "Session policy")
	if !reflect.DeepEqual(adminDecode(t, strings.Join(sessionLines, "\n")), adminDecode(t, session)) || len(sessionLines) < 5 {
		t.Errorf("the table's session policy:\n%s", strings.Join(sessionLines, "\n"))
	}
	adminCompareFields(t, f, map[string][]string{
		"Name": {"abc"}, "ID": {id}, "ARN": {aws.ToString(p.ProfileArn)}, "Enabled": {"true"},
		"Roles": wantRoles, "Duration": {"900s"}, "Accept role session name": {"true"},
		"Managed policies":   {managedArn},
		"Attribute mappings": {"x509Issuer: *", "x509SAN: DNS, URI, Name/*", "x509Subject: *"},
		"Created by":         {"arn:aws:iam::" + s.account.ID + ":root"},
		"Created":            {p.CreatedAt.UTC().Format(time.RFC3339)},
		"Updated":            {p.UpdatedAt.UTC().Format(time.RFC3339)},
	})

	// get by ID, ARN and name, as JSON.
	for _, ref := range []string{id, aws.ToString(p.ProfileArn), "abc"} {
		var doc adminProfileDoc
		s.mustJSON(t, &doc, "profile", "get", ref)
		got := doc.Profile
		if got.ProfileID != id || got.Name != "abc" || !got.Enabled || !reflect.DeepEqual(got.RoleArns, wantRoles) ||
			got.DurationSeconds != 900 || got.SessionPolicy != session || !got.AcceptRoleSessionName ||
			!reflect.DeepEqual(got.ManagedPolicyArns, []string{managedArn}) || len(got.AttributeMappings) != 3 ||
			got.CreatedAt == nil || !got.CreatedAt.Equal(*p.CreatedAt) {
			t.Errorf("get %s: %+v", ref, got)
		}
	}

	// A disabled profile with the defaults; list shows both.
	var plain adminProfileDoc
	s.mustJSON(t, &plain, "profile", "create", "--name", "plain", "--role", "one", "--disabled")
	pp := s.getProfile(t, plain.Profile.ProfileID)
	if aws.ToBool(pp.Enabled) || aws.ToInt32(pp.DurationSeconds) != 3600 || aws.ToBool(pp.AcceptRoleSessionName) {
		t.Errorf("plain profile: enabled %v duration %d accept %v", aws.ToBool(pp.Enabled), aws.ToInt32(pp.DurationSeconds), aws.ToBool(pp.AcceptRoleSessionName))
	}
	adminCompareRows(t, adminTable(t, s.mustRun(t, "profile", "list").stdout), []map[string]string{
		{"NAME": "abc", "ID": id, "ENABLED": "true", "ROLES": "one,two,three", "DURATION": "900s", "CREATED": p.CreatedAt.UTC().Format(time.RFC3339)},
		{"NAME": "plain", "ID": plain.Profile.ProfileID, "ENABLED": "false", "ROLES": "one", "DURATION": "3600s", "CREATED": pp.CreatedAt.UTC().Format(time.RFC3339)},
	})
	var list struct {
		Profiles []adminProfileJSON `json:"profiles"`
	}
	s.mustJSON(t, &list, "profile", "list")
	if len(list.Profiles) != 2 || list.Profiles[0].ProfileID != id || list.Profiles[1].Name != "plain" {
		t.Errorf("list JSON: %+v", list.Profiles)
	}

	// enable, disable, delete.
	if r := s.mustRun(t, "profile", "enable", "plain"); r.stdout != "enabled profile plain ("+plain.Profile.ProfileID+")\n" {
		t.Errorf("enable printed %q", r.stdout)
	}
	if !aws.ToBool(s.getProfile(t, plain.Profile.ProfileID).Enabled) {
		t.Error("enable left the profile disabled")
	}
	var disabled adminProfileDoc
	s.mustJSON(t, &disabled, "profile", "disable", aws.ToString(p.ProfileArn))
	if disabled.Profile.Enabled || aws.ToBool(s.getProfile(t, id).Enabled) {
		t.Error("disable left the profile enabled")
	}
	if r := s.mustRun(t, "profile", "delete", id); r.stdout != "deleted profile abc ("+id+")\n" {
		t.Errorf("delete printed %q", r.stdout)
	}
	_, err = s.ra.GetProfile(ctx, &rolesanywhere.GetProfileInput{ProfileId: aws.String(id)})
	var nf *ratypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("after delete, GetProfile: %v", err)
	}
}

func TestAdminProfileErrors(t *testing.T) {
	s := adminStart(t)
	ca := testpki.NewCA(t)
	s.mustRun(t, "trust-anchor", "create", "--name", "ta", "--ca-file", adminWriteCA(t, ca.Cert))
	s.mustRun(t, "role", "create", "--name", "one", "--trust-anchor", "ta")
	notJSON := adminWriteFile(t, "session.json", "nope")
	tests := []struct {
		name  string
		args  []string
		want  string
		usage bool
	}{
		{name: "error/unknown role", args: []string{"create", "--name", "p", "--role", "one,nobody"}, want: "admin profile create: --role nobody: NoSuchEntity: "},
		{name: "error/not a role ARN", args: []string{"create", "--name", "p", "--role", "arn:aws:iam::111122223333:user/u"},
			want: "admin profile create: --role arn:aws:iam::111122223333:user/u: arn:aws:iam::111122223333:user/u is not an IAM role ARN (want arn:aws:iam::ACCOUNT:role/NAME)"},
		{name: "error/session policy not JSON", args: []string{"create", "--name", "p", "--role", "one", "--session-policy-file", notJSON},
			want: "admin profile create: --session-policy-file " + notJSON + " is not a JSON policy document: invalid character 'o' in literal null (expecting 'u')"},
		{name: "error/bad name", args: []string{"create", "--name", "p/q", "--role", "one"}, want: "admin profile create: ValidationException: "},
		{name: "error/unknown profile", args: []string{"get", "nope"}, want: `admin profile get: no profile is named "nope"`},
		{name: "error/trust anchor ARN", args: []string{"delete", "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/0ace5b12-24b9-427e-a483-c55884852fbf"},
			want: "admin profile delete: arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/0ace5b12-24b9-427e-a483-c55884852fbf is not a profile ARN (want arn:aws:rolesanywhere:REGION:ACCOUNT:profile/ID)"},
		{name: "error/short duration", args: []string{"create", "--name", "p", "--role", "one", "--duration", "600"}, usage: true,
			want: "admin profile create: --duration 600: must be between 900 and 43200 seconds"},
		{name: "error/no role", args: []string{"create", "--name", "p"}, usage: true, want: `required flag(s) "role" not set`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.run(t, append([]string{"profile"}, tt.args...)...)
			if tt.usage {
				if r.code != 1 || !strings.HasPrefix(r.stderr, "Error: "+tt.want+"\nUsage:") {
					t.Errorf("exit %d, stderr %q\nwant 1 and the usage error %q", r.code, r.stderr, tt.want)
				}
				return
			}
			want := "roam: " + tt.want
			if r.code != 1 || !strings.HasPrefix(r.stderr, want) || (!strings.HasSuffix(want, ": ") && r.stderr != want+"\n") {
				t.Errorf("exit %d, stderr %q\nwant 1, %q", r.code, r.stderr, want)
			}
		})
	}
	out, err := s.ra.ListProfiles(context.Background(), &rolesanywhere.ListProfilesInput{})
	if err != nil || len(out.Profiles) != 0 {
		t.Errorf("failed creates left %d profiles (%v)", len(out.Profiles), err)
	}
}
