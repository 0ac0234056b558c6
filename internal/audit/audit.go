// Package audit writes the CreateSession audit log: one JSON object per
// decision and line, appended to a file the server owns (mode 0600). Lines
// are written by one goroutine behind a bounded queue, so a decision never
// waits for the disk unless the queue is full, and Close flushes them all.
// Records hold no secrets: certificates are identified by subject, issuer,
// serial number and SHA-256 fingerprint.
package audit

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Record is one CreateSession decision.
type Record struct {
	Time           time.Time `json:"time"`
	RequestID      string    `json:"request_id,omitempty"`
	SourceIP       string    `json:"source_ip"`
	Subject        string    `json:"subject,omitempty"`
	Issuer         string    `json:"issuer,omitempty"`
	Serial         string    `json:"serial,omitempty"`
	Fingerprint    string    `json:"fingerprint_sha256,omitempty"`
	TrustAnchorArn string    `json:"trust_anchor_arn,omitempty"`
	ProfileArn     string    `json:"profile_arn,omitempty"`
	RoleArn        string    `json:"role_arn,omitempty"`
	// Decision is "allow" or "deny".
	Decision string `json:"decision"`
	// Reason is a stable code for a denial; Explanation names the failing
	// rule and why.
	Reason      string     `json:"reason,omitempty"`
	Explanation string     `json:"explanation,omitempty"`
	SessionName string     `json:"session_name,omitempty"`
	Expiration  *time.Time `json:"expiration,omitempty"`
}

// queueSize bounds the records waiting for the writer.
const queueSize = 4096

// Log is an open audit log.
type Log struct {
	queue chan Record
	done  chan struct{}
	once  sync.Once

	// mu guards closed: Write holds it shared while it queues, Close
	// exclusively while it closes the queue.
	mu     sync.RWMutex
	closed bool
	f      *os.File
	w      *bufio.Writer
	err    error // first write error, reported by Close
}

// Open appends to the audit log at path, creating it with mode 0600.
func Open(path string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("audit log: %w", err)
	}
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 {
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return nil, fmt.Errorf("audit log: %w", err)
		}
	}
	return newLog(f, f), nil
}

// New writes the audit log to w (for tests and stdout).
func New(w io.Writer) *Log { return newLog(nil, w) }

func newLog(f *os.File, w io.Writer) *Log {
	l := &Log{queue: make(chan Record, queueSize), done: make(chan struct{}), f: f, w: bufio.NewWriterSize(w, 64<<10)}
	go l.run()
	return l
}

// Write queues r. It blocks only when the queue is full (the disk is not
// keeping up): an audit record is never dropped while the log is open.
// Once the log is closed (a request outlived the server's shutdown), Write
// reports false and does nothing.
func (l *Log) Write(r Record) bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	if l.closed {
		return false
	}
	l.queue <- r
	return true
}

func (l *Log) run() {
	defer close(l.done)
	var line []byte
	for r := range l.queue {
		line = appendRecord(line[:0], &r)
		if _, err := l.w.Write(line); err != nil && l.err == nil {
			l.err = err
		}
		if len(l.queue) == 0 {
			// Flush when idle: lines reach the file within moments.
			if err := l.w.Flush(); err != nil && l.err == nil {
				l.err = err
			}
		}
	}
}

// Close writes every queued record and closes the file.
func (l *Log) Close() error {
	l.once.Do(func() {
		l.mu.Lock()
		l.closed = true
		close(l.queue)
		l.mu.Unlock()
		<-l.done
		if err := l.w.Flush(); err != nil && l.err == nil {
			l.err = err
		}
		if l.f != nil {
			l.err = errors.Join(l.err, l.f.Sync(), l.f.Close())
		}
	})
	return l.err
}
