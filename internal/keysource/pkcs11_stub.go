//go:build !cgo

package keysource

// This binary was built without cgo (CGO_ENABLED=0), so it cannot load a
// PKCS#11 module: pkcs11.go, which carries the opposite constraint, does
// and registers the real backend over this placeholder.

// errNoPKCS11 is the answer to every pkcs11: URI. The URI may carry a PIN
// (pin-value), so it is not repeated.
var errNoPKCS11 = &unsupportedError{msg: "PKCS#11 support is not built into this binary: the key or certificate is a pkcs11: URI, " +
	"and loading a PKCS#11 module needs a roam built with cgo (CGO_ENABLED=1)"}

func init() {
	registerPlaceholder(BackendPKCS11, BackendFunc(func(*Request) (Source, error) { return nil, errNoPKCS11 }))
}

// ListPKCS11Certificates fails: this binary cannot load a PKCS#11 module.
func ListPKCS11Certificates(uri, pkcs11Lib string) ([]TokenCertificate, error) {
	if _, err := parsePKCS11URI(uri); err != nil {
		return nil, err
	}
	return nil, errNoPKCS11
}
