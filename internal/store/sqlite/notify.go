package sqlite

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// Version returns the change counter. It is bumped in the transaction of
// every change to trust anchors, profiles, CRLs, roles, policies and the
// keyring, including changes made by other processes on the same file.
//
// Hot paths call Version on every request, so it answers from memory: a
// commit through this Store makes the next call read the database, and
// otherwise the database is read at most once per versionTTL (which bounds
// how late another process's commit is noticed).
func (s *Store) Version(ctx context.Context) (int64, error) {
	v, gen, ok := s.version.get(time.Now())
	if ok {
		return v, nil
	}
	if err := s.stmts.version.QueryRowContext(ctx).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: read version: %w", err)
	}
	s.version.set(v, gen, time.Now())
	return v, nil
}

// versionTTL is how long a version read from the database is trusted.
const versionTTL = time.Second

// versionCache holds the last version read and when; the zero value is
// empty.
type versionCache struct {
	mu     sync.Mutex
	v      int64
	readAt time.Time
	// gen is bumped by invalidate. A read that started before a commit
	// finished may return the old version: it is cached only if no
	// commit happened since it started (its gen is still current).
	gen uint64
}

// get returns the cached version, or, on a miss, the generation a read
// starting now must hand to set.
func (c *versionCache) get(now time.Time) (v int64, gen uint64, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.readAt.IsZero() || now.Sub(c.readAt) >= versionTTL {
		return 0, c.gen, false
	}
	return c.v, c.gen, true
}

// set caches v, read from the database during generation gen.
func (c *versionCache) set(v int64, gen uint64, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen == c.gen && v >= c.v {
		c.v, c.readAt = v, now
	}
}

func (c *versionCache) invalidate() {
	c.mu.Lock()
	c.gen++
	c.readAt = time.Time{}
	c.mu.Unlock()
}

// Subscribe calls fn after changes to trust anchors, profiles, CRLs, roles,
// policies or the keyring committed through this Store. Each subscriber
// has its own goroutine, so fn never runs on a writer's goroutine and a
// slow fn never delays a writer; a burst of commits while fn runs is
// coalesced into one more call. Calls to one fn never overlap.
//
// The returned cancel stops further calls (a call already running
// finishes); it may be called more than once, and from within fn. Close
// cancels every subscription.
func (s *Store) Subscribe(fn func()) (cancel func()) {
	sub := &subscriber{
		fn:   fn,
		wake: make(chan struct{}, 1),
		done: make(chan struct{}),
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return func() {}
	}
	s.subs[sub] = struct{}{}
	go sub.run()
	return func() {
		s.mu.Lock()
		delete(s.subs, sub)
		s.mu.Unlock()
		sub.stop()
	}
}

// notify wakes every subscriber without blocking.
func (s *Store) notify() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sub := range s.subs {
		select {
		case sub.wake <- struct{}{}:
		default: // a wake-up is pending already; it covers this change too
		}
	}
}

// A subscriber is one Subscribe callback and its goroutine.
type subscriber struct {
	fn       func()
	wake     chan struct{} // capacity 1: at most one pending call
	done     chan struct{} // closed by stop
	stopOnce sync.Once
}

// run calls fn once per wake-up until stopped.
func (sub *subscriber) run() {
	for {
		select {
		case <-sub.done:
			return
		case <-sub.wake:
			// Prefer stopping over a pending call.
			select {
			case <-sub.done:
				return
			default:
			}
			sub.fn()
		}
	}
}

// stop ends the subscriber's goroutine.
func (sub *subscriber) stop() {
	sub.stopOnce.Do(func() { close(sub.done) })
}
