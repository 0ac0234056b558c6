package sigv4x509

import "fmt"

// Reason is a stable, machine-readable cause of a verification failure, for
// metrics and logs. A Reason is itself an error, so
// errors.Is(err, sigv4x509.ReasonSerialMismatch) works.
type Reason string

// Reasons Verify reports.
const (
	ReasonAuthorizationMissing   Reason = "authorization.missing"
	ReasonAuthorizationMalformed Reason = "authorization.malformed"
	ReasonAlgorithmUnsupported   Reason = "algorithm.unsupported"
	ReasonScopeInvalid           Reason = "scope.invalid"
	ReasonDateMalformed          Reason = "date.malformed"
	ReasonDateSkew               Reason = "date.skew"
	ReasonHeaderUnsigned         Reason = "header.unsigned"
	ReasonHeaderMissing          Reason = "header.missing"
	ReasonQueryMalformed         Reason = "query.malformed"
	ReasonCertificateMalformed   Reason = "certificate.malformed"
	ReasonChainMalformed         Reason = "chain.malformed"
	ReasonChainTooLong           Reason = "chain.too_long"
	ReasonSerialMismatch         Reason = "serial.mismatch"
	ReasonKeyMismatch            Reason = "algorithm.key_mismatch"
	ReasonSignatureInvalid       Reason = "signature.invalid"
)

// Error makes a Reason usable as an errors.Is target.
func (r Reason) Error() string { return "sigv4x509: " + string(r) }

// Public messages, as AWS IAM Roles Anywhere words them in its
// AccessDeniedException.
const (
	MessageInvalidSignature     = "Invalid signature"
	MessageUntrustedCertificate = "Untrusted signing certificate"
)

// Error is a verification failure. Detail is for the operator log: it says
// which header, what was expected and what was received, but never holds key
// material. PublicMessage is what the client may see.
type Error struct {
	Reason Reason
	Detail string
	// Err is the underlying cause, if any (a parse error, a sigv4.Error).
	Err error
}

// Error returns the reason and the detail.
func (e *Error) Error() string { return "sigv4x509: " + string(e.Reason) + ": " + e.Detail }

// Unwrap returns the underlying cause.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's Reason.
func (e *Error) Is(target error) bool {
	r, ok := target.(Reason)
	return ok && r == e.Reason
}

// PublicMessage is the message for the client: failures about the
// certificate bytes themselves are "Untrusted signing certificate", every
// other signing failure is "Invalid signature".
func (e *Error) PublicMessage() string {
	switch e.Reason {
	case ReasonCertificateMalformed, ReasonChainMalformed, ReasonChainTooLong:
		return MessageUntrustedCertificate
	}
	return MessageInvalidSignature
}

func fail(r Reason, cause error, format string, args ...any) *Error {
	return &Error{Reason: r, Detail: fmt.Sprintf(format, args...), Err: cause}
}
