package testpki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cloudflare/circl/sign/mldsa/mldsa44"
	"github.com/cloudflare/circl/sign/mldsa/mldsa65"
	"github.com/cloudflare/circl/sign/mldsa/mldsa87"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// ML-DSA parameter sets (FIPS 204). crypto/x509 can neither encode ML-DSA
// public keys nor sign with ML-DSA keys, so Key, NewCA, Intermediate and
// Leaf do not accept these types. NewMLDSAKey, NewMLDSACA,
// MLDSAIntermediate, MLDSALeaf and CRL do, in any combination with the
// other key types: an ML-DSA CA may issue an RSA intermediate, an ECDSA CA
// an ML-DSA leaf.
const (
	MLDSA44 KeyType = "ml-dsa-44"
	MLDSA65 KeyType = "ml-dsa-65"
	MLDSA87 KeyType = "ml-dsa-87"
)

// ML-DSA algorithm identifiers (RFC 9881), for both keys and signatures.
var (
	oidMLDSA44 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 17}
	oidMLDSA65 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 18}
	oidMLDSA87 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 19}

	oidSHA256WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
)

// NewMLDSAKey generates an ML-DSA key of type t (MLDSA44, MLDSA65 or
// MLDSA87), afresh on every call since ML-DSA key generation is cheap. The
// key is a circl private key, a crypto.Signer that signs the message itself
// (crypto.Hash(0)) with an empty context.
func NewMLDSAKey(tb testing.TB, t KeyType) crypto.Signer {
	tb.Helper()
	var (
		k   crypto.Signer
		err error
	)
	switch t {
	case MLDSA44:
		_, k, err = mldsa44.GenerateKey(rand.Reader)
	case MLDSA65:
		_, k, err = mldsa65.GenerateKey(rand.Reader)
	case MLDSA87:
		_, k, err = mldsa87.GenerateKey(rand.Reader)
	default:
		err = fmt.Errorf("%q is not an ML-DSA key type", t)
	}
	if err != nil {
		tb.Fatalf("testpki: generate %s key: %v", t, err)
	}
	return k
}

// NewMLDSACA creates a self-signed root CA whose key may be of any type,
// ML-DSA-65 by default (WithKeyType(MLDSA44) or WithKey choose another).
func NewMLDSACA(tb testing.TB, opts ...Option) *CA {
	tb.Helper()
	o := mldsaOptions(tb, "Test ML-DSA Root CA", opts)
	tmpl := caTemplate(o)
	cert := issue(tb, tmpl, tmpl, o.Key.Public(), o.Key, o.Modify)
	return &CA{Cert: cert, Key: o.Key}
}

// MLDSAIntermediate creates a CA certificate signed by ca. Either key may
// be ML-DSA; the new CA's key is ML-DSA-65 unless opts choose another.
func (ca *CA) MLDSAIntermediate(tb testing.TB, opts ...Option) *CA {
	tb.Helper()
	o := mldsaOptions(tb, "Test ML-DSA Intermediate CA", opts)
	tmpl := caTemplate(o)
	cert := issue(tb, tmpl, ca.Cert, o.Key.Public(), ca.Key, o.Modify)
	return &CA{Cert: cert, Key: o.Key}
}

// MLDSALeaf creates a client certificate signed by ca, with the extensions
// of Leaf (CA:false, digitalSignature, clientAuth). Either key may be
// ML-DSA; the leaf's key is ML-DSA-65 unless opts choose another.
func (ca *CA) MLDSALeaf(tb testing.TB, opts ...Option) *Leaf {
	tb.Helper()
	o := mldsaOptions(tb, "test-mldsa-client", opts)
	cert := issue(tb, leafTemplate(o), ca.Cert, o.Key.Public(), ca.Key, o.Modify)
	return &Leaf{Cert: cert, Key: o.Key}
}

// CRL creates a CRL signed by ca (whatever its key type) that revokes
// serials: thisUpdate a minute before now, nextUpdate an hour after it. It
// signs even when ca's keyUsage lacks cRLSign, so that tests can check the
// verifier refuses such a CRL.
func (ca *CA) CRL(tb testing.TB, now time.Time, serials ...*big.Int) *x509.RevocationList {
	tb.Helper()
	tmpl := &x509.RevocationList{Number: big.NewInt(1), ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(time.Hour)}
	for _, s := range serials {
		tmpl.RevokedCertificateEntries = append(tmpl.RevokedCertificateEntries,
			x509.RevocationListEntry{SerialNumber: s, RevocationTime: now.Add(-time.Minute)})
	}
	// crypto/x509 encodes the TBSCertList; it is then re-signed with the
	// CA's own key, which crypto/x509 may not support.
	issuer := *ca.Cert
	issuer.PublicKey = nil
	issuer.KeyUsage |= x509.KeyUsageCRLSign
	der, err := x509.CreateRevocationList(rand.Reader, tmpl, &issuer, placeholderKey(tb))
	if err != nil {
		tb.Fatalf("testpki: create CRL: %v", err)
	}
	draft, err := x509.ParseRevocationList(der)
	if err != nil {
		tb.Fatalf("testpki: parse CRL: %v", err)
	}
	der = resign(tb, draft.RawTBSRevocationList, 1, -1, nil, ca.Key)
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		tb.Fatalf("testpki: parse re-signed CRL: %v", err)
	}
	return crl
}

// mldsaOptions resolves opts like options does, but generates an ML-DSA
// key (ML-DSA-65 by default) where Key would be asked for one.
func mldsaOptions(tb testing.TB, defaultCN string, opts []Option) *Options {
	tb.Helper()
	var probe Options
	for _, f := range opts {
		f(&probe)
	}
	if probe.Key == nil {
		t := probe.KeyType
		if t == "" {
			t = MLDSA65
		}
		if isMLDSA(t) {
			opts = append(slices.Clip(opts), WithKey(NewMLDSAKey(tb, t)))
		}
	}
	return options(tb, defaultCN, opts)
}

func isMLDSA(t KeyType) bool { return t == MLDSA44 || t == MLDSA65 || t == MLDSA87 }

// placeholder signs the drafts crypto/x509 encodes before issue and CRL
// replace their signature (and public key) with the real ones.
var placeholder = sync.OnceValues(func() (*ecdsa.PrivateKey, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
})

func placeholderKey(tb testing.TB) crypto.Signer {
	tb.Helper()
	k, err := placeholder()
	if err != nil {
		tb.Fatalf("testpki: placeholder key: %v", err)
	}
	return k
}

// issue creates a certificate for pub from tmpl, signed by key on behalf of
// parent (tmpl itself for a self-signed certificate), like sign but for any
// key types. crypto/x509 lays out the TBSCertificate with every extension;
// its signature algorithm and public key are then replaced and the result
// signed with key.
func issue(tb testing.TB, tmpl, parent *x509.Certificate, pub crypto.PublicKey, key crypto.Signer, modify func(*x509.Certificate)) *x509.Certificate {
	tb.Helper()
	spki, keyBits, err := marshalSPKI(pub)
	if err != nil {
		tb.Fatalf("testpki: %v", err)
	}
	if tmpl.IsCA {
		// RFC 5280 §4.2.1.2 method 1.
		sum := sha1.Sum(keyBits)
		tmpl.SubjectKeyId = sum[:]
	}
	if modify != nil {
		modify(tmpl)
	}
	issuer := *parent
	issuer.PublicKey = nil // crypto/x509 would insist the placeholder key is the issuer's
	placeholder := placeholderKey(tb)
	der, err := x509.CreateCertificate(rand.Reader, tmpl, &issuer, placeholder.Public(), placeholder)
	if err != nil {
		tb.Fatalf("testpki: create certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	draft, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("testpki: parse certificate: %v", err)
	}
	// TBSCertificate: [0] version, serial, signature, issuer, validity,
	// subject, subjectPublicKeyInfo, ...
	der = resign(tb, draft.RawTBSCertificate, 2, 6, spki, key)
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatalf("testpki: parse re-signed certificate %q: %v", tmpl.Subject.CommonName, err)
	}
	return cert
}

// resign replaces the signature AlgorithmIdentifier at index sigAt of the
// TBS sequence tbs with key's, and, when spkiAt >= 0, the element at spkiAt
// with spki; it returns the signed object (certificate or CRL) in DER.
func resign(tb testing.TB, tbs []byte, sigAt, spkiAt int, spki []byte, key crypto.Signer) []byte {
	tb.Helper()
	alg, err := signatureAlgorithm(key.Public())
	if err != nil {
		tb.Fatalf("testpki: %v", err)
	}
	algDER, err := asn1.Marshal(alg)
	if err != nil {
		tb.Fatal(err)
	}
	in := cryptobyte.String(tbs)
	var body cryptobyte.String
	if !in.ReadASN1(&body, cbasn1.SEQUENCE) || !in.Empty() {
		tb.Fatal("testpki: malformed TBS sequence")
	}
	var elems [][]byte
	for !body.Empty() {
		var e cryptobyte.String
		if !body.ReadAnyASN1Element(&e, nil) {
			tb.Fatal("testpki: malformed TBS element")
		}
		elems = append(elems, e)
	}
	if sigAt >= len(elems) || spkiAt >= len(elems) {
		tb.Fatalf("testpki: TBS sequence of %d elements", len(elems))
	}
	elems[sigAt] = algDER
	if spkiAt >= 0 {
		elems[spkiAt] = spki
	}
	var b cryptobyte.Builder
	b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		for _, e := range elems {
			b.AddBytes(e)
		}
	})
	newTBS, err := b.Bytes()
	if err != nil {
		tb.Fatal(err)
	}
	sig, err := signMessage(key, newTBS)
	if err != nil {
		tb.Fatalf("testpki: sign: %v", err)
	}
	der, err := asn1.Marshal(struct {
		TBS       asn1.RawValue
		Algorithm pkix.AlgorithmIdentifier
		Signature asn1.BitString
	}{asn1.RawValue{FullBytes: newTBS}, alg, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}})
	if err != nil {
		tb.Fatal(err)
	}
	return der
}

// marshalSPKI encodes pub as a SubjectPublicKeyInfo and returns it with
// the subjectPublicKey bits.
func marshalSPKI(pub crypto.PublicKey) (spki, keyBits []byte, err error) {
	var oid asn1.ObjectIdentifier
	switch k := pub.(type) {
	case *mldsa44.PublicKey:
		oid, keyBits = oidMLDSA44, k.Bytes()
	case *mldsa65.PublicKey:
		oid, keyBits = oidMLDSA65, k.Bytes()
	case *mldsa87.PublicKey:
		oid, keyBits = oidMLDSA87, k.Bytes()
	default:
		spki, err = x509.MarshalPKIXPublicKey(pub)
		if err != nil {
			return nil, nil, fmt.Errorf("marshal public key: %w", err)
		}
		var info struct {
			Algorithm pkix.AlgorithmIdentifier
			PublicKey asn1.BitString
		}
		if _, err := asn1.Unmarshal(spki, &info); err != nil {
			return nil, nil, err
		}
		return spki, info.PublicKey.Bytes, nil
	}
	spki, err = asn1.Marshal(struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}{pkix.AlgorithmIdentifier{Algorithm: oid}, asn1.BitString{Bytes: keyBits, BitLength: 8 * len(keyBits)}})
	return spki, keyBits, err
}

// signatureAlgorithm is the AlgorithmIdentifier of the signatures
// signMessage makes with the key whose public half is pub.
func signatureAlgorithm(pub crypto.PublicKey) (pkix.AlgorithmIdentifier, error) {
	switch pub.(type) {
	case *mldsa44.PublicKey:
		return pkix.AlgorithmIdentifier{Algorithm: oidMLDSA44}, nil
	case *mldsa65.PublicKey:
		return pkix.AlgorithmIdentifier{Algorithm: oidMLDSA65}, nil
	case *mldsa87.PublicKey:
		return pkix.AlgorithmIdentifier{Algorithm: oidMLDSA87}, nil
	case *rsa.PublicKey:
		return pkix.AlgorithmIdentifier{Algorithm: oidSHA256WithRSA, Parameters: asn1.NullRawValue}, nil
	case *ecdsa.PublicKey:
		return pkix.AlgorithmIdentifier{Algorithm: oidECDSAWithSHA256}, nil
	}
	return pkix.AlgorithmIdentifier{}, fmt.Errorf("cannot sign with a %T key", pub)
}

// signMessage signs msg: pure ML-DSA with an empty context, or SHA-256 with
// RSA PKCS#1 v1.5 or ECDSA.
func signMessage(key crypto.Signer, msg []byte) ([]byte, error) {
	switch key.Public().(type) {
	case *mldsa44.PublicKey, *mldsa65.PublicKey, *mldsa87.PublicKey:
		return key.Sign(rand.Reader, msg, crypto.Hash(0))
	case *rsa.PublicKey, *ecdsa.PublicKey:
		digest := sha256.Sum256(msg)
		return key.Sign(rand.Reader, digest[:], crypto.SHA256)
	}
	return nil, errors.New("unsupported key type")
}
