package helper

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// RefreshAhead is how long before expiry serve and update replace
// credentials, as aws_signing_helper does; credential-process --cache
// stops reusing cached credentials then too.
const RefreshAhead = 5 * time.Minute

// refreshAt is when credentials issued at issued and expiring at expires
// should be replaced: RefreshAhead before expiry, but never in the first
// half of their lifetime, so short sessions are not refreshed in a loop
// (aws_signing_helper's update refreshes a 302-second session every 2
// seconds).
func refreshAt(issued, expires time.Time) time.Time {
	at := expires.Add(-RefreshAhead)
	if half := issued.Add(expires.Sub(issued) / 2); at.Before(half) {
		return half
	}
	return at
}

// RefresherConfig configures a [Refresher].
type RefresherConfig struct {
	// Fetch obtains new credentials: one CreateSession call (with its own
	// retries). Required.
	Fetch func(ctx context.Context) (*Credentials, error)
	// OnRefresh, when set, runs after every successful fetch, before the
	// credentials are handed out; next is when the next refresh is due.
	// update writes the credentials file here. An error counts as a failed
	// refresh.
	OnRefresh func(ctx context.Context, c *Credentials, next time.Time) error
	// Now is the clock. Required.
	Now func() time.Time
	// After waits like time.After; nil means time.After. Tests pass a fake
	// to run the refresh loop without waiting.
	After func(time.Duration) <-chan time.Time
	// RetryDelay is the wait after the n-th consecutive failed refresh
	// (n ≥ 1); nil means 5 s doubling up to 1 minute.
	RetryDelay func(n int) time.Duration
	// Logger receives refresh failures; nil discards them.
	Logger *Logger
}

// Refresher holds the temporary credentials of serve and update and
// replaces them before they expire:
//
//   - Start fetches the first credentials; a failure there is returned, so
//     a command can refuse to start rather than serve nothing.
//   - Run refreshes in the background RefreshAhead before expiry (or
//     halfway through a short session), and after a failure retries with
//     backoff while the last good credentials are still handed out.
//   - Current returns the held credentials while they are valid and,
//     once they have expired, refreshes on demand. It never returns empty
//     or expired credentials: it returns an error instead.
//
// At most one fetch is in flight at any time: concurrent callers that need
// a refresh wait for the same one.
type Refresher struct {
	cfg RefresherConfig
	ctx context.Context // Start's: fetches run under it, not under a request's

	mu       sync.Mutex
	cur      *Credentials
	updated  time.Time
	inflight *flight
}

// flight is one fetch that callers may wait for.
type flight struct {
	done chan struct{}
	err  error
}

// NewRefresher returns a Refresher; call Start before anything else.
func NewRefresher(cfg RefresherConfig) *Refresher {
	if cfg.After == nil {
		cfg.After = time.After
	}
	if cfg.RetryDelay == nil {
		cfg.RetryDelay = defaultRetryDelay
	}
	return &Refresher{cfg: cfg, ctx: context.Background()}
}

func defaultRetryDelay(n int) time.Duration {
	d := 5 * time.Second << min(n-1, 4)
	return min(d, time.Minute)
}

// Start fetches the first credentials. Fetches later started by Run or
// Current run under ctx, so cancelling it stops them.
func (r *Refresher) Start(ctx context.Context) error {
	r.mu.Lock()
	r.ctx = ctx
	r.mu.Unlock()
	f := r.refresh(func(*Credentials, time.Time) bool { return true })
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-f.done:
		return f.err
	}
}

// Current returns valid credentials and when they were obtained,
// refreshing them first if they have expired.
func (r *Refresher) Current(ctx context.Context) (*Credentials, time.Time, error) {
	r.mu.Lock()
	c, updated := r.cur, r.updated
	r.mu.Unlock()
	if c != nil && r.cfg.Now().Before(c.Expires) {
		return c, updated, nil
	}
	f := r.refresh(func(c *Credentials, _ time.Time) bool { return c == nil || !r.cfg.Now().Before(c.Expires) })
	select {
	case <-ctx.Done():
		return nil, time.Time{}, ctx.Err()
	case <-f.done:
	}
	if f.err != nil {
		if c != nil {
			return nil, time.Time{}, fmt.Errorf("the credentials expired at %s and could not be refreshed: %w", c.Expires.UTC().Format(time.RFC3339), f.err)
		}
		return nil, time.Time{}, fmt.Errorf("no credentials: %w", f.err)
	}
	r.mu.Lock()
	c, updated = r.cur, r.updated
	r.mu.Unlock()
	return c, updated, nil
}

// NextRefresh is when the held credentials are due for replacement (the
// zero time when there are none).
func (r *Refresher) NextRefresh() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur == nil {
		return time.Time{}
	}
	return refreshAt(r.updated, r.cur.Expires)
}

// Run refreshes the credentials in the background until ctx is done.
func (r *Refresher) Run(ctx context.Context) {
	failures := 0
	for {
		var wait time.Duration
		if failures > 0 {
			wait = r.cfg.RetryDelay(failures)
		} else {
			wait = r.NextRefresh().Sub(r.cfg.Now())
		}
		if wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-r.cfg.After(wait):
			}
		}
		if r.cfg.Now().Before(r.NextRefresh()) {
			failures = 0 // not due (any more): refreshed on demand meanwhile
			continue
		}
		f := r.refresh(func(c *Credentials, updated time.Time) bool {
			return c == nil || !r.cfg.Now().Before(refreshAt(updated, c.Expires))
		})
		select {
		case <-ctx.Done():
			return
		case <-f.done:
		}
		if f.err == nil {
			failures = 0
			continue
		}
		failures++
		r.mu.Lock()
		c := r.cur
		r.mu.Unlock()
		if c != nil && r.cfg.Now().Before(c.Expires) {
			r.cfg.Logger.Printf("Error refreshing credentials (attempt %d): %v; the current credentials stay in use until they expire at %s",
				failures, f.err, c.Expires.UTC().Format(time.RFC3339))
		} else {
			r.cfg.Logger.Printf("Error refreshing credentials (attempt %d): %v; no valid credentials until a refresh succeeds", failures, f.err)
		}
	}
}

// refresh joins the fetch in flight or, when needed says the held
// credentials (nil if none) need replacing, starts one. Deciding under the
// lock makes a caller that saw expired credentials just before another
// caller's fetch finished use that fetch's result rather than fetch again.
func (r *Refresher) refresh(needed func(c *Credentials, updated time.Time) bool) *flight {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.inflight != nil {
		return r.inflight
	}
	if !needed(r.cur, r.updated) {
		f := &flight{done: make(chan struct{})}
		close(f.done) // nothing to do
		return f
	}
	f := &flight{done: make(chan struct{})}
	r.inflight = f
	ctx := r.ctx
	go func() {
		f.err = r.fetch(ctx)
		r.mu.Lock()
		r.inflight = nil
		r.mu.Unlock()
		close(f.done)
	}()
	return f
}

// fetch obtains, checks and installs new credentials.
func (r *Refresher) fetch(ctx context.Context) error {
	c, err := r.cfg.Fetch(ctx)
	if err != nil {
		return err
	}
	if c == nil {
		return errors.New("no credentials created")
	}
	now := r.cfg.Now()
	switch {
	case c.Expires.IsZero():
		return fmt.Errorf("CreateSession returned the expiration %q, which is not an RFC 3339 time", c.Expiration)
	case !now.Before(c.Expires):
		return fmt.Errorf("CreateSession returned credentials that expired at %s, before now (%s): check the clocks",
			c.Expires.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if r.cfg.OnRefresh != nil {
		if err := r.cfg.OnRefresh(ctx, c, refreshAt(now, c.Expires)); err != nil {
			return err
		}
	}
	r.mu.Lock()
	r.cur, r.updated = c, now
	r.mu.Unlock()
	return nil
}
