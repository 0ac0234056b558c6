package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/store"
)

// credentialUse is the entry an activity leaves in Subject.Credentials.
func credentialUse(a store.SubjectActivity) store.CredentialUse {
	c := a.Credential
	c.SeenAt = a.At
	return c
}

// propertiesEntry is the entry an activity leaves in
// Subject.InstanceProperties.
func propertiesEntry(a store.SubjectActivity) store.InstanceProperties {
	return store.InstanceProperties{SeenAt: a.At, Properties: a.InstanceProperties, Failed: a.Credential.Failed}
}

// testSubjects: RecordSubjectActivity folds attempts into subjects.
func (st suite) testSubjects(t *testing.T) {
	for _, c := range []struct {
		name string
		run  func(*testing.T, store.Store)
	}{
		{"FirstSight", testSubjectFirstSight},
		{"LaterActivity", testSubjectLaterActivity},
		{"Bounded", testSubjectBounded},
		{"Batch", testSubjectBatch},
		{"NoAliasing", testSubjectNoAliasing},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t, st.store(t))
		})
	}
}

func testSubjectFirstSight(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.GetSubject(ctx, subjectID(1))
	wantErr(t, "GetSubject unknown", err, store.ErrNotFound)
	must(t, "RecordSubjectActivity of nothing", s.RecordSubjectActivity(ctx, nil))

	a := activity(1, "01", at(10), map[string]string{"hostname": "web-1", "region": "eu"})
	must(t, "RecordSubjectActivity", s.RecordSubjectActivity(ctx, []store.SubjectActivity{a}))
	got, err := s.GetSubject(ctx, subjectID(1))
	must(t, "GetSubject", err)
	wantSame(t, "subject after its first activity", &store.Subject{
		ID:                 a.SubjectID,
		X509Subject:        a.X509Subject,
		Enabled:            true,
		LastSeenAt:         a.At,
		Credentials:        []store.CredentialUse{credentialUse(a)},
		InstanceProperties: []store.InstanceProperties{propertiesEntry(a)},
		CreatedAt:          a.At,
		UpdatedAt:          a.At,
	}, got)

	// Without instance properties, none are recorded.
	b := activity(2, "02", at(11), nil)
	b.Credential.Failed = true
	must(t, "RecordSubjectActivity", s.RecordSubjectActivity(ctx, []store.SubjectActivity{b}))
	got, err = s.GetSubject(ctx, subjectID(2))
	must(t, "GetSubject", err)
	wantSame(t, "subject first seen without instance properties", &store.Subject{
		ID:          b.SubjectID,
		X509Subject: b.X509Subject,
		Enabled:     true,
		LastSeenAt:  b.At,
		Credentials: []store.CredentialUse{credentialUse(b)},
		CreatedAt:   b.At,
		UpdatedAt:   b.At,
	}, got)
}

func testSubjectLaterActivity(t *testing.T, s store.Store) {
	ctx := t.Context()
	record := func(as ...store.SubjectActivity) {
		t.Helper()
		must(t, "RecordSubjectActivity", s.RecordSubjectActivity(ctx, as))
	}
	first := activity(1, "01", at(10), map[string]string{"hostname": "web-1"})
	record(first)

	// A new certificate, no instance properties.
	second := activity(1, "02", at(20), nil)
	record(second)
	// The first certificate again, failing, with other properties.
	third := activity(1, "01", at(30), map[string]string{"hostname": "web-2"})
	third.Credential.Failed = true
	record(third)

	got, err := s.GetSubject(ctx, subjectID(1))
	must(t, "GetSubject", err)
	wantSame(t, "subject after three activities", &store.Subject{
		ID:                 first.SubjectID,
		X509Subject:        first.X509Subject,
		Enabled:            true,
		LastSeenAt:         third.At,
		Credentials:        []store.CredentialUse{credentialUse(third), credentialUse(second)},
		InstanceProperties: []store.InstanceProperties{propertiesEntry(third), propertiesEntry(first)},
		CreatedAt:          first.At,
		UpdatedAt:          third.At,
	}, got)

	// The same serial from another issuer is another credential.
	other := activity(1, "01", at(40), nil)
	other.Credential.Issuer = "CN=Other CA"
	record(other)
	got, err = s.GetSubject(ctx, subjectID(1))
	must(t, "GetSubject", err)
	wantSame(t, "credentials after the same serial from another issuer",
		[]store.CredentialUse{credentialUse(other), credentialUse(third), credentialUse(second)}, got.Credentials)
}

func testSubjectBounded(t *testing.T, s store.Store) {
	ctx := t.Context()
	const n = store.MaxCredentialsPerSubject + 5
	var (
		creds []store.CredentialUse
		props []store.InstanceProperties
	)
	for i := range n {
		a := activity(1, fmt.Sprintf("%02x", i), at(i), map[string]string{"i": fmt.Sprint(i)})
		must(t, "RecordSubjectActivity", s.RecordSubjectActivity(ctx, []store.SubjectActivity{a}))
		creds = append([]store.CredentialUse{credentialUse(a)}, creds...)
		props = append([]store.InstanceProperties{propertiesEntry(a)}, props...)
	}
	got, err := s.GetSubject(ctx, subjectID(1))
	must(t, "GetSubject", err)
	wantSame(t, "credentials", creds[:store.MaxCredentialsPerSubject], got.Credentials)
	wantSame(t, "instance properties", props[:store.MaxInstancePropertiesPerSubject], got.InstanceProperties)
	wantSame(t, "LastSeenAt", at(n-1), got.LastSeenAt)
	wantSame(t, "CreatedAt", at(0), got.CreatedAt)

	// Replacing a credential that is still remembered keeps the bound.
	again := activity(1, fmt.Sprintf("%02x", n-3), at(n), nil)
	must(t, "RecordSubjectActivity", s.RecordSubjectActivity(ctx, []store.SubjectActivity{again}))
	got, err = s.GetSubject(ctx, subjectID(1))
	must(t, "GetSubject", err)
	want := append([]store.CredentialUse{credentialUse(again)}, creds[:2]...)
	want = append(want, creds[3:store.MaxCredentialsPerSubject]...)
	wantSame(t, "credentials after a replacement", want, got.Credentials)
}

func testSubjectBatch(t *testing.T, s store.Store) {
	ctx := t.Context()
	// Subject 2 exists before the batch.
	pre := activity(2, "01", at(1), nil)
	must(t, "RecordSubjectActivity", s.RecordSubjectActivity(ctx, []store.SubjectActivity{pre}))

	a1 := activity(1, "01", at(10), map[string]string{"n": "1"})
	b1 := activity(2, "02", at(10), nil)
	a2 := activity(1, "02", at(12), nil)
	c1 := activity(3, "01", at(11), map[string]string{})
	a3 := activity(1, "01", at(13), map[string]string{"n": "3"}) // replaces a1's credential
	a4 := activity(1, "03", at(11), nil)                         // older than a2 and a3
	c2 := activity(3, "02", at(11), nil)                         // same time as c1: more recent by order
	must(t, "RecordSubjectActivity", s.RecordSubjectActivity(ctx, []store.SubjectActivity{a1, b1, a2, c1, a3, a4, c2}))

	want := map[int]*store.Subject{
		1: {
			ID: a1.SubjectID, X509Subject: a1.X509Subject, Enabled: true,
			LastSeenAt:         a3.At,
			Credentials:        []store.CredentialUse{credentialUse(a3), credentialUse(a2), credentialUse(a4)},
			InstanceProperties: []store.InstanceProperties{propertiesEntry(a3), propertiesEntry(a1)},
			CreatedAt:          a1.At,
			UpdatedAt:          a3.At,
		},
		2: {
			ID: pre.SubjectID, X509Subject: pre.X509Subject, Enabled: true,
			LastSeenAt:  b1.At,
			Credentials: []store.CredentialUse{credentialUse(b1), credentialUse(pre)},
			CreatedAt:   pre.At,
			UpdatedAt:   b1.At,
		},
		3: {
			ID: c1.SubjectID, X509Subject: c1.X509Subject, Enabled: true,
			LastSeenAt:         c1.At,
			Credentials:        []store.CredentialUse{credentialUse(c2), credentialUse(c1)},
			InstanceProperties: []store.InstanceProperties{propertiesEntry(c1)},
			CreatedAt:          c1.At,
			UpdatedAt:          c1.At,
		},
	}
	for i, w := range want {
		got, err := s.GetSubject(ctx, subjectID(i))
		must(t, "GetSubject", err)
		wantSame(t, fmt.Sprintf("subject %d after a batch", i), w, got)
	}

	// Subjects list in order of first sight.
	items, next, err := s.ListSubjects(ctx, store.Page{})
	must(t, "ListSubjects", err)
	wantSame(t, "ListSubjects", []*store.Subject{want[2], want[1], want[3]}, items)
	if next != "" {
		t.Errorf("ListSubjects: next = %q, want \"\"", next)
	}
}

func testSubjectNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := activity(1, "01", at(1), map[string]string{"hostname": "web-1"})
	batch := []store.SubjectActivity{a}
	must(t, "RecordSubjectActivity", s.RecordSubjectActivity(ctx, batch))
	a.InstanceProperties["hostname"] = "changed" // shared with batch[0]
	batch[0].Credential.SerialNumber = "changed"

	want := &store.Subject{
		ID: a.SubjectID, X509Subject: a.X509Subject, Enabled: true, LastSeenAt: a.At,
		Credentials:        []store.CredentialUse{credentialUse(activity(1, "01", at(1), nil))},
		InstanceProperties: []store.InstanceProperties{{SeenAt: a.At, Properties: map[string]string{"hostname": "web-1"}}},
		CreatedAt:          a.At, UpdatedAt: a.At,
	}
	got, err := s.GetSubject(ctx, subjectID(1))
	must(t, "GetSubject", err)
	wantSame(t, "subject after changing the recorded batch", want, got)

	got.Credentials[0].SerialNumber = "changed"
	got.InstanceProperties[0].Properties["hostname"] = "changed"
	got.LastSeenAt = time.Time{}
	items, _, err := s.ListSubjects(ctx, store.Page{})
	must(t, "ListSubjects", err)
	wantSame(t, "ListSubjects after changing a returned subject", []*store.Subject{want}, items)
	items[0].Credentials[0].Issuer = "changed"
	got, err = s.GetSubject(ctx, subjectID(1))
	must(t, "GetSubject", err)
	wantSame(t, "GetSubject after changing a listed subject", want, got)
}
