package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/roam-dev/roam/internal/store"
)

const selectPolicy = `
	SELECT seq, name, id, path, description, tags, versions, attachment_count, created_at, updated_at
	FROM policies`

// scanPolicy reads a row of selectPolicy.
func scanPolicy(row scanner) (int64, *store.ManagedPolicy, error) {
	var (
		seq, created, updated int64
		tags, versions        string
		p                     store.ManagedPolicy
	)
	if err := row.Scan(&seq, &p.Name, &p.ID, &p.Path, &p.Description, &tags, &versions, &p.AttachmentCount,
		&created, &updated); err != nil {
		return 0, nil, err
	}
	if err := fromJSON("tags", tags, &p.Tags); err != nil {
		return 0, nil, err
	}
	if err := fromJSON("versions", versions, &p.Versions); err != nil {
		return 0, nil, err
	}
	p.CreatedAt, p.UpdatedAt = fromMicros(created), fromMicros(updated)
	return seq, &p, nil
}

// policyColumns returns the values of id, path, description, tags,
// versions, created_at and updated_at, in that order.
func policyColumns(p *store.ManagedPolicy) ([]any, error) {
	tags, err := toJSON(p.Tags)
	if err != nil {
		return nil, err
	}
	// Version times round-trip like column times.
	vs := slices.Clone(p.Versions)
	for i := range vs {
		vs[i].CreatedAt = canonicalTime(vs[i].CreatedAt)
	}
	versions, err := toJSON(vs)
	if err != nil {
		return nil, err
	}
	return []any{p.ID, p.Path, p.Description, tags, versions, micros(p.CreatedAt), micros(p.UpdatedAt)}, nil
}

// CreatePolicy stores a new policy; store.ErrAlreadyExists if a policy of
// that name exists in any letter case. AttachmentCount must be 0: it is
// maintained by AttachRolePolicy and DetachRolePolicy.
func (s *Store) CreatePolicy(ctx context.Context, p *store.ManagedPolicy) error {
	if p.AttachmentCount != 0 {
		return fmt.Errorf("sqlite: create policy %q: AttachmentCount is maintained by AttachRolePolicy; it must be 0", p.Name)
	}
	cols, err := policyColumns(p)
	if err != nil {
		return err
	}
	return s.write(ctx, true, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `
			INSERT INTO policies (name, name_key, id, path, description, tags, versions, created_at, updated_at, attachment_count)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`, append([]any{p.Name, nameKey(p.Name)}, cols...)...)
		if err != nil {
			return insertErr(err, "policy", p.Name)
		}
		return nil
	})
}

// GetPolicy returns the policy, matching name case-insensitively;
// store.ErrNotFound if unknown.
func (s *Store) GetPolicy(ctx context.Context, name string) (*store.ManagedPolicy, error) {
	_, p, err := scanPolicy(s.stmts.getPolicy.QueryRowContext(ctx, nameKey(name)))
	if err != nil {
		return nil, readErr(err, "policy", name)
	}
	return p, nil
}

// getPolicyTx reads a policy inside a write transaction.
func getPolicyTx(ctx context.Context, tx *sql.Tx, name string) (int64, *store.ManagedPolicy, error) {
	seq, p, err := scanPolicy(tx.QueryRowContext(ctx, selectPolicy+` WHERE name_key = ?`, nameKey(name)))
	if err != nil {
		return 0, nil, readErr(err, "policy", name)
	}
	return seq, p, nil
}

// UpdatePolicy reads the policy, calls update on it and stores the result,
// in one transaction. An error from update aborts the change and is
// returned as is. update must not change Name nor AttachmentCount.
func (s *Store) UpdatePolicy(ctx context.Context, name string, update func(*store.ManagedPolicy) error) (*store.ManagedPolicy, error) {
	var out *store.ManagedPolicy
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		seq, p, err := getPolicyTx(ctx, tx, name)
		if err != nil {
			return err
		}
		was, count := p.Name, p.AttachmentCount
		if err := update(p); err != nil {
			return err
		}
		if p.Name != was {
			return fmt.Errorf("sqlite: update policy %q: the name cannot change (to %q)", was, p.Name)
		}
		if p.AttachmentCount != count {
			return fmt.Errorf("sqlite: update policy %q: AttachmentCount is maintained by AttachRolePolicy and DetachRolePolicy", was)
		}
		cols, err := policyColumns(p)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE policies
			SET id = ?, path = ?, description = ?, tags = ?, versions = ?, created_at = ?, updated_at = ?
			WHERE seq = ?`, append(cols, seq)...); err != nil {
			return fmt.Errorf("sqlite: update policy %q: %w", was, err)
		}
		_, out, err = getPolicyTx(ctx, tx, name)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeletePolicy removes the policy and returns it as it was;
// store.ErrNotFound if unknown, store.ErrConflict while it is attached.
func (s *Store) DeletePolicy(ctx context.Context, name string) (*store.ManagedPolicy, error) {
	var out *store.ManagedPolicy
	err := s.write(ctx, true, func(tx *sql.Tx) error {
		seq, p, err := getPolicyTx(ctx, tx, name)
		if err != nil {
			return err
		}
		if p.AttachmentCount > 0 {
			return fmt.Errorf("sqlite: delete policy %q: attached to %d roles: %w", p.Name, p.AttachmentCount, store.ErrConflict)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM policies WHERE seq = ?`, seq); err != nil {
			return fmt.Errorf("sqlite: delete policy %q: %w", p.Name, err)
		}
		out = p
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListPolicies lists the policies whose path starts with pathPrefix (""
// or "/" for all) in creation order.
func (s *Store) ListPolicies(ctx context.Context, pathPrefix string, p store.Page) ([]*store.ManagedPolicy, string, error) {
	prefix := pathPrefixArg(pathPrefix)
	return listPage(ctx, s, "policies:"+prefix, p,
		func(ctx context.Context, after *cursor, limit int) (*sql.Rows, error) {
			return s.ro.QueryContext(ctx, selectPolicy+` WHERE `+pathFilter+` AND seq > ?2 ORDER BY seq LIMIT ?3`,
				prefix, afterSeq(after), limit)
		},
		scanPolicy, bySeq)
}

// ListAllPolicies returns every policy in creation order.
func (s *Store) ListAllPolicies(ctx context.Context) ([]*store.ManagedPolicy, error) {
	return listAll(ctx, s.ro, "policies", selectPolicy+` ORDER BY seq`, scanPolicy)
}

// AttachRolePolicy attaches the policy policyName, known to IAM as
// policyArn, to the role and counts the attachment, in one transaction.
// Attaching an attached policy changes nothing. store.ErrNotFound if the
// role or the policy does not exist.
func (s *Store) AttachRolePolicy(ctx context.Context, roleName, policyName, policyArn string) error {
	return s.write(ctx, true, func(tx *sql.Tx) error {
		roleSeq, r, err := getRoleTx(ctx, tx, roleName)
		if err != nil {
			return err
		}
		policySeq, _, err := getPolicyTx(ctx, tx, policyName)
		if err != nil {
			return err
		}
		if slices.Contains(r.AttachedPolicyArns, policyArn) {
			return nil
		}
		return setAttachments(ctx, tx, roleSeq, append(r.AttachedPolicyArns, policyArn), policySeq, +1)
	})
}

// DetachRolePolicy detaches the policy policyName, known to IAM as
// policyArn, from the role and uncounts the attachment, in one
// transaction. store.ErrNotFound if the role or the policy does not exist
// or the policy is not attached to the role.
func (s *Store) DetachRolePolicy(ctx context.Context, roleName, policyName, policyArn string) error {
	return s.write(ctx, true, func(tx *sql.Tx) error {
		roleSeq, r, err := getRoleTx(ctx, tx, roleName)
		if err != nil {
			return err
		}
		policySeq, _, err := getPolicyTx(ctx, tx, policyName)
		if err != nil {
			return err
		}
		i := slices.Index(r.AttachedPolicyArns, policyArn)
		if i < 0 {
			return fmt.Errorf("sqlite: policy %q is not attached to role %q: %w", policyArn, r.Name, store.ErrNotFound)
		}
		return setAttachments(ctx, tx, roleSeq, slices.Delete(r.AttachedPolicyArns, i, i+1), policySeq, -1)
	})
}

// setAttachments stores a role's attached policy ARNs and adds delta to
// the policy's attachment count.
func setAttachments(ctx context.Context, tx *sql.Tx, roleSeq int64, arns []string, policySeq int64, delta int) error {
	attached, err := toJSON(arns)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE roles SET attached_policy_arns = ? WHERE seq = ?`, attached, roleSeq); err != nil {
		return fmt.Errorf("sqlite: update role attachments: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE policies SET attachment_count = attachment_count + ? WHERE seq = ?`, delta, policySeq); err != nil {
		return fmt.Errorf("sqlite: update policy attachment count: %w", err)
	}
	return nil
}
