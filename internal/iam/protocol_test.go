package iam_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsiam "github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/smithy-go"

	"github.com/roam-dev/roam/internal/auth"
)

// post sends a raw query-protocol request and returns the status and body.
func (e *env) post(t *testing.T, form string) (int, string) {
	t.Helper()
	return e.do(t, http.MethodPost, e.url, form)
}

func (e *env) do(t *testing.T, method, target, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	resp, err := e.http.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/xml" {
		t.Errorf("Content-Type %q, want text/xml", ct)
	}
	return resp.StatusCode, string(b)
}

// xmlError is IAM's error document.
type xmlError struct {
	XMLName xml.Name `xml:"https://iam.amazonaws.com/doc/2010-05-08/ ErrorResponse"`
	Type    string   `xml:"Error>Type"`
	Code    string   `xml:"Error>Code"`
	Message string   `xml:"Error>Message"`
	ID      string   `xml:"RequestId"`
}

func parseError(t *testing.T, body string) xmlError {
	t.Helper()
	var e xmlError
	if err := xml.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("not an IAM ErrorResponse: %v\n%s", err, body)
	}
	return e
}

func TestProtocolErrors(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name    string
		method  string
		query   string
		body    string
		status  int
		code    string
		message string
	}{
		{
			name: "error/unknown action", body: "Action=Frobnicate&Version=2010-05-08",
			status: 400, code: "InvalidAction", message: "Could not find operation Frobnicate for version 2010-05-08",
		},
		{
			name: "error/unknown version", body: "Action=GetRole&Version=2099-01-01&RoleName=R",
			status: 400, code: "InvalidAction", message: "Could not find operation GetRole for version 2099-01-01",
		},
		{
			name: "error/no action", body: "Version=2010-05-08",
			status: 400, code: "MissingAction", message: "The request must contain the parameter Action.",
		},
		{
			name: "error/missing parameter", body: "Action=GetRole&Version=2010-05-08",
			status: 400, code: "ValidationError", message: "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "error/missing parameters", body: "Action=CreateRole&Version=2010-05-08&MaxSessionDuration=x",
			status: 400, code: "ValidationError",
			message: "3 validation errors detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null; " +
				"Value null at 'assumeRolePolicyDocument' failed to satisfy constraint: Member must not be null; " +
				"Value 'x' at 'maxSessionDuration' failed to satisfy constraint: Member must be an integer",
		},
		{
			name: "error/tag without value", body: "Action=TagRole&Version=2010-05-08&RoleName=R&Tags.member.1.Key=k",
			status: 400, code: "ValidationError", message: "1 validation error detected: Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "error/tag keys missing", body: "Action=UntagRole&Version=2010-05-08&RoleName=R",
			status: 400, code: "ValidationError", message: "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null",
		},
		{
			name: "error/bad boolean", body: "Action=ListPolicies&Version=2010-05-08&OnlyAttached=yes",
			status: 400, code: "ValidationError", message: "1 validation error detected: Value 'yes' at 'onlyAttached' failed to satisfy constraint: Member must be a boolean (true or false)",
		},
		{
			name: "error/malformed form", body: "Action=GetRole&Version=2010-05-08&RoleName=%zz",
			status: 400, code: "MalformedQueryString", message: "The query string contains a syntax error.",
		},
		{
			name: "error/method", method: http.MethodPut, body: "Action=ListRoles",
			status: 405, code: "MethodNotAllowed", message: "The HTTP method PUT is not allowed; the query protocol uses GET or POST.",
		},
		{
			name: "error/role via GET", method: http.MethodGet, query: "Action=GetRole&Version=2010-05-08&RoleName=Nobody",
			status: 404, code: "NoSuchEntity", message: "The role with name Nobody cannot be found.",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := cmpOr(tt.method, http.MethodPost)
			status, body := e.do(t, method, e.url+"/?"+tt.query, tt.body)
			got := parseError(t, body)
			if status != tt.status || got.Code != tt.code || got.Message != tt.message || got.Type != "Sender" || got.ID != requestID {
				t.Errorf("got %d %+v\nwant %d %s: %q", status, got, tt.status, tt.code, tt.message)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestWireFormat pins the XML IAM clients parse: the namespace, empty
// lists sent as empty elements, RFC 3986 URL-encoded documents, dates, and
// the request ID.
func TestWireFormat(t *testing.T) {
	e := newEnv(t)
	status, body := e.post(t, "Action=ListRoles&Version=2010-05-08")
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<ListRolesResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ListRolesResult><Roles></Roles><IsTruncated>false</IsTruncated></ListRolesResult>` +
		`<ResponseMetadata><RequestId>` + requestID + `</RequestId></ResponseMetadata></ListRolesResponse>`
	if status != 200 || body != want {
		t.Errorf("empty ListRoles:\n%s\nwant\n%s", body, want)
	}

	doc := `{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole", "Condition": {"StringLike": {"aws:PrincipalTag/x": "a~b_c-d.e+f&g é"}}}]}`
	form := url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {"Wire"}, "AssumeRolePolicyDocument": {doc}}
	status, body = e.post(t, form.Encode())
	if status != 200 {
		t.Fatalf("CreateRole: %d %s", status, body)
	}
	encoded := `%7B%22Statement%22%3A%20%5B%7B%22Effect%22%3A%20%22Allow%22%2C%20%22Principal%22%3A%20%7B%22AWS%22%3A%20%22%2A%22%7D%2C%20` +
		`%22Action%22%3A%20%22sts%3AAssumeRole%22%2C%20%22Condition%22%3A%20%7B%22StringLike%22%3A%20%7B%22aws%3APrincipalTag%2Fx%22%3A%20` +
		`%22a~b_c-d.e%2Bf%26g%20%C3%A9%22%7D%7D%7D%5D%7D`
	for _, part := range []string{
		`<CreateRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><CreateRoleResult><Role><Path>/</Path><RoleName>Wire</RoleName><RoleId>AROA`,
		`<Arn>arn:aws:iam::123456789012:role/Wire</Arn><CreateDate>2026-11-24T06:17:55Z</CreateDate>`,
		`<AssumeRolePolicyDocument>` + encoded + `</AssumeRolePolicyDocument><MaxSessionDuration>3600</MaxSessionDuration><RoleLastUsed></RoleLastUsed></Role></CreateRoleResult>`,
	} {
		if !strings.Contains(body, part) {
			t.Errorf("CreateRole response lacks\n%s\nin\n%s", part, body)
		}
	}

	// Operations without a result send only the metadata.
	status, body = e.post(t, "Action=DeleteRole&Version=2010-05-08&RoleName=Wire")
	want = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<DeleteRoleResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><ResponseMetadata><RequestId>` + requestID + `</RequestId></ResponseMetadata></DeleteRoleResponse>`
	if status != 200 || body != want {
		t.Errorf("DeleteRole:\n%s\nwant\n%s", body, want)
	}
}

// TestAuthorization checks that every operation asks the authorizer
// first, that a denial is IAM's AccessDenied, and that it never tells the
// caller whether the resource exists.
func TestAuthorization(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustCreateRole(t, "Secret", "/p/")
	policyArn := e.mustCreatePolicy(t, "P", "")
	e.authz.deny = func(r auth.Request) bool { return r.Action != "iam:ListRoles" }

	_, err := e.client.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("Secret")})
	wantAPIError[*smithy.GenericAPIError](t, err, 403, "AccessDenied",
		"User: arn:aws:iam::123456789012:root is not authorized to perform: iam:GetRole on resource: arn:aws:iam::123456789012:role/p/Secret")
	_, err = e.client.GetRole(ctx, &awsiam.GetRoleInput{RoleName: aws.String("Absent")})
	wantAPIError[*smithy.GenericAPIError](t, err, 403, "AccessDenied",
		"User: arn:aws:iam::123456789012:root is not authorized to perform: iam:GetRole on resource: arn:aws:iam::123456789012:role/Absent")

	// A denied change changes nothing.
	_, err = e.client.DeletePolicy(ctx, &awsiam.DeletePolicyInput{PolicyArn: aws.String(policyArn)})
	wantAPIError[*smithy.GenericAPIError](t, err, 403, "AccessDenied",
		"User: arn:aws:iam::123456789012:root is not authorized to perform: iam:DeletePolicy on resource: "+policyArn)
	_, err = e.client.CreateRole(ctx, &awsiam.CreateRoleInput{RoleName: aws.String("New"), AssumeRolePolicyDocument: aws.String(trustPolicy)})
	wantAPIError[*smithy.GenericAPIError](t, err, 403, "AccessDenied",
		"User: arn:aws:iam::123456789012:root is not authorized to perform: iam:CreateRole on resource: arn:aws:iam::123456789012:role/New")
	out, err := e.client.ListRoles(ctx, &awsiam.ListRolesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Roles) != 1 {
		t.Errorf("%d roles after denied requests, want 1", len(out.Roles))
	}
	if _, err := e.store.GetPolicy(ctx, "P"); err != nil {
		t.Errorf("the denied DeletePolicy deleted the policy: %v", err)
	}
}

func TestUnauthenticated(t *testing.T) {
	srv := httptest.NewServer(withCaller(nil, newHandler(t, newStore(t), &authorizer{})))
	defer srv.Close()
	e := &env{url: srv.URL, http: srv.Client()}
	status, body := e.post(t, "Action=ListRoles&Version=2010-05-08")
	if got := parseError(t, body); status != 403 || got.Code != "MissingAuthenticationToken" {
		t.Errorf("unauthenticated request: %d %+v", status, got)
	}
}
