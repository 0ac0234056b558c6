package iam

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"slices"
	"strings"

	"github.com/roam-dev/roam/internal/store"
)

// defaultMaxSessionDuration is IAM's default for MaxSessionDuration.
const defaultMaxSessionDuration = 3600

func (h *Handler) createRole(ctx context.Context, f *form) (any, error) {
	name, _ := f.str("RoleName", roleNameRule, true)
	doc, _ := f.str("AssumeRolePolicyDocument", documentRule, true)
	path, ok := f.str("Path", rolePathRule, false)
	if !ok {
		path = "/"
	}
	desc, _ := f.str("Description", roleDescRule, false)
	duration, ok := f.integer("MaxSessionDuration", sessionDurationRule)
	if !ok {
		duration = defaultMaxSessionDuration
	}
	tags, _ := f.tags("Tags", false)
	if err := f.err(); err != nil {
		return nil, err
	}
	if _, ok := f.lookup("PermissionsBoundary"); ok {
		return nil, invalidInput("roam does not support permissions boundaries.")
	}
	if err := checkTagKeys(tags); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "CreateRole", h.scope.Role(path, name), tagCondition(tags, nil)); err != nil {
		return nil, err
	}
	if err := h.checkDocument(doc, true); err != nil {
		return nil, err
	}
	id, err := newID("AROA")
	if err != nil {
		return nil, err
	}
	role := &store.Role{
		Name:                     name,
		ID:                       id,
		Path:                     path,
		AssumeRolePolicyDocument: doc,
		Description:              desc,
		MaxSessionDuration:       int32(duration),
		Tags:                     tags,
		CreatedAt:                h.now().UTC(),
	}
	if err := h.store.CreateRole(ctx, role); err != nil {
		if errors.Is(err, store.ErrAlreadyExists) {
			return nil, entityAlreadyExists("Role with name %s already exists.", name)
		}
		return nil, err
	}
	return roleResult{newRoleXML(h.scope, role, roleFull)}, nil
}

func (h *Handler) getRole(ctx context.Context, f *form) (any, error) {
	name, _ := f.str("RoleName", roleNameRule, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	role, err := h.authorizeRole(ctx, "GetRole", name, nil)
	if err != nil {
		return nil, err
	}
	return roleResult{newRoleXML(h.scope, role, roleFull)}, nil
}

func (h *Handler) listRoles(ctx context.Context, f *form) (any, error) {
	prefix, _ := f.str("PathPrefix", rolePrefixRule, false)
	marker, maxItems := f.page()
	if err := f.err(); err != nil {
		return nil, err
	}
	if err := h.authorize(ctx, "ListRoles", "*", nil); err != nil {
		return nil, err
	}
	roles, next, err := h.store.ListRoles(ctx, prefix, store.Page{Token: marker, Size: maxItems})
	if err != nil {
		return nil, pageError(err)
	}
	res := listRolesResult{Roles: list[roleXML]{make([]roleXML, 0, len(roles))}, IsTruncated: next != "", Marker: next}
	for _, r := range roles {
		res.Roles.Member = append(res.Roles.Member, newRoleXML(h.scope, r, roleListed))
	}
	return res, nil
}

// updateRoleFunc authorizes iam:action on the named role and applies
// update to it atomically.
func (h *Handler) updateRoleFunc(ctx context.Context, action, name string, condition map[string][]string, update func(*store.Role) error) (*store.Role, error) {
	if _, err := h.authorizeRole(ctx, action, name, condition); err != nil {
		return nil, err
	}
	role, err := h.store.UpdateRole(ctx, name, update)
	if errors.Is(err, store.ErrNotFound) {
		return nil, noSuchRole(name)
	}
	return role, err
}

func (h *Handler) updateRole(ctx context.Context, f *form) (any, error) {
	name, _ := f.str("RoleName", roleNameRule, true)
	desc, setDesc := f.str("Description", roleDescRule, false)
	duration, setDuration := f.integer("MaxSessionDuration", sessionDurationRule)
	if err := f.err(); err != nil {
		return nil, err
	}
	_, err := h.updateRoleFunc(ctx, "UpdateRole", name, nil, func(r *store.Role) error {
		if setDesc {
			r.Description = desc
		}
		if setDuration {
			r.MaxSessionDuration = int32(duration)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return empty{}, nil
}

func (h *Handler) updateRoleDescription(ctx context.Context, f *form) (any, error) {
	name, _ := f.str("RoleName", roleNameRule, true)
	desc, _ := f.str("Description", roleDescRule, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	role, err := h.updateRoleFunc(ctx, "UpdateRoleDescription", name, nil, func(r *store.Role) error {
		r.Description = desc
		return nil
	})
	if err != nil {
		return nil, err
	}
	return roleResult{newRoleXML(h.scope, role, roleFull)}, nil
}

func (h *Handler) updateAssumeRolePolicy(ctx context.Context, f *form) (any, error) {
	name, _ := f.str("RoleName", roleNameRule, true)
	doc, _ := f.str("PolicyDocument", documentRule, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	if _, err := h.authorizeRole(ctx, "UpdateAssumeRolePolicy", name, nil); err != nil {
		return nil, err
	}
	if err := h.checkDocument(doc, true); err != nil {
		return nil, err
	}
	_, err := h.store.UpdateRole(ctx, name, func(r *store.Role) error {
		r.AssumeRolePolicyDocument = doc
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, noSuchRole(name)
	}
	return nil, err
}

func (h *Handler) deleteRole(ctx context.Context, f *form) (any, error) {
	name, _ := f.str("RoleName", roleNameRule, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	role, err := h.authorizeRole(ctx, "DeleteRole", name, nil)
	if err != nil {
		return nil, err
	}
	if len(role.AttachedPolicyArns) > 0 {
		return nil, errMustDetach
	}
	if len(role.InlinePolicies) > 0 {
		return nil, deleteConflict("Cannot delete entity, must delete policies first.")
	}
	_, err = h.store.DeleteRole(ctx, name)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, noSuchRole(name)
	case errors.Is(err, store.ErrConflict):
		// A policy was attached or put since we looked.
		return nil, errMustDetach
	}
	return nil, err
}

var errMustDetach = deleteConflict("Cannot delete entity, must detach all policies first.")

func (h *Handler) tagRole(ctx context.Context, f *form) (any, error) {
	name, _ := f.str("RoleName", roleNameRule, true)
	tags, _ := f.tags("Tags", true)
	if err := f.err(); err != nil {
		return nil, err
	}
	if err := checkTagKeys(tags); err != nil {
		return nil, err
	}
	_, err := h.updateRoleFunc(ctx, "TagRole", name, tagCondition(tags, nil), func(r *store.Role) error {
		merged := mergeTags(r.Tags, tags)
		if len(merged) > maxTags {
			return limitExceeded("Cannot exceed quota for TagsPerRole: %d", maxTags)
		}
		r.Tags = merged
		return nil
	})
	return nil, err
}

func (h *Handler) untagRole(ctx context.Context, f *form) (any, error) {
	name, _ := f.str("RoleName", roleNameRule, true)
	keys, _ := f.strList("TagKeys", tagKeyRule, maxTags, true)
	if err := f.err(); err != nil {
		return nil, err
	}
	_, err := h.updateRoleFunc(ctx, "UntagRole", name, tagCondition(nil, keys), func(r *store.Role) error {
		r.Tags = slices.DeleteFunc(r.Tags, func(t store.Tag) bool {
			return slices.ContainsFunc(keys, func(k string) bool { return strings.EqualFold(k, t.Key) })
		})
		return nil
	})
	return nil, err
}

func (h *Handler) listRoleTags(ctx context.Context, f *form) (any, error) {
	name, _ := f.str("RoleName", roleNameRule, true)
	marker, maxItems := f.page()
	if err := f.err(); err != nil {
		return nil, err
	}
	role, err := h.authorizeRole(ctx, "ListRoleTags", name, nil)
	if err != nil {
		return nil, err
	}
	tags := slices.SortedFunc(slices.Values(role.Tags), func(a, b store.Tag) int {
		return cmp.Compare(strings.ToLower(a.Key), strings.ToLower(b.Key))
	})
	p, err := paginate(tags, func(t store.Tag) string { return strings.ToLower(t.Key) }, marker, maxItems)
	if err != nil {
		return nil, err
	}
	return listTagsResult{Tags: list[tagXML]{tagsXML(p.items)}, IsTruncated: p.marker != "", Marker: p.marker}, nil
}

// checkTagKeys applies IAM's rules across a request's tags: keys are
// unique regardless of case, and the aws: prefix is reserved.
func checkTagKeys(tags []store.Tag) error {
	seen := make(map[string]bool, len(tags))
	for _, t := range tags {
		k := strings.ToLower(t.Key)
		if seen[k] {
			return invalidInput("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[k] = true
		if strings.HasPrefix(k, "aws:") {
			return invalidInput("Tag keys starting with 'aws:' are reserved for internal AWS use.")
		}
	}
	return nil
}

// mergeTags returns current with add applied: a tag whose key matches an
// existing one regardless of case replaces it; others are appended.
func mergeTags(current, add []store.Tag) []store.Tag {
	out := slices.Clone(current)
	for _, t := range add {
		i := slices.IndexFunc(out, func(c store.Tag) bool { return strings.EqualFold(c.Key, t.Key) })
		if i >= 0 {
			out[i] = t
		} else {
			out = append(out, t)
		}
	}
	return out
}

// tagCondition is the request context of an operation that sets tags
// (aws:RequestTag/KEY and aws:TagKeys) or removes them (aws:TagKeys).
func tagCondition(tags []store.Tag, removedKeys []string) map[string][]string {
	if len(tags) == 0 && len(removedKeys) == 0 {
		return nil
	}
	c := map[string][]string{}
	keys := slices.Clone(removedKeys)
	for _, t := range tags {
		c["aws:RequestTag/"+t.Key] = []string{t.Value}
		keys = append(keys, t.Key)
	}
	c["aws:TagKeys"] = keys
	return c
}

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newID returns a unique ID like IAM's: a four-letter prefix ("AROA" for
// roles, "ANPA" for policies) and 17 characters of [A-Z2-7].
func newID(prefix string) (string, error) {
	b := make([]byte, 11) // 88 bits: 17.6 base32 characters
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + idEncoding.EncodeToString(b)[:17], nil
}
