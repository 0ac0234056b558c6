package policy

import "fmt"

// Messages IAM returns with MalformedPolicyDocument for the cases Parse
// detects. Message of a [MalformedError] is always one of these (or one of
// the formatted variants built from them).
const (
	msgSyntax               = "Syntax errors in policy."
	msgVersion              = "The policy failed legacy parsing"
	msgPrincipalProhibited  = "Policy document should not specify a principal."
	msgPrincipalRequired    = "Missing required field Principal"
	msgNoActions            = "Policy statement must contain actions."
	msgNoResources          = "Policy statement must contain resources."
	msgDuplicateSid         = "Statement IDs (SID) in a single policy must be unique."
	msgSidChars             = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgVendor               = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgInvalidPrincipalPart = "Invalid principal in policy: "
)

// MalformedError reports a document Parse rejected. Message is the text IAM
// returns with MalformedPolicyDocument (e.g. "Syntax errors in policy.");
// Path and Detail pinpoint the problem for humans.
type MalformedError struct {
	// Message is IAM's message for this class of error, suitable for the
	// MalformedPolicyDocument error's message as-is.
	Message string
	// Path locates the offending element, e.g. "Statement[1].Condition".
	// Empty for problems with the document as a whole.
	Path string
	// Detail says exactly what is wrong.
	Detail string
}

// Error returns Message followed by the path and detail, e.g.
// `Syntax errors in policy. (Statement[0].Condition: unknown condition
// operator "StringEqualz")`.
func (e *MalformedError) Error() string {
	switch {
	case e.Detail == "":
		return e.Message
	case e.Path == "":
		return e.Message + " (" + e.Detail + ")"
	}
	return e.Message + " (" + e.Path + ": " + e.Detail + ")"
}

func malformed(msg, path, format string, args ...any) *MalformedError {
	return &MalformedError{Message: msg, Path: path, Detail: fmt.Sprintf(format, args...)}
}

func syntaxErr(path, format string, args ...any) *MalformedError {
	return malformed(msgSyntax, path, format, args...)
}
