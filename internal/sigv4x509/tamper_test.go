package sigv4x509

import (
	"bytes"
	"crypto/x509"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/sigv4"
	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// tamper is one change to a valid request that Verify must refuse.
type tamper struct {
	name string
	raw  func(raw []byte) []byte  // edits the wire bytes
	body func(body []byte) []byte // edits the body after reading
	opts func(o *VerifyOptions)   // edits the verifier's options
	want Reason
}

// tampers lists, for a valid captured request, every change Verify must
// catch and the reason it must give.
func tampers(t *testing.T, raw []byte) []tamper {
	t.Helper()
	r, _ := readWire(t, raw)
	a, err := sigv4.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	when := signingTime(t, r)
	other := testpki.NewCA(t).Leaf(t) // a well-formed certificate with another serial
	withAuth := func(edit func(a *sigv4.Authorization)) func([]byte) []byte {
		return func(raw []byte) []byte {
			b := *a
			b.SignedHeaders = append([]string(nil), a.SignedHeaders...)
			edit(&b)
			return withHeader(raw, "Authorization", b.String())
		}
	}
	setHeader := func(name, value string) func([]byte) []byte {
		return func(raw []byte) []byte { return withHeader(raw, name, value) }
	}
	requestLine := func(old, new string) func([]byte) []byte {
		return func(raw []byte) []byte {
			line, rest, _ := bytes.Cut(raw, []byte("\r\n"))
			l := strings.Replace(string(line), old, new, 1)
			if l == string(line) {
				t.Fatalf("request line %q has no %q", line, old)
			}
			return append([]byte(l+"\r\n"), rest...)
		}
	}

	ts := []tamper{
		{name: "method", raw: requestLine("POST ", "PUT "), want: ReasonSignatureInvalid},
		{name: "query parameter added", raw: requestLine(" HTTP/1.1", "&durationSeconds=43200 HTTP/1.1"), want: ReasonSignatureInvalid},
		{name: "query value changed", raw: requestLine("profile%2Fb", "profile%2Fc"), want: ReasonSignatureInvalid},
		{name: "body", body: func(b []byte) []byte {
			return bytes.Replace(b, []byte(`"durationSeconds":`), []byte(`"durationSeconds":4`), 1)
		},
			want: ReasonSignatureInvalid},
		{name: "date beyond skew (header)", raw: setHeader(HeaderDate, sigv4.FormatTime(when.Add(-6*time.Minute))), want: ReasonDateSkew},
		{name: "date beyond skew (clock ahead)", opts: func(o *VerifyOptions) { o.Now = o.Now.Add(DefaultMaxSkew + time.Second) }, want: ReasonDateSkew},
		{name: "date beyond skew (clock behind)", opts: func(o *VerifyOptions) { o.Now = o.Now.Add(-DefaultMaxSkew - time.Second) }, want: ReasonDateSkew},
		{name: "date on another day", raw: setHeader(HeaderDate, sigv4.FormatTime(when.Add(-24*time.Hour))), want: ReasonScopeInvalid},
		{name: "date malformed", raw: setHeader(HeaderDate, when.Format(time.RFC3339)), want: ReasonDateMalformed},
		{name: "date absent", raw: setHeader(HeaderDate, ""), want: ReasonDateMalformed},
		{name: "serial", raw: withAuth(func(a *sigv4.Authorization) {
			n, _ := new(big.Int).SetString(a.ID, 10)
			a.ID = n.Add(n, big.NewInt(1)).String()
		}), want: ReasonSerialMismatch},
		{name: "serial not decimal", raw: withAuth(func(a *sigv4.Authorization) { a.ID = "0x" + a.ID }), want: ReasonSerialMismatch},
		{name: "serial of 156 digits", raw: withAuth(func(a *sigv4.Authorization) { a.ID = strings.Repeat("0", 156-len(a.ID)) + a.ID }), want: ReasonSerialMismatch},
		{name: "x-amz-x509 with a 65-octet serial", raw: setHeader(HeaderX509, b64(testpki.NewCA(t).Leaf(t, testpki.WithModify(func(c *x509.Certificate) {
			c.SerialNumber = new(big.Int).Lsh(big.NewInt(1), 8*MaxSerialOctets)
		})).Cert.Raw)), want: ReasonCertificateMalformed},
		{name: "signature byte", raw: withAuth(func(a *sigv4.Authorization) {
			b := []byte(a.Signature)
			b[len(b)/2] ^= 1 // '0'..'9' and 'a'..'f' stay hex digits under ^1
			a.Signature = string(b)
		}), want: ReasonSignatureInvalid},
		{name: "signature truncated", raw: withAuth(func(a *sigv4.Authorization) { a.Signature = a.Signature[:len(a.Signature)-2] }), want: ReasonSignatureInvalid},
		{name: "signature not hex", raw: withAuth(func(a *sigv4.Authorization) { a.Signature = "zz" + a.Signature[2:] }), want: ReasonSignatureInvalid},
		{name: "unknown algorithm", raw: withAuth(func(a *sigv4.Authorization) { a.Algorithm = "AWS4-X509-DSA-SHA256" }), want: ReasonAlgorithmUnsupported},
		{name: "HMAC algorithm", raw: withAuth(func(a *sigv4.Authorization) { a.Algorithm = sigv4.Algorithm }), want: ReasonAlgorithmUnsupported},
		{name: "algorithm of another key type", raw: withAuth(func(a *sigv4.Authorization) {
			if a.Algorithm == AlgorithmRSA {
				a.Algorithm = AlgorithmECDSA
			} else {
				a.Algorithm = AlgorithmRSA
			}
		}), want: ReasonKeyMismatch},
		{name: "scope service", raw: withAuth(func(a *sigv4.Authorization) { a.Scope.Service = "sts" }), want: ReasonScopeInvalid},
		{name: "scope terminator", raw: withAuth(func(a *sigv4.Authorization) { a.Scope.Terminator = "aws5_request" }), want: ReasonScopeInvalid},
		{name: "scope region", raw: withAuth(func(a *sigv4.Authorization) { a.Scope.Region = "xx-test-1" }), want: ReasonSignatureInvalid},
		{name: "x-amz-x509 not signed", raw: withAuth(func(a *sigv4.Authorization) {
			a.SignedHeaders = removeName(a.SignedHeaders, "x-amz-x509")
		}), want: ReasonHeaderUnsigned},
		{name: "signed header removed from request", raw: setHeader("Content-Type", ""), want: ReasonHeaderMissing},
		{name: "authorization absent", raw: setHeader("Authorization", ""), want: ReasonAuthorizationMissing},
		{name: "authorization malformed", raw: setHeader("Authorization", a.Algorithm+" Credential="+a.ID), want: ReasonAuthorizationMalformed},
		{name: "x-amz-x509 garbled", raw: setHeader(HeaderX509, "!"+r.Header.Get(HeaderX509)), want: ReasonCertificateMalformed},
		{name: "x-amz-x509 not a certificate", raw: setHeader(HeaderX509, b64([]byte("not DER"))), want: ReasonCertificateMalformed},
		{name: "x-amz-x509 another certificate", raw: setHeader(HeaderX509, b64(other.Cert.Raw)), want: ReasonSerialMismatch},
		{name: "chain sent but not signed", raw: setHeader(HeaderChain, b64(other.Cert.Raw)), want: ReasonHeaderUnsigned},
	}
	if _, ok := r.Header[HeaderChain]; ok {
		ts[len(ts)-1] = tamper{name: "x-amz-x509-chain another certificate", raw: setHeader(HeaderChain, b64(other.Cert.Raw)), want: ReasonSignatureInvalid}
		ts = append(ts,
			tamper{name: "x-amz-x509-chain garbled", raw: setHeader(HeaderChain, r.Header.Get(HeaderChain)+",@@"), want: ReasonChainMalformed},
			tamper{name: "x-amz-x509-chain not signed", raw: withAuth(func(a *sigv4.Authorization) {
				a.SignedHeaders = removeName(a.SignedHeaders, "x-amz-x509-chain")
			}), want: ReasonHeaderUnsigned},
		)
	}
	// Every other signed header, changed in place.
	for _, h := range a.SignedHeaders {
		switch h {
		case "host":
			if r.URL.Host != "" {
				// Absolute-form request (sent through a proxy): the URI's
				// authority is the host, and the Host header is ignored.
				ts = append(ts, tamper{name: "host in absolute URI", raw: requestLine(r.URL.Host, "evil.example:443"), want: ReasonSignatureInvalid})
				break
			}
			ts = append(ts, tamper{name: "header host", raw: setHeader("Host", "evil.example:443"), want: ReasonSignatureInvalid})
		case "x-amz-date":
			next := when.Add(time.Second)
			if next.Day() != when.Day() {
				next = when.Add(-time.Second)
			}
			ts = append(ts, tamper{name: "header x-amz-date within skew", raw: setHeader(HeaderDate, sigv4.FormatTime(next)), want: ReasonSignatureInvalid})
		case "x-amz-x509", "x-amz-x509-chain":
			// covered above
		default:
			ts = append(ts, tamper{name: "header " + h, raw: setHeader(h, r.Header.Get(h)+"x"), want: ReasonSignatureInvalid})
		}
	}
	return ts
}

func removeName(names []string, name string) []string {
	var out []string
	for _, n := range names {
		if n != name {
			out = append(out, n)
		}
	}
	return out
}

// checkTampering asserts that raw verifies and that each tamper fails with
// its reason and the matching public message.
func checkTampering(t *testing.T, raw []byte) {
	t.Helper()
	for _, tc := range tampers(t, raw) {
		t.Run(tc.name, func(t *testing.T) {
			mod := raw
			if tc.raw != nil {
				mod = tc.raw(raw)
			}
			r, body := readWire(t, mod)
			if tc.body != nil {
				body = tc.body(body)
			}
			orig, _ := readWire(t, raw)
			opts := VerifyOptions{Now: signingTime(t, orig)}
			if tc.opts != nil {
				tc.opts(&opts)
			}
			_, err := Verify(r, body, opts)
			var e *Error
			if !errors.As(err, &e) || e.Reason != tc.want || !errors.Is(err, tc.want) {
				t.Fatalf("error %v, want reason %s", err, tc.want)
			}
			want := MessageInvalidSignature
			if tc.want == ReasonCertificateMalformed || tc.want == ReasonChainMalformed || tc.want == ReasonChainTooLong {
				want = MessageUntrustedCertificate
			}
			if e.PublicMessage() != want {
				t.Fatalf("public message %q, want %q", e.PublicMessage(), want)
			}
		})
	}
}

// TestVectorsTampering applies every tamper to every captured request.
func TestVectorsTampering(t *testing.T) {
	for _, v := range loadVectors(t, testenv.Vectors(t)) {
		t.Run(v.name, func(t *testing.T) {
			r, body := v.request(t)
			if _, err := Verify(r, body, VerifyOptions{Now: signingTime(t, r)}); err != nil {
				t.Fatalf("untampered request: %v", err)
			}
			checkTampering(t, v.raw)
		})
	}
}
