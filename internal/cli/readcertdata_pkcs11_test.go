//go:build cgo

package cli

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/pkcs11"

	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// TestReadCertificateDataPKCS11: for a pkcs11: URI, read-certificate-data
// lists every certificate the URI selects, each with its own URI, from a
// token that holds no private key.
func TestReadCertificateDataPKCS11(t *testing.T) {
	util := testenv.Tool(t, "softhsm2-util")
	module := os.Getenv("ROAM_TEST_SOFTHSM_MODULE")
	for _, p := range []string{"/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
		"/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib64/pkcs11/libsofthsm2.so", "/usr/local/lib/softhsm/libsofthsm2.so"} {
		if _, err := os.Stat(p); module == "" && err == nil {
			module = p
		}
	}
	if module == "" {
		testenv.Missing(t, "libsofthsm2.so (the SoftHSM PKCS#11 module) is not installed; set ROAM_TEST_SOFTHSM_MODULE to its path")
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "tokens"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "softhsm2.conf")
	if err := os.WriteFile(conf, []byte("directories.tokendir = "+filepath.Join(dir, "tokens")+"\nobjectstore.backend = file\nlog.level = ERROR\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SOFTHSM2_CONF", conf)
	if out, err := exec.Command(util, "--init-token", "--free", "--label", "rcd", "--so-pin", "5678", "--pin", "1234").CombinedOutput(); err != nil {
		t.Fatalf("softhsm2-util: %v\n%s", err, out)
	}
	ca := testpki.NewCA(t)
	one, two := ca.Leaf(t, testpki.WithCN("one")), ca.Leaf(t, testpki.WithCN("two"))

	// Store the two certificates (no keys) as public objects, then let go
	// of the module before roam loads it.
	p := pkcs11.New(module)
	if p == nil {
		t.Fatalf("cannot load %s", module)
	}
	if err := p.Initialize(); err != nil {
		t.Fatal(err)
	}
	slots, err := p.GetSlotList(true)
	if err != nil {
		t.Fatal(err)
	}
	slot, found := uint(0), false
	for _, s := range slots {
		if ti, err := p.GetTokenInfo(s); err == nil && strings.TrimRight(ti.Label, " ") == "rcd" {
			slot, found = s, true
		}
	}
	if !found {
		t.Fatalf("no token rcd in slots %v", slots)
	}
	sess, err := p.OpenSession(slot, pkcs11.CKF_SERIAL_SESSION|pkcs11.CKF_RW_SESSION)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Login(sess, pkcs11.CKU_USER, "1234"); err != nil {
		t.Fatal(err)
	}
	for i, leaf := range []*testpki.Leaf{one, two} {
		if _, err := p.CreateObject(sess, []*pkcs11.Attribute{
			pkcs11.NewAttribute(pkcs11.CKA_CLASS, pkcs11.CKO_CERTIFICATE),
			pkcs11.NewAttribute(pkcs11.CKA_CERTIFICATE_TYPE, pkcs11.CKC_X_509),
			pkcs11.NewAttribute(pkcs11.CKA_TOKEN, true),
			pkcs11.NewAttribute(pkcs11.CKA_PRIVATE, false),
			pkcs11.NewAttribute(pkcs11.CKA_LABEL, leaf.Cert.Subject.CommonName),
			pkcs11.NewAttribute(pkcs11.CKA_ID, []byte{byte(i + 1)}),
			pkcs11.NewAttribute(pkcs11.CKA_SUBJECT, leaf.Cert.RawSubject),
			pkcs11.NewAttribute(pkcs11.CKA_ISSUER, leaf.Cert.RawIssuer),
			pkcs11.NewAttribute(pkcs11.CKA_VALUE, leaf.Cert.Raw),
		}); err != nil {
			t.Fatal(err)
		}
	}
	_ = p.CloseSession(sess)
	_ = p.Finalize()
	p.Destroy()

	for _, tt := range []struct {
		name, path string
		count      int
		want       []string
	}{
		{"whole token", "token=rcd", 2, []string{"Matching identities\n", "\tSubject: CN=one\n", "\tSubject: CN=two\n",
			";id=%01;object=one;type=cert\n", ";id=%02;object=two;type=cert\n"}},
		{"one object", "token=rcd;object=two", 1, []string{"Matching identities\n1) Hex Fingerprint: ", "\tSubject: CN=two\n", ";id=%02;object=two;type=cert\n\n"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			env, stdout, stderr := helperEnv(nil, time.Now(), "")
			if code := helperRun(context.Background(), env, "read-certificate-data", "--certificate", "pkcs11:"+tt.path, "--pkcs11-lib", module); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stdout.String(), w) {
					t.Errorf("output lacks %q:\n%s", w, stdout)
				}
			}
			if n := strings.Count(stdout.String(), "Hex Fingerprint"); n != tt.count {
				t.Errorf("%d identities listed, want %d:\n%s", n, tt.count, stdout)
			}
		})
	}
}
