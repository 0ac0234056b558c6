package pki

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// existsError reports a file WriteFile was asked not to replace.
type existsError struct{ path string }

func (e *existsError) Error() string        { return e.path + " already exists" }
func (e *existsError) Is(target error) bool { return target == fs.ErrExist }

// WriteFile writes data to name atomically: into a new temporary file in
// the same directory, created with perm (so a key file is never readable
// by others, not even briefly), synced, then moved into place. Readers see
// the old content or the new, never a mix.
//
// Unless replace is set, an existing name is left alone and the error
// satisfies errors.Is(err, fs.ErrExist). A replaced file takes perm, not
// the old file's mode.
func WriteFile(name string, data []byte, perm fs.FileMode, replace bool) error {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	tmp, err := createTemp(dir, base, perm)
	if err != nil {
		return err
	}
	if err := writeAndMove(tmp, name, data, replace); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	syncDir(dir)
	return nil
}

// writeAndMove fills tmp with data, syncs and closes it, and moves it to
// name.
func writeAndMove(tmp *os.File, name string, data []byte, replace bool) error {
	_, err := tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	if !replace {
		return moveNoReplace(tmp.Name(), name)
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// createTemp creates a fresh hidden file beside base in dir with mode perm
// (less the umask).
func createTemp(dir, base string, perm fs.FileMode) (*os.File, error) {
	for range 10 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		name := filepath.Join(dir, "."+base+".tmp-"+hex.EncodeToString(b[:]))
		f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("write %s: %w", filepath.Join(dir, base), err)
		}
		return f, nil
	}
	return nil, fmt.Errorf("write %s: cannot create a temporary file", filepath.Join(dir, base))
}

// moveNoReplace moves tmp to name unless name exists. A hard link makes the
// check and the move one atomic step; on file systems without hard links it
// falls back to checking first.
func moveNoReplace(tmp, name string) error {
	err := os.Link(tmp, name)
	if err == nil {
		_ = os.Remove(tmp)
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return &existsError{name}
	}
	if _, statErr := os.Lstat(name); statErr == nil {
		return &existsError{name}
	}
	if err := os.Rename(tmp, name); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return nil
}

// syncDir makes a rename in dir durable where the system allows syncing a
// directory; the rename is atomic either way.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}
