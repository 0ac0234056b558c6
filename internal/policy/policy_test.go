package policy

import (
	"errors"
	"testing"
)

// Shared fixtures for the tests in this package.
const (
	testAccount   = "123456789012"
	anchorARN     = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/abc"
	otherAnchor   = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/xyz"
	profileARN    = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/def"
	roleARN       = "arn:aws:iam::123456789012:role/app"
	raService     = "rolesanywhere.amazonaws.com"
	sessionARN    = "arn:aws:sts::123456789012:assumed-role/app/alice"
	otherAcctRole = "arn:aws:iam::210987654321:role/app"
)

func mustParse(tb testing.TB, doc string, kind Kind) *Policy {
	tb.Helper()
	p, err := ParseString(doc, kind)
	if err != nil {
		tb.Fatalf("ParseString: %v\n%s", err, doc)
	}
	return p
}

// ctx builds a Context; a nil map gives an empty one.
func ctx(keys map[string][]string) Context {
	if keys == nil {
		return Context{}
	}
	return NewContext(keys)
}

// checkResult compares a result with the expected decision, deciding
// statement (Allow, ExplicitDeny) or per-statement miss elements
// (ImplicitDeny).
func checkResult(t *testing.T, res Result, want Decision, wantStmt int, wantMisses []Element) {
	t.Helper()
	if res.Decision != want {
		t.Fatalf("decision = %v, want %v\nexplanation: %s", res.Decision, want, res)
	}
	switch want {
	case Allow, ExplicitDeny:
		if res.Statement.Index != wantStmt {
			t.Errorf("deciding statement = %d, want %d (%s)", res.Statement.Index, wantStmt, res)
		}
		if res.Misses != nil {
			t.Errorf("Misses = %v, want nil for %v", res.Misses, want)
		}
	case ImplicitDeny:
		if len(res.Misses) != len(wantMisses) {
			t.Fatalf("got %d misses, want %d: %s", len(res.Misses), len(wantMisses), res)
		}
		for i, m := range res.Misses {
			if m.Element != wantMisses[i] {
				t.Errorf("miss %d element = %v, want %v (%s)", i, m.Element, wantMisses[i], m)
			}
		}
	}
}

func TestKindAndDecisionStrings(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"kind/identity", IdentityPolicy.String(), "identity policy"},
		{"kind/trust", TrustPolicy.String(), "trust policy"},
		{"kind/zero", Kind(0).String(), "unknown policy kind"},
		{"decision/allow", Allow.String(), "allow"},
		{"decision/explicit", ExplicitDeny.String(), "explicit deny"},
		{"decision/implicit", ImplicitDeny.String(), "implicit deny"},
		{"decision/unknown", Decision(9).String(), "Decision(9)"},
		{"element/condition", ElementCondition.String(), "condition"},
		{"element/unknown", Element(0).String(), "Element(0)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}

func TestParseInvalidKind(t *testing.T) {
	_, err := ParseString(`{"Statement":[]}`, Kind(0))
	var me *MalformedError
	if err == nil || errors.As(err, &me) {
		t.Fatalf("err = %v, want a plain (non-MalformedError) error", err)
	}
}
