// Package sqlite implements store.Store on an embedded SQLite database
// (modernc.org/sqlite, pure Go).
//
// The database runs in WAL mode with foreign keys on and a busy timeout, so
// several readers proceed while one writer commits. A Store holds two
// connection pools on the same file: a single read-write connection on which
// every change is one BEGIN IMMEDIATE transaction (read-modify-write updates
// therefore never lose an update, and writers in this process queue in Go
// instead of spinning on SQLITE_BUSY), and a pool of query-only connections
// for reads. Writers in other processes are serialised by SQLite's locks and
// the busy timeout.
//
// Open creates the database file with mode 0600 before SQLite touches it;
// SQLite gives its -wal and -shm files the database file's mode. The schema
// is created and upgraded by the numbered SQL files in migrations/, each
// applied in its own transaction and recorded in schema_migrations; a
// database written by a newer roam is refused with ErrSchemaTooNew.
//
// Times are stored as microseconds since the Unix epoch and returned in UTC,
// as the conformance suite in internal/store/storetest requires.
//
// Subscribe reports changes committed through this Store only: a second
// process writing the same file is not observed, except through Version.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/roam-dev/roam/internal/store"
)

// busyTimeoutMillis is how long a connection waits for another process's
// lock before failing with SQLITE_BUSY.
const busyTimeoutMillis = 10_000

// Store is a store.Store backed by one SQLite database file. It is safe for
// concurrent use.
type Store struct {
	rw *sql.DB // exactly one connection; every write transaction runs here
	ro *sql.DB // query-only connections for reads outside transactions

	tokenKey []byte // authenticates page tokens; per database
	stmts    statements

	// version caches the change version: commits through this Store reset
	// it, so this process reads its own writes at once; other processes'
	// commits are seen within versionTTL.
	version versionCache

	mu     sync.Mutex
	subs   map[*subscriber]struct{}
	closed bool

	closeOnce sync.Once
	closeErr  error
}

var _ store.Store = (*Store)(nil)

// Open opens the database at path, creating it (mode 0600) if it does not
// exist, and brings its schema up to date.
func Open(ctx context.Context, path string) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	if err := createFile(abs); err != nil {
		return nil, fmt.Errorf("sqlite: create database: %w", err)
	}

	s := &Store{subs: make(map[*subscriber]struct{})}
	s.rw, err = sql.Open("sqlite", dsn(abs, true))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	// One writer connection that is never recycled: writes in this process
	// queue for it, and its prepared statements stay prepared.
	s.rw.SetMaxOpenConns(1)
	s.rw.SetMaxIdleConns(1)
	s.rw.SetConnMaxLifetime(0)
	s.rw.SetConnMaxIdleTime(0)

	if err := s.init(ctx, abs); err != nil {
		s.closeDBs()
		return nil, err
	}
	return s, nil
}

// init migrates the schema, opens the read pool on the database at abs and
// prepares statements.
func (s *Store) init(ctx context.Context, abs string) error {
	if err := pingBusy(ctx, s.rw); err != nil {
		return fmt.Errorf("sqlite: open: %w", err)
	}
	if err := migrate(ctx, s.rw); err != nil {
		return err
	}
	if err := s.rw.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'page_token_key'`).Scan(&s.tokenKey); err != nil {
		return fmt.Errorf("sqlite: read page token key: %w", err)
	}

	var err error
	s.ro, err = sql.Open("sqlite", dsn(abs, false))
	if err != nil {
		return fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.ro.SetMaxOpenConns(n)
	s.ro.SetMaxIdleConns(n)

	if err := s.stmts.prepare(ctx, s.rw, s.ro); err != nil {
		return fmt.Errorf("sqlite: prepare: %w", err)
	}
	return nil
}

// pingBusy opens the first connection. Switching a new database to WAL
// needs an exclusive lock and fails at once with SQLITE_BUSY, without
// waiting for the busy timeout, when another process opens it at the same
// moment; such failures are retried for as long as the busy timeout.
func pingBusy(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeoutMillis * time.Millisecond)
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		err := db.PingContext(ctx)
		if err == nil || sqliteCode(err)&0xff != sqlite3.SQLITE_BUSY || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

// createFile creates the database file with mode 0600, whatever the umask,
// unless it exists already. SQLite creates the -wal and -shm files with the
// database file's mode.
func createFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// dsn returns the driver DSN for the database at the absolute path abs.
// mode=rw stops SQLite from creating the file itself (createFile did, with
// the right mode); the underscore keys are the driver's.
func dsn(abs string, writer bool) string {
	q := url.Values{}
	q.Set("mode", "rw")
	q.Set("_busy_timeout", fmt.Sprint(busyTimeoutMillis))
	q.Set("_foreign_keys", "1")
	if writer {
		q.Set("_journal_mode", "WAL")
		// FULL: a commit is durable once it returns, even across power loss;
		// the keyring and account must not silently roll back.
		q.Set("_synchronous", "FULL")
		q.Set("_txlock", "immediate")
	} else {
		q.Set("_query_only", "1")
	}
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}
	return u.String()
}

// Close stops subscriptions and closes the database. It is safe to call more
// than once.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		for sub := range s.subs {
			sub.stop()
		}
		clear(s.subs)
		s.mu.Unlock()
		s.closeErr = s.closeDBs()
	})
	return s.closeErr
}

// closeDBs closes the statements and both pools. The writer goes last: the
// last connection to close checkpoints the WAL and removes it.
func (s *Store) closeDBs() error {
	errs := []error{s.stmts.close()}
	if s.ro != nil {
		errs = append(errs, s.ro.Close())
	}
	if s.rw != nil {
		errs = append(errs, s.rw.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("sqlite: close: %w", err)
	}
	return nil
}

// write runs fn in one immediate transaction on the writer connection. If
// changed is true the change version is bumped in the same transaction and
// subscribers are notified after the commit. An error from fn rolls back
// and is returned unchanged.
func (s *Store) write(ctx context.Context, changed bool, fn func(tx *sql.Tx) error) error {
	tx, err := s.rw.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	defer tx.Rollback() // a no-op after Commit

	if err := fn(tx); err != nil {
		return err
	}
	if changed {
		if _, err := tx.StmtContext(ctx, s.stmts.bumpVersion).ExecContext(ctx); err != nil {
			return fmt.Errorf("sqlite: bump version: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	if changed {
		s.version.invalidate()
		s.notify()
	}
	return nil
}

// sqliteCode returns the extended SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// isUniqueViolation reports whether err is a UNIQUE or PRIMARY KEY
// constraint failure.
func isUniqueViolation(err error) bool {
	switch sqliteCode(err) {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return true
	}
	return false
}

// isForeignKeyViolation reports whether err is a FOREIGN KEY constraint
// failure.
func isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// insertErr maps an INSERT failure to store errors: a unique violation
// becomes ErrAlreadyExists.
func insertErr(err error, kind, key string) error {
	if isUniqueViolation(err) {
		return fmt.Errorf("sqlite: %s %q: %w", kind, key, store.ErrAlreadyExists)
	}
	return fmt.Errorf("sqlite: insert %s %q: %w", kind, key, err)
}

// readErr maps a single-row read failure to store errors: no row becomes
// ErrNotFound.
func readErr(err error, kind, key string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %s %q: %w", kind, key, store.ErrNotFound)
	}
	return fmt.Errorf("sqlite: read %s %q: %w", kind, key, err)
}

// notFound returns the ErrNotFound error for kind and key.
func notFound(kind, key string) error {
	return fmt.Errorf("sqlite: %s %q: %w", kind, key, store.ErrNotFound)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}
