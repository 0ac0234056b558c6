package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/roam-dev/roam/internal/store"
)

// statements are the prepared statements of the hot paths: the Get
// methods the server's snapshots and handlers call, Version, and the
// statements of RecordSubjectActivity and of every write transaction.
type statements struct {
	// On the read pool.
	version        *sql.Stmt
	getTrustAnchor *sql.Stmt
	getProfile     *sql.Stmt
	getCRL         *sql.Stmt
	getSubject     *sql.Stmt
	getRole        *sql.Stmt
	getPolicy      *sql.Stmt

	// On the writer connection, used through tx.StmtContext.
	bumpVersion      *sql.Stmt
	subjectForUpdate *sql.Stmt
	insertSubject    *sql.Stmt
	updateSubject    *sql.Stmt
}

// prepare prepares every statement.
func (st *statements) prepare(ctx context.Context, rw, ro *sql.DB) error {
	for _, p := range []struct {
		db    *sql.DB
		stmt  **sql.Stmt
		query string
	}{
		{ro, &st.version, `SELECT value FROM change_version`},
		{ro, &st.getTrustAnchor, selectTrustAnchor + ` WHERE id = ?`},
		{ro, &st.getProfile, selectProfile + ` WHERE id = ?`},
		{ro, &st.getCRL, selectCRL + ` WHERE id = ?`},
		{ro, &st.getSubject, selectSubject + ` WHERE id = ?`},
		{ro, &st.getRole, selectRole + ` WHERE name_key = ?`},
		{ro, &st.getPolicy, selectPolicy + ` WHERE name_key = ?`},

		{rw, &st.bumpVersion, `UPDATE change_version SET value = value + 1`},
		{rw, &st.subjectForUpdate, selectSubject + ` WHERE id = ?`},
		{rw, &st.insertSubject, insertSubject},
		{rw, &st.updateSubject, updateSubject},
	} {
		stmt, err := p.db.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("%s: %w", p.query, err)
		}
		*p.stmt = stmt
	}
	return nil
}

// close closes every prepared statement.
func (st *statements) close() error {
	var errs []error
	for _, stmt := range []*sql.Stmt{
		st.version, st.getTrustAnchor, st.getProfile, st.getCRL, st.getSubject, st.getRole, st.getPolicy,
		st.bumpVersion, st.subjectForUpdate, st.insertSubject, st.updateSubject,
	} {
		if stmt != nil {
			errs = append(errs, stmt.Close())
		}
	}
	return errors.Join(errs...)
}

// listPage reads one page of a keyset-paginated listing. query runs the
// listing's SELECT after the cursor of the previous page (nil for the
// first page), returning at most limit rows; scan reads one row; pos gives
// a record's cursor for the next token.
func listPage[T any](
	ctx context.Context, s *Store, listing string, p store.Page,
	query func(ctx context.Context, after *cursor, limit int) (*sql.Rows, error),
	scan func(scanner) (int64, T, error),
	pos func(seq int64, item T) cursor,
) ([]T, string, error) {
	after, err := s.decodeToken(listing, p.Token)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list %s: %w", listing, err)
	}
	limit := pageLimit(p)
	// Ask for one more row than the page holds to learn whether another
	// page follows.
	rows, err := query(ctx, after, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: list %s: %w", listing, err)
	}
	defer rows.Close()

	var (
		items   []T
		lastSeq int64
		next    string
	)
	for rows.Next() {
		if len(items) == limit {
			c := pos(lastSeq, items[len(items)-1])
			c.Listing = listing
			next = s.encodeToken(c)
			break
		}
		seq, item, err := scan(rows)
		if err != nil {
			return nil, "", fmt.Errorf("sqlite: list %s: %w", listing, err)
		}
		items = append(items, item)
		lastSeq = seq
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlite: list %s: %w", listing, err)
	}
	return items, next, nil
}

// bySeq is the cursor of a creation-ordered listing.
func bySeq[T any](seq int64, _ T) cursor { return cursor{Seq: seq} }

// afterSeq returns the seq a creation-ordered page starts after.
func afterSeq(c *cursor) int64 {
	if c == nil {
		return 0
	}
	return c.Seq
}

// listAll reads every row of query.
func listAll[T any](ctx context.Context, db *sql.DB, what, query string, scan func(scanner) (int64, T, error), args ...any) ([]T, error) {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list %s: %w", what, err)
	}
	defer rows.Close()
	var items []T
	for rows.Next() {
		_, item, err := scan(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: list %s: %w", what, err)
		}
		items = append(items, item)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: list %s: %w", what, err)
	}
	return items, nil
}
