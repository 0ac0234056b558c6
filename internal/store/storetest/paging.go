package storetest

import (
	"context"
	"encoding/base64"
	"slices"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/store"
)

// A listing adapts one paginated List method to the paging tests, which
// see records only by key.
type listing struct {
	name   string
	byName bool
	setup  func(t *testing.T, s store.Store) // optional
	// create stores record i and returns its key.
	create func(t *testing.T, s store.Store, i int) string
	// delete removes a record; nil if the aggregate has no Delete.
	delete func(t *testing.T, s store.Store, key string)
	list   func(ctx context.Context, s store.Store, p store.Page) (keys []string, next string, err error)
}

// listing returns the paging adapter of the aggregate.
func (a aggregate[T]) listing(name string) listing {
	return listing{
		name:   name,
		byName: a.byName,
		setup:  a.setup,
		create: func(t *testing.T, s store.Store, i int) string {
			t.Helper()
			r := a.deletableFixture(i)
			must(t, "create", a.create(t.Context(), s, r))
			return a.key(r)
		},
		delete: func(t *testing.T, s store.Store, key string) {
			t.Helper()
			_, err := a.delete(t.Context(), s, key)
			must(t, "delete", err)
		},
		list: func(ctx context.Context, s store.Store, p store.Page) ([]string, string, error) {
			items, next, err := a.list(ctx, s, p)
			var keys []string
			for _, r := range items {
				keys = append(keys, a.key(r))
			}
			return keys, next, err
		},
	}
}

var subjectListing = listing{
	name: "Subjects",
	create: func(t *testing.T, s store.Store, i int) string {
		t.Helper()
		a := activity(i, "01", at(i), nil)
		must(t, "RecordSubjectActivity", s.RecordSubjectActivity(t.Context(), []store.SubjectActivity{a}))
		return a.SubjectID
	},
	list: func(ctx context.Context, s store.Store, p store.Page) ([]string, string, error) {
		items, next, err := s.ListSubjects(ctx, p)
		var keys []string
		for _, sub := range items {
			keys = append(keys, sub.ID)
		}
		return keys, next, err
	},
}

// listings are every paginated listing. Roles and policies are listed
// with the path prefix "" here; see testListRoles and testListPolicies.
func listings() []listing {
	return []listing{
		trustAnchors.listing("TrustAnchors"),
		profiles.listing("Profiles"),
		crls.listing("CRLs"),
		subjectListing,
		roles.listing("Roles"),
		policies.listing("Policies"),
	}
}

// ordered returns keys, created in this order, in the listing's order.
func (l listing) ordered(keys []string) []string {
	keys = slices.Clone(keys)
	if l.byName {
		slices.SortStableFunc(keys, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	}
	return keys
}

// testPaging runs the paging tests for every listing.
func (st suite) testPaging(t *testing.T) {
	for _, l := range listings() {
		t.Run(l.name, func(t *testing.T) {
			t.Parallel()
			for _, c := range []struct {
				name string
				run  func(*testing.T, store.Store)
			}{
				{"PageSizes", l.testPageSizes},
				{"ChangesBetweenPages", l.testChangesBetweenPages},
				{"GarbageTokens", l.testGarbageTokens},
			} {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					s := st.store(t)
					if l.setup != nil {
						l.setup(t, s)
					}
					c.run(t, s)
				})
			}
		})
	}
}

// pages lists every page of size size, checking that each page but the
// last is full and only the last has next == "", and returns the keys and
// the number of pages.
func (l listing) pages(t *testing.T, s store.Store, size int) ([]string, int) {
	t.Helper()
	limit := size
	if size <= 0 {
		limit = store.DefaultPageSize
	}
	var all []string
	p := store.Page{Size: size}
	for n := 1; ; n++ {
		keys, next, err := l.list(t.Context(), s, p)
		if err != nil {
			t.Fatalf("size %d, page %d: %v", size, n, err)
		}
		all = append(all, keys...)
		if next == "" {
			if len(keys) > limit {
				t.Errorf("size %d, last page %d: %d records", size, n, len(keys))
			}
			return all, n
		}
		if len(keys) != limit {
			t.Errorf("size %d, page %d: %d records and a next token, want a full page of %d", size, n, len(keys), limit)
		}
		if n > 1000 {
			t.Fatalf("size %d: more than 1000 pages", size)
		}
		p.Token = next
	}
}

// testPageSizes: pages of 1, 2, 3, all, more than all and the default
// size return every record once, in order, in full pages.
func (l listing) testPageSizes(t *testing.T, s store.Store) {
	keys, next, err := l.list(t.Context(), s, store.Page{})
	must(t, "list of nothing", err)
	if len(keys) != 0 || next != "" {
		t.Errorf("list of nothing: %d records, next %q; want none and \"\"", len(keys), next)
	}

	const n = 7
	var created []string
	for i := 1; i <= n; i++ {
		created = append(created, l.create(t, s, i))
	}
	want := l.ordered(created)
	for _, size := range []int{1, 2, 3, n, n + 1} {
		got, pages := l.pages(t, s, size)
		wantSame(t, "keys listed", want, got)
		if wantPages := (n + size - 1) / size; pages != wantPages {
			t.Errorf("size %d: %d pages, want %d", size, pages, wantPages)
		}
	}

	for i := n + 1; i <= store.DefaultPageSize+1; i++ {
		created = append(created, l.create(t, s, i))
	}
	want = l.ordered(created)
	for _, size := range []int{0, -1} {
		got, pages := l.pages(t, s, size)
		wantSame(t, "keys listed", want, got)
		if pages != 2 {
			t.Errorf("size %d with %d records: %d pages, want 2", size, len(created), pages)
		}
	}
}

// testChangesBetweenPages: records created and deleted between pages,
// including the last record of the previous page, never make a record
// that existed throughout be skipped or repeated.
func (l listing) testChangesBetweenPages(t *testing.T, s store.Store) {
	var initial []string
	for i := 1; i <= 12; i++ {
		initial = append(initial, l.create(t, s, i))
	}
	order := l.ordered(initial)
	seen := map[string]int{}
	gone := map[string]bool{}
	nextNew := 50
	p := store.Page{Size: 2}
	for n := 1; ; n++ {
		keys, next, err := l.list(t.Context(), s, p)
		if err != nil {
			t.Fatalf("page %d: %v", n, err)
		}
		for _, k := range keys {
			seen[k]++
		}
		if next == "" {
			break
		}
		if n > 100 {
			t.Fatal("more than 100 pages")
		}
		if l.delete != nil && len(keys) > 0 {
			last := keys[len(keys)-1]
			l.delete(t, s, last)
			gone[last] = true
			for _, k := range order {
				if seen[k] == 0 && !gone[k] {
					l.delete(t, s, k)
					gone[k] = true
					break
				}
			}
		}
		// New records land after the cursor in creation order, so stop
		// adding them after a few pages for the listing to end.
		if n <= 4 {
			for range 2 {
				l.create(t, s, nextNew)
				nextNew++
			}
		}
		p.Token = next
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("%s listed %d times", k, n)
		}
	}
	for _, k := range order {
		if !gone[k] && seen[k] != 1 {
			t.Errorf("%s existed throughout but was listed %d times", k, seen[k])
		}
	}
}

// testGarbageTokens: tokens the store did not issue are
// ErrInvalidPageToken.
func (l listing) testGarbageTokens(t *testing.T, s store.Store) {
	for i := 1; i <= 3; i++ {
		l.create(t, s, i)
	}
	for _, token := range []string{
		"garbage",
		"!@#$%^&*()",
		"AAAA",
		base64.RawURLEncoding.EncodeToString([]byte(`{"l":"trust-anchors","s":1}`)),
		base64.StdEncoding.EncodeToString([]byte("1")),
		strings.Repeat("A", 512),
	} {
		_, _, err := l.list(t.Context(), s, store.Page{Token: token, Size: 1})
		wantErr(t, "list with token "+token, err, store.ErrInvalidPageToken)
	}
}

// testForeignPageTokens: a token from one listing is ErrInvalidPageToken
// in every other listing, a path-prefixed listing included.
func (st suite) testForeignPageTokens(t *testing.T) {
	ctx := t.Context()
	s := st.store(t)
	crls.setup(t, s)
	ls := listings()
	tokens := map[string]string{}
	for _, l := range ls {
		l.create(t, s, 1)
		l.create(t, s, 2)
		_, next, err := l.list(ctx, s, store.Page{Size: 1})
		must(t, l.name, err)
		if next == "" {
			t.Fatalf("%s: no next token after the first of two records", l.name)
		}
		tokens[l.name] = next
	}
	for _, l := range ls {
		for from, token := range tokens {
			if from == l.name {
				continue
			}
			_, _, err := l.list(ctx, s, store.Page{Token: token, Size: 1})
			wantErr(t, l.name+" with a token of "+from, err, store.ErrInvalidPageToken)
		}
	}

	// Another path prefix is another listing.
	_, roleToken, err := s.ListRoles(ctx, "/service/", store.Page{Size: 1})
	must(t, "ListRoles", err)
	_, policyToken, err := s.ListPolicies(ctx, "/service/", store.Page{Size: 1})
	must(t, "ListPolicies", err)
	for _, prefix := range []string{"", "/", "/other/", "/service"} {
		_, _, err := s.ListRoles(ctx, prefix, store.Page{Token: roleToken, Size: 1})
		wantErr(t, "ListRoles("+prefix+") with a token of ListRoles(/service/)", err, store.ErrInvalidPageToken)
		_, _, err = s.ListPolicies(ctx, prefix, store.Page{Token: policyToken, Size: 1})
		wantErr(t, "ListPolicies("+prefix+") with a token of ListPolicies(/service/)", err, store.ErrInvalidPageToken)
	}
	// ... while the same listing accepts it.
	_, _, err = s.ListRoles(ctx, "/service/", store.Page{Token: roleToken, Size: 1})
	must(t, "ListRoles with its own token", err)
	_, _, err = s.ListPolicies(ctx, "/service/", store.Page{Token: policyToken, Size: 1})
	must(t, "ListPolicies with its own token", err)
}
