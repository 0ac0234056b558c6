package admin

import (
	"strings"
	"testing"
	"time"
)

func TestParseRef(t *testing.T) {
	const id = "0ace5b12-24b9-427e-a483-c55884852fbf"
	const taArn = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/" + id
	tests := []struct {
		name    string
		kind    Kind
		in      string
		want    Ref
		wantErr string
	}{
		{"ok/id", KindTrustAnchor, id, Ref{Kind: KindTrustAnchor, ID: id}, ""},
		{"ok/arn", KindTrustAnchor, taArn, Ref{Kind: KindTrustAnchor, ID: id, ARN: taArn}, ""},
		{"ok/name", KindProfile, "my profile", Ref{Kind: KindProfile, Name: "my profile"}, ""},
		{"ok/uppercase UUID is a name", KindCRL, strings.ToUpper(id), Ref{Kind: KindCRL, Name: strings.ToUpper(id)}, ""},
		{"error/empty", KindCRL, "", Ref{}, "empty CRL reference"},
		{"error/wrong kind", KindProfile, taArn, Ref{}, taArn + " is not a profile ARN (want arn:aws:rolesanywhere:REGION:ACCOUNT:profile/ID)"},
		{"error/iam arn", KindCRL, "arn:aws:iam::111122223333:role/crl/" + id, Ref{}, "arn:aws:iam::111122223333:role/crl/" + id + " is not a CRL ARN (want arn:aws:rolesanywhere:REGION:ACCOUNT:crl/ID)"},
		{"error/bad id in arn", KindTrustAnchor, "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/abc", Ref{},
			`arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/abc: "abc" is not a trust anchor ID (a lowercase UUID)`},
		{"error/malformed arn", KindTrustAnchor, "arn:aws", Ref{}, `invalid ARN "arn:aws": want arn:partition:service:region:account:resource`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRef(tt.kind, tt.in)
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestRoleName(t *testing.T) {
	for in, want := range map[string]string{
		"abc":                                  "abc",
		"arn:aws:iam::111122223333:role/abc":   "abc",
		"arn:aws:iam::111122223333:role/a/b/c": "c",
	} {
		if got, err := RoleName(in); err != nil || got != want {
			t.Errorf("RoleName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "arn:aws:iam::111122223333:user/abc", "arn:aws:sts::111122223333:role/abc", "arn:aws:iam::111122223333:role/"} {
		if got, err := RoleName(in); err == nil {
			t.Errorf("RoleName(%q) = %q, want an error", in, got)
		}
	}
}

// TestTrustPolicy pins the generated document byte for byte: it is what
// operators paste into aws iam commands and read in reviews.
func TestTrustPolicy(t *testing.T) {
	const a1 = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/0ace5b12-24b9-427e-a483-c55884852fbf"
	const a2 = "arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/18e228e5-9889-4032-a2b3-e088b2b9ca51"
	got, err := TrustPolicy(TrustPolicyOptions{TrustAnchorArns: []string{a1}})
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {
        "Service": "rolesanywhere.amazonaws.com"
      },
      "Action": [
        "sts:AssumeRole",
        "sts:TagSession",
        "sts:SetSourceIdentity"
      ],
      "Condition": {
        "ArnEquals": {
          "aws:SourceArn": "` + a1 + `"
        }
      }
    }
  ]
}
`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	got, err = TrustPolicy(TrustPolicyOptions{TrustAnchorArns: []string{a1, a2}, CNs: []string{"a&b"}, SANURIs: []string{"spiffe://x/*"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{
		`"aws:SourceArn": [
            "` + a1 + `",
            "` + a2 + `"
          ]`,
		`"StringEquals": {
          "aws:PrincipalTag/x509Subject/CN": "a&b"
        }`,
		`"StringLike": {
          "aws:PrincipalTag/x509SAN/URI": "spiffe://x/*"
        }`,
	} {
		if !strings.Contains(got, part) {
			t.Errorf("policy lacks\n%s\nin\n%s", part, got)
		}
	}

	if _, err := TrustPolicy(TrustPolicyOptions{}); err == nil || err.Error() != "a trust policy needs at least one trust anchor" {
		t.Errorf("no trust anchor: %v", err)
	}
}

func TestTable(t *testing.T) {
	tab := NewTable("NAME", "ID", "ENABLED")
	tab.Row("a", "1234", "true")
	tab.Row("longer name", "", "false")
	tab.Row("tab\there", "x")
	var b strings.Builder
	if _, err := tab.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want := "" +
		"NAME         ID    ENABLED\n" +
		"a            1234  true\n" +
		"longer name  -     false\n" +
		"tab here     x     -\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}

	var f Fields
	f.Add("Name", "abc")
	f.Add("Roles", "r1", "r2")
	f.Add("Managed policies")
	b.Reset()
	if _, err := f.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	want = "" +
		"Name:              abc\n" +
		"Roles:             r1\n" +
		"                   r2\n" +
		"Managed policies:  -\n"
	if b.String() != want {
		t.Errorf("got\n%q\nwant\n%q", b.String(), want)
	}
}

func TestFormats(t *testing.T) {
	ts := time.Date(2026, 3, 1, 12, 0, 0, 0, time.FixedZone("X", 3600))
	if got := Time(&ts); got != "2026-03-01T11:00:00Z" {
		t.Errorf("Time = %q", got)
	}
	if got := Time(nil); got != "-" {
		t.Errorf("Time(nil) = %q", got)
	}
	yes := true
	if Bool(&yes) != "true" || Bool(nil) != "false" {
		t.Error("Bool")
	}
	n := int32(900)
	if Seconds(&n) != "900s" || Seconds(nil) != "-" {
		t.Error("Seconds")
	}
}

func TestDecodePolicy(t *testing.T) {
	encoded := "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D"
	if got := DecodePolicy(encoded); got != `{"Version":"2012-10-17","Statement":[]}` {
		t.Errorf("DecodePolicy = %q", got)
	}
	if got := string(PolicyJSON("{\n \"a\": 1\n}")); got != `{"a":1}` {
		t.Errorf("PolicyJSON(object) = %s", got)
	}
	if got := string(PolicyJSON("not json")); got != `"not json"` {
		t.Errorf("PolicyJSON(text) = %s", got)
	}
}
