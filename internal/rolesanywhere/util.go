package rolesanywhere

import (
	"github.com/roam-dev/roam/internal/auth"
)

// passRole is the iam:PassRole check for putting a role into a profile.
func passRole(roleArn string) auth.Request {
	return auth.Request{
		Action:   "iam:PassRole",
		Resource: roleArn,
		Context:  map[string][]string{"iam:PassedToService": {"rolesanywhere.amazonaws.com"}},
	}
}
