// Package apierror is roam's one error model for API handlers: an HTTP
// status, an AWS error code and a public message for the caller, and an
// internal cause that only reaches the server's log.
package apierror

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is an API error. Message is sent to the caller; Cause and Detail
// are for the operator only and never leave the server.
type Error struct {
	Status  int
	Code    string
	Message string
	// Detail explains the decision to the operator (logs, audit).
	Detail string
	// Cause is the underlying error, if any.
	Cause error
	// Sender is true for client faults (the query protocol's <Type>Sender).
	Sender bool
}

func (e *Error) Error() string {
	s := e.Code + ": " + e.Message
	if e.Detail != "" {
		s += " (" + e.Detail + ")"
	}
	if e.Cause != nil {
		s += ": " + e.Cause.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Cause }

// WithCause returns a copy of e wrapping cause.
func (e *Error) WithCause(cause error) *Error {
	c := *e
	c.Cause = cause
	return &c
}

// New returns an error with the given status, code and public message.
func New(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...), Sender: status < 500}
}

// As extracts an *Error from err. Any other error becomes a 500
// InternalFailure whose cause is err, so internals never reach the caller.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Code: "InternalFailure", Message: "The request processing has failed because of an unknown error, exception or failure.", Cause: err}
}

// Common errors of the rest-json APIs (Roles Anywhere).
func Validation(format string, args ...any) *Error {
	return New(http.StatusBadRequest, "ValidationException", format, args...)
}

func AccessDenied(format string, args ...any) *Error {
	return New(http.StatusForbidden, "AccessDeniedException", format, args...)
}

func NotFound(format string, args ...any) *Error {
	return New(http.StatusNotFound, "ResourceNotFoundException", format, args...)
}
