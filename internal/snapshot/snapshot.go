// Package snapshot keeps an in-memory, read-only view of everything the hot
// paths read: the account, the sealing keyring, trust anchors with their
// parsed certificates and revocations, profiles, roles with their parsed
// policies, and managed policies. A snapshot is rebuilt when the store's
// version moves, so readers never query the database per request.
package snapshot

import (
	"bytes"
	"compress/flate"
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/credentials"
	"github.com/roam-dev/roam/internal/policy"
	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/trust"
)

// Snapshot is a consistent view of the store at one version. It is shared
// by concurrent readers and must not be modified.
type Snapshot struct {
	Version int64
	Account *store.Account
	Scope   arn.Scope
	Keyring *credentials.Keyring
	// Anchors, Profiles by ID; Roles by lower-case name; Policies by ARN.
	Anchors  map[string]*Anchor
	Profiles map[string]*Profile
	Roles    map[string]*Role
	Policies map[string]*ManagedPolicy
}

// Anchor is a trust anchor with its parsed certificates.
type Anchor struct {
	*store.TrustAnchor
	Arn   string
	Certs []*x509.Certificate
	// Err is set when the stored bundle no longer parses; such an anchor
	// trusts nothing.
	Err error
	// Revocations holds the serials revoked by the anchor's enabled CRLs.
	Revocations *trust.Revocations
}

// Profile is a profile with its parsed session policy.
type Profile struct {
	*store.Profile
	Arn string
	// SessionPolicy is nil when the profile has none.
	SessionPolicy *policy.Policy
	// CompactPolicy is the session policy without insignificant white
	// space, as sessions carry it; PackedPolicy is its size once packed
	// (deflated), as STS counts it against its limit.
	CompactPolicy string
	PackedPolicy  int
}

// Role is an IAM role with its parsed policies.
type Role struct {
	*store.Role
	Arn string
	// Trust is the parsed trust policy; TrustErr is set instead when the
	// stored document does not parse.
	Trust    *policy.Policy
	TrustErr error
	// Permissions are the role's inline policies and the default versions
	// of its attached managed policies.
	Permissions []*policy.Policy
}

// ManagedPolicy is a managed policy with its parsed default version.
type ManagedPolicy struct {
	*store.ManagedPolicy
	Arn     string
	Default *policy.Policy
}

// Role returns the role named by roleArn, or nil. The ARN must match the
// role exactly (path included).
func (s *Snapshot) Role(roleArn string) *Role {
	a, err := arn.Parse(roleArn)
	if err != nil || a.Service != "iam" || a.ResourceType() != "role" {
		return nil
	}
	r := s.Roles[strings.ToLower(a.Name())]
	if r == nil || r.Arn != roleArn {
		return nil
	}
	return r
}

// Loader builds snapshots and rebuilds them when the store changes.
type Loader struct {
	store store.Store
	mu    sync.Mutex // serialises rebuilds
	cur   atomic.Pointer[Snapshot]
}

// NewLoader loads the first snapshot.
func NewLoader(ctx context.Context, st store.Store) (*Loader, error) {
	l := &Loader{store: st}
	snap, err := load(ctx, st)
	if err != nil {
		return nil, err
	}
	l.cur.Store(snap)
	return l, nil
}

// Current returns a snapshot at the store's current version, rebuilding it
// if the store moved since the last one.
func (l *Loader) Current(ctx context.Context) (*Snapshot, error) {
	v, err := l.store.Version(ctx)
	if err != nil {
		return nil, err
	}
	if snap := l.cur.Load(); snap.Version == v {
		return snap, nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if snap := l.cur.Load(); snap.Version >= v {
		return snap, nil
	}
	snap, err := load(ctx, l.store)
	if err != nil {
		return nil, err
	}
	l.cur.Store(snap)
	return snap, nil
}

// load reads everything from the store. The version is read first, so a
// change racing with the load makes the next Current reload again.
func load(ctx context.Context, st store.Store) (*Snapshot, error) {
	v, err := st.Version(ctx)
	if err != nil {
		return nil, err
	}
	acct, err := st.GetAccount(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot: account: %w", err)
	}
	keys, err := st.ListSealingKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("snapshot: keyring: %w", err)
	}
	kr, err := credentials.NewKeyring(keys)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{
		Version:  v,
		Account:  acct,
		Scope:    arn.Scope{Partition: acct.Partition, Region: acct.Region, Account: acct.ID},
		Keyring:  kr,
		Anchors:  map[string]*Anchor{},
		Profiles: map[string]*Profile{},
		Roles:    map[string]*Role{},
		Policies: map[string]*ManagedPolicy{},
	}
	if err := s.loadAnchors(ctx, st); err != nil {
		return nil, err
	}
	if err := s.loadProfiles(ctx, st); err != nil {
		return nil, err
	}
	if err := s.loadPolicies(ctx, st); err != nil {
		return nil, err
	}
	if err := s.loadRoles(ctx, st); err != nil {
		return nil, err
	}
	return s, nil
}

// each pages through a listing.
func each[T any](ctx context.Context, list func(context.Context, store.Page) ([]T, string, error), fn func(T)) error {
	page := store.Page{Size: 500}
	for {
		items, next, err := list(ctx, page)
		if err != nil {
			return err
		}
		for _, it := range items {
			fn(it)
		}
		if next == "" {
			return nil
		}
		page.Token = next
	}
}

func (s *Snapshot) loadAnchors(ctx context.Context, st store.Store) error {
	err := each(ctx, st.ListTrustAnchors, func(a *store.TrustAnchor) {
		an := &Anchor{TrustAnchor: a, Arn: s.Scope.RolesAnywhere("trust-anchor", a.ID), Revocations: &trust.Revocations{}}
		an.Certs, an.Err = trust.ParseAnchorBundle(a.SourceData)
		s.Anchors[a.ID] = an
	})
	if err != nil {
		return fmt.Errorf("snapshot: trust anchors: %w", err)
	}
	err = each(ctx, st.ListCRLs, func(c *store.CRL) {
		an := s.Anchors[c.TrustAnchorID]
		if !c.Enabled || an == nil {
			return
		}
		// CRLs were checked on import; one that no longer parses or no
		// longer matches the anchor's certificates revokes nothing.
		crl, err := trust.ParseCRL(c.Data)
		if err != nil {
			return
		}
		if _, err := trust.CRLIssuer(crl, an.Certs); err != nil {
			return
		}
		an.Revocations.Add(crl)
	})
	if err != nil {
		return fmt.Errorf("snapshot: CRLs: %w", err)
	}
	return nil
}

func (s *Snapshot) loadProfiles(ctx context.Context, st store.Store) error {
	err := each(ctx, st.ListProfiles, func(p *store.Profile) {
		pr := &Profile{Profile: p, Arn: s.Scope.RolesAnywhere("profile", p.ID)}
		if p.SessionPolicy != "" {
			// Validated when stored; an unparsable one allows nothing.
			sp, err := policy.ParseString(p.SessionPolicy, policy.IdentityPolicy)
			if err != nil {
				sp = denyAll
			}
			pr.SessionPolicy = sp
			pr.CompactPolicy = compactJSON(p.SessionPolicy)
			pr.PackedPolicy = packedSize([]byte(pr.CompactPolicy))
		}
		s.Profiles[p.ID] = pr
	})
	if err != nil {
		return fmt.Errorf("snapshot: profiles: %w", err)
	}
	return nil
}

func (s *Snapshot) loadPolicies(ctx context.Context, st store.Store) error {
	all, err := st.ListAllPolicies(ctx)
	if err != nil {
		return fmt.Errorf("snapshot: policies: %w", err)
	}
	for _, p := range all {
		mp := &ManagedPolicy{ManagedPolicy: p, Arn: s.Scope.Policy(p.Path, p.Name)}
		doc := ""
		for _, v := range p.Versions {
			if v.IsDefaultVersion {
				doc = v.Document
			}
		}
		mp.Default = parseNamed(doc, mp.Arn)
		s.Policies[mp.Arn] = mp
	}
	return nil
}

func (s *Snapshot) loadRoles(ctx context.Context, st store.Store) error {
	all, err := st.ListAllRoles(ctx)
	if err != nil {
		return fmt.Errorf("snapshot: roles: %w", err)
	}
	for _, r := range all {
		role := &Role{Role: r, Arn: s.Scope.Role(r.Path, r.Name)}
		role.Trust, role.TrustErr = policy.ParseString(r.AssumeRolePolicyDocument, policy.TrustPolicy)
		names := slices.Sorted(maps.Keys(r.InlinePolicies))
		for _, name := range names {
			role.Permissions = append(role.Permissions, parseNamed(r.InlinePolicies[name], "inline policy "+name))
		}
		for _, a := range r.AttachedPolicyArns {
			if mp := s.Policies[a]; mp != nil {
				role.Permissions = append(role.Permissions, mp.Default)
			}
		}
		s.Roles[strings.ToLower(r.Name)] = role
	}
	return nil
}

// parseNamed parses an identity policy and names it for explanations; a
// document that no longer parses allows nothing.
func parseNamed(doc, name string) *policy.Policy {
	p, err := policy.ParseString(doc, policy.IdentityPolicy)
	if err != nil {
		d := *denyAll
		p = &d
	}
	p.Name = name
	return p
}

// denyAll stands in for a stored policy that no longer parses: it allows
// nothing, so a broken policy never widens access.
var denyAll = func() *policy.Policy {
	p, err := policy.ParseString(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"*","Resource":"*"}]}`, policy.IdentityPolicy)
	if err != nil {
		panic(err)
	}
	return p
}()

// compactJSON removes insignificant white space from a JSON document.
func compactJSON(s string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return s
	}
	return b.String()
}

// packedSize is the size of data deflated, how STS measures packed
// session policies.
func packedSize(data []byte) int {
	var b bytes.Buffer
	w, _ := flate.NewWriter(&b, flate.BestCompression)
	_, _ = w.Write(data)
	_ = w.Close()
	return b.Len()
}
