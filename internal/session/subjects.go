package session

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/roam-dev/roam/internal/store"
)

// Recorder writes subject activity behind the CreateSession hot path: it
// gathers attempts in memory and folds them into the store in batches,
// about once a second and when it is closed.
type Recorder struct {
	store    store.Subjects
	interval time.Duration
	logger   *slog.Logger

	mu      sync.Mutex
	pending []store.SubjectActivity
	dropped int
	closed  bool
	wake    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once
}

// Limits of the recorder.
const (
	// maxPending bounds the attempts held between flushes; beyond it new
	// attempts are dropped (and counted) rather than exhausting memory.
	maxPending = 100000
	// flushBatch triggers an early flush.
	flushBatch = 1000
)

// NewRecorder starts a recorder flushing to st every interval.
func NewRecorder(st store.Subjects, interval time.Duration, logger *slog.Logger) *Recorder {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{store: st, interval: interval, logger: logger, wake: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	go r.loop()
	return r
}

// Record queues an attempt. It never blocks on the store.
func (r *Recorder) Record(a store.SubjectActivity) {
	r.mu.Lock()
	if r.closed {
		// A request outlived the server's shutdown: its attempt is not
		// recorded.
		r.mu.Unlock()
		return
	}
	if len(r.pending) >= maxPending {
		r.dropped++
		r.mu.Unlock()
		return
	}
	r.pending = append(r.pending, a)
	n := len(r.pending)
	r.mu.Unlock()
	if n == flushBatch {
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

func (r *Recorder) loop() {
	defer close(r.done)
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-r.wake:
		case <-r.stop:
			r.flush()
			return
		}
		r.flush()
	}
}

// flush writes what is pending.
func (r *Recorder) flush() {
	r.mu.Lock()
	batch, dropped := r.pending, r.dropped
	r.pending, r.dropped = nil, 0
	r.mu.Unlock()
	if dropped > 0 {
		r.logger.Warn("subject activity dropped: the store is not keeping up", "dropped", dropped)
	}
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := r.store.RecordSubjectActivity(ctx, batch); err != nil {
		r.logger.Error("recording subject activity failed", "attempts", len(batch), "error", err)
	}
}

// Close flushes what is pending and stops the recorder.
func (r *Recorder) Close() {
	r.once.Do(func() {
		r.mu.Lock()
		r.closed = true
		r.mu.Unlock()
		close(r.stop)
	})
	<-r.done
}

// activity describes an attempt with an authenticated certificate.
func activity(account string, ci *certInfo, props map[string]string, failed bool, now time.Time) store.SubjectActivity {
	return store.SubjectActivity{
		SubjectID:   ci.subjectIDIn(account),
		X509Subject: ci.subject,
		At:          now.UTC(),
		Credential: store.CredentialUse{
			SeenAt:         now.UTC(),
			SerialNumber:   ci.serialUpper,
			Issuer:         ci.issuer,
			Enabled:        true,
			CertificatePEM: ci.pem,
			Failed:         failed,
		},
		InstanceProperties: props,
	}
}
