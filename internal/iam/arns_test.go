package iam_test

import (
	"errors"
	"testing"

	"github.com/roam-dev/roam/internal/iam"
)

func TestParseARNs(t *testing.T) {
	tests := []struct {
		name               string
		parse              func(string) (string, string, error)
		arn                string
		wantPath, wantName string
		err                error
	}{
		{"ok/role", roleARN, "arn:aws:iam::123456789012:role/Deploy", "/", "Deploy", nil},
		{"ok/role with path", roleARN, "arn:aws:iam::123456789012:role/ci/prod/Deploy", "/ci/prod/", "Deploy", nil},
		{"ok/policy", policyARN, "arn:aws:iam::123456789012:policy/team/Read", "/team/", "Read", nil},
		{"error/other account", roleARN, "arn:aws:iam::210987654321:role/Deploy", "", "", iam.ErrForeignARN},
		{"error/other partition", roleARN, "arn:aws-cn:iam::123456789012:role/Deploy", "", "", iam.ErrForeignARN},
		{"error/aws managed policy", policyARN, "arn:aws:iam::aws:policy/ReadOnlyAccess", "", "", iam.ErrForeignARN},
		{"error/policy is not a role", roleARN, "arn:aws:iam::123456789012:policy/Read", "", "", iam.ErrInvalidARN},
		{"error/regional", roleARN, "arn:aws:iam:us-east-1:123456789012:role/Deploy", "", "", iam.ErrInvalidARN},
		{"error/other service", roleARN, "arn:aws:sts::123456789012:assumed-role/Deploy/s", "", "", iam.ErrInvalidARN},
		{"error/no name", roleARN, "arn:aws:iam::123456789012:role/ci/", "", "", iam.ErrInvalidARN},
		{"error/bad name", roleARN, "arn:aws:iam::123456789012:role/a b", "", "", iam.ErrInvalidARN},
		{"error/empty path segment", policyARN, "arn:aws:iam::123456789012:policy//Read", "", "", iam.ErrInvalidARN},
		{"error/no account", roleARN, "arn:aws:iam:::role/Deploy", "", "", iam.ErrInvalidARN},
		{"error/not an ARN", roleARN, "Deploy", "", "", iam.ErrInvalidARN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, name, err := tt.parse(tt.arn)
			if !errors.Is(err, tt.err) || path != tt.wantPath || name != tt.wantName {
				t.Errorf("got %q %q %v, want %q %q %v", path, name, err, tt.wantPath, tt.wantName, tt.err)
			}
		})
	}
}

func roleARN(s string) (string, string, error)   { return iam.ParseRoleARN(scope, s) }
func policyARN(s string) (string, string, error) { return iam.ParsePolicyARN(scope, s) }
