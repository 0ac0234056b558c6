package keysource

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// Options mirror the credential helper's key and certificate flags. An
// empty field is a flag that was not given.
type Options struct {
	// Certificate is --certificate: a PEM (or DER) certificate file, which
	// may also hold the key; a PKCS#12 file; a "pkcs11:" URI; or "-" for
	// standard input. When empty, $ROAM_CERTIFICATE is used.
	Certificate string
	// PrivateKey is --private-key: a key file (PKCS#8, encrypted PKCS#8,
	// SEC1, PKCS#1, or a TPM "TSS2 PRIVATE KEY"), a "pkcs11:" URI, a TPM
	// "handle:0x…", or "-" for standard input. When empty,
	// $ROAM_PRIVATE_KEY is used, and failing that the key is looked for in
	// Certificate.
	PrivateKey string
	// Intermediates is --intermediates: a PEM bundle of intermediate CA
	// certificates, or "-". When empty, $ROAM_INTERMEDIATES is used.
	Intermediates string
	// PKCS8Password is --pkcs8-password, the password of an ENCRYPTED
	// PRIVATE KEY. It also opens a password-protected PKCS#12 bundle.
	PKCS8Password string
	// PKCS11Lib is --pkcs11-lib, the PKCS#11 module to load.
	PKCS11Lib string
	// ReusePIN is --reuse-pin.
	ReusePIN bool
	// TPMKeyPassword is --tpm-key-password.
	TPMKeyPassword string
	// NoTPMKeyPassword is --no-tpm-key-password.
	NoTPMKeyPassword bool
	// CertSelector is --cert-selector (Windows and macOS stores).
	CertSelector string
	// SystemStoreName is --system-store-name when given explicitly. Leave
	// it empty otherwise: the helper's "MY" default applies only on
	// Windows, and a non-empty value selects the certificate store.
	SystemStoreName string
	// UseLatestExpiringCertificate is --use-latest-expiring-certificate.
	UseLatestExpiringCertificate bool

	// Stdin is read, once, when an input is "-". Nil means no standard input.
	Stdin io.Reader
	// Getenv looks up ROAM_CERTIFICATE, ROAM_PRIVATE_KEY and
	// ROAM_INTERMEDIATES. Nil means no environment.
	Getenv func(string) string
}

// String describes the options with passwords and PKCS#11 URI attributes
// (which may hold a PIN) redacted.
func (o Options) String() string {
	var parts []string
	add := func(flag, v string) {
		if v != "" {
			parts = append(parts, flag+"="+v)
		}
	}
	add("--certificate", redactURI(o.Certificate))
	add("--private-key", redactURI(o.PrivateKey))
	add("--intermediates", redactURI(o.Intermediates))
	add("--pkcs8-password", redacted(o.PKCS8Password))
	add("--pkcs11-lib", o.PKCS11Lib)
	add("--tpm-key-password", redacted(o.TPMKeyPassword))
	add("--cert-selector", o.CertSelector)
	add("--system-store-name", o.SystemStoreName)
	for _, f := range []struct {
		flag string
		on   bool
	}{
		{"--reuse-pin", o.ReusePIN},
		{"--no-tpm-key-password", o.NoTPMKeyPassword},
		{"--use-latest-expiring-certificate", o.UseLatestExpiringCertificate},
	} {
		if f.on {
			parts = append(parts, f.flag)
		}
	}
	return "keysource.Options{" + strings.Join(parts, " ") + "}"
}

// LogValue implements slog.LogValuer with the same redaction as String.
func (o Options) LogValue() slog.Value { return slog.StringValue(o.String()) }

func redacted(secret string) string {
	if secret == "" {
		return ""
	}
	return "REDACTED"
}

// redactURI drops the query of a pkcs11: URI, where pin-value lives.
func redactURI(v string) string {
	if strings.HasPrefix(v, "pkcs11:") {
		if i := strings.IndexByte(v, '?'); i >= 0 {
			return v[:i] + "?REDACTED"
		}
	}
	return v
}

// Source is a signing key with its certificate and chain. It is safe for
// concurrent use.
type Source interface {
	// Sign signs with the private key; see the package documentation for
	// what each key type expects. Public returns the public key (for a
	// software key, the one last loaded successfully).
	crypto.Signer
	// Certificate returns the end-entity certificate.
	Certificate() (*x509.Certificate, error)
	// Chain returns the other certificates to send with it (intermediates,
	// or the rest of a PKCS#12 bundle), without the end-entity certificate.
	// The slice is the caller's.
	Chain() ([]*x509.Certificate, error)
	// Close releases the key. Sign, Certificate and Chain fail afterwards.
	Close() error
}

// Identity is a certificate, its chain and the key that signs for it, as
// they were at one moment.
type Identity struct {
	// Certificate is the end-entity certificate.
	Certificate *x509.Certificate
	// Chain holds the other certificates to send with it, without
	// Certificate.
	Chain []*x509.Certificate
	// Signer signs with the private key of Certificate.
	Signer crypto.Signer
	// LeafInChain is set for PKCS#12 bundles: aws_signing_helper sends
	// their X-Amz-X509-Chain as the leaf followed by the bundle's other
	// certificates, and a client that wants its requests (and RSA
	// signatures) to match the official helper's does the same.
	LeafInChain bool
}

// A Snapshotter is a Source whose key and certificate may change while it
// is open (files being rotated). Snapshot returns them as one consistent
// Identity, so that what is signed with Signer verifies with Certificate
// even if the files change between the calls.
type Snapshotter interface {
	Snapshot() (*Identity, error)
}

// Snapshot returns src's current certificate, chain and key together. A
// caller that sends a certificate along with a signature (as SigV4-X509
// does) should use it rather than calling Certificate, Chain and Sign one
// after another, which may straddle a rotation. For a Source that is not a
// [Snapshotter] (its key cannot change), the Signer is src itself.
func Snapshot(src Source) (*Identity, error) {
	if s, ok := src.(Snapshotter); ok {
		return s.Snapshot()
	}
	cert, err := src.Certificate()
	if err != nil {
		return nil, err
	}
	chain, err := src.Chain()
	if err != nil {
		return nil, err
	}
	return &Identity{Certificate: cert, Chain: chain, Signer: src}, nil
}

// Open returns the Source that opts select, following the official helper's
// rules (see the package documentation). It reads and checks everything
// once, so a bad flag fails here rather than at the first signature.
func Open(opts Options) (Source, error) {
	if len(certStoreFlags(opts)) > 0 {
		return openBackend(BackendCertStore, &Request{Options: opts}, "", "")
	}
	in, err := resolveInputs(opts)
	if err != nil {
		return nil, err
	}
	if !in.cert.given() && !in.key.given() {
		return openBackend(BackendCertStore, &Request{Options: opts}, "", "")
	}
	keyIn := in.keyInput()
	switch {
	case keyIn.kind == inputURI && keyIn.scheme == BackendPKCS11:
		return openExternal(BackendPKCS11, in, opts, nil)
	case in.cert.kind == inputURI:
		return nil, failf(ErrNoCertificate, "the certificate is a pkcs11: URI but %s is not a key in the token; "+
			"pass the certificate as a file, or the key as a pkcs11: URI too", keyIn.name)
	case keyIn.kind == inputURI:
		return openExternal(BackendTPM, in, opts, nil)
	}
	if data, err := keyIn.read(); err == nil && hasPEMBlock(data, pemTSS2) {
		return openExternal(BackendTPM, in, opts, data)
	}
	s := &fileSource{in: in, password: opts.PKCS8Password}
	if _, err := s.current(); err != nil {
		return nil, err
	}
	return s, nil
}

// openExternal opens a key held by a backend, with the certificate and
// chain read from files (or standard input, or the environment) when given
// that way. keyData is the key input's content when it is a TPM key file.
func openExternal(backend string, in *inputs, opts Options, keyData []byte) (Source, error) {
	keyIn := in.keyInput()
	req := &Request{Key: keyData, KeyName: keyIn.name, Options: opts}
	switch keyIn.kind {
	case inputURI:
		req.KeyID = keyIn.uri
	case inputFile:
		req.KeyID = keyIn.path
	}
	certName := "the " + backend + " key store"
	switch in.cert.kind {
	case inputURI:
		req.CertificateID = in.cert.uri
	case inputFile, inputData:
		data, err := in.cert.read()
		if err != nil {
			return nil, failf(ErrCertificatePEM, "%w", err)
		}
		if req.Certificate, err = parseLeaf(data, in.cert.name); err != nil {
			return nil, err
		}
		if req.Certificate == nil {
			return nil, failf(ErrCertificatePEM, "%s holds no CERTIFICATE block", in.cert.name)
		}
		certName = in.cert.name
	}
	if in.chain.given() {
		data, err := in.chain.read()
		if err != nil {
			return nil, failf(ErrChain, "%w", err)
		}
		if req.Intermediates, err = parseChain(data, in.chain.name); err != nil {
			return nil, err
		}
	}
	return openBackend(backend, req, keyIn.name, certName)
}

// openBackend opens req with the named backend and checks that the key it
// returns belongs to its certificate.
func openBackend(name string, req *Request, keyName, certName string) (Source, error) {
	b, ok := lookupBackend(name)
	if !ok {
		return nil, fmt.Errorf("keysource: no %s backend is registered", name)
	}
	src, err := b.Open(req)
	if err != nil {
		return nil, err
	}
	cert, err := src.Certificate()
	if err == nil && cert == nil {
		err = ErrNoCertificate
	}
	if err == nil {
		if keyName == "" {
			keyName, certName = "the "+name+" key store", "the "+name+" key store"
		}
		err = checkKeyMatch(src.Public(), cert, keyName, certName)
	}
	if err != nil {
		src.Close()
		return nil, err
	}
	return src, nil
}

// hasPEMBlock reports whether data holds a PEM block of the given type.
func hasPEMBlock(data []byte, blockType string) bool {
	if !looksLikePEM(data) {
		return false
	}
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return false
		}
		if b.Type == blockType {
			return true
		}
	}
}
