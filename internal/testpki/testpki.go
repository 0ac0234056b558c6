// Package testpki builds certificate authorities, intermediates and leaf
// certificates for tests, at test time. Keys are generated once per process
// and reused, so a test suite pays for RSA key generation only a few times.
package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"
)

// KeyType names a key algorithm and size.
type KeyType string

const (
	RSA2048 KeyType = "rsa2048"
	RSA3072 KeyType = "rsa3072"
	ECP256  KeyType = "ec-p256"
	ECP384  KeyType = "ec-p384"
)

// keyPool hands out distinct keys per type, generating each once per process.
var keyPool struct {
	sync.Mutex
	keys map[KeyType][]crypto.Signer
	next map[KeyType]int
}

// Key returns a fresh-looking key of type t: distinct from every other key
// Key has returned in this process, but generated only once.
func Key(tb testing.TB, t KeyType) crypto.Signer {
	tb.Helper()
	keyPool.Lock()
	defer keyPool.Unlock()
	if keyPool.keys == nil {
		keyPool.keys = map[KeyType][]crypto.Signer{}
		keyPool.next = map[KeyType]int{}
	}
	i := keyPool.next[t]
	keyPool.next[t]++
	if i < len(keyPool.keys[t]) {
		return keyPool.keys[t][i]
	}
	k, err := generate(t)
	if err != nil {
		tb.Fatalf("testpki: generate %s key: %v", t, err)
	}
	keyPool.keys[t] = append(keyPool.keys[t], k)
	return k
}

func generate(t KeyType) (crypto.Signer, error) {
	switch t {
	case RSA2048:
		return rsa.GenerateKey(rand.Reader, 2048)
	case RSA3072:
		return rsa.GenerateKey(rand.Reader, 3072)
	case ECP256:
		return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case ECP384:
		return ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	}
	return nil, fmt.Errorf("unknown key type %q", t)
}

// Options shape a certificate. The zero value gives sensible defaults.
type Options struct {
	Subject   pkix.Name
	KeyType   KeyType       // default ECP256
	Key       crypto.Signer // overrides KeyType
	NotBefore time.Time     // default: now - 1h
	NotAfter  time.Time     // default: now + 24h
	Serial    *big.Int      // default: random 128-bit
	// Modify, if set, edits the template just before signing.
	Modify func(*x509.Certificate)
}

// Option edits Options.
type Option func(*Options)

func WithSubject(n pkix.Name) Option              { return func(o *Options) { o.Subject = n } }
func WithCN(cn string) Option                     { return func(o *Options) { o.Subject.CommonName = cn } }
func WithKeyType(t KeyType) Option                { return func(o *Options) { o.KeyType = t } }
func WithKey(k crypto.Signer) Option              { return func(o *Options) { o.Key = k } }
func WithSerial(s *big.Int) Option                { return func(o *Options) { o.Serial = s } }
func WithModify(f func(*x509.Certificate)) Option { return func(o *Options) { o.Modify = f } }

// WithValidity sets the validity window.
func WithValidity(notBefore, notAfter time.Time) Option {
	return func(o *Options) { o.NotBefore, o.NotAfter = notBefore, notAfter }
}

// CA is a certificate authority for tests.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Leaf is an end-entity certificate and its key.
type Leaf struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// NewCA creates a self-signed root CA.
func NewCA(tb testing.TB, opts ...Option) *CA {
	tb.Helper()
	o := options(tb, "Test Root CA", opts)
	tmpl := caTemplate(o)
	cert := sign(tb, tmpl, tmpl, o.Key.Public(), o.Key, o.Modify)
	return &CA{Cert: cert, Key: o.Key}
}

// Intermediate creates a CA certificate signed by ca.
func (ca *CA) Intermediate(tb testing.TB, opts ...Option) *CA {
	tb.Helper()
	o := options(tb, "Test Intermediate CA", opts)
	tmpl := caTemplate(o)
	cert := sign(tb, tmpl, ca.Cert, o.Key.Public(), ca.Key, o.Modify)
	return &CA{Cert: cert, Key: o.Key}
}

// Leaf creates a client certificate signed by ca, with the extensions AWS
// expects: CA:false, digitalSignature, clientAuth.
func (ca *CA) Leaf(tb testing.TB, opts ...Option) *Leaf {
	tb.Helper()
	o := options(tb, "test-client", opts)
	cert := sign(tb, leafTemplate(o), ca.Cert, o.Key.Public(), ca.Key, o.Modify)
	return &Leaf{Cert: cert, Key: o.Key}
}

func options(tb testing.TB, defaultCN string, opts []Option) *Options {
	tb.Helper()
	o := &Options{Subject: pkix.Name{CommonName: defaultCN}}
	for _, f := range opts {
		f(o)
	}
	if o.Key == nil {
		if o.KeyType == "" {
			o.KeyType = ECP256
		}
		o.Key = Key(tb, o.KeyType)
	}
	now := time.Now().Truncate(time.Second)
	if o.NotBefore.IsZero() {
		o.NotBefore = now.Add(-time.Hour)
	}
	if o.NotAfter.IsZero() {
		o.NotAfter = now.Add(24 * time.Hour)
	}
	if o.Serial == nil {
		o.Serial = RandomSerial(tb)
	}
	return o
}

func caTemplate(o *Options) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          o.Serial,
		Subject:               o.Subject,
		NotBefore:             o.NotBefore,
		NotAfter:              o.NotAfter,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
}

// leafTemplate is a client certificate: CA:false, digitalSignature,
// clientAuth.
func leafTemplate(o *Options) *x509.Certificate {
	return &x509.Certificate{
		SerialNumber:          o.Serial,
		Subject:               o.Subject,
		NotBefore:             o.NotBefore,
		NotAfter:              o.NotAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
	}
}

func sign(tb testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer, modify func(*x509.Certificate)) *x509.Certificate {
	tb.Helper()
	if tmpl.IsCA {
		spki, err := x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			tb.Fatalf("testpki: marshal public key: %v", err)
		}
		sum := sha1.Sum(spki)
		tmpl.SubjectKeyId = sum[:]
	}
	if modify != nil {
		modify(tmpl)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, key)
	if err != nil {
		tb.Fatalf("testpki: create certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("testpki: parse certificate: %v", err)
	}
	return cert
}

// RandomSerial returns a random positive 128-bit serial number.
func RandomSerial(tb testing.TB) *big.Int {
	tb.Helper()
	s, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		tb.Fatalf("testpki: serial: %v", err)
	}
	return s.Add(s, big.NewInt(1))
}

// PEM encodes certificates as PEM, in order.
func PEM(certs ...*x509.Certificate) []byte {
	var out []byte
	for _, c := range certs {
		out = append(out, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	return out
}

// KeyPEM encodes a key as PKCS#8 PEM.
func KeyPEM(tb testing.TB, k crypto.Signer) []byte {
	tb.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		tb.Fatalf("testpki: marshal key: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}
