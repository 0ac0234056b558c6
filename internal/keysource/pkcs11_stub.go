//go:build !(cgo && pkcs11)

package keysource

// This binary has no PKCS#11 support: that needs cgo (to load the module)
// and is built only with the pkcs11 build tag. The file implementing it
// carries the opposite constraint and calls Register(BackendPKCS11, ...).

func init() {
	registerPlaceholder(BackendPKCS11, BackendFunc(func(*Request) (Source, error) {
		// The URI may carry a PIN (pin-value), so it is not repeated here.
		return nil, &unsupportedError{msg: "PKCS#11 support is not built into this binary: " +
			"the key or certificate is a pkcs11: URI; use a roam built with CGO_ENABLED=1 and -tags pkcs11"}
	}))
}
