package sts_test

import (
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssts "github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/roam-dev/roam/internal/auth"
	roamcreds "github.com/roam-dev/roam/internal/credentials"
	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/sts"
)

const (
	account   = "123456789012"
	requestID = "0ddba11-0000-1111-2222-333344445555"
)

// serve runs the STS handler over loopback for principal p (nil:
// unauthenticated) and returns an aws-sdk-go-v2 client for it.
func serve(t *testing.T, p *auth.Principal) (*awssts.Client, *httptest.Server) {
	t.Helper()
	h := sts.New(sts.Config{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := httpapi.WithRequest(r.Context(), &httpapi.Request{ID: requestID})
		if p != nil {
			ctx = auth.WithPrincipal(ctx, p)
		}
		h.ServeHTTP(w, r.WithContext(ctx))
	}))
	t.Cleanup(srv.Close)
	client := awssts.New(awssts.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""),
		HTTPClient:   srv.Client(),
		Retryer:      aws.NopRetryer{},
	})
	return client, srv
}

func TestGetCallerIdentity(t *testing.T) {
	session := &roamcreds.Session{AccountID: account, RoleName: "Deploy", RoleID: "AROAEXAMPLEEXAMPLE12", RolePath: "/ci/", SessionName: "0a1b2c3d"}
	tests := []struct {
		name                string
		principal           *auth.Principal
		wantArn, wantUserID string
	}{
		{
			name:      "ok/root",
			principal: &auth.Principal{AccountID: account, Arn: "arn:aws:iam::123456789012:root", UserID: account},
			wantArn:   "arn:aws:iam::123456789012:root", wantUserID: account,
		},
		{
			// The role's path is not part of an assumed-role ARN.
			name:      "ok/role session",
			principal: &auth.Principal{AccountID: account, Session: session},
			wantArn:   "arn:aws:sts::123456789012:assumed-role/Deploy/0a1b2c3d", wantUserID: "AROAEXAMPLEEXAMPLE12:0a1b2c3d",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client, _ := serve(t, tt.principal)
			out, err := client.GetCallerIdentity(context.Background(), &awssts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if aws.ToString(out.Arn) != tt.wantArn || aws.ToString(out.UserId) != tt.wantUserID || aws.ToString(out.Account) != account {
				t.Errorf("got %s %s %s, want %s %s %s", aws.ToString(out.Arn), aws.ToString(out.UserId), aws.ToString(out.Account), tt.wantArn, tt.wantUserID, account)
			}
		})
	}
}

func TestWireFormat(t *testing.T) {
	_, srv := serve(t, &auth.Principal{AccountID: account})
	resp, err := srv.Client().Get(srv.URL + "/?Action=GetCallerIdentity&Version=2011-06-15")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	want := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
		`<UserId>123456789012</UserId><Account>123456789012</Account><Arn>arn:aws:iam::123456789012:root</Arn></GetCallerIdentityResult>` +
		`<ResponseMetadata><RequestId>` + requestID + `</RequestId></ResponseMetadata></GetCallerIdentityResponse>`
	if resp.StatusCode != 200 || string(body) != want {
		t.Errorf("got %d\n%s\nwant\n%s", resp.StatusCode, body, want)
	}
}

func TestErrors(t *testing.T) {
	client, srv := serve(t, &auth.Principal{AccountID: account})
	_, err := client.AssumeRole(context.Background(), &awssts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::123456789012:role/R"), RoleSessionName: aws.String("s")})
	wantError(t, err, 400, "InvalidAction", "roam does not support the STS action AssumeRole: temporary credentials come from IAM Roles Anywhere CreateSession")

	tests := []struct {
		name, body    string
		status        int
		code, message string
	}{
		{"error/unknown action", "Action=Frobnicate&Version=2011-06-15", 400, "InvalidAction", "Could not find operation Frobnicate for version 2011-06-15"},
		{"error/unknown version", "Action=GetCallerIdentity&Version=2010-05-08", 400, "InvalidAction", "Could not find operation GetCallerIdentity for version 2010-05-08"},
		{"error/no action", "Version=2011-06-15", 400, "MissingAction", "The request must contain the parameter Action."},
		{"error/malformed", "Action=%", 400, "MalformedQueryString", "The query string contains a syntax error."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := srv.Client().Post(srv.URL, "application/x-www-form-urlencoded", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			want := `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>` + tt.code +
				`</Code><Message>` + tt.message + `</Message></Error><RequestId>` + requestID + `</RequestId></ErrorResponse>`
			if resp.StatusCode != tt.status || !strings.HasSuffix(string(body), want) {
				t.Errorf("got %d %s\nwant %d %s", resp.StatusCode, body, tt.status, want)
			}
		})
	}
}

func TestUnauthenticated(t *testing.T) {
	client, _ := serve(t, nil)
	_, err := client.GetCallerIdentity(context.Background(), &awssts.GetCallerIdentityInput{})
	wantError(t, err, 403, "MissingAuthenticationToken", "Request is missing Authentication Token")
}

func wantError(t *testing.T, err error, status int, code, message string) {
	t.Helper()
	var api smithy.APIError
	if !errors.As(err, &api) {
		t.Fatalf("got %v, want API error %s", err, code)
	}
	if api.ErrorCode() != code || api.ErrorMessage() != message {
		t.Errorf("got %s: %q, want %s: %q", api.ErrorCode(), api.ErrorMessage(), code, message)
	}
	var resp *awshttp.ResponseError
	if !errors.As(err, &resp) || resp.HTTPStatusCode() != status {
		t.Errorf("got %v, want status %d", err, status)
	}
}

// FuzzServeHTTP sends untrusted bodies and query strings: every answer is
// a well-formed STS document, success or a client error.
func FuzzServeHTTP(f *testing.F) {
	f.Add("Action=GetCallerIdentity&Version=2011-06-15", "")
	f.Add("Action=AssumeRole&Version=2011-06-15&RoleArn=x", "Action=GetCallerIdentity")
	f.Add("Action=%zz", "Version=%")
	h := sts.New(sts.Config{})
	p := &auth.Principal{AccountID: account}
	f.Fuzz(func(t *testing.T, body, query string) {
		req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		req.URL.RawQuery = query
		req = req.WithContext(auth.WithPrincipal(req.Context(), p))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		var root struct{ XMLName xml.Name }
		if err := xml.Unmarshal(rec.Body.Bytes(), &root); err != nil {
			t.Fatalf("body %q query %q: response is not XML: %v", body, query, err)
		}
		want := "ErrorResponse"
		if rec.Code == http.StatusOK {
			want = "GetCallerIdentityResponse"
		}
		if rec.Code >= 500 || root.XMLName.Local != want || root.XMLName.Space != sts.Namespace {
			t.Fatalf("body %q query %q: %d %v", body, query, rec.Code, root.XMLName)
		}
	})
}
