package helper

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/roam-dev/roam/internal/fsutil"
)

// cacheVersion is the format of a cache file; files of another version
// are ignored and replaced.
const cacheVersion = 1

// maxCacheFile bounds what is read from a cache file.
const maxCacheFile = 64 << 10

// ProcessCache is credential-process's opt-in credential cache (--cache):
// one JSON file per identity and request in Dir, mode 0600 in a 0700
// directory, reused until RefreshAhead before the credentials expire. It
// saves a CreateSession call (and its signature, and the server's
// 10-requests-per-second budget) when an SDK starts many short-lived
// processes.
//
// A file is used only if it is a regular file owned by the current user
// and readable by nobody else, parses, is of this version and holds the
// exact key asked for; anything else (corrupt, foreign, stale, for another
// key) is ignored and replaced after the next CreateSession. The secret
// access key and session token are stored in clear, as the AWS CLI's own
// cache (~/.aws/cli/cache) stores them: the file's mode protects them.
type ProcessCache struct {
	// Dir holds the cache files, e.g. UserCacheDir()/roam.
	Dir string
	// Now is the clock.
	Now func() time.Time
}

// CacheKey identifies credentials in the cache: the SHA-256 fingerprint of
// the certificate (so a rotated certificate never reuses the old one's
// credentials), the three ARNs, the session duration and name, the region
// and the resolved endpoint. It is 64 lowercase hex characters.
func CacheKey(cert *x509.Certificate, p Params, endpoint string) string {
	fp := sha256.Sum256(cert.Raw)
	doc, _ := json.Marshal(struct {
		Purpose         string `json:"purpose"`
		Certificate     string `json:"certificate"`
		TrustAnchorArn  string `json:"trustAnchorArn"`
		ProfileArn      string `json:"profileArn"`
		RoleArn         string `json:"roleArn"`
		DurationSeconds int64  `json:"durationSeconds"`
		RoleSessionName string `json:"roleSessionName"`
		Region          string `json:"region"`
		Endpoint        string `json:"endpoint"`
	}{"roam credential-process cache", hex.EncodeToString(fp[:]), p.TrustAnchorArn, p.ProfileArn, p.RoleArn,
		p.DurationSeconds, p.RoleSessionName, p.Region, endpoint})
	sum := sha256.Sum256(doc)
	return hex.EncodeToString(sum[:])
}

// CacheKey returns the cache key of a CreateSession call with cert and p:
// [CacheKey] with the region and endpoint this client would use. It fails
// as CreateSession would for bad ARNs or endpoints.
func (c *Client) CacheKey(cert *x509.Certificate, p Params) (string, error) {
	region, err := p.SigningRegion()
	if err != nil {
		return "", err
	}
	endpoint, err := ResolveEndpoint(c.Getenv, p.Endpoint, region)
	if err != nil {
		return "", err
	}
	p.Region = region
	return CacheKey(cert, p, endpoint), nil
}

// cacheEntry is the content of a cache file.
type cacheEntry struct {
	Version         int    `json:"version"`
	Key             string `json:"key"`
	AccessKeyID     string `json:"accessKeyId"`
	SecretAccessKey string `json:"secretAccessKey"`
	SessionToken    string `json:"sessionToken"`
	Expiration      string `json:"expiration"`
}

func validKey(key string) bool {
	if len(key) != 64 {
		return false
	}
	_, err := hex.DecodeString(key)
	return err == nil
}

// Path is the file that holds the credentials for key.
func (pc *ProcessCache) Path(key string) string {
	return filepath.Join(pc.Dir, "credential-process-"+key[:32]+".json")
}

// Get returns the cached credentials for key when they are usable for at
// least RefreshAhead more. The error says why nothing was returned (for
// --debug); it is never fatal.
func (pc *ProcessCache) Get(key string) (*Credentials, error) {
	if !validKey(key) {
		return nil, fmt.Errorf("invalid cache key %q", key)
	}
	path := pc.Path(key)
	fi, err := os.Lstat(path)
	if err != nil {
		return nil, err
	}
	if err := checkPrivateFile(fi); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCacheFile+1))
	if err != nil {
		return nil, err
	}
	return ParseCacheEntry(data, key, pc.Now())
}

// checkPrivateFile accepts a regular file owned by the current user that
// only its owner may read or write.
func checkPrivateFile(fi fs.FileInfo) error {
	switch {
	case !fi.Mode().IsRegular():
		return errors.New("not a regular file")
	case fi.Mode().Perm()&0o077 != 0:
		return fmt.Errorf("mode %v lets others read or write it", fi.Mode().Perm())
	case !ownedByCurrentUser(fi):
		return errors.New("owned by another user")
	}
	return nil
}

// ParseCacheEntry decodes a cache file's content and returns its
// credentials if it is a well-formed entry of this version for key whose
// credentials are valid for at least RefreshAhead after now.
func ParseCacheEntry(data []byte, key string, now time.Time) (*Credentials, error) {
	if len(data) > maxCacheFile {
		return nil, errors.New("cache file too large")
	}
	var e cacheEntry
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("corrupt cache file: %w", err)
	}
	if dec.More() {
		return nil, errors.New("corrupt cache file: trailing data")
	}
	switch {
	case e.Version != cacheVersion:
		return nil, fmt.Errorf("cache file version %d, want %d", e.Version, cacheVersion)
	case e.Key != key:
		return nil, errors.New("cache file is for other credentials")
	case e.AccessKeyID == "" || e.SecretAccessKey == "" || e.SessionToken == "":
		return nil, errors.New("cache file lacks credentials")
	}
	exp, err := time.Parse(time.RFC3339, e.Expiration)
	if err != nil {
		return nil, fmt.Errorf("cache file expiration: %w", err)
	}
	if !now.Add(RefreshAhead).Before(exp) {
		return nil, fmt.Errorf("cached credentials expire at %s", e.Expiration)
	}
	return &Credentials{AccessKeyID: e.AccessKeyID, SecretAccessKey: e.SecretAccessKey, SessionToken: e.SessionToken,
		Expiration: e.Expiration, Expires: exp}, nil
}

// Put stores c under key, creating Dir (mode 0700) if needed. Credentials
// whose expiration is not an RFC 3339 time are not cached.
func (pc *ProcessCache) Put(key string, c *Credentials) error {
	if !validKey(key) {
		return fmt.Errorf("invalid cache key %q", key)
	}
	if c.Expires.IsZero() {
		return fmt.Errorf("not caching credentials with the expiration %q, which is not an RFC 3339 time", c.Expiration)
	}
	if err := fsutil.MkdirPrivate(pc.Dir); err != nil {
		return err
	}
	data, err := json.Marshal(cacheEntry{Version: cacheVersion, Key: key, AccessKeyID: c.AccessKeyID,
		SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken, Expiration: c.Expiration})
	if err != nil {
		return err
	}
	path := pc.Path(key)
	// A foreign or broken entry (a directory, a symbolic link) is replaced.
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		if err := os.RemoveAll(path); err != nil {
			return err
		}
	}
	return fsutil.WriteFileAtomic(path, data, 0o600)
}
