package iam_test

import (
	"context"
	"encoding/xml"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/auth"
	"github.com/roam-dev/roam/internal/httpapi"
)

// FuzzServeHTTP sends untrusted request bodies to the handler, backed by
// the real store: every answer must be a well-formed IAM document, success
// or a client error, never a server failure.
func FuzzServeHTTP(f *testing.F) {
	for _, seed := range []string{
		"Action=CreateRole&Version=2010-05-08&RoleName=R&AssumeRolePolicyDocument=" + strings.ReplaceAll(trustPolicy, "&", "%26") + "&Tags.member.1.Key=k&Tags.member.1.Value=v",
		"Action=GetRole&Version=2010-05-08&RoleName=R",
		"Action=ListRoles&Version=2010-05-08&MaxItems=1&Marker=abc",
		"Action=CreatePolicy&Version=2010-05-08&PolicyName=P&PolicyDocument=" + readPolicy + "&Path=/a/",
		"Action=CreatePolicyVersion&Version=2010-05-08&PolicyArn=arn:aws:iam::123456789012:policy/a/P&PolicyDocument=" + readPolicy + "&SetAsDefault=true",
		"Action=AttachRolePolicy&Version=2010-05-08&RoleName=R&PolicyArn=arn:aws:iam::123456789012:policy/a/P",
		"Action=ListPolicies&Version=2010-05-08&OnlyAttached=true&Scope=Local&MaxItems=1",
		"Action=ListPolicyVersions&Version=2010-05-08&PolicyArn=arn:aws:iam::123456789012:policy/a/P&MaxItems=1&Marker=LTE",
		"Action=UntagRole&Version=2010-05-08&RoleName=R&TagKeys.member.1=k",
		"Action=DeleteRole&Version=2010-05-08&RoleName=R",
		"Action=GetPolicy&PolicyArn=arn:aws:iam::123456789012:policy/",
		"Action=%",
	} {
		f.Add(seed)
	}
	st := newStore(f)
	h := newHandler(f, st, &authorizer{})
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		ctx := httpapi.WithRequest(context.Background(), &httpapi.Request{ID: requestID})
		req = req.WithContext(auth.WithPrincipal(ctx, rootPrincipal))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		resp := rec.Result()
		out, _ := io.ReadAll(resp.Body)
		if resp.StatusCode >= 500 {
			t.Fatalf("%q: status %d\n%s", body, resp.StatusCode, out)
		}
		var root struct{ XMLName xml.Name }
		if err := xml.Unmarshal(out, &root); err != nil {
			t.Fatalf("%q: response is not XML: %v\n%s", body, err, out)
		}
		wantRoot := "ErrorResponse"
		if resp.StatusCode == http.StatusOK {
			wantRoot = httpapi.RequestFrom(req.Context()).Operation + "Response"
		}
		if root.XMLName.Local != wantRoot || root.XMLName.Space != "https://iam.amazonaws.com/doc/2010-05-08/" {
			t.Fatalf("%q: status %d with root %v, want %s", body, resp.StatusCode, root.XMLName, wantRoot)
		}
	})
}
