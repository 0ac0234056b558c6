package iam

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"errors"

	"github.com/roam-dev/roam/internal/store"
)

// IAM paginates with Marker and MaxItems: a truncated page says
// IsTruncated and carries the Marker to send for the next one. Listings of
// the store (roles, policies) use the store's page token as the marker.
// Listings held inside one record (a role's inline and attached policies
// and tags, a policy's versions) are paginated here, by key: the marker
// names the last key returned, so entries added or removed between pages
// never make another entry repeat or go missing.

// pageError maps the store's refusal of a page token.
func pageError(err error) error {
	if errors.Is(err, store.ErrInvalidPageToken) {
		return errInvalidMarker
	}
	return err
}

var errInvalidMarker = validationError("Invalid Marker.")

type page[T any] struct {
	items  []T
	marker string // "" on the last page
}

// paginate returns the page of items that follows marker, of at most
// maxItems. items must be sorted by key, ascending, and keys unique.
func paginate[T any, K cmp.Ordered](items []T, key func(T) K, marker string, maxItems int) (page[T], error) {
	start := 0
	if marker != "" {
		var after K
		raw, err := base64.RawURLEncoding.DecodeString(marker)
		if err != nil || json.Unmarshal(raw, &after) != nil {
			return page[T]{}, errInvalidMarker
		}
		for start < len(items) && cmp.Compare(key(items[start]), after) <= 0 {
			start++
		}
	}
	end := min(start+maxItems, len(items))
	p := page[T]{items: items[start:end]}
	if end < len(items) {
		raw, err := json.Marshal(key(items[end-1]))
		if err != nil {
			return page[T]{}, err
		}
		p.marker = base64.RawURLEncoding.EncodeToString(raw)
	}
	return p, nil
}
