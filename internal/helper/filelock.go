package helper

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// errWouldBlock is what tryLock returns while another holder has the lock.
var errWouldBlock = errors.New("lock is held")

// fileLock is an exclusive advisory lock on a file (flock on Unix,
// LockFileEx on Windows).
type fileLock struct{ f *os.File }

// lockFile takes the lock on path (created with mode 0600), waiting as
// long as ctx allows.
func lockFile(ctx context.Context, path string) (*fileLock, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("unable to open the lock file: %w", err)
	}
	delay := time.Millisecond
	for {
		err := tryLock(f)
		if err == nil {
			return &fileLock{f}, nil
		}
		if !errors.Is(err, errWouldBlock) {
			f.Close()
			return nil, fmt.Errorf("unable to lock %s: %w", path, err)
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			f.Close()
			return nil, fmt.Errorf("waiting for the lock on %s: %w", path, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, 100*time.Millisecond)
	}
}

// unlock releases the lock.
func (l *fileLock) unlock() {
	_ = unlock(l.f)
	l.f.Close()
}
