package session

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/roam-dev/roam/internal/lru"
	"github.com/roam-dev/roam/internal/sigv4x509"
	"github.com/roam-dev/roam/internal/snapshot"
	"github.com/roam-dev/roam/internal/trust"
)

// Cache sizes: distinct certificates and verified paths kept in memory.
const (
	certCacheSize = 50000
	pathCacheSize = 50000
)

// certInfo is a parsed certificate and what CreateSession derives from it,
// computed once per certificate rather than once per request.
type certInfo struct {
	cert        *x509.Certificate
	fingerprint [32]byte

	once           sync.Once
	subject        string
	issuer         string
	serialHex      string
	serialUpper    string // the serial as subject records show it
	sourceIdentity string
	pem            string
	fingerprintHex string

	keyOnce sync.Once
	pub     crypto.PublicKey
	pubErr  error

	mu        sync.Mutex
	tags      map[string][]Attribute // by profile ID and version
	account   string                 // the account subjectID belongs to
	subjectID string
}

func (ci *certInfo) derive() {
	ci.once.Do(func() {
		ci.subject = RenderName(ci.cert.RawSubject)
		ci.issuer = RenderName(ci.cert.RawIssuer)
		ci.serialHex = HexSerial(ci.cert.SerialNumber)
		ci.serialUpper = strings.ToUpper(ci.serialHex)
		ci.sourceIdentity = SourceIdentity(ci.cert)
		ci.pem = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ci.cert.Raw}))
		ci.fingerprintHex = hex.EncodeToString(ci.fingerprint[:])
	})
}

// publicKey decodes the certificate's public key once.
func (ci *certInfo) publicKey() (crypto.PublicKey, error) {
	ci.keyOnce.Do(func() { ci.pub, ci.pubErr = sigv4x509.PublicKey(ci.cert) })
	return ci.pub, ci.pubErr
}

// subjectIDIn returns the ID of the certificate's subject resource in an
// account. derive must have run.
func (ci *certInfo) subjectIDIn(account string) string {
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if ci.subjectID == "" || ci.account != account {
		ci.account, ci.subjectID = account, SubjectID(account, ci.subject)
	}
	return ci.subjectID
}

// sessionTags returns the certificate's session tags under a profile's
// attribute mappings.
func (ci *certInfo) sessionTags(p *snapshot.Profile) []Attribute {
	key := p.ID + "@" + strconv.FormatInt(p.UpdatedAt.UnixNano(), 10)
	ci.mu.Lock()
	defer ci.mu.Unlock()
	if tags, ok := ci.tags[key]; ok {
		return tags
	}
	if ci.tags == nil || len(ci.tags) > 16 {
		ci.tags = map[string][]Attribute{}
	}
	tags := SessionTags(ci.cert, p.AttributeMappings)
	ci.tags[key] = tags
	return tags
}

// certCache parses certificates once. Only certificates that proved
// themselves enter it (a leaf whose key signed the request, chain
// certificates on a verified path): a caller without a valid signature can
// neither fill it nor push legitimate entries out.
type certCache struct {
	c *lru.Cache[[32]byte, *certInfo]
}

func newCertCache() *certCache { return &certCache{lru.New[[32]byte, *certInfo](certCacheSize)} }

// lookup returns the cached certificate for der, or parses it without
// caching it.
func (cc *certCache) lookup(der []byte) (*certInfo, error) {
	sum := sha256.Sum256(der)
	if ci, ok := cc.c.Get(sum); ok {
		return ci, nil
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &certInfo{cert: cert, fingerprint: sum}, nil
}

// keep caches certificates that proved themselves.
func (cc *certCache) keep(cis ...*certInfo) {
	for _, ci := range cis {
		if _, ok := cc.c.Get(ci.fingerprint); !ok {
			cc.c.Add(ci.fingerprint, ci)
		}
	}
}

// parsing is a sigv4x509 ParseCertificate hook for one request: it
// remembers what it parsed, the leaf first, so the request's certificates
// are hashed and looked up once.
type parsing struct {
	cache *certCache
	certs []*certInfo
}

func (p *parsing) parse(der []byte) (*x509.Certificate, error) {
	ci, err := p.cache.lookup(der)
	if err != nil {
		return nil, err
	}
	p.certs = append(p.certs, ci)
	return ci.cert, nil
}

// publicKey is the sigv4x509 PublicKey hook: the leaf's key, decoded once
// per cached certificate.
func (p *parsing) publicKey(cert *x509.Certificate) (crypto.PublicKey, error) {
	if len(p.certs) > 0 && p.certs[0].cert == cert {
		return p.certs[0].publicKey()
	}
	return sigv4x509.PublicKey(cert)
}

// pathKey identifies a path verification: the anchor as it was configured,
// the leaf and the chain bag (a hash of the certificates' fingerprints).
type pathKey struct {
	anchor  string
	version int64
	leaf    [32]byte
	chain   [32]byte
}

// pathCache remembers verified paths. Validity periods are checked on
// every use, so a cached path never outlives its certificates.
type pathCache struct {
	c *lru.Cache[pathKey, *trust.Path]
}

func newPathCache() *pathCache { return &pathCache{lru.New[pathKey, *trust.Path](pathCacheSize)} }

func (pc *pathCache) key(a *snapshot.Anchor, leaf [32]byte, chain []*certInfo) pathKey {
	h := sha256.New()
	for _, c := range chain {
		h.Write(c.fingerprint[:])
	}
	k := pathKey{anchor: a.ID, version: a.UpdatedAt.UnixNano(), leaf: leaf}
	h.Sum(k.chain[:0])
	return k
}

// verify returns the path from leaf to the anchor, from the cache when
// possible.
func (pc *pathCache) verify(a *snapshot.Anchor, ci *certInfo, chain []*certInfo, now time.Time) (*trust.Path, *trust.Error) {
	k := pc.key(a, ci.fingerprint, chain)
	if p, ok := pc.c.Get(k); ok && !now.Before(p.NotBefore) && !now.After(p.NotAfter) {
		return p, nil
	}
	certs := make([]*x509.Certificate, len(chain))
	for i, c := range chain {
		certs[i] = c.cert
	}
	p, err := trust.VerifyPath(ci.cert, certs, a.Certs, now)
	if err != nil {
		return nil, err
	}
	pc.c.Add(k, p)
	return p, nil
}
