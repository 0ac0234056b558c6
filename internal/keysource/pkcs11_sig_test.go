package keysource

// Tests of the cgo-free PKCS#11 helpers, and helpers shared by the
// PKCS#11 and TPM tests.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/sigv4x509"
	"github.com/roam-dev/roam/internal/testpki"
)

func TestECDSARawToDER(t *testing.T) {
	k := testpki.Key(t, testpki.ECP256).(*ecdsa.PrivateKey)
	digest := sha256.Sum256([]byte("raw to DER"))
	der, err := ecdsa.SignASN1(rand.Reader, k, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	var rs struct{ R, S *big.Int }
	if _, err := asn1.Unmarshal(der, &rs); err != nil {
		t.Fatal(err)
	}
	raw := append(rs.R.FillBytes(make([]byte, 32)), rs.S.FillBytes(make([]byte, 32))...)
	got, err := ecdsaRawToDER(raw, 32)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, der) {
		t.Fatalf("ecdsaRawToDER = %x, want %x", got, der)
	}
	if !ecdsa.VerifyASN1(&k.PublicKey, digest[:], got) {
		t.Fatal("re-encoded signature does not verify")
	}
	// Leading zero bytes of r and s become minimal DER INTEGERs, and a high
	// bit gets its 0x00 pad.
	small := make([]byte, 64)
	small[31], small[32] = 1, 0x80
	got, err = ecdsaRawToDER(small, 32)
	if err != nil {
		t.Fatal(err)
	}
	want := []byte{0x30, 0x26, 0x02, 0x01, 0x01, 0x02, 0x21, 0x00, 0x80}
	if !bytes.HasPrefix(got, want) || len(got) != 0x28 {
		t.Fatalf("ecdsaRawToDER(1, 0x80…) = %x", got)
	}
	for name, bad := range map[string][]byte{
		"empty":  nil,
		"odd":    make([]byte, 63),
		"short":  make([]byte, 62),
		"zero-r": append(make([]byte, 32), bytes.Repeat([]byte{1}, 32)...),
	} {
		if _, err := ecdsaRawToDER(bad, 32); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func TestPKCS1DigestInfo(t *testing.T) {
	k := testpki.Key(t, testpki.RSA2048).(*rsa.PrivateKey)
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA224, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		hh := h.New()
		hh.Write([]byte("digest info"))
		digest := hh.Sum(nil)
		in, err := pkcs1DigestInfo(h, digest)
		if err != nil {
			t.Fatal(err)
		}
		// Signing the DigestInfo raw must equal a PKCS#1 v1.5 signature.
		raw, err := rsa.SignPKCS1v15(nil, k, 0, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := rsa.VerifyPKCS1v15(&k.PublicKey, h, digest, raw); err != nil {
			t.Fatalf("%v: %v", h, err)
		}
	}
	if _, err := pkcs1DigestInfo(crypto.SHA256, make([]byte, 20)); err == nil {
		t.Fatal("a 20-byte SHA-256 digest was accepted")
	}
	if _, err := pkcs1DigestInfo(crypto.MD5, make([]byte, 16)); err == nil {
		t.Fatal("MD5 was accepted")
	}
}

func TestIssuerChain(t *testing.T) {
	root := testpki.NewCA(t)
	inter := root.Intermediate(t, testpki.WithCN("Inter 1"))
	inter2 := inter.Intermediate(t, testpki.WithCN("Inter 2"))
	leaf := inter2.Leaf(t)
	other := testpki.NewCA(t, testpki.WithCN("Unrelated")).Intermediate(t, testpki.WithCN("Inter 1"))
	pool := []*x509.Certificate{leaf.Cert, other.Cert, root.Cert, inter.Cert, inter2.Cert, leaf.Cert}
	got := issuerChain(leaf.Cert, pool)
	if len(got) != 2 || !got[0].Equal(inter2.Cert) || !got[1].Equal(inter.Cert) {
		t.Fatalf("issuerChain = %v", subjects(got))
	}
	if got := issuerChain(root.Cert, pool); len(got) != 0 {
		t.Fatalf("a root has issuers %v", subjects(got))
	}
}

func subjects(certs []*x509.Certificate) []string {
	var s []string
	for _, c := range certs {
		s = append(s, c.Subject.CommonName)
	}
	return s
}

// signAllHashes signs with src for SHA-256, SHA-384 and SHA-512 digests and
// checks each signature with cert's key: PKCS#1 v1.5 for RSA, ASN.1 DER
// for ECDSA.
func signAllHashes(t *testing.T, src Source, cert *x509.Certificate) {
	t.Helper()
	msg := []byte("AWS Roles Anywhere Credential Helper Signing Test")
	for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		hh := h.New()
		hh.Write(msg)
		digest := hh.Sum(nil)
		sig, err := src.Sign(rand.Reader, digest, h)
		if err != nil {
			t.Fatalf("Sign(%v): %v", h, err)
		}
		switch pub := cert.PublicKey.(type) {
		case *rsa.PublicKey:
			if err := rsa.VerifyPKCS1v15(pub, h, digest, sig); err != nil {
				t.Fatalf("%v RSA signature does not verify: %v", h, err)
			}
		case *ecdsa.PublicKey:
			checkDER(t, sig)
			if !ecdsa.VerifyASN1(pub, digest, sig) {
				t.Fatalf("%v ECDSA signature does not verify", h)
			}
		default:
			t.Fatalf("unexpected key %T", pub)
		}
	}
}

// checkDER fails unless sig is exactly a DER SEQUENCE of two INTEGERs.
func checkDER(t *testing.T, sig []byte) {
	t.Helper()
	var rs struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(sig, &rs)
	if err != nil || len(rest) != 0 || rs.R.Sign() <= 0 || rs.S.Sign() <= 0 {
		t.Fatalf("signature %x is not a DER SEQUENCE{r, s}: %v", sig, err)
	}
	again, _ := asn1.Marshal(rs)
	if !bytes.Equal(again, sig) {
		t.Fatalf("signature %x is not minimal DER", sig)
	}
}

// checkCreateSession signs a CreateSession request with the identity src
// serves, as credential-process does, and checks that the server side
// accepts it.
func checkCreateSession(t *testing.T, src Source) {
	t.Helper()
	id, err := Snapshot(src)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"durationSeconds":3600}`)
	req, err := http.NewRequest(http.MethodPost, "https://rolesanywhere.us-east-1.amazonaws.com/sessions", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	q := req.URL.Query()
	q.Set("profileArn", "arn:aws:rolesanywhere:us-east-1:123456789012:profile/bbbbbbbb-1111-2222-3333-444444444444")
	q.Set("roleArn", "arn:aws:iam::123456789012:role/TestRole")
	q.Set("trustAnchorArn", "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/aaaaaaaa-1111-2222-3333-444444444444")
	req.URL.RawQuery = q.Encode()
	req.Header.Set("Content-Type", "application/json")
	now := time.Now().UTC().Truncate(time.Second)
	signed, err := sigv4x509.Sign(req, body, sigv4x509.Identity{Signer: id.Signer, Certificate: id.Certificate, Chain: id.Chain},
		"us-east-1", now)
	if err != nil {
		t.Fatalf("sigv4x509.Sign: %v", err)
	}
	v, err := sigv4x509.Verify(req, body, sigv4x509.VerifyOptions{Now: now})
	if err != nil {
		t.Fatalf("sigv4x509.Verify: %v", err)
	}
	if v.Algorithm != signed.Algorithm || !v.Certificate.Equal(id.Certificate) || len(v.Chain) != len(id.Chain) {
		t.Fatalf("verified %s with %d chain certificates, signed %s with %d", v.Algorithm, len(v.Chain), signed.Algorithm, len(id.Chain))
	}
}

// signConcurrently signs from several goroutines at once and checks every
// signature.
func signConcurrently(t *testing.T, src Source, cert *x509.Certificate) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 5 {
				digest := sha256.Sum256([]byte{byte(g), byte(i)})
				sig, err := src.Sign(rand.Reader, digest[:], crypto.SHA256)
				if err != nil {
					errs <- err.Error()
					return
				}
				if !verifyDigest(cert.PublicKey, digest[:], sig) {
					errs <- "a concurrent signature does not verify"
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

// writeTestFile writes data to dir/name and returns the path.
func writeTestFile(t testing.TB, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// openSource opens opts or fails the test, and closes the Source when the
// test ends.
func openSource(t *testing.T, opts Options) Source {
	t.Helper()
	src, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// wantOpenError fails unless Open(opts) fails with an error that matches
// sentinel, contains want and reveals none of secrets.
func wantOpenError(t *testing.T, opts Options, sentinel error, want string, secrets ...string) {
	t.Helper()
	src, err := Open(opts)
	if err == nil {
		src.Close()
		t.Fatal("Open succeeded")
	}
	if !errors.Is(err, sentinel) || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v\nwant %v containing %q", err, sentinel, want)
	}
	checkNoSecret(t, err, secrets...)
}

// checkNoSecret fails if err's text contains any of secrets.
func checkNoSecret(t testing.TB, err error, secrets ...string) {
	t.Helper()
	if err == nil {
		return
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Fatalf("error %q reveals the secret %q", err, s)
		}
	}
}
