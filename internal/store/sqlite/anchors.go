package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/roam-dev/roam/internal/store"
)

const selectTrustAnchor = `
	SELECT seq, id, name, source_type, source_data, enabled, notification_settings, tags, created_at, updated_at
	FROM trust_anchors`

// scanTrustAnchor reads a row of selectTrustAnchor.
func scanTrustAnchor(row scanner) (int64, *store.TrustAnchor, error) {
	var (
		seq, created, updated int64
		notifications, tags   string
		a                     store.TrustAnchor
	)
	if err := row.Scan(&seq, &a.ID, &a.Name, &a.SourceType, &a.SourceData, &a.Enabled, &notifications, &tags, &created, &updated); err != nil {
		return 0, nil, err
	}
	if err := fromJSON("notification_settings", notifications, &a.NotificationSettings); err != nil {
		return 0, nil, err
	}
	if err := fromJSON("tags", tags, &a.Tags); err != nil {
		return 0, nil, err
	}
	a.CreatedAt, a.UpdatedAt = fromMicros(created), fromMicros(updated)
	return seq, &a, nil
}

// trustAnchorColumns returns the values of every column but seq and id, in
// the order of the INSERT and UPDATE statements.
func trustAnchorColumns(a *store.TrustAnchor) ([]any, error) {
	notifications, err := toJSON(a.NotificationSettings)
	if err != nil {
		return nil, err
	}
	tags, err := toJSON(a.Tags)
	if err != nil {
		return nil, err
	}
	return []any{a.Name, a.SourceType, a.SourceData, a.Enabled, notifications, tags, micros(a.CreatedAt), micros(a.UpdatedAt)}, nil
}

// CreateTrustAnchor stores a new anchor; store.ErrAlreadyExists if the ID
// is taken.
func (s *Store) CreateTrustAnchor(ctx context.Context, a *store.TrustAnchor) error {
	cols, err := trustAnchorColumns(a)
	if err != nil {
		return err
	}
	return s.write(ctx, true, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO trust_anchors (id, name, source_type, source_data, enabled, notification_settings, tags, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, append([]any{a.ID}, cols...)...)
		if err != nil {
			return insertErr(err, "trust anchor", a.ID)
		}
		return nil
	})
}

// GetTrustAnchor returns the anchor; store.ErrNotFound if unknown.
func (s *Store) GetTrustAnchor(ctx context.Context, id string) (*store.TrustAnchor, error) {
	_, a, err := scanTrustAnchor(s.stmts.getTrustAnchor.QueryRowContext(ctx, id))
	if err != nil {
		return nil, readErr(err, "trust anchor", id)
	}
	return a, nil
}

// getTrustAnchorTx reads an anchor inside a write transaction.
func getTrustAnchorTx(ctx context.Context, tx *sql.Tx, id string) (*store.TrustAnchor, error) {
	_, a, err := scanTrustAnchor(tx.QueryRowContext(ctx, selectTrustAnchor+` WHERE id = ?`, id))
	if err != nil {
		return nil, readErr(err, "trust anchor", id)
	}
	return a, nil
}

// UpdateTrustAnchor reads the anchor, calls update on it and stores the
// result, in one transaction. An error from update aborts the change and
// is returned as is; update must not change the ID.
func (s *Store) UpdateTrustAnchor(ctx context.Context, id string, update func(*store.TrustAnchor) error) (*store.TrustAnchor, error) {
	var out *store.TrustAnchor
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		a, err := getTrustAnchorTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := update(a); err != nil {
			return err
		}
		if a.ID != id {
			return fmt.Errorf("sqlite: update trust anchor %q: the ID cannot change (to %q)", id, a.ID)
		}
		cols, err := trustAnchorColumns(a)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE trust_anchors
			SET name = ?, source_type = ?, source_data = ?, enabled = ?, notification_settings = ?, tags = ?, created_at = ?, updated_at = ?
			WHERE id = ?`, append(cols, id)...); err != nil {
			return fmt.Errorf("sqlite: update trust anchor %q: %w", id, err)
		}
		out, err = getTrustAnchorTx(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteTrustAnchor removes the anchor, and the CRLs that name it, and
// returns the anchor as it was; store.ErrNotFound if unknown.
func (s *Store) DeleteTrustAnchor(ctx context.Context, id string) (*store.TrustAnchor, error) {
	var out *store.TrustAnchor
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		var err error
		if out, err = getTrustAnchorTx(ctx, tx, id); err != nil {
			return err
		}
		// The crls foreign key cascades.
		if _, err := tx.ExecContext(ctx, `DELETE FROM trust_anchors WHERE id = ?`, id); err != nil {
			return fmt.Errorf("sqlite: delete trust anchor %q: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListTrustAnchors lists anchors in creation order.
func (s *Store) ListTrustAnchors(ctx context.Context, p store.Page) ([]*store.TrustAnchor, string, error) {
	return listPage(ctx, s, "trust-anchors", p,
		func(ctx context.Context, after *cursor, limit int) (*sql.Rows, error) {
			return s.ro.QueryContext(ctx, selectTrustAnchor+` WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq(after), limit)
		},
		scanTrustAnchor, bySeq)
}
