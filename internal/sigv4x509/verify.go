package sigv4x509

import (
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/roam-dev/roam/internal/sigv4"
)

// MaxSerialOctets bounds the leaf's serial number. RFC 5280 allows 20
// octets; non-conforming CAs go beyond, so the bound is generous, but an
// unbounded serial would let any caller make the server convert a huge
// number to decimal before any signature is checked.
const MaxSerialOctets = 64

// maxSerialDigits is the most decimal digits a MaxSerialOctets serial has:
// 2^512 has 155.
const maxSerialDigits = 155

// VerifyOptions set the clock and the few knobs of [Verify].
type VerifyOptions struct {
	// Now is the current time; required.
	Now time.Time
	// MaxSkew is how far X-Amz-Date may be from Now either way;
	// DefaultMaxSkew (5 minutes) when zero.
	MaxSkew time.Duration
	// CanonicalURI is the path the client signed; CanonicalURI
	// ("/sessions") when empty, whatever path the request arrived on.
	CanonicalURI string
	// ParseCertificate parses the DER of X-Amz-X509 and each
	// X-Amz-X509-Chain entry; x509.ParseCertificate when nil. A server
	// passes a caching parser, since clients send the same certificates
	// again and again. The certificates it returns must not be modified.
	ParseCertificate func(der []byte) (*x509.Certificate, error)
	// PublicKey decodes the leaf's public key; [PublicKey] when nil. A
	// server passes a caching one: decoding an ML-DSA key costs more than
	// verifying a signature with it.
	PublicKey func(*x509.Certificate) (crypto.PublicKey, error)
}

// Verified is a request whose signature checked out.
type Verified struct {
	Algorithm string
	// Certificate is the leaf from X-Amz-X509; its serial matched the
	// Credential and its key verified the signature.
	Certificate *x509.Certificate
	// PublicKey is the leaf's key (set also for ML-DSA, where
	// Certificate.PublicKey is nil).
	PublicKey crypto.PublicKey
	// Chain holds the X-Amz-X509-Chain certificates as sent: an unordered
	// bag of candidate intermediates that may repeat the leaf or hold
	// unrelated certificates. Nothing here is trusted yet.
	Chain            []*x509.Certificate
	SigningTime      time.Time
	Region           string
	SignedHeaders    []string
	CanonicalRequest string
	StringToSign     string
}

// Verify checks the AWS4-X509 signature of a CreateSession request; body is
// the request body, already read. In order it checks the Authorization
// header, the algorithm, the credential scope (service rolesanywhere,
// terminator aws4_request, date equal to X-Amz-Date's), that x-amz-x509 and
// x-amz-x509-chain (when sent) are signed, the X-Amz-Date format and skew,
// the certificate and chain encoding (at most 5 chain entries), that the
// Credential serial is the leaf's, that the algorithm fits the leaf's key,
// and finally the signature over the canonical request rebuilt from exactly
// the listed SignedHeaders. Errors are *Error values.
//
// Verify does not validate the certificate (dates, chain, revocation): that
// belongs to the trust anchor check that follows.
func Verify(r *http.Request, body []byte, opts VerifyOptions) (*Verified, error) {
	if opts.Now.IsZero() {
		return nil, errors.New("sigv4x509: verify: VerifyOptions.Now is required")
	}
	if opts.MaxSkew == 0 {
		opts.MaxSkew = DefaultMaxSkew
	}
	if opts.CanonicalURI == "" {
		opts.CanonicalURI = CanonicalURI
	}

	authz := r.Header.Values("Authorization")
	switch len(authz) {
	case 0:
		return nil, fail(ReasonAuthorizationMissing, nil, "no Authorization header")
	case 1:
	default:
		return nil, fail(ReasonAuthorizationMalformed, nil, "%d Authorization headers", len(authz))
	}
	a, err := sigv4.ParseAuthorization(authz[0])
	if err != nil {
		var se *sigv4.Error
		if errors.As(err, &se) {
			return nil, fail(ReasonAuthorizationMalformed, err, "%s", truncate(se.Message, 300))
		}
		return nil, fail(ReasonAuthorizationMalformed, err, "%v", err)
	}
	switch a.Algorithm {
	case AlgorithmRSA, AlgorithmECDSA, AlgorithmMLDSA:
	default:
		return nil, fail(ReasonAlgorithmUnsupported, nil, "algorithm %q", truncate(a.Algorithm, 64))
	}

	amzDate, err := singleHeader(r, HeaderDate)
	if err != nil {
		return nil, fail(ReasonDateMalformed, nil, "%v", err)
	}
	t, err := sigv4.ParseTime(amzDate)
	if err != nil {
		return nil, fail(ReasonDateMalformed, err, "X-Amz-Date %q is not YYYYMMDD'T'HHMMSS'Z'", truncate(amzDate, 64))
	}

	switch s := a.Scope; {
	case s.Service != Service:
		return nil, fail(ReasonScopeInvalid, nil, "credential scope service %q, want %q", truncate(s.Service, 64), Service)
	case s.Terminator != sigv4.Terminator:
		return nil, fail(ReasonScopeInvalid, nil, "credential scope terminator %q, want %q", truncate(s.Terminator, 64), sigv4.Terminator)
	case s.Date != amzDate[:8]:
		return nil, fail(ReasonScopeInvalid, nil, "credential scope date %s differs from X-Amz-Date %s", s.Date, amzDate)
	}

	_, hasChain := r.Header[HeaderChain]
	for _, h := range []string{"x-amz-x509", "x-amz-x509-chain"} {
		if h == "x-amz-x509-chain" && !hasChain {
			continue
		}
		if !slices.ContainsFunc(a.SignedHeaders, func(s string) bool { return strings.EqualFold(s, h) }) {
			return nil, fail(ReasonHeaderUnsigned, nil, "%s is not in SignedHeaders %q", h, strings.Join(a.SignedHeaders, ";"))
		}
	}

	if err := sigv4.CheckTime(t, opts.Now, opts.MaxSkew); err != nil {
		return nil, fail(ReasonDateSkew, err, "X-Amz-Date %s is %s away from now (%s), more than %s",
			amzDate, absDuration(opts.Now.Sub(t)).Truncate(time.Second), sigv4.FormatTime(opts.Now), opts.MaxSkew)
	}

	parse := opts.ParseCertificate
	if parse == nil {
		parse = x509.ParseCertificate
	}
	leaf, err := parseLeaf(r, parse)
	if err != nil {
		return nil, err
	}
	// Decimal conversion of a serial costs time quadratic in its length:
	// bound both serials before either is converted.
	if n := leaf.SerialNumber.BitLen(); n > 8*MaxSerialOctets {
		return nil, fail(ReasonCertificateMalformed, nil, "X-Amz-X509 has a %d-bit serial number; at most %d octets are accepted (RFC 5280 allows 20)", n, MaxSerialOctets)
	}
	chain, err := parseChain(r, parse)
	if err != nil {
		return nil, err
	}

	if len(a.ID) > maxSerialDigits {
		return nil, fail(ReasonSerialMismatch, nil, "credential serial has %d digits; a serial of at most %d octets has at most %d", len(a.ID), MaxSerialOctets, maxSerialDigits)
	}
	serial, ok := new(big.Int).SetString(a.ID, 10)
	if !ok || strings.HasPrefix(a.ID, "+") {
		return nil, fail(ReasonSerialMismatch, nil, "credential serial %q is not a decimal integer", truncate(a.ID, 80))
	}
	if serial.Cmp(leaf.SerialNumber) != 0 {
		return nil, fail(ReasonSerialMismatch, nil, "credential serial %s, X-Amz-X509 serial %s", truncate(a.ID, 80), leaf.SerialNumber)
	}

	publicKey := opts.PublicKey
	if publicKey == nil {
		publicKey = PublicKey
	}
	pub, err := publicKey(leaf)
	if err != nil {
		return nil, fail(ReasonKeyMismatch, err, "leaf public key: %v", err)
	}
	if want, err := AlgorithmFor(pub); err != nil || want != a.Algorithm {
		return nil, fail(ReasonKeyMismatch, err, "algorithm %s does not fit the leaf's %s key", a.Algorithm, keyTypeName(pub))
	}

	query, err := sigv4.CanonicalQuery(r.URL.RawQuery)
	if err != nil {
		return nil, fail(ReasonQueryMalformed, err, "%v", err)
	}
	headers, signedHeaders, err := sigv4.CanonicalHeaders(r, a.SignedHeaders)
	if err != nil {
		return nil, fail(ReasonHeaderMissing, err, "%v", err)
	}
	sig, err := hex.DecodeString(a.Signature)
	if err != nil {
		return nil, fail(ReasonSignatureInvalid, err, "signature is not hex")
	}
	payloadHash := sigv4.HashHex(body)
	cr := sigv4.CanonicalRequest(r.Method, opts.CanonicalURI, query, headers, signedHeaders, payloadHash)
	sts := sigv4.StringToSign(a.Algorithm, amzDate, a.Scope, cr)
	err = verifyStringToSign(pub, a.Algorithm, sts, sig)
	if err != nil {
		// aws_signing_helper encodes repeated query names in request order
		// rather than sorted by value; accept that form too.
		if hq, herr := helperQuery(r.URL.RawQuery); herr == nil && hq != query {
			cr2 := sigv4.CanonicalRequest(r.Method, opts.CanonicalURI, hq, headers, signedHeaders, payloadHash)
			sts2 := sigv4.StringToSign(a.Algorithm, amzDate, a.Scope, cr2)
			if verifyStringToSign(pub, a.Algorithm, sts2, sig) == nil {
				cr, sts, err = cr2, sts2, nil
			}
		}
	}
	if err != nil {
		return nil, fail(ReasonSignatureInvalid, err, "%s signature by serial %s does not verify (string to sign %s)",
			a.Algorithm, leaf.SerialNumber, sigv4.HashHex([]byte(sts))[:16])
	}
	return &Verified{
		Algorithm:        a.Algorithm,
		Certificate:      leaf,
		PublicKey:        pub,
		Chain:            chain,
		SigningTime:      t,
		Region:           a.Scope.Region,
		SignedHeaders:    a.SignedHeaders,
		CanonicalRequest: cr,
		StringToSign:     sts,
	}, nil
}

// singleHeader returns the one value of a header that must appear once.
func singleHeader(r *http.Request, name string) (string, error) {
	vs := r.Header.Values(name)
	switch {
	case len(vs) == 0 || len(vs) == 1 && vs[0] == "":
		return "", errors.New(name + " header is absent")
	case len(vs) > 1:
		return "", errors.New(name + " header appears more than once")
	}
	return vs[0], nil
}

// parseLeaf decodes X-Amz-X509: standard base64 of one DER certificate.
func parseLeaf(r *http.Request, parse func([]byte) (*x509.Certificate, error)) (*x509.Certificate, error) {
	v, err := singleHeader(r, HeaderX509)
	if err != nil {
		return nil, fail(ReasonCertificateMalformed, nil, "%v", err)
	}
	der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v))
	if err != nil {
		return nil, fail(ReasonCertificateMalformed, err, "X-Amz-X509 is not standard base64: %v", err)
	}
	cert, err := parse(der)
	if err != nil {
		return nil, fail(ReasonCertificateMalformed, err, "X-Amz-X509: %v", err)
	}
	return cert, nil
}

// parseChain decodes X-Amz-X509-Chain: up to MaxChainLength comma-separated
// base64 DER certificates. Absent means no chain.
func parseChain(r *http.Request, parse func([]byte) (*x509.Certificate, error)) ([]*x509.Certificate, error) {
	vs := r.Header.Values(HeaderChain)
	if len(vs) == 0 {
		return nil, nil
	}
	if len(vs) > 1 {
		return nil, fail(ReasonChainMalformed, nil, "X-Amz-X509-Chain header appears %d times", len(vs))
	}
	if strings.Count(vs[0], ",") >= MaxChainLength {
		return nil, fail(ReasonChainTooLong, nil, "X-Amz-X509-Chain holds %d entries, at most %d allowed",
			strings.Count(vs[0], ",")+1, MaxChainLength)
	}
	parts := strings.Split(vs[0], ",")
	chain := make([]*x509.Certificate, 0, len(parts))
	for i, p := range parts {
		der, err := base64.StdEncoding.DecodeString(strings.TrimSpace(p))
		if err != nil {
			return nil, fail(ReasonChainMalformed, err, "X-Amz-X509-Chain entry %d is not standard base64: %v", i+1, err)
		}
		if len(der) == 0 {
			return nil, fail(ReasonChainMalformed, nil, "X-Amz-X509-Chain entry %d is empty", i+1)
		}
		c, err := parse(der)
		if err != nil {
			return nil, fail(ReasonChainMalformed, err, "X-Amz-X509-Chain entry %d: %v", i+1, err)
		}
		chain = append(chain, c)
	}
	return chain, nil
}

func keyTypeName(pub crypto.PublicKey) string {
	alg, err := AlgorithmFor(pub)
	if err != nil {
		return "unsupported"
	}
	switch alg {
	case AlgorithmRSA:
		return "RSA"
	case AlgorithmECDSA:
		return "ECDSA"
	}
	return "ML-DSA"
}

func absDuration(d time.Duration) time.Duration {
	if d < 0 {
		return -d
	}
	return d
}

// truncate shortens attacker-controlled text before it reaches a log.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
