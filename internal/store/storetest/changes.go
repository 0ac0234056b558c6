package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/store"
)

// Waits of the Subscribe tests: how long a callback that must come may
// take, and how long the suite watches for one that must not.
const (
	callbackTimeout = 10 * time.Second
	quietPeriod     = 150 * time.Millisecond
)

// testVersion: every mutating call of anchors, profiles, CRLs, roles,
// policies and the keyring increases Version.
func (st suite) testVersion(t *testing.T) {
	ctx := t.Context()
	s := st.store(t)
	anchor, profile, crl := trustAnchorFixture(1), profileFixture(1), crlFixture(1)
	crl.TrustAnchorID = anchor.ID
	crl2 := crlFixture(2)
	crl2.TrustAnchorID = anchor.ID
	role, policy := roles.deletableFixture(1), policyFixture(1)
	arn := policyArn(policy)

	for _, step := range []struct {
		what string
		do   func() error
	}{
		{"CreateTrustAnchor", func() error { return s.CreateTrustAnchor(ctx, anchor) }},
		{"UpdateTrustAnchor", func() error {
			_, err := s.UpdateTrustAnchor(ctx, anchor.ID, func(*store.TrustAnchor) error { return nil })
			return err
		}},
		{"CreateProfile", func() error { return s.CreateProfile(ctx, profile) }},
		{"UpdateProfile", func() error {
			_, err := s.UpdateProfile(ctx, profile.ID, func(*store.Profile) error { return nil })
			return err
		}},
		{"DeleteProfile", func() error { _, err := s.DeleteProfile(ctx, profile.ID); return err }},
		{"CreateCRL", func() error { return s.CreateCRL(ctx, crl) }},
		{"UpdateCRL", func() error {
			_, err := s.UpdateCRL(ctx, crl.ID, func(*store.CRL) error { return nil })
			return err
		}},
		{"DeleteCRL", func() error { _, err := s.DeleteCRL(ctx, crl.ID); return err }},
		{"CreateCRL", func() error { return s.CreateCRL(ctx, crl2) }},
		{"DeleteTrustAnchor", func() error { _, err := s.DeleteTrustAnchor(ctx, anchor.ID); return err }},
		{"CreateRole", func() error { return s.CreateRole(ctx, role) }},
		{"UpdateRole", func() error {
			_, err := s.UpdateRole(ctx, role.Name, func(*store.Role) error { return nil })
			return err
		}},
		{"CreatePolicy", func() error { return s.CreatePolicy(ctx, policy) }},
		{"UpdatePolicy", func() error {
			_, err := s.UpdatePolicy(ctx, policy.Name, func(*store.ManagedPolicy) error { return nil })
			return err
		}},
		{"AttachRolePolicy", func() error { return s.AttachRolePolicy(ctx, role.Name, policy.Name, arn) }},
		{"DetachRolePolicy", func() error { return s.DetachRolePolicy(ctx, role.Name, policy.Name, arn) }},
		{"DeletePolicy", func() error { _, err := s.DeletePolicy(ctx, policy.Name); return err }},
		{"DeleteRole", func() error { _, err := s.DeleteRole(ctx, role.Name); return err }},
		{"AddSealingKey", func() error { return s.AddSealingKey(ctx, sealingKeyFixture(1)) }},
		{"RetireSealingKey", func() error { return s.RetireSealingKey(ctx, "k1") }},
	} {
		v := version(t, s)
		must(t, step.what, step.do())
		wantBump(t, s, step.what, v)
	}
}

// testSubscribe: callbacks follow committed changes, not failed ones, do
// not hold up writers, and stop when cancelled.
func (st suite) testSubscribe(t *testing.T) {
	ctx := t.Context()
	s := st.store(t)

	// Each call reports the Version it sees, proving the change it follows
	// is committed and visible.
	calls := make(chan int64, 1000)
	cancel := s.Subscribe(func() {
		v, err := s.Version(ctx)
		if err != nil {
			v = -1 // the store is closing
		}
		select {
		case calls <- v:
		default:
		}
	})
	waitCall := func(what string, min int64) {
		t.Helper()
		deadline := time.After(callbackTimeout)
		for {
			select {
			case v := <-calls:
				if v >= min {
					return
				}
			case <-deadline:
				t.Fatalf("no callback after %s within %v", what, callbackTimeout)
			}
		}
	}
	// settle drains calls until none comes for quietPeriod.
	settle := func() {
		for {
			select {
			case <-calls:
			case <-time.After(quietPeriod):
				return
			}
		}
	}
	noCall := func(what string) {
		t.Helper()
		select {
		case <-calls:
			t.Errorf("callback after %s", what)
		case <-time.After(quietPeriod):
		}
	}

	must(t, "CreateTrustAnchor", s.CreateTrustAnchor(ctx, trustAnchorFixture(1)))
	waitCall("CreateTrustAnchor", version(t, s))
	settle()

	// Failed calls change nothing and call nobody.
	wantErr(t, "CreateTrustAnchor duplicate", s.CreateTrustAnchor(ctx, trustAnchorFixture(1)), store.ErrAlreadyExists)
	errClosure := errors.New("storetest: closure failed")
	_, err := s.UpdateTrustAnchor(ctx, trustAnchorFixture(1).ID, func(*store.TrustAnchor) error { return errClosure })
	wantErr(t, "UpdateTrustAnchor with a failing closure", err, errClosure)
	_, err = s.DeleteProfile(ctx, "no-such-profile")
	wantErr(t, "DeleteProfile unknown", err, store.ErrNotFound)
	noCall("failed calls")

	// A subscriber that blocks holds up neither writers nor other
	// subscribers.
	release := make(chan struct{})
	blocked := make(chan struct{}, 1)
	cancelSlow := s.Subscribe(func() {
		select {
		case blocked <- struct{}{}:
		default:
		}
		<-release
	})
	defer cancelSlow()
	defer close(release)
	done := make(chan error, 1)
	go func() {
		for i := range 20 {
			if _, err := s.UpdateTrustAnchor(ctx, trustAnchorFixture(1).ID, func(a *store.TrustAnchor) error {
				a.Name = "n" + string(rune('a'+i))
				return nil
			}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	select {
	case err := <-done:
		must(t, "UpdateTrustAnchor with a blocked subscriber", err)
	case <-time.After(callbackTimeout):
		t.Fatal("writers blocked by a blocked subscriber")
	}
	select {
	case <-blocked:
	case <-time.After(callbackTimeout):
		t.Error("the blocking subscriber was never called")
	}
	waitCall("updates while another subscriber blocks", version(t, s))
	settle()

	// Cancelled subscribers are not called again.
	cancel()
	cancel() // harmless
	must(t, "CreateProfile", s.CreateProfile(ctx, profileFixture(1)))
	noCall("a change after cancel")
}
