package keysource

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
)

// PEM block types.
const (
	pemCertificate    = "CERTIFICATE"
	pemPKCS8          = "PRIVATE KEY"
	pemEncryptedPKCS8 = "ENCRYPTED PRIVATE KEY"
	pemSEC1           = "EC PRIVATE KEY"
	pemPKCS1          = "RSA PRIVATE KEY"
	pemTSS2           = "TSS2 PRIVATE KEY"
	pemBeginMarker    = "-----BEGIN"
)

// looksLikePEM reports whether data holds at least the start of a PEM block.
func looksLikePEM(data []byte) bool {
	return bytes.Contains(data, []byte(pemBeginMarker))
}

// parseLeaf returns the first certificate in data: its first CERTIFICATE
// PEM block or, when data is not PEM, a DER certificate. It returns nil and
// no error when data holds no certificate.
func parseLeaf(data []byte, name string) (*x509.Certificate, error) {
	if !looksLikePEM(data) {
		if c, err := x509.ParseCertificate(data); err == nil {
			return c, nil
		}
		return nil, nil
	}
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != pemCertificate {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, failf(ErrCertificate, "%s: %w", name, err)
		}
		return c, nil
	}
	return nil, nil
}

// parseChain parses an intermediates bundle: consecutive CERTIFICATE PEM
// blocks. Any other block type is an error, as in the official helper. An
// empty input is an empty chain.
func parseChain(data []byte, name string) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != pemCertificate {
			return nil, failf(ErrChain, "%s holds a %q block; it may hold only CERTIFICATE blocks", name, b.Type)
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, failf(ErrChain, "%s, certificate %d: %w", name, len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 && len(bytes.TrimSpace(data)) > 0 {
		return nil, failf(ErrChain, "%s holds no PEM CERTIFICATE block", name)
	}
	return certs, nil
}
