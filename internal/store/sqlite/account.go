package sqlite

import (
	"context"
	"database/sql"

	"github.com/roam-dev/roam/internal/store"
)

// CreateAccount stores the account; store.ErrAlreadyExists if one exists.
func (s *Store) CreateAccount(ctx context.Context, a *store.Account) error {
	return s.write(ctx, false, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO account (singleton, id, region, partition, root_access_key_id, root_secret_access_key, created_at)
			VALUES (1, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.Region, a.Partition, a.RootAccessKeyID, a.RootSecretAccessKey, micros(a.CreatedAt))
		if err != nil {
			return insertErr(err, "account", a.ID)
		}
		return nil
	})
}

// GetAccount returns the account; store.ErrNotFound before CreateAccount.
func (s *Store) GetAccount(ctx context.Context) (*store.Account, error) {
	var (
		a       store.Account
		created int64
	)
	err := s.ro.QueryRowContext(ctx, `
		SELECT id, region, partition, root_access_key_id, root_secret_access_key, created_at
		FROM account`).Scan(&a.ID, &a.Region, &a.Partition, &a.RootAccessKeyID, &a.RootSecretAccessKey, &created)
	if err != nil {
		return nil, readErr(err, "account", "")
	}
	a.CreatedAt = fromMicros(created)
	return &a, nil
}
