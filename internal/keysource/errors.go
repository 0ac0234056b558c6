package keysource

import (
	"errors"
	"fmt"
)

// Errors returned by Open and by a Source. Where the official helper has a
// message for the same failure, the error text is that message, so errors
// returned by this package begin with it; details (which input, why) follow
// after a colon.
var (
	// ErrCertificatePEM: the certificate input could not be read or holds no
	// certificate.
	ErrCertificatePEM = errors.New("could not parse PEM data")
	// ErrCertificate: a CERTIFICATE block was found but is not a valid
	// X.509 certificate.
	ErrCertificate = errors.New("could not parse certificate")
	// ErrChain: the intermediates input holds something other than
	// certificates.
	ErrChain = errors.New("invalid certificate chain")
	// ErrPrivateKey: the key input could not be read or holds no usable key.
	ErrPrivateKey = errors.New("unable to parse private key")
	// ErrIncorrectPassword: an encrypted PKCS#8 key did not decrypt with the
	// password given.
	ErrIncorrectPassword = errors.New("failed to read private key: incorrect PKCS#8 private key password")
	// ErrPasswordRequired: an encrypted PKCS#8 key was given without a
	// password. This package never prompts.
	ErrPasswordRequired = errors.New("failed to read private key: the PKCS#8 private key is encrypted and no password was given")
	// ErrPKCS12: a PKCS#12 bundle could not be read.
	ErrPKCS12 = errors.New("could not read PKCS#12 data")
	// ErrNoCertificate: a key was given without a certificate.
	ErrNoCertificate = errors.New("undefined certificate value")
	// ErrKeyMismatch: the private key does not belong to the certificate.
	ErrKeyMismatch = errors.New("private key does not match certificate")
	// ErrCertStore: a platform certificate store was requested where none
	// is available.
	ErrCertStore = errors.New("unable to use cert store signer")
	// ErrClosed: the Source was closed.
	ErrClosed = errors.New("key source is closed")
)

// failf returns an error that matches sentinel with errors.Is and reads
// "<sentinel>: <detail>". Any error among args formatted with %w is wrapped
// too.
func failf(sentinel error, format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sentinel}, args...)...)
}

// unsupportedError is the error of a backend that is not available in this
// binary. It matches errors.ErrUnsupported.
type unsupportedError struct{ msg string }

func (e *unsupportedError) Error() string { return e.msg }

// Is reports whether target is errors.ErrUnsupported.
func (e *unsupportedError) Is(target error) bool { return target == errors.ErrUnsupported }
