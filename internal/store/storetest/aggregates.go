package storetest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/store"
)

// aggregate adapts the methods of one keyed aggregate (trust anchors,
// profiles, CRLs, roles, policies) to the generic tests below.
type aggregate[T any] struct {
	// setup creates what the fixtures depend on; optional.
	setup func(t *testing.T, s store.Store)
	// fixture returns record i with every field set.
	fixture func(i int) *T
	// deletable adjusts a fixture so that Delete accepts it; optional.
	deletable func(*T)
	// byName is true if the aggregate lists by name instead of creation.
	byName bool

	key    func(*T) string
	create func(context.Context, store.Store, *T) error
	get    func(context.Context, store.Store, string) (*T, error)
	update func(context.Context, store.Store, string, func(*T) error) (*T, error)
	delete func(context.Context, store.Store, string) (*T, error)
	list   func(context.Context, store.Store, store.Page) ([]*T, string, error)

	// change changes, in place, every field an update may change. It
	// writes into nested slices, maps and pointers rather than replacing
	// them, so that a store which aliases them is caught.
	change func(*T)
	// changeKey changes the record's key, which an update must refuse.
	changeKey func(*T)
	// incr adds one to a counter kept in some field; count reads it.
	incr  func(*T)
	count func(*T) int
}

// tests returns the generic tests of the aggregate as one test with
// parallel subtests, each on a fresh store.
func (a aggregate[T]) tests(st suite) func(*testing.T) {
	return func(t *testing.T) {
		for _, c := range []struct {
			name string
			run  func(*testing.T, store.Store)
		}{
			{"CRUD", a.testCRUD},
			{"UpdateClosure", a.testUpdateClosure},
			{"NoAliasing", a.testNoAliasing},
			{"ConcurrentUpdates", a.testConcurrentUpdates},
		} {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				s := st.store(t)
				if a.setup != nil {
					a.setup(t, s)
				}
				c.run(t, s)
			})
		}
	}
}

// deletableFixture returns fixture i, adjusted so Delete accepts it.
func (a aggregate[T]) deletableFixture(i int) *T {
	r := a.fixture(i)
	if a.deletable != nil {
		a.deletable(r)
	}
	return r
}

// changed returns fixture i after change.
func (a aggregate[T]) changed(i int) *T {
	r := a.fixture(i)
	a.change(r)
	return r
}

// sortKeys orders records as the aggregate's listing does.
func (a aggregate[T]) sortKeys(recs []*T) []*T {
	if a.byName {
		slices.SortStableFunc(recs, func(x, y *T) int {
			return strings.Compare(strings.ToLower(a.key(x)), strings.ToLower(a.key(y)))
		})
	}
	return recs
}

// testCRUD: create, get, update, delete and list round trips with every
// field, the sentinel errors, and Version bumps.
func (a aggregate[T]) testCRUD(t *testing.T, s store.Store) {
	ctx := t.Context()
	key := a.key(a.fixture(1))

	_, err := a.get(ctx, s, key)
	wantErr(t, "get before create", err, store.ErrNotFound)

	v := version(t, s)
	must(t, "create", a.create(ctx, s, a.fixture(1)))
	v = wantBump(t, s, "create", v)
	got, err := a.get(ctx, s, key)
	must(t, "get", err)
	wantSame(t, "get after create", a.fixture(1), got)

	wantErr(t, "create duplicate", a.create(ctx, s, a.fixture(1)), store.ErrAlreadyExists)
	got, err = a.get(ctx, s, key)
	must(t, "get", err)
	wantSame(t, "get after failed create", a.fixture(1), got)

	v = version(t, s)
	updated, err := a.update(ctx, s, key, func(r *T) error {
		wantSame(t, "record passed to update", a.fixture(1), r)
		a.change(r)
		return nil
	})
	must(t, "update", err)
	v = wantBump(t, s, "update", v)
	wantSame(t, "update result", a.changed(1), updated)
	got, err = a.get(ctx, s, key)
	must(t, "get", err)
	wantSame(t, "get after update", a.changed(1), got)

	called := false
	_, err = a.update(ctx, s, "no-such-key", func(*T) error { called = true; return nil })
	wantErr(t, "update unknown", err, store.ErrNotFound)
	if called {
		t.Error("update of an unknown key called the closure")
	}
	_, err = a.delete(ctx, s, "no-such-key")
	wantErr(t, "delete unknown", err, store.ErrNotFound)

	must(t, "create second", a.create(ctx, s, a.deletableFixture(2)))
	items, next, err := a.list(ctx, s, store.Page{})
	must(t, "list", err)
	wantSame(t, "list", a.sortKeys([]*T{a.changed(1), a.deletableFixture(2)}), items)
	if next != "" {
		t.Errorf("list of everything: next = %q, want \"\"", next)
	}

	v = version(t, s)
	deleted, err := a.delete(ctx, s, a.key(a.fixture(2)))
	must(t, "delete", err)
	wantBump(t, s, "delete", v)
	wantSame(t, "delete result", a.deletableFixture(2), deleted)
	_, err = a.get(ctx, s, a.key(a.fixture(2)))
	wantErr(t, "get after delete", err, store.ErrNotFound)
	_, err = a.delete(ctx, s, a.key(a.fixture(2)))
	wantErr(t, "delete twice", err, store.ErrNotFound)

	items, _, err = a.list(ctx, s, store.Page{})
	must(t, "list", err)
	wantSame(t, "list after delete", []*T{a.changed(1)}, items)
}

// testUpdateClosure: the closure's error is returned unchanged and aborts
// the change; a closure that changes the key fails the update.
func (a aggregate[T]) testUpdateClosure(t *testing.T, s store.Store) {
	ctx := t.Context()
	key := a.key(a.fixture(1))
	must(t, "create", a.create(ctx, s, a.fixture(1)))

	errClosure := errors.New("storetest: closure failed")
	_, err := a.update(ctx, s, key, func(r *T) error {
		a.change(r)
		return errClosure
	})
	if err != errClosure { // "returned as is": the very value, not a wrapper
		t.Errorf("update with a failing closure: err = %v, want the closure's error itself", err)
	}
	got, err := a.get(ctx, s, key)
	must(t, "get", err)
	wantSame(t, "after a failed update", a.fixture(1), got)

	moved := a.fixture(1)
	a.changeKey(moved)
	_, err = a.update(ctx, s, key, func(r *T) error {
		a.change(r)
		a.changeKey(r)
		return nil
	})
	if err == nil {
		t.Error("update that changes the key succeeded, want an error")
	}
	got, err = a.get(ctx, s, key)
	must(t, "get", err)
	wantSame(t, "after an update that changed the key", a.fixture(1), got)
	_, err = a.get(ctx, s, a.key(moved))
	wantErr(t, "get the changed key", err, store.ErrNotFound)

	// Successive closures see each other's changes.
	for i := range 3 {
		_, err := a.update(ctx, s, key, func(r *T) error {
			if n := a.count(r) - a.count(a.fixture(1)); n != i {
				t.Errorf("update %d: closure sees %d earlier updates, want %d", i, n, i)
			}
			a.incr(r)
			return nil
		})
		must(t, "update", err)
	}
}

// testNoAliasing: records passed in or handed out never share memory with
// what is stored.
func (a aggregate[T]) testNoAliasing(t *testing.T, s store.Store) {
	ctx := t.Context()
	key := a.key(a.fixture(1))
	in := a.fixture(1)
	must(t, "create", a.create(ctx, s, in))
	a.change(in)
	check := func(after string) {
		t.Helper()
		got, err := a.get(ctx, s, key)
		must(t, "get", err)
		wantSame(t, "after changing the record "+after, a.fixture(1), got)
	}
	check("passed to create")

	got, err := a.get(ctx, s, key)
	must(t, "get", err)
	a.change(got)
	check("returned by get")

	items, _, err := a.list(ctx, s, store.Page{})
	must(t, "list", err)
	for _, r := range items {
		a.change(r)
	}
	check("returned by list")

	var inClosure *T
	updated, err := a.update(ctx, s, key, func(r *T) error {
		inClosure = r
		return nil
	})
	must(t, "update", err)
	a.change(updated)
	if inClosure != updated {
		a.change(inClosure)
	}
	check("returned by update or passed to its closure")
}

// testConcurrentUpdates: 8 goroutines each apply 25 increments through the
// update closure; none is lost.
func (a aggregate[T]) testConcurrentUpdates(t *testing.T, s store.Store) {
	const goroutines, increments = 8, 25
	ctx := t.Context()
	key := a.key(a.fixture(1))
	must(t, "create", a.create(ctx, s, a.fixture(1)))

	var wg sync.WaitGroup
	errs := make(chan error, goroutines)
	for range goroutines {
		wg.Go(func() {
			for range increments {
				if _, err := a.update(ctx, s, key, func(r *T) error { a.incr(r); return nil }); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent update: %v", err)
	}
	got, err := a.get(ctx, s, key)
	must(t, "get", err)
	if n := a.count(got) - a.count(a.fixture(1)); n != goroutines*increments {
		t.Errorf("after %d concurrent increments the counter moved by %d", goroutines*increments, n)
	}
}

var trustAnchors = aggregate[store.TrustAnchor]{
	fixture: trustAnchorFixture,
	key:     func(a *store.TrustAnchor) string { return a.ID },
	create: func(ctx context.Context, s store.Store, a *store.TrustAnchor) error {
		return s.CreateTrustAnchor(ctx, a)
	},
	get: func(ctx context.Context, s store.Store, id string) (*store.TrustAnchor, error) {
		return s.GetTrustAnchor(ctx, id)
	},
	update: func(ctx context.Context, s store.Store, id string, fn func(*store.TrustAnchor) error) (*store.TrustAnchor, error) {
		return s.UpdateTrustAnchor(ctx, id, fn)
	},
	delete: func(ctx context.Context, s store.Store, id string) (*store.TrustAnchor, error) {
		return s.DeleteTrustAnchor(ctx, id)
	},
	list: func(ctx context.Context, s store.Store, p store.Page) ([]*store.TrustAnchor, string, error) {
		return s.ListTrustAnchors(ctx, p)
	},
	change: func(a *store.TrustAnchor) {
		a.Name += "-renamed"
		a.SourceType = "AWS_ACM_PCA"
		a.SourceData = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x"
		a.Enabled = !a.Enabled
		*a.NotificationSettings[0].Threshold += 5
		a.NotificationSettings[1].Enabled = true
		a.Tags[0].Value += "-changed"
		a.Tags = append(a.Tags, store.Tag{Key: "added", Value: ""})
		a.CreatedAt = a.CreatedAt.Add(-time.Minute)
		a.UpdatedAt = a.UpdatedAt.Add(time.Hour + 7*time.Nanosecond)
	},
	changeKey: func(a *store.TrustAnchor) { a.ID = uuid(99, 1) },
	incr:      func(a *store.TrustAnchor) { a.Name += "+" },
	count:     func(a *store.TrustAnchor) int { return strings.Count(a.Name, "+") },
}

var profiles = aggregate[store.Profile]{
	fixture: profileFixture,
	key:     func(p *store.Profile) string { return p.ID },
	create:  func(ctx context.Context, s store.Store, p *store.Profile) error { return s.CreateProfile(ctx, p) },
	get: func(ctx context.Context, s store.Store, id string) (*store.Profile, error) {
		return s.GetProfile(ctx, id)
	},
	update: func(ctx context.Context, s store.Store, id string, fn func(*store.Profile) error) (*store.Profile, error) {
		return s.UpdateProfile(ctx, id, fn)
	},
	delete: func(ctx context.Context, s store.Store, id string) (*store.Profile, error) {
		return s.DeleteProfile(ctx, id)
	},
	list: func(ctx context.Context, s store.Store, p store.Page) ([]*store.Profile, string, error) {
		return s.ListProfiles(ctx, p)
	},
	change: func(p *store.Profile) {
		p.Name += "-renamed"
		p.Enabled = !p.Enabled
		p.RoleArns[0] += "-changed"
		p.ManagedPolicyArns[0] += "-changed"
		p.SessionPolicy = `{"Version":"2012-10-17","Statement":[]}`
		p.DurationSeconds = 900
		p.RequireInstanceProperties = !p.RequireInstanceProperties
		p.AcceptRoleSessionName = !p.AcceptRoleSessionName
		p.AttributeMappings[0].MappingRules[0].Specifier = "O"
		p.AttributeMappings[1].CertificateField = "x509Issuer"
		p.CreatedBy = "arn:aws:iam::123456789012:role/admin"
		p.Tags[0].Value += "-changed"
		p.CreatedAt = p.CreatedAt.Add(-time.Minute)
		p.UpdatedAt = p.UpdatedAt.Add(time.Hour + 7*time.Nanosecond)
	},
	changeKey: func(p *store.Profile) { p.ID = uuid(99, 2) },
	incr:      func(p *store.Profile) { p.DurationSeconds++ },
	count:     func(p *store.Profile) int { return int(p.DurationSeconds) },
}

// otherCRLAnchorID is a second anchor that CRL updates move CRLs to.
const otherCRLAnchorID = "00000000-0000-4000-8000-0000000000bb"

var crls = aggregate[store.CRL]{
	setup: func(t *testing.T, s store.Store) {
		for _, id := range []string{crlAnchorID, otherCRLAnchorID} {
			a := trustAnchorFixture(0)
			a.ID = id
			must(t, "create trust anchor", s.CreateTrustAnchor(t.Context(), a))
		}
	},
	fixture: crlFixture,
	key:     func(c *store.CRL) string { return c.ID },
	create:  func(ctx context.Context, s store.Store, c *store.CRL) error { return s.CreateCRL(ctx, c) },
	get:     func(ctx context.Context, s store.Store, id string) (*store.CRL, error) { return s.GetCRL(ctx, id) },
	update: func(ctx context.Context, s store.Store, id string, fn func(*store.CRL) error) (*store.CRL, error) {
		return s.UpdateCRL(ctx, id, fn)
	},
	delete: func(ctx context.Context, s store.Store, id string) (*store.CRL, error) { return s.DeleteCRL(ctx, id) },
	list: func(ctx context.Context, s store.Store, p store.Page) ([]*store.CRL, string, error) {
		return s.ListCRLs(ctx, p)
	},
	change: func(c *store.CRL) {
		c.Name += "-renamed"
		c.Enabled = !c.Enabled
		c.Data[0] ^= 0xff
		c.TrustAnchorID = otherCRLAnchorID
		c.Tags[0].Value += "-changed"
		c.CreatedAt = c.CreatedAt.Add(-time.Minute)
		c.UpdatedAt = c.UpdatedAt.Add(time.Hour + 7*time.Nanosecond)
	},
	changeKey: func(c *store.CRL) { c.ID = uuid(99, 3) },
	incr:      func(c *store.CRL) { c.Name += "+" },
	count:     func(c *store.CRL) int { return strings.Count(c.Name, "+") },
}

var roles = aggregate[store.Role]{
	fixture:   roleFixture,
	deletable: func(r *store.Role) { r.InlinePolicies = nil },
	byName:    true,
	key:       func(r *store.Role) string { return r.Name },
	create:    func(ctx context.Context, s store.Store, r *store.Role) error { return s.CreateRole(ctx, r) },
	get: func(ctx context.Context, s store.Store, name string) (*store.Role, error) {
		return s.GetRole(ctx, name)
	},
	update: func(ctx context.Context, s store.Store, name string, fn func(*store.Role) error) (*store.Role, error) {
		return s.UpdateRole(ctx, name, fn)
	},
	delete: func(ctx context.Context, s store.Store, name string) (*store.Role, error) {
		return s.DeleteRole(ctx, name)
	},
	list: func(ctx context.Context, s store.Store, p store.Page) ([]*store.Role, string, error) {
		return s.ListRoles(ctx, "", p)
	},
	change: func(r *store.Role) {
		r.ID += "X"
		r.Path = "/changed/"
		r.AssumeRolePolicyDocument = `{"Version":"2012-10-17","Statement":[]}`
		r.Description += " changed"
		r.MaxSessionDuration = 43200
		r.Tags[0].Value += "-changed"
		r.InlinePolicies["read"] = `{"Version":"2012-10-17","Statement":[]}`
		r.InlinePolicies["added"] = `{}`
		r.CreatedAt = r.CreatedAt.Add(-time.Minute + 7*time.Nanosecond)
	},
	changeKey: func(r *store.Role) { r.Name = "Renamed-" + r.Name },
	incr:      func(r *store.Role) { r.MaxSessionDuration++ },
	count:     func(r *store.Role) int { return int(r.MaxSessionDuration) },
}

var policies = aggregate[store.ManagedPolicy]{
	fixture: policyFixture,
	key:     func(p *store.ManagedPolicy) string { return p.Name },
	create:  func(ctx context.Context, s store.Store, p *store.ManagedPolicy) error { return s.CreatePolicy(ctx, p) },
	get: func(ctx context.Context, s store.Store, name string) (*store.ManagedPolicy, error) {
		return s.GetPolicy(ctx, name)
	},
	update: func(ctx context.Context, s store.Store, name string, fn func(*store.ManagedPolicy) error) (*store.ManagedPolicy, error) {
		return s.UpdatePolicy(ctx, name, fn)
	},
	delete: func(ctx context.Context, s store.Store, name string) (*store.ManagedPolicy, error) {
		return s.DeletePolicy(ctx, name)
	},
	list: func(ctx context.Context, s store.Store, p store.Page) ([]*store.ManagedPolicy, string, error) {
		return s.ListPolicies(ctx, "", p)
	},
	change: func(p *store.ManagedPolicy) {
		p.ID += "X"
		p.Path = "/changed/"
		p.Description += " changed"
		p.Tags[0].Value += "-changed"
		p.Versions[0].IsDefaultVersion, p.Versions[1].IsDefaultVersion = true, false
		p.Versions[1].Document = `{"Version":"2012-10-17","Statement":[]}`
		p.Versions = append(p.Versions, store.PolicyVersion{VersionID: "v3", Document: `{}`, CreatedAt: p.UpdatedAt.Add(3)})
		p.CreatedAt = p.CreatedAt.Add(-time.Minute)
		p.UpdatedAt = p.UpdatedAt.Add(time.Hour + 7*time.Nanosecond)
	},
	changeKey: func(p *store.ManagedPolicy) { p.Name = "Renamed-" + p.Name },
	incr:      func(p *store.ManagedPolicy) { p.Description += "+" },
	count:     func(p *store.ManagedPolicy) int { return strings.Count(p.Description, "+") },
}

// version returns s.Version or fails the test.
func version(t *testing.T, s store.Store) int64 {
	t.Helper()
	v, err := s.Version(t.Context())
	must(t, "Version", err)
	return v
}

// wantBump reports an error unless Version is above before, and returns
// the current Version.
func wantBump(t *testing.T, s store.Store, after string, before int64) int64 {
	t.Helper()
	v := version(t, s)
	if v <= before {
		t.Errorf("Version after %s = %d, want more than %d", after, v, before)
	}
	return v
}
