package iam

import (
	"cmp"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"

	"github.com/roam-dev/roam/internal/store"
)

// A role's inline policies and its attached managed policies.

func (h *Handler) putRolePolicy(ctx context.Context, f *form) (any, error) {
	roleName, _ := f.str("RoleName", roleNameRule, true)
	policyName, _ := f.str("PolicyName", policyNameRule, true)
	doc, _ := f.str("PolicyDocument", documentRule, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	if _, err := h.authorizeRole(ctx, "PutRolePolicy", roleName, nil); err != nil {
		return nil, err
	}
	if err := h.checkDocument(doc, false); err != nil {
		return nil, err
	}
	_, err := h.store.UpdateRole(ctx, roleName, func(r *store.Role) error {
		if r.InlinePolicies == nil {
			r.InlinePolicies = map[string]string{}
		}
		r.InlinePolicies[policyName] = doc
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, noSuchRole(roleName)
	}
	return nil, err
}

func noSuchRolePolicy(name string) error {
	return noSuchEntity("The role policy with name %s cannot be found.", name)
}

func (h *Handler) getRolePolicy(ctx context.Context, f *form) (any, error) {
	roleName, _ := f.str("RoleName", roleNameRule, true)
	policyName, _ := f.str("PolicyName", policyNameRule, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	role, err := h.authorizeRole(ctx, "GetRolePolicy", roleName, nil)
	if err != nil {
		return nil, err
	}
	doc, ok := role.InlinePolicies[policyName]
	if !ok {
		return nil, noSuchRolePolicy(policyName)
	}
	return getRolePolicyResult{RoleName: role.Name, PolicyName: policyName, PolicyDocument: encodeDocument(doc)}, nil
}

func (h *Handler) deleteRolePolicy(ctx context.Context, f *form) (any, error) {
	roleName, _ := f.str("RoleName", roleNameRule, true)
	policyName, _ := f.str("PolicyName", policyNameRule, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	_, err := h.updateRoleFunc(ctx, "DeleteRolePolicy", roleName, nil, func(r *store.Role) error {
		if _, ok := r.InlinePolicies[policyName]; !ok {
			return noSuchRolePolicy(policyName)
		}
		delete(r.InlinePolicies, policyName)
		return nil
	})
	return nil, err
}

func (h *Handler) listRolePolicies(ctx context.Context, f *form) (any, error) {
	roleName, _ := f.str("RoleName", roleNameRule, true)
	marker, maxItems := f.page()
	if err := f.err(); err != nil {
		return nil, err
	}
	role, err := h.authorizeRole(ctx, "ListRolePolicies", roleName, nil)
	if err != nil {
		return nil, err
	}
	names := slices.Sorted(maps.Keys(role.InlinePolicies))
	p, err := paginate(names, func(n string) string { return n }, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return listRolePoliciesResult{PolicyNames: list[string]{p.items}, IsTruncated: p.marker != "", Marker: p.marker}, nil
}

// readAttachment reads the RoleName and PolicyArn of AttachRolePolicy and
// DetachRolePolicy, and authorizes iam:action on the role with the
// iam:PolicyARN condition key.
func (h *Handler) readAttachment(ctx context.Context, f *form, action string) (*store.Role, policyRef, error) {
	roleName, _ := f.str("RoleName", roleNameRule, true)
	policyArn, _ := f.str("PolicyArn", arnRule, true)
	if err := f.err(); err != nil {
		return nil, policyRef{}, err
	}
	ref, err := h.parsePolicyARN(policyArn)
	if err != nil {
		return nil, policyRef{}, err
	}
	role, err := h.authorizeRole(ctx, action, roleName, map[string][]string{"iam:PolicyARN": {policyArn}})
	if err != nil {
		return nil, policyRef{}, err
	}
	return role, ref, nil
}

func (h *Handler) attachRolePolicy(ctx context.Context, f *form) (any, error) {
	role, ref, err := h.readAttachment(ctx, f, "AttachRolePolicy")
	if err != nil {
		return nil, err
	}
	notAttachable := func() error {
		return noSuchEntity("Policy %s does not exist or is not attachable.", ref.arn)
	}
	policy, err := h.lookupPolicy(ctx, ref, notAttachable)
	if err != nil {
		return nil, err
	}
	err = h.store.AttachRolePolicy(ctx, role.Name, policy.Name, ref.arn)
	if errors.Is(err, store.ErrNotFound) {
		// The role or the policy went away since we looked.
		return nil, notAttachable()
	}
	return nil, err
}

func (h *Handler) detachRolePolicy(ctx context.Context, f *form) (any, error) {
	role, ref, err := h.readAttachment(ctx, f, "DetachRolePolicy")
	if err != nil {
		return nil, err
	}
	notAttached := noSuchPolicy(ref.arn)
	if ref.foreign {
		return nil, notAttached
	}
	err = h.store.DetachRolePolicy(ctx, role.Name, ref.name, ref.arn)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notAttached
	}
	return nil, err
}

func (h *Handler) listAttachedRolePolicies(ctx context.Context, f *form) (any, error) {
	roleName, _ := f.str("RoleName", roleNameRule, true)
	prefix, _ := f.str("PathPrefix", policyPathRule, false)
	marker, maxItems := f.page()
	if err := f.err(); err != nil {
		return nil, err
	}
	role, err := h.authorizeRole(ctx, "ListAttachedRolePolicies", roleName, nil)
	if err != nil {
		return nil, err
	}
	attached := make([]attachedPolicyXML, 0, len(role.AttachedPolicyArns))
	for _, a := range role.AttachedPolicyArns {
		path, name, err := ParsePolicyARN(h.scope, a)
		if err != nil {
			return nil, err // only valid ARNs of this account are ever attached
		}
		if strings.HasPrefix(path, prefix) {
			attached = append(attached, attachedPolicyXML{PolicyName: name, PolicyArn: a})
		}
	}
	// Policy names are unique regardless of case.
	key := func(a attachedPolicyXML) string { return strings.ToLower(a.PolicyName) }
	slices.SortFunc(attached, func(a, b attachedPolicyXML) int { return cmp.Compare(key(a), key(b)) })
	p, err := paginate(attached, key, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return listAttachedRolePoliciesResult{AttachedPolicies: list[attachedPolicyXML]{p.items}, IsTruncated: p.marker != "", Marker: p.marker}, nil
}
