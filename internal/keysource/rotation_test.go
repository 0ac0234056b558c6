package keysource_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/roam-dev/roam/internal/keysource"
	"github.com/roam-dev/roam/internal/testpki"
)

// generation is one issue of a client's credentials: what a rotation
// writes.
type generation struct {
	leaf  *testpki.Leaf
	chain []*x509.Certificate
}

func newGeneration(t testing.TB, kt testpki.KeyType, withChain bool) generation {
	t.Helper()
	p := newChainPKI(t, kt)
	g := generation{leaf: p.leaf}
	if withChain {
		g.chain = []*x509.Certificate{p.inter.Cert}
	}
	return g
}

// backdate sets the modification time of paths an hour back, as for files
// written well before they are read, so that a Source trusts their stamps.
func backdate(t testing.TB, paths ...string) {
	t.Helper()
	past := time.Now().Add(-time.Hour)
	for _, p := range paths {
		if err := os.Chtimes(p, past, past); err != nil {
			t.Fatal(err)
		}
	}
}

// replaceFile writes data to path the way certificate managers do: into a
// temporary file in the same directory, renamed over path.
func replaceFile(t testing.TB, path string, data []byte) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestRotation(t *testing.T) {
	type files struct{ cert, key, chain string }
	cases := map[string]struct {
		first, second generation
		write         func(t *testing.T, f files, g generation)
	}{
		"in-place/ec-to-rsa": {
			first:  newGeneration(t, testpki.ECP256, true),
			second: newGeneration(t, testpki.RSA2048, true),
			write: func(t *testing.T, f files, g generation) {
				writeFile(t, filepath.Dir(f.cert), filepath.Base(f.cert), testpki.PEM(g.leaf.Cert))
				writeFile(t, filepath.Dir(f.key), filepath.Base(f.key), testpki.KeyPEM(t, g.leaf.Key))
				writeFile(t, filepath.Dir(f.chain), filepath.Base(f.chain), testpki.PEM(g.chain...))
			},
		},
		"rename/rsa-to-ec": {
			first:  newGeneration(t, testpki.RSA2048, true),
			second: newGeneration(t, testpki.ECP384, true),
			write: func(t *testing.T, f files, g generation) {
				replaceFile(t, f.cert, testpki.PEM(g.leaf.Cert))
				replaceFile(t, f.key, pkcs1OrSEC1(t, g.leaf.Key))
				replaceFile(t, f.chain, testpki.PEM(g.chain...))
			},
		},
		"rename/only-intermediates": {
			first: newGeneration(t, testpki.ECP256, true),
			write: func(t *testing.T, f files, g generation) {
				replaceFile(t, f.chain, testpki.PEM(g.chain[0], g.chain[0]))
			},
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			g1 := c.first
			f := files{
				cert:  writeFile(t, dir, "cert.pem", testpki.PEM(g1.leaf.Cert)),
				key:   writeFile(t, dir, "key.pem", testpki.KeyPEM(t, g1.leaf.Key)),
				chain: writeFile(t, dir, "chain.pem", testpki.PEM(g1.chain...)),
			}
			backdate(t, f.cert, f.key, f.chain)
			src := mustOpen(t, keysource.Options{Certificate: f.cert, PrivateKey: f.key, Intermediates: f.chain})
			checkIdentity(t, src, g1.leaf.Cert, g1.chain)

			g2 := c.second
			if g2.leaf == nil { // the same leaf, a longer chain
				g2 = generation{leaf: g1.leaf, chain: []*x509.Certificate{g1.chain[0], g1.chain[0]}}
			}
			c.write(t, f, g2)
			checkIdentity(t, src, g2.leaf.Cert, g2.chain)
			if !publicKeysEqual(src.Public(), g2.leaf.Key.Public()) {
				t.Fatal("Public is not the rotated key")
			}
		})
	}
}

// pkcs1OrSEC1 encodes a key in its algorithm's traditional PEM form, so
// that a rotation can also change the file's format.
func pkcs1OrSEC1(t testing.TB, k crypto.Signer) []byte {
	if _, ok := k.(*rsa.PrivateKey); ok {
		return pkcs1PEM(k)
	}
	return sec1PEM(t, k)
}

func publicKeysEqual(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

func TestRotationPKCS12(t *testing.T) {
	dir := t.TempDir()
	encode := func(g generation) []byte {
		der, err := pkcs12.Modern.Encode(g.leaf.Key, g.leaf.Cert, g.chain, "")
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	g1, g2 := newGeneration(t, testpki.ECP256, true), newGeneration(t, testpki.RSA2048, true)
	p12 := writeFile(t, dir, "client.p12", encode(g1))
	backdate(t, p12)
	src := mustOpen(t, keysource.Options{Certificate: p12})
	checkIdentity(t, src, g1.leaf.Cert, g1.chain)
	replaceFile(t, p12, encode(g2))
	checkIdentity(t, src, g2.leaf.Cert, g2.chain)
}

// TestRotationKubernetesSecret rotates the way a Kubernetes secret volume
// does: the files are symbolic links through "..data", which is switched
// atomically to a new directory.
func TestRotationKubernetesSecret(t *testing.T) {
	dir := t.TempDir()
	publish := func(version string, g generation) {
		v := filepath.Join(dir, version)
		if err := os.Mkdir(v, 0o700); err != nil {
			t.Fatal(err)
		}
		writeFile(t, v, "tls.crt", testpki.PEM(g.leaf.Cert))
		writeFile(t, v, "tls.key", testpki.KeyPEM(t, g.leaf.Key))
		backdate(t, filepath.Join(v, "tls.crt"), filepath.Join(v, "tls.key"))
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(version, tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	g1, g2 := newGeneration(t, testpki.ECP256, false), newGeneration(t, testpki.ECP256, false)
	publish("..v1", g1)
	for _, f := range []string{"tls.crt", "tls.key"} {
		if err := os.Symlink(filepath.Join("..data", f), filepath.Join(dir, f)); err != nil {
			t.Fatal(err)
		}
	}
	src := mustOpen(t, keysource.Options{Certificate: filepath.Join(dir, "tls.crt"), PrivateKey: filepath.Join(dir, "tls.key")})
	checkIdentity(t, src, g1.leaf.Cert, nil)
	// The new files are backdated too: what changes is the file the links
	// lead to.
	publish("..v2", g2)
	checkIdentity(t, src, g2.leaf.Cert, nil)
}

// TestRotationHalfDone covers a rotation caught between writing the
// certificate and writing the key: the mismatch is reported (not cached),
// Public keeps the last good key, and the next access after the key
// arrives succeeds.
func TestRotationHalfDone(t *testing.T) {
	dir := t.TempDir()
	g1, g2 := newGeneration(t, testpki.ECP256, false), newGeneration(t, testpki.ECP256, false)
	cert := writeFile(t, dir, "cert.pem", testpki.PEM(g1.leaf.Cert))
	key := writeFile(t, dir, "key.pem", testpki.KeyPEM(t, g1.leaf.Key))
	src := mustOpen(t, keysource.Options{Certificate: cert, PrivateKey: key})

	replaceFile(t, cert, testpki.PEM(g2.leaf.Cert))
	if _, err := src.Certificate(); !errors.Is(err, keysource.ErrKeyMismatch) {
		t.Fatalf("Certificate with the new certificate and the old key: %v", err)
	}
	if _, err := src.Sign(rand.Reader, make([]byte, 32), crypto.SHA256); !errors.Is(err, keysource.ErrKeyMismatch) {
		t.Fatalf("Sign with the new certificate and the old key: %v", err)
	}
	if !publicKeysEqual(src.Public(), g1.leaf.Key.Public()) {
		t.Fatal("Public is not the last good key")
	}
	if _, err := keysource.Snapshot(src); !errors.Is(err, keysource.ErrKeyMismatch) {
		t.Fatalf("Snapshot: %v", err)
	}

	if err := os.Remove(key); err != nil {
		t.Fatal(err)
	}
	if _, err := src.Certificate(); !errors.Is(err, keysource.ErrPrivateKey) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Certificate with the key file missing: %v", err)
	}

	replaceFile(t, key, testpki.KeyPEM(t, g2.leaf.Key))
	checkIdentity(t, src, g2.leaf.Cert, nil)
}

// TestReloadIsCheapWhenUnchanged checks that nothing is parsed again while
// the files are unchanged, nor when they are only touched.
func TestReloadIsCheapWhenUnchanged(t *testing.T) {
	dir := t.TempDir()
	g := newGeneration(t, testpki.RSA2048, false)
	const password = "pw"
	cert := writeFile(t, dir, "cert.pem", testpki.PEM(g.leaf.Cert))
	key := writeFile(t, dir, "key.pem", pemBlock("ENCRYPTED PRIVATE KEY", encryptPKCS8(t, pkcs8DER(t, g.leaf.Key), password)))
	backdate(t, cert, key)
	src := mustOpen(t, keysource.Options{Certificate: cert, PrivateKey: key, PKCS8Password: password})
	first, err := src.Certificate()
	if err != nil {
		t.Fatal(err)
	}
	same := func(when string) {
		t.Helper()
		c, err := src.Certificate()
		if err != nil {
			t.Fatal(err)
		}
		if c != first {
			t.Fatalf("%s: the certificate was parsed again", when)
		}
	}
	same("unchanged")
	now := time.Now()
	for _, p := range []string{cert, key} {
		if err := os.Chtimes(p, now, now); err != nil {
			t.Fatal(err)
		}
	}
	same("touched")
	same("touched, recently") // recent stamps are not trusted, but the bytes are compared
}

// TestRotationSameSizeSameTick rewrites a file in place with another of
// the same size and the same modification time, as happens when two writes
// land in one file-system clock tick. A file modified that recently is
// never trusted to be unchanged, so the rewrite is seen.
func TestRotationSameSizeSameTick(t *testing.T) {
	dir := t.TempDir()
	ca := testpki.NewCA(t)
	key := testpki.Key(t, testpki.ECP256)
	padded := func(c *x509.Certificate) []byte {
		b := testpki.PEM(c)
		return append(b, bytes.Repeat([]byte("\n"), 2048-len(b))...)
	}
	c1, c2 := ca.Leaf(t, testpki.WithKey(key)), ca.Leaf(t, testpki.WithKey(key))
	cert := writeFile(t, dir, "cert.pem", padded(c1.Cert))
	fi, err := os.Stat(cert)
	if err != nil {
		t.Fatal(err)
	}
	src := mustOpen(t, keysource.Options{Certificate: cert, PrivateKey: writeFile(t, dir, "key.pem", testpki.KeyPEM(t, key))})
	checkIdentity(t, src, c1.Cert, nil)

	writeFile(t, dir, "cert.pem", padded(c2.Cert))
	if err := os.Chtimes(cert, fi.ModTime(), fi.ModTime()); err != nil {
		t.Fatal(err)
	}
	checkIdentity(t, src, c2.Cert, nil)
}

// TestRotationConcurrent signs from many goroutines while the files are
// rotated underneath them. Every identity a Snapshot returns must be
// consistent: its signature verifies with its certificate. Errors are
// allowed only while a rotation is half done.
func TestRotationConcurrent(t *testing.T) {
	dir := t.TempDir()
	gens := []generation{
		newGeneration(t, testpki.ECP256, false),
		newGeneration(t, testpki.RSA2048, false),
		newGeneration(t, testpki.ECP384, false),
	}
	cert := writeFile(t, dir, "cert.pem", testpki.PEM(gens[0].leaf.Cert))
	key := writeFile(t, dir, "key.pem", testpki.KeyPEM(t, gens[0].leaf.Key))
	src := mustOpen(t, keysource.Options{Certificate: cert, PrivateKey: key})

	var stop atomic.Bool
	var signed atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				id, err := keysource.Snapshot(src)
				if err != nil {
					if !errors.Is(err, keysource.ErrKeyMismatch) {
						t.Errorf("Snapshot: %v", err)
						return
					}
					continue
				}
				digest := sha256.Sum256(message)
				sig, err := id.Signer.Sign(rand.Reader, digest[:], crypto.SHA256)
				if err != nil {
					t.Errorf("Sign: %v", err)
					return
				}
				if !verifies(id.Certificate.PublicKey, digest[:], sig) {
					t.Errorf("a signature does not verify with the certificate of its snapshot")
					return
				}
				signed.Add(1)
			}
		}()
	}
	for i := 1; i <= 30; i++ {
		g := gens[i%len(gens)]
		replaceFile(t, cert, testpki.PEM(g.leaf.Cert))
		replaceFile(t, key, testpki.KeyPEM(t, g.leaf.Key))
		time.Sleep(2 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if signed.Load() == 0 {
		t.Fatal("nothing was signed")
	}
	checkIdentity(t, src, gens[30%len(gens)].leaf.Cert, nil)
}

func verifies(pub crypto.PublicKey, digest, sig []byte) bool {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig) == nil
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, digest, sig)
	}
	return false
}

func TestSnapshot(t *testing.T) {
	dir := t.TempDir()
	g := newGeneration(t, testpki.ECP256, true)
	src := mustOpen(t, keysource.Options{
		Certificate:   writeFile(t, dir, "cert.pem", testpki.PEM(g.leaf.Cert)),
		PrivateKey:    writeFile(t, dir, "key.pem", testpki.KeyPEM(t, g.leaf.Key)),
		Intermediates: writeFile(t, dir, "chain.pem", testpki.PEM(g.chain...)),
	})
	id, err := keysource.Snapshot(src)
	if err != nil {
		t.Fatal(err)
	}
	if !id.Certificate.Equal(g.leaf.Cert) || len(id.Chain) != 1 || !id.Chain[0].Equal(g.chain[0]) {
		t.Fatal("Snapshot returned the wrong certificates")
	}
	id.Chain[0] = nil // the slice is the caller's
	if chain, err := src.Chain(); err != nil || chain[0] == nil {
		t.Fatalf("Chain after modifying a snapshot's: %v, %v", chain, err)
	}
	digest := sha256.Sum256(message)
	sig, err := id.Signer.Sign(rand.Reader, digest[:], crypto.SHA256)
	if err != nil || !verifies(g.leaf.Cert.PublicKey, digest[:], sig) {
		t.Fatalf("snapshot signer: %v", err)
	}

	// A Source that is not a Snapshotter signs as itself.
	plain := struct{ keysource.Source }{src}
	id, err = keysource.Snapshot(plain)
	if err != nil {
		t.Fatal(err)
	}
	if id.Signer != crypto.Signer(plain) || !id.Certificate.Equal(g.leaf.Cert) || len(id.Chain) != 1 {
		t.Fatal("Snapshot of a plain Source")
	}
}
