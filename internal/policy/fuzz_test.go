package policy

import (
	"errors"
	"testing"
)

// fuzzSeeds are documents that exercise every part of the grammar.
var fuzzSeeds = []string{
	`{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}`,
	`{"Version":"2012-10-17","Statement":[{"Sid":"AllowRolesAnywhere","Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/abc"},"StringEquals":{"aws:PrincipalTag/x509Subject/CN":"alice"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:role/x"]},"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:PrincipalTag/x509SAN/URI":"spiffe://example.org/*"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","NotAction":"iam:*","NotResource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["a","b"]},"NumericLessThanIfExists":{"s3:max-keys":10}}}]}`,
	`{"Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":["10.0.0.0/8","2001:db8::/32"]},"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"},"Bool":{"aws:SecureTransport":true},"Null":{"aws:TokenIssueTime":"false"},"BinaryEquals":{"aws:Binary":"QQ=="}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"${aws:PrincipalTag/team, 'o''neil'}${*}${?}${$}"}}}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotPrincipal":"*","Action":"sts:*"}]}`,
	`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:ArnNotLikeIfExists":{"aws:SourceArn":"*"}}}]}`,
	`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:x":["${aws:y"]}}}]}`,
	`[1,2`,
	`{"Statement":[]}`,
}

// FuzzParse checks that Parse never panics, that its errors are
// MalformedErrors, and that whatever it accepts can be evaluated and
// explained.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, doc []byte, trust bool) {
		kind := IdentityPolicy
		if trust {
			kind = TrustPolicy
		}
		p, err := Parse(doc, kind)
		if err != nil {
			var me *MalformedError
			if !errors.As(err, &me) || me.Message == "" {
				t.Fatalf("error %v (%T) is not a MalformedError with a message", err, err)
			}
			_ = err.Error()
			return
		}
		req := &Request{
			Principal: &Principal{Type: PrincipalService, ID: "rolesanywhere.amazonaws.com"},
			Action:    "sts:AssumeRole",
			Resource:  "arn:aws:iam::123456789012:role/app",
			Context: NewContext(map[string][]string{
				"aws:SourceArn": {"arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/abc"},
				"aws:username":  {"alice"},
				"aws:TagKeys":   {"a", "b"},
			}),
		}
		res := p.Evaluate(req)
		_ = res.String()
		if res.Decision == ImplicitDeny && len(res.Misses) != len(p.Statements) {
			t.Fatalf("%d misses for %d statements", len(res.Misses), len(p.Statements))
		}
	})
}

// FuzzEvaluate fuzzes the request side (and the policy) together; the
// decision must be consistent with the explanation.
func FuzzEvaluate(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add(s, "sts:AssumeRole", "arn:aws:iam::123456789012:role/app", "aws:SourceArn", "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/abc", i%2 == 0)
	}
	f.Add(fuzzSeeds[0], "S3:GETOBJECT", "", "aws:username", "${aws:username}", false)
	f.Add(fuzzSeeds[4], "ec2:RunInstances", "*", "aws:SourceIp", "::ffff:10.1.2.3", false)
	f.Add(fuzzSeeds[5], "s3:GetObject", "arn:aws:s3:::b/k", "aws:ResourceTag/team", "o'neil*?$", true)
	f.Fuzz(func(t *testing.T, doc, action, resource, key, value string, trust bool) {
		kind := IdentityPolicy
		if trust {
			kind = TrustPolicy
		}
		p, err := ParseString(doc, kind)
		if err != nil {
			return
		}
		var c Context
		c.Set(key, value)
		c.Add("aws:CurrentTime", value)
		c.Add("aws:TagKeys", value, key)
		req := &Request{
			Principal: &Principal{Type: PrincipalAWS, ID: value, Aliases: []string{resource}},
			Action:    action,
			Resource:  resource,
			Context:   c,
		}
		res := EvaluateAll([]*Policy{p, nil, p}, req)
		s := res.String()
		switch res.Decision {
		case ImplicitDeny:
			if len(res.Misses) != 2*len(p.Statements) {
				t.Fatalf("%d misses for 2×%d statements: %s", len(res.Misses), len(p.Statements), s)
			}
			for _, m := range res.Misses {
				if m.Element == 0 {
					t.Fatalf("implicit deny with a statement that matched: %s", s)
				}
			}
		case Allow, ExplicitDeny:
			if res.Misses != nil {
				t.Fatalf("%v with misses", res.Decision)
			}
		}
		if one := p.Evaluate(req); one.Decision != res.Decision {
			t.Fatalf("policy alone decides %v, twice decides %v", one.Decision, res.Decision)
		}
	})
}
