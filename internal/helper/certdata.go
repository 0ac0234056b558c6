package helper

import (
	"crypto/sha1" //nolint:gosec // the fingerprint format of aws_signing_helper's identity list
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/cloudflare/circl/sign"

	"github.com/roam-dev/roam/internal/sigv4x509"
)

// CertificateData is what read-certificate-data prints for a certificate
// file, field for field as aws_signing_helper does.
type CertificateData struct {
	// KeyType is "RSA", "EC" or the ML-DSA parameter set ("ML-DSA-65").
	KeyType string `json:"keyType"`
	// CertificateData is the standard base64 of the DER certificate, the
	// X-Amz-X509 header value.
	CertificateData string `json:"certificateData"`
	// SerialNumber is the serial in decimal, as in the Credential of the
	// Authorization header.
	SerialNumber string `json:"serialNumber"`
	// SupportedAlgorithms are the sign-string algorithms for the key.
	SupportedAlgorithms []string `json:"supportedAlgorithms"`
}

// NewCertificateData describes cert. Certificates whose key IAM Roles
// Anywhere cannot use (Ed25519, DSA) are an error.
func NewCertificateData(cert *x509.Certificate) (*CertificateData, error) {
	d := &CertificateData{
		CertificateData: base64.StdEncoding.EncodeToString(cert.Raw),
		SerialNumber:    cert.SerialNumber.String(),
	}
	switch cert.PublicKeyAlgorithm {
	case x509.RSA:
		d.KeyType = "RSA"
	case x509.ECDSA:
		d.KeyType = "EC"
	default:
		pub, err := sigv4x509.PublicKey(cert)
		if err != nil {
			return nil, fmt.Errorf("unsupported certificate key: %w; IAM Roles Anywhere accepts RSA, ECDSA and ML-DSA certificates", err)
		}
		k, ok := pub.(sign.PublicKey)
		if !ok {
			return nil, fmt.Errorf("unsupported certificate key type %s; IAM Roles Anywhere accepts RSA, ECDSA and ML-DSA certificates", cert.PublicKeyAlgorithm)
		}
		d.KeyType = k.Scheme().Name()
		d.SupportedAlgorithms = []string{d.KeyType}
		return d, nil
	}
	for _, h := range []string{"SHA256", "SHA384", "SHA512"} {
		d.SupportedAlgorithms = append(d.SupportedAlgorithms, d.KeyType+h)
	}
	return d, nil
}

// MarshalCompact is the JSON read-certificate-data prints: compact, no
// trailing newline.
func (d *CertificateData) MarshalCompact() []byte {
	out, _ := json.Marshal(d)
	return out
}

// IdentityEntry is one certificate of a read-certificate-data listing (a
// PKCS#11 token or a platform certificate store).
type IdentityEntry struct {
	Certificate *x509.Certificate
	// URI is the pkcs11: URI of the object, when it comes from a token.
	URI string
}

// WriteIdentityList prints certificates the way read-certificate-data
// lists a token's or store's matching identities.
func WriteIdentityList(w io.Writer, entries []IdentityEntry) error {
	var b strings.Builder
	if len(entries) == 0 {
		b.WriteString("No matching identities\n")
	} else {
		b.WriteString("Matching identities\n")
	}
	for i, e := range entries {
		fp := sha1.Sum(e.Certificate.Raw) //nolint:gosec // identification, not security
		fmt.Fprintf(&b, "%d) Hex Fingerprint: %s\n", i+1, hex.EncodeToString(fp[:]))
		fmt.Fprintf(&b, "\tSubject: %s\n", e.Certificate.Subject)
		fmt.Fprintf(&b, "\tIssuer: %s\n", e.Certificate.Issuer)
		fmt.Fprintf(&b, "\tSerial Number: %s\n", strings.ToUpper(e.Certificate.SerialNumber.Text(16)))
		if e.URI != "" {
			fmt.Fprintf(&b, "\tURI: %s\n", e.URI)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
