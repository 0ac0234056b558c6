package rolesanywhere

import (
	"encoding/json"

	"github.com/roam-dev/roam/internal/auth"
)

// jsonObject reports whether s is a JSON object.
func jsonObject(s string) bool {
	var m map[string]json.RawMessage
	return json.Unmarshal([]byte(s), &m) == nil
}

// passRole is the iam:PassRole check for putting a role into a profile.
func passRole(roleArn string) auth.Request {
	return auth.Request{
		Action:   "iam:PassRole",
		Resource: roleArn,
		Context:  map[string][]string{"iam:PassedToService": {"rolesanywhere.amazonaws.com"}},
	}
}
