package loadgen

import (
	"context"
	"sync/atomic"
	"time"
)

// Clock is the time source of a run; tests inject a fake one.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done, returning ctx's error then.
	Sleep(ctx context.Context, d time.Duration) error
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// Sleep waits for d or ctx.
func (SystemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// schedule hands out request slots to the workers of one run and decides
// when the run stops: after a number of requests, at a deadline, or both.
//
// Unthrottled, a slot is due as soon as it is taken. At a fixed rate the
// schedule is open-loop: slot i is due at start + i/rate whether or not
// earlier requests have completed, a worker sleeps until its slot is due,
// and a worker that is late sends at once. Latency is measured from the
// slot's due time, so time a request spent waiting for a free worker
// behind a slow server counts (no coordinated omission).
type schedule struct {
	clock    Clock
	start    time.Time
	rate     float64   // requests per second; 0: unthrottled
	deadline time.Time // zero: none
	limit    int64     // 0: none
	next     atomic.Int64
}

// newSchedule starts a schedule at clock.Now(). rate is in requests per
// second (0 for unthrottled), duration and limit bound the run (0 for no
// bound).
func newSchedule(clock Clock, rate float64, duration time.Duration, limit int64) *schedule {
	s := &schedule{clock: clock, start: clock.Now(), limit: limit, rate: max(rate, 0)}
	if duration > 0 {
		s.deadline = s.start.Add(duration)
	}
	return s
}

// take claims the next slot, waits until it is due and returns its number
// and due time. ok is false when the run is over (limit reached, deadline
// passed, or ctx done).
func (s *schedule) take(ctx context.Context) (slot int64, due time.Time, ok bool) {
	if ctx.Err() != nil {
		return 0, time.Time{}, false
	}
	slot = s.next.Add(1) - 1
	if s.limit > 0 && slot >= s.limit {
		return 0, time.Time{}, false
	}
	if s.rate == 0 {
		due = s.clock.Now()
		if !s.deadline.IsZero() && !due.Before(s.deadline) {
			return 0, time.Time{}, false
		}
		return slot, due, true
	}
	due = s.due(slot)
	if !s.deadline.IsZero() && !due.Before(s.deadline) {
		return 0, time.Time{}, false
	}
	if wait := due.Sub(s.clock.Now()); wait > 0 {
		if err := s.clock.Sleep(ctx, wait); err != nil {
			return 0, time.Time{}, false
		}
	}
	return slot, due, true
}

// due is when slot is due at the schedule's rate.
func (s *schedule) due(slot int64) time.Time {
	return s.start.Add(time.Duration(float64(slot) * float64(time.Second) / s.rate))
}
