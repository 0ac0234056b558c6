package pki

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The files of a CA directory.
const (
	// KeyFile holds the CA key: PKCS#8 PEM, mode 0600. OpenSSL's PKCS#1
	// and SEC1 forms load too.
	KeyFile = "ca.key"
	// CertFile holds the CA certificate, alone.
	CertFile = "ca.pem"
	// ChainFile, for an intermediate CA only, holds the CA certificate
	// followed by the CA certificates above it, excluding the root: what a
	// client presents as --intermediates, one level up.
	ChainFile = "chain.pem"
	// RevokedFile records the revoked serials, with time and reason.
	RevokedFile = "revoked.json"
	// CRLNumberFile holds the number of the next CRL in hex, as openssl ca
	// keeps its crlnumber file.
	CRLNumberFile = "crlnumber"
)

// ErrAlreadyRevoked is returned by Dir.Revoke for a serial it has revoked
// before.
var ErrAlreadyRevoked = errors.New("already revoked")

// Dir is a CA kept in a directory (see the file constants). A directory
// left by OpenSSL's walkthrough, holding ca.key and ca.pem, loads as it is;
// the other files appear when first needed. Files are replaced atomically,
// but a directory serves one roam process at a time: two concurrent
// revocations or CRLs may lose one of the updates.
type Dir struct {
	Path string
	CA   *CA
}

func (d *Dir) file(name string) string { return filepath.Join(d.Path, name) }

// InitOptions describe a new CA directory.
type InitOptions struct {
	KeyType KeyType
	CA      CAOptions
	// Parent signs the new CA, making it an intermediate; nil makes a root.
	Parent *CA
	// Force replaces a CA already in the directory, and forgets its
	// revocations. The CRL number carries on, so CRLs from the same
	// directory keep increasing numbers.
	Force bool
}

// InitDir creates the directory path if needed, generates a key of type
// opts.KeyType and creates a root CA (or, with opts.Parent, an
// intermediate) in it. Unless opts.Force is set it refuses, before
// generating anything, a directory that already holds ca.key or ca.pem;
// the error then satisfies errors.Is(err, fs.ErrExist).
func InitDir(path string, now time.Time, opts InitOptions) (*Dir, error) {
	d := &Dir{Path: path}
	if !opts.Force {
		for _, name := range []string{KeyFile, CertFile} {
			if _, err := os.Lstat(d.file(name)); err == nil {
				return nil, &existsError{d.file(name)}
			}
		}
	}
	key, err := GenerateKey(opts.KeyType)
	if err != nil {
		return nil, err
	}
	var ca *CA
	if opts.Parent == nil {
		ca, err = NewRoot(now, key, opts.CA)
	} else {
		ca, err = opts.Parent.NewIntermediate(now, key, opts.CA)
	}
	if err != nil {
		return nil, err
	}
	keyPEM, err := MarshalPrivateKeyPEM(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("create CA directory: %w", err)
	}
	if err := WriteFile(d.file(KeyFile), keyPEM, 0o600, opts.Force); err != nil {
		return nil, err
	}
	if chain := ca.Intermediates(); chain != nil {
		err = WriteFile(d.file(ChainFile), EncodeCertificates(chain...), 0o644, true)
	} else if err = os.Remove(d.file(ChainFile)); errors.Is(err, fs.ErrNotExist) {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	if err := WriteFile(d.file(CertFile), EncodeCertificates(ca.Cert), 0o644, opts.Force); err != nil {
		return nil, err
	}
	if err := d.writeRevocations(nil); err != nil {
		return nil, err
	}
	d.CA = ca
	return d, nil
}

// LoadDir loads the CA in directory path: ca.key, ca.pem and, if present,
// chain.pem. The key must belong to the certificate, the certificate must
// be a CA allowed to sign certificates, and chain.pem must start with
// ca.pem and link upward (a self-signed root at its end is tolerated and
// dropped).
func LoadDir(path string) (*Dir, error) {
	d := &Dir{Path: path}
	keyPEM, err := os.ReadFile(d.file(KeyFile))
	if err != nil {
		return nil, fmt.Errorf("no CA in %s: %w", path, err)
	}
	key, err := ParsePrivateKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.file(KeyFile), err)
	}
	certPEM, err := os.ReadFile(d.file(CertFile))
	if err != nil {
		return nil, fmt.Errorf("no CA in %s: %w", path, err)
	}
	certs, err := ParseCertificatesPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", d.file(CertFile), err)
	}
	if len(certs) != 1 {
		return nil, fmt.Errorf("%s holds %d certificates; it must hold only the CA certificate (the ones above it belong in %s)", d.file(CertFile), len(certs), ChainFile)
	}
	cert := certs[0]
	var chain []*x509.Certificate
	chainPEM, err := os.ReadFile(d.file(ChainFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		certs, err := ParseCertificatesPEM(chainPEM)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", d.file(ChainFile), err)
		}
		if !bytes.Equal(certs[0].Raw, cert.Raw) {
			return nil, fmt.Errorf("%s does not start with the certificate in %s", d.file(ChainFile), d.file(CertFile))
		}
		chain = certs[1:]
		for len(chain) > 0 && isSelfSigned(chain[len(chain)-1]) {
			chain = chain[:len(chain)-1]
		}
	}
	ca, err := NewCA(cert, key, chain)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d.CA = ca
	return d, nil
}

// revocationFile is the JSON form of RevokedFile.
type revocationFile struct {
	Revoked []revocationRecord `json:"revoked"`
}

type revocationRecord struct {
	Serial    string    `json:"serial"` // upper-case hex, as FormatSerial writes it
	RevokedAt time.Time `json:"revoked_at"`
	Reason    string    `json:"reason"`
}

// Revocations returns the revocations recorded in the directory, oldest
// first.
func (d *Dir) Revocations() ([]Revocation, error) {
	data, err := os.ReadFile(d.file(RevokedFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f revocationFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %w", d.file(RevokedFile), err)
	}
	out := make([]Revocation, 0, len(f.Revoked))
	for i, r := range f.Revoked {
		serial, ok := new(big.Int).SetString(r.Serial, 16)
		if !ok || serial.Sign() <= 0 {
			return nil, fmt.Errorf("%s: entry %d: bad serial %q", d.file(RevokedFile), i+1, r.Serial)
		}
		reason, err := ParseReason(r.Reason)
		if err != nil {
			return nil, fmt.Errorf("%s: entry %d: %w", d.file(RevokedFile), i+1, err)
		}
		out = append(out, Revocation{Serial: serial, RevokedAt: r.RevokedAt, Reason: reason})
	}
	return out, nil
}

func (d *Dir) writeRevocations(revs []Revocation) error {
	f := revocationFile{Revoked: []revocationRecord{}}
	for _, r := range revs {
		f.Revoked = append(f.Revoked, revocationRecord{
			Serial:    FormatSerial(r.Serial),
			RevokedAt: r.RevokedAt.UTC(),
			Reason:    r.Reason.String(),
		})
	}
	data, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	return WriteFile(d.file(RevokedFile), append(data, '\n'), 0o644, true)
}

// Revoke records that the certificate with serial was revoked at now for
// reason; the next CRL lists it. Revoking a serial twice is an error
// wrapping ErrAlreadyRevoked.
func (d *Dir) Revoke(now time.Time, serial *big.Int, reason Reason) (Revocation, error) {
	if serial == nil || serial.Sign() <= 0 {
		return Revocation{}, fmt.Errorf("serial number %v is not positive", serial)
	}
	revs, err := d.Revocations()
	if err != nil {
		return Revocation{}, err
	}
	for _, r := range revs {
		if r.Serial.Cmp(serial) == 0 {
			return Revocation{}, fmt.Errorf("serial %s was revoked at %s (reason %s): %w",
				FormatSerial(serial), r.RevokedAt.UTC().Format(time.RFC3339), r.Reason, ErrAlreadyRevoked)
		}
	}
	r := Revocation{Serial: new(big.Int).Set(serial), RevokedAt: now.UTC().Truncate(time.Second), Reason: reason}
	if err := d.writeRevocations(append(revs, r)); err != nil {
		return Revocation{}, err
	}
	return r, nil
}

// CRL signs a CRL of every recorded revocation, valid from now for
// lifetime, with the directory's next CRL number, and advances the number.
func (d *Dir) CRL(now time.Time, lifetime time.Duration) (*x509.RevocationList, error) {
	revs, err := d.Revocations()
	if err != nil {
		return nil, err
	}
	number, err := d.crlNumber()
	if err != nil {
		return nil, err
	}
	crl, err := d.CA.CreateCRL(now, number, lifetime, revs)
	if err != nil {
		return nil, err
	}
	next := new(big.Int).Add(number, big.NewInt(1))
	if err := WriteFile(d.file(CRLNumberFile), []byte(FormatSerial(next)+"\n"), 0o644, true); err != nil {
		return nil, err
	}
	return crl, nil
}

// crlNumber reads the next CRL number; a directory without the file
// starts at 1.
func (d *Dir) crlNumber() (*big.Int, error) {
	data, err := os.ReadFile(d.file(CRLNumberFile))
	if errors.Is(err, fs.ErrNotExist) {
		return big.NewInt(1), nil
	}
	if err != nil {
		return nil, err
	}
	s := strings.TrimSpace(string(data))
	n, ok := new(big.Int).SetString(s, 16)
	if !ok || n.Sign() < 0 || strings.ContainsAny(s, "+-_xX") {
		return nil, fmt.Errorf("%s: %q is not a hex CRL number", d.file(CRLNumberFile), s)
	}
	if n.BitLen() > 20*8 {
		return nil, fmt.Errorf("%s: CRL number %s is longer than 20 bytes", d.file(CRLNumberFile), s)
	}
	return n, nil
}
