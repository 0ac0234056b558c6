package policy_test

import (
	"fmt"

	"github.com/roam-dev/roam/internal/policy"
)

// A role trust policy as CreateSession evaluates it: the principal is the
// Roles Anywhere service and the context carries the trust anchor and the
// certificate's attributes.
func ExamplePolicy_Evaluate() {
	trust, err := policy.ParseString(`{
	  "Version": "2012-10-17",
	  "Statement": [{
	    "Sid": "AllowRolesAnywhere",
	    "Effect": "Allow",
	    "Principal": {"Service": "rolesanywhere.amazonaws.com"},
	    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
	    "Condition": {
	      "ArnEquals": {"aws:SourceArn": "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/abc"},
	      "StringEquals": {"aws:PrincipalTag/x509Subject/CN": "workload-1"}
	    }
	  }]
	}`, policy.TrustPolicy)
	if err != nil {
		fmt.Println(err)
		return
	}
	req := &policy.Request{
		Principal: &policy.Principal{Type: policy.PrincipalService, ID: "rolesanywhere.amazonaws.com"},
		Action:    "sts:AssumeRole",
		Resource:  "arn:aws:iam::123456789012:role/app",
	}
	req.Context.Set("aws:SourceArn", "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/abc")
	req.Context.Set("aws:PrincipalTag/x509Subject/CN", "workload-2")

	res := trust.Evaluate(req)
	fmt.Println(res.Decision)
	fmt.Println(res)
	// Output:
	// implicit deny
	// no statement allows action sts:AssumeRole on "arn:aws:iam::123456789012:role/app": statement 0 ("AllowRolesAnywhere"): condition StringEquals aws:PrincipalTag/x509Subject/CN: request value "workload-2" does not match policy value "workload-1"
}

func ExampleParse() {
	_, err := policy.Parse([]byte(`{
	  "Version": "2012-10-17",
	  "Statement": {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}
	}`), policy.IdentityPolicy)
	fmt.Println(err)
	// Output:
	// Policy document should not specify a principal. (Statement[0]: identity policies apply to the principal they are attached to)
}
