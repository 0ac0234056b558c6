package server

import (
	"errors"
	"net/http"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/auth"
)

// authCodes are each authentication failure's status and error codes in
// the two protocols.
var authCodes = map[auth.FailureKind]struct {
	status      int
	json, query string
}{
	auth.FailMissing:      {http.StatusForbidden, "MissingAuthenticationTokenException", "MissingAuthenticationToken"},
	auth.FailIncomplete:   {http.StatusBadRequest, "IncompleteSignatureException", "IncompleteSignature"},
	auth.FailSignature:    {http.StatusForbidden, "InvalidSignatureException", "SignatureDoesNotMatch"},
	auth.FailUnknownKey:   {http.StatusForbidden, "UnrecognizedClientException", "InvalidClientTokenId"},
	auth.FailExpiredToken: {http.StatusForbidden, "ExpiredTokenException", "ExpiredToken"},
}

// authError turns an authentication failure into the error its protocol
// uses: rest-json services (Roles Anywhere) and the query protocol (IAM,
// STS) name the same failures differently.
func authError(err error, query bool) error {
	var f *auth.Failure
	if !errors.As(err, &f) {
		return err
	}
	c := authCodes[f.Kind]
	code, msg := c.json, f.Message
	if query {
		code = c.query
	} else if f.Kind == auth.FailMissing {
		msg = "Missing Authentication Token"
	}
	if code == "" {
		return err
	}
	e := apierror.New(c.status, code, "%s", msg)
	e.Detail = f.Detail
	return e
}
