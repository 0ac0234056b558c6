package storetest

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/roam-dev/roam/internal/store"
)

// policyArn is the ARN the IAM layer would give the policy.
func policyArn(p *store.ManagedPolicy) string {
	return "arn:aws:iam::123456789012:policy" + p.Path + p.Name
}

// testRoleNames: role names are unique and found case-insensitively.
func (st suite) testRoleNames(t *testing.T) {
	ctx := t.Context()
	s := st.store(t)
	admin := roleFixture(1)
	admin.Name = "Admin"
	must(t, "CreateRole", s.CreateRole(ctx, admin))

	for _, name := range []string{"Admin", "admin", "ADMIN"} {
		dup := roleFixture(2)
		dup.Name = name
		wantErr(t, "CreateRole "+name, s.CreateRole(ctx, dup), store.ErrAlreadyExists)
	}
	for _, name := range []string{"Admin", "admin", "ADMIN", "aDmIn"} {
		got, err := s.GetRole(ctx, name)
		must(t, "GetRole "+name, err)
		wantSame(t, "GetRole "+name, admin, got)
	}
	_, err := s.GetRole(ctx, "Admin2")
	wantErr(t, "GetRole of another name", err, store.ErrNotFound)

	got, err := s.UpdateRole(ctx, "ADMIN", func(r *store.Role) error {
		r.InlinePolicies = nil
		return nil
	})
	must(t, "UpdateRole ADMIN", err)
	if got.Name != "Admin" {
		t.Errorf("UpdateRole ADMIN returned name %q, want the stored %q", got.Name, "Admin")
	}
	deleted, err := s.DeleteRole(ctx, "aDMIN")
	must(t, "DeleteRole aDMIN", err)
	if deleted.Name != "Admin" {
		t.Errorf("DeleteRole aDMIN returned name %q, want %q", deleted.Name, "Admin")
	}
	_, err = s.GetRole(ctx, "admin")
	wantErr(t, "GetRole after delete", err, store.ErrNotFound)
}

// testPolicyNames: policy names are unique and found case-insensitively.
func (st suite) testPolicyNames(t *testing.T) {
	ctx := t.Context()
	s := st.store(t)
	p := policyFixture(1)
	p.Name = "ReadOnly"
	must(t, "CreatePolicy", s.CreatePolicy(ctx, p))

	for _, name := range []string{"ReadOnly", "readonly", "READONLY"} {
		dup := policyFixture(2)
		dup.Name = name
		wantErr(t, "CreatePolicy "+name, s.CreatePolicy(ctx, dup), store.ErrAlreadyExists)
	}
	for _, name := range []string{"ReadOnly", "readonly", "READONLY"} {
		got, err := s.GetPolicy(ctx, name)
		must(t, "GetPolicy "+name, err)
		wantSame(t, "GetPolicy "+name, p, got)
	}
	got, err := s.UpdatePolicy(ctx, "readONLY", func(*store.ManagedPolicy) error { return nil })
	must(t, "UpdatePolicy readONLY", err)
	wantSame(t, "UpdatePolicy readONLY", p, got)
	_, err = s.DeletePolicy(ctx, "READonly")
	must(t, "DeletePolicy READonly", err)
	_, err = s.GetPolicy(ctx, "ReadOnly")
	wantErr(t, "GetPolicy after delete", err, store.ErrNotFound)
}

// pathCases are names and paths for the path-prefix tests, in creation
// order.
var pathCases = []struct{ name, path string }{
	{"beta", "/"},
	{"Alpha", "/eng/"},
	{"gamma", "/eng/team/"},
	{"Delta", "/ops/"},
	{"epsilon", "/engineering/"},
	{"zeta", "/Eng/"},
}

// prefixCases are path prefixes and the pathCases names they select, in
// creation order. Prefixes match case-sensitively, like IAM paths.
var prefixCases = []struct {
	prefix string
	names  []string
}{
	{"", []string{"beta", "Alpha", "gamma", "Delta", "epsilon", "zeta"}},
	{"/", []string{"beta", "Alpha", "gamma", "Delta", "epsilon", "zeta"}},
	{"/eng/", []string{"Alpha", "gamma"}},
	{"/eng", []string{"Alpha", "gamma", "epsilon"}},
	{"/eng/team/", []string{"gamma"}},
	{"/Eng/", []string{"zeta"}},
	{"/none/", nil},
}

// pageThrough collects every page of list with page size size, checking
// page sizes and that only the last page has next == "".
func pageThrough[T any](t *testing.T, what string, size int, list func(store.Page) ([]T, string, error)) []T {
	t.Helper()
	var all []T
	p := store.Page{Size: size}
	for pages := 1; ; pages++ {
		items, next, err := list(p)
		if err != nil {
			t.Fatalf("%s page %d: %v", what, pages, err)
		}
		limit := size
		if size <= 0 {
			limit = store.DefaultPageSize
		}
		if len(items) > limit {
			t.Errorf("%s page %d: %d items, more than the page size %d", what, pages, len(items), limit)
		}
		all = append(all, items...)
		if next == "" {
			return all
		}
		if len(items) == 0 {
			t.Fatalf("%s page %d: no items but a next token", what, pages)
		}
		if pages > 1000 {
			t.Fatalf("%s: more than 1000 pages", what)
		}
		p.Token = next
	}
}

// testListRoles: ListRoles orders by name case-insensitively and filters
// by path prefix; ListAllRoles returns every role.
func (st suite) testListRoles(t *testing.T) {
	ctx := t.Context()
	s := st.store(t)
	byName := map[string]*store.Role{}
	for i, c := range pathCases {
		r := roleFixture(i)
		r.Name, r.Path = c.name, c.path
		must(t, "CreateRole", s.CreateRole(ctx, r))
		byName[c.name] = roleFixture(i)
		byName[c.name].Name, byName[c.name].Path = c.name, c.path
	}
	for _, c := range prefixCases {
		want := sortedRoles(byName, c.names)
		for _, size := range []int{1, 2, 0} {
			what := fmt.Sprintf("ListRoles(%q, size %d)", c.prefix, size)
			got := pageThrough(t, what, size, func(p store.Page) ([]*store.Role, string, error) {
				return s.ListRoles(ctx, c.prefix, p)
			})
			wantSame(t, what, want, got)
		}
	}

	all, err := s.ListAllRoles(ctx)
	must(t, "ListAllRoles", err)
	slices.SortFunc(all, func(a, b *store.Role) int { return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) })
	wantSame(t, "ListAllRoles", sortedRoles(byName, prefixCases[0].names), all)
}

// sortedRoles returns the named roles ordered by name case-insensitively.
func sortedRoles(byName map[string]*store.Role, names []string) []*store.Role {
	names = slices.Clone(names)
	slices.SortFunc(names, func(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) })
	var rs []*store.Role
	for _, n := range names {
		rs = append(rs, byName[n])
	}
	return rs
}

// testListPolicies: ListPolicies lists by creation and filters by path
// prefix; ListAllPolicies returns every policy.
func (st suite) testListPolicies(t *testing.T) {
	ctx := t.Context()
	s := st.store(t)
	byName := map[string]*store.ManagedPolicy{}
	fixture := func(i int) *store.ManagedPolicy {
		p := policyFixture(i)
		p.Name, p.Path = pathCases[i].name, pathCases[i].path
		return p
	}
	for i, c := range pathCases {
		must(t, "CreatePolicy", s.CreatePolicy(ctx, fixture(i)))
		byName[c.name] = fixture(i)
	}
	for _, c := range prefixCases {
		var want []*store.ManagedPolicy
		for _, n := range c.names {
			want = append(want, byName[n])
		}
		for _, size := range []int{1, 2, 0} {
			what := fmt.Sprintf("ListPolicies(%q, size %d)", c.prefix, size)
			got := pageThrough(t, what, size, func(p store.Page) ([]*store.ManagedPolicy, string, error) {
				return s.ListPolicies(ctx, c.prefix, p)
			})
			wantSame(t, what, want, got)
		}
	}

	all, err := s.ListAllPolicies(ctx)
	must(t, "ListAllPolicies", err)
	var want []*store.ManagedPolicy
	for i := range pathCases {
		want = append(want, fixture(i))
	}
	sortByName := func(ps []*store.ManagedPolicy) {
		slices.SortFunc(ps, func(a, b *store.ManagedPolicy) int { return strings.Compare(a.Name, b.Name) })
	}
	sortByName(all)
	sortByName(want)
	wantSame(t, "ListAllPolicies", want, all)
}

// testDeleteRoleConflict: a role with inline or attached policies cannot
// be deleted.
func (st suite) testDeleteRoleConflict(t *testing.T) {
	ctx := t.Context()
	s := st.store(t)
	r := roleFixture(1)
	must(t, "CreateRole", s.CreateRole(ctx, r))
	_, err := s.DeleteRole(ctx, r.Name)
	wantErr(t, "DeleteRole with inline policies", err, store.ErrConflict)
	got, err := s.GetRole(ctx, r.Name)
	must(t, "GetRole", err)
	wantSame(t, "GetRole after a refused delete", roleFixture(1), got)

	_, err = s.UpdateRole(ctx, r.Name, func(r *store.Role) error {
		r.InlinePolicies = map[string]string{}
		return nil
	})
	must(t, "UpdateRole", err)
	p := policyFixture(1)
	must(t, "CreatePolicy", s.CreatePolicy(ctx, p))
	must(t, "AttachRolePolicy", s.AttachRolePolicy(ctx, r.Name, p.Name, policyArn(p)))
	_, err = s.DeleteRole(ctx, r.Name)
	wantErr(t, "DeleteRole with an attached policy", err, store.ErrConflict)

	must(t, "DetachRolePolicy", s.DetachRolePolicy(ctx, r.Name, p.Name, policyArn(p)))
	deleted, err := s.DeleteRole(ctx, r.Name)
	must(t, "DeleteRole", err)
	want := roleFixture(1)
	want.InlinePolicies = nil
	wantSame(t, "DeleteRole result", want, deleted)
}

// testAttachments: AttachRolePolicy and DetachRolePolicy keep the role's
// attachments and the policy's AttachmentCount in step.
func (st suite) testAttachments(t *testing.T) {
	ctx := t.Context()
	s := st.store(t)
	r1, r2 := roles.deletableFixture(1), roles.deletableFixture(2)
	for _, r := range []*store.Role{r1, r2} {
		must(t, "CreateRole", s.CreateRole(ctx, r))
	}
	p1, p2, p3 := policyFixture(1), policyFixture(2), policyFixture(3)
	for _, p := range []*store.ManagedPolicy{p1, p2, p3} {
		must(t, "CreatePolicy", s.CreatePolicy(ctx, p))
	}
	attachments := func(role *store.Role, want ...string) {
		t.Helper()
		got, err := s.GetRole(ctx, role.Name)
		must(t, "GetRole", err)
		wantSame(t, "AttachedPolicyArns of "+role.Name, want, got.AttachedPolicyArns)
	}
	counts := func(want ...int) {
		t.Helper()
		for i, p := range []*store.ManagedPolicy{p1, p2, p3} {
			got, err := s.GetPolicy(ctx, p.Name)
			must(t, "GetPolicy", err)
			if got.AttachmentCount != want[i] {
				t.Errorf("AttachmentCount of %s = %d, want %d", p.Name, got.AttachmentCount, want[i])
			}
		}
	}

	must(t, "AttachRolePolicy", s.AttachRolePolicy(ctx, r1.Name, p2.Name, policyArn(p2)))
	must(t, "AttachRolePolicy (other letter case)", s.AttachRolePolicy(ctx, strings.ToUpper(r1.Name), strings.ToLower(p1.Name), policyArn(p1)))
	must(t, "AttachRolePolicy again", s.AttachRolePolicy(ctx, r1.Name, p2.Name, policyArn(p2)))
	must(t, "AttachRolePolicy", s.AttachRolePolicy(ctx, r2.Name, p2.Name, policyArn(p2)))
	attachments(r1, policyArn(p2), policyArn(p1))
	attachments(r2, policyArn(p2))
	counts(1, 2, 0)

	wantErr(t, "AttachRolePolicy to an unknown role", s.AttachRolePolicy(ctx, "nope", p3.Name, policyArn(p3)), store.ErrNotFound)
	wantErr(t, "AttachRolePolicy of an unknown policy", s.AttachRolePolicy(ctx, r1.Name, "nope", "arn:aws:iam::123456789012:policy/nope"), store.ErrNotFound)
	wantErr(t, "DetachRolePolicy of a policy not attached", s.DetachRolePolicy(ctx, r1.Name, p3.Name, policyArn(p3)), store.ErrNotFound)
	wantErr(t, "DetachRolePolicy from an unknown role", s.DetachRolePolicy(ctx, "nope", p1.Name, policyArn(p1)), store.ErrNotFound)
	attachments(r1, policyArn(p2), policyArn(p1))
	counts(1, 2, 0)

	_, err := s.DeletePolicy(ctx, p2.Name)
	wantErr(t, "DeletePolicy while attached", err, store.ErrConflict)
	got, err := s.GetPolicy(ctx, p2.Name)
	must(t, "GetPolicy after a refused delete", err)
	if got.AttachmentCount != 2 {
		t.Errorf("AttachmentCount after a refused delete = %d, want 2", got.AttachmentCount)
	}

	must(t, "DetachRolePolicy", s.DetachRolePolicy(ctx, r1.Name, p2.Name, policyArn(p2)))
	wantErr(t, "DetachRolePolicy twice", s.DetachRolePolicy(ctx, r1.Name, p2.Name, policyArn(p2)), store.ErrNotFound)
	attachments(r1, policyArn(p1))
	counts(1, 1, 0)
	_, err = s.DeletePolicy(ctx, p2.Name)
	wantErr(t, "DeletePolicy while attached to one role", err, store.ErrConflict)

	must(t, "DetachRolePolicy", s.DetachRolePolicy(ctx, r2.Name, p2.Name, policyArn(p2)))
	attachments(r2)
	counts(1, 0, 0)
	deleted, err := s.DeletePolicy(ctx, p2.Name)
	must(t, "DeletePolicy once detached", err)
	wantSame(t, "DeletePolicy result", policyFixture(2), deleted)
}

// testConcurrentAttachments: attachments from many goroutines are all
// counted, and so are detachments.
func (st suite) testConcurrentAttachments(t *testing.T) {
	const goroutines, rolesEach = 8, 5
	ctx := t.Context()
	s := st.store(t)
	p := policyFixture(1)
	must(t, "CreatePolicy", s.CreatePolicy(ctx, p))
	for i := range goroutines * rolesEach {
		must(t, "CreateRole", s.CreateRole(ctx, roles.deletableFixture(i)))
	}

	run := func(what string, op func(roleName string) error) {
		var wg sync.WaitGroup
		errs := make(chan error, goroutines*rolesEach)
		for g := range goroutines {
			wg.Go(func() {
				for j := range rolesEach {
					if err := op(roleName(g*rolesEach + j)); err != nil {
						errs <- fmt.Errorf("%s: %w", what, err)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	}
	countIs := func(want int) {
		t.Helper()
		got, err := s.GetPolicy(ctx, p.Name)
		must(t, "GetPolicy", err)
		if got.AttachmentCount != want {
			t.Errorf("AttachmentCount = %d, want %d", got.AttachmentCount, want)
		}
	}

	run("AttachRolePolicy", func(r string) error { return s.AttachRolePolicy(ctx, r, p.Name, policyArn(p)) })
	countIs(goroutines * rolesEach)
	run("DetachRolePolicy", func(r string) error { return s.DetachRolePolicy(ctx, r, p.Name, policyArn(p)) })
	countIs(0)
	all, err := s.ListAllRoles(ctx)
	must(t, "ListAllRoles", err)
	for _, r := range all {
		if len(r.AttachedPolicyArns) != 0 {
			t.Errorf("role %s still has attachments %v", r.Name, r.AttachedPolicyArns)
		}
	}
}

// testBookkeeping: attachments change only through AttachRolePolicy and
// DetachRolePolicy; creates and updates that would bypass them fail and
// change nothing.
func (st suite) testBookkeeping(t *testing.T) {
	ctx := t.Context()
	s := st.store(t)

	r := roleFixture(1)
	r.AttachedPolicyArns = []string{"arn:aws:iam::123456789012:policy/x"}
	if err := s.CreateRole(ctx, r); err == nil {
		t.Error("CreateRole with AttachedPolicyArns succeeded, want an error")
	}
	_, err := s.GetRole(ctx, r.Name)
	wantErr(t, "GetRole after a refused create", err, store.ErrNotFound)

	p := policyFixture(1)
	p.AttachmentCount = 3
	if err := s.CreatePolicy(ctx, p); err == nil {
		t.Error("CreatePolicy with an AttachmentCount succeeded, want an error")
	}
	_, err = s.GetPolicy(ctx, p.Name)
	wantErr(t, "GetPolicy after a refused create", err, store.ErrNotFound)

	must(t, "CreateRole", s.CreateRole(ctx, roleFixture(1)))
	must(t, "CreatePolicy", s.CreatePolicy(ctx, policyFixture(1)))
	_, err = s.UpdateRole(ctx, r.Name, func(r *store.Role) error {
		r.Description = "changed"
		r.AttachedPolicyArns = append(r.AttachedPolicyArns, policyArn(policyFixture(1)))
		return nil
	})
	if err == nil {
		t.Error("UpdateRole that changes AttachedPolicyArns succeeded, want an error")
	}
	gotRole, err := s.GetRole(ctx, r.Name)
	must(t, "GetRole", err)
	wantSame(t, "GetRole after a refused update", roleFixture(1), gotRole)

	_, err = s.UpdatePolicy(ctx, p.Name, func(p *store.ManagedPolicy) error {
		p.Description = "changed"
		p.AttachmentCount++
		return nil
	})
	if err == nil {
		t.Error("UpdatePolicy that changes AttachmentCount succeeded, want an error")
	}
	gotPolicy, err := s.GetPolicy(ctx, p.Name)
	must(t, "GetPolicy", err)
	wantSame(t, "GetPolicy after a refused update", policyFixture(1), gotPolicy)
}
