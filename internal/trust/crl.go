package trust

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
)

// ParseCRL parses a CRL in PEM ("X509 CRL") or DER form.
func ParseCRL(data []byte) (*x509.RevocationList, error) {
	der := data
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "X509 CRL" {
			return nil, fmt.Errorf("the PEM block is %q, want \"X509 CRL\"", block.Type)
		}
		der = block.Bytes
	} else if bytes.Contains(data, []byte("-----BEGIN")) {
		return nil, errors.New("malformed PEM")
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("not a CRL: %v", err)
	}
	return crl, nil
}

// CRLIssuer returns the anchor certificate that signed crl (with an RSA,
// ECDSA or ML-DSA key), or an error naming the anchors tried.
func CRLIssuer(crl *x509.RevocationList, anchors []*x509.Certificate) (*x509.Certificate, error) {
	for _, a := range anchors {
		if bytes.Equal(crl.RawIssuer, a.RawSubject) && checkCRLSignature(crl, a) == nil {
			return a, nil
		}
	}
	return nil, fmt.Errorf("the CRL (issuer %q) is not signed by a certificate of the trust anchor [%s]", crl.Issuer, subjects(anchors))
}

// Revocations is the set of certificates revoked by a trust anchor's
// enabled CRLs, keyed by issuer and serial number.
type Revocations struct {
	revoked map[string]struct{}
}

// Add records every entry of crl.
func (r *Revocations) Add(crl *x509.RevocationList) {
	if r.revoked == nil {
		r.revoked = map[string]struct{}{}
	}
	for _, e := range crl.RevokedCertificateEntries {
		r.revoked[revocationKey(crl.RawIssuer, e.SerialNumber)] = struct{}{}
	}
}

// Check returns a refusal when any certificate of path is revoked.
func (r *Revocations) Check(path []*x509.Certificate) *Error {
	if len(r.revoked) == 0 {
		return nil
	}
	for _, c := range path {
		if _, ok := r.revoked[revocationKey(c.RawIssuer, c.SerialNumber)]; ok {
			return refuse(ReasonRevoked, "certificate %q (serial %s, issuer %q) is revoked by an enabled CRL of the trust anchor", c.Subject, hexSerial(c.SerialNumber), c.Issuer)
		}
	}
	return nil
}

func revocationKey(issuer []byte, serial *big.Int) string {
	return string(issuer) + "\x00" + string(serial.Bytes())
}

func hexSerial(n *big.Int) string { return fmt.Sprintf("%X", n) }
