package policy

import (
	"reflect"
	"strings"
	"testing"
)

// TestResultString pins the one-paragraph explanations operators read.
func TestResultString(t *testing.T) {
	type kv = map[string][]string
	ra := &Principal{Type: PrincipalService, ID: raService}
	tests := []struct {
		name      string
		kind      Kind
		doc       string
		principal *Principal
		action    string
		resource  string
		ctx       kv
		want      string
	}{
		{"allow", TrustPolicy,
			raTrust(`"Sid":"AllowRolesAnywhere","Action":"sts:AssumeRole"`), ra, "sts:AssumeRole", roleARN, nil,
			`allowed: statement 0 ("AllowRolesAnywhere") allows sts:AssumeRole on "arn:aws:iam::123456789012:role/app"`},
		{"explicit deny", IdentityPolicy,
			idDocs(`{"Effect":"Allow","Action":"*","Resource":"*"}`, `{"Sid":"NoDelete","Effect":"Deny","Action":"iam:Delete*","Resource":"*"}`), nil, "iam:DeleteRole", roleARN, nil,
			`explicitly denied: statement 1 ("NoDelete") denies iam:DeleteRole on "arn:aws:iam::123456789012:role/app"`},
		{"source ARN names a profile", TrustPolicy,
			raTrust(`"Sid":"AllowRolesAnywhere","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"ArnEquals":{"aws:SourceArn":"` + profileARN + `"}}`),
			ra, "sts:AssumeRole", "", kv{"aws:SourceArn": {anchorARN}},
			`no statement allows action sts:AssumeRole: statement 0 ("AllowRolesAnywhere"): condition ArnEquals aws:SourceArn: request value "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/abc" does not match policy value "arn:aws:rolesanywhere:us-east-1:123456789012:profile/def"`},
		{"missing SetSourceIdentity", TrustPolicy,
			raTrust(`"Sid":"AllowRolesAnywhere","Action":["sts:AssumeRole","sts:TagSession"]`), ra, "sts:SetSourceIdentity", "", nil,
			`no statement allows action sts:SetSourceIdentity (statement 0 ("AllowRolesAnywhere") lists only sts:AssumeRole, sts:TagSession)`},
		{"missing action, no Sid", TrustPolicy,
			raTrust(`"Action":["sts:AssumeRole","sts:TagSession"]`), ra, "sts:SetSourceIdentity", "", nil,
			`no statement allows action sts:SetSourceIdentity (statement 0 lists only sts:AssumeRole, sts:TagSession)`},
		{"NotAction exclusion", IdentityPolicy,
			idDoc(`"Effect":"Allow","NotAction":["iam:*","sts:*"],"Resource":"*"`), nil, "iam:CreateUser", "", nil,
			`no statement allows action iam:CreateUser (statement 0 excludes it by NotAction iam:*)`},
		{"absent key", TrustPolicy,
			raTrust(`"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalTag/x509Subject/CN":"alice"}}`), ra, "sts:AssumeRole", "", nil,
			`no statement allows action sts:AssumeRole: statement 0: condition StringEquals aws:PrincipalTag/x509Subject/CN: key is absent from the request (policy value "alice")`},
		{"several policy values", TrustPolicy,
			raTrust(`"Action":"sts:AssumeRole","Condition":{"StringLike":{"aws:PrincipalTag/x509SAN/URI":["spiffe://a/*","spiffe://b/*"]}}`), ra, "sts:AssumeRole", "", kv{"aws:PrincipalTag/x509SAN/URI": {"spiffe://c/x"}},
			`no statement allows action sts:AssumeRole: statement 0: condition StringLike aws:PrincipalTag/x509SAN/URI: request value "spiffe://c/x" does not match any of policy values "spiffe://a/*", "spiffe://b/*"`},
		{"negated operator", IdentityPolicy,
			idDoc(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringNotEquals":{"aws:PrincipalTag/team":["red","blue"]}}`), nil, "s3:GetObject", "", kv{"aws:PrincipalTag/team": {"blue"}},
			`no statement allows action s3:GetObject: statement 0: condition StringNotEquals aws:PrincipalTag/team: request value "blue" matches policy value "blue"`},
		{"ForAllValues", IdentityPolicy,
			idDoc(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["env","team"]}}`), nil, "s3:GetObject", "", kv{"aws:TagKeys": {"env", "cost"}},
			`no statement allows action s3:GetObject: statement 0: condition ForAllValues:StringEquals aws:TagKeys: request value "cost" does not match any of policy values "env", "team"`},
		{"ForAnyValue", IdentityPolicy,
			idDoc(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"env"}}`), nil, "s3:GetObject", "", kv{"aws:TagKeys": {"cost", "team"}},
			`no statement allows action s3:GetObject: statement 0: condition ForAnyValue:StringEquals aws:TagKeys: no request value ("cost", "team") matches policy value "env"`},
		{"ForAnyValue absent", IdentityPolicy,
			idDoc(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:TagKeys":"env"}}`), nil, "s3:GetObject", "", nil,
			`no statement allows action s3:GetObject: statement 0: condition ForAnyValue:StringEquals aws:TagKeys: key is absent from the request (ForAnyValue needs at least one value)`},
		{"Null", IdentityPolicy,
			idDoc(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"Null":{"aws:TokenIssueTime":"true"}}`), nil, "s3:GetObject", "", kv{"aws:TokenIssueTime": {"2024-01-01T00:00:00Z"}},
			`no statement allows action s3:GetObject: statement 0: condition Null aws:TokenIssueTime: key is present (request value "2024-01-01T00:00:00Z") but the policy requires it absent`},
		{"variable resolved", IdentityPolicy,
			idDoc(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringLike":{"s3:prefix":"home/${aws:username}/*"}}`), nil, "s3:ListBucket", "", kv{"s3:prefix": {"home/bob/x"}, "aws:username": {"alice"}},
			`no statement allows action s3:ListBucket: statement 0: condition StringLike s3:prefix: request value "home/bob/x" does not match policy value "home/${aws:username}/*" (resolved to "home/alice/*")`},
		{"variable unresolved", IdentityPolicy,
			idDoc(`"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"s3:prefix":"home/${aws:username}"}}`), nil, "s3:ListBucket", "", kv{"s3:prefix": {"home/"}},
			`no statement allows action s3:ListBucket: statement 0: condition StringEquals s3:prefix: request value "home/" does not match policy value "home/${aws:username}" (policy variable ${aws:username} has no single value in the request)`},
		{"principal", TrustPolicy,
			raTrust(`"Action":"sts:AssumeRole"`), &Principal{Type: PrincipalService, ID: "ec2.amazonaws.com"}, "sts:AssumeRole", "", nil,
			`no statement allows action sts:AssumeRole: statement 0: principal Service "ec2.amazonaws.com" is not in Principal Service "rolesanywhere.amazonaws.com"`},
		{"no principal", TrustPolicy,
			raTrust(`"Action":"sts:AssumeRole"`), nil, "sts:AssumeRole", "", nil,
			`no statement allows action sts:AssumeRole: statement 0: the request has no principal; Principal lists Service "rolesanywhere.amazonaws.com"`},
		{"NotPrincipal", TrustPolicy,
			trustDoc(`"NotPrincipal":{"AWS":"` + roleARN + `"},"Action":"sts:AssumeRole"`), &Principal{Type: PrincipalAWS, ID: roleARN}, "sts:AssumeRole", "", nil,
			`no statement allows action sts:AssumeRole: statement 0: principal AWS "arn:aws:iam::123456789012:role/app" is excluded by NotPrincipal AWS "arn:aws:iam::123456789012:role/app"`},
		{"resource", IdentityPolicy,
			idDoc(`"Effect":"Allow","Action":"iam:GetRole","Resource":["arn:aws:iam::123456789012:role/a","arn:aws:iam::123456789012:role/b*"]`), nil, "iam:GetRole", roleARN, nil,
			`no statement allows action iam:GetRole on "arn:aws:iam::123456789012:role/app": statement 0: resource "arn:aws:iam::123456789012:role/app" does not match Resource "arn:aws:iam::123456789012:role/a", "arn:aws:iam::123456789012:role/b*"`},
		{"NotResource", IdentityPolicy,
			idDoc(`"Effect":"Allow","Action":"iam:GetRole","NotResource":"arn:aws:iam::123456789012:role/*"`), nil, "iam:GetRole", roleARN, nil,
			`no statement allows action iam:GetRole on "arn:aws:iam::123456789012:role/app": statement 0: resource "arn:aws:iam::123456789012:role/app" is excluded by NotResource "arn:aws:iam::123456789012:role/*"`},
		{"mixed statements", IdentityPolicy,
			idDocs(`{"Sid":"Put","Effect":"Allow","Action":"s3:PutObject","Resource":"*"}`, `{"Sid":"Tagged","Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}}`, `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`),
			nil, "s3:GetObject", "", kv{"aws:PrincipalTag/team": {"blue"}},
			`no statement allows action s3:GetObject: statement 0 ("Put"): action s3:GetObject is not listed (Action lists only s3:PutObject); statement 1 ("Tagged"): condition StringEquals aws:PrincipalTag/team: request value "blue" does not match policy value "red"`},
		{"only deny statements", IdentityPolicy,
			idDoc(`"Effect":"Deny","Action":"s3:DeleteObject","Resource":"*"`), nil, "s3:GetObject", "", nil,
			`no statement allows action s3:GetObject: every statement is a Deny statement`},
		{"no statements", IdentityPolicy,
			`{"Version":"2012-10-17","Statement":[]}`, nil, "s3:GetObject", "", nil,
			`no statement allows action s3:GetObject: there are no statements`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.doc, tt.kind)
			res := p.Evaluate(&Request{Principal: tt.principal, Action: tt.action, Resource: tt.resource, Context: ctx(tt.ctx)})
			if got := res.String(); got != tt.want {
				t.Errorf("String() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestMissData checks the structured fields a caller builds hints from.
func TestMissData(t *testing.T) {
	p := mustParse(t, raTrust(`"Sid":"AllowRolesAnywhere","Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"ArnEquals":{"aws:SourceArn":"`+profileARN+`"}}`), TrustPolicy)
	res := p.Evaluate(&Request{
		Principal: &Principal{Type: PrincipalService, ID: raService},
		Action:    "sts:AssumeRole",
		Context:   NewContext(map[string][]string{"aws:SourceArn": {anchorARN}}),
	})
	want := Miss{
		Statement: StatementRef{Index: 0, Sid: "AllowRolesAnywhere"},
		Effect:    EffectAllow,
		Element:   ElementCondition,
		Condition: &ConditionMiss{
			Operator:      "ArnEquals",
			Key:           "aws:SourceArn",
			PolicyValues:  []string{profileARN},
			RequestValues: []string{anchorARN},
			Value:         anchorARN,
		},
	}
	if len(res.Misses) != 1 {
		t.Fatalf("misses = %v", res.Misses)
	}
	got := res.Misses[0]
	if !reflect.DeepEqual(got, want) {
		t.Errorf("miss = %+v %+v\nwant %+v %+v", got, got.Condition, want, want.Condition)
	}
	// The hint CreateSession derives: a source-ARN condition naming a profile.
	if c := got.Condition; !strings.EqualFold(c.Key, "aws:SourceArn") || !strings.Contains(c.PolicyValues[0], ":profile/") {
		t.Errorf("hint data missing: %+v", c)
	}
}

func TestStatementRefString(t *testing.T) {
	tests := []struct {
		name string
		ref  StatementRef
		want string
	}{
		{"plain", StatementRef{Index: 2}, "statement 2"},
		{"sid", StatementRef{Index: 0, Sid: "A"}, `statement 0 ("A")`},
		{"named policy", StatementRef{PolicyName: "role/app inline S3", Index: 1}, `policy "role/app inline S3" statement 1`},
		{"several policies", StatementRef{Policy: 3, Index: 0, Sid: "B", multi: true}, `policy 3 statement 0 ("B")`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ref.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}
