package loadgen

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// fakeClock is a clock whose time moves only when told to, or when
// someone sleeps on it (by exactly the time slept).
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
	// sleepErr, when set, is returned by Sleep (after recording it)
	// instead of advancing the time.
	sleepErr error
}

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func newFakeClock() *fakeClock { return &fakeClock{now: epoch} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if c.sleepErr != nil {
		return c.sleepErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.now = c.now.Add(d)
	return nil
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func (c *fakeClock) sleepCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.sleeps)
}

// drain takes slots until the schedule ends, advancing the clock by work
// after each one, and returns the due times.
func drain(t *testing.T, s *schedule, c *fakeClock, work time.Duration) []time.Time {
	t.Helper()
	var due []time.Time
	for i := int64(0); ; i++ {
		slot, at, ok := s.take(context.Background())
		if !ok {
			return due
		}
		if slot != i {
			t.Fatalf("slot %d, want %d", slot, i)
		}
		due = append(due, at)
		c.advance(work)
		if i > 1e6 {
			t.Fatal("the schedule does not end")
		}
	}
}

func TestScheduleFixedRateSpacesSlotsEvenly(t *testing.T) {
	c := newFakeClock()
	s := newSchedule(c, 100, time.Second, 0)
	due := drain(t, s, c, 0)
	if len(due) != 100 {
		t.Fatalf("%d slots in 1s at 100/s, want 100", len(due))
	}
	for i, at := range due {
		if want := epoch.Add(time.Duration(i) * 10 * time.Millisecond); !at.Equal(want) {
			t.Fatalf("slot %d due at +%v, want +%v", i, at.Sub(epoch), want.Sub(epoch))
		}
	}
	// An idle consumer sleeps until each slot is due, and not beyond.
	if got := c.Now().Sub(epoch); got != 990*time.Millisecond {
		t.Errorf("clock at +%v after the last slot, want +990ms", got)
	}
	if c.sleepCount() != 99 {
		t.Errorf("%d sleeps, want 99 (none for slot 0)", c.sleepCount())
	}
}

func TestScheduleFractionalRate(t *testing.T) {
	c := newFakeClock()
	s := newSchedule(c, 3, 10*time.Second, 0)
	due := drain(t, s, c, 0)
	if len(due) != 30 {
		t.Fatalf("%d slots in 10s at 3/s, want 30", len(due))
	}
	// No drift from rounding 1/3 s: slot 29 is due at exactly 29/3 s.
	if want := epoch.Add(29 * time.Second / 3); !due[29].Equal(want) {
		t.Errorf("slot 29 due at +%v, want +%v", due[29].Sub(epoch), want.Sub(epoch))
	}
}

func TestScheduleIsOpenLoopWhenTheConsumerIsLate(t *testing.T) {
	c := newFakeClock()
	s := newSchedule(c, 100, time.Second, 0)
	// Each request takes 25ms: 2.5 times the interval.
	due := drain(t, s, c, 25*time.Millisecond)
	if len(due) != 100 {
		t.Fatalf("%d slots, want the 100 due within the second", len(due))
	}
	// Slots keep their due times (so the latency of a late request counts
	// its wait), and a late consumer never sleeps.
	for i, at := range due {
		if want := epoch.Add(time.Duration(i) * 10 * time.Millisecond); !at.Equal(want) {
			t.Fatalf("slot %d due at +%v, want +%v", i, at.Sub(epoch), want.Sub(epoch))
		}
	}
	if c.sleepCount() != 0 {
		t.Errorf("a late consumer slept %d times", c.sleepCount())
	}
	if got := c.Now().Sub(due[99]); got != 1510*time.Millisecond {
		t.Errorf("last request ended %v after it was due, want 1.51s of accumulated delay", got)
	}
}

func TestScheduleUnthrottledStopsAtTheDeadline(t *testing.T) {
	c := newFakeClock()
	s := newSchedule(c, 0, time.Second, 0)
	due := drain(t, s, c, 3*time.Millisecond)
	if len(due) != 334 { // slots taken at 0, 3, ..., 999 ms
		t.Fatalf("%d slots, want 334", len(due))
	}
	for i, at := range due {
		if want := epoch.Add(time.Duration(i) * 3 * time.Millisecond); !at.Equal(want) {
			t.Fatalf("slot %d due at +%v, want +%v (when taken)", i, at.Sub(epoch), want.Sub(epoch))
		}
	}
	if c.sleepCount() != 0 {
		t.Error("an unthrottled schedule slept")
	}
}

func TestScheduleLimit(t *testing.T) {
	for _, rate := range []float64{0, 1000} {
		c := newFakeClock()
		s := newSchedule(c, rate, 0, 5)
		if due := drain(t, s, c, time.Millisecond); len(due) != 5 {
			t.Errorf("rate %v: %d slots, want 5", rate, len(due))
		}
		// The limit wins over the duration when it comes first, and the
		// other way round.
		c = newFakeClock()
		s = newSchedule(c, rate, 10*time.Millisecond, 1000)
		if due := drain(t, s, c, time.Millisecond); len(due) != 10 {
			t.Errorf("rate %v: %d slots in 10ms, want 10", rate, len(due))
		}
	}
}

func TestScheduleConcurrentTakersGetDistinctSlots(t *testing.T) {
	c := newFakeClock()
	s := newSchedule(c, 0, 0, 10000)
	seen := make([]int, 10000)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				slot, _, ok := s.take(context.Background())
				if !ok {
					return
				}
				mu.Lock()
				seen[slot]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for i, n := range seen {
		if n != 1 {
			t.Fatalf("slot %d taken %d times", i, n)
		}
	}
}

func TestScheduleStopsWhenCancelled(t *testing.T) {
	c := newFakeClock()
	s := newSchedule(c, 10, 0, 0)
	ctx, cancel := context.WithCancel(context.Background())
	if _, _, ok := s.take(ctx); !ok {
		t.Fatal("first slot refused")
	}
	cancel()
	if _, _, ok := s.take(ctx); ok {
		t.Error("a slot after cancellation")
	}
	// Cancellation while waiting for a slot ends the wait.
	c = newFakeClock()
	c.sleepErr = errors.New("cancelled while sleeping")
	s = newSchedule(c, 10, 0, 0)
	s.take(context.Background())
	if _, _, ok := s.take(context.Background()); ok {
		t.Error("a slot although the wait for it failed")
	}
}
