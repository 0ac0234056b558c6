package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/roam-dev/roam/internal/store"
)

const selectCRL = `
	SELECT seq, id, name, enabled, data, trust_anchor_id, tags, created_at, updated_at
	FROM crls`

// scanCRL reads a row of selectCRL.
func scanCRL(row scanner) (int64, *store.CRL, error) {
	var (
		seq, created, updated int64
		tags                  string
		c                     store.CRL
	)
	if err := row.Scan(&seq, &c.ID, &c.Name, &c.Enabled, &c.Data, &c.TrustAnchorID, &tags, &created, &updated); err != nil {
		return 0, nil, err
	}
	if err := fromJSON("tags", tags, &c.Tags); err != nil {
		return 0, nil, err
	}
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return seq, &c, nil
}

// crlColumns returns the values of every column but seq and id, in the
// order of the INSERT and UPDATE statements.
func crlColumns(c *store.CRL) ([]any, error) {
	tags, err := toJSON(c.Tags)
	if err != nil {
		return nil, err
	}
	return []any{c.Name, c.Enabled, nonNilBytes(c.Data), c.TrustAnchorID, tags, micros(c.CreatedAt), micros(c.UpdatedAt)}, nil
}

// crlWriteErr maps a failed INSERT or UPDATE of a CRL: naming a trust
// anchor that does not exist is store.ErrNotFound, a taken ID
// store.ErrAlreadyExists.
func crlWriteErr(err error, c *store.CRL) error {
	switch {
	case isForeignKeyViolation(err):
		return fmt.Errorf("sqlite: CRL %q names trust anchor %q: %w", c.ID, c.TrustAnchorID, store.ErrNotFound)
	case isUniqueViolation(err):
		return fmt.Errorf("sqlite: CRL %q: %w", c.ID, store.ErrAlreadyExists)
	}
	return fmt.Errorf("sqlite: write CRL %q: %w", c.ID, err)
}

// CreateCRL stores a new CRL; store.ErrAlreadyExists if the ID is taken,
// store.ErrNotFound if the trust anchor it names does not exist.
func (s *Store) CreateCRL(ctx context.Context, c *store.CRL) error {
	cols, err := crlColumns(c)
	if err != nil {
		return err
	}
	return s.write(ctx, true, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO crls (id, name, enabled, data, trust_anchor_id, tags, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, append([]any{c.ID}, cols...)...)
		if err != nil {
			return crlWriteErr(err, c)
		}
		return nil
	})
}

// GetCRL returns the CRL; store.ErrNotFound if unknown.
func (s *Store) GetCRL(ctx context.Context, id string) (*store.CRL, error) {
	_, c, err := scanCRL(s.stmts.getCRL.QueryRowContext(ctx, id))
	if err != nil {
		return nil, readErr(err, "CRL", id)
	}
	return c, nil
}

// getCRLTx reads a CRL inside a write transaction.
func getCRLTx(ctx context.Context, tx *sql.Tx, id string) (*store.CRL, error) {
	_, c, err := scanCRL(tx.QueryRowContext(ctx, selectCRL+` WHERE id = ?`, id))
	if err != nil {
		return nil, readErr(err, "CRL", id)
	}
	return c, nil
}

// UpdateCRL reads the CRL, calls update on it and stores the result, in
// one transaction. An error from update aborts the change and is returned
// as is; update must not change the ID, and a TrustAnchorID it sets must
// name an existing anchor (else store.ErrNotFound).
func (s *Store) UpdateCRL(ctx context.Context, id string, update func(*store.CRL) error) (*store.CRL, error) {
	var out *store.CRL
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		c, err := getCRLTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := update(c); err != nil {
			return err
		}
		if c.ID != id {
			return fmt.Errorf("sqlite: update CRL %q: the ID cannot change (to %q)", id, c.ID)
		}
		cols, err := crlColumns(c)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE crls
			SET name = ?, enabled = ?, data = ?, trust_anchor_id = ?, tags = ?, created_at = ?, updated_at = ?
			WHERE id = ?`, append(cols, id)...); err != nil {
			return crlWriteErr(err, c)
		}
		out, err = getCRLTx(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteCRL removes the CRL and returns it as it was; store.ErrNotFound if
// unknown.
func (s *Store) DeleteCRL(ctx context.Context, id string) (*store.CRL, error) {
	var out *store.CRL
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		var err error
		if out, err = getCRLTx(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM crls WHERE id = ?`, id); err != nil {
			return fmt.Errorf("sqlite: delete CRL %q: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListCRLs lists CRLs in creation order.
func (s *Store) ListCRLs(ctx context.Context, p store.Page) ([]*store.CRL, string, error) {
	return listPage(ctx, s, "crls", p,
		func(ctx context.Context, after *cursor, limit int) (*sql.Rows, error) {
			return s.ro.QueryContext(ctx, selectCRL+` WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq(after), limit)
		},
		scanCRL, bySeq)
}

// CountCRLsForTrustAnchor counts the CRLs that name the anchor (0 for an
// unknown anchor).
func (s *Store) CountCRLsForTrustAnchor(ctx context.Context, trustAnchorID string) (int, error) {
	var n int
	if err := s.ro.QueryRowContext(ctx, `SELECT COUNT(*) FROM crls WHERE trust_anchor_id = ?`, trustAnchorID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count CRLs of trust anchor %q: %w", trustAnchorID, err)
	}
	return n, nil
}
