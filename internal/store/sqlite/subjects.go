package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/roam-dev/roam/internal/store"
)

const (
	selectSubject = `
		SELECT seq, id, x509_subject, enabled, last_seen_at, credentials, instance_properties, created_at, updated_at
		FROM subjects`
	insertSubject = `
		INSERT INTO subjects (x509_subject, enabled, last_seen_at, credentials, instance_properties, created_at, updated_at, id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
	updateSubject = `
		UPDATE subjects
		SET x509_subject = ?, enabled = ?, last_seen_at = ?, credentials = ?, instance_properties = ?, created_at = ?, updated_at = ?
		WHERE id = ?`
)

// scanSubject reads a row of selectSubject.
func scanSubject(row scanner) (int64, *store.Subject, error) {
	var (
		seq, lastSeen, created, updated int64
		creds, props                    string
		sub                             store.Subject
	)
	if err := row.Scan(&seq, &sub.ID, &sub.X509Subject, &sub.Enabled, &lastSeen, &creds, &props, &created, &updated); err != nil {
		return 0, nil, err
	}
	if err := fromJSON("credentials", creds, &sub.Credentials); err != nil {
		return 0, nil, err
	}
	if err := fromJSON("instance_properties", props, &sub.InstanceProperties); err != nil {
		return 0, nil, err
	}
	sub.LastSeenAt, sub.CreatedAt, sub.UpdatedAt = fromMicros(lastSeen), fromMicros(created), fromMicros(updated)
	return seq, &sub, nil
}

// subjectColumns returns the values for insertSubject and updateSubject,
// which share their parameter order (id last).
func subjectColumns(sub *store.Subject) ([]any, error) {
	creds, err := toJSON(sub.Credentials)
	if err != nil {
		return nil, err
	}
	props, err := toJSON(sub.InstanceProperties)
	if err != nil {
		return nil, err
	}
	return []any{sub.X509Subject, sub.Enabled, micros(sub.LastSeenAt), creds, props,
		micros(sub.CreatedAt), micros(sub.UpdatedAt), sub.ID}, nil
}

// RecordSubjectActivity folds a batch of attempts into their subjects in
// one transaction; see foldActivity. A subject seen for the first time is
// created enabled, with CreatedAt the earliest At of its activities in the
// batch; subjects first seen in one batch are created in the order of
// their first activity. Recording activity does not change Version and
// does not notify subscribers.
func (s *Store) RecordSubjectActivity(ctx context.Context, batch []store.SubjectActivity) error {
	if len(batch) == 0 {
		return nil
	}
	// Group by subject, keeping the order of first appearance and, within a
	// subject, the order of the batch.
	var order []string
	groups := make(map[string][]store.SubjectActivity)
	for _, a := range batch {
		if _, ok := groups[a.SubjectID]; !ok {
			order = append(order, a.SubjectID)
		}
		groups[a.SubjectID] = append(groups[a.SubjectID], a)
	}

	return s.write(ctx, false, func(tx *sql.Tx) error {
		get := tx.StmtContext(ctx, s.stmts.subjectForUpdate)
		insert := tx.StmtContext(ctx, s.stmts.insertSubject)
		update := tx.StmtContext(ctx, s.stmts.updateSubject)
		for _, id := range order {
			acts := groups[id]
			_, sub, err := scanSubject(get.QueryRowContext(ctx, id))
			exists := err == nil
			switch {
			case errors.Is(err, sql.ErrNoRows):
				sub = newSubject(acts)
			case err != nil:
				return readErr(err, "subject", id)
			}
			for _, a := range acts {
				foldActivity(sub, a)
			}
			cols, err := subjectColumns(sub)
			if err != nil {
				return err
			}
			stmt := insert
			if exists {
				stmt = update
			}
			if _, err := stmt.ExecContext(ctx, cols...); err != nil {
				return fmt.Errorf("sqlite: record activity of subject %q: %w", id, err)
			}
		}
		return nil
	})
}

// newSubject returns a subject first seen with acts (all for one subject,
// at least one).
func newSubject(acts []store.SubjectActivity) *store.Subject {
	first := acts[0].At
	for _, a := range acts[1:] {
		if a.At.Before(first) {
			first = a.At
		}
	}
	first = canonicalTime(first)
	return &store.Subject{
		ID:          acts[0].SubjectID,
		X509Subject: acts[0].X509Subject,
		Enabled:     true,
		LastSeenAt:  first,
		CreatedAt:   first,
		UpdatedAt:   first,
	}
}

// foldActivity applies one attempt to sub:
//   - LastSeenAt and UpdatedAt become a.At if that is later;
//   - a.Credential, with SeenAt set to a.At, joins Credentials, replacing
//     an entry with the same Issuer and SerialNumber;
//   - unless a.InstanceProperties is nil, an entry with SeenAt a.At, those
//     properties and Failed from a.Credential joins InstanceProperties.
//
// Both lists stay ordered most recent first (among equal times, the later
// attempt first) and keep at most store.MaxCredentialsPerSubject and
// store.MaxInstancePropertiesPerSubject entries.
func foldActivity(sub *store.Subject, a store.SubjectActivity) {
	at := canonicalTime(a.At)
	if at.After(sub.LastSeenAt) {
		sub.LastSeenAt = at
	}
	if at.After(sub.UpdatedAt) {
		sub.UpdatedAt = at
	}

	cred := a.Credential
	cred.SeenAt = at
	sub.Credentials = slices.DeleteFunc(sub.Credentials, func(c store.CredentialUse) bool {
		return c.Issuer == cred.Issuer && c.SerialNumber == cred.SerialNumber
	})
	sub.Credentials = insertRecent(sub.Credentials, cred,
		func(c store.CredentialUse) time.Time { return c.SeenAt }, store.MaxCredentialsPerSubject)

	if a.InstanceProperties != nil {
		props := store.InstanceProperties{
			SeenAt:     at,
			Properties: maps.Clone(a.InstanceProperties),
			Failed:     a.Credential.Failed,
		}
		sub.InstanceProperties = insertRecent(sub.InstanceProperties, props,
			func(p store.InstanceProperties) time.Time { return p.SeenAt }, store.MaxInstancePropertiesPerSubject)
	}
}

// insertRecent inserts e into list, which is ordered most recent first,
// before every entry no later than e, and keeps at most limit entries.
func insertRecent[E any](list []E, e E, seenAt func(E) time.Time, limit int) []E {
	i := slices.IndexFunc(list, func(x E) bool { return !seenAt(x).After(seenAt(e)) })
	if i < 0 {
		i = len(list)
	}
	list = slices.Insert(list, i, e)
	if len(list) > limit {
		clear(list[limit:]) // drop references held by the tail
		list = list[:limit]
	}
	return list
}

// GetSubject returns the subject; store.ErrNotFound if unknown.
func (s *Store) GetSubject(ctx context.Context, id string) (*store.Subject, error) {
	_, sub, err := scanSubject(s.stmts.getSubject.QueryRowContext(ctx, id))
	if err != nil {
		return nil, readErr(err, "subject", id)
	}
	return sub, nil
}

// ListSubjects lists subjects in creation (first sight) order.
func (s *Store) ListSubjects(ctx context.Context, p store.Page) ([]*store.Subject, string, error) {
	return listPage(ctx, s, "subjects", p,
		func(ctx context.Context, after *cursor, limit int) (*sql.Rows, error) {
			return s.ro.QueryContext(ctx, selectSubject+` WHERE seq > ? ORDER BY seq LIMIT ?`, afterSeq(after), limit)
		},
		scanSubject, bySeq)
}
