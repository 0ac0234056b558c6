package sqlite

import (
	"context"
	"fmt"
	"sync"
)

// Version returns the change counter. It is bumped in the transaction of
// every change to trust anchors, profiles, CRLs, roles, policies and the
// keyring, including changes made by other processes on the same file.
func (s *Store) Version(ctx context.Context) (int64, error) {
	var v int64
	if err := s.stmts.version.QueryRowContext(ctx).Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlite: read version: %w", err)
	}
	return v, nil
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
