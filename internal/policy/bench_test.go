package policy

import "testing"

// benchTrustPolicy is a typical Roles Anywhere trust policy.
const benchTrustPolicy = `{
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
}`

func benchTrustRequest(action, cn string) *Request {
	var c Context
	c.Set("aws:SourceArn", anchorARN)
	c.Set("aws:SourceAccount", testAccount)
	c.Set("aws:PrincipalTag/x509Subject/CN", cn)
	c.Set("aws:PrincipalTag/x509Subject/OU", "Engineering")
	c.Set("aws:PrincipalTag/x509Issuer/CN", "Example Issuing CA")
	c.Set("sts:SourceIdentity", "CN="+cn)
	return &Request{
		Principal: &Principal{Type: PrincipalService, ID: raService},
		Action:    action,
		Resource:  roleARN,
		Context:   c,
	}
}

// BenchmarkEvaluateTrustPolicy is CreateSession's hot path: one trust
// policy, evaluated for each of the three actions, all allowed.
func BenchmarkEvaluateTrustPolicy(b *testing.B) {
	p := mustParse(b, benchTrustPolicy, TrustPolicy)
	reqs := []*Request{
		benchTrustRequest("sts:AssumeRole", "workload-1"),
		benchTrustRequest("sts:TagSession", "workload-1"),
		benchTrustRequest("sts:SetSourceIdentity", "workload-1"),
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if res := p.Evaluate(reqs[i%3]); res.Decision != Allow {
			b.Fatal(res)
		}
	}
}

// BenchmarkEvaluateTrustPolicyDenied measures the denial path, which also
// builds the explanation.
func BenchmarkEvaluateTrustPolicyDenied(b *testing.B) {
	p := mustParse(b, benchTrustPolicy, TrustPolicy)
	req := benchTrustRequest("sts:AssumeRole", "workload-2")
	b.ReportAllocs()
	for b.Loop() {
		if res := p.Evaluate(req); res.Decision != ImplicitDeny {
			b.Fatal(res)
		}
	}
}

// BenchmarkEvaluateIdentityPolicies evaluates a control-plane call against
// a handful of identity policies, one with a policy variable.
func BenchmarkEvaluateIdentityPolicies(b *testing.B) {
	ps := []*Policy{
		mustParse(b, idDoc(`"Effect":"Allow","Action":["rolesanywhere:List*","rolesanywhere:Get*"],"Resource":"*"`), IdentityPolicy),
		mustParse(b, idDoc(`"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::123456789012:user/${aws:username}"`), IdentityPolicy),
		mustParse(b, idDoc(`"Effect":"Deny","Action":"rolesanywhere:Delete*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":"platform"}}`), IdentityPolicy),
	}
	var c Context
	c.Set("aws:username", "alice")
	c.Set("aws:PrincipalTag/team", "platform")
	req := &Request{Action: "rolesanywhere:GetProfile", Resource: profileARN, Context: c}
	b.ReportAllocs()
	for b.Loop() {
		if res := EvaluateAll(ps, req); res.Decision != Allow {
			b.Fatal(res)
		}
	}
}

func BenchmarkParseTrustPolicy(b *testing.B) {
	doc := []byte(benchTrustPolicy)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(doc, TrustPolicy); err != nil {
			b.Fatal(err)
		}
	}
}
