package iam_test

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

var roleIDPattern = regexp.MustCompile(`^AROA[A-Z2-7]{17}$`)

// decoded URL-decodes a policy document as IAM returns it.
func decoded(t *testing.T, doc *string) string {
	t.Helper()
	s, err := url.PathUnescape(aws.ToString(doc))
	if err != nil {
		t.Fatalf("policy document %q is not URL-encoded: %v", aws.ToString(doc), err)
	}
	return s
}

func TestCreateRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	out, err := e.client.CreateRole(ctx, &awsiam.CreateRoleInput{
		RoleName:                 aws.String("Deploy"),
		Path:                     aws.String("/ci/"),
		AssumeRolePolicyDocument: aws.String(trustPolicy),
		Description:              aws.String("CI deployments"),
		MaxSessionDuration:       aws.Int32(7200),
		Tags:                     []iamtypes.Tag{{Key: aws.String("team"), Value: aws.String("platform")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := out.Role
	if !roleIDPattern.MatchString(aws.ToString(r.RoleId)) {
		t.Errorf("RoleId %q does not look like AROA + 17 base32 characters", aws.ToString(r.RoleId))
	}
	want := iamtypes.Role{
		RoleName: aws.String("Deploy"), Path: aws.String("/ci/"), Arn: aws.String("arn:aws:iam::123456789012:role/ci/Deploy"),
		Description: aws.String("CI deployments"), MaxSessionDuration: aws.Int32(7200),
	}
	if aws.ToString(r.RoleName) != *want.RoleName || aws.ToString(r.Path) != *want.Path || aws.ToString(r.Arn) != *want.Arn ||
		aws.ToString(r.Description) != *want.Description || aws.ToInt32(r.MaxSessionDuration) != *want.MaxSessionDuration {
		t.Errorf("role %+v, want %+v", r, want)
	}
	if !aws.ToTime(r.CreateDate).Equal(clock) {
		t.Errorf("CreateDate %v, want %v", aws.ToTime(r.CreateDate), clock)
	}
	if doc := aws.ToString(r.AssumeRolePolicyDocument); strings.ContainsAny(doc, `{}":`) || decoded(t, r.AssumeRolePolicyDocument) != trustPolicy {
		t.Errorf("AssumeRolePolicyDocument %q, want the trust policy URL-encoded", doc)
	}
	if len(r.Tags) != 1 || aws.ToString(r.Tags[0].Key) != "team" || aws.ToString(r.Tags[0].Value) != "platform" {
		t.Errorf("tags %+v", r.Tags)
	}

	req := e.authz.last(t, "iam:CreateRole")
	if req.Resource != "arn:aws:iam::123456789012:role/ci/Deploy" {
		t.Errorf("authorized on %q", req.Resource)
	}
	if !slices.Equal(req.Context["aws:RequestTag/team"], []string{"platform"}) || !slices.Equal(req.Context["aws:TagKeys"], []string{"team"}) {
		t.Errorf("authorization context %v lacks the request tags", req.Context)
	}

	// Defaults: path "/", MaxSessionDuration 3600, no tags.
	out, err = e.client.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("Plain"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Role.Path) != "/" || aws.ToInt32(out.Role.MaxSessionDuration) != 3600 || out.Role.Tags != nil || out.Role.Description != nil {
		t.Errorf("defaults: %+v", out.Role)
	}
	if ctx := e.authz.last(t, "iam:CreateRole").Context; ctx != nil {
		t.Errorf("untagged CreateRole has authorization context %v", ctx)
	}
}

func TestCreateRoleErrors(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateRole(t, "Taken", "")
	tests := []struct {
		name  string
		in    awsiam.CreateRoleInput
		check func(*testing.T, error)
	}{
		{
			name: "error/exists in another case", in: awsiam.CreateRoleInput{RoleName: aws.String("TAKEN")},
			check: func(t *testing.T, err error) {
				wantAPIError[*iamtypes.EntityAlreadyExistsException](t, err, 409, "EntityAlreadyExists", "Role with name TAKEN already exists.")
			},
		},
		{
			name: "error/trust policy without principal", in: awsiam.CreateRoleInput{RoleName: aws.String("R"), AssumeRolePolicyDocument: aws.String(readPolicy)},
			check: func(t *testing.T, err error) {
				wantAPIError[*iamtypes.MalformedPolicyDocumentException](t, err, 400, "MalformedPolicyDocument", "Missing required field Principal")
			},
		},
		{
			name: "error/not JSON", in: awsiam.CreateRoleInput{RoleName: aws.String("R"), AssumeRolePolicyDocument: aws.String("{nope")},
			check: func(t *testing.T, err error) {
				wantAPIError[*iamtypes.MalformedPolicyDocumentException](t, err, 400, "MalformedPolicyDocument", "Syntax errors in policy.")
			},
		},
		{
			name: "error/session duration too short", in: awsiam.CreateRoleInput{RoleName: aws.String("R"), MaxSessionDuration: aws.Int32(100)},
			check: func(t *testing.T, err error) {
				wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError",
					"1 validation error detected: Value '100' at 'maxSessionDuration' failed to satisfy constraint: Member must have value greater than or equal to 3600")
			},
		},
		{
			name: "error/bad name and path", in: awsiam.CreateRoleInput{RoleName: aws.String("no spaces"), Path: aws.String("ci")},
			check: func(t *testing.T, err error) {
				wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError",
					`2 validation errors detected: Value 'no spaces' at 'roleName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+; `+
						`Value 'ci' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: (\u002F)|(\u002F[\u0021-\u007E]+\u002F)`)
			},
		},
		{
			name: "error/name too long", in: awsiam.CreateRoleInput{RoleName: aws.String(strings.Repeat("n", 65))},
			check: func(t *testing.T, err error) {
				wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError",
					"1 validation error detected: Value '"+strings.Repeat("n", 65)+"' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64")
			},
		},
		{
			name: "error/duplicate tag keys", in: awsiam.CreateRoleInput{RoleName: aws.String("R"), Tags: []iamtypes.Tag{
				{Key: aws.String("Env"), Value: aws.String("a")}, {Key: aws.String("env"), Value: aws.String("b")}}},
			check: func(t *testing.T, err error) {
				wantAPIError[*iamtypes.InvalidInputException](t, err, 400, "InvalidInput", "Duplicate tag keys found. Please note that Tag keys are case insensitive.")
			},
		},
		{
			name: "error/reserved tag key", in: awsiam.CreateRoleInput{RoleName: aws.String("R"), Tags: []iamtypes.Tag{{Key: aws.String("aws:owner"), Value: aws.String("a")}}},
			check: func(t *testing.T, err error) {
				wantAPIError[*iamtypes.InvalidInputException](t, err, 400, "InvalidInput", "Tag keys starting with 'aws:' are reserved for internal AWS use.")
			},
		},
		{
			name: "error/bad tag value", in: awsiam.CreateRoleInput{RoleName: aws.String("R"), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("semi;colon")}}},
			check: func(t *testing.T, err error) {
				wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError",
					`1 validation error detected: Value 'semi;colon' at 'tags.1.member.value' failed to satisfy constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*`)
			},
		},
		{
			name: "error/permissions boundary", in: awsiam.CreateRoleInput{RoleName: aws.String("R"), PermissionsBoundary: aws.String("arn:aws:iam::123456789012:policy/Boundary")},
			check: func(t *testing.T, err error) {
				wantAPIError[*iamtypes.InvalidInputException](t, err, 400, "InvalidInput", "roam does not support permissions boundaries.")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if in.AssumeRolePolicyDocument == nil {
				in.AssumeRolePolicyDocument = aws.String(trustPolicy)
			}
			_, err := e.client.CreateRole(ctx, &in)
			tt.check(t, err)
		})
	}
	// None of the refused requests created a role.
	out, err := e.client.ListRoles(ctx, &awsiam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Roles) != 1 {
		t.Errorf("%d roles after the refused requests, want 1", len(out.Roles))
	}
}

func TestGetRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateRole(t, "Reader", "/app/")
	if _, err := e.client.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("Reader"), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}
	// Role names match regardless of case; the stored spelling comes back.
	out, err := e.client.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("reader")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Role.RoleName) != "Reader" || aws.ToString(out.Role.Arn) != "arn:aws:iam::123456789012:role/app/Reader" || len(out.Role.Tags) != 1 {
		t.Errorf("GetRole: %+v", out.Role)
	}
	if decoded(t, out.Role.AssumeRolePolicyDocument) != trustPolicy {
		t.Errorf("trust policy %q", decoded(t, out.Role.AssumeRolePolicyDocument))
	}
	if req := e.authz.last(t, "iam:GetRole"); req.Resource != "arn:aws:iam::123456789012:role/app/Reader" {
		t.Errorf("authorized on %q, want the role's ARN with its path", req.Resource)
	}

	_, err = e.client.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("Nobody")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name Nobody cannot be found.")
	if req := e.authz.last(t, "iam:GetRole"); req.Resource != "arn:aws:iam::123456789012:role/Nobody" {
		t.Errorf("a missing role is authorized on %q", req.Resource)
	}
}

func TestListRoles(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, r := range []struct{ name, path string }{{"delta", "/"}, {"Alpha", "/team/a/"}, {"charlie", "/team/"}, {"Bravo", "/team/a/"}, {"echo", "/other/"}} {
		e.mustCreateRole(t, r.name, r.path)
	}
	if _, err := e.client.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("Alpha"), Tags: []iamtypes.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}); err != nil {
		t.Fatal(err)
	}

	// Pages of two, by name regardless of case.
	var names []string
	var pages int
	p := awsiam.NewListRolesPaginator(e.client, &awsiam.ListRolesInput{MaxItems: aws.Int32(2)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(out.Roles) > 2 || out.IsTruncated != (out.Marker != nil) {
			t.Errorf("page %d: %d roles, IsTruncated %v, Marker %v", pages, len(out.Roles), out.IsTruncated, out.Marker)
		}
		for _, r := range out.Roles {
			names = append(names, aws.ToString(r.RoleName))
			if r.Tags != nil || r.AssumeRolePolicyDocument == nil {
				t.Errorf("listed role %s: Tags %v (IAM leaves them out), trust policy %v", aws.ToString(r.RoleName), r.Tags, r.AssumeRolePolicyDocument)
			}
		}
	}
	if want := []string{"Alpha", "Bravo", "charlie", "delta", "echo"}; !slices.Equal(names, want) || pages != 3 {
		t.Errorf("listed %v in %d pages, want %v in 3", names, pages, want)
	}

	out, err := e.client.ListRoles(ctx, &awsiam.ListRolesInput{PathPrefix: aws.String("/team/")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range out.Roles {
		got = append(got, aws.ToString(r.RoleName))
	}
	if !slices.Equal(got, []string{"Alpha", "Bravo", "charlie"}) || out.IsTruncated {
		t.Errorf("PathPrefix /team/: %v (truncated %v)", got, out.IsTruncated)
	}
	if req := e.authz.last(t, "iam:ListRoles"); req.Resource != "*" {
		t.Errorf("ListRoles authorized on %q, want *", req.Resource)
	}

	_, err = e.client.ListRoles(ctx, &awsiam.ListRolesInput{Marker: aws.String("not-a-marker")})
	wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError", "Invalid Marker.")
	_, err = e.client.ListRoles(ctx, &awsiam.ListRolesInput{MaxItems: aws.Int32(0)})
	wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError",
		"1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1")
}

func TestUpdateRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateRole(t, "R", "")
	if _, err := e.client.UpdateRole(ctx, &awsiam.UpdateRoleInput{RoleName: aws.String("R"), Description: aws.String("new"), MaxSessionDuration: aws.Int32(43200)}); err != nil {
		t.Fatal(err)
	}
	got, err := e.client.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("R")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Role.Description) != "new" || aws.ToInt32(got.Role.MaxSessionDuration) != 43200 {
		t.Errorf("after UpdateRole: %+v", got.Role)
	}
	// Leaving a parameter out leaves the attribute alone.
	if _, err := e.client.UpdateRole(ctx, &awsiam.UpdateRoleInput{RoleName: aws.String("R"), MaxSessionDuration: aws.Int32(3600)}); err != nil {
		t.Fatal(err)
	}
	got, _ = e.client.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("R")})
	if aws.ToString(got.Role.Description) != "new" || aws.ToInt32(got.Role.MaxSessionDuration) != 3600 {
		t.Errorf("after the second UpdateRole: %+v", got.Role)
	}

	_, err = e.client.UpdateRole(ctx, &awsiam.UpdateRoleInput{RoleName: aws.String("Gone"), Description: aws.String("x")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name Gone cannot be found.")
	_, err = e.client.UpdateRole(ctx, &awsiam.UpdateRoleInput{RoleName: aws.String("R"), MaxSessionDuration: aws.Int32(43201)})
	wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError",
		"1 validation error detected: Value '43201' at 'maxSessionDuration' failed to satisfy constraint: Member must have value less than or equal to 43200")
}

func TestUpdateRoleDescription(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateRole(t, "R", "/p/")
	out, err := e.client.UpdateRoleDescription(ctx, &awsiam.UpdateRoleDescriptionInput{RoleName: aws.String("R"), Description: aws.String("described")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Role.Description) != "described" || aws.ToString(out.Role.Arn) != "arn:aws:iam::123456789012:role/p/R" {
		t.Errorf("UpdateRoleDescription returned %+v", out.Role)
	}
	_, err = e.client.UpdateRoleDescription(ctx, &awsiam.UpdateRoleDescriptionInput{RoleName: aws.String("Gone"), Description: aws.String("x")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name Gone cannot be found.")
	_, err = e.client.UpdateRoleDescription(ctx, &awsiam.UpdateRoleDescriptionInput{RoleName: aws.String("R"), Description: aws.String(strings.Repeat("d", 1001))})
	wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError",
		"1 validation error detected: Value '"+strings.Repeat("d", 128)+"...' at 'description' failed to satisfy constraint: Member must have length less than or equal to 1000")
}

func TestUpdateAssumeRolePolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateRole(t, "R", "")
	newTrust := strings.Replace(trustPolicy, "rolesanywhere", "ec2", 1)
	if _, err := e.client.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String("R"), PolicyDocument: aws.String(newTrust)}); err != nil {
		t.Fatal(err)
	}
	got, err := e.client.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("R")})
	if err != nil {
		t.Fatal(err)
	}
	if decoded(t, got.Role.AssumeRolePolicyDocument) != newTrust {
		t.Errorf("trust policy %q, want %q", decoded(t, got.Role.AssumeRolePolicyDocument), newTrust)
	}
	_, err = e.client.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String("R"), PolicyDocument: aws.String(readPolicy)})
	wantAPIError[*iamtypes.MalformedPolicyDocumentException](t, err, 400, "MalformedPolicyDocument", "Missing required field Principal")
	_, err = e.client.UpdateAssumeRolePolicy(ctx, &awsiam.UpdateAssumeRolePolicyInput{RoleName: aws.String("Gone"), PolicyDocument: aws.String(trustPolicy)})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name Gone cannot be found.")
}

func TestDeleteRole(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateRole(t, "R", "")
	policyArn := e.mustCreatePolicy(t, "P", "")

	if _, err := e.client.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String(policyArn)}); err != nil {
		t.Fatal(err)
	}
	_, err := e.client.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("R")})
	wantAPIError[*iamtypes.DeleteConflictException](t, err, 409, "DeleteConflict", "Cannot delete entity, must detach all policies first.")
	if _, err := e.client.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String(policyArn)}); err != nil {
		t.Fatal(err)
	}

	if _, err := e.client.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String("inline"), PolicyDocument: aws.String(readPolicy)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("R")})
	wantAPIError[*iamtypes.DeleteConflictException](t, err, 409, "DeleteConflict", "Cannot delete entity, must delete policies first.")
	if _, err := e.client.DeleteRolePolicy(ctx, &awsiam.DeleteRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String("inline")}); err != nil {
		t.Fatal(err)
	}

	if _, err := e.client.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("R")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("R")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name R cannot be found.")
	_, err = e.client.DeleteRole(ctx, &awsiam.DeleteRoleInput{RoleName: aws.String("R")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name R cannot be found.")
}

func TestRoleTags(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateRole(t, "R", "/t/")
	tag := func(k, v string) iamtypes.Tag { return iamtypes.Tag{Key: aws.String(k), Value: aws.String(v)} }

	if _, err := e.client.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("R"), Tags: []iamtypes.Tag{tag("b", "1"), tag("A", "2"), tag("c", "3")}}); err != nil {
		t.Fatal(err)
	}
	req := e.authz.last(t, "iam:TagRole")
	if req.Resource != "arn:aws:iam::123456789012:role/t/R" || !slices.Equal(req.Context["aws:TagKeys"], []string{"b", "A", "c"}) || !slices.Equal(req.Context["aws:RequestTag/A"], []string{"2"}) {
		t.Errorf("TagRole authorized as %+v", req)
	}
	// A key that matches regardless of case is overwritten.
	if _, err := e.client.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("R"), Tags: []iamtypes.Tag{tag("B", "10")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client.UntagRole(ctx, &awsiam.UntagRoleInput{RoleName: aws.String("R"), TagKeys: []string{"C", "absent"}}); err != nil {
		t.Fatal(err)
	}
	if req := e.authz.last(t, "iam:UntagRole"); !slices.Equal(req.Context["aws:TagKeys"], []string{"C", "absent"}) {
		t.Errorf("UntagRole authorization context %v", req.Context)
	}

	// Listed sorted by key, one per page.
	var got []string
	p := awsiam.NewListRoleTagsPaginator(e.client, &awsiam.ListRoleTagsInput{RoleName: aws.String("R"), MaxItems: aws.Int32(1)})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, tg := range out.Tags {
			got = append(got, aws.ToString(tg.Key)+"="+aws.ToString(tg.Value))
		}
	}
	if want := []string{"A=2", "B=10"}; !slices.Equal(got, want) {
		t.Errorf("tags %v, want %v", got, want)
	}

	// A role holds at most 50 tags.
	many := make([]iamtypes.Tag, 49)
	for i := range many {
		many[i] = tag(fmt.Sprintf("k%02d", i), "v")
	}
	_, err := e.client.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("R"), Tags: many})
	wantAPIError[*iamtypes.LimitExceededException](t, err, 409, "LimitExceeded", "Cannot exceed quota for TagsPerRole: 50")
	out, err := e.client.ListRoleTags(ctx, &awsiam.ListRoleTagsInput{RoleName: aws.String("R")})
	if err != nil || len(out.Tags) != 2 || out.IsTruncated {
		t.Errorf("after the refused TagRole: %v tags, err %v", out.Tags, err)
	}
	// ... and a request at most 50.
	_, err = e.client.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("R"), Tags: append(many, tag("x", ""), tag("y", ""))})
	wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError",
		"1 validation error detected: Value '[51 tags]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50")

	_, err = e.client.TagRole(ctx, &awsiam.TagRoleInput{RoleName: aws.String("Gone"), Tags: []iamtypes.Tag{tag("k", "v")}})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name Gone cannot be found.")
	_, err = e.client.UntagRole(ctx, &awsiam.UntagRoleInput{RoleName: aws.String("Gone"), TagKeys: []string{"k"}})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name Gone cannot be found.")
	_, err = e.client.ListRoleTags(ctx, &awsiam.ListRoleTagsInput{RoleName: aws.String("Gone")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name Gone cannot be found.")
}
