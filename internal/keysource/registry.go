package keysource

import (
	"crypto/x509"
	"fmt"
	"sync"
)

// Backend names: the registry keys a [Backend] is registered under.
const (
	// BackendPKCS11 serves key identifiers that are "pkcs11:" URIs (RFC 7512).
	BackendPKCS11 = "pkcs11"
	// BackendTPM serves "handle:0x…" identifiers and files holding a
	// "TSS2 PRIVATE KEY" PEM block.
	BackendTPM = "tpm"
	// BackendCertStore serves the Windows and macOS certificate stores.
	BackendCertStore = "certstore"
)

// A Backend opens keys that live outside this process: in a PKCS#11 token,
// a TPM or an operating-system certificate store.
//
// Open is called once per [Open] call. The Source it returns owns whatever
// the backend opened and releases it in Close. Open calls Certificate on the
// result once to check that the key matches it, and closes the Source if it
// does not.
type Backend interface {
	Open(req *Request) (Source, error)
}

// BackendFunc adapts a function to the [Backend] interface.
type BackendFunc func(req *Request) (Source, error)

// Open calls f(req).
func (f BackendFunc) Open(req *Request) (Source, error) { return f(req) }

// Request is what a [Backend] is asked to open.
type Request struct {
	// KeyID identifies the key: a "pkcs11:" URI, a "handle:0x…" TPM handle,
	// or the path of a file holding a "TSS2 PRIVATE KEY" block. It is
	// empty for the certificate store. A pkcs11: URI may carry a PIN
	// (pin-value), so never put KeyID in an error or a log line.
	KeyID string
	// Key is the content of the key input when it is a file, standard input
	// or an environment variable (a TSS2 PRIVATE KEY PEM); nil otherwise.
	Key []byte
	// KeyName says where Key came from, for messages: a path,
	// "standard input" or "$ROAM_PRIVATE_KEY".
	KeyName string
	// CertificateID is Options.Certificate when it names an object inside
	// the backend (a "pkcs11:" URI); empty otherwise.
	CertificateID string
	// Certificate is the end-entity certificate read from a file, standard
	// input or the environment; nil when there is none and the backend must
	// find it itself.
	Certificate *x509.Certificate
	// Intermediates are the certificates from Options.Intermediates.
	Intermediates []*x509.Certificate
	// Options are the options Open was called with, for the backend's own
	// flags (PKCS11Lib, ReusePIN, TPMKeyPassword, CertSelector, ...).
	Options Options
}

// registry holds the backends, filled at init time: placeholders by this
// package, real implementations by files or packages that call Register.
var registry = struct {
	sync.RWMutex
	m map[string]registration
}{m: make(map[string]registration)}

type registration struct {
	backend     Backend
	placeholder bool
}

// Register makes b the backend for name. It replaces this package's
// placeholder for that name, so an implementation built in by a build tag or
// linked in by a blank import needs no change to the dispatcher. Register
// is meant to be called from init functions; it panics if name is empty, b
// is nil, or a real backend is already registered for name.
func Register(name string, b Backend) {
	register(name, b, false)
}

// registerPlaceholder registers b for name unless a real backend is already
// there.
func registerPlaceholder(name string, b Backend) {
	register(name, b, true)
}

func register(name string, b Backend, placeholder bool) {
	if name == "" || b == nil {
		panic("keysource: Register with an empty name or a nil backend")
	}
	registry.Lock()
	defer registry.Unlock()
	if cur, ok := registry.m[name]; ok {
		switch {
		case placeholder:
			return
		case !cur.placeholder:
			panic(fmt.Sprintf("keysource: backend %q registered twice", name))
		}
	}
	registry.m[name] = registration{backend: b, placeholder: placeholder}
}

// lookupBackend returns the backend registered for name.
func lookupBackend(name string) (Backend, bool) {
	registry.RLock()
	defer registry.RUnlock()
	r, ok := registry.m[name]
	return r.backend, ok
}
