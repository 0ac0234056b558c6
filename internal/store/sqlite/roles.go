package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/roam-dev/roam/internal/store"
)

const selectRole = `
	SELECT seq, name, id, path, assume_role_policy_document, description, max_session_duration,
	       tags, inline_policies, attached_policy_arns, created_at
	FROM roles`

// nameKey is the unique, case-insensitive key of a role or policy name.
func nameKey(name string) string { return strings.ToLower(name) }

// pathFilter is the SQL condition for "path starts with ?1" ("" for all).
// substr/length count characters, so this is exact and case-sensitive
// where LIKE would not be.
const pathFilter = `(?1 = '' OR substr(path, 1, length(?1)) = ?1)`

// pathPrefixArg normalises a path prefix: "" and "/" both mean all.
func pathPrefixArg(prefix string) string {
	if prefix == "/" {
		return ""
	}
	return prefix
}

// scanRole reads a row of selectRole.
func scanRole(row scanner) (int64, *store.Role, error) {
	var (
		seq, created           int64
		tags, inline, attached string
		r                      store.Role
	)
	if err := row.Scan(&seq, &r.Name, &r.ID, &r.Path, &r.AssumeRolePolicyDocument, &r.Description, &r.MaxSessionDuration,
		&tags, &inline, &attached, &created); err != nil {
		return 0, nil, err
	}
	if err := fromJSON("tags", tags, &r.Tags); err != nil {
		return 0, nil, err
	}
	if err := fromJSON("inline_policies", inline, &r.InlinePolicies); err != nil {
		return 0, nil, err
	}
	if err := fromJSON("attached_policy_arns", attached, &r.AttachedPolicyArns); err != nil {
		return 0, nil, err
	}
	r.CreatedAt = fromMicros(created)
	return seq, &r, nil
}

// roleColumns returns the values of every column but seq, name and
// name_key, in the order of the INSERT and UPDATE statements.
func roleColumns(r *store.Role) ([]any, error) {
	tags, err := toJSON(r.Tags)
	if err != nil {
		return nil, err
	}
	inline, err := toJSON(r.InlinePolicies)
	if err != nil {
		return nil, err
	}
	attached, err := toJSON(r.AttachedPolicyArns)
	if err != nil {
		return nil, err
	}
	return []any{r.ID, r.Path, r.AssumeRolePolicyDocument, r.Description, r.MaxSessionDuration,
		tags, inline, attached, micros(r.CreatedAt)}, nil
}

// CreateRole stores a new role; store.ErrAlreadyExists if a role of that
// name exists in any letter case. AttachedPolicyArns must be empty: roles
// gain attachments only through AttachRolePolicy, which keeps the
// policies' AttachmentCount right.
func (s *Store) CreateRole(ctx context.Context, r *store.Role) error {
	if len(r.AttachedPolicyArns) > 0 {
		return fmt.Errorf("sqlite: create role %q: attach policies with AttachRolePolicy, not CreateRole", r.Name)
	}
	cols, err := roleColumns(r)
	if err != nil {
		return err
	}
	return s.write(ctx, true, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO roles (name, name_key, id, path, assume_role_policy_document, description, max_session_duration,
			                   tags, inline_policies, attached_policy_arns, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, append([]any{r.Name, nameKey(r.Name)}, cols...)...)
		if err != nil {
			return insertErr(err, "role", r.Name)
		}
		return nil
	})
}

// GetRole returns the role, matching name case-insensitively;
// store.ErrNotFound if unknown.
func (s *Store) GetRole(ctx context.Context, name string) (*store.Role, error) {
	_, r, err := scanRole(s.stmts.getRole.QueryRowContext(ctx, nameKey(name)))
	if err != nil {
		return nil, readErr(err, "role", name)
	}
	return r, nil
}

// getRoleTx reads a role inside a write transaction.
func getRoleTx(ctx context.Context, tx *sql.Tx, name string) (int64, *store.Role, error) {
	seq, r, err := scanRole(tx.QueryRowContext(ctx, selectRole+` WHERE name_key = ?`, nameKey(name)))
	if err != nil {
		return 0, nil, readErr(err, "role", name)
	}
	return seq, r, nil
}

// UpdateRole reads the role, calls update on it and stores the result, in
// one transaction. An error from update aborts the change and is returned
// as is. update must not change Name (IAM cannot rename roles) nor
// AttachedPolicyArns (use AttachRolePolicy and DetachRolePolicy).
func (s *Store) UpdateRole(ctx context.Context, name string, update func(*store.Role) error) (*store.Role, error) {
	var out *store.Role
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		seq, r, err := getRoleTx(ctx, tx, name)
		if err != nil {
			return err
		}
		was, attached := r.Name, slices.Clone(r.AttachedPolicyArns)
		if err := update(r); err != nil {
			return err
		}
		if r.Name != was {
			return fmt.Errorf("sqlite: update role %q: the name cannot change (to %q)", was, r.Name)
		}
		if !slices.Equal(r.AttachedPolicyArns, attached) {
			return fmt.Errorf("sqlite: update role %q: change attachments with AttachRolePolicy and DetachRolePolicy", was)
		}
		cols, err := roleColumns(r)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE roles
			SET id = ?, path = ?, assume_role_policy_document = ?, description = ?, max_session_duration = ?,
			    tags = ?, inline_policies = ?, attached_policy_arns = ?, created_at = ?
			WHERE seq = ?`, append(cols, seq)...); err != nil {
			return fmt.Errorf("sqlite: update role %q: %w", was, err)
		}
		_, out, err = getRoleTx(ctx, tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteRole removes the role and returns it as it was; store.ErrNotFound
// if unknown, store.ErrConflict while it has inline or attached policies.
func (s *Store) DeleteRole(ctx context.Context, name string) (*store.Role, error) {
	var out *store.Role
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		seq, r, err := getRoleTx(ctx, tx, name)
		if err != nil {
			return err
		}
		if len(r.InlinePolicies) > 0 || len(r.AttachedPolicyArns) > 0 {
			return fmt.Errorf("sqlite: delete role %q: it has %d inline and %d attached policies: %w",
				r.Name, len(r.InlinePolicies), len(r.AttachedPolicyArns), store.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM roles WHERE seq = ?`, seq); err != nil {
			return fmt.Errorf("sqlite: delete role %q: %w", r.Name, err)
		}
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListRoles lists the roles whose path starts with pathPrefix ("" or "/"
// for all), ordered by name case-insensitively.
func (s *Store) ListRoles(ctx context.Context, pathPrefix string, p store.Page) ([]*store.Role, string, error) {
	prefix := pathPrefixArg(pathPrefix)
	return listPage(ctx, s, "roles:"+prefix, p,
		func(ctx context.Context, after *cursor, limit int) (*sql.Rows, error) {
			var afterName any // NULL: from the start
			if after != nil {
				afterName = after.Name
			}
			return s.ro.QueryContext(ctx, selectRole+` WHERE `+pathFilter+` AND (?2 IS NULL OR name_key > ?2)
				ORDER BY name_key LIMIT ?3`, prefix, afterName, limit)
		},
		scanRole,
		func(_ int64, r *store.Role) cursor { return cursor{Name: nameKey(r.Name)} })
}

// ListAllRoles returns every role, ordered by name case-insensitively.
func (s *Store) ListAllRoles(ctx context.Context) ([]*store.Role, error) {
	return listAll(ctx, s.ro, "roles", selectRole+` ORDER BY name_key`, scanRole)
}
