package sigv4

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// onTheWire serialises a client request as a client transport would and
// parses it back as a server does, returning the server's view and body.
func onTheWire(t *testing.T, r *http.Request) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatalf("write request: %v", err)
	}
	return buf.Bytes()
}

// readWire parses raw request bytes the way net/http's server does.
func readWire(t *testing.T, raw []byte) (*http.Request, []byte) {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("read request: %v", err)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return r, body
}

// verifyAll runs the whole server-side check: parse, clock, signature.
func verifyAll(r *http.Request, body []byte, secret string, now time.Time) (*Request, error) {
	req, err := ParseRequest(r, body)
	if err != nil {
		return nil, err
	}
	if err := req.CheckTime(now, DefaultMaxSkew); err != nil {
		return req, err
	}
	return req, req.Verify(secret)
}

// mutation changes a parsed server-side request (or the secret) in one way
// that must break verification.
type mutation struct {
	name   string
	mutate func(r *http.Request, body *[]byte, secret *string, now *time.Time)
	want   Kind
}

// mutations lists the tampering every valid request must resist: method,
// path, query, each signed header, body, date (inside and beyond the skew),
// signature and secret.
func mutations(t *testing.T, r *http.Request, signedHeaders []string) []mutation {
	t.Helper()
	ms := []mutation{
		{"method", func(r *http.Request, _ *[]byte, _ *string, _ *time.Time) {
			if r.Method == http.MethodGet {
				r.Method = http.MethodHead
			} else {
				r.Method = http.MethodGet
			}
		}, KindMismatch},
		{"path", func(r *http.Request, _ *[]byte, _ *string, _ *time.Time) {
			r.URL.RawPath = ""
			r.URL.Path += "x"
		}, KindMismatch},
		{"query", func(r *http.Request, _ *[]byte, _ *string, _ *time.Time) {
			if r.URL.RawQuery == "" {
				r.URL.RawQuery = "extra=1"
			} else {
				r.URL.RawQuery += "&extra=1"
			}
		}, KindMismatch},
		{"body", func(_ *http.Request, body *[]byte, _ *string, _ *time.Time) {
			*body = append(*body, ' ')
		}, KindMismatch},
		{"secret", func(_ *http.Request, _ *[]byte, secret *string, _ *time.Time) {
			*secret += "x"
		}, KindMismatch},
		{"clock beyond skew", func(_ *http.Request, _ *[]byte, _ *string, now *time.Time) {
			*now = now.Add(DefaultMaxSkew + time.Minute)
		}, KindExpired},
		{"clock behind beyond skew", func(_ *http.Request, _ *[]byte, _ *string, now *time.Time) {
			*now = now.Add(-DefaultMaxSkew - 2*time.Minute)
		}, KindExpired},
		{"signature", func(r *http.Request, _ *[]byte, _ *string, _ *time.Time) {
			if a := r.Header.Get("Authorization"); a != "" {
				r.Header.Set("Authorization", flipLastHex(a))
				return
			}
			q := r.URL.Query()
			q.Set(QuerySignature, flipLastHex(q.Get(QuerySignature)))
			r.URL.RawQuery = q.Encode()
		}, KindMismatch},
	}
	for _, h := range signedHeaders {
		ms = append(ms, mutation{"header " + h, func(r *http.Request, body *[]byte, _ *string, _ *time.Time) {
			switch h {
			case "host":
				r.Host = "evil.example:443"
			case "x-amz-date":
				d, err := ParseTime(r.Header.Get("X-Amz-Date"))
				if err != nil {
					t.Fatalf("x-amz-date: %v", err)
				}
				next := d.Add(time.Second)
				if next.Day() != d.Day() {
					next = d.Add(-time.Second)
				}
				r.Header.Set("X-Amz-Date", FormatTime(next))
			case "date":
				d, err := http.ParseTime(r.Header.Get("Date"))
				if err != nil {
					t.Fatalf("date: %v", err)
				}
				r.Header.Set("Date", d.Add(time.Second).Format(http.TimeFormat))
			case "content-length":
				r.Header.Set("Content-Length", "9999")
			default:
				r.Header.Set(h, r.Header.Get(h)+"x")
			}
		}, KindMismatch})
	}
	return ms
}

// flipLastHex changes the last hex digit of s.
func flipLastHex(s string) string {
	last := s[len(s)-1]
	repl := byte('0')
	if last == '0' {
		repl = '1'
	}
	return s[:len(s)-1] + string(repl)
}

// checkVerifiesAndResists asserts that raw verifies with secret at now and
// that every mutation makes it fail with the expected kind.
func checkVerifiesAndResists(t *testing.T, raw []byte, secret string, now time.Time) {
	t.Helper()
	r, body := readWire(t, raw)
	req, err := verifyAll(r, body, secret, now)
	if err != nil {
		if req != nil {
			t.Logf("canonical request:\n%s", req.CanonicalRequest)
		}
		t.Fatalf("valid request rejected: %v", err)
	}
	for _, m := range mutations(t, r, req.SignedHeaders) {
		t.Run("tamper/"+m.name, func(t *testing.T) {
			r, body := readWire(t, raw)
			s, n := secret, now
			m.mutate(r, &body, &s, &n)
			_, err := verifyAll(r, body, s, n)
			if err == nil {
				t.Fatal("tampered request verified")
			}
			if !errors.Is(err, m.want) {
				t.Fatalf("error %v, want kind %v", err, m.want)
			}
		})
	}
}
