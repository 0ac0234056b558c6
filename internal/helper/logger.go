package helper

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// Logger prints log lines the way aws_signing_helper does
// ("2006/01/02 15:04:05 message"), stamped by an injected clock. A nil
// *Logger discards everything. Never log keys, secret access keys or
// session tokens through it.
type Logger struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

// NewLogger returns a Logger writing to w with timestamps from now.
func NewLogger(w io.Writer, now func() time.Time) *Logger {
	return &Logger{w: w, now: now}
}

// Printf writes one line.
func (l *Logger) Printf(format string, args ...any) {
	if l == nil || l.w == nil {
		return
	}
	msg := strings.TrimSuffix(fmt.Sprintf(format, args...), "\n")
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.w, "%s %s\n", l.now().Format("2006/01/02 15:04:05"), msg)
}
