package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/store/sqlite"
	"github.com/roam-dev/roam/internal/store/storetest"
)

// open opens a store on path, closed when t ends.
func open(t testing.TB, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "roam.db"))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return s
	})
}

func anchor(id string) *store.TrustAnchor {
	return &store.TrustAnchor{ID: id, Name: "a-" + id, SourceType: "CERTIFICATE_BUNDLE", Enabled: true}
}

func TestReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "roam.db")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"a1", "a2", "a3"} {
		if err := s.CreateTrustAnchor(ctx, anchor(id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddSealingKey(ctx, &store.SealingKey{ID: "k1", Key: make([]byte, 32)}); err != nil {
		t.Fatal(err)
	}
	_, token, err := s.ListTrustAnchors(ctx, store.Page{Size: 1})
	if err != nil {
		t.Fatal(err)
	}
	v, err := s.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	s = open(t, path)
	if _, err := s.GetTrustAnchor(ctx, "a2"); err != nil {
		t.Errorf("GetTrustAnchor after reopening: %v", err)
	}
	keys, err := s.ListSealingKeys(ctx)
	if err != nil || len(keys) != 1 {
		t.Errorf("ListSealingKeys after reopening: %d keys, %v; want 1", len(keys), err)
	}
	if v2, err := s.Version(ctx); err != nil || v2 != v {
		t.Errorf("Version after reopening = %d, %v; want %d", v2, err, v)
	}
	// Page tokens outlive the process that issued them.
	items, _, err := s.ListTrustAnchors(ctx, store.Page{Token: token, Size: 1})
	if err != nil || len(items) != 1 || items[0].ID != "a2" {
		t.Errorf("ListTrustAnchors with a token from before reopening: %v, %v; want [a2]", items, err)
	}
}

func TestPageTokenTampering(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	s := open(t, filepath.Join(dir, "a.db"))
	other := open(t, filepath.Join(dir, "b.db"))
	for _, st := range []*sqlite.Store{s, other} {
		for _, id := range []string{"a1", "a2", "a3"} {
			if err := st.CreateTrustAnchor(ctx, anchor(id)); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, token, err := s.ListTrustAnchors(ctx, store.Page{Size: 1})
	if err != nil || token == "" {
		t.Fatalf("ListTrustAnchors: token %q, %v", token, err)
	}
	for i := range token {
		b := []byte(token)
		b[i] = map[bool]byte{true: 'B', false: 'A'}[b[i] == 'A']
		if _, _, err := s.ListTrustAnchors(ctx, store.Page{Token: string(b), Size: 1}); !errors.Is(err, store.ErrInvalidPageToken) {
			t.Errorf("token with byte %d changed: err = %v, want ErrInvalidPageToken", i, err)
		}
	}
	if _, _, err := s.ListTrustAnchors(ctx, store.Page{Token: token[:len(token)-1], Size: 1}); !errors.Is(err, store.ErrInvalidPageToken) {
		t.Errorf("truncated token: err = %v, want ErrInvalidPageToken", err)
	}
	if _, _, err := other.ListTrustAnchors(ctx, store.Page{Token: token, Size: 1}); !errors.Is(err, store.ErrInvalidPageToken) {
		t.Errorf("token of another database: err = %v, want ErrInvalidPageToken", err)
	}
}

// migrationFiles returns the names of the embedded migrations, from the
// source tree.
func migrationFiles(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// appliedMigrations reads schema_migrations of the database at path.
func appliedMigrations(t *testing.T, path string) []string {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT version, name FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			t.Fatal(err)
		}
		if want := len(names) + 1; v != want {
			t.Errorf("schema_migrations: version %d where %d was expected", v, want)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return names
}

func TestMigrations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roam.db")
	want := migrationFiles(t)
	if len(want) == 0 || want[0] != "0001_init.sql" {
		t.Fatalf("migrations = %v, want 0001_init.sql first", want)
	}

	open(t, path).Close()
	if got := appliedMigrations(t, path); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("schema_migrations after the first Open = %v, want %v", got, want)
	}
	// Opening again applies nothing twice.
	open(t, path).Close()
	if got := appliedMigrations(t, path); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("schema_migrations after the second Open = %v, want %v", got, want)
	}
}

func TestConcurrentOpensMigrateOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roam.db")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			s, err := sqlite.Open(t.Context(), path)
			if err != nil {
				errs <- err
				return
			}
			errs <- s.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Open: %v", err)
		}
	}
	if got, want := appliedMigrations(t, path), migrationFiles(t); len(got) != len(want) {
		t.Errorf("schema_migrations = %v, want %v", got, want)
	}
}

func TestSchemaTooNew(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roam.db")
	open(t, path).Close()

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, '0999_future.sql', 0)`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	s, err := sqlite.Open(t.Context(), path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a database from a newer roam succeeded")
	}
	if !errors.Is(err, sqlite.ErrSchemaTooNew) || !strings.Contains(err.Error(), "999") {
		t.Errorf("Open of a database from a newer roam: err = %v, want ErrSchemaTooNew naming version 999", err)
	}
}

func TestNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "roam.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database\n", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := sqlite.Open(t.Context(), path); err == nil {
		s.Close()
		t.Fatal("Open of a file that is not a database succeeded")
	}
}

// TestConcurrentWriters writes from many goroutines through one Store and
// through two Stores on the same file (as two processes would): no write
// fails with SQLITE_BUSY, and every write counts.
func TestConcurrentWriters(t *testing.T) {
	const goroutines, writes = 32, 10
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "roam.db")
	stores := []*sqlite.Store{open(t, path), open(t, path)}
	v0, err := stores[0].Version(ctx)
	if err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	errs := make(chan error, goroutines*writes)
	for g := range goroutines {
		s := stores[g%len(stores)]
		wg.Go(func() {
			for i := range writes {
				id := fmt.Sprintf("g%d-%d", g, i)
				if err := s.CreateTrustAnchor(ctx, anchor(id)); err != nil {
					errs <- err
					continue
				}
				// A read-modify-write and a batch on the same file.
				if _, err := s.UpdateTrustAnchor(ctx, id, func(a *store.TrustAnchor) error { a.Enabled = false; return nil }); err != nil {
					errs <- err
				}
				if err := s.RecordSubjectActivity(ctx, []store.SubjectActivity{{SubjectID: "s", At: time.Unix(int64(i), 0)}}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}

	n := 0
	for p := (store.Page{Size: 100}); ; {
		items, next, err := stores[1].ListTrustAnchors(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		n += len(items)
		if next == "" {
			break
		}
		p.Token = next
	}
	if n != goroutines*writes {
		t.Errorf("%d anchors after %d concurrent creates", n, goroutines*writes)
	}
	v, err := stores[0].Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := v-v0, int64(2*goroutines*writes); got != want {
		t.Errorf("Version moved by %d after %d changes", got, want)
	}
}

func BenchmarkGetTrustAnchor(b *testing.B) {
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "roam.db"))
	a := anchor("bench")
	a.SourceData = "-----BEGIN CERTIFICATE-----\n" + strings.Repeat("MIIBszCCAVmgAwIBAgIUJ1pB\n", 40) + "-----END CERTIFICATE-----\n"
	a.Tags = []store.Tag{{Key: "team", Value: "platform"}, {Key: "env", Value: "prod"}}
	if err := s.CreateTrustAnchor(ctx, a); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.GetTrustAnchor(ctx, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordSubjectActivity records batches of 100 attempts by 1,000
// subjects, as the write-behind recorder would.
func BenchmarkRecordSubjectActivity(b *testing.B) {
	const batchSize, subjects = 100, 1000
	ctx := context.Background()
	s := open(b, filepath.Join(b.TempDir(), "roam.db"))
	pem := "-----BEGIN CERTIFICATE-----\n" + strings.Repeat("MIIBszCCAVmgAwIBAgIUJ1pB\n", 30) + "-----END CERTIFICATE-----\n"
	batch := make([]store.SubjectActivity, batchSize)
	n := 0
	b.ReportAllocs()
	for b.Loop() {
		for i := range batch {
			sub := n % subjects
			batch[i] = store.SubjectActivity{
				SubjectID:   fmt.Sprintf("subject-%04d", sub),
				X509Subject: fmt.Sprintf("CN=client-%d,O=roam", sub),
				At:          time.Unix(1_700_000_000+int64(n), 0),
				Credential: store.CredentialUse{
					SerialNumber:   fmt.Sprintf("%x", n%(subjects*3)),
					Issuer:         "CN=Test CA,O=roam",
					Enabled:        true,
					CertificatePEM: pem,
				},
				InstanceProperties: map[string]string{"hostname": "web-1"},
			}
			n++
		}
		if err := s.RecordSubjectActivity(ctx, batch); err != nil {
			b.Fatal(err)
		}
	}
}
