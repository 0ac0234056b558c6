package iam

import (
	"errors"
	"net/http"

	"github.com/roam-dev/roam/internal/apierror"
)

// IAM's error codes and HTTP statuses, from the service model. Messages
// follow IAM's wording.

func validationError(format string, args ...any) *apierror.Error {
	return apierror.New(http.StatusBadRequest, "ValidationError", format, args...)
}

func invalidInput(format string, args ...any) *apierror.Error {
	return apierror.New(http.StatusBadRequest, "InvalidInput", format, args...)
}

func noSuchEntity(format string, args ...any) *apierror.Error {
	return apierror.New(http.StatusNotFound, "NoSuchEntity", format, args...)
}

func entityAlreadyExists(format string, args ...any) *apierror.Error {
	return apierror.New(http.StatusConflict, "EntityAlreadyExists", format, args...)
}

func deleteConflict(format string, args ...any) *apierror.Error {
	return apierror.New(http.StatusConflict, "DeleteConflict", format, args...)
}

func limitExceeded(format string, args ...any) *apierror.Error {
	return apierror.New(http.StatusConflict, "LimitExceeded", format, args...)
}

func malformedPolicyDocument(message string) *apierror.Error {
	return apierror.New(http.StatusBadRequest, "MalformedPolicyDocument", "%s", message)
}

func invalidAction(action, version string) *apierror.Error {
	return apierror.New(http.StatusBadRequest, "InvalidAction", "Could not find operation %s for version %s", action, version)
}

// serviceFailure is IAM's internal error; the cause stays in the logs.
func serviceFailure(cause error) *apierror.Error {
	return apierror.New(http.StatusInternalServerError, "ServiceFailure", "Request processing has failed due to an unknown error, exception or failure.").WithCause(cause)
}

func invalidARN(s string) *apierror.Error {
	return invalidInput("ARN %s is not valid.", s)
}

// queryError turns any error into the error IAM would send: API errors
// as they are (the XML writer names an access denial AccessDenied),
// anything else a ServiceFailure.
func queryError(err error) *apierror.Error {
	var e *apierror.Error
	if !errors.As(err, &e) {
		return serviceFailure(err)
	}
	return e
}
