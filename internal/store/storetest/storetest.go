// Package storetest is the conformance suite every store.Store backend
// must pass: SQLite, PostgreSQL, and anything used as a test fake.
//
// A backend's test calls Run with a function that opens a new, empty
// store. Run covers every method of every interface as parallel subtests.
//
// Beyond the doc comments of package store, the suite pins down these
// conventions, so that backends agree where the contract is silent:
//
//   - Records round-trip whole. Every field comes back as stored, with two
//     equivalences: a nil slice or map equals an empty one, and times are
//     kept at microsecond precision and returned in UTC: a stored time t
//     comes back as Canonical(t), nested times (credential and instance
//     property SeenAt, policy version CreatedAt) included.
//   - The store never sets timestamps itself, except on subjects (below):
//     CreatedAt and UpdatedAt are whatever the caller stored.
//   - Returned records never alias stored state or the caller's input:
//     changing a record (nested slices and maps included) after passing it
//     to Create, or after it was returned by Get, List, Update or Delete,
//     or through the pointer an update closure received, changes nothing
//     stored.
//   - Update closures: an error from the closure aborts the change and is
//     returned as is (the same error value); the closure is not called for
//     an unknown key. A closure must not change the record's key (ID, or
//     Name of roles and policies) nor the attachment bookkeeping
//     (Role.AttachedPolicyArns, ManagedPolicy.AttachmentCount): the update
//     fails and nothing changes. Likewise CreateRole refuses a role with
//     AttachedPolicyArns and CreatePolicy a policy with an AttachmentCount:
//     attachments change only through AttachRolePolicy and
//     DetachRolePolicy. Concurrent updates of one record never lose one.
//   - Listings: roles list by name, case-insensitively; every other
//     listing (policies included) lists by creation, oldest first. "" and
//     "/" as path prefix both mean all. A page never holds more than
//     Page.Size records (DefaultPageSize for Size <= 0); the last page has
//     next == "". A token that is not from the same listing (the same
//     method and path prefix) of the same store is ErrInvalidPageToken.
//   - A CRL must name an existing trust anchor: CreateCRL, or an
//     UpdateCRL that sets an unknown TrustAnchorID, is ErrNotFound.
//     CountCRLsForTrustAnchor of an unknown anchor is 0.
//   - Subjects: RecordSubjectActivity creates a subject on its first
//     activity, enabled, with CreatedAt the earliest At of its activities in
//     that batch. Each activity sets LastSeenAt and UpdatedAt to At if later;
//     adds its Credential with SeenAt = At (the Credential's own SeenAt is
//     ignored), replacing an entry with the same Issuer and SerialNumber;
//     and, unless InstanceProperties is nil, adds an InstanceProperties
//     entry with SeenAt = At and Failed = Credential.Failed. Both lists are
//     ordered most recent first (among equal times the later activity
//     first) and bounded by MaxCredentialsPerSubject and
//     MaxInstancePropertiesPerSubject. Subjects list in order of first
//     sight.
//   - Version strictly increases after every successful mutating call on
//     trust anchors, profiles, CRLs, roles, policies (attach and detach
//     included) and the keyring. Subscribe calls back, on another
//     goroutine, after such a change commits, never because of a failed
//     call, and never again once cancelled; a subscriber that blocks does
//     not block writers. Subject activity and the account need not bump
//     Version nor notify.
package storetest

import (
	"errors"
	"testing"

	"github.com/roam-dev/roam/internal/store"
)

// Run runs the conformance suite against the stores open returns.
//
// open must return a new, empty store each time; it is called from
// parallel subtests, and Run closes each store when its subtest ends.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	st := suite{open: open}
	for _, c := range []struct {
		name string
		run  func(*testing.T)
	}{
		{"Account", st.testAccount},
		{"Keyring", st.testKeyring},
		{"TrustAnchors", trustAnchors.tests(st)},
		{"Profiles", profiles.tests(st)},
		{"CRLs", crls.tests(st)},
		{"TrustAnchorCascade", st.testCRLCascade},
		{"Subjects", st.testSubjects},
		{"Roles", roles.tests(st)},
		{"RoleNames", st.testRoleNames},
		{"ListRoles", st.testListRoles},
		{"DeleteRoleConflict", st.testDeleteRoleConflict},
		{"Policies", policies.tests(st)},
		{"PolicyNames", st.testPolicyNames},
		{"ListPolicies", st.testListPolicies},
		{"Attachments", st.testAttachments},
		{"ConcurrentAttachments", st.testConcurrentAttachments},
		{"Bookkeeping", st.testBookkeeping},
		{"Paging", st.testPaging},
		{"ForeignPageTokens", st.testForeignPageTokens},
		{"Version", st.testVersion},
		{"Subscribe", st.testSubscribe},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.run(t)
		})
	}
}

// suite carries the store opener through the tests.
type suite struct {
	open func(t *testing.T) store.Store
}

// store opens a new, empty store that is closed when t ends.
func (st suite) store(t *testing.T) store.Store {
	t.Helper()
	s := st.open(t)
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// must fails the test now if err is not nil.
func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// wantErr reports an error unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: err = %v, want %v", what, err, target)
	}
}

// wantSame reports an error unless got matches want (see diff).
func wantSame(t *testing.T, what string, want, got any) {
	t.Helper()
	if d := diff(want, got); d != "" {
		t.Errorf("%s: %s", what, d)
	}
}
