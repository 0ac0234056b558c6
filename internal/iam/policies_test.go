package iam_test

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

var policyIDPattern = regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`)

func TestCreateAndGetPolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	out, err := e.client.CreatePolicy(ctx, &awsiam.CreatePolicyInput{
		PolicyName:     aws.String("S3Read"),
		Path:           aws.String("/data/"),
		PolicyDocument: aws.String(readPolicy),
		Description:    aws.String("reads the bucket"),
		Tags:           []iamtypes.Tag{{Key: aws.String("owner"), Value: aws.String("data")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := out.Policy
	const arn = "arn:aws:iam::123456789012:policy/data/S3Read"
	if !policyIDPattern.MatchString(aws.ToString(p.PolicyId)) {
		t.Errorf("PolicyId %q does not look like ANPA + 17 base32 characters", aws.ToString(p.PolicyId))
	}
	if aws.ToString(p.Arn) != arn || aws.ToString(p.PolicyName) != "S3Read" || aws.ToString(p.Path) != "/data/" ||
		aws.ToString(p.DefaultVersionId) != "v1" || aws.ToInt32(p.AttachmentCount) != 0 || !p.IsAttachable ||
		aws.ToString(p.Description) != "reads the bucket" || len(p.Tags) != 1 ||
		!aws.ToTime(p.CreateDate).Equal(clock) || !aws.ToTime(p.UpdateDate).Equal(clock) {
		t.Errorf("CreatePolicy returned %+v", p)
	}
	req := e.authz.last(t, "iam:CreatePolicy")
	if req.Resource != arn || !slices.Equal(req.Context["aws:RequestTag/owner"], []string{"data"}) {
		t.Errorf("CreatePolicy authorized as %+v", req)
	}

	got, err := e.client.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.Policy.PolicyId) != aws.ToString(p.PolicyId) || aws.ToString(got.Policy.Description) != "reads the bucket" {
		t.Errorf("GetPolicy returned %+v", got.Policy)
	}
	if req := e.authz.last(t, "iam:GetPolicy"); req.Resource != arn {
		t.Errorf("GetPolicy authorized on %q", req.Resource)
	}

	_, err = e.client.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("s3read"), PolicyDocument: aws.String(readPolicy)})
	wantAPIError[*iamtypes.EntityAlreadyExistsException](t, err, 409, "EntityAlreadyExists", "A policy called s3read already exists. Duplicate names are not allowed.")
	_, err = e.client.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("Other"), PolicyDocument: aws.String(trustPolicy)})
	wantAPIError[*iamtypes.MalformedPolicyDocumentException](t, err, 400, "MalformedPolicyDocument", "Policy document should not specify a principal.")
	_, err = e.client.CreatePolicy(ctx, &awsiam.CreatePolicyInput{PolicyName: aws.String("Other"), PolicyDocument: aws.String(readPolicy), Path: aws.String("/bad path/")})
	wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError",
		`1 validation error detected: Value '/bad path/' at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: ((/[A-Za-z0-9\.,\+@=_-]+)*)/`)

	for _, missing := range []string{
		"arn:aws:iam::123456789012:policy/S3Read",      // wrong path
		"arn:aws:iam::123456789012:policy/data/Nope",   // no such name
		"arn:aws:iam::aws:policy/AdministratorAccess",  // AWS managed
		"arn:aws:iam::210987654321:policy/data/S3Read", // another account
	} {
		_, err = e.client.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(missing)})
		wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "Policy "+missing+" was not found.")
	}
	_, err = e.client.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String("arn:aws:s3:::some-bucket/key")})
	wantAPIError[*iamtypes.InvalidInputException](t, err, 400, "InvalidInput", "ARN arn:aws:s3:::some-bucket/key is not valid.")
	_, err = e.client.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String("short")})
	wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError",
		"1 validation error detected: Value 'short' at 'policyArn' failed to satisfy constraint: Member must have length greater than or equal to 20")
}

func TestPolicyVersions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	arn := e.mustCreatePolicy(t, "P", "")
	create := func(doc string, setDefault bool) (*iamtypes.PolicyVersion, error) {
		out, err := e.client.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(doc), SetAsDefault: setDefault})
		if err != nil {
			return nil, err
		}
		return out.PolicyVersion, nil
	}
	v2, err := create(writePolicy, true)
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v2.VersionId) != "v2" || !v2.IsDefaultVersion || v2.Document != nil {
		t.Errorf("CreatePolicyVersion returned %+v (IAM sends no document)", v2)
	}
	for range 3 {
		if _, err := create(readPolicy, false); err != nil {
			t.Fatal(err)
		}
	}
	_, err = create(readPolicy, false)
	wantAPIError[*iamtypes.LimitExceededException](t, err, 409, "LimitExceeded",
		"A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing version.")

	pol, err := e.client.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(pol.Policy.DefaultVersionId) != "v2" {
		t.Errorf("DefaultVersionId %s, want v2", aws.ToString(pol.Policy.DefaultVersionId))
	}

	got, err := e.client.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")})
	if err != nil {
		t.Fatal(err)
	}
	if decoded(t, got.PolicyVersion.Document) != writePolicy || !got.PolicyVersion.IsDefaultVersion {
		t.Errorf("GetPolicyVersion v2: %+v", got.PolicyVersion)
	}

	versions := func() (ids []string, pages int) {
		t.Helper()
		p := awsiam.NewListPolicyVersionsPaginator(e.client, &awsiam.ListPolicyVersionsInput{PolicyArn: aws.String(arn), MaxItems: aws.Int32(2)})
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, v := range out.Versions {
				if v.Document != nil {
					t.Errorf("ListPolicyVersions sent the document of %s", aws.ToString(v.VersionId))
				}
				id := aws.ToString(v.VersionId)
				if v.IsDefaultVersion {
					id += "*"
				}
				ids = append(ids, id)
			}
		}
		return ids, pages
	}
	if ids, pages := versions(); !slices.Equal(ids, []string{"v5", "v4", "v3", "v2*", "v1"}) || pages != 3 {
		t.Errorf("versions %v in %d pages, want newest first in 3", ids, pages)
	}

	if _, err := e.client.SetDefaultPolicyVersion(ctx, &awsiam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v4")}); err != nil {
		t.Fatal(err)
	}
	_, err = e.client.DeletePolicyVersion(ctx, &awsiam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v4")})
	wantAPIError[*iamtypes.DeleteConflictException](t, err, 409, "DeleteConflict", "Cannot delete the default version of a policy.")
	for _, id := range []string{"v1", "v5"} {
		if _, err := e.client.DeletePolicyVersion(ctx, &awsiam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(id)}); err != nil {
			t.Fatal(err)
		}
	}
	if ids, _ := versions(); !slices.Equal(ids, []string{"v4*", "v3", "v2"}) {
		t.Errorf("versions %v after SetDefaultPolicyVersion v4 and deleting v1 and v5", ids)
	}

	// Errors.
	noVersion := "Policy " + arn + " version v9 does not exist or is not attachable."
	_, err = e.client.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", noVersion)
	_, err = e.client.SetDefaultPolicyVersion(ctx, &awsiam.SetDefaultPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", noVersion)
	_, err = e.client.DeletePolicyVersion(ctx, &awsiam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v9")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", noVersion)
	_, err = e.client.GetPolicyVersion(ctx, &awsiam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("1")})
	wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError",
		`1 validation error detected: Value '1' at 'versionId' failed to satisfy constraint: Member must satisfy regular expression pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?`)
	_, err = create("[]", false)
	wantAPIError[*iamtypes.MalformedPolicyDocumentException](t, err, 400, "MalformedPolicyDocument", "Syntax errors in policy.")
	gone := "arn:aws:iam::123456789012:policy/Gone"
	_, err = e.client.ListPolicyVersions(ctx, &awsiam.ListPolicyVersionsInput{PolicyArn: aws.String(gone)})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "Policy "+gone+" was not found.")
	_, err = e.client.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: aws.String(gone), PolicyDocument: aws.String(readPolicy)})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "Policy "+gone+" was not found.")
}

func TestDeletePolicy(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateRole(t, "R", "")
	arn := e.mustCreatePolicy(t, "P", "/x/")
	del := func() error {
		_, err := e.client.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: aws.String(arn)})
		return err
	}

	if _, err := e.client.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	wantAPIError[*iamtypes.DeleteConflictException](t, del(), 409, "DeleteConflict", "Cannot delete a policy attached to entities.")
	if _, err := e.client.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}

	if _, err := e.client.CreatePolicyVersion(ctx, &awsiam.CreatePolicyVersionInput{PolicyArn: aws.String(arn), PolicyDocument: aws.String(writePolicy)}); err != nil {
		t.Fatal(err)
	}
	wantAPIError[*iamtypes.DeleteConflictException](t, del(), 409, "DeleteConflict",
		"This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	if _, err := e.client.DeletePolicyVersion(ctx, &awsiam.DeletePolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String("v2")}); err != nil {
		t.Fatal(err)
	}

	if err := del(); err != nil {
		t.Fatal(err)
	}
	if req := e.authz.last(t, "iam:DeletePolicy"); req.Resource != arn {
		t.Errorf("DeletePolicy authorized on %q", req.Resource)
	}
	wantAPIError[*iamtypes.NoSuchEntityException](t, del(), 404, "NoSuchEntity", "Policy "+arn+" was not found.")
}

func TestListPolicies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateRole(t, "R", "")
	arns := map[string]string{}
	for _, p := range []struct{ name, path string }{{"a", "/"}, {"b", "/team/"}, {"c", "/team/"}, {"d", "/"}, {"e", "/team/sub/"}} {
		arns[p.name] = e.mustCreatePolicy(t, p.name, p.path)
	}
	for _, name := range []string{"b", "d", "e"} {
		if _, err := e.client.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String(arns[name])}); err != nil {
			t.Fatal(err)
		}
	}
	list := func(in awsiam.ListPoliciesInput) []string {
		t.Helper()
		var names []string
		p := awsiam.NewListPoliciesPaginator(e.client, &in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Policies) > int(aws.ToInt32(in.MaxItems)) && in.MaxItems != nil {
				t.Errorf("page of %d policies, MaxItems %d", len(out.Policies), aws.ToInt32(in.MaxItems))
			}
			for _, pol := range out.Policies {
				if pol.Description != nil || pol.Tags != nil {
					t.Errorf("ListPolicies sent the description or tags of %s", aws.ToString(pol.PolicyName))
				}
				names = append(names, aws.ToString(pol.PolicyName))
			}
		}
		slices.Sort(names)
		return names
	}
	tests := []struct {
		name string
		in   awsiam.ListPoliciesInput
		want []string
	}{
		{"all", awsiam.ListPoliciesInput{}, []string{"a", "b", "c", "d", "e"}},
		{"local in pages of 2", awsiam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeLocal, MaxItems: aws.Int32(2)}, []string{"a", "b", "c", "d", "e"}},
		{"aws managed", awsiam.ListPoliciesInput{Scope: iamtypes.PolicyScopeTypeAws}, nil},
		{"path prefix", awsiam.ListPoliciesInput{PathPrefix: aws.String("/team/")}, []string{"b", "c", "e"}},
		{"only attached in pages of 1", awsiam.ListPoliciesInput{OnlyAttached: true, MaxItems: aws.Int32(1)}, []string{"b", "d", "e"}},
		{"only attached under a prefix", awsiam.ListPoliciesInput{OnlyAttached: true, PathPrefix: aws.String("/team/")}, []string{"b", "e"}},
		{"permissions boundaries", awsiam.ListPoliciesInput{PolicyUsageFilter: iamtypes.PolicyUsageTypePermissionsBoundary}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := list(tt.in); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	if req := e.authz.last(t, "iam:ListPolicies"); req.Resource != "*" {
		t.Errorf("ListPolicies authorized on %q", req.Resource)
	}
	_, err := e.client.ListPolicies(ctx, &awsiam.ListPoliciesInput{Scope: "Everything"})
	wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError",
		"1 validation error detected: Value 'Everything' at 'scope' failed to satisfy constraint: Member must satisfy enum value set: [All, AWS, Local]")
}
