package storetest

import (
	"testing"

	"github.com/roam-dev/roam/internal/store"
)

// testCRLCascade: CRLs belong to a trust anchor, are counted per anchor,
// and are deleted with it.
func (st suite) testCRLCascade(t *testing.T) {
	ctx := t.Context()
	s := st.store(t)
	a, b := trustAnchorFixture(1), trustAnchorFixture(2)
	must(t, "CreateTrustAnchor", s.CreateTrustAnchor(ctx, a))
	must(t, "CreateTrustAnchor", s.CreateTrustAnchor(ctx, b))

	orphan := crlFixture(9)
	orphan.TrustAnchorID = "no-such-anchor"
	wantErr(t, "CreateCRL naming an unknown trust anchor", s.CreateCRL(ctx, orphan), store.ErrNotFound)

	crlOf := func(i int, anchorID string) *store.CRL {
		c := crlFixture(i)
		c.TrustAnchorID = anchorID
		return c
	}
	for i, anchorID := range []string{a.ID, a.ID, b.ID} {
		must(t, "CreateCRL", s.CreateCRL(ctx, crlOf(i+1, anchorID)))
	}
	count := func(anchorID string, want int) {
		t.Helper()
		n, err := s.CountCRLsForTrustAnchor(ctx, anchorID)
		must(t, "CountCRLsForTrustAnchor", err)
		if n != want {
			t.Errorf("CountCRLsForTrustAnchor(%s) = %d, want %d", anchorID, n, want)
		}
	}
	count(a.ID, 2)
	count(b.ID, 1)
	count("no-such-anchor", 0)

	_, err := s.UpdateCRL(ctx, crlOf(3, b.ID).ID, func(c *store.CRL) error {
		c.TrustAnchorID = "no-such-anchor"
		return nil
	})
	wantErr(t, "UpdateCRL to an unknown trust anchor", err, store.ErrNotFound)
	got, err := s.GetCRL(ctx, crlOf(3, b.ID).ID)
	must(t, "GetCRL", err)
	wantSame(t, "GetCRL after a failed update", crlOf(3, b.ID), got)

	v := version(t, s)
	deleted, err := s.DeleteTrustAnchor(ctx, a.ID)
	must(t, "DeleteTrustAnchor", err)
	wantBump(t, s, "DeleteTrustAnchor", v)
	wantSame(t, "DeleteTrustAnchor result", trustAnchorFixture(1), deleted)
	for i := 1; i <= 2; i++ {
		_, err := s.GetCRL(ctx, crlFixture(i).ID)
		wantErr(t, "GetCRL of a CRL of a deleted anchor", err, store.ErrNotFound)
	}
	count(a.ID, 0)
	count(b.ID, 1)
	items, next, err := s.ListCRLs(ctx, store.Page{})
	must(t, "ListCRLs", err)
	wantSame(t, "ListCRLs after deleting an anchor", []*store.CRL{crlOf(3, b.ID)}, items)
	if next != "" {
		t.Errorf("ListCRLs: next = %q, want \"\"", next)
	}

	// A new anchor with the old ID does not bring the CRLs back.
	must(t, "CreateTrustAnchor", s.CreateTrustAnchor(ctx, trustAnchorFixture(1)))
	count(a.ID, 0)
}
