//go:build unix

package sqlite_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestFileModes checks that the database and its -wal and -shm files are
// private (0600) even under a permissive umask. It changes the process
// umask, so it must not run in parallel.
func TestFileModes(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)

	path := filepath.Join(t.TempDir(), "roam.db")
	s := open(t, path)
	// A write materialises the WAL; a read on the read pool maps the -shm.
	if err := s.CreateTrustAnchor(t.Context(), anchor("a1")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetTrustAnchor(t.Context(), "a1"); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(name)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(name), err)
			continue
		}
		if mode := fi.Mode().Perm(); mode != 0o600 {
			t.Errorf("%s: mode %v, want 0600", filepath.Base(name), mode)
		}
	}
}
