package iam

import (
	"errors"
	"fmt"
	"strings"

	"github.com/roam-dev/roam/internal/arn"
)

// Errors from ParseRoleARN and ParsePolicyARN.
var (
	// ErrInvalidARN: the string is not a role (or policy) ARN.
	ErrInvalidARN = errors.New("iam: invalid ARN")
	// ErrForeignARN: a well-formed ARN of another partition or account
	// (for policies, including AWS managed policies: arn:aws:iam::aws:...).
	// roam serves one account, so no such resource exists here.
	ErrForeignARN = errors.New("iam: ARN of another account")
)

// ParseRoleARN returns the path and name of the role that roleArn names
// (arn:PARTITION:iam::ACCOUNT:role/PATH/NAME) after checking that it
// belongs to scope's partition and account. It does not look the role up.
func ParseRoleARN(scope arn.Scope, roleArn string) (path, name string, err error) {
	return parseIAMARN(scope, roleArn, "role/", rolePathRule, roleNameRule)
}

// ParsePolicyARN returns the path and name of the customer managed policy
// that policyArn names (arn:PARTITION:iam::ACCOUNT:policy/PATH/NAME) after
// checking that it belongs to scope's partition and account.
func ParsePolicyARN(scope arn.Scope, policyArn string) (path, name string, err error) {
	return parseIAMARN(scope, policyArn, "policy/", policyPathRule, policyNameRule)
}

func parseIAMARN(scope arn.Scope, s, prefix string, pathRule, nameRule strRule) (path, name string, err error) {
	a, err := arn.Parse(s)
	if err != nil {
		return "", "", fmt.Errorf("%w %q", ErrInvalidARN, s)
	}
	rest, ok := strings.CutPrefix(a.Resource, prefix)
	if a.Service != "iam" || a.Region != "" || a.Account == "" || !ok {
		return "", "", fmt.Errorf("%w %q: not an IAM %s ARN", ErrInvalidARN, s, strings.TrimSuffix(prefix, "/"))
	}
	i := strings.LastIndexByte(rest, '/')
	path, name = "/"+rest[:i+1], rest[i+1:]
	var f form
	f.check("path", path, pathRule)
	f.check("name", name, nameRule)
	if f.errs != nil {
		return "", "", fmt.Errorf("%w %q: %s", ErrInvalidARN, s, strings.Join(f.errs, "; "))
	}
	if a.Partition != scope.Partition || a.Account != scope.Account {
		return "", "", fmt.Errorf("%w: %s", ErrForeignARN, s)
	}
	return path, name, nil
}
