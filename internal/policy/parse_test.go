package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseErrors(t *testing.T) {
	const (
		id    = IdentityPolicy
		trust = TrustPolicy
	)
	// stmt wraps statement members in a 2012-10-17 document.
	stmt := func(members string) string {
		return `{"Version":"2012-10-17","Statement":[{` + members + `}]}`
	}
	const allowAll = `"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`
	const trustBase = `"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":"sts:AssumeRole"`
	cond := func(c string) string { return stmt(allowAll + `,"Condition":` + c) }

	tests := []struct {
		name       string
		kind       Kind
		doc        string
		wantMsg    string
		wantDetail string // substring of Error()
	}{
		{"json/invalid", id, `{"Version":`, msgSyntax, "invalid JSON"},
		{"json/empty", id, ``, msgSyntax, "invalid JSON"},
		{"json/not an object", id, `[]`, msgSyntax, "want an object"},
		{"json/trailing data", id, stmt(allowAll) + `{}`, msgSyntax, "unexpected data after the document"},
		{"json/duplicate key", id, cond(`{"StringEquals":{"aws:username":"a"},"StringEquals":{"aws:username":"b"}}`), msgSyntax, `duplicate key "StringEquals"`},
		{"json/too deep", id, cond(`{"StringEquals":{"aws:username":[[[[[[[[["a"]]]]]]]]]}}`), msgSyntax, "nested too deeply"},
		{"top/unknown element", id, `{"Version":"2012-10-17","Statements":[]}`, msgSyntax, `unknown element "Statements"`},
		{"top/missing Statement", id, `{"Version":"2012-10-17"}`, msgSyntax, "missing Statement"},
		{"top/Statement is a string", id, `{"Statement":"x"}`, msgSyntax, "Statement: is a string"},
		{"top/Statement element not object", id, `{"Statement":["x"]}`, msgSyntax, "Statement[0]: is a string"},
		{"top/Id not a string", id, `{"Id":1,"Statement":[]}`, msgSyntax, "Id: is a number"},
		{"version/unknown", id, `{"Version":"2012-10-18","Statement":[]}`, msgVersion, `unsupported version "2012-10-18"`},
		{"version/not a string", id, `{"Version":2012,"Statement":[]}`, msgSyntax, "Version: is a number"},
		{"statement/unknown element", id, stmt(allowAll + `,"Actions":"s3:*"`), msgSyntax, `unknown element "Actions"`},
		{"statement/lower-case element", id, stmt(`"effect":"Allow","Action":"s3:*","Resource":"*"`), msgSyntax, `unknown element "effect"`},
		{"effect/missing", id, stmt(`"Action":"s3:*","Resource":"*"`), msgSyntax, "missing Effect"},
		{"effect/lower-case", id, stmt(`"Effect":"allow","Action":"s3:*","Resource":"*"`), msgSyntax, `must be "Allow" or "Deny"`},
		{"effect/not a string", id, stmt(`"Effect":true,"Action":"s3:*","Resource":"*"`), msgSyntax, `must be "Allow" or "Deny"`},
		{"sid/not a string", id, stmt(`"Sid":1,` + allowAll), msgSyntax, "Sid: is a number"},
		{"sid/duplicate", id, `{"Version":"2012-10-17","Statement":[{"Sid":"A",` + allowAll + `},{"Sid":"A",` + allowAll + `}]}`, msgDuplicateSid, `Sid "A" is used twice`},
		{"sid/not alphanumeric in identity policy", id, stmt(`"Sid":"my sid",` + allowAll), msgSidChars, `"my sid"`},
		{"action/missing", id, stmt(`"Effect":"Allow","Resource":"*"`), msgNoActions, "at least one action"},
		{"action/empty list", id, stmt(`"Effect":"Allow","Action":[],"Resource":"*"`), msgNoActions, "at least one action"},
		{"action/both Action and NotAction", id, stmt(allowAll + `,"NotAction":"s3:PutObject"`), msgSyntax, "both Action and NotAction"},
		{"action/no vendor", id, stmt(`"Effect":"Allow","Action":"GetObject","Resource":"*"`), msgVendor, `action "GetObject" has no service prefix`},
		{"action/empty vendor", id, stmt(`"Effect":"Allow","NotAction":":GetObject","Resource":"*"`), msgVendor, "NotAction"},
		{"action/not a string", id, stmt(`"Effect":"Allow","Action":["s3:*",7],"Resource":"*"`), msgSyntax, "element 1 is a number"},
		{"action/object", id, stmt(`"Effect":"Allow","Action":{},"Resource":"*"`), msgSyntax, "want a string or an array of strings"},
		{"resource/missing in identity policy", id, stmt(`"Effect":"Allow","Action":"s3:*"`), msgNoResources, "at least one resource"},
		{"resource/empty list", id, stmt(`"Effect":"Allow","Action":"s3:*","Resource":[]`), msgNoResources, "at least one resource"},
		{"resource/both", id, stmt(allowAll + `,"NotResource":"*"`), msgSyntax, "both Resource and NotResource"},
		{"resource/not an ARN", id, stmt(`"Effect":"Allow","Action":"s3:*","Resource":"bucket"`), `Resource bucket must be in ARN format or "*".`, ""},
		{"resource/empty list in trust policy", trust, stmt(trustBase + `,"Resource":[]`), "Has prohibited field Resource", ""},
		{"resource/named in trust policy", trust, stmt(trustBase + `,"Resource":"arn:aws:iam::123456789012:role/app"`), "Has prohibited field Resource", ""},
		{"resource/NotResource in trust policy", trust, stmt(trustBase + `,"NotResource":"*"`), "Has prohibited field NotResource", ""},
		{"resource/unterminated variable", id, stmt(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username"`), msgSyntax, "unterminated policy variable"},
		{"principal/in identity policy", id, stmt(allowAll + `,"Principal":"*"`), msgPrincipalProhibited, ""},
		{"principal/NotPrincipal in identity policy", id, stmt(allowAll + `,"NotPrincipal":{"AWS":"123456789012"}`), msgPrincipalProhibited, ""},
		{"principal/missing in trust policy", trust, stmt(`"Effect":"Allow","Action":"sts:AssumeRole"`), msgPrincipalRequired, ""},
		{"principal/both", trust, stmt(trustBase + `,"NotPrincipal":{"AWS":"123456789012"}`), msgSyntax, "both Principal and NotPrincipal"},
		{"principal/string other than star", trust, stmt(`"Effect":"Allow","Principal":"arn:aws:iam::123456789012:root","Action":"sts:AssumeRole"`), msgInvalidPrincipalPart + `"arn:aws:iam::123456789012:root"`, ""},
		{"principal/unknown type", trust, stmt(`"Effect":"Allow","Principal":{"User":"alice"},"Action":"sts:AssumeRole"`), msgInvalidPrincipalPart + `"User"`, ""},
		{"principal/empty object", trust, stmt(`"Effect":"Allow","Principal":{},"Action":"sts:AssumeRole"`), msgInvalidPrincipalPart + `{}`, ""},
		{"principal/bad AWS value", trust, stmt(`"Effect":"Allow","Principal":{"AWS":"alice"},"Action":"sts:AssumeRole"`), msgInvalidPrincipalPart + `"AWS":"alice"`, ""},
		{"principal/partial wildcard", trust, stmt(`"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/*"},"Action":"sts:AssumeRole"`), msgInvalidPrincipalPart + `"AWS":"arn:aws:iam::123456789012:role/*"`, ""},
		{"principal/wildcard service", trust, stmt(`"Effect":"Allow","Principal":{"Service":"*.amazonaws.com"},"Action":"sts:AssumeRole"`), msgInvalidPrincipalPart + `"Service":"*.amazonaws.com"`, ""},
		{"principal/empty list", trust, stmt(`"Effect":"Allow","Principal":{"AWS":[]},"Action":"sts:AssumeRole"`), msgInvalidPrincipalPart + `"AWS":[]`, ""},
		{"principal/number", trust, stmt(`"Effect":"Allow","Principal":5,"Action":"sts:AssumeRole"`), msgSyntax, `want "*" or an object`},
		{"condition/not an object", id, cond(`[]`), msgSyntax, "Condition: is an array"},
		{"condition/unknown operator", id, cond(`{"StringEqualz":{"aws:username":"a"}}`), msgSyntax, `unknown condition operator "StringEqualz"`},
		{"condition/operator case matters", id, cond(`{"stringequals":{"aws:username":"a"}}`), msgSyntax, `unknown condition operator "stringequals"`},
		{"condition/unknown qualifier", id, cond(`{"ForSomeValues:StringEquals":{"aws:username":"a"}}`), msgSyntax, "unknown condition operator"},
		{"condition/bare IfExists", id, cond(`{"IfExists":{"aws:username":"a"}}`), msgSyntax, "unknown condition operator"},
		{"condition/NullIfExists", id, cond(`{"NullIfExists":{"aws:username":"true"}}`), msgSyntax, "Null takes neither IfExists"},
		{"condition/ForAllValues:Null", id, cond(`{"ForAllValues:Null":{"aws:username":"true"}}`), msgSyntax, "Null takes neither IfExists"},
		{"condition/operator value not object", id, cond(`{"StringEquals":"a"}`), msgSyntax, "want an object of condition keys"},
		{"condition/key without vendor", id, cond(`{"StringEquals":{"username":"a"}}`), msgVendor, `condition key "username"`},
		{"condition/value object", id, cond(`{"StringEquals":{"aws:username":{"a":"b"}}}`), msgSyntax, "is an object"},
		{"condition/value null", id, cond(`{"StringEquals":{"aws:username":null}}`), msgSyntax, "is null"},
		{"condition/array with null", id, cond(`{"StringEquals":{"aws:username":["a",null]}}`), msgSyntax, "element 1 is null"},
		{"condition/NumericEquals not a number", id, cond(`{"NumericEquals":{"s3:max-keys":"ten"}}`), msgSyntax, `value "ten" is not a number`},
		{"condition/NumericEquals Inf", id, cond(`{"NumericEquals":{"s3:max-keys":"Inf"}}`), msgSyntax, `value "Inf" is not a number`},
		{"condition/NumericEquals variable", id, cond(`{"NumericEquals":{"s3:max-keys":"${aws:x}"}}`), msgSyntax, "is not a number"},
		{"condition/DateEquals not a date", id, cond(`{"DateEquals":{"aws:CurrentTime":"yesterday"}}`), msgSyntax, "is not an ISO 8601 date"},
		{"condition/IpAddress invalid", id, cond(`{"IpAddress":{"aws:SourceIp":"300.1.1.0/24"}}`), msgSyntax, "is not an IP address or CIDR block"},
		{"condition/BinaryEquals invalid", id, cond(`{"BinaryEquals":{"aws:Binary":"!!"}}`), msgSyntax, "is not base64"},
		{"condition/Bool not a boolean", id, cond(`{"Bool":{"aws:SecureTransport":"yes"}}`), msgSyntax, `value "yes" is not a boolean`},
		{"condition/Null not a boolean", id, cond(`{"Null":{"aws:TokenIssueTime":"maybe"}}`), msgSyntax, `value "maybe" is not a boolean`},
		{"variable/unterminated", id, cond(`{"StringEquals":{"aws:username":"${aws:username"}}`), msgSyntax, "unterminated policy variable"},
		{"variable/empty", id, cond(`{"StringEquals":{"aws:username":"${}"}}`), msgSyntax, "empty policy variable"},
		{"variable/unquoted default", id, cond(`{"StringEquals":{"aws:username":"${aws:username, none}"}}`), msgSyntax, "default value must be in single quotes"},
		{"variable/unterminated default", id, cond(`{"StringEquals":{"aws:username":"${aws:username, 'none}"}}`), msgSyntax, "unterminated default value"},
		{"variable/junk after default", id, cond(`{"StringEquals":{"aws:username":"${aws:username, 'a' b}"}}`), msgSyntax, "expected '}' after the default value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseString(tt.doc, tt.kind)
			if err == nil {
				t.Fatalf("Parse succeeded (%d statements), want error %q", len(p.Statements), tt.wantMsg)
			}
			var me *MalformedError
			if !errors.As(err, &me) {
				t.Fatalf("error %v (%T) is not a *MalformedError", err, err)
			}
			if me.Message != tt.wantMsg {
				t.Errorf("Message = %q, want %q (error: %v)", me.Message, tt.wantMsg, err)
			}
			if !strings.Contains(err.Error(), tt.wantDetail) {
				t.Errorf("Error() = %q, want it to contain %q", err.Error(), tt.wantDetail)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct {
		name  string
		kind  Kind
		doc   string
		check func(t *testing.T, p *Policy)
	}{
		{"statement as an object", IdentityPolicy,
			`{"Version":"2012-10-17","Id":"doc1","Statement":{"Sid":"A1","Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}}`,
			func(t *testing.T, p *Policy) {
				want := []Statement{{Sid: "A1", Effect: EffectAllow, Action: []string{"s3:GetObject"}, Resource: []string{"arn:aws:s3:::b/*"}}}
				if p.Version != Version2012 || p.ID != "doc1" || len(p.Statements) != 1 {
					t.Fatalf("got version %q id %q %d statements", p.Version, p.ID, len(p.Statements))
				}
				assertStatement(t, p.Statements[0], want[0])
			}},
		{"no Version", IdentityPolicy, `{"Statement":[{"Effect":"Deny","NotAction":["iam:*","sts:*"],"NotResource":"arn:aws:iam::*:role/x"}]}`,
			func(t *testing.T, p *Policy) {
				if p.Version != "" {
					t.Errorf("Version = %q, want empty", p.Version)
				}
				assertStatement(t, p.Statements[0], Statement{Effect: EffectDeny, NotAction: []string{"iam:*", "sts:*"}, NotResource: []string{"arn:aws:iam::*:role/x"}})
			}},
		{"2008 version with literal ${", IdentityPolicy, `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username"}]}`,
			func(t *testing.T, p *Policy) {
				if p.Version != Version2008 {
					t.Errorf("Version = %q", p.Version)
				}
			}},
		{"empty statement list", IdentityPolicy, `{"Version":"2012-10-17","Statement":[]}`,
			func(t *testing.T, p *Policy) {
				if len(p.Statements) != 0 {
					t.Errorf("got %d statements", len(p.Statements))
				}
			}},
		{"trust policy principal forms", TrustPolicy,
			`{"Version":"2012-10-17","Statement":[
				{"Sid":"Roles Anywhere (spaces allowed in trust policies)","Effect":"Allow","Principal":{"Service":["rolesanywhere.amazonaws.com"]},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]},
				{"Effect":"Allow","Principal":{"AWS":["123456789012","arn:aws:iam::123456789012:role/x","AROAEXAMPLEID1234567"],"Federated":"cognito-identity.amazonaws.com","CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"sts:AssumeRole"},
				{"Effect":"Deny","NotPrincipal":"*","Action":"sts:AssumeRole"}]}`,
			func(t *testing.T, p *Policy) {
				got := p.Statements[1].Principal.ByType
				want := map[string][]string{
					PrincipalAWS:           {"123456789012", "arn:aws:iam::123456789012:role/x", "AROAEXAMPLEID1234567"},
					PrincipalFederated:     {"cognito-identity.amazonaws.com"},
					PrincipalCanonicalUser: {"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("ByType = %v, want %v", got, want)
				}
				if !p.Statements[2].NotPrincipal.Wildcard {
					t.Errorf("NotPrincipal \"*\" not parsed as wildcard")
				}
			}},
		{"conditions flattened in document order", IdentityPolicy,
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{
				"StringEquals":{"aws:PrincipalTag/b":"x","aws:PrincipalTag/a":["y","z"]},
				"NumericLessThan":{"s3:max-keys":10},
				"Bool":{"aws:SecureTransport":true},
				"StringLike":{"s3:prefix":[]}}}]}`,
			func(t *testing.T, p *Policy) {
				got := make([]Condition, len(p.Statements[0].Conditions))
				for i, c := range p.Statements[0].Conditions {
					got[i] = Condition{Operator: c.Operator, Key: c.Key, Values: c.Values}
				}
				want := []Condition{
					{Operator: "StringEquals", Key: "aws:PrincipalTag/b", Values: []string{"x"}},
					{Operator: "StringEquals", Key: "aws:PrincipalTag/a", Values: []string{"y", "z"}},
					{Operator: "NumericLessThan", Key: "s3:max-keys", Values: []string{"10"}},
					{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"true"}},
					{Operator: "StringLike", Key: "s3:prefix", Values: []string{}},
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("conditions = %+v\nwant %+v", got, want)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.doc, tt.kind)
			if p.Kind != tt.kind {
				t.Errorf("Kind = %v, want %v", p.Kind, tt.kind)
			}
			for i, st := range p.Statements {
				if st.Index != i {
					t.Errorf("statement %d has Index %d", i, st.Index)
				}
			}
			tt.check(t, p)
		})
	}
}

func assertStatement(t *testing.T, got, want Statement) {
	t.Helper()
	if got.Sid != want.Sid || got.Effect != want.Effect ||
		!reflect.DeepEqual(got.Action, want.Action) || !reflect.DeepEqual(got.NotAction, want.NotAction) ||
		!reflect.DeepEqual(got.Resource, want.Resource) || !reflect.DeepEqual(got.NotResource, want.NotResource) {
		t.Errorf("statement = {Sid:%q Effect:%q Action:%v NotAction:%v Resource:%v NotResource:%v}\nwant %+v",
			got.Sid, got.Effect, got.Action, got.NotAction, got.Resource, got.NotResource, want)
	}
}

func TestMalformedErrorFormat(t *testing.T) {
	tests := []struct {
		name string
		err  *MalformedError
		want string
	}{
		{"message only", &MalformedError{Message: msgSyntax}, "Syntax errors in policy."},
		{"detail without path", &MalformedError{Message: msgSyntax, Detail: "invalid JSON: x"}, "Syntax errors in policy. (invalid JSON: x)"},
		{"path and detail", &MalformedError{Message: msgSyntax, Path: "Statement[0]", Detail: "missing Effect"}, "Syntax errors in policy. (Statement[0]: missing Effect)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.err.Error(); got != tt.want {
				t.Errorf("Error() = %q, want %q", got, tt.want)
			}
		})
	}
}
