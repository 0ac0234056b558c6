package policy

import (
	"strings"
	"testing"
	"time"
)

// TestEvaluateStatements covers the Effect, Action/NotAction,
// Resource/NotResource and Principal/NotPrincipal elements, and the
// combination rules within one policy.
func TestEvaluateStatements(t *testing.T) {
	type kv = map[string][]string
	raPrincipal := &Principal{Type: PrincipalService, ID: raService}
	tests := []struct {
		name       string
		kind       Kind
		doc        string
		principal  *Principal
		action     string
		resource   string
		ctx        kv
		want       Decision
		wantStmt   int       // Allow, ExplicitDeny
		wantMisses []Element // ImplicitDeny: one per statement
	}{
		// Actions.
		{name: "action/exact", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`),
			action: "s3:GetObject", want: Allow},
		{name: "action/case-insensitive", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"STS:assumerole","Resource":"*"`),
			action: "sts:AssumeRole", want: Allow},
		{name: "action/request case-insensitive", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"`),
			action: "STS:ASSUMEROLE", want: Allow},
		{name: "action/service wildcard", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"rolesanywhere:*","Resource":"*"`),
			action: "rolesanywhere:ListTrustAnchors", want: Allow},
		{name: "action/prefix wildcard", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"rolesanywhere:List*","Resource":"*"`),
			action: "rolesanywhere:listProfiles", want: Allow},
		{name: "action/infix wildcard", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"*"`),
			action: "iam:CreateAccessKey", want: Allow},
		{name: "action/question mark", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"s3:Get?bject","Resource":"*"`),
			action: "s3:GetObject", want: Allow},
		{name: "action/star", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"*","Resource":"*"`),
			action: "iam:DeleteRole", want: Allow},
		{name: "action/other service", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"rolesanywhere:*","Resource":"*"`),
			action: "iam:ListRoles", want: ImplicitDeny, wantMisses: []Element{ElementAction}},
		{name: "action/prefix mismatch", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"rolesanywhere:List*","Resource":"*"`),
			action: "rolesanywhere:DeleteProfile", want: ImplicitDeny, wantMisses: []Element{ElementAction}},
		{name: "action/list ORed", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":["iam:GetRole","iam:ListRoles"],"Resource":"*"`),
			action: "iam:ListRoles", want: Allow},
		{name: "NotAction/other action allowed", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","NotAction":"iam:*","Resource":"*"`),
			action: "s3:GetObject", want: Allow},
		{name: "NotAction/excluded action", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","NotAction":"iam:*","Resource":"*"`),
			action: "iam:CreateUser", want: ImplicitDeny, wantMisses: []Element{ElementAction}},
		{name: "NotAction/deny everything but", kind: IdentityPolicy, doc: idDocs(`{"Effect":"Allow","Action":"*","Resource":"*"}`, `{"Effect":"Deny","NotAction":["sts:GetCallerIdentity"],"Resource":"*"}`),
			action: "iam:ListRoles", want: ExplicitDeny, wantStmt: 1},
		{name: "NotAction/deny everything but, excepted", kind: IdentityPolicy, doc: idDocs(`{"Effect":"Allow","Action":"*","Resource":"*"}`, `{"Effect":"Deny","NotAction":["sts:GetCallerIdentity"],"Resource":"*"}`),
			action: "sts:GetCallerIdentity", want: Allow, wantStmt: 0},

		// Resources.
		{name: "resource/exact", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"iam:GetRole","Resource":"` + roleARN + `"`),
			action: "iam:GetRole", resource: roleARN, want: Allow},
		{name: "resource/case-sensitive", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/App"`),
			action: "iam:GetRole", resource: roleARN, want: ImplicitDeny, wantMisses: []Element{ElementResource}},
		{name: "resource/wildcard", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/*"`),
			action: "iam:GetRole", resource: roleARN, want: Allow},
		{name: "resource/question mark", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/ap?"`),
			action: "iam:GetRole", resource: roleARN, want: Allow},
		{name: "resource/other account", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::123456789012:role/*"`),
			action: "iam:GetRole", resource: otherAcctRole, want: ImplicitDeny, wantMisses: []Element{ElementResource}},
		{name: "resource/star matches no resource", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"*"`),
			action: "sts:GetCallerIdentity", resource: "", want: Allow},
		{name: "resource/ARN needs a resource", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"sts:GetCallerIdentity","Resource":"arn:aws:iam::*"`),
			action: "sts:GetCallerIdentity", resource: "", want: ImplicitDeny, wantMisses: []Element{ElementResource}},
		{name: "NotResource/outside list", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"iam:*","NotResource":"arn:aws:iam::123456789012:role/admin*"`),
			action: "iam:GetRole", resource: roleARN, want: Allow},
		{name: "NotResource/excluded", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"iam:*","NotResource":"arn:aws:iam::123456789012:role/admin*"`),
			action: "iam:GetRole", resource: "arn:aws:iam::123456789012:role/admin-ops", want: ImplicitDeny, wantMisses: []Element{ElementResource}},
		{name: "resource variable/resolved", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::123456789012:user/${aws:username}"`),
			action: "iam:CreateAccessKey", resource: "arn:aws:iam::123456789012:user/alice", ctx: kv{"aws:username": {"alice"}}, want: Allow},
		{name: "resource variable/other user", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::123456789012:user/${aws:username}"`),
			action: "iam:CreateAccessKey", resource: "arn:aws:iam::123456789012:user/bob", ctx: kv{"aws:username": {"alice"}}, want: ImplicitDeny, wantMisses: []Element{ElementResource}},
		{name: "resource variable/absent", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"iam:*AccessKey*","Resource":"arn:aws:iam::123456789012:user/${aws:username}"`),
			action: "iam:CreateAccessKey", resource: "arn:aws:iam::123456789012:user/", want: ImplicitDeny, wantMisses: []Element{ElementResource}},
		{name: "resource variable/default", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:PrincipalTag/team, 'shared'}/*"`),
			action: "s3:GetObject", resource: "arn:aws:s3:::b/shared/x", want: Allow},
		{name: "resource variable/value is literal", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*"`),
			action: "s3:GetObject", resource: "arn:aws:s3:::b/alice/x", ctx: kv{"aws:username": {"*"}}, want: ImplicitDeny, wantMisses: []Element{ElementResource}},
		{name: "resource variable/2008 literal", kind: IdentityPolicy, doc: `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}]}`,
			action: "s3:GetObject", resource: "arn:aws:s3:::b/alice", ctx: kv{"aws:username": {"alice"}}, want: ImplicitDeny, wantMisses: []Element{ElementResource}},
		{name: "resource variable/2008 matches text", kind: IdentityPolicy, doc: `{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}]}`,
			action: "s3:GetObject", resource: "arn:aws:s3:::b/${aws:username}", want: Allow},
		{name: "trust policy/no Resource matches any", kind: TrustPolicy, doc: raTrust(`"Action":"sts:AssumeRole"`),
			principal: raPrincipal, action: "sts:AssumeRole", resource: roleARN, want: Allow},

		// Principals.
		{name: "principal/service", kind: TrustPolicy, doc: raTrust(`"Action":"sts:AssumeRole"`),
			principal: raPrincipal, action: "sts:AssumeRole", want: Allow},
		{name: "principal/service case-insensitive", kind: TrustPolicy, doc: raTrust(`"Action":"sts:AssumeRole"`),
			principal: &Principal{Type: PrincipalService, ID: "RolesAnywhere.amazonaws.com"}, action: "sts:AssumeRole", want: Allow},
		{name: "principal/other service", kind: TrustPolicy, doc: raTrust(`"Action":"sts:AssumeRole"`),
			principal: &Principal{Type: PrincipalService, ID: "ec2.amazonaws.com"}, action: "sts:AssumeRole", want: ImplicitDeny, wantMisses: []Element{ElementPrincipal}},
		{name: "principal/type matters", kind: TrustPolicy, doc: raTrust(`"Action":"sts:AssumeRole"`),
			principal: &Principal{Type: PrincipalAWS, ID: raService}, action: "sts:AssumeRole", want: ImplicitDeny, wantMisses: []Element{ElementPrincipal}},
		{name: "principal/none in request", kind: TrustPolicy, doc: raTrust(`"Action":"sts:AssumeRole"`),
			principal: nil, action: "sts:AssumeRole", want: ImplicitDeny, wantMisses: []Element{ElementPrincipal}},
		{name: "principal/star allows anonymous", kind: TrustPolicy, doc: trustDoc(`"Principal":"*","Action":"sts:AssumeRole"`),
			principal: nil, action: "sts:AssumeRole", want: Allow},
		{name: "principal/AWS star is everyone", kind: TrustPolicy, doc: trustDoc(`"Principal":{"AWS":"*"},"Action":"sts:AssumeRole"`),
			principal: raPrincipal, action: "sts:AssumeRole", want: Allow},
		{name: "principal/Service star", kind: TrustPolicy, doc: trustDoc(`"Principal":{"Service":"*"},"Action":"sts:AssumeRole"`),
			principal: raPrincipal, action: "sts:AssumeRole", want: Allow},
		{name: "principal/Service star not AWS", kind: TrustPolicy, doc: trustDoc(`"Principal":{"Service":"*"},"Action":"sts:AssumeRole"`),
			principal: &Principal{Type: PrincipalAWS, ID: sessionARN}, action: "sts:AssumeRole", want: ImplicitDeny, wantMisses: []Element{ElementPrincipal}},
		{name: "principal/account ID matches its root", kind: TrustPolicy, doc: trustDoc(`"Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"`),
			principal: &Principal{Type: PrincipalAWS, ID: "arn:aws:iam::123456789012:root"}, action: "sts:AssumeRole", want: Allow},
		{name: "principal/root ARN matches account ID", kind: TrustPolicy, doc: trustDoc(`"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"`),
			principal: &Principal{Type: PrincipalAWS, ID: testAccount}, action: "sts:AssumeRole", want: Allow},
		{name: "principal/account covers its sessions", kind: TrustPolicy, doc: trustDoc(`"Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"`),
			principal: &Principal{Type: PrincipalAWS, ID: sessionARN}, action: "sts:AssumeRole", want: Allow},
		{name: "principal/other account", kind: TrustPolicy, doc: trustDoc(`"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"`),
			principal: &Principal{Type: PrincipalAWS, ID: otherAcctRole}, action: "sts:AssumeRole", want: ImplicitDeny, wantMisses: []Element{ElementPrincipal}},
		{name: "principal/role ARN exact", kind: TrustPolicy, doc: trustDoc(`"Principal":{"AWS":"` + roleARN + `"},"Action":"sts:AssumeRole"`),
			principal: &Principal{Type: PrincipalAWS, ID: roleARN}, action: "sts:AssumeRole", want: Allow},
		{name: "principal/role ARN via alias", kind: TrustPolicy, doc: trustDoc(`"Principal":{"AWS":"` + roleARN + `"},"Action":"sts:AssumeRole"`),
			principal: &Principal{Type: PrincipalAWS, ID: sessionARN, Aliases: []string{roleARN}}, action: "sts:AssumeRole", want: Allow},
		{name: "principal/role ARN is not the account", kind: TrustPolicy, doc: trustDoc(`"Principal":{"AWS":"` + roleARN + `"},"Action":"sts:AssumeRole"`),
			principal: &Principal{Type: PrincipalAWS, ID: "arn:aws:iam::123456789012:role/other"}, action: "sts:AssumeRole", want: ImplicitDeny, wantMisses: []Element{ElementPrincipal}},
		{name: "principal/federated", kind: TrustPolicy, doc: trustDoc(`"Principal":{"Federated":"cognito-identity.amazonaws.com"},"Action":"sts:AssumeRoleWithWebIdentity"`),
			principal: &Principal{Type: PrincipalFederated, ID: "cognito-identity.amazonaws.com"}, action: "sts:AssumeRoleWithWebIdentity", want: Allow},
		{name: "principal/canonical user", kind: TrustPolicy, doc: trustDoc(`"Principal":{"CanonicalUser":"79a59df9"},"Action":"sts:AssumeRole"`),
			principal: &Principal{Type: PrincipalCanonicalUser, ID: "79a59df9"}, action: "sts:AssumeRole", want: Allow},
		{name: "principal/several types ORed", kind: TrustPolicy, doc: trustDoc(`"Principal":{"AWS":"` + roleARN + `","Service":"` + raService + `"},"Action":"sts:AssumeRole"`),
			principal: raPrincipal, action: "sts:AssumeRole", want: Allow},
		{name: "NotPrincipal/deny all but one", kind: TrustPolicy,
			doc:       trustDocs(`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}`, `{"Effect":"Deny","NotPrincipal":{"AWS":"`+roleARN+`"},"Action":"sts:AssumeRole"}`),
			principal: &Principal{Type: PrincipalAWS, ID: "arn:aws:iam::123456789012:role/other"}, action: "sts:AssumeRole", want: ExplicitDeny, wantStmt: 1},
		{name: "NotPrincipal/the excepted one", kind: TrustPolicy,
			doc:       trustDocs(`{"Effect":"Allow","Principal":{"AWS":"123456789012"},"Action":"sts:AssumeRole"}`, `{"Effect":"Deny","NotPrincipal":{"AWS":"`+roleARN+`"},"Action":"sts:AssumeRole"}`),
			principal: &Principal{Type: PrincipalAWS, ID: roleARN}, action: "sts:AssumeRole", want: Allow, wantStmt: 0},
		{name: "NotPrincipal/allow excludes listed", kind: TrustPolicy, doc: trustDoc(`"NotPrincipal":{"Service":"` + raService + `"},"Action":"sts:AssumeRole"`),
			principal: raPrincipal, action: "sts:AssumeRole", want: ImplicitDeny, wantMisses: []Element{ElementPrincipal}},

		// Combining statements.
		{name: "deny/overrides allow", kind: IdentityPolicy, doc: idDocs(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`, `{"Effect":"Deny","Action":"iam:DeleteRole","Resource":"*"}`),
			action: "iam:DeleteRole", resource: roleARN, want: ExplicitDeny, wantStmt: 1},
		{name: "deny/before allow", kind: IdentityPolicy, doc: idDocs(`{"Effect":"Deny","Action":"iam:DeleteRole","Resource":"*"}`, `{"Effect":"Allow","Action":"iam:*","Resource":"*"}`),
			action: "iam:DeleteRole", resource: roleARN, want: ExplicitDeny, wantStmt: 0},
		{name: "deny/other action unaffected", kind: IdentityPolicy, doc: idDocs(`{"Effect":"Allow","Action":"iam:*","Resource":"*"}`, `{"Effect":"Deny","Action":"iam:DeleteRole","Resource":"*"}`),
			action: "iam:GetRole", resource: roleARN, want: Allow, wantStmt: 0},
		{name: "deny/condition not met", kind: IdentityPolicy, doc: idDocs(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`, `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`),
			action: "s3:GetObject", ctx: kv{"aws:SecureTransport": {"true"}}, want: Allow, wantStmt: 0},
		{name: "deny/condition met", kind: IdentityPolicy, doc: idDocs(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`, `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`),
			action: "s3:GetObject", ctx: kv{"aws:SecureTransport": {"false"}}, want: ExplicitDeny, wantStmt: 1},
		{name: "deny/IfExists deny on absent key", kind: IdentityPolicy, doc: idDocs(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`, `{"Effect":"Deny","Action":"s3:*","Resource":"*","Condition":{"StringNotEqualsIfExists":{"aws:RequestedRegion":"us-east-1"}}}`),
			action: "s3:GetObject", want: ExplicitDeny, wantStmt: 1},
		{name: "allow/first allowing statement reported", kind: IdentityPolicy, doc: idDocs(`{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}`, `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`, `{"Effect":"Allow","Action":"*","Resource":"*"}`),
			action: "s3:GetObject", want: Allow, wantStmt: 1},
		{name: "implicit/every statement explained", kind: IdentityPolicy, doc: idDocs(`{"Effect":"Allow","Action":"s3:PutObject","Resource":"*"}`, `{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::other/*"}`, `{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/team":"red"}}}`, `{"Effect":"Deny","Action":"*","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}}`),
			action: "s3:GetObject", resource: "arn:aws:s3:::b/k", want: ImplicitDeny, wantMisses: []Element{ElementAction, ElementResource, ElementCondition, ElementEffect}},
		{name: "implicit/no statements", kind: IdentityPolicy, doc: `{"Version":"2012-10-17","Statement":[]}`,
			action: "s3:GetObject", want: ImplicitDeny, wantMisses: []Element{}},
		{name: "implicit/principal checked before action", kind: TrustPolicy, doc: raTrust(`"Action":"sts:AssumeRole"`),
			principal: &Principal{Type: PrincipalService, ID: "ec2.amazonaws.com"}, action: "sts:TagSession", want: ImplicitDeny, wantMisses: []Element{ElementPrincipal}},
		{name: "implicit/action checked before resource", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::x"`),
			action: "s3:GetObject", resource: "arn:aws:s3:::y", want: ImplicitDeny, wantMisses: []Element{ElementAction}},
		{name: "implicit/resource checked before condition", kind: IdentityPolicy, doc: idDoc(`"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::x","Condition":{"Bool":{"aws:SecureTransport":"true"}}`),
			action: "s3:GetObject", resource: "arn:aws:s3:::y", want: ImplicitDeny, wantMisses: []Element{ElementResource}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.doc, tt.kind)
			req := &Request{Principal: tt.principal, Action: tt.action, Resource: tt.resource, Context: ctx(tt.ctx)}
			checkResult(t, p.Evaluate(req), tt.want, tt.wantStmt, tt.wantMisses)
		})
	}
}

func idDoc(members string) string { return idDocs(`{` + members + `}`) }

func idDocs(stmts ...string) string {
	return `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
}

func trustDoc(members string) string { return idDocs(`{"Effect":"Allow",` + members + `}`) }

func trustDocs(stmts ...string) string { return idDocs(stmts...) }

func raTrust(members string) string {
	return trustDoc(`"Principal":{"Service":"` + raService + `"},` + members)
}

func TestEvaluateAll(t *testing.T) {
	allowS3 := mustParse(t, idDoc(`"Effect":"Allow","Action":"s3:*","Resource":"*"`), IdentityPolicy)
	allowIAM := mustParse(t, idDoc(`"Effect":"Allow","Action":"iam:Get*","Resource":"*"`), IdentityPolicy)
	denyDelete := mustParse(t, idDoc(`"Sid":"NoDelete","Effect":"Deny","Action":"s3:Delete*","Resource":"*"`), IdentityPolicy)
	named := mustParse(t, idDoc(`"Sid":"Named","Effect":"Allow","Action":"sts:*","Resource":"*"`), IdentityPolicy)
	named.Name = "inline policy sts of role/app"

	tests := []struct {
		name       string
		policies   []*Policy
		action     string
		want       Decision
		wantPolicy int
		wantStmt   int
		wantMisses []Element
	}{
		{"allow from the second policy", []*Policy{allowIAM, allowS3}, "s3:GetObject", Allow, 1, 0, nil},
		{"deny in a later policy wins", []*Policy{allowS3, allowIAM, denyDelete}, "s3:DeleteObject", ExplicitDeny, 2, 0, nil},
		{"deny in an earlier policy wins", []*Policy{denyDelete, allowS3}, "s3:DeleteObject", ExplicitDeny, 0, 0, nil},
		{"nil policies skipped", []*Policy{nil, allowS3, nil}, "s3:GetObject", Allow, 1, 0, nil},
		{"no policies", nil, "s3:GetObject", ImplicitDeny, 0, 0, []Element{}},
		{"implicit deny across policies", []*Policy{allowS3, denyDelete}, "iam:GetRole", ImplicitDeny, 0, 0, []Element{ElementAction, ElementEffect}},
		{"named policy", []*Policy{allowS3, named}, "sts:GetCallerIdentity", Allow, 1, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := EvaluateAll(tt.policies, &Request{Action: tt.action, Resource: "arn:aws:s3:::b/k"})
			checkResult(t, res, tt.want, tt.wantStmt, tt.wantMisses)
			if tt.want != ImplicitDeny && res.Statement.Policy != tt.wantPolicy {
				t.Errorf("deciding policy = %d, want %d", res.Statement.Policy, tt.wantPolicy)
			}
			for i, m := range res.Misses {
				if m.Statement.Policy != i {
					t.Errorf("miss %d is for policy %d", i, m.Statement.Policy)
				}
			}
		})
	}

	// Intersecting sets: the identity policies allow, the session policy
	// does not, so the caller's combined answer is deny.
	t.Run("intersection of sets", func(t *testing.T) {
		session := mustParse(t, idDoc(`"Effect":"Allow","Action":"s3:GetObject","Resource":"*"`), IdentityPolicy)
		req := &Request{Action: "s3:PutObject", Resource: "arn:aws:s3:::b/k"}
		identity := EvaluateAll([]*Policy{allowS3, allowIAM}, req)
		sess := EvaluateAll([]*Policy{session}, req)
		checkResult(t, identity, Allow, 0, nil)
		checkResult(t, sess, ImplicitDeny, 0, []Element{ElementAction})
	})
}

// TestRolesAnywhereTrustPolicies evaluates the trust policies AWS's IAM
// Roles Anywhere documentation shows, with the context CreateSession
// builds.
func TestRolesAnywhereTrustPolicies(t *testing.T) {
	const threeActions = `"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"]`
	basic := raTrust(threeActions + `,"Condition":{"ArnEquals":{"aws:SourceArn":["` + anchorARN + `"]}}`)
	withCN := raTrust(threeActions + `,"Condition":{"ArnEquals":{"aws:SourceArn":"` + anchorARN + `"},` +
		`"StringEquals":{"aws:PrincipalTag/x509Subject/CN":"workload-1"}}`)
	withURI := raTrust(threeActions + `,"Condition":{"StringLike":{"aws:PrincipalTag/x509SAN/URI":"spiffe://example.org/ns/prod/*"}}`)
	withIssuer := raTrust(threeActions + `,"Condition":{"StringEquals":{"aws:PrincipalTag/x509Issuer/CN":"Example Issuing CA","aws:SourceAccount":"` + testAccount + `"}}`)
	noSourceIdentity := raTrust(`"Sid":"AllowRolesAnywhere","Action":["sts:AssumeRole","sts:TagSession"],"Condition":{"ArnEquals":{"aws:SourceArn":"` + anchorARN + `"}}`)
	profileMistake := raTrust(`"Sid":"AllowRolesAnywhere",` + threeActions + `,"Condition":{"ArnEquals":{"aws:SourceArn":"` + profileARN + `"}}`)
	conditionPerAction := trustDocs(
		`{"Effect":"Allow","Principal":{"Service":"`+raService+`"},"Action":["sts:AssumeRole","sts:SetSourceIdentity"],"Condition":{"ArnEquals":{"aws:SourceArn":"`+anchorARN+`"}}}`,
		`{"Effect":"Allow","Principal":{"Service":"`+raService+`"},"Action":"sts:TagSession","Condition":{"StringLike":{"aws:RequestTag/x509Subject/CN":"*"}}}`)

	type kv = map[string][]string
	good := kv{
		"aws:SourceArn":                   {anchorARN},
		"aws:SourceAccount":               {testAccount},
		"aws:PrincipalTag/x509Subject/CN": {"workload-1"},
		"aws:PrincipalTag/x509Issuer/CN":  {"Example Issuing CA"},
		"aws:PrincipalTag/x509SAN/URI":    {"spiffe://example.org/ns/prod/sa/api"},
		"sts:SourceIdentity":              {"CN=workload-1"},
	}
	with := func(k string, v ...string) kv {
		out := kv{}
		for key, vals := range good {
			out[key] = vals
		}
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
		return out
	}
	tests := []struct {
		name       string
		doc        string
		action     string
		ctx        kv
		want       Decision
		wantMisses []Element
		wantKey    string // failing condition key, if a condition miss
		wantStmt   int
	}{
		{"basic/AssumeRole", basic, "sts:AssumeRole", good, Allow, nil, "", 0},
		{"basic/TagSession", basic, "sts:TagSession", good, Allow, nil, "", 0},
		{"basic/SetSourceIdentity", basic, "sts:SetSourceIdentity", good, Allow, nil, "", 0},
		{"basic/other sts action", basic, "sts:AssumeRoleWithWebIdentity", good, ImplicitDeny, []Element{ElementAction}, "", 0},
		{"basic/other trust anchor", basic, "sts:AssumeRole", with("aws:SourceArn", otherAnchor), ImplicitDeny, []Element{ElementCondition}, "aws:SourceArn", 0},
		{"basic/no source ARN", basic, "sts:AssumeRole", with("aws:SourceArn"), ImplicitDeny, []Element{ElementCondition}, "aws:SourceArn", 0},
		{"CN/match", withCN, "sts:AssumeRole", good, Allow, nil, "", 0},
		{"CN/other CN", withCN, "sts:TagSession", with("aws:PrincipalTag/x509Subject/CN", "workload-2"), ImplicitDeny, []Element{ElementCondition}, "aws:PrincipalTag/x509Subject/CN", 0},
		{"CN/case-sensitive", withCN, "sts:AssumeRole", with("aws:PrincipalTag/x509Subject/CN", "Workload-1"), ImplicitDeny, []Element{ElementCondition}, "aws:PrincipalTag/x509Subject/CN", 0},
		{"CN/unmapped attribute", withCN, "sts:AssumeRole", with("aws:PrincipalTag/x509Subject/CN"), ImplicitDeny, []Element{ElementCondition}, "aws:PrincipalTag/x509Subject/CN", 0},
		{"URI/match", withURI, "sts:SetSourceIdentity", good, Allow, nil, "", 0},
		{"URI/other namespace", withURI, "sts:AssumeRole", with("aws:PrincipalTag/x509SAN/URI", "spiffe://example.org/ns/dev/sa/api"), ImplicitDeny, []Element{ElementCondition}, "aws:PrincipalTag/x509SAN/URI", 0},
		{"issuer and account/match", withIssuer, "sts:AssumeRole", good, Allow, nil, "", 0},
		{"issuer and account/other account", withIssuer, "sts:AssumeRole", with("aws:SourceAccount", "210987654321"), ImplicitDeny, []Element{ElementCondition}, "aws:SourceAccount", 0},
		{"missing SetSourceIdentity", noSourceIdentity, "sts:SetSourceIdentity", good, ImplicitDeny, []Element{ElementAction}, "", 0},
		{"profile ARN used as source ARN", profileMistake, "sts:AssumeRole", good, ImplicitDeny, []Element{ElementCondition}, "aws:SourceArn", 0},
		{"per-action statements/TagSession", conditionPerAction, "sts:TagSession", with("aws:RequestTag/x509Subject/CN", "workload-1"), Allow, nil, "", 1},
		{"per-action statements/TagSession without tags", conditionPerAction, "sts:TagSession", good, ImplicitDeny, []Element{ElementAction, ElementCondition}, "aws:RequestTag/x509Subject/CN", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustParse(t, tt.doc, TrustPolicy)
			req := &Request{
				Principal: &Principal{Type: PrincipalService, ID: raService},
				Action:    tt.action,
				Resource:  roleARN,
				Context:   ctx(tt.ctx),
			}
			res := p.Evaluate(req)
			checkResult(t, res, tt.want, tt.wantStmt, tt.wantMisses)
			if tt.wantKey != "" {
				last := res.Misses[len(res.Misses)-1]
				if last.Condition == nil || last.Condition.Key != tt.wantKey {
					t.Errorf("failing condition = %+v, want key %s", last.Condition, tt.wantKey)
				}
			}
		})
	}
}

func TestContext(t *testing.T) {
	var c Context
	if got := c.Get("aws:username"); got != nil {
		t.Fatalf("zero Context Get = %v", got)
	}
	c.Set("AWS:UserName", "alice")
	c.Add("aws:TagKeys", "a")
	c.Add("AWS:TAGKEYS", "b")
	c.Add("aws:Nothing")
	now := time.Date(2024, 1, 1, 0, 0, 0, 0, time.FixedZone("X", 3600))
	c.SetTime(now)
	tests := []struct {
		name string
		key  string
		want []string
	}{
		{"set then get, other case", "aws:username", []string{"alice"}},
		{"add accumulates across case", "aws:tagkeys", []string{"a", "b"}},
		{"add of nothing is absent", "aws:nothing", nil},
		{"current time in UTC", "aws:CurrentTime", []string{"2023-12-31T23:00:00Z"}},
		{"epoch time", "aws:EpochTime", []string{"1704063600"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.Get(tt.key); strings.Join(got, ",") != strings.Join(tt.want, ",") || (got == nil) != (tt.want == nil) {
				t.Errorf("Get(%q) = %q, want %q", tt.key, got, tt.want)
			}
		})
	}
	if c.Len() != 4 {
		t.Errorf("Len = %d, want 4", c.Len())
	}
	c.Set("aws:username")
	if c.Get("aws:username") != nil {
		t.Errorf("Set with no values kept the key")
	}
}

func TestContextAddDoesNotAlias(t *testing.T) {
	backing := make([]string, 1, 4)
	backing[0] = "a"
	var c Context
	c.Set("aws:TagKeys", backing...)
	c.Add("aws:TagKeys", "b")
	if got := backing[:2][1]; got == "b" {
		t.Errorf("Add wrote into the caller's slice")
	}
	if got := c.Get("aws:tagkeys"); len(got) != 2 || got[1] != "b" {
		t.Errorf("Get = %q, want [a b]", got)
	}
}
