package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/roam-dev/roam/internal/store"
)

const selectProfile = `
	SELECT seq, id, name, enabled, role_arns, managed_policy_arns, session_policy, duration_seconds,
	       require_instance_properties, accept_role_session_name, attribute_mappings, created_by, tags,
	       created_at, updated_at
	FROM profiles`

// scanProfile reads a row of selectProfile.
func scanProfile(row scanner) (int64, *store.Profile, error) {
	var (
		seq, created, updated                int64
		roleArns, policyArns, mappings, tags string
		p                                    store.Profile
	)
	if err := row.Scan(&seq, &p.ID, &p.Name, &p.Enabled, &roleArns, &policyArns, &p.SessionPolicy, &p.DurationSeconds,
		&p.RequireInstanceProperties, &p.AcceptRoleSessionName, &mappings, &p.CreatedBy, &tags,
		&created, &updated); err != nil {
		return 0, nil, err
	}
	for _, c := range []struct {
		name, text string
		v          any
	}{
		{"role_arns", roleArns, &p.RoleArns},
		{"managed_policy_arns", policyArns, &p.ManagedPolicyArns},
		{"attribute_mappings", mappings, &p.AttributeMappings},
		{"tags", tags, &p.Tags},
	} {
		if err := fromJSON(c.name, c.text, c.v); err != nil {
			return 0, nil, err
		}
	}
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return seq, &p, nil
}

// profileColumns returns the values of every column but seq and id, in the
// order of the INSERT and UPDATE statements.
func profileColumns(p *store.Profile) ([]any, error) {
	var roleArns, policyArns, mappings, tags string
	for _, c := range []struct {
		dst *string
		v   any
	}{
		{&roleArns, p.RoleArns},
		{&policyArns, p.ManagedPolicyArns},
		{&mappings, p.AttributeMappings},
		{&tags, p.Tags},
	} {
		var err error
		if *c.dst, err = toJSON(c.v); err != nil {
			return nil, err
		}
	}
	return []any{p.Name, p.Enabled, roleArns, policyArns, p.SessionPolicy, p.DurationSeconds,
		p.RequireInstanceProperties, p.AcceptRoleSessionName, mappings, p.CreatedBy, tags,
		micros(p.CreatedAt), micros(p.UpdatedAt)}, nil
}

// CreateProfile stores a new profile; store.ErrAlreadyExists if the ID is
// taken.
func (s *Store) CreateProfile(ctx context.Context, p *store.Profile) error {
	cols, err := profileColumns(p)
	if err != nil {
		return err
	}
	return s.write(ctx, true, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO profiles (id, name, enabled, role_arns, managed_policy_arns, session_policy, duration_seconds,
			                      require_instance_properties, accept_role_session_name, attribute_mappings, created_by, tags,
			                      created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append([]any{p.ID}, cols...)...)
		if err != nil {
			return insertErr(err, "profile", p.ID)
		}
		return nil
	})
}

// GetProfile returns the profile; store.ErrNotFound if unknown.
func (s *Store) GetProfile(ctx context.Context, id string) (*store.Profile, error) {
	_, p, err := scanProfile(s.stmts.getProfile.QueryRowContext(ctx, id))
	if err != nil {
		return nil, readErr(err, "profile", id)
	}
	return p, nil
}

// getProfileTx reads a profile inside a write transaction.
func getProfileTx(ctx context.Context, tx *sql.Tx, id string) (*store.Profile, error) {
	_, p, err := scanProfile(tx.QueryRowContext(ctx, selectProfile+` WHERE id = ?`, id))
	if err != nil {
		return nil, readErr(err, "profile", id)
	}
	return p, nil
}

// UpdateProfile reads the profile, calls update on it and stores the
// result, in one transaction. An error from update aborts the change and
// is returned as is; update must not change the ID.
func (s *Store) UpdateProfile(ctx context.Context, id string, update func(*store.Profile) error) (*store.Profile, error) {
	var out *store.Profile
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		p, err := getProfileTx(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := update(p); err != nil {
			return err
		}
		if p.ID != id {
			return fmt.Errorf("sqlite: update profile %q: the ID cannot change (to %q)", id, p.ID)
		}
		cols, err := profileColumns(p)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE profiles
			SET name = ?, enabled = ?, role_arns = ?, managed_policy_arns = ?, session_policy = ?, duration_seconds = ?,
			    require_instance_properties = ?, accept_role_session_name = ?, attribute_mappings = ?, created_by = ?, tags = ?,
			    created_at = ?, updated_at = ?
			WHERE id = ?`, append(cols, id)...); err != nil {
			return fmt.Errorf("sqlite: update profile %q: %w", id, err)
		}
		out, err = getProfileTx(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteProfile removes the profile and returns it as it was;
// store.ErrNotFound if unknown.
func (s *Store) DeleteProfile(ctx context.Context, id string) (*store.Profile, error) {
	var out *store.Profile
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		var err error
		if out, err = getProfileTx(ctx, tx, id); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM profiles WHERE id = ?`, id); err != nil {
			return fmt.Errorf("sqlite: delete profile %q: %w", id, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListProfiles lists profiles in creation order.
func (s *Store) ListProfiles(ctx context.Context, p store.Page) ([]*store.Profile, string, error) {
	return listPage(ctx, s, "profiles", p,
		func(ctx context.Context, after *cursor, limit int) (*sql.Rows, error) {
			return s.ro.QueryContext(ctx, selectProfile+` WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq(after), limit)
		},
		scanProfile, bySeq)
}
