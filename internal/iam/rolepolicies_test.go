package iam_test

import (
	"context"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
)

func TestInlinePolicies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateRole(t, "R", "/svc/")
	put := func(name, doc string) error {
		_, err := e.client.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String(name), PolicyDocument: aws.String(doc)})
		return err
	}
	for _, name := range []string{"write", "read", "audit"} {
		if err := put(name, readPolicy); err != nil {
			t.Fatal(err)
		}
	}
	if req := e.authz.last(t, "iam:PutRolePolicy"); req.Resource != "arn:aws:iam::123456789012:role/svc/R" {
		t.Errorf("PutRolePolicy authorized on %q", req.Resource)
	}
	// Putting again replaces the document.
	if err := put("write", writePolicy); err != nil {
		t.Fatal(err)
	}

	got, err := e.client.GetRolePolicy(ctx, &awsiam.GetRolePolicyInput{RoleName: aws.String("r"), PolicyName: aws.String("write")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(got.RoleName) != "R" || aws.ToString(got.PolicyName) != "write" || decoded(t, got.PolicyDocument) != writePolicy {
		t.Errorf("GetRolePolicy: %s %s %q", aws.ToString(got.RoleName), aws.ToString(got.PolicyName), decoded(t, got.PolicyDocument))
	}

	var names []string
	p := awsiam.NewListRolePoliciesPaginator(e.client, &awsiam.ListRolePoliciesInput{RoleName: aws.String("R"), MaxItems: aws.Int32(2)})
	pages := 0
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		names = append(names, out.PolicyNames...)
	}
	if want := []string{"audit", "read", "write"}; !slices.Equal(names, want) || pages != 2 {
		t.Errorf("ListRolePolicies: %v in %d pages, want %v in 2", names, pages, want)
	}

	if _, err := e.client.DeleteRolePolicy(ctx, &awsiam.DeleteRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String("read")}); err != nil {
		t.Fatal(err)
	}
	out, err := e.client.ListRolePolicies(ctx, &awsiam.ListRolePoliciesInput{RoleName: aws.String("R")})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.PolicyNames, []string{"audit", "write"}) || out.IsTruncated {
		t.Errorf("after DeleteRolePolicy: %v", out.PolicyNames)
	}

	// Errors.
	_, err = e.client.GetRolePolicy(ctx, &awsiam.GetRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String("read")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role policy with name read cannot be found.")
	_, err = e.client.DeleteRolePolicy(ctx, &awsiam.DeleteRolePolicyInput{RoleName: aws.String("R"), PolicyName: aws.String("read")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role policy with name read cannot be found.")
	_, err = e.client.GetRolePolicy(ctx, &awsiam.GetRolePolicyInput{RoleName: aws.String("Gone"), PolicyName: aws.String("read")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name Gone cannot be found.")
	_, err = e.client.ListRolePolicies(ctx, &awsiam.ListRolePoliciesInput{RoleName: aws.String("Gone")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name Gone cannot be found.")
	err = put("trust", trustPolicy)
	wantAPIError[*iamtypes.MalformedPolicyDocumentException](t, err, 400, "MalformedPolicyDocument", "Policy document should not specify a principal.")
	err = put("bad name", readPolicy)
	wantAPIError[*smithy.GenericAPIError](t, err, 400, "ValidationError",
		`1 validation error detected: Value 'bad name' at 'policyName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]+`)
	_, err = e.client.PutRolePolicy(ctx, &awsiam.PutRolePolicyInput{RoleName: aws.String("Gone"), PolicyName: aws.String("p"), PolicyDocument: aws.String(readPolicy)})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name Gone cannot be found.")
}

func TestAttachedPolicies(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateRole(t, "R", "/svc/")
	zed := e.mustCreatePolicy(t, "zed", "/team/")
	alpha := e.mustCreatePolicy(t, "Alpha", "/")
	mid := e.mustCreatePolicy(t, "mid", "/team/")
	attach := func(arn string) error {
		_, err := e.client.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String(arn)})
		return err
	}
	for _, a := range []string{zed, alpha, mid, alpha} { // attaching twice changes nothing
		if err := attach(a); err != nil {
			t.Fatal(err)
		}
	}
	req := e.authz.last(t, "iam:AttachRolePolicy")
	if req.Resource != "arn:aws:iam::123456789012:role/svc/R" || !slices.Equal(req.Context["iam:PolicyARN"], []string{alpha}) {
		t.Errorf("AttachRolePolicy authorized as %+v", req)
	}
	pol, err := e.client.GetPolicy(ctx, &awsiam.GetPolicyInput{PolicyArn: aws.String(alpha)})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(pol.Policy.AttachmentCount) != 1 {
		t.Errorf("AttachmentCount %d after attaching twice, want 1", aws.ToInt32(pol.Policy.AttachmentCount))
	}

	list := func(in *awsiam.ListAttachedRolePoliciesInput) (names []string, pages int) {
		t.Helper()
		p := awsiam.NewListAttachedRolePoliciesPaginator(e.client, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			for _, a := range out.AttachedPolicies {
				names = append(names, aws.ToString(a.PolicyName)+" "+aws.ToString(a.PolicyArn))
			}
		}
		return names, pages
	}
	names, pages := list(&awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String("R"), MaxItems: aws.Int32(2)})
	if want := []string{"Alpha " + alpha, "mid " + mid, "zed " + zed}; !slices.Equal(names, want) || pages != 2 {
		t.Errorf("attached: %v in %d pages, want %v in 2", names, pages, want)
	}
	names, _ = list(&awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String("R"), PathPrefix: aws.String("/team/")})
	if want := []string{"mid " + mid, "zed " + zed}; !slices.Equal(names, want) {
		t.Errorf("attached under /team/: %v, want %v", names, want)
	}

	if _, err := e.client.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String(mid)}); err != nil {
		t.Fatal(err)
	}
	names, _ = list(&awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String("R")})
	if want := []string{"Alpha " + alpha, "zed " + zed}; !slices.Equal(names, want) {
		t.Errorf("after DetachRolePolicy: %v, want %v", names, want)
	}

	// Errors.
	missing := "arn:aws:iam::123456789012:policy/missing"
	err = attach(missing)
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "Policy "+missing+" does not exist or is not attachable.")
	err = attach("arn:aws:iam::aws:policy/ReadOnlyAccess")
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "Policy arn:aws:iam::aws:policy/ReadOnlyAccess does not exist or is not attachable.")
	err = attach("arn:aws:iam::123456789012:policy/team/Alpha") // right name, wrong path
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "Policy arn:aws:iam::123456789012:policy/team/Alpha does not exist or is not attachable.")
	err = attach("arn:aws:iam::123456789012:role/NotAPolicy")
	wantAPIError[*iamtypes.InvalidInputException](t, err, 400, "InvalidInput", "ARN arn:aws:iam::123456789012:role/NotAPolicy is not valid.")
	_, err = e.client.AttachRolePolicy(ctx, &awsiam.AttachRolePolicyInput{RoleName: aws.String("Gone"), PolicyArn: aws.String(alpha)})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name Gone cannot be found.")
	_, err = e.client.DetachRolePolicy(ctx, &awsiam.DetachRolePolicyInput{RoleName: aws.String("R"), PolicyArn: aws.String(mid)})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "Policy "+mid+" was not found.")
	_, err = e.client.ListAttachedRolePolicies(ctx, &awsiam.ListAttachedRolePoliciesInput{RoleName: aws.String("Gone")})
	wantAPIError[*iamtypes.NoSuchEntityException](t, err, 404, "NoSuchEntity", "The role with name Gone cannot be found.")
}
