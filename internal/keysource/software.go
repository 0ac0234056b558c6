package keysource

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"io"
	"slices"
	"strings"
	"sync"
)

// fileSource is a software key read from files, standard input or the
// environment. It reloads everything when a file changes.
type fileSource struct {
	in       *inputs
	password string

	mu     sync.Mutex
	cur    *Identity // last successful load
	sum    [32]byte  // digest of the bytes cur was loaded from (not the key itself)
	stamps []stamp   // of in.files(), taken just before raw was read
	closed bool
}

// current returns the identity for the files as they are now, reloading
// them if any changed since the last successful load.
func (s *fileSource) current() (*Identity, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	files := s.in.files()
	stamps := make([]stamp, len(files))
	for i, f := range files {
		stamps[i] = statFile(f.path)
	}
	if s.cur != nil && unchanged(s.stamps, stamps) {
		return s.cur, nil
	}
	// Stamps are taken before reading: a change racing with the read makes
	// the next access read again.
	raw, err := readInputs(s.in)
	if err != nil {
		return nil, err
	}
	sum := raw.digest()
	if s.cur != nil && sum == s.sum {
		// Touched, or examined too soon after a change to trust the stamps,
		// but the same bytes: keep what was parsed (and decrypted) from them.
		s.stamps = stamps
		return s.cur, nil
	}
	id, err := loadSoftware(s.in, raw, s.password, defaultKDFLimits())
	if err != nil {
		return nil, err
	}
	s.cur, s.sum, s.stamps = id, sum, stamps
	return id, nil
}

// unchanged reports whether every file is as it was when prev was taken.
func unchanged(prev, cur []stamp) bool {
	if len(prev) != len(cur) {
		return false
	}
	for i := range prev {
		if !prev[i].unchanged(cur[i]) {
			return false
		}
	}
	return true
}

// Public returns the public key. If the files changed and no longer load,
// it returns the key last loaded.
func (s *fileSource) Public() crypto.PublicKey {
	if id, err := s.current(); err == nil {
		return id.Signer.Public()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return nil
	}
	return s.cur.Signer.Public()
}

// Sign signs with the current key.
func (s *fileSource) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	id, err := s.current()
	if err != nil {
		return nil, err
	}
	return id.Signer.Sign(rand, digest, opts)
}

// Certificate returns the current end-entity certificate.
func (s *fileSource) Certificate() (*x509.Certificate, error) {
	id, err := s.current()
	if err != nil {
		return nil, err
	}
	return id.Certificate, nil
}

// Chain returns the current intermediates.
func (s *fileSource) Chain() ([]*x509.Certificate, error) {
	id, err := s.current()
	if err != nil {
		return nil, err
	}
	return slices.Clone(id.Chain), nil
}

// Snapshot returns the current certificate, chain and key, loaded
// together. It implements [Snapshotter].
func (s *fileSource) Snapshot() (*Identity, error) {
	id, err := s.current()
	if err != nil {
		return nil, err
	}
	return &Identity{Certificate: id.Certificate, Chain: slices.Clone(id.Chain), Signer: id.Signer, LeafInChain: id.LeafInChain}, nil
}

// Close forgets the password and the inputs' bytes; later calls fail with
// ErrClosed.
func (s *fileSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	s.password = ""
	return nil
}

// contents are the bytes of the inputs, read at one moment. A field is nil
// when its input was not given.
type contents struct {
	cert, key, chain []byte
}

// readInputs reads the inputs' current bytes, in the order the official
// helper reads them.
func readInputs(in *inputs) (*contents, error) {
	var c contents
	var err error
	if in.cert.given() {
		if c.cert, err = in.cert.read(); err != nil {
			return nil, failf(ErrCertificatePEM, "%w", err)
		}
	}
	if in.chain.given() {
		if c.chain, err = in.chain.read(); err != nil {
			return nil, failf(ErrChain, "%w", err)
		}
	}
	if in.key.given() {
		if c.key, err = in.key.read(); err != nil {
			return nil, failf(ErrPrivateKey, "%w", err)
		}
	}
	return &c, nil
}

// equal reports whether c and o hold the same bytes.
// digest identifies the contents without keeping them: a loaded source
// holds the parsed key, not a second copy of the key file.
func (c *contents) digest() [32]byte {
	h := sha256.New()
	for _, part := range [][]byte{c.cert, c.key, c.chain} {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(part)))
		h.Write(n[:])
		h.Write(part)
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum
}

// loadSoftware parses the certificate, chain and key read from in, in the
// official helper's order, and checks that key and certificate belong
// together. limits bound the key-derivation work of encrypted keys and
// bundles.
func loadSoftware(in *inputs, raw *contents, password string, limits kdfLimits) (*Identity, error) {
	var leaf *x509.Certificate
	if in.cert.given() {
		var err error
		if leaf, err = parseLeaf(raw.cert, in.cert.name); err != nil {
			return nil, err
		}
		if leaf == nil {
			if in.key.given() {
				if in.key.kind == inputData && strings.HasPrefix(in.key.name, "$") {
					// The variable may be left over from another setup.
					return nil, failf(ErrCertificatePEM, "%s holds no CERTIFICATE block (it is not read as PKCS#12 "+
						"because %s provides the private key)", in.cert.name, in.key.name)
				}
				return nil, failf(ErrCertificatePEM, "%s holds no CERTIFICATE block", in.cert.name)
			}
			return loadBundle(in, raw.cert, password, limits)
		}
	}
	var chain []*x509.Certificate
	if in.chain.given() {
		var err error
		if chain, err = parseChain(raw.chain, in.chain.name); err != nil {
			return nil, err
		}
	}
	keyName, keyData := in.cert.name, raw.cert
	if in.key.given() {
		keyName, keyData = in.key.name, raw.key
	}
	signer, err := parsePrivateKey(keyData, keyName, password, limits)
	if err != nil {
		return nil, err
	}
	if leaf == nil {
		return nil, failf(ErrNoCertificate, "%s holds a private key but no certificate was given; pass it with --certificate (or %s)",
			keyName, EnvCertificate)
	}
	if err := checkKeyMatch(signer.Public(), leaf, keyName, in.cert.name); err != nil {
		return nil, err
	}
	return &Identity{Certificate: leaf, Chain: chain, Signer: signer}, nil
}

// loadBundle reads a certificate input that holds no certificate and no
// separate key was named: it must be a PKCS#12 bundle.
func loadBundle(in *inputs, data []byte, password string, limits kdfLimits) (*Identity, error) {
	name := in.cert.name
	switch trimmed := bytes.TrimSpace(data); {
	case len(trimmed) == 0:
		return nil, failf(ErrCertificatePEM, "%s is empty", name)
	case looksLikePEM(data):
		return nil, failf(ErrCertificatePEM, "%s holds no CERTIFICATE block (a key alone goes in --private-key, "+
			"its certificate in --certificate)", name)
	case data[0] != 0x30: // every DER SEQUENCE, so every PKCS#12 PFX, starts so
		return nil, failf(ErrCertificatePEM, "%s holds neither a PEM certificate nor a PKCS#12 bundle", name)
	}
	if in.chain.given() {
		return nil, failf(ErrChain, "can't specify certificate chain when using PKCS#12 files (%s); "+
			"certificate bundle should be provided within the PKCS#12 file", name)
	}
	return loadPKCS12(data, name, password, limits)
}
