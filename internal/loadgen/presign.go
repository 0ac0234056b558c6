package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/roam-dev/roam/internal/helper"
	"github.com/roam-dev/roam/internal/sigv4x509"
)

// Prepared is one signed request, replayed as is. Its fields are shared by
// every worker and must not be modified.
type Prepared struct {
	Method string
	URL    *url.URL
	Header http.Header
	Body   []byte
}

// request builds a fresh *http.Request for one send of p.
func (p *Prepared) request(ctx context.Context) *http.Request {
	body := p.Body
	req := &http.Request{
		Method:        p.Method,
		URL:           p.URL,
		Host:          p.URL.Host,
		Header:        p.Header,
		Body:          io.NopCloser(bytes.NewReader(body)),
		ContentLength: int64(len(body)),
		GetBody:       func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil },
	}
	return req.WithContext(ctx)
}

// SignFunc signs a fresh set of requests at time now. Each call must
// return requests that are valid for the server's allowed clock skew
// from now.
type SignFunc func(now time.Time) ([]*Prepared, error)

// CreateSession is the CreateSession call a load replays, built by the
// credential helper's own [helper.NewCreateSessionRequest] and signed with
// SigV4-X509, as the first attempt of a call.
type CreateSession struct {
	// Params are the call's ARNs, session duration and name, signing
	// region (default: the trust anchor's) and Endpoint, the base URL
	// (scheme, host and an optional path prefix).
	helper.Params
	Identity  sigv4x509.Identity
	UserAgent string
	// Debug, when set, receives the canonical request and string to sign
	// of the first request of each signing: never a key.
	Debug io.Writer
}

// Signer returns a SignFunc that signs n distinct CreateSession requests,
// each with its own invocation ID, as if each were the first attempt of a
// separate call.
func (c *CreateSession) Signer(n int) SignFunc {
	return func(now time.Time) ([]*Prepared, error) {
		if n <= 0 {
			return nil, errors.New("loadgen: the pool needs at least one request")
		}
		region, err := c.SigningRegion()
		if err != nil {
			return nil, fmt.Errorf("loadgen: %w", err)
		}
		out := make([]*Prepared, n)
		for i := range out {
			req, body, err := helper.NewCreateSessionRequest(context.Background(), c.Endpoint, &c.Params, uuid.NewString(), 1, 3)
			if err != nil {
				return nil, fmt.Errorf("loadgen: %w", err)
			}
			signed, err := sigv4x509.Sign(req, body, c.Identity, region, now)
			if err != nil {
				return nil, err
			}
			if i == 0 && c.Debug != nil {
				fmt.Fprintf(c.Debug, "CreateSession %s %s\n--- canonical request ---\n%s\n--- string to sign ---\n%s\n---\n", req.Method, req.URL, signed.CanonicalRequest, signed.StringToSign)
			}
			if c.UserAgent != "" {
				req.Header.Set("User-Agent", c.UserAgent)
			}
			out[i] = &Prepared{Method: req.Method, URL: req.URL, Header: req.Header, Body: body}
		}
		return out, nil
	}
}

// pool holds the current set of pre-signed requests and replaces it,
// atomically, with a freshly signed one at an interval: the signature
// covers X-Amz-Date, which the server accepts only within its allowed
// clock skew.
type pool struct {
	sign     SignFunc
	clock    Clock
	current  atomic.Pointer[[]*Prepared]
	resigns  atomic.Int64
	failures atomic.Int64
	lastErr  atomic.Pointer[error]
}

// newPool signs the first set of requests.
func newPool(sign SignFunc, clock Clock) (*pool, error) {
	p := &pool{sign: sign, clock: clock}
	reqs, err := sign(clock.Now())
	if err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		return nil, errors.New("loadgen: the signer returned no requests")
	}
	p.current.Store(&reqs)
	return p, nil
}

// get returns the request for slot: the pool's requests in turn.
func (p *pool) get(slot int64) *Prepared {
	reqs := *p.current.Load()
	return reqs[slot%int64(len(reqs))]
}

// size is the number of requests in the pool.
func (p *pool) size() int { return len(*p.current.Load()) }

// resign signs a new set and swaps it in; on failure the old set stays.
func (p *pool) resign() {
	reqs, err := p.sign(p.clock.Now())
	if err == nil && len(reqs) == 0 {
		err = errors.New("loadgen: the signer returned no requests")
	}
	if err != nil {
		p.failures.Add(1)
		p.lastErr.Store(&err)
		return
	}
	p.current.Store(&reqs)
	p.resigns.Add(1)
}

// refresh re-signs every interval until ctx is done.
func (p *pool) refresh(ctx context.Context, every time.Duration) {
	for p.clock.Sleep(ctx, every) == nil {
		p.resign()
	}
}
