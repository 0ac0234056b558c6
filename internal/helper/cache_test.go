package helper

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/testpki"
)

func TestCacheKey(t *testing.T) {
	ca := testpki.NewCA(t)
	a, b := ca.Leaf(t), ca.Leaf(t)
	p := Params{TrustAnchorArn: taArn, ProfileArn: profArn, RoleArn: roleArn, DurationSeconds: 3600}
	base := CacheKey(a.Cert, p, "https://x")
	if !validKey(base) {
		t.Fatalf("key %q", base)
	}
	variants := map[string]string{
		"another certificate":  CacheKey(b.Cert, p, "https://x"),
		"another endpoint":     CacheKey(a.Cert, p, "https://y"),
		"another role":         CacheKey(a.Cert, Params{TrustAnchorArn: taArn, ProfileArn: profArn, RoleArn: roleArn + "2", DurationSeconds: 3600}, "https://x"),
		"another duration":     CacheKey(a.Cert, Params{TrustAnchorArn: taArn, ProfileArn: profArn, RoleArn: roleArn, DurationSeconds: 900}, "https://x"),
		"another session name": CacheKey(a.Cert, Params{TrustAnchorArn: taArn, ProfileArn: profArn, RoleArn: roleArn, DurationSeconds: 3600, RoleSessionName: "s"}, "https://x"),
		"another region":       CacheKey(a.Cert, Params{TrustAnchorArn: taArn, ProfileArn: profArn, RoleArn: roleArn, DurationSeconds: 3600, Region: "eu-west-1"}, "https://x"),
	}
	for name, k := range variants {
		if k == base {
			t.Errorf("%s gives the same key", name)
		}
	}
	if CacheKey(a.Cert, p, "https://x") != base {
		t.Error("the key is not deterministic")
	}

	c := &Client{Getenv: func(k string) string {
		if k == "AWS_ENDPOINT_URL_ROLESANYWHERE" {
			return "http://127.0.0.1:1"
		}
		return ""
	}}
	withEnv, err := c.CacheKey(a.Cert, p)
	if err != nil {
		t.Fatal(err)
	}
	if withEnv != CacheKey(a.Cert, Params{TrustAnchorArn: taArn, ProfileArn: profArn, RoleArn: roleArn, DurationSeconds: 3600, Region: "us-east-1"}, "http://127.0.0.1:1") {
		t.Error("Client.CacheKey does not key by the resolved endpoint and region")
	}
	if _, err := c.CacheKey(a.Cert, Params{TrustAnchorArn: "bad"}); err == nil {
		t.Error("a bad ARN gives a key")
	}
}

func TestProcessCache(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)}
	exp := clock.Now().Add(time.Hour)
	creds := &Credentials{AccessKeyID: "ASIA1", SecretAccessKey: "S", SessionToken: "T", Expiration: exp.Format(time.RFC3339), Expires: exp}
	key := strings.Repeat("ab", 32)

	t.Run("ok/round trip, private files", func(t *testing.T) {
		pc := &ProcessCache{Dir: filepath.Join(t.TempDir(), "cache", "roam"), Now: clock.Now}
		if _, err := pc.Get(key); err == nil {
			t.Fatal("hit in an empty cache")
		}
		if err := pc.Put(key, creds); err != nil {
			t.Fatal(err)
		}
		got, err := pc.Get(key)
		if err != nil {
			t.Fatal(err)
		}
		if *got != *creds {
			t.Fatalf("got %+v, want %+v", got, creds)
		}
		assertMode(t, pc.Dir, 0o700|os.ModeDir)
		assertMode(t, pc.Path(key), 0o600)
		if _, err := pc.Get(strings.Repeat("cd", 32)); err == nil {
			t.Fatal("hit for another key")
		}
	})
	t.Run("ok/reused until 5 minutes before expiry", func(t *testing.T) {
		c := &fakeClock{t: clock.Now()}
		pc := &ProcessCache{Dir: t.TempDir(), Now: c.Now}
		_ = pc.Put(key, creds)
		c.Advance(55*time.Minute - time.Second)
		if _, err := pc.Get(key); err != nil {
			t.Fatalf("5 min 1 s before expiry: %v", err)
		}
		c.Advance(time.Second)
		if _, err := pc.Get(key); err == nil || !strings.Contains(err.Error(), "expire at") {
			t.Fatalf("5 min before expiry: %v", err)
		}
	})
	for _, tt := range []struct {
		name    string
		prepare func(t *testing.T, path string)
		want    string
	}{
		{"error/corrupt", func(t *testing.T, p string) { writeTestFile(t, p, "{not json", 0o600) }, "corrupt cache file"},
		{"error/foreign key", func(t *testing.T, p string) {
			writeTestFile(t, p, `{"version":1,"key":"`+strings.Repeat("0", 64)+`","accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":"2099-01-01T00:00:00Z"}`, 0o600)
		}, "for other credentials"},
		{"error/other version", func(t *testing.T, p string) {
			writeTestFile(t, p, `{"version":2,"key":"`+key+`","accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":"2099-01-01T00:00:00Z"}`, 0o600)
		}, "version 2"},
		{"error/readable by others", func(t *testing.T, p string) {
			writeTestFile(t, p, `{"version":1,"key":"`+key+`","accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":"2099-01-01T00:00:00Z"}`, 0o644)
		}, "lets others read"},
		{"error/symbolic link", func(t *testing.T, p string) {
			target := p + ".real"
			writeTestFile(t, target, `{"version":1,"key":"`+key+`","accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":"2099-01-01T00:00:00Z"}`, 0o600)
			if err := os.Symlink(target, p); err != nil {
				t.Skip(err)
			}
		}, "not a regular file"},
		{"error/directory", func(t *testing.T, p string) {
			if err := os.Mkdir(p, 0o700); err != nil {
				t.Fatal(err)
			}
		}, "not a regular file"},
	} {
		t.Run(tt.name+" is ignored and replaced", func(t *testing.T) {
			pc := &ProcessCache{Dir: t.TempDir(), Now: clock.Now}
			tt.prepare(t, pc.Path(key))
			if _, err := pc.Get(key); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Get: %v, want %q", err, tt.want)
			}
			if err := pc.Put(key, creds); err != nil {
				t.Fatal(err)
			}
			if got, err := pc.Get(key); err != nil || got.AccessKeyID != "ASIA1" {
				t.Fatalf("after Put: %v %v", got, err)
			}
		})
	}
	t.Run("error/unparsable expiration not cached", func(t *testing.T) {
		pc := &ProcessCache{Dir: t.TempDir(), Now: clock.Now}
		if err := pc.Put(key, &Credentials{AccessKeyID: "A", SecretAccessKey: "S", SessionToken: "T", Expiration: "soon"}); err == nil {
			t.Fatal("cached credentials without a usable expiration")
		}
	})
}

func writeTestFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// FuzzParseCacheEntry: any file content is either refused or yields
// complete credentials valid for more than RefreshAhead.
func FuzzParseCacheEntry(f *testing.F) {
	key := strings.Repeat("ab", 32)
	f.Add([]byte(`{"version":1,"key":"`+key+`","accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":"2099-01-01T00:00:00Z"}`), key)
	f.Add([]byte(`{"version":1,"key":"`+key+`","accessKeyId":"A","secretAccessKey":"S","sessionToken":"T","expiration":"2099-01-01T00:00:00Z"} {}`), key)
	f.Add([]byte(`{"version":1,"extra":1}`), key)
	f.Add([]byte(`null`), "")
	now := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, data []byte, key string) {
		c, err := ParseCacheEntry(data, key, now)
		if err != nil {
			if c != nil {
				t.Fatal("credentials with an error")
			}
			return
		}
		if c.AccessKeyID == "" || c.SecretAccessKey == "" || c.SessionToken == "" {
			t.Fatalf("incomplete credentials %+v", c)
		}
		if c.Expires.Sub(now) <= RefreshAhead {
			t.Fatalf("credentials expiring at %v accepted at %v", c.Expires, now)
		}
	})
}
