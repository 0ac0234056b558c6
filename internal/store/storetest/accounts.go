package storetest

import (
	"testing"

	"github.com/roam-dev/roam/internal/store"
)

// testAccount: the account is created once and read back whole.
func (st suite) testAccount(t *testing.T) {
	ctx := t.Context()
	s := st.store(t)

	_, err := s.GetAccount(ctx)
	wantErr(t, "GetAccount before CreateAccount", err, store.ErrNotFound)

	in := accountFixture()
	must(t, "CreateAccount", s.CreateAccount(ctx, in))
	in.RootSecretAccessKey = "changed"
	got, err := s.GetAccount(ctx)
	must(t, "GetAccount", err)
	wantSame(t, "GetAccount", accountFixture(), got)

	other := accountFixture()
	other.ID = "210987654321"
	wantErr(t, "second CreateAccount", s.CreateAccount(ctx, other), store.ErrAlreadyExists)

	got.Region = "changed"
	got, err = s.GetAccount(ctx)
	must(t, "GetAccount", err)
	wantSame(t, "GetAccount after a failed create and changing a returned record", accountFixture(), got)
}

// testKeyring: keys are added once, listed oldest first, and retired.
func (st suite) testKeyring(t *testing.T) {
	ctx := t.Context()
	s := st.store(t)

	keys, err := s.ListSealingKeys(ctx)
	must(t, "ListSealingKeys", err)
	if len(keys) != 0 {
		t.Errorf("ListSealingKeys of an empty store: got %d keys", len(keys))
	}

	// Added out of ID order, to tell creation order from ID order.
	order := []int{3, 1, 2}
	var want []*store.SealingKey
	for _, i := range order {
		in := sealingKeyFixture(i)
		v := version(t, s)
		must(t, "AddSealingKey", s.AddSealingKey(ctx, in))
		wantBump(t, s, "AddSealingKey", v)
		in.Key[0] ^= 0xff // must not reach the store
		want = append(want, sealingKeyFixture(i))
	}
	keys, err = s.ListSealingKeys(ctx)
	must(t, "ListSealingKeys", err)
	wantSame(t, "ListSealingKeys", want, keys)

	dup := sealingKeyFixture(1)
	dup.Key = make([]byte, 32)
	wantErr(t, "AddSealingKey duplicate", s.AddSealingKey(ctx, dup), store.ErrAlreadyExists)

	v := version(t, s)
	must(t, "RetireSealingKey", s.RetireSealingKey(ctx, "k1"))
	wantBump(t, s, "RetireSealingKey", v)
	must(t, "RetireSealingKey again", s.RetireSealingKey(ctx, "k1"))
	wantErr(t, "RetireSealingKey unknown", s.RetireSealingKey(ctx, "nope"), store.ErrNotFound)
	want[1].Retired = true

	keys, err = s.ListSealingKeys(ctx)
	must(t, "ListSealingKeys", err)
	wantSame(t, "ListSealingKeys after retiring", want, keys)
	for _, k := range keys {
		k.Key[0] ^= 0xff
		k.Retired = !k.Retired
	}
	keys, err = s.ListSealingKeys(ctx)
	must(t, "ListSealingKeys", err)
	wantSame(t, "ListSealingKeys after changing returned keys", want, keys)
}
