package rolesanywhere

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/roam-dev/roam/internal/apierror"
	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/httpapi"
	"github.com/roam-dev/roam/internal/store"
)

// maxTagsPerResource bounds a resource's tags (the model's TagList max).
const maxTagsPerResource = 200

// taggable names a resource by ARN and reads or changes its tags.
type taggable struct {
	typ, id string
}

func (h *Handler) resolveTaggable(s string) (taggable, error) {
	a, err := arn.Parse(s)
	if err != nil || a.Service != "rolesanywhere" || a.Account != h.scope.Account || a.Region != h.scope.Region {
		return taggable{}, apierror.NotFound("Resource %s not found", truncate(s))
	}
	switch a.ResourceType() {
	case "trust-anchor", "profile", "crl":
		return taggable{a.ResourceType(), a.ResourceID()}, nil
	}
	return taggable{}, apierror.NotFound("Resource %s not found", truncate(s))
}

// tags returns the resource's tags.
func (h *Handler) tagsOf(ctx context.Context, t taggable) ([]store.Tag, error) {
	var (
		tags []store.Tag
		err  error
	)
	switch t.typ {
	case "trust-anchor":
		var a *store.TrustAnchor
		if a, err = h.store.GetTrustAnchor(ctx, t.id); err == nil {
			tags = a.Tags
		}
	case "profile":
		var p *store.Profile
		if p, err = h.store.GetProfile(ctx, t.id); err == nil {
			tags = p.Tags
		}
	case "crl":
		var c *store.CRL
		if c, err = h.store.GetCRL(ctx, t.id); err == nil {
			tags = c.Tags
		}
	}
	return tags, storeError(err, "Resource")
}

// changeTags applies change to the resource's tags atomically.
func (h *Handler) changeTags(ctx context.Context, t taggable, change func([]store.Tag) ([]store.Tag, error)) error {
	var err error
	switch t.typ {
	case "trust-anchor":
		_, err = h.store.UpdateTrustAnchor(ctx, t.id, func(a *store.TrustAnchor) (e error) { a.Tags, e = change(a.Tags); return })
	case "profile":
		_, err = h.store.UpdateProfile(ctx, t.id, func(p *store.Profile) (e error) { p.Tags, e = change(p.Tags); return })
	case "crl":
		_, err = h.store.UpdateCRL(ctx, t.id, func(c *store.CRL) (e error) { c.Tags, e = change(c.Tags); return })
	}
	return storeError(err, "Resource")
}

type tagResourceInput struct {
	ResourceArn *string   `json:"resourceArn"`
	Tags        []tagWire `json:"tags"`
}

func (h *Handler) tagResource(w http.ResponseWriter, r *http.Request) error {
	var in tagResourceInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var v validator
	if v.required("resourceArn", in.ResourceArn != nil) {
		v.str("resourceArn", *in.ResourceArn, 1, 1011, nil)
	}
	if v.required("tags", in.Tags != nil) {
		v.tags("tags", in.Tags)
	}
	if err := v.err(); err != nil {
		return err
	}
	t, err := h.resolveTaggable(*in.ResourceArn)
	if err != nil {
		return err
	}
	if err := h.authorize(r, "TagResource", *in.ResourceArn, requestTags(in.Tags)); err != nil {
		return err
	}
	err = h.changeTags(r.Context(), t, func(tags []store.Tag) ([]store.Tag, error) {
		for _, nt := range tagsIn(in.Tags) {
			if i := slices.IndexFunc(tags, func(x store.Tag) bool { return x.Key == nt.Key }); i >= 0 {
				tags[i] = nt
			} else {
				tags = append(tags, nt)
			}
		}
		if len(tags) > maxTagsPerResource {
			return nil, apierror.New(http.StatusBadRequest, "TooManyTagsException", "A resource may have at most %d tags; this request would leave it with %d", maxTagsPerResource, len(tags))
		}
		return tags, nil
	})
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusCreated, struct{}{})
	return nil
}

type untagResourceInput struct {
	ResourceArn *string  `json:"resourceArn"`
	TagKeys     []string `json:"tagKeys"`
}

func (h *Handler) untagResource(w http.ResponseWriter, r *http.Request) error {
	var in untagResourceInput
	if err := decode(w, r, &in); err != nil {
		return err
	}
	var v validator
	if v.required("resourceArn", in.ResourceArn != nil) {
		v.str("resourceArn", *in.ResourceArn, 1, 1011, nil)
	}
	if v.required("tagKeys", in.TagKeys != nil) {
		v.listLen("tagKeys", len(in.TagKeys), 0, 200)
		for i, k := range in.TagKeys {
			v.strValue(fmt.Sprintf("tagKeys.%d.member", i+1), k, sensitive{}, 1, 128, &tagPattern)
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	t, err := h.resolveTaggable(*in.ResourceArn)
	if err != nil {
		return err
	}
	if err := h.authorize(r, "UntagResource", *in.ResourceArn, map[string][]string{"aws:TagKeys": in.TagKeys}); err != nil {
		return err
	}
	err = h.changeTags(r.Context(), t, func(tags []store.Tag) ([]store.Tag, error) {
		return slices.DeleteFunc(tags, func(x store.Tag) bool { return slices.Contains(in.TagKeys, x.Key) }), nil
	})
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, struct{}{})
	return nil
}

func (h *Handler) listTagsForResource(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	var v validator
	resource := q.Get("resourceArn")
	if v.required("resourceArn", q.Has("resourceArn")) {
		v.str("resourceArn", resource, 1, 1011, nil)
	}
	if err := v.err(); err != nil {
		return err
	}
	t, err := h.resolveTaggable(resource)
	if err != nil {
		return err
	}
	if err := h.authorize(r, "ListTagsForResource", resource, nil); err != nil {
		return err
	}
	tags, err := h.tagsOf(r.Context(), t)
	if err != nil {
		return err
	}
	httpapi.WriteJSON(w, http.StatusOK, struct {
		Tags []tagOut `json:"tags"`
	}{tagsOut(tags)})
	return nil
}
