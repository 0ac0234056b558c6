package arn

import "testing"

func TestParse(t *testing.T) {
	tests := []struct {
		in                         string
		wantErr                    bool
		service, typ, id, name, rg string
	}{
		{in: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/abc", service: "rolesanywhere", typ: "trust-anchor", id: "abc", name: "abc", rg: "us-east-1"},
		{in: "arn:aws:iam::123456789012:role/path/to/Name", service: "iam", typ: "role", id: "path/to/Name", name: "Name"},
		{in: "arn:aws:iam::123456789012:root", service: "iam", typ: "root", id: "", name: "root"},
		{in: "arn:aws-cn:s3:::bucket:with:colons", service: "s3", typ: "bucket:with:colons", id: "", name: "bucket:with:colons"},
		{in: "", wantErr: true},
		{in: "arn:aws:iam", wantErr: true},
		{in: "urn:aws:iam::1:role/x", wantErr: true},
		{in: "arn::iam::1:role/x", wantErr: true},
		{in: "arn:aws:iam::1:", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if a.String() != tt.in {
				t.Errorf("String() = %q, want %q", a.String(), tt.in)
			}
			if a.Service != tt.service || a.ResourceType() != tt.typ || a.ResourceID() != tt.id || a.Name() != tt.name || a.Region != tt.rg {
				t.Errorf("got service=%q type=%q id=%q name=%q region=%q", a.Service, a.ResourceType(), a.ResourceID(), a.Name(), a.Region)
			}
		})
	}
}

func TestScope(t *testing.T) {
	s := Scope{Partition: "aws", Region: "eu-west-1", Account: "123456789012"}
	// A slice, not a map keyed by the result: a wrong result equal to
	// another case's would collapse the two and hide the error.
	for _, tt := range []struct{ got, want string }{
		{s.RolesAnywhere("profile", "p1"), "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/p1"},
		{s.Role("/", "R"), "arn:aws:iam::123456789012:role/R"},
		{s.Role("/ops/", "R"), "arn:aws:iam::123456789012:role/ops/R"},
		{s.Role("", "R"), "arn:aws:iam::123456789012:role/R"},
		{s.Policy("/", "P"), "arn:aws:iam::123456789012:policy/P"},
		{s.Root(), "arn:aws:iam::123456789012:root"},
		{s.AssumedRole("R", "sess"), "arn:aws:sts::123456789012:assumed-role/R/sess"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add("arn:aws:iam::123456789012:role/x")
	f.Add("arn:::::")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err == nil && a.String() != s {
			t.Fatalf("round trip %q -> %q", s, a.String())
		}
	})
}
