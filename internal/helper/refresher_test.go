package helper

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeAfter stands in for time.After: each wait is announced on calls and
// ends when the test fires it.
type fakeAfter struct{ calls chan afterCall }

type afterCall struct {
	d    time.Duration
	fire chan time.Time
}

func newFakeAfter() *fakeAfter { return &fakeAfter{calls: make(chan afterCall, 16)} }

func (f *fakeAfter) After(d time.Duration) <-chan time.Time {
	c := afterCall{d: d, fire: make(chan time.Time, 1)}
	f.calls <- c
	return c.fire
}

// next returns the refresh loop's next wait.
func (f *fakeAfter) next(t *testing.T) afterCall {
	t.Helper()
	select {
	case c := <-f.calls:
		return c
	case <-time.After(30 * time.Second): // a safety fuse against a hung loop, not a timing assertion
		t.Fatal("the refresh loop did not wait again")
		return afterCall{}
	}
}

// fakeFetch hands out credentials valid for an hour from the clock, or
// the error set with fail.
type fakeFetch struct {
	clock *fakeClock
	mu    sync.Mutex
	n     int
	err   error
	life  time.Duration
	gate  chan struct{} // when set, fetches wait for it
	begun chan struct{} // when set, receives one value per fetch begun
}

func (f *fakeFetch) fetch(ctx context.Context) (*Credentials, error) {
	f.mu.Lock()
	f.n++
	n, err, gate, begun, life := f.n, f.err, f.gate, f.begun, f.life
	f.mu.Unlock()
	if begun != nil {
		begun <- struct{}{}
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if err != nil {
		return nil, err
	}
	if life == 0 {
		life = time.Hour
	}
	exp := f.clock.Now().Add(life).UTC()
	return &Credentials{AccessKeyID: "ASIA" + strings.Repeat("X", n), SecretAccessKey: "S", SessionToken: "T",
		Expiration: exp.Format(time.RFC3339), Expires: exp}, nil
}

func (f *fakeFetch) set(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *fakeFetch) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func newTestRefresher(t *testing.T) (*Refresher, *fakeClock, *fakeFetch, *fakeAfter, *bytes.Buffer) {
	clock := &fakeClock{t: time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)}
	ff := &fakeFetch{clock: clock}
	fa := newFakeAfter()
	var logs bytes.Buffer
	r := NewRefresher(RefresherConfig{Fetch: ff.fetch, Now: clock.Now, After: fa.After, Logger: NewLogger(&syncWriter{w: &logs}, clock.Now)})
	return r, clock, ff, fa, &logs
}

// syncWriter serialises writes to a buffer shared with the test.
type syncWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func mustCurrent(t *testing.T, r *Refresher, wantKey string) {
	t.Helper()
	c, _, err := r.Current(context.Background())
	if err != nil {
		t.Fatalf("Current: %v", err)
	}
	if c.AccessKeyID != wantKey {
		t.Fatalf("Current = %s, want %s", c.AccessKeyID, wantKey)
	}
}

func TestRefresherRefreshesAheadOfExpiry(t *testing.T) {
	r, clock, ff, fa, _ := newTestRefresher(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go r.Run(ctx)
	w := fa.next(t)
	if w.d != 55*time.Minute {
		t.Fatalf("first refresh in %v, want 55m (5 minutes before expiry)", w.d)
	}
	mustCurrent(t, r, "ASIAX")
	clock.Advance(55 * time.Minute)
	w.fire <- clock.Now()
	if w = fa.next(t); w.d != 55*time.Minute {
		t.Fatalf("second refresh in %v, want 55m", w.d)
	}
	if ff.count() != 2 {
		t.Fatalf("%d fetches, want 2", ff.count())
	}
	mustCurrent(t, r, "ASIAXX")
}

func TestRefresherShortSessions(t *testing.T) {
	r, _, ff, fa, _ := newTestRefresher(t)
	ff.life = 10 * time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go r.Run(ctx)
	if w := fa.next(t); w.d != 5*time.Minute {
		t.Fatalf("a 10-minute session is refreshed after %v, want halfway (5m)", w.d)
	}
	if got := refreshAt(time.Unix(0, 0), time.Unix(302, 0)); got != time.Unix(151, 0) {
		t.Fatalf("refreshAt for 302 s = %v, want 151 s (the official helper refreshes after 2 s)", got)
	}
}

// TestRefresherKeepsLastGoodCredentials: a failed refresh never replaces
// good credentials; once they expire a failed refresh is an error, never
// empty credentials; a later success recovers.
func TestRefresherKeepsLastGoodCredentials(t *testing.T) {
	r, clock, ff, fa, logs := newTestRefresher(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	go r.Run(ctx)
	w := fa.next(t)
	ff.set(errors.New("AccessDeniedException: Untrusted signing certificate."))
	clock.Advance(55 * time.Minute)
	w.fire <- clock.Now()
	if w = fa.next(t); w.d != 5*time.Second {
		t.Fatalf("retry after %v, want 5s", w.d)
	}
	mustCurrent(t, r, "ASIAX")
	clock.Advance(5 * time.Second)
	w.fire <- clock.Now()
	if w = fa.next(t); w.d != 10*time.Second {
		t.Fatalf("second retry after %v, want 10s", w.d)
	}
	if !strings.Contains(logs.String(), "Error refreshing credentials (attempt 2): AccessDeniedException") ||
		!strings.Contains(logs.String(), "stay in use until they expire at 2026-11-24T07:00:00Z") {
		t.Fatalf("log:\n%s", logs.String())
	}

	clock.Advance(5 * time.Minute) // past expiry
	c, _, err := r.Current(ctx)
	if err == nil || c != nil || !strings.Contains(err.Error(), "expired at 2026-11-24T07:00:00Z and could not be refreshed: AccessDeniedException") {
		t.Fatalf("Current after expiry = %v, %v; want an error and no credentials", c, err)
	}

	ff.set(nil)
	n := ff.count()
	mustCurrent(t, r, "ASIA"+strings.Repeat("X", n+1)) // refreshed on demand
	if ff.count() != n+1 {
		t.Fatalf("%d fetches for the on-demand refresh, want 1", ff.count()-n)
	}
	// The pending retry finds nothing to do and the loop waits for the new
	// credentials' refresh time.
	w.fire <- clock.Now()
	if w = fa.next(t); w.d != 55*time.Minute {
		t.Fatalf("after recovery the loop waits %v, want 55m", w.d)
	}
	if ff.count() != n+1 {
		t.Fatal("the loop refreshed credentials that were just refreshed")
	}
}

// TestRefresherSingleFlight: many requests finding expired credentials
// cause one CreateSession.
func TestRefresherSingleFlight(t *testing.T) {
	r, clock, ff, _, _ := newTestRefresher(t)
	ctx := context.Background()
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Hour)
	gate, begun := make(chan struct{}), make(chan struct{}, 1)
	ff.mu.Lock()
	ff.gate, ff.begun = gate, begun
	ff.mu.Unlock()

	expired := func(c *Credentials, _ time.Time) bool { return !clock.Now().Before(c.Expires) }
	first := r.refresh(expired)
	<-begun
	if second := r.refresh(expired); second != first {
		t.Fatal("a second refresh started while one was in flight")
	}
	var wg sync.WaitGroup
	keys := make(chan string, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _, err := r.Current(ctx)
			if err != nil {
				keys <- err.Error()
				return
			}
			keys <- c.AccessKeyID
		}()
	}
	close(gate)
	wg.Wait()
	close(keys)
	for k := range keys {
		if k != "ASIAXX" {
			t.Fatalf("a caller got %q, want the refreshed ASIAXX", k)
		}
	}
	if ff.count() != 2 {
		t.Fatalf("%d fetches, want 2 (start and one refresh)", ff.count())
	}
}

func TestRefresherRejectsUnusableCredentials(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)}
	tests := []struct {
		name      string
		creds     *Credentials
		onRefresh error
		want      string
	}{
		{"error/expiration not RFC 3339", &Credentials{AccessKeyID: "A", Expiration: "tomorrow"}, nil, `expiration "tomorrow", which is not an RFC 3339 time`},
		{"error/already expired", &Credentials{AccessKeyID: "A", Expiration: "2026-11-24T05:00:00Z", Expires: time.Date(2026, 11, 24, 5, 0, 0, 0, time.UTC)}, nil, "check the clocks"},
		{"error/OnRefresh fails", &Credentials{AccessKeyID: "A", Expiration: "2026-11-24T07:00:00Z", Expires: time.Date(2026, 11, 24, 7, 0, 0, 0, time.UTC)}, errors.New("disk full"), "disk full"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewRefresher(RefresherConfig{
				Fetch:     func(context.Context) (*Credentials, error) { return tt.creds, nil },
				OnRefresh: func(context.Context, *Credentials, time.Time) error { return tt.onRefresh },
				Now:       clock.Now,
			})
			if err := r.Start(context.Background()); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start: %v, want %q", err, tt.want)
			}
			if _, _, err := r.Current(context.Background()); err == nil {
				t.Fatal("Current handed out rejected credentials")
			}
		})
	}
}
