package pki

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// EncodeCertificates encodes certs as consecutive CERTIFICATE PEM blocks.
func EncodeCertificates(certs ...*x509.Certificate) []byte {
	var b bytes.Buffer
	for _, c := range certs {
		_ = pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})
	}
	return b.Bytes()
}

// EncodeCRL encodes a DER certificate revocation list as an "X509 CRL" PEM
// block, the form ImportCrl takes.
func EncodeCRL(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "X509 CRL", Bytes: der})
}

// ParseCertificatesPEM parses every CERTIFICATE block in data, in order.
// Text between blocks (as openssl x509 -text writes) is ignored; any other
// block type is an error. Data without PEM blocks is read as one DER
// certificate.
func ParseCertificatesPEM(data []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("unexpected PEM block %q where a CERTIFICATE was expected", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d: %w", len(certs)+1, err)
		}
		certs = append(certs, c)
	}
	if len(certs) > 0 {
		return certs, nil
	}
	if looksLikeDER(data) {
		c, err := x509.ParseCertificate(data)
		if err != nil {
			return nil, fmt.Errorf("no PEM certificate found, and not a DER certificate: %w", err)
		}
		return []*x509.Certificate{c}, nil
	}
	return nil, errors.New("no PEM certificate found (want a CERTIFICATE block)")
}

// ParseCSRPEM parses the one certificate signing request in data: a
// "CERTIFICATE REQUEST" (or legacy "NEW CERTIFICATE REQUEST") PEM block, or
// DER. It does not check the request's signature; SignCSR does.
func ParseCSRPEM(data []byte) (*x509.CertificateRequest, error) {
	var csr *x509.CertificateRequest
	rest := data
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE REQUEST" && block.Type != "NEW CERTIFICATE REQUEST" {
			return nil, fmt.Errorf("unexpected PEM block %q where a CERTIFICATE REQUEST was expected", block.Type)
		}
		if csr != nil {
			return nil, errors.New("more than one certificate request in the PEM data")
		}
		c, err := x509.ParseCertificateRequest(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("parse certificate request: %w", err)
		}
		csr = c
	}
	if csr != nil {
		return csr, nil
	}
	if looksLikeDER(data) {
		c, err := x509.ParseCertificateRequest(data)
		if err != nil {
			return nil, fmt.Errorf("no PEM certificate request found, and not a DER one: %w", err)
		}
		return c, nil
	}
	return nil, errors.New("no PEM certificate request found (want a CERTIFICATE REQUEST block)")
}

// looksLikeDER reports whether data starts like a DER SEQUENCE.
func looksLikeDER(data []byte) bool { return len(data) > 1 && data[0] == 0x30 }

// Fingerprint is the SHA-256 digest of a certificate's DER encoding, written
// as openssl x509 -fingerprint -sha256 writes it (AB:CD:...).
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	var b strings.Builder
	for i, c := range sum {
		if i > 0 {
			b.WriteByte(':')
		}
		fmt.Fprintf(&b, "%02X", c)
	}
	return b.String()
}

// FormatSerial writes a serial number in upper-case hex with an even number
// of digits, as openssl x509 -serial does.
func FormatSerial(serial *big.Int) string {
	s := strings.ToUpper(serial.Text(16))
	if len(s)%2 == 1 {
		s = "0" + s
	}
	return s
}

// ParseSerial reads a certificate serial number. Hex is recognised by a
// "0x" prefix, by colon-separated bytes (AB:CD:EF) or by the letters a-f;
// a string of decimal digits only is decimal. Serials must be positive.
func ParseSerial(s string) (*big.Int, error) {
	t := strings.TrimSpace(s)
	base := 10
	switch {
	case strings.HasPrefix(t, "0x") || strings.HasPrefix(t, "0X"):
		t, base = t[2:], 16
	case strings.Contains(t, ":"):
		t, base = strings.ReplaceAll(t, ":", ""), 16
	case strings.ContainsAny(t, "abcdefABCDEF"):
		base = 16
	}
	if t == "" {
		return nil, fmt.Errorf("serial number %q is empty", s)
	}
	if strings.ContainsAny(t, "+-_") {
		return nil, fmt.Errorf("serial number %q is not a positive decimal or hex number", s)
	}
	n, ok := new(big.Int).SetString(t, base)
	if !ok {
		return nil, fmt.Errorf("serial number %q is not a decimal or hex number", s)
	}
	if n.Sign() <= 0 {
		return nil, fmt.Errorf("serial number %q is not positive", s)
	}
	if n.BitLen() > 20*8 {
		return nil, fmt.Errorf("serial number %q is longer than 20 bytes", s)
	}
	return n, nil
}
