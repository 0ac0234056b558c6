package keysource

// Tests of the TPM backend against swtpm, started for each test with a
// fresh state. Keys are created in it with go-tpm: storage primary keys in
// the hierarchies, loadable keys written as TSS2 PRIVATE KEY files, and
// persistent keys with and without a password.

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"

	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// swtpm is a running software TPM.
type swtpm struct {
	t   *testing.T
	dev tpmDevice
}

// startSWTPM starts swtpm with its data channel on a Unix socket or, with
// overTCP, a loopback TCP port, and stops it when the test ends.
func startSWTPM(t *testing.T, overTCP bool) *swtpm {
	t.Helper()
	bin := testenv.Tool(t, "swtpm")
	dir := t.TempDir()
	for attempt := 0; ; attempt++ {
		var dev tpmDevice
		args := []string{"socket", "--tpm2", "--tpmstate", "dir=" + dir, "--flags", "not-need-init,startup-clear"}
		if overTCP {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			port := l.Addr().(*net.TCPAddr).Port
			l.Close()
			dev = tpmDevice{network: "tcp", address: fmt.Sprintf("127.0.0.1:%d", port)}
			args = append(args, "--server", fmt.Sprintf("type=tcp,port=%d,bindaddr=127.0.0.1", port))
		} else {
			sock := filepath.Join(dir, "swtpm.sock")
			dev = tpmDevice{address: sock}
			args = append(args, "--server", "type=unixio,path="+sock)
		}
		var stderr bytes.Buffer
		cmd := exec.Command(bin, args...)
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() {
			cmd.Process.Kill()
			<-exited
		}
		if waitForTPM(dev, exited) {
			t.Cleanup(stop)
			return &swtpm{t: t, dev: dev}
		}
		stop()
		if attempt == 2 {
			t.Fatalf("swtpm %v did not start:\n%s", args, stderr.String())
		}
	}
}

// waitForTPM waits until the TPM answers, or swtpm exits.
func waitForTPM(dev tpmDevice, exited <-chan struct{}) bool {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return false
		default:
		}
		if t, err := dev.open(); err == nil {
			_, err := tpm2.GetRandom{BytesRequested: 8}.Execute(t)
			t.Close()
			if err == nil {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// env returns a Getenv that sets TPM_DEVICE to the TPM.
func (s *swtpm) env() func(string) string {
	v := s.dev.String()
	return func(k string) string {
		if k == EnvTPMDevice {
			return v
		}
		return ""
	}
}

func (s *swtpm) run(f func(transport.TPM) error) {
	s.t.Helper()
	t, err := s.dev.open()
	if err != nil {
		s.t.Fatal(err)
	}
	defer t.Close()
	if err := f(t); err != nil {
		s.t.Fatal(err)
	}
}

// primary creates the storage primary key of a hierarchy, with the
// template the backend uses, and returns it loaded; the caller flushes it.
func (s *swtpm) primary(t transport.TPM, hierarchy uint32, rsaParent bool) (tpm2.NamedHandle, error) {
	rsp, err := tpm2.CreatePrimary{
		PrimaryHandle: tpm2.AuthHandle{Handle: tpm2.TPMHandle(hierarchy), Auth: tpm2.PasswordAuth(nil)},
		InPublic:      tpm2.New2B(storagePrimaryTemplate(rsaParent)),
	}.Execute(t)
	if err != nil {
		return tpm2.NamedHandle{}, fmt.Errorf("CreatePrimary: %w", err)
	}
	return tpm2.NamedHandle{Handle: rsp.ObjectHandle, Name: rsp.Name}, nil
}

// tpmKey is a key created in the TPM: its TPM2B_PUBLIC and TPM2B_PRIVATE
// (with size fields), public key and a certificate for it.
type tpmKey struct {
	pub, priv []byte
	public    crypto.PublicKey
	cert      *x509.Certificate
	pubArea   tpm2.TPM2BPublic
	privArea  tpm2.TPM2BPrivate
}

// createKey creates a signing key from template under parent, with
// password (none when empty), and issues it a certificate from ca.
func (s *swtpm) createKey(t transport.TPM, ca *testpki.CA, parent tpm2.NamedHandle, template tpm2.TPMTPublic, password string) (*tpmKey, error) {
	rsp, err := tpm2.Create{
		ParentHandle: tpm2.AuthHandle{Handle: parent.Handle, Name: parent.Name, Auth: tpm2.PasswordAuth(nil)},
		InSensitive:  tpm2.TPM2BSensitiveCreate{Sensitive: &tpm2.TPMSSensitiveCreate{UserAuth: tpm2.TPM2BAuth{Buffer: []byte(password)}}},
		InPublic:     tpm2.New2B(template),
	}.Execute(t)
	if err != nil {
		return nil, fmt.Errorf("Create: %w", err)
	}
	pubArea, err := rsp.OutPublic.Contents()
	if err != nil {
		return nil, err
	}
	pub, err := tpm2.Pub(*pubArea)
	if err != nil {
		return nil, err
	}
	leaf := ca.Leaf(s.t, testpki.WithKey(publicOnly{pub}))
	return &tpmKey{
		pub: tpm2.Marshal(rsp.OutPublic), priv: tpm2.Marshal(rsp.OutPrivate),
		public: pub, cert: leaf.Cert, pubArea: rsp.OutPublic, privArea: rsp.OutPrivate,
	}, nil
}

// persist loads k under parent and makes it persistent at handle.
func (s *swtpm) persist(t transport.TPM, parent tpm2.NamedHandle, k *tpmKey, handle uint32) error {
	loaded, err := tpm2.Load{
		ParentHandle: tpm2.AuthHandle{Handle: parent.Handle, Name: parent.Name, Auth: tpm2.PasswordAuth(nil)},
		InPrivate:    k.privArea, InPublic: k.pubArea,
	}.Execute(t)
	if err != nil {
		return fmt.Errorf("Load: %w", err)
	}
	defer flushTPM(t, loaded.ObjectHandle)
	_, err = tpm2.EvictControl{
		Auth:             tpm2.AuthHandle{Handle: tpm2.TPMRHOwner, Auth: tpm2.PasswordAuth(nil)},
		ObjectHandle:     tpm2.NamedHandle{Handle: loaded.ObjectHandle, Name: loaded.Name},
		PersistentHandle: tpm2.TPMHandle(handle),
	}.Execute(t)
	return err
}

// persistPrimary makes a storage primary key persistent at handle.
func (s *swtpm) persistPrimary(t transport.TPM, primary tpm2.NamedHandle, handle uint32) error {
	_, err := tpm2.EvictControl{
		Auth:             tpm2.AuthHandle{Handle: tpm2.TPMRHOwner, Auth: tpm2.PasswordAuth(nil)},
		ObjectHandle:     primary,
		PersistentHandle: tpm2.TPMHandle(handle),
	}.Execute(t)
	return err
}

// publicOnly stands for a TPM key when testpki issues its certificate.
type publicOnly struct{ pub crypto.PublicKey }

func (p publicOnly) Public() crypto.PublicKey { return p.pub }

func (publicOnly) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, errors.New("a TPM key signs in the TPM")
}

// keyFile writes k as a TSS2 PRIVATE KEY file under parent.
func keyFile(t *testing.T, dir, name string, k *tpmKey, parent uint32, emptyAuth, rsaParent bool) string {
	t.Helper()
	return writeTestFile(t, dir, name, tss2PEM(t, tss2File{EmptyAuth: emptyAuth, RSAParent: rsaParent, Parent: int64(parent), Pubkey: k.pub, Privkey: k.priv}))
}

// tpmFixture is a TPM provisioned with keys for the tests.
type tpmFixture struct {
	tpm  *swtpm
	ca   *testpki.CA
	dir  string
	keys map[string]*tpmKey
}

const tpmPassword = "tpm-pass-2468"

// Key names of the fixture.
const (
	keyRSAOwnerPW     = "rsa2048/owner/password"
	keyECOwner        = "ecp256/owner"
	keyP384Persistent = "ecp384/persistent-parent/password"
	keyRSANull        = "rsa2048/null"
	keyECEndorsement  = "ecp256/endorsement"
	keyECRSAParent    = "ecp256/rsa-parent"
	keyECFixedScheme  = "ecp256/fixed-scheme"
	keyRSAFixedScheme = "rsa2048/fixed-scheme"
	keyRestricted     = "ecp256/restricted"
	keyHandlePW       = "handle/rsa2048/password"
	keyHandle         = "handle/ecp256"
)

// keyFiles maps the fixture's key files to their parent and flags.
var keyFiles = map[string]struct {
	parent               uint32
	emptyAuth, rsaParent bool
}{
	keyRSAOwnerPW:     {tpmRHOwner, false, false},
	keyECOwner:        {tpmRHOwner, true, false},
	keyP384Persistent: {0x81000001, false, false},
	keyRSANull:        {tpmRHNull, true, false},
	keyECEndorsement:  {tpmRHEndorsement, true, false},
	keyECRSAParent:    {tpmRHOwner, true, true},
	keyECFixedScheme:  {tpmRHOwner, true, false},
	keyRSAFixedScheme: {tpmRHOwner, true, false},
	keyRestricted:     {tpmRHOwner, true, false},
}

// newTPMFixture starts swtpm and creates the keys named in only (all of
// them when only is nil).
func newTPMFixture(t *testing.T, overTCP bool, only []string) *tpmFixture {
	t.Helper()
	fx := &tpmFixture{tpm: startSWTPM(t, overTCP), ca: testpki.NewCA(t), dir: t.TempDir(), keys: map[string]*tpmKey{}}
	s := fx.tpm
	s.run(func(t transport.TPM) error {
		owner, err := s.primary(t, tpmRHOwner, false)
		if err != nil {
			return err
		}
		defer flushTPM(t, owner.Handle)
		ecFixed := signingTemplate(tpm2.TPMAlgECC, tpm2.TPMECCNistP256, true)
		ecFixed.Parameters = tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{
			Symmetric: tpm2.TPMTSymDefObject{Algorithm: tpm2.TPMAlgNull},
			Scheme: tpm2.TPMTECCScheme{Scheme: tpm2.TPMAlgECDSA,
				Details: tpm2.NewTPMUAsymScheme(tpm2.TPMAlgECDSA, &tpm2.TPMSSigSchemeECDSA{HashAlg: tpm2.TPMAlgSHA256})},
			CurveID: tpm2.TPMECCNistP256, KDF: tpm2.TPMTKDFScheme{Scheme: tpm2.TPMAlgNull},
		})
		rsaFixed := signingTemplate(tpm2.TPMAlgRSA, 0, true)
		rsaFixed.Parameters = tpm2.NewTPMUPublicParms(tpm2.TPMAlgRSA, &tpm2.TPMSRSAParms{
			Symmetric: tpm2.TPMTSymDefObject{Algorithm: tpm2.TPMAlgNull},
			Scheme: tpm2.TPMTRSAScheme{Scheme: tpm2.TPMAlgRSASSA,
				Details: tpm2.NewTPMUAsymScheme(tpm2.TPMAlgRSASSA, &tpm2.TPMSSigSchemeRSASSA{HashAlg: tpm2.TPMAlgSHA256})},
			KeyBits: 2048,
		})
		restricted := ecFixed
		restricted.ObjectAttributes.Restricted = true
		type spec struct {
			name     string
			parent   tpm2.NamedHandle
			template tpm2.TPMTPublic
			password string
		}
		specs := []spec{
			{keyRSAOwnerPW, owner, signingTemplate(tpm2.TPMAlgRSA, 0, true), tpmPassword},
			{keyECOwner, owner, signingTemplate(tpm2.TPMAlgECC, tpm2.TPMECCNistP256, true), ""},
			{keyECFixedScheme, owner, ecFixed, ""},
			{keyRSAFixedScheme, owner, rsaFixed, ""},
			{keyRestricted, owner, restricted, ""},
			// Persistent keys: one with a password and dictionary-attack
			// protection, one without a password.
			{keyHandlePW, owner, signingTemplate(tpm2.TPMAlgRSA, 0, false), tpmPassword},
			{keyHandle, owner, signingTemplate(tpm2.TPMAlgECC, tpm2.TPMECCNistP256, true), ""},
		}
		for _, h := range []struct {
			name      string
			hierarchy uint32
			rsa       bool
			template  tpm2.TPMTPublic
			password  string
		}{
			{keyRSANull, tpmRHNull, false, signingTemplate(tpm2.TPMAlgRSA, 0, true), ""},
			{keyECEndorsement, tpmRHEndorsement, false, signingTemplate(tpm2.TPMAlgECC, tpm2.TPMECCNistP256, true), ""},
			{keyECRSAParent, tpmRHOwner, true, signingTemplate(tpm2.TPMAlgECC, tpm2.TPMECCNistP256, true), ""},
		} {
			if !wanted(only, h.name) {
				continue
			}
			p, err := s.primary(t, h.hierarchy, h.rsa)
			if err != nil {
				return err
			}
			k, err := s.createKey(t, fx.ca, p, h.template, h.password)
			flushTPM(t, p.Handle)
			if err != nil {
				return fmt.Errorf("%s: %w", h.name, err)
			}
			fx.keys[h.name] = k
		}
		for _, sp := range specs {
			if !wanted(only, sp.name) {
				continue
			}
			k, err := s.createKey(t, fx.ca, sp.parent, sp.template, sp.password)
			if err != nil {
				return fmt.Errorf("%s: %w", sp.name, err)
			}
			fx.keys[sp.name] = k
		}
		for name, handle := range map[string]uint32{keyHandlePW: 0x81000101, keyHandle: 0x81000102} {
			if k := fx.keys[name]; k != nil {
				if err := s.persist(t, owner, k, handle); err != nil {
					return err
				}
			}
		}
		// A persistent storage key as the parent of a key file.
		srk, err := s.primary(t, tpmRHOwner, false)
		if err != nil {
			return err
		}
		if err := s.persistPrimary(t, srk, 0x81000001); err != nil {
			return err
		}
		flushTPM(t, srk.Handle)
		persistent := tpm2.NamedHandle{Handle: 0x81000001, Name: srk.Name}
		k, err := s.createKey(t, fx.ca, persistent, signingTemplate(tpm2.TPMAlgECC, tpm2.TPMECCNistP384, true), tpmPassword)
		if err != nil {
			return err
		}
		fx.keys[keyP384Persistent] = k
		return nil
	})
	return fx
}

func wanted(only []string, name string) bool { return only == nil || slices.Contains(only, name) }

// files writes a key's certificate and key file and returns their paths.
func (fx *tpmFixture) files(t *testing.T, name string) (cert, key string) {
	t.Helper()
	k := fx.keys[name]
	f := keyFiles[name]
	base := strings.ReplaceAll(name, "/", "_")
	return writeTestFile(t, fx.dir, base+".crt", testpki.PEM(k.cert)),
		keyFile(t, fx.dir, base+".key", k, f.parent, f.emptyAuth, f.rsaParent)
}

// TestTPM runs the TPM tests on one provisioned swtpm, since creating RSA
// keys in it takes a few seconds.
func TestTPM(t *testing.T) {
	fx := newTPMFixture(t, false, nil)
	t.Run("key-files", func(t *testing.T) { testTPMKeyFiles(t, fx) })
	t.Run("handles", func(t *testing.T) { testTPMHandles(t, fx) })
	t.Run("key-file-errors", func(t *testing.T) { testTPMKeyFileErrors(t, fx) })
}

func testTPMKeyFiles(t *testing.T, fx *tpmFixture) {
	env := fx.tpm.env()
	for _, name := range []string{keyRSAOwnerPW, keyECOwner, keyP384Persistent, keyRSANull, keyECEndorsement, keyECRSAParent, keyECFixedScheme} {
		t.Run(name, func(t *testing.T) {
			cert, key := fx.files(t, name)
			opts := Options{Certificate: cert, PrivateKey: key, Getenv: env}
			if !keyFiles[name].emptyAuth {
				opts.TPMKeyPassword = tpmPassword
			}
			src := openSource(t, opts)
			if !src.Public().(interface{ Equal(crypto.PublicKey) bool }).Equal(fx.keys[name].public) {
				t.Fatal("Public() is not the TPM key's public key")
			}
			signAllHashes(t, src, fx.keys[name].cert)
			checkCreateSession(t, src)
		})
	}
	t.Run("rsa-fixed-scheme", func(t *testing.T) {
		cert, key := fx.files(t, keyRSAFixedScheme)
		src := openSource(t, Options{Certificate: cert, PrivateKey: key, Getenv: env})
		checkCreateSession(t, src)
		digest := make([]byte, 48)
		if _, err := src.Sign(rand.Reader, digest, crypto.SHA384); err == nil || !strings.Contains(err.Error(), "signs only with its own RSASSA hash, not SHA-384") {
			t.Fatalf("SHA-384 with an RSASSA-SHA256 key: %v", err)
		}
	})
	t.Run("combo-file-and-chain", func(t *testing.T) {
		cert, key := fx.files(t, keyECOwner)
		certPEM, _ := os.ReadFile(cert)
		keyPEM, _ := os.ReadFile(key)
		combo := writeTestFile(t, fx.dir, "combo.pem", append(certPEM, keyPEM...))
		chain := writeTestFile(t, fx.dir, "chain.pem", testpki.PEM(fx.ca.Cert))
		src := openSource(t, Options{Certificate: combo, Intermediates: chain, Getenv: env})
		got, err := src.Chain()
		if err != nil || len(got) != 1 || !got[0].Equal(fx.ca.Cert) {
			t.Fatalf("Chain() = %v, %v", subjects(got), err)
		}
		signAllHashes(t, src, fx.keys[keyECOwner].cert)
	})
	t.Run("key-on-stdin", func(t *testing.T) {
		cert, key := fx.files(t, keyRSAOwnerPW)
		keyPEM, _ := os.ReadFile(key)
		src := openSource(t, Options{Certificate: cert, PrivateKey: "-", Stdin: bytes.NewReader(keyPEM), TPMKeyPassword: tpmPassword, Getenv: env})
		signAllHashes(t, src, fx.keys[keyRSAOwnerPW].cert)
	})
	t.Run("no-password-flag-on-empty-auth-key", func(t *testing.T) {
		cert, key := fx.files(t, keyECOwner)
		signAllHashes(t, openSource(t, Options{Certificate: cert, PrivateKey: key, NoTPMKeyPassword: true, Getenv: env}), fx.keys[keyECOwner].cert)
	})
	t.Run("concurrent", func(t *testing.T) {
		cert, key := fx.files(t, keyP384Persistent)
		src := openSource(t, Options{Certificate: cert, PrivateKey: key, TPMKeyPassword: tpmPassword, Getenv: env})
		signConcurrently(t, src, fx.keys[keyP384Persistent].cert)
	})
	t.Run("close", func(t *testing.T) {
		cert, key := fx.files(t, keyECOwner)
		src, err := Open(Options{Certificate: cert, PrivateKey: key, Getenv: env})
		if err != nil {
			t.Fatal(err)
		}
		src.Close()
		digest := sha256.Sum256(nil)
		if _, err := src.Sign(rand.Reader, digest[:], crypto.SHA256); !errors.Is(err, ErrClosed) {
			t.Fatalf("Sign after Close: %v", err)
		}
		if _, err := src.Certificate(); !errors.Is(err, ErrClosed) {
			t.Fatalf("Certificate after Close: %v", err)
		}
	})
}

func testTPMHandles(t *testing.T, fx *tpmFixture) {
	env := fx.tpm.env()
	rsaCert := writeTestFile(t, fx.dir, "rsa.crt", testpki.PEM(fx.keys[keyHandlePW].cert))
	ecCert := writeTestFile(t, fx.dir, "ec.crt", testpki.PEM(fx.keys[keyHandle].cert))

	t.Run("password", func(t *testing.T) {
		src := openSource(t, Options{Certificate: rsaCert, PrivateKey: "handle:0x81000101", TPMKeyPassword: tpmPassword, Getenv: env})
		signAllHashes(t, src, fx.keys[keyHandlePW].cert)
		checkCreateSession(t, src)
	})
	t.Run("no-password", func(t *testing.T) {
		src := openSource(t, Options{Certificate: ecCert, PrivateKey: "handle:81000102", NoTPMKeyPassword: true, Getenv: env})
		signAllHashes(t, src, fx.keys[keyHandle].cert)
		signConcurrently(t, src, fx.keys[keyHandle].cert)
		checkCreateSession(t, src)
	})
	const wrong = "wrong-pass-1357"
	cases := map[string]struct {
		opts     Options
		sentinel error
		want     string
	}{
		"no-password-flag": {Options{Certificate: rsaCert, PrivateKey: "handle:0x81000101", Getenv: env},
			ErrTPMPasswordRequired, "TPM key password required: TPM handle 0x81000101: pass --tpm-key-password, or --no-tpm-key-password if the key has no password (roam never prompts for it)"},
		"wrong-password": {Options{Certificate: rsaCert, PrivateKey: "handle:0x81000101", TPMKeyPassword: wrong, Getenv: env},
			ErrTPMPassword, "incorrect TPM key password: the TPM refused the password of TPM handle 0x81000101"},
		"missing-password": {Options{Certificate: rsaCert, PrivateKey: "handle:0x81000101", NoTPMKeyPassword: true, Getenv: env},
			ErrTPMPassword, "the TPM refused the password"},
		"no-key-there": {Options{Certificate: rsaCert, PrivateKey: "handle:0x81000199", NoTPMKeyPassword: true, Getenv: env},
			ErrTPMKey, "TPM handle 0x81000199: the TPM " + fx.tpm.dev.String() + " holds no key at that handle"},
		"transient": {Options{Certificate: rsaCert, PrivateKey: "handle:0x80000001", NoTPMKeyPassword: true, Getenv: env},
			ErrTPMKey, "is not a persistent handle"},
		"bad-format": {Options{Certificate: rsaCert, PrivateKey: "handle:0xnope", NoTPMKeyPassword: true, Getenv: env},
			ErrTPMKey, "invalid hex TPM handle value"},
		"storage-key": {Options{Certificate: rsaCert, PrivateKey: "handle:0x81000001", NoTPMKeyPassword: true, Getenv: env},
			ErrTPMKey, "it is not a signing key"},
		"wrong-certificate": {Options{Certificate: ecCert, PrivateKey: "handle:0x81000101", TPMKeyPassword: tpmPassword, Getenv: env},
			ErrKeyMismatch, "the RSA-2048 private key in TPM handle handle:0x81000101 does not belong to the ECDSA P-256 certificate"},
		"no-certificate": {Options{PrivateKey: "handle:0x81000101", TPMKeyPassword: tpmPassword, Getenv: env},
			ErrNoCertificate, "pass the certificate for TPM handle 0x81000101 with --certificate"},
		"both-flags": {Options{Certificate: rsaCert, PrivateKey: "handle:0x81000101", TPMKeyPassword: tpmPassword, NoTPMKeyPassword: true, Getenv: env},
			ErrTPMPasswordRequired, "--tpm-key-password and --no-tpm-key-password are both given"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { wantOpenError(t, c.opts, c.sentinel, c.want, tpmPassword, wrong) })
	}
}

func testTPMKeyFileErrors(t *testing.T, fx *tpmFixture) {
	env := fx.tpm.env()
	pwCert, pwKey := fx.files(t, keyRSAOwnerPW)
	ecCert, ecKey := fx.files(t, keyECOwner)
	_, restrictedKey := fx.files(t, keyRestricted)
	ec := fx.keys[keyECOwner]
	wrongParent := keyFile(t, fx.dir, "wrong-parent.key", ec, tpmRHNull, true, false)
	missingParent := keyFile(t, fx.dir, "missing-parent.key", ec, 0x81000055, true, false)
	policy := writeTestFile(t, fx.dir, "policy.key", pemOf(pemTSS2, []byte{0x30, 0x0b, 0x06, 0x06, 0x67, 0x81, 0x05, 0x0a, 0x01, 0x03, 0xa1, 0x01, 0x00}))
	regular := writeTestFile(t, fx.dir, "not-a-tpm", []byte("x"))
	const wrong = "wrong-pass-1357"
	with := func(o Options, dev string) Options {
		o.Getenv = func(k string) string {
			if k == EnvTPMDevice {
				return dev
			}
			return ""
		}
		return o
	}
	cases := map[string]struct {
		opts     Options
		sentinel error
		want     string
	}{
		"wrong-password": {Options{Certificate: pwCert, PrivateKey: pwKey, TPMKeyPassword: wrong, Getenv: env},
			ErrTPMPassword, "incorrect TPM key password: the TPM refused the password of the TSS2 PRIVATE KEY in " + pwKey},
		"missing-password": {Options{Certificate: pwCert, PrivateKey: pwKey, Getenv: env},
			ErrTPMPasswordRequired, "has a password (its emptyAuth is not set): pass --tpm-key-password"},
		"no-password-flag-but-password": {Options{Certificate: pwCert, PrivateKey: pwKey, NoTPMKeyPassword: true, Getenv: env},
			ErrTPMPassword, "the TPM refused the password"},
		"password-for-empty-auth": {Options{Certificate: ecCert, PrivateKey: ecKey, TPMKeyPassword: wrong, Getenv: env},
			ErrTPMPasswordRequired, "password is provided but TPM key file indicates that one isn't required"},
		"wrong-parent": {Options{Certificate: ecCert, PrivateKey: wrongParent, Getenv: env},
			ErrTPM, "the TPM cannot load it under its parent 0x40000007 (was it made for another TPM or parent?)"},
		"missing-parent": {Options{Certificate: ecCert, PrivateKey: missingParent, Getenv: env},
			ErrTPMKey, "its parent, persistent handle 0x81000055, is not in the TPM"},
		"restricted": {Options{Certificate: ecCert, PrivateKey: restrictedKey, Getenv: env},
			ErrTPMKey, "restricted signing key"},
		"policy":         {Options{Certificate: ecCert, PrivateKey: policy, Getenv: env}, ErrTPMKey, "TPMv2 policy not implemented yet"},
		"no-certificate": {Options{PrivateKey: ecKey, Getenv: env}, ErrNoCertificate, "a TPM holds no certificate"},
		"wrong-certificate": {Options{Certificate: pwCert, PrivateKey: ecKey, Getenv: env},
			ErrKeyMismatch, "the ECDSA P-256 private key in " + ecKey + " does not belong to the RSA-2048 certificate in " + pwCert},
		"no-device":     {with(Options{Certificate: ecCert, PrivateKey: ecKey}, filepath.Join(fx.dir, "nope")), ErrTPMDevice, "could not open the TPM " + filepath.Join(fx.dir, "nope")},
		"regular-file":  {with(Options{Certificate: ecCert, PrivateKey: ecKey}, regular), ErrTPMDevice, "it is neither a TPM character device nor a socket"},
		"bad-tcp":       {with(Options{Certificate: ecCert, PrivateKey: ecKey}, "tcp:localhost"), ErrTPMDevice, "is not tcp:HOST:PORT"},
		"closed-tcp":    {with(Options{Certificate: ecCert, PrivateKey: ecKey}, "tcp:127.0.0.1:1"), ErrTPMDevice, "could not open the TPM tcp:127.0.0.1:1"},
		"wrong-tpm-key": {Options{Certificate: ecCert, PrivateKey: writeTestFile(t, fx.dir, "garbage.key", pemOf(pemTSS2, []byte("junk"))), Getenv: env}, ErrTPMKey, "not a DER SEQUENCE"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) { wantOpenError(t, c.opts, c.sentinel, c.want, tpmPassword, wrong) })
	}
}

// TestTPMOverTCP reaches swtpm over TCP (TPM_DEVICE=tcp:HOST:PORT).
func TestTPMOverTCP(t *testing.T) {
	fx := newTPMFixture(t, true, []string{keyECOwner, keyP384Persistent})
	cert, key := fx.files(t, keyP384Persistent)
	for _, dev := range []string{"tcp:" + fx.tpm.dev.address, "tcp://" + fx.tpm.dev.address} {
		src := openSource(t, Options{Certificate: cert, PrivateKey: key, TPMKeyPassword: tpmPassword,
			Getenv: func(k string) string {
				if k == EnvTPMDevice {
					return dev
				}
				return ""
			}})
		signAllHashes(t, src, fx.keys[keyP384Persistent].cert)
		checkCreateSession(t, src)
	}
}
