package sqlite

import (
	"testing"
	"time"
)

// TestVersionCacheRefusesReadsThatRacedACommit: a version read that began
// before a commit may be stale, and must not be cached for a second.
func TestVersionCacheRefusesReadsThatRacedACommit(t *testing.T) {
	var c versionCache
	now := time.Unix(1_800_000_000, 0)

	_, gen, ok := c.get(now)
	if ok {
		t.Fatal("empty cache answered")
	}
	c.invalidate() // a commit lands while the read is in flight
	c.set(4, gen, now)
	if v, _, ok := c.get(now); ok {
		t.Fatalf("cached version %d read before the commit", v)
	}

	_, gen, _ = c.get(now)
	c.set(5, gen, now)
	if v, _, ok := c.get(now.Add(500 * time.Millisecond)); !ok || v != 5 {
		t.Fatalf("get = %d, %v; want 5, true", v, ok)
	}
	if _, _, ok := c.get(now.Add(versionTTL)); ok {
		t.Fatal("version trusted past its TTL")
	}
	// An older read never replaces a newer version.
	c.set(3, gen, now)
	if v, _, _ := c.get(now); v != 5 {
		t.Fatalf("get = %d after a stale set, want 5", v)
	}
}
