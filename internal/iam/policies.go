package iam

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/roam-dev/roam/internal/store"
)

// Customer managed policies and their versions. roam has no AWS managed
// policies: ARNs in the aws account name nothing here.

// maxPolicyVersions is how many versions a managed policy keeps.
const maxPolicyVersions = 5

// policyRef is a policy ARN from a request, parsed.
type policyRef struct {
	arn  string
	name string
	// foreign is set for a well-formed ARN of another account (or of an
	// AWS managed policy): it names nothing roam holds.
	foreign bool
}

// parsePolicyARN parses a PolicyArn parameter; a malformed one is
// InvalidInput, as in IAM.
func (h *Handler) parsePolicyARN(s string) (policyRef, error) {
	_, name, err := ParsePolicyARN(h.scope, s)
	switch {
	case errors.Is(err, ErrForeignARN):
		return policyRef{arn: s, foreign: true}, nil
	case err != nil:
		return policyRef{}, invalidARN(s)
	}
	return policyRef{arn: s, name: name}, nil
}

// lookupPolicy returns the policy ref names, or notFound's error when
// there is none (its path must match too: the ARN is the identity).
func (h *Handler) lookupPolicy(ctx context.Context, ref policyRef, notFound func() error) (*store.ManagedPolicy, error) {
	if ref.foreign {
		return nil, notFound()
	}
	p, err := h.store.GetPolicy(ctx, ref.name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, notFound()
	case err != nil:
		return nil, err
	case h.scope.Policy(p.Path, p.Name) != ref.arn:
		return nil, notFound()
	}
	return p, nil
}

// readPolicy reads, checks and authorizes the PolicyArn parameter and
// returns the policy it names. It reports validation errors of the
// request's other parameters, read by the caller before, first.
func (h *Handler) readPolicy(ctx context.Context, f *form, action string) (*store.ManagedPolicy, error) {
	s, _ := f.str("PolicyArn", arnRule, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	ref, err := h.parsePolicyARN(s)
	if err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, action, s, nil); err != nil {
		return nil, err
	}
	return h.lookupPolicy(ctx, ref, func() error { return noSuchPolicy(s) })
}

func noSuchPolicy(policyArn string) error {
	return noSuchEntity("Policy %s was not found.", policyArn)
}

func noSuchVersion(policyArn, versionID string) error {
	return noSuchEntity("Policy %s version %s does not exist or is not attachable.", policyArn, versionID)
}

// updatePolicy applies update to the policy atomically.
func (h *Handler) updatePolicy(ctx context.Context, p *store.ManagedPolicy, update func(*store.ManagedPolicy) error) (*store.ManagedPolicy, error) {
	arn := h.scope.Policy(p.Path, p.Name)
	updated, err := h.store.UpdatePolicy(ctx, p.Name, update)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noSuchPolicy(arn)
	}
	return updated, err
}

func (h *Handler) createPolicy(ctx context.Context, f *form) (any, error) {
	name, _ := f.str("PolicyName", policyNameRule, true)
	doc, _ := f.str("PolicyDocument", documentRule, true)
	path, ok := f.str("Path", policyPathRule, false)
	if !ok {
		path = "/"
	}
	desc, _ := f.str("Description", policyDescRule, false)
	tags, _ := f.tags("Tags", false)
	if err := f.err(); err != nil {
		return nil, err
	}
	if err := checkTagKeys(tags); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "CreatePolicy", h.scope.Policy(path, name), tagCondition(tags, nil)); err != nil {
		return nil, err
	}
	if err := h.checkDocument(doc, false); err != nil {
		return nil, err
	}
	id, err := newID("ANPA")
	if err != nil {
		return nil, err
	}
	now := h.now().UTC()
	p := &store.ManagedPolicy{
		Name:        name,
		ID:          id,
		Path:        path,
		Description: desc,
		Tags:        tags,
		Versions:    []store.PolicyVersion{{VersionID: "v1", Document: doc, IsDefaultVersion: true, CreatedAt: now}},
		CreatedAt:   now,
		UpdatedAt:   now,
	}
	if err := h.store.CreatePolicy(ctx, p); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil, entityAlreadyExists("A policy called %s already exists. Duplicate names are not allowed.", name)
		}
		return nil, err
	}
	return policyResult{newPolicyXML(h.scope, p, policyFull)}, nil
}

func (h *Handler) getPolicy(ctx context.Context, f *form) (any, error) {
	p, err := h.readPolicy(ctx, f, "GetPolicy")
	if err != nil {
		return nil, err
	}
	return policyResult{newPolicyXML(h.scope, p, policyFull)}, nil
}

func (h *Handler) deletePolicy(ctx context.Context, f *form) (any, error) {
	p, err := h.readPolicy(ctx, f, "DeletePolicy")
	if err != nil {
		return nil, err
	}
	if p.AttachmentCount > 0 {
		return nil, errPolicyAttached
	}
	if len(p.Versions) > 1 {
		return nil, deleteConflict("This policy has more than one version. Before you delete a policy, you must delete the policy's versions. The default version is deleted with the policy.")
	}
	_, err = h.store.DeletePolicy(ctx, p.Name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, noSuchPolicy(h.scope.Policy(p.Path, p.Name))
	case errors.Is(err, store.ErrConflict):
		return nil, errPolicyAttached
	}
	return nil, err
}

var errPolicyAttached = deleteConflict("Cannot delete a policy attached to entities.")

func (h *Handler) listPolicies(ctx context.Context, f *form) (any, error) {
	scope, _ := f.enum("Scope", "All", "AWS", "Local")
	onlyAttached := f.boolean("OnlyAttached")
	prefix, _ := f.str("PathPrefix", policyPathRule, false)
	usage, _ := f.enum("PolicyUsageFilter", "PermissionsPolicy", "PermissionsBoundary")
	marker, maxItems := f.page()
	if err := f.err(); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "ListPolicies", "*", nil); err != nil {
		return nil, err
	}
	res := listPoliciesResult{Policies: list[policyXML]{[]policyXML{}}}
	// roam holds no AWS managed policies and no permissions boundaries.
	if scope == "AWS" || usage == "PermissionsBoundary" {
		return res, nil
	}
	// With OnlyAttached, unattached policies are skipped: read pages sized
	// to what is still missing, so a page never ends mid-way through what
	// the store returned and its token stays the right marker.
	const maxReads = 10
	token := marker
	for range maxReads {
		items, next, err := h.store.ListPolicies(ctx, prefix, store.Page{Token: token, Size: maxItems - len(res.Policies.Member)})
		if err != nil {
			return nil, pageError(err)
		}
		for _, p := range items {
			if !onlyAttached || p.AttachmentCount > 0 {
				res.Policies.Member = append(res.Policies.Member, newPolicyXML(h.scope, p, policyListed))
			}
		}
		token = next
		if next == "" || len(res.Policies.Member) == maxItems {
			break
		}
	}
	// IAM, too, may return fewer items than asked with IsTruncated set.
	res.IsTruncated, res.Marker = token != "", token
	return res, nil
}

// versionNumber returns N of a version ID vN (0 if it is not one).
func versionNumber(id string) int {
	n, err := strconv.Atoi(strings.TrimPrefix(id, "v"))
	if err != nil || !strings.HasPrefix(id, "v") {
		return 0
	}
	return n
}

func (h *Handler) createPolicyVersion(ctx context.Context, f *form) (any, error) {
	doc, _ := f.str("PolicyDocument", documentRule, true)
	setDefault := f.boolean("SetAsDefault")
	p, err := h.readPolicy(ctx, f, "CreatePolicyVersion")
	if err != nil {
		return nil, err
	}
	if err := h.checkDocument(doc, false); err != nil {
		return nil, err
	}
	now := h.now().UTC()
	var created store.PolicyVersion
	_, err = h.updatePolicy(ctx, p, func(p *store.ManagedPolicy) error {
		if len(p.Versions) >= maxPolicyVersions {
			return limitExceeded("A managed policy can have up to %d versions. Before you create a new version, you must delete an existing version.", maxPolicyVersions)
		}
		// The store keeps no counter of versions ever created, so a
		// deleted newest version's ID is given out again (IAM never
		// reuses one).
		next := 0
		for _, v := range p.Versions {
			next = max(next, versionNumber(v.VersionID))
		}
		created = store.PolicyVersion{VersionID: fmt.Sprintf("v%d", next+1), Document: doc, IsDefaultVersion: setDefault, CreatedAt: now}
		if setDefault {
			for i := range p.Versions {
				p.Versions[i].IsDefaultVersion = false
			}
		}
		p.Versions = append(p.Versions, created)
		p.UpdatedAt = now
		return nil
	})
	if err != nil {
		return nil, err
	}
	return policyVersionResult{newPolicyVersionXML(&created, false)}, nil
}

// readVersion reads and checks the VersionId parameter; callers report
// f.err() (readPolicy does).
func readVersion(f *form) string {
	id, _ := f.str("VersionId", versionIDRule, true)
	return id
}

// findVersion returns the index of the version with the given ID, or -1.
func findVersion(p *store.ManagedPolicy, id string) int {
	return slices.IndexFunc(p.Versions, func(v store.PolicyVersion) bool { return v.VersionID == id })
}

func (h *Handler) getPolicyVersion(ctx context.Context, f *form) (any, error) {
	id := readVersion(f)
	p, err := h.readPolicy(ctx, f, "GetPolicyVersion")
	if err != nil {
		return nil, err
	}
	i := findVersion(p, id)
	if i < 0 {
		return nil, noSuchVersion(h.scope.Policy(p.Path, p.Name), id)
	}
	return policyVersionResult{newPolicyVersionXML(&p.Versions[i], true)}, nil
}

func (h *Handler) listPolicyVersions(ctx context.Context, f *form) (any, error) {
	marker, maxItems := f.page()
	p, err := h.readPolicy(ctx, f, "ListPolicyVersions")
	if err != nil {
		return nil, err
	}
	// Newest first, as IAM lists them: the key is the negated number.
	key := func(v store.PolicyVersion) int { return -versionNumber(v.VersionID) }
	versions := slices.SortedFunc(slices.Values(p.Versions), func(a, b store.PolicyVersion) int { return cmp.Compare(key(a), key(b)) })
	pg, err := paginate(versions, key, marker, maxItems)
	if err != nil {
		return nil, err
	}
	res := listPolicyVersionsResult{Versions: list[policyVersionXML]{make([]policyVersionXML, 0, len(pg.items))}, IsTruncated: pg.marker != "", Marker: pg.marker}
	for i := range pg.items {
		res.Versions.Member = append(res.Versions.Member, newPolicyVersionXML(&pg.items[i], false))
	}
	return res, nil
}

func (h *Handler) deletePolicyVersion(ctx context.Context, f *form) (any, error) {
	id := readVersion(f)
	p, err := h.readPolicy(ctx, f, "DeletePolicyVersion")
	if err != nil {
		return nil, err
	}
	arn := h.scope.Policy(p.Path, p.Name)
	_, err = h.updatePolicy(ctx, p, func(p *store.ManagedPolicy) error {
		i := findVersion(p, id)
		switch {
		case i < 0:
			return noSuchVersion(arn, id)
		case p.Versions[i].IsDefaultVersion:
			return deleteConflict("Cannot delete the default version of a policy.")
		}
		p.Versions = slices.Delete(p.Versions, i, i+1)
		return nil
	})
	return nil, err
}

func (h *Handler) setDefaultPolicyVersion(ctx context.Context, f *form) (any, error) {
	id := readVersion(f)
	p, err := h.readPolicy(ctx, f, "SetDefaultPolicyVersion")
	if err != nil {
		return nil, err
	}
	arn := h.scope.Policy(p.Path, p.Name)
	now := h.now().UTC()
	_, err = h.updatePolicy(ctx, p, func(p *store.ManagedPolicy) error {
		i := findVersion(p, id)
		if i < 0 {
			return noSuchVersion(arn, id)
		}
		for j := range p.Versions {
			p.Versions[j].IsDefaultVersion = j == i
		}
		p.UpdatedAt = now
		return nil
	})
	return nil, err
}
