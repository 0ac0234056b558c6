package sigv4

import (
	"errors"
	"fmt"
)

// Kind classifies a verification failure so a server can choose the error
// code of its protocol. A Kind is itself an error, so
// errors.Is(err, sigv4.KindExpired) works on any error returned here.
type Kind int

const (
	// KindMissing: the request carries no SigV4 authentication at all.
	// rest-json: MissingAuthenticationTokenException; query: MissingAuthenticationToken.
	KindMissing Kind = iota + 1
	// KindIncomplete: the authentication is present but malformed (a missing
	// or broken Authorization part, no date, an unsupported algorithm).
	// rest-json: IncompleteSignatureException; query: IncompleteSignature.
	KindIncomplete
	// KindMismatch: the authentication is well formed but does not verify
	// (wrong signature, wrong credential scope, a signed header absent).
	// rest-json: InvalidSignatureException; query: SignatureDoesNotMatch.
	KindMismatch
	// KindExpired: the signing time is outside the accepted window, either
	// expired or not yet current. AWS reports it with the same codes as
	// KindMismatch (InvalidSignatureException / SignatureDoesNotMatch).
	KindExpired
)

// String returns a short, stable name for the kind.
func (k Kind) String() string {
	switch k {
	case KindMissing:
		return "missing-authentication"
	case KindIncomplete:
		return "incomplete-signature"
	case KindMismatch:
		return "signature-mismatch"
	case KindExpired:
		return "signature-expired"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error makes a Kind usable as an errors.Is target.
func (k Kind) Error() string { return "sigv4: " + k.String() }

// Messages AWS sends with the corresponding kinds.
const (
	// MessageMissingAuthentication is the text of MissingAuthenticationToken
	// (query protocol). rest-json services say "Missing Authentication Token".
	MessageMissingAuthentication = "Request is missing Authentication Token"
	// MessageSignatureMismatch is the text of SignatureDoesNotMatch /
	// InvalidSignatureException for a wrong signature.
	MessageSignatureMismatch = "The request signature we calculated does not match the signature you provided. " +
		"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
)

// Error is a verification failure. Message is worded like AWS's and is safe
// to return to the client; Detail, when set, is for the operator log only.
// Neither ever contains a secret key.
type Error struct {
	Kind    Kind
	Message string
	Detail  string
}

// Error returns the kind, the message and the detail.
func (e *Error) Error() string {
	if e.Detail == "" {
		return "sigv4: " + e.Kind.String() + ": " + e.Message
	}
	return "sigv4: " + e.Kind.String() + ": " + e.Message + " (" + e.Detail + ")"
}

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// KindOf returns the Kind of err, or 0 when err is not (or does not wrap) an
// *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return 0
}

func newError(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Message: fmt.Sprintf(format, args...)}
}

// maxEcho bounds how much client-supplied text an error message repeats.
const maxEcho = 1024

// echo returns client-supplied text for an error message, cut to maxEcho
// bytes so that a huge header cannot bloat responses and logs.
func echo(s string) string {
	if len(s) <= maxEcho {
		return s
	}
	return s[:maxEcho] + "..."
}
