package helper

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// TestCertificateDataVector: the JSON is the official helper's, byte for
// byte.
func TestCertificateDataVector(t *testing.T) {
	root := testenv.Vectors(t)
	id := openVectorKey(t, filepath.Join(root, "rsa2048"))
	d, err := NewCertificateData(id.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	want := readVectorFile(t, filepath.Join(root, "read-certificate-data-file.json"))
	if got := d.MarshalCompact(); !bytes.Equal(got, want) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}

func TestCertificateDataKeyTypes(t *testing.T) {
	ca := testpki.NewCA(t)
	ec := ca.Leaf(t, testpki.WithKeyType(testpki.ECP384), testpki.WithSerial(big.NewInt(4242)))
	d, err := NewCertificateData(ec.Cert)
	if err != nil {
		t.Fatal(err)
	}
	if d.KeyType != "EC" || d.SerialNumber != "4242" || strings.Join(d.SupportedAlgorithms, ",") != "ECSHA256,ECSHA384,ECSHA512" {
		t.Fatalf("%+v", d)
	}

	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	ed := ca.Leaf(t, testpki.WithKey(edKey))
	if _, err := NewCertificateData(ed.Cert); err == nil || !strings.Contains(err.Error(), "accepts RSA, ECDSA and ML-DSA") {
		t.Fatalf("Ed25519: error %v", err)
	}

	dir := filepath.Join(testenv.SharedDir(t), "testdata", "signing-helper-vectors", "mldsa65")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("ML-DSA fixture absent: %v", err)
	}
	ml, err := NewCertificateData(openVectorKey(t, dir).Certificate)
	if err != nil {
		t.Fatal(err)
	}
	if ml.KeyType != "ML-DSA-65" || strings.Join(ml.SupportedAlgorithms, ",") != "ML-DSA-65" {
		t.Fatalf("ML-DSA: %+v", ml)
	}
}

func TestWriteIdentityList(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Leaf(t, testpki.WithCN("client"), testpki.WithSerial(big.NewInt(0xABCDEF)))
	var b bytes.Buffer
	if err := WriteIdentityList(&b, []IdentityEntry{{Certificate: leaf.Cert, URI: "pkcs11:object=x"}}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Matching identities\n1) Hex Fingerprint: ", "\tSubject: CN=client\n", "\tSerial Number: ABCDEF\n", "\tURI: pkcs11:object=x\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("listing lacks %q:\n%s", want, b.String())
		}
	}
	b.Reset()
	_ = WriteIdentityList(&b, nil)
	if b.String() != "No matching identities\n" {
		t.Errorf("empty listing %q", b.String())
	}
}
