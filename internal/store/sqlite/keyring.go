package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/roam-dev/roam/internal/store"
)

// AddSealingKey stores a new key; store.ErrAlreadyExists on a duplicate ID.
func (s *Store) AddSealingKey(ctx context.Context, k *store.SealingKey) error {
	return s.write(ctx, true, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO sealing_keys (id, key, created_at, retired) VALUES (?, ?, ?, ?)`,
			k.ID, nonNilBytes(k.Key), micros(k.CreatedAt), k.Retired)
		if err != nil {
			return insertErr(err, "sealing key", k.ID)
		}
		return nil
	})
}

// ListSealingKeys returns every key, oldest first.
func (s *Store) ListSealingKeys(ctx context.Context) ([]*store.SealingKey, error) {
	return listAll(ctx, s.ro, "sealing keys",
		`SELECT seq, id, key, created_at, retired FROM sealing_keys ORDER BY seq`,
		func(row scanner) (int64, *store.SealingKey, error) {
			var (
				seq, created int64
				k            store.SealingKey
			)
			if err := row.Scan(&seq, &k.ID, &k.Key, &created, &k.Retired); err != nil {
				return 0, nil, err
			}
			k.CreatedAt = fromMicros(created)
			return seq, &k, nil
		})
}

// RetireSealingKey marks a key retired; store.ErrNotFound if unknown.
// Retiring a retired key succeeds.
func (s *Store) RetireSealingKey(ctx context.Context, id string) error {
	return s.write(ctx, true, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sealing_keys SET retired = 1 WHERE id = ?`, id)
		if err != nil {
			return fmt.Errorf("sqlite: retire sealing key %q: %w", id, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("sqlite: retire sealing key %q: %w", id, err)
		} else if n == 0 {
			return notFound("sealing key", id)
		}
		return nil
	})
}
