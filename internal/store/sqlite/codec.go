package sqlite

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/roam-dev/roam/internal/store"
)

// micros is the stored form of t: microseconds since the Unix epoch.
func micros(t time.Time) int64 { return t.UnixMicro() }

// fromMicros turns a stored time back into a time.Time in UTC.
func fromMicros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// canonicalTime returns t as the store gives it back: in UTC, truncated to
// the microsecond. Times nested in JSON columns go through it so they
// round-trip exactly like column times.
func canonicalTime(t time.Time) time.Time { return fromMicros(micros(t)) }

// toJSON encodes nested data for a JSON column.
func toJSON(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("sqlite: encode: %w", err)
	}
	return string(b), nil
}

// fromJSON decodes a JSON column into v.
func fromJSON(column, text string, v any) error {
	if err := json.Unmarshal([]byte(text), v); err != nil {
		return fmt.Errorf("sqlite: decode %s: %w", column, err)
	}
	return nil
}

// nonNilBytes returns b, or an empty slice for nil, for NOT NULL BLOB
// columns.
func nonNilBytes(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Page tokens.
//
// A token is base64url(payload || mac), where payload is the JSON encoding
// of a cursor and mac the first 16 bytes of HMAC-SHA256 over the payload,
// keyed by a random per-database key (meta.page_token_key). Tokens thus
// survive restarts, are opaque to clients, and anything not issued by this
// database, tampered with, or issued for another listing is rejected with
// store.ErrInvalidPageToken.

// macSize is the length of the truncated HMAC in a page token.
const macSize = 16

// maxPageSize caps Page.Size; a listing returns at most this many records
// per page (and a next token) even if asked for more.
const maxPageSize = 1000

// A cursor is where a listing stopped: the sort key of the last record
// returned, and the listing it belongs to.
type cursor struct {
	Listing string `json:"l"`
	Seq     int64  `json:"s,omitempty"` // creation-ordered listings
	Name    string `json:"n,omitempty"` // name-ordered listings (name_key)
}

// encodeToken returns the page token for c.
func (s *Store) encodeToken(c cursor) string {
	payload, err := json.Marshal(c)
	if err != nil {
		panic(err) // a struct of strings and ints always encodes
	}
	return base64.RawURLEncoding.EncodeToString(append(payload, s.tokenMAC(payload)...))
}

// decodeToken returns the cursor in token, which must have been issued for
// listing. An empty token is the first page: nil, nil.
func (s *Store) decodeToken(listing, token string) (*cursor, error) {
	if token == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(b) <= macSize {
		return nil, store.ErrInvalidPageToken
	}
	payload, mac := b[:len(b)-macSize], b[len(b)-macSize:]
	if !hmac.Equal(mac, s.tokenMAC(payload)) {
		return nil, store.ErrInvalidPageToken
	}
	var c cursor
	if err := json.Unmarshal(payload, &c); err != nil || c.Listing != listing {
		return nil, store.ErrInvalidPageToken
	}
	return &c, nil
}

// tokenMAC authenticates a token payload.
func (s *Store) tokenMAC(payload []byte) []byte {
	m := hmac.New(sha256.New, s.tokenKey)
	m.Write(payload)
	return m.Sum(nil)[:macSize]
}

// pageLimit is the number of records a page p returns at most.
func pageLimit(p store.Page) int {
	switch {
	case p.Size <= 0:
		return store.DefaultPageSize
	case p.Size > maxPageSize:
		return maxPageSize
	}
	return p.Size
}
