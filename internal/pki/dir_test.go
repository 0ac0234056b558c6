package pki_test

import (
	"errors"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/pki"
	"github.com/roam-dev/roam/internal/testpki"
)

func initDir(t *testing.T, path string, opts pki.InitOptions) *pki.Dir {
	t.Helper()
	if opts.KeyType == "" {
		opts.KeyType = pki.ECP256
	}
	if opts.CA.Lifetime == 0 {
		opts.CA.Lifetime = 365 * 24 * time.Hour
	}
	if len(opts.CA.Subject.Names) == 0 {
		opts.CA.Subject = mustSubject(t, "CN="+filepath.Base(path))
	}
	d, err := pki.InitDir(path, now, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func fileMode(t *testing.T, name string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

func TestInitDirRoot(t *testing.T) {
	path := filepath.Join(t.TempDir(), "root")
	d := initDir(t, path, pki.InitOptions{})
	if got := fileMode(t, filepath.Join(path, pki.KeyFile)); got != 0o600 {
		t.Errorf("ca.key mode %v, want 0600", got)
	}
	if got := fileMode(t, path); got&0o077 != 0 {
		t.Errorf("directory mode %v is open to others", got)
	}
	if _, err := os.Stat(filepath.Join(path, pki.ChainFile)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("a root has a chain.pem: %v", err)
	}
	revs, err := d.Revocations()
	if err != nil || len(revs) != 0 {
		t.Errorf("Revocations = %v, %v", revs, err)
	}
	loaded, err := pki.LoadDir(path)
	if err != nil {
		t.Fatal(err)
	}
	if !loaded.CA.Cert.Equal(d.CA.Cert) || !publicKeysEqual(loaded.CA.Key.Public(), d.CA.Key.Public()) {
		t.Error("LoadDir does not give back what InitDir wrote")
	}
	entries, _ := os.ReadDir(path)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}

	t.Run("error/exists", func(t *testing.T) {
		_, err := pki.InitDir(path, now, pki.InitOptions{KeyType: pki.ECP256, CA: pki.CAOptions{Subject: mustSubject(t, "CN=x"), Lifetime: time.Hour}})
		if !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), filepath.Join(path, pki.KeyFile)+" already exists") {
			t.Fatalf("error = %v, want ca.key already exists", err)
		}
		again, err := pki.LoadDir(path)
		if err != nil || !again.CA.Cert.Equal(d.CA.Cert) {
			t.Fatal("a refused InitDir changed the directory")
		}
	})
	t.Run("ok/force", func(t *testing.T) {
		if _, err := d.Revoke(now, big.NewInt(5), pki.Superseded); err != nil {
			t.Fatal(err)
		}
		replaced := initDir(t, path, pki.InitOptions{Force: true})
		if replaced.CA.Cert.Equal(d.CA.Cert) {
			t.Fatal("--force did not replace the CA")
		}
		if got := fileMode(t, filepath.Join(path, pki.KeyFile)); got != 0o600 {
			t.Errorf("replaced ca.key mode %v, want 0600", got)
		}
		if revs, _ := replaced.Revocations(); len(revs) != 0 {
			t.Errorf("the new CA inherited %d revocations", len(revs))
		}
	})
}

func TestInitDirIntermediate(t *testing.T) {
	base := t.TempDir()
	root := initDir(t, filepath.Join(base, "root"), pki.InitOptions{})
	inter := initDir(t, filepath.Join(base, "inter"), pki.InitOptions{Parent: root.CA, CA: pki.CAOptions{PathLen: ptr(1)}})
	inter2 := initDir(t, filepath.Join(base, "inter2"), pki.InitOptions{Parent: inter.CA})

	data, err := os.ReadFile(filepath.Join(base, "inter2", pki.ChainFile))
	if err != nil {
		t.Fatal(err)
	}
	chain, err := pki.ParseCertificatesPEM(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 2 || !chain[0].Equal(inter2.CA.Cert) || !chain[1].Equal(inter.CA.Cert) {
		t.Fatalf("chain.pem holds %d certificates, want inter2 then inter", len(chain))
	}
	loaded, err := pki.LoadDir(filepath.Join(base, "inter2"))
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded.CA.Chain) != 1 || !loaded.CA.Chain[0].Equal(inter.CA.Cert) {
		t.Errorf("loaded chain has %d certificates, want inter", len(loaded.CA.Chain))
	}
	leaf, err := loaded.CA.IssueClient(now, testpki.Key(t, testpki.ECP256).Public(), pki.ClientOptions{Subject: mustSubject(t, "CN=leaf"), Lifetime: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	verify(t, leaf, root.CA, loaded.CA.Intermediates())

	// A chain.pem that also carries the root loads with the root dropped.
	withRoot := append(data, pki.EncodeCertificates(root.CA.Cert)...)
	if err := os.WriteFile(filepath.Join(base, "inter2", pki.ChainFile), withRoot, 0o644); err != nil {
		t.Fatal(err)
	}
	loaded, err = pki.LoadDir(filepath.Join(base, "inter2"))
	if err != nil || len(loaded.CA.Intermediates()) != 2 {
		t.Errorf("chain.pem with the root: %v", err)
	}
}

func TestLoadDirErrors(t *testing.T) {
	base := t.TempDir()
	a := initDir(t, filepath.Join(base, "a"), pki.InitOptions{})
	b := initDir(t, filepath.Join(base, "b"), pki.InitOptions{})
	keyA, _ := os.ReadFile(filepath.Join(a.Path, pki.KeyFile))
	certA, _ := os.ReadFile(filepath.Join(a.Path, pki.CertFile))
	certB, _ := os.ReadFile(filepath.Join(b.Path, pki.CertFile))
	leafPEM := testpki.PEM(testpki.NewCA(t).Leaf(t).Cert)

	tests := []struct {
		name    string
		files   map[string][]byte
		wantErr string
	}{
		{"error/empty directory", nil, "no CA in"},
		{"error/no certificate", map[string][]byte{pki.KeyFile: keyA}, "no CA in"},
		{"error/key of another CA", map[string][]byte{pki.KeyFile: keyA, pki.CertFile: certB}, "does not belong"},
		{"error/two certificates", map[string][]byte{pki.KeyFile: keyA, pki.CertFile: append(append([]byte{}, certA...), certB...)}, "holds 2 certificates"},
		{"error/chain not starting with ca.pem", map[string][]byte{pki.KeyFile: keyA, pki.CertFile: certA, pki.ChainFile: certB}, "does not start with the certificate"},
		{"error/bad key", map[string][]byte{pki.KeyFile: []byte("nope"), pki.CertFile: certA}, "no PEM private key found"},
		{"error/not a CA", map[string][]byte{pki.KeyFile: keyA, pki.CertFile: leafPEM}, "not a CA certificate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, data := range tt.files {
				if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			_, err := pki.LoadDir(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestDirRevokeAndCRL(t *testing.T) {
	d := initDir(t, filepath.Join(t.TempDir(), "ca"), pki.InitOptions{})
	first, err := d.Revoke(now, big.NewInt(0xABCD), pki.KeyCompromise)
	if err != nil {
		t.Fatal(err)
	}
	if !first.RevokedAt.Equal(now.Truncate(time.Second)) {
		t.Errorf("RevokedAt %v", first.RevokedAt)
	}
	_, err = d.Revoke(now.Add(time.Hour), big.NewInt(0xABCD), pki.Superseded)
	if !errors.Is(err, pki.ErrAlreadyRevoked) || !strings.Contains(err.Error(), "serial ABCD was revoked at 2026-03-01T12:00:00Z (reason keyCompromise)") {
		t.Fatalf("second revocation: %v", err)
	}
	if _, err := d.Revoke(now, big.NewInt(0), pki.Unspecified); err == nil {
		t.Error("serial 0 was accepted")
	}
	if _, err := d.Revoke(now.Add(time.Minute), big.NewInt(42), pki.CessationOfOperation); err != nil {
		t.Fatal(err)
	}

	// A second process sees the record.
	loaded, err := pki.LoadDir(d.Path)
	if err != nil {
		t.Fatal(err)
	}
	revs, err := loaded.Revocations()
	if err != nil || len(revs) != 2 || revs[0].Serial.Int64() != 0xABCD || revs[1].Reason != pki.CessationOfOperation {
		t.Fatalf("Revocations = %v, %v", revs, err)
	}

	for i, wantNumber := range []int64{1, 2, 3} {
		crl, err := loaded.CRL(now.Add(time.Duration(i)*time.Hour), 7*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		if crl.Number.Int64() != wantNumber {
			t.Errorf("CRL %d has number %v, want %d", i, crl.Number, wantNumber)
		}
		if len(crl.RevokedCertificateEntries) != 2 {
			t.Errorf("CRL lists %d serials, want 2", len(crl.RevokedCertificateEntries))
		}
		if err := crl.CheckSignatureFrom(d.CA.Cert); err != nil {
			t.Error(err)
		}
	}
	if got, _ := os.ReadFile(filepath.Join(d.Path, pki.CRLNumberFile)); string(got) != "04\n" {
		t.Errorf("crlnumber = %q, want the next number, 04", got)
	}
}

func TestDirCorruptFiles(t *testing.T) {
	tests := []struct {
		name, file, content, wantErr string
		op                           func(d *pki.Dir) error
	}{
		{"error/bad crlnumber", pki.CRLNumberFile, "zz\n", `"zz" is not a hex CRL number`,
			func(d *pki.Dir) error { _, err := d.CRL(now, time.Hour); return err }},
		{"error/revoked.json unknown field", pki.RevokedFile, `{"revoked":[],"extra":1}`, `unknown field "extra"`,
			func(d *pki.Dir) error { _, err := d.Revocations(); return err }},
		{"error/revoked.json bad serial", pki.RevokedFile, `{"revoked":[{"serial":"xyz","revoked_at":"2026-01-01T00:00:00Z","reason":"superseded"}]}`, `entry 1: bad serial "xyz"`,
			func(d *pki.Dir) error { _, err := d.Revocations(); return err }},
		{"error/revoked.json bad reason", pki.RevokedFile, `{"revoked":[{"serial":"01","revoked_at":"2026-01-01T00:00:00Z","reason":"bored"}]}`, `unknown revocation reason "bored"`,
			func(d *pki.Dir) error { _, err := d.Revoke(now, big.NewInt(2), pki.Unspecified); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := initDir(t, filepath.Join(t.TempDir(), "ca"), pki.InitOptions{})
			if err := os.WriteFile(filepath.Join(d.Path, tt.file), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := tt.op(d); err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tt.wantErr)
			}
		})
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "secret.key")
	if err := pki.WriteFile(name, []byte("one"), 0o600, false); err != nil {
		t.Fatal(err)
	}
	if got := fileMode(t, name); got != 0o600 {
		t.Errorf("mode %v, want 0600", got)
	}
	err := pki.WriteFile(name, []byte("two"), 0o600, false)
	if !errors.Is(err, fs.ErrExist) || err.Error() != name+" already exists" {
		t.Errorf("no-replace error = %v", err)
	}
	if got, _ := os.ReadFile(name); string(got) != "one" {
		t.Errorf("content %q after a refused write", got)
	}
	// Replacing takes the new mode, whatever the old file had.
	if err := os.Chmod(name, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := pki.WriteFile(name, []byte("three"), 0o600, true); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(name); string(got) != "three" {
		t.Errorf("content %q after replacing", got)
	}
	if got := fileMode(t, name); got != 0o600 {
		t.Errorf("replaced mode %v, want 0600", got)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory, want 1 (no temporary files left)", len(entries))
	}
	if err := pki.WriteFile(filepath.Join(dir, "missing", "x"), nil, 0o600, false); err == nil {
		t.Error("writing into a missing directory succeeded")
	}
}
