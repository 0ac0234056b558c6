package keysource

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"

	"github.com/roam-dev/roam/internal/sigv4x509"
)

// rsaSigner signs digests with RSASSA-PKCS1-v1_5, the scheme SigV4-X509
// uses, or with RSASSA-PSS when opts is an *rsa.PSSOptions (as TLS 1.3
// asks).
type rsaSigner struct{ key *rsa.PrivateKey }

func newRSASigner(k *rsa.PrivateKey) *rsaSigner { return &rsaSigner{key: k} }

func (s *rsaSigner) Public() crypto.PublicKey { return &s.key.PublicKey }

// Sign signs digest, the hash named by opts. A zero hash (or nil opts)
// signs digest as is, with PKCS#1 v1.5.
func (s *rsaSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if opts == nil {
		opts = crypto.Hash(0)
	}
	return s.key.Sign(orRandReader(r), digest, opts)
}

// ecdsaSigner signs digests with ECDSA, returning an ASN.1 DER
// SEQUENCE{r, s}.
type ecdsaSigner struct{ key *ecdsa.PrivateKey }

func newECDSASigner(k *ecdsa.PrivateKey) *ecdsaSigner { return &ecdsaSigner{key: k} }

func (s *ecdsaSigner) Public() crypto.PublicKey { return &s.key.PublicKey }

// Sign signs digest, checking its length against the hash opts names.
func (s *ecdsaSigner) Sign(r io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if err := checkDigestLength(digest, opts); err != nil {
		return nil, err
	}
	return ecdsa.SignASN1(orRandReader(r), s.key, digest)
}

func hashOf(opts crypto.SignerOpts) crypto.Hash {
	if opts == nil {
		return 0
	}
	return opts.HashFunc()
}

func orRandReader(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// checkKeyMatch fails unless pub is the public key of cert. keyName and
// certName say where each came from.
func checkKeyMatch(pub crypto.PublicKey, cert *x509.Certificate, keyName, certName string) error {
	if publicKeyMatches(pub, cert) {
		return nil
	}
	where := fmt.Sprintf("the %s private key in %s does not belong to the %s certificate in %s",
		describePublicKey(pub), keyName, describeCertKey(cert), certName)
	if keyName == certName {
		where = fmt.Sprintf("the %s private key in %s does not belong to the %s certificate in the same input",
			describePublicKey(pub), keyName, describeCertKey(cert))
	}
	return failf(ErrKeyMismatch, "%s (subject %q, serial %s)", where, cert.Subject.String(), cert.SerialNumber)
}

// publicKeyMatches reports whether pub is cert's public key.
func publicKeyMatches(pub crypto.PublicKey, cert *x509.Certificate) bool {
	certPub, err := sigv4x509.PublicKey(cert) // ML-DSA too, which crypto/x509 leaves nil
	k, ok := pub.(interface{ Equal(crypto.PublicKey) bool })
	return err == nil && ok && k.Equal(certPub)
}

// describePublicKey names a key's algorithm and size, e.g. "RSA-2048".
func describePublicKey(pub crypto.PublicKey) string {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return fmt.Sprintf("RSA-%d", k.N.BitLen())
	case *ecdsa.PublicKey:
		return "ECDSA " + k.Curve.Params().Name
	}
	if name := mldsaName(pub); name != "" {
		return name
	}
	return fmt.Sprintf("%T", pub)
}

func describeCertKey(cert *x509.Certificate) string {
	if pub, err := sigv4x509.PublicKey(cert); err == nil {
		return describePublicKey(pub)
	}
	return "unknown-key"
}
