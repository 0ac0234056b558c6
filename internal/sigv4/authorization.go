package sigv4

import (
	"slices"
	"strings"
)

// Authorization is a parsed SigV4-style Authorization header, shared by
// AWS4-HMAC-SHA256 and the AWS4-X509-* algorithms:
//
//	<Algorithm> Credential=<id>/<date>/<region>/<service>/<terminator>, SignedHeaders=a;b;c, Signature=<hex>
type Authorization struct {
	Algorithm string
	// ID is the first Credential element: an access key ID, or for
	// AWS4-X509-* the certificate serial in decimal.
	ID            string
	Scope         Scope
	SignedHeaders []string
	// Signature is the hex signature as sent.
	Signature string
}

// String formats the header the way the AWS SDKs do, with ", " separators.
func (a *Authorization) String() string {
	return a.Algorithm + " Credential=" + a.ID + "/" + a.Scope.String() +
		", SignedHeaders=" + strings.Join(a.SignedHeaders, ";") +
		", Signature=" + a.Signature
}

// ParseAuthorization parses an Authorization header value of any SigV4-style
// algorithm; the caller checks Algorithm and the scope. Parameters may be
// separated by "," or ", " (any mix of commas and spaces); unknown
// parameters are ignored. The errors are *Error values of KindMissing (empty
// header) or KindIncomplete, worded like AWS's IncompleteSignature messages,
// naming what is missing or broken.
func ParseAuthorization(header string) (*Authorization, error) {
	a, missing, err := parseAuthorization(header)
	if err != nil {
		return nil, err
	}
	if missing != "" {
		return nil, &Error{Kind: KindIncomplete, Message: missing + "Authorization=" + echo(strings.TrimSpace(header))}
	}
	return a, nil
}

// parseAuthorization does the work of ParseAuthorization but reports missing
// parameters as a message prefix (each sentence ending in ". ") so that
// ParseRequest can add the missing-date sentence the way AWS does.
func parseAuthorization(header string) (a *Authorization, missing string, err error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return nil, "", &Error{Kind: KindMissing, Message: MessageMissingAuthentication}
	}
	alg, rest, _ := strings.Cut(header, " ")
	a = &Authorization{Algorithm: alg}

	var credential, signedHeaders, signature string
	var haveCredential, haveSignedHeaders, haveSignature bool
	for tok := range strings.FieldsFuncSeq(rest, func(r rune) bool { return r == ',' || r == ' ' }) {
		k, v, ok := strings.Cut(tok, "=")
		if !ok {
			return nil, "", newError(KindIncomplete,
				"'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", echo(tok), echo(header))
		}
		var dst *string
		var have *bool
		switch k {
		case "Credential":
			dst, have = &credential, &haveCredential
		case "SignedHeaders":
			dst, have = &signedHeaders, &haveSignedHeaders
		case "Signature":
			dst, have = &signature, &haveSignature
		default:
			continue
		}
		if *have {
			return nil, "", newError(KindIncomplete, "Authorization header has more than one '%s' parameter. Authorization=%s", k, echo(header))
		}
		*dst, *have = v, true
	}

	if !haveCredential {
		missing += "Authorization header requires 'Credential' parameter. "
	}
	if !haveSignature {
		missing += "Authorization header requires 'Signature' parameter. "
	}
	if !haveSignedHeaders {
		missing += "Authorization header requires 'SignedHeaders' parameter. "
	}
	if missing != "" {
		return nil, missing, nil
	}

	if err := a.setCredential(credential); err != nil {
		return nil, "", err
	}
	if a.SignedHeaders, err = parseSignedHeaders(signedHeaders); err != nil {
		return nil, "", err
	}
	if signature == "" {
		return nil, "", newError(KindIncomplete, "Authorization header has an empty 'Signature' parameter. Authorization=%s", echo(header))
	}
	a.Signature = signature
	return a, "", nil
}

// setCredential splits id/date/region/service/terminator into a.
func (a *Authorization) setCredential(credential string) error {
	parts := strings.Split(credential, "/")
	if len(parts) != 5 || slices.Contains(parts, "") {
		return newError(KindIncomplete,
			"Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '%s'", echo(credential))
	}
	if !validScopeDate(parts[1]) {
		return newError(KindIncomplete, "Credential date '%s' is not in YYYYMMDD format.", echo(parts[1]))
	}
	a.ID = parts[0]
	a.Scope = Scope{Date: parts[1], Region: parts[2], Service: parts[3], Terminator: parts[4]}
	return nil
}

// parseSignedHeaders splits "a;b;c", refusing empty and repeated names.
func parseSignedHeaders(s string) ([]string, error) {
	if s == "" {
		return nil, newError(KindIncomplete, "SignedHeaders must list at least one header.")
	}
	names := strings.Split(s, ";")
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if n == "" {
			return nil, newError(KindIncomplete, "SignedHeaders '%s' contains an empty header name.", echo(s))
		}
		ln := strings.ToLower(n)
		if seen[ln] {
			return nil, newError(KindIncomplete, "SignedHeaders '%s' lists '%s' more than once.", echo(s), echo(ln))
		}
		seen[ln] = true
	}
	return names, nil
}
