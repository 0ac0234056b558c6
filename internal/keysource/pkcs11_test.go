//go:build cgo

package keysource

// Tests of the PKCS#11 backend against a real SoftHSM token, created for
// each test in a temporary directory with softhsm2-util. Keys and
// certificates are generated with testpki and imported through the
// PKCS#11 API.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/miekg/pkcs11"

	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

const (
	testUserPIN = "1234-softhsm"
	testSOPIN   = "5678-so"
)

// softHSMModulePaths are where Debian, Fedora, Alpine, Homebrew and
// source builds install SoftHSM's module.
var softHSMModulePaths = []string{
	"/usr/lib/softhsm/libsofthsm2.so",
	"/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so",
	"/usr/lib64/pkcs11/libsofthsm2.so",
	"/usr/lib/pkcs11/libsofthsm2.so",
	"/usr/local/lib/softhsm/libsofthsm2.so",
	"/opt/homebrew/lib/softhsm/libsofthsm2.so",
}

// softHSM is a SoftHSM configuration with tokens.
type softHSM struct {
	t      *testing.T
	module string
	mod    *p11Module
	slots  map[string]uint // by token label
}

// newSoftHSM initialises a SoftHSM token per label in a fresh directory,
// points SOFTHSM2_CONF at it and loads the module (through the backend's
// module cache, which the Sources under test share).
func newSoftHSM(t *testing.T, labels ...string) *softHSM {
	t.Helper()
	util := testenv.Tool(t, "softhsm2-util")
	module := os.Getenv("ROAM_TEST_SOFTHSM_MODULE")
	for _, p := range softHSMModulePaths {
		if module != "" {
			break
		}
		if _, err := os.Stat(p); err == nil {
			module = p
		}
	}
	if module == "" {
		testenv.Missing(t, "libsofthsm2.so (the SoftHSM PKCS#11 module) is not installed; set ROAM_TEST_SOFTHSM_MODULE to its path")
	}
	p11Modules.Lock()
	leaked := len(p11Modules.m)
	p11Modules.Unlock()
	if leaked > 0 {
		t.Fatal("a PKCS#11 module is still loaded: an earlier test did not close its Source")
	}
	dir := t.TempDir()
	tokens := filepath.Join(dir, "tokens")
	if err := os.Mkdir(tokens, 0o700); err != nil {
		t.Fatal(err)
	}
	conf := writeTestFile(t, dir, "softhsm2.conf", []byte("directories.tokendir = "+tokens+"\nobjectstore.backend = file\nlog.level = ERROR\n"))
	t.Setenv("SOFTHSM2_CONF", conf)
	for _, label := range labels {
		out, err := exec.Command(util, "--init-token", "--free", "--label", label, "--so-pin", testSOPIN, "--pin", testUserPIN).CombinedOutput()
		if err != nil {
			t.Fatalf("softhsm2-util --init-token: %v\n%s", err, out)
		}
	}
	mod, err := acquirePKCS11Module(module)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(mod.release)
	h := &softHSM{t: t, module: module, mod: mod, slots: map[string]uint{}}
	slots, err := mod.slots()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range slots {
		h.slots[clean(s.token.Label)] = s.id
	}
	return h
}

// uri returns a pkcs11: URI for the token with the given path attributes,
// the module path and the user PIN.
func (h *softHSM) uri(path string) string {
	return "pkcs11:" + path + "?pin-value=" + testUserPIN + "&module-path=" + h.module
}

type keyOpts struct {
	alwaysAuth bool
	publicObj  bool // also store the public key object
}

// importKey stores k in token as a private key object.
func (h *softHSM) importKey(token, label string, id []byte, k crypto.Signer, o keyOpts) {
	h.t.Helper()
	attrs := []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PRIVATE_KEY),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SENSITIVE, true),
		pkcs11.NewAttribute(pkcs11.CKA_SIGN, true),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
		pkcs11.NewAttribute(pkcs11.CKA_ALWAYS_AUTHENTICATE, o.alwaysAuth),
	}
	var pubAttrs []*pkcs11.Attribute
	switch k := k.(type) {
	case *rsa.PrivateKey:
		e := big64(int64(k.E))
		attrs = append(attrs,
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS, k.N.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, e),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE_EXPONENT, k.D.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PRIME_1, k.Primes[0].Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PRIME_2, k.Primes[1].Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_EXPONENT_1, k.Precomputed.Dp.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_EXPONENT_2, k.Precomputed.Dq.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_COEFFICIENT, k.Precomputed.Qinv.Bytes()),
		)
		pubAttrs = []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_RSA),
			pkcs11.NewAttribute(pkcs11.CKA_MODULUS, k.N.Bytes()),
			pkcs11.NewAttribute(pkcs11.CKA_PUBLIC_EXPONENT, e),
		}
	case *ecdsa.PrivateKey:
		oid := map[int]asn1.ObjectIdentifier{256: oidP256, 384: oidP384, 521: oidP521}[k.Curve.Params().BitSize]
		params, err := asn1.Marshal(oid)
		if err != nil {
			h.t.Fatal(err)
		}
		d, err := k.Bytes()
		if err != nil {
			h.t.Fatal(err)
		}
		point, err := k.PublicKey.Bytes()
		if err != nil {
			h.t.Fatal(err)
		}
		wrapped, err := asn1.Marshal(point)
		if err != nil {
			h.t.Fatal(err)
		}
		attrs = append(attrs,
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
			pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, params),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, d),
		)
		pubAttrs = []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_KEY_TYPE, pkcs11.CKK_EC),
			pkcs11.NewAttribute(pkcs11.CKA_EC_PARAMS, params),
			pkcs11.NewAttribute(pkcs11.CKA_EC_POINT, wrapped),
		}
	default:
		h.t.Fatalf("cannot import %T", k)
	}
	h.create(token, attrs)
	if o.publicObj {
		h.create(token, append(pubAttrs,
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_PUBLIC_KEY),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_VERIFY, true),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
			pkcs11.NewAttribute(pkcs11.CKA_ID, id),
		))
	}
}

// importCert stores cert in token; private certificates are visible only
// after login.
func (h *softHSM) importCert(token, label string, id []byte, cert *x509.Certificate, private bool) {
	h.t.Helper()
	h.create(token, []*pkcs11.Attribute{
		pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
		pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
		pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
		pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, private),
		pkcs11.NewAttribute(pkcs11.CKA_LABEL, label),
		pkcs11.NewAttribute(pkcs11.CKA_ID, id),
		pkcs11.NewAttribute(pkcs11.CKA_SUBJECT, cert.RawSubject),
		pkcs11.NewAttribute(pkcs11.CKA_ISSUER, cert.RawIssuer),
		pkcs11.NewAttribute(pkcs11.CKA_VALUE, cert.Raw),
	})
}

// create stores an object in a session of its own, logged in for the
// occasion: closing the application's last session with the token logs
// out, so that Sources opened later must log in themselves.
func (h *softHSM) create(token string, attrs []*pkcs11.Attribute) {
	h.t.Helper()
	slot, ok := h.slots[token]
	if !ok {
		h.t.Fatalf("no token %q", token)
	}
	ctx := h.mod.ctx
	sess, err := ctx.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		h.t.Fatal(err)
	}
	defer ctx.CloseSession(sess)
	if err := ctx.Login(sess, pkcs11.CKU_USER, testUserPIN); err != nil && !isP11(err, pkcs11.CKR_USER_ALREADY_LOGGED_IN) {
		h.t.Fatal(err)
	}
	if _, err := ctx.CreateObject(sess, attrs); err != nil {
		h.t.Fatalf("C_CreateObject in %q: %v", token, err)
	}
}

func big64(n int64) []byte {
	var b []byte
	for ; n > 0; n >>= 8 {
		b = append([]byte{byte(n)}, b...)
	}
	return b
}

// p11PKI is a root and intermediate CA and two leaves (RSA and EC P-256),
// imported into token "roam-test" the way a provisioned smart card holds
// them: each key with its certificate (same CKA_ID and label), plus the CA
// certificates and an unrelated certificate.
type p11PKI struct {
	root, inter *testpki.CA
	rsa, ec     *testpki.Leaf
	unrelated   *x509.Certificate
}

func newP11PKI(t *testing.T, h *softHSM) *p11PKI {
	t.Helper()
	root := testpki.NewCA(t)
	inter := root.Intermediate(t)
	p := &p11PKI{
		root: root, inter: inter,
		rsa:       inter.Leaf(t, testpki.WithKeyType(testpki.RSA2048), testpki.WithCN("rsa-client")),
		ec:        inter.Leaf(t, testpki.WithCN("ec-client")),
		unrelated: testpki.NewCA(t, testpki.WithCN("Unrelated CA")).Cert,
	}
	h.importKey("roam-test", "rsa-2048", []byte{1}, p.rsa.Key, keyOpts{publicObj: true})
	h.importCert("roam-test", "rsa-2048", []byte{1}, p.rsa.Cert, false)
	h.importKey("roam-test", "ec-prime256v1", []byte{2}, p.ec.Key, keyOpts{})
	h.importCert("roam-test", "ec-prime256v1", []byte{2}, p.ec.Cert, false)
	h.importCert("roam-test", "Intermediate CA", []byte{0x10}, inter.Cert, false)
	h.importCert("roam-test", "Root CA", []byte{0x11}, root.Cert, false)
	h.importCert("roam-test", "Unrelated", []byte{0x12}, p.unrelated, false)
	return p
}

func TestPKCS11SoftHSM(t *testing.T) {
	h := newSoftHSM(t, "roam-test")
	p := newP11PKI(t, h)
	dir := t.TempDir()
	rsaCertFile := writeTestFile(t, dir, "rsa.pem", testpki.PEM(p.rsa.Cert))
	ecCertFile := writeTestFile(t, dir, "ec.pem", testpki.PEM(p.ec.Cert))
	interFile := writeTestFile(t, dir, "inter.pem", testpki.PEM(p.inter.Cert))
	tokenChain := []*x509.Certificate{p.inter.Cert}

	cases := map[string]struct {
		opts  Options
		leaf  *x509.Certificate
		chain []*x509.Certificate
	}{
		// One URI names the certificate and its key; the chain is the
		// leaf's issuer found on the token, without the root, the leaf
		// itself or the unrelated certificate.
		"rsa/certificate-uri":  {Options{Certificate: h.uri("token=roam-test;object=rsa-2048")}, p.rsa.Cert, tokenChain},
		"ec/certificate-uri":   {Options{Certificate: h.uri("token=roam-test;object=ec-prime256v1")}, p.ec.Cert, tokenChain},
		"rsa/certificate-type": {Options{Certificate: h.uri("token=roam-test;object=rsa-2048;type=cert")}, p.rsa.Cert, tokenChain},
		// The key by id, the certificate from a file: no chain, as in
		// the official helper, unless --intermediates gives one.
		"rsa/key-by-id":      {Options{Certificate: rsaCertFile, PrivateKey: h.uri("token=roam-test;id=%01")}, p.rsa.Cert, nil},
		"ec/key-by-id":       {Options{Certificate: ecCertFile, PrivateKey: h.uri("id=%02"), Intermediates: interFile}, p.ec.Cert, tokenChain},
		"ec/key-by-object":   {Options{Certificate: ecCertFile, PrivateKey: h.uri("object=ec-prime256v1;type=private")}, p.ec.Cert, nil},
		"rsa/key-and-cert":   {Options{Certificate: h.uri("object=rsa-2048;type=cert"), PrivateKey: h.uri("id=%01;type=private")}, p.rsa.Cert, tokenChain},
		"ec/only-key-uri":    {Options{PrivateKey: h.uri("object=ec-prime256v1")}, p.ec.Cert, tokenChain},
		"rsa/key-id-no-cert": {Options{PrivateKey: h.uri("id=%01")}, p.rsa.Cert, tokenChain},
		// The token holds two keys: the certificate picks one.
		"ec/token-only":  {Options{Certificate: ecCertFile, PrivateKey: h.uri("token=roam-test")}, p.ec.Cert, nil},
		"rsa/token-only": {Options{Certificate: rsaCertFile, PrivateKey: h.uri("manufacturer=SoftHSM%20project;model=SoftHSM%20v2")}, p.rsa.Cert, nil},
		// --pkcs11-lib instead of module-path.
		"rsa/pkcs11-lib": {Options{Certificate: "pkcs11:token=roam-test;object=rsa-2048?pin-value=" + testUserPIN, PKCS11Lib: h.module}, p.rsa.Cert, tokenChain},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			src := openSource(t, c.opts)
			cert, err := src.Certificate()
			if err != nil || !cert.Equal(c.leaf) {
				t.Fatalf("Certificate() = %v, %v; want %s", cert.Subject, err, c.leaf.Subject)
			}
			chain, err := src.Chain()
			if err != nil {
				t.Fatal(err)
			}
			if len(chain) != len(c.chain) || len(chain) > 0 && !chain[0].Equal(c.chain[0]) {
				t.Fatalf("Chain() = %v, want %v", subjects(chain), subjects(c.chain))
			}
			signAllHashes(t, src, c.leaf)
		})
	}

	t.Run("create-session", func(t *testing.T) {
		for _, name := range []string{"rsa-2048", "ec-prime256v1"} {
			checkCreateSession(t, openSource(t, Options{Certificate: h.uri("object=" + name)}))
		}
	})
	t.Run("concurrent", func(t *testing.T) {
		signConcurrently(t, openSource(t, Options{Certificate: h.uri("object=ec-prime256v1")}), p.ec.Cert)
	})
	t.Run("pin-source", func(t *testing.T) {
		pinFile := writeTestFile(t, dir, "pin", []byte(testUserPIN+"\n"))
		src := openSource(t, Options{Certificate: "pkcs11:object=rsa-2048?pin-source=file:" + pinFile + "&module-path=" + h.module})
		signAllHashes(t, src, p.rsa.Cert)
	})
	t.Run("list", func(t *testing.T) {
		all, err := ListPKCS11Certificates("pkcs11:token=roam-test?module-path="+h.module, "")
		if err != nil || len(all) != 5 {
			t.Fatalf("ListPKCS11Certificates = %d certificates, %v; want 5", len(all), err)
		}
		one, err := ListPKCS11Certificates("pkcs11:object=rsa-2048", h.module)
		if err != nil || len(one) != 1 || !one[0].Certificate.Equal(p.rsa.Cert) {
			t.Fatalf("ListPKCS11Certificates(object=rsa-2048) = %v, %v", one, err)
		}
		if !strings.HasPrefix(one[0].URI, "pkcs11:model=SoftHSM%20v2;manufacturer=SoftHSM%20project;serial=") ||
			!strings.HasSuffix(one[0].URI, ";id=%01;object=rsa-2048;type=cert") {
			t.Fatalf("URI = %q", one[0].URI)
		}
		// The listed URI selects the certificate again.
		src := openSource(t, Options{Certificate: one[0].URI + "?pin-value=" + testUserPIN, PKCS11Lib: h.module})
		if cert, _ := src.Certificate(); !cert.Equal(p.rsa.Cert) {
			t.Fatalf("the listed URI selects %s", cert.Subject)
		}
		none, err := ListPKCS11Certificates("pkcs11:token=roam-test;object=nope?pin-value="+testUserPIN, h.module)
		if err != nil || len(none) != 0 {
			t.Fatalf("ListPKCS11Certificates(object=nope) = %v, %v", none, err)
		}
	})
	t.Run("close", func(t *testing.T) {
		src, err := Open(Options{Certificate: h.uri("object=rsa-2048")})
		if err != nil {
			t.Fatal(err)
		}
		if err := src.Close(); err != nil {
			t.Fatal(err)
		}
		if err := src.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		digest := sha256.Sum256(nil)
		if _, err := src.Sign(rand.Reader, digest[:], crypto.SHA256); !errors.Is(err, ErrClosed) {
			t.Fatalf("Sign after Close: %v", err)
		}
		if _, err := src.Certificate(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Certificate after Close: %v", err)
		}
	})
}

func TestPKCS11SoftHSMErrors(t *testing.T) {
	h := newSoftHSM(t, "roam-test", "second")
	p := newP11PKI(t, h)
	// The second token holds a key labelled like the first token's.
	other := testpki.NewCA(t).Leaf(t)
	h.importKey("second", "ec-prime256v1", []byte{2}, other.Key, keyOpts{})
	h.importCert("second", "ec-prime256v1", []byte{2}, other.Cert, false)
	h.importKey("second", "no-cert", []byte{9}, testpki.Key(t, testpki.ECP256), keyOpts{publicObj: true})
	// No public key object and no certificate: the token does not say
	// which public key goes with it.
	h.importKey("second", "no-public", []byte{10}, testpki.Key(t, testpki.ECP256), keyOpts{})
	dir := t.TempDir()
	ecCertFile := writeTestFile(t, dir, "ec.pem", testpki.PEM(p.ec.Cert))
	rsaCertFile := writeTestFile(t, dir, "rsa.pem", testpki.PEM(p.rsa.Cert))
	noPIN := "pkcs11:token=roam-test;object=rsa-2048?module-path=" + h.module
	const wrongPIN = "9999-wrong"

	cases := map[string]struct {
		opts     Options
		sentinel error
		want     string
	}{
		"wrong-pin": {Options{Certificate: "pkcs11:token=roam-test;object=rsa-2048?pin-value=" + wrongPIN + "&module-path=" + h.module},
			ErrPKCS11Login, `user authentication failed: token "roam-test" (slot `},
		"missing-pin": {Options{Certificate: rsaCertFile, PrivateKey: noPIN},
			ErrPKCS11PINRequired, `needs the user PIN; add pin-value=... or pin-source=file:... to the pkcs11: URI (roam never prompts for it)`},
		// The certificate is public, so it is found without a PIN; the
		// key is not.
		"missing-pin-cert-uri": {Options{Certificate: noPIN}, ErrPKCS11PINRequired, "needs the user PIN"},
		"no-token":             {Options{Certificate: h.uri("token=nope;object=rsa-2048")}, ErrPKCS11Slot, `no token matches pkcs11:token=nope;object=rsa-2048; tokens present: "`},
		"two-tokens": {Options{Certificate: ecCertFile, PrivateKey: h.uri("object=ec-prime256v1")},
			ErrPKCS11Slot, "2 tokens match pkcs11:object=ec-prime256v1"},
		"two-certificates": {Options{Certificate: h.uri("object=ec-prime256v1")},
			ErrPKCS11Certificate, "2 certificates match pkcs11:object=ec-prime256v1; add object= or id= to the URI to choose one"},
		"no-key":         {Options{Certificate: ecCertFile, PrivateKey: h.uri("token=roam-test;object=nope")}, ErrPKCS11Key, `no private key on token "roam-test"`},
		"no-certificate": {Options{Certificate: h.uri("token=roam-test;object=nope")}, ErrPKCS11Certificate, `no certificate on "roam-test"`},
		"key-has-no-cert": {Options{PrivateKey: h.uri("token=second;object=no-cert")},
			ErrNoCertificate, `token "second" (slot `},
		"two-keys-no-cert": {Options{PrivateKey: h.uri("token=roam-test")}, ErrPKCS11Key, "2 private keys on token"},
		"wrong-cert": {Options{Certificate: rsaCertFile, PrivateKey: h.uri("token=roam-test;id=%02")},
			ErrKeyMismatch, "the ECDSA P-256 private key in the pkcs11: URI does not belong to the RSA-2048 certificate in " + rsaCertFile},
		"wrong-cert-unknown-public": {Options{Certificate: ecCertFile, PrivateKey: h.uri("token=second;object=no-public")},
			ErrKeyMismatch, "private key does not match certificate: the private key pkcs11:token=second;object=no-public;id=%0A does not belong to the ECDSA P-256 certificate"},
		"wrong-cert-public": {Options{Certificate: ecCertFile, PrivateKey: h.uri("token=roam-test;id=%01")},
			ErrKeyMismatch, "the RSA-2048 private key in the pkcs11: URI does not belong to the ECDSA P-256 certificate in " + ecCertFile},
		"missing-module": {Options{Certificate: "pkcs11:object=k?pin-value=1&module-path=" + filepath.Join(dir, "nope.so")},
			ErrPKCS11Module, "failed to load provider library " + filepath.Join(dir, "nope.so")},
		"not-a-module": {Options{Certificate: "pkcs11:object=k?pin-value=1&module-path=" + ecCertFile},
			ErrPKCS11Module, "it could not be loaded"},
		"module-conflict": {Options{Certificate: h.uri("object=rsa-2048"), PKCS11Lib: "/usr/lib/other.so"},
			ErrPKCS11Module, "--pkcs11-lib names /usr/lib/other.so but a pkcs11: URI's module-path names " + h.module},
		"bad-uri": {Options{Certificate: "pkcs11:object=rsa-2048;tokne=x?pin-value=" + testUserPIN}, ErrPKCS11URI, `unknown path attribute "tokne"`},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { wantOpenError(t, c.opts, c.sentinel, c.want, testUserPIN, wrongPIN) })
	}
	p11Modules.Lock()
	refs := p11Modules.m[h.mod.key].refs
	p11Modules.Unlock()
	if refs != 1 {
		t.Fatalf("failed Opens left %d references to the module, want only the test's", refs-1)
	}
}

func TestPKCS11SoftHSMSelection(t *testing.T) {
	h := newSoftHSM(t, "token-a", "token-b")
	ca := testpki.NewCA(t)
	leafA := ca.Leaf(t, testpki.WithCN("a"))
	leafB := ca.Leaf(t, testpki.WithCN("b"), testpki.WithKeyType(testpki.RSA2048))
	// The same label and id in both tokens: the token attribute decides.
	h.importKey("token-a", "client", []byte{7}, leafA.Key, keyOpts{})
	h.importCert("token-a", "client", []byte{7}, leafA.Cert, true) // private: needs login to be seen
	h.importKey("token-b", "client", []byte{7}, leafB.Key, keyOpts{})
	h.importCert("token-b", "client", []byte{7}, leafB.Cert, false)
	// In token-b, a certificate whose label differs from its key's.
	leafC := ca.Leaf(t, testpki.WithCN("c"))
	h.importKey("token-b", "key-c", []byte{8}, leafC.Key, keyOpts{})
	h.importCert("token-b", "cert-c", []byte{8}, leafC.Cert, false)

	slots, err := h.mod.slots()
	if err != nil {
		t.Fatal(err)
	}
	var slotB uint
	var serialB string
	for _, s := range slots {
		if clean(s.token.Label) == "token-b" {
			slotB, serialB = s.id, clean(s.token.SerialNumber)
		}
	}
	for name, c := range map[string]struct {
		uri  string
		leaf *testpki.Leaf
	}{
		"token-a":       {"token=token-a;object=client", leafA},
		"token-b":       {"token=token-b;object=client", leafB},
		"serial":        {"serial=" + serialB + ";id=%07", leafB},
		"slot-id":       {fmt.Sprintf("slot-id=%d;object=client", slotB), leafB},
		"label-then-id": {"token=token-b;object=cert-c", leafC},
		"id-only":       {"token=token-a;id=%07", leafA},
	} {
		t.Run(name, func(t *testing.T) {
			src := openSource(t, Options{Certificate: h.uri(c.uri)})
			cert, err := src.Certificate()
			if err != nil || !cert.Equal(c.leaf.Cert) {
				t.Fatalf("Certificate() = %v, %v; want %s", cert.Subject, err, c.leaf.Cert.Subject)
			}
			signAllHashes(t, src, c.leaf.Cert)
		})
	}
	t.Run("list-private", func(t *testing.T) {
		_, err := ListPKCS11Certificates("pkcs11:token=token-a", h.module)
		if !errors.Is(err, ErrPKCS11PINRequired) {
			t.Fatalf("listing private certificates without a PIN: %v", err)
		}
		certs, err := ListPKCS11Certificates("pkcs11:token=token-a?pin-value="+testUserPIN, h.module)
		if err != nil || len(certs) != 1 || !certs[0].Certificate.Equal(leafA.Cert) {
			t.Fatalf("listing private certificates with a PIN: %v, %v", certs, err)
		}
		if certs, err := ListPKCS11Certificates("pkcs11:object=client", h.module); err != nil || len(certs) != 1 || !certs[0].Certificate.Equal(leafB.Cert) {
			t.Fatalf("two tokens, one public certificate: %v, %v", certs, err)
		}
		if _, err := ListPKCS11Certificates("pkcs11:token=zzz", h.module); !errors.Is(err, ErrPKCS11Slot) {
			t.Fatalf("no token: %v", err)
		}
	})
	t.Run("private-certificate-without-pin", func(t *testing.T) {
		_, err := Open(Options{Certificate: "pkcs11:token=token-a;object=client?module-path=" + h.module})
		if !errors.Is(err, ErrPKCS11Certificate) || !strings.Contains(err.Error(), "no PIN was given to look for private ones") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestPKCS11SoftHSMAlwaysAuthenticate(t *testing.T) {
	h := newSoftHSM(t, "roam-test")
	ca := testpki.NewCA(t)
	rsaLeaf := ca.Leaf(t, testpki.WithKeyType(testpki.RSA2048))
	ecLeaf := ca.Leaf(t)
	h.importKey("roam-test", "rsa-2048-always-auth", []byte{3}, rsaLeaf.Key, keyOpts{alwaysAuth: true, publicObj: true})
	h.importCert("roam-test", "rsa-2048-always-auth", []byte{3}, rsaLeaf.Cert, false)
	// No public key object: the backend proves the key by a signature,
	// which itself needs the context-specific login.
	h.importKey("roam-test", "ec-always-auth", []byte{4}, ecLeaf.Key, keyOpts{alwaysAuth: true})
	h.importCert("roam-test", "ec-always-auth", []byte{4}, ecLeaf.Cert, false)

	for _, c := range []struct {
		object string
		leaf   *testpki.Leaf
	}{{"rsa-2048-always-auth", rsaLeaf}, {"ec-always-auth", ecLeaf}} {
		t.Run(c.object, func(t *testing.T) {
			_, err := Open(Options{Certificate: h.uri("object=" + c.object)})
			if !errors.Is(err, ErrPKCS11PINRequired) || !strings.Contains(err.Error(), "needs a PIN for every signature (CKA_ALWAYS_AUTHENTICATE); roam never prompts, so pass --reuse-pin") {
				t.Fatalf("without --reuse-pin: %v", err)
			}
			src := openSource(t, Options{Certificate: h.uri("object=" + c.object), ReusePIN: true})
			for range 3 { // every signature logs in again
				signAllHashes(t, src, c.leaf.Cert)
			}
			signConcurrently(t, src, c.leaf.Cert)
			checkCreateSession(t, src)
		})
	}
}

// TestPKCS11ContextLoginFailure checks that a refused context-specific
// login leaves the session usable: the next signature works.
func TestPKCS11ContextLoginFailure(t *testing.T) {
	h := newSoftHSM(t, "roam-test")
	leaf := testpki.NewCA(t).Leaf(t)
	h.importKey("roam-test", "k", []byte{5}, leaf.Key, keyOpts{alwaysAuth: true, publicObj: true})
	h.importCert("roam-test", "k", []byte{5}, leaf.Cert, false)
	src := openSource(t, Options{Certificate: h.uri("object=k"), ReusePIN: true})
	ps := src.(*pkcs11Source)
	ps.mu.Lock()
	ps.pin = "0000-bad"
	ps.mu.Unlock()
	digest := sha256.Sum256([]byte("x"))
	_, err := src.Sign(rand.Reader, digest[:], crypto.SHA256)
	if !errors.Is(err, ErrPKCS11Login) || !strings.Contains(err.Error(), "refused the context-specific PIN") {
		t.Fatalf("Sign with a refused context-specific PIN: %v", err)
	}
	checkNoSecret(t, err, "0000-bad")
	ps.mu.Lock()
	ps.pin = testUserPIN
	ps.mu.Unlock()
	signAllHashes(t, src, leaf.Cert)
}
