package keysource

import (
	"fmt"
	"runtime"
	"strings"
)

// The Windows and macOS certificate stores are not implemented. Elsewhere
// there is no such store at all; the message says so in the official
// helper's words ("unable to use cert store signer on linux") and explains
// how roam got there. A real store backend replaces this placeholder by
// calling Register(BackendCertStore, ...).

func init() {
	registerPlaceholder(BackendCertStore, BackendFunc(openCertStorePlaceholder))
}

func openCertStorePlaceholder(req *Request) (Source, error) {
	const flags = "--cert-selector, --system-store-name and --use-latest-expiring-certificate"
	var why string
	if set := certStoreFlags(req.Options); len(set) > 0 {
		verb := " select"
		if len(set) == 1 {
			verb = " selects"
		}
		why = strings.Join(set, ", ") + verb + " a certificate from a platform certificate store"
	} else {
		why = "neither --certificate nor --private-key was given (nor " + EnvCertificate + " or " +
			EnvPrivateKey + "), which selects the platform certificate store"
	}
	switch runtime.GOOS {
	case "windows", "darwin":
		return nil, fmt.Errorf("%w on %s: %s, and roam does not support the %s certificate store yet; "+
			"pass --certificate and --private-key instead", ErrCertStore, runtime.GOOS, why, storeName(runtime.GOOS))
	default:
		return nil, fmt.Errorf("%w on %s: %s; platform certificate stores (%s) exist only on Windows and macOS, "+
			"so pass --certificate and --private-key (or set %s and %s)",
			ErrCertStore, runtime.GOOS, why, flags, EnvCertificate, EnvPrivateKey)
	}
}

func storeName(goos string) string {
	if goos == "windows" {
		return "Windows"
	}
	return "macOS Keychain"
}

// certStoreFlags lists the certificate-store flags set in opts, by flag name.
func certStoreFlags(opts Options) []string {
	var set []string
	if opts.CertSelector != "" {
		set = append(set, "--cert-selector")
	}
	if opts.SystemStoreName != "" {
		set = append(set, "--system-store-name")
	}
	if opts.UseLatestExpiringCertificate {
		set = append(set, "--use-latest-expiring-certificate")
	}
	return set
}
