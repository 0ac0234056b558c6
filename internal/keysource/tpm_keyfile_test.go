package keysource

// Tests of the TSS2 key file parser, handle parsing, device selection and
// the ECDSA digest preparation: everything of the TPM backend that needs
// no TPM.

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-tpm/tpm2"

	"github.com/roam-dev/roam/internal/testpki"
)

// tss2File is the ASN.1 of a TSS2 PRIVATE KEY, for writing test files.
type tss2File struct {
	Type      asn1.ObjectIdentifier
	EmptyAuth bool   `asn1:"optional,explicit,tag:0"`
	Desc      string `asn1:"optional,explicit,tag:4,utf8"`
	RSAParent bool   `asn1:"optional,explicit,tag:5"`
	Parent    int64
	Pubkey    []byte
	Privkey   []byte
}

// tss2PEM encodes a key file; pub and priv are TPM2B_PUBLIC and
// TPM2B_PRIVATE with their size fields.
func tss2PEM(t testing.TB, f tss2File) []byte {
	t.Helper()
	if f.Type == nil {
		f.Type = oidTSS2LoadableKey
	}
	der, err := asn1.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemTSS2, Bytes: der})
}

// eccPublicArea is the TPM2B_PUBLIC of a P-256 signing key, built from a
// Go key, for parser tests.
func eccPublicArea(t testing.TB) []byte {
	t.Helper()
	k := testpki.Key(t, testpki.ECP256).(*ecdsa.PrivateKey)
	point, err := k.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	pub := signingTemplate(tpm2.TPMAlgECC, tpm2.TPMECCNistP256, true)
	pub.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{
		X: tpm2.TPM2BECCParameter{Buffer: point[1:33]},
		Y: tpm2.TPM2BECCParameter{Buffer: point[33:]},
	})
	return tpm2.Marshal(tpm2.New2B(pub))
}

// signingTemplate is the public template of an unrestricted signing key
// without a fixed scheme.
func signingTemplate(typ tpm2.TPMAlgID, curve tpm2.TPMECCCurve, noDA bool) tpm2.TPMTPublic {
	attrs := tpm2.TPMAObject{FixedTPM: true, FixedParent: true, SensitiveDataOrigin: true, UserWithAuth: true,
		SignEncrypt: true, NoDA: noDA}
	if typ == tpm2.TPMAlgRSA {
		return tpm2.TPMTPublic{
			Type: tpm2.TPMAlgRSA, NameAlg: tpm2.TPMAlgSHA256, ObjectAttributes: attrs,
			Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgRSA, &tpm2.TPMSRSAParms{
				Symmetric: tpm2.TPMTSymDefObject{Algorithm: tpm2.TPMAlgNull},
				Scheme:    tpm2.TPMTRSAScheme{Scheme: tpm2.TPMAlgNull},
				KeyBits:   2048,
			}),
			Unique: tpm2.NewTPMUPublicID(tpm2.TPMAlgRSA, &tpm2.TPM2BPublicKeyRSA{}),
		}
	}
	return tpm2.TPMTPublic{
		Type: tpm2.TPMAlgECC, NameAlg: tpm2.TPMAlgSHA256, ObjectAttributes: attrs,
		Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{
			Symmetric: tpm2.TPMTSymDefObject{Algorithm: tpm2.TPMAlgNull},
			Scheme:    tpm2.TPMTECCScheme{Scheme: tpm2.TPMAlgNull},
			CurveID:   curve,
			KDF:       tpm2.TPMTKDFScheme{Scheme: tpm2.TPMAlgNull},
		}),
		Unique: tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{}),
	}
}

func TestParseTSS2Key(t *testing.T) {
	pub := eccPublicArea(t)
	priv := append([]byte{0, 4}, 1, 2, 3, 4)
	valid := tss2File{EmptyAuth: true, Parent: 0x40000001, Pubkey: pub, Privkey: priv}
	der := func(f tss2File) []byte {
		if f.Type == nil {
			f.Type = oidTSS2LoadableKey
		}
		b, err := asn1.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}

	k, err := parseTSS2Key(der(valid))
	if err != nil {
		t.Fatal(err)
	}
	if !k.emptyAuth || k.rsaParent || k.parent != tpmRHOwner || !bytes.Equal(k.public, pub[2:]) || !bytes.Equal(k.private, priv[2:]) {
		t.Fatalf("parsed %+v", k)
	}
	if _, err := tpmPublicKey(k.pubArea); err != nil {
		t.Fatalf("tpmPublicKey: %v", err)
	}

	// Encoder quirks that are accepted.
	t.Run("bool-0x01", func(t *testing.T) {
		b := der(valid)
		i := bytes.Index(b, []byte{0xa0, 0x03, 0x01, 0x01, 0xff})
		b[i+4] = 0x01
		k, err := parseTSS2Key(b)
		if err != nil || !k.emptyAuth {
			t.Fatalf("emptyAuth 0x01: %+v, %v", k, err)
		}
	})
	t.Run("negative-parent", func(t *testing.T) {
		f := valid
		f.Parent = int64(int32(-0x7effffff)) // 0x81000001 as a signed 32-bit value
		k, err := parseTSS2Key(der(f))
		if err != nil || k.parent != 0x81000001 {
			t.Fatalf("negative parent: %+v, %v", k, err)
		}
	})
	t.Run("description-and-rsa-parent", func(t *testing.T) {
		f := valid
		f.Desc, f.RSAParent, f.EmptyAuth = "my key", true, false
		k, err := parseTSS2Key(der(f))
		if err != nil || !k.rsaParent || k.emptyAuth {
			t.Fatalf("%+v, %v", k, err)
		}
	})
	for _, parent := range []int64{0x81000001, 0x40000007, 0x4000000B, 0x4000000C} {
		f := valid
		f.Parent = parent
		if k, err := parseTSS2Key(der(f)); err != nil || int64(k.parent) != parent {
			t.Errorf("parent 0x%x: %v", parent, err)
		}
	}

	withField := func(tag int, content []byte) []byte {
		b := der(valid)
		// Insert [tag] EXPLICIT content after the OID and [0].
		field := append([]byte{0xa0 | byte(tag), byte(len(content))}, content...)
		i := bytes.Index(b, []byte{0xa0, 0x03, 0x01, 0x01, 0xff}) + 5
		out := append(append(append([]byte{}, b[2:i]...), field...), b[i:]...)
		return append([]byte{0x30, byte(len(out))}, out...)
	}
	errCases := map[string]struct {
		der  []byte
		want string
	}{
		"not-der":     {[]byte("hello"), "not a DER SEQUENCE"},
		"trailing":    {append(der(valid), 0), "trailing data after the key"},
		"importable":  {der(tss2File{Type: oidTSS2ImportableKey, Parent: 0x40000001, Pubkey: pub, Privkey: priv}), "importable keys (2.23.133.10.1.4) are not supported"},
		"sealed":      {der(tss2File{Type: oidTSS2SealedData, Parent: 0x40000001, Pubkey: pub, Privkey: priv}), "sealed data"},
		"other-oid":   {der(tss2File{Type: asn1.ObjectIdentifier{1, 2, 3}, Parent: 0x40000001, Pubkey: pub, Privkey: priv}), "invalid OID for TPMv2 key: 1.2.3"},
		"policy":      {withField(1, []byte{0x30, 0x00}), "TPMv2 policy not implemented yet"},
		"secret":      {withField(2, []byte{0x04, 0x00}), "TPMv2 key has 'secret' field which should not be set"},
		"auth-policy": {withField(3, []byte{0x30, 0x00}), "TPMv2 policy not implemented yet"},
		"bad-bool":    {withField(5, []byte{0x02, 0x01, 0x01}), "field [5] is not a BOOLEAN"},
		"unknown-tag": {withField(7, []byte{0x05, 0x00}), "unexpected field with tag 0xa7"},
		"lockout-parent": {der(tss2File{EmptyAuth: true, Parent: 0x4000000A, Pubkey: pub, Privkey: priv}),
			"invalid parent for TPMv2 key: 0x4000000a"},
		"huge-parent":  {der(tss2File{EmptyAuth: true, Parent: 1 << 40, Pubkey: pub, Privkey: priv}), "is not a TPM handle"},
		"bad-pub-size": {der(tss2File{EmptyAuth: true, Parent: 0x40000001, Pubkey: append([]byte{0, 9}, pub[2:]...), Privkey: priv}), "invalid length for TPMv2 PUBLIC blob"},
		"empty-priv":   {der(tss2File{EmptyAuth: true, Parent: 0x40000001, Pubkey: pub, Privkey: []byte{0, 0}}), "the TPMv2 PRIVATE blob is empty"},
		"bad-pub":      {der(tss2File{EmptyAuth: true, Parent: 0x40000001, Pubkey: []byte{0, 2, 0xff, 0xff}, Privkey: priv}), "the TPMv2 PUBLIC blob does not decode"},
	}
	for name, c := range errCases {
		t.Run(name, func(t *testing.T) {
			_, err := parseTSS2Key(c.der)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}

	t.Run("pem", func(t *testing.T) {
		data := append(testpki.PEM(testpki.NewCA(t).Cert), tss2PEM(t, valid)...)
		if _, err := parseTSS2PEM(data, "combo.pem"); err != nil {
			t.Fatal(err)
		}
		_, err := parseTSS2PEM(testpki.PEM(testpki.NewCA(t).Cert), "cert.pem")
		if !errors.Is(err, ErrTPMKey) || !strings.Contains(err.Error(), "cert.pem holds no TSS2 PRIVATE KEY PEM block") {
			t.Fatalf("err = %v", err)
		}
		_, err = parseTSS2PEM(pem.EncodeToMemory(&pem.Block{Type: pemTSS2, Bytes: []byte{0x30, 0}}), "k.pem")
		if !errors.Is(err, ErrTPMKey) || !strings.HasPrefix(err.Error(), "invalid TPM key: k.pem: ") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestTPMPublicKeyChecks(t *testing.T) {
	rsaKey := testpki.Key(t, testpki.RSA2048).(*rsa.PrivateKey)
	rsaPub := signingTemplate(tpm2.TPMAlgRSA, 0, true)
	rsaPub.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgRSA, &tpm2.TPM2BPublicKeyRSA{Buffer: rsaKey.N.Bytes()})
	if k, err := tpmPublicKey(&rsaPub); err != nil || !k.(*rsa.PublicKey).Equal(&rsaKey.PublicKey) {
		t.Fatalf("RSA public key: %v", err)
	}
	restricted := rsaPub
	restricted.ObjectAttributes.Restricted = true
	decrypt := rsaPub
	decrypt.ObjectAttributes.SignEncrypt = false
	pss := rsaPub
	pss.Parameters = tpm2.NewTPMUPublicParms(tpm2.TPMAlgRSA, &tpm2.TPMSRSAParms{
		Symmetric: tpm2.TPMTSymDefObject{Algorithm: tpm2.TPMAlgNull},
		Scheme: tpm2.TPMTRSAScheme{Scheme: tpm2.TPMAlgRSAPSS,
			Details: tpm2.NewTPMUAsymScheme(tpm2.TPMAlgRSAPSS, &tpm2.TPMSSigSchemeRSAPSS{HashAlg: tpm2.TPMAlgSHA256})},
		KeyBits: 2048,
	})
	offCurve := signingTemplate(tpm2.TPMAlgECC, tpm2.TPMECCNistP256, true)
	offCurve.Unique = tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{
		X: tpm2.TPM2BECCParameter{Buffer: []byte{1}}, Y: tpm2.TPM2BECCParameter{Buffer: []byte{2}}})
	for name, c := range map[string]struct {
		pub  tpm2.TPMTPublic
		want string
	}{
		"restricted": {restricted, "restricted signing key"},
		"decrypt":    {decrypt, "not a signing key"},
		"pss":        {pss, "only RSASSA (PKCS#1 v1.5) keys"},
		"off-curve":  {offCurve, "not on the curve"},
	} {
		if _, err := tpmPublicKey(&c.pub); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want %q", name, err, c.want)
		}
	}
}

func TestParseTPMHandle(t *testing.T) {
	for in, want := range map[string]uint32{
		"handle:0x81000001": 0x81000001,
		"handle:81000101":   0x81000101,
		"handle:0X81ABCDEF": 0x81abcdef,
	} {
		if got, err := parseTPMHandle(in); err != nil || got != want {
			t.Errorf("parseTPMHandle(%q) = %x, %v", in, got, err)
		}
	}
	for in, want := range map[string]string{
		"handle:":             "invalid hex TPM handle value",
		"handle:0x":           "invalid hex TPM handle value",
		"handle:xyz":          "invalid hex TPM handle value \"xyz\"",
		"handle:0x1810000001": "invalid hex TPM handle value",
		"handle:0x80000001":   "handle 0x80000001 is not a persistent handle (0x81000000-0x81ffffff)",
		"handle:0x40000001":   "is not a persistent handle",
		"0x81000001":          "does not begin with \"handle:\"",
	} {
		_, err := parseTPMHandle(in)
		if !errors.Is(err, ErrTPMKey) || !strings.Contains(err.Error(), want) {
			t.Errorf("parseTPMHandle(%q): err = %v, want %q", in, err, want)
		}
	}
}

func TestTPMECDSADigest(t *testing.T) {
	d32 := bytes.Repeat([]byte{0xaa}, 32)
	d48 := bytes.Repeat([]byte{0xbb}, 48)
	d64 := bytes.Repeat([]byte{0xcc}, 64)
	pad := func(d []byte, n int) []byte { return append(make([]byte, n-len(d)), d...) }
	cases := map[string]struct {
		digest    []byte
		curve     int
		fixed     tpm2.TPMIAlgHash
		wantAlg   tpm2.TPMIAlgHash
		wantInput []byte
	}{
		"p256/sha256": {d32, 32, 0, tpm2.TPMAlgSHA256, d32},
		"p256/sha384": {d48, 32, 0, tpm2.TPMAlgSHA256, d48[:32]},
		"p384/sha256": {d32, 48, 0, tpm2.TPMAlgSHA384, pad(d32, 48)},
		"p384/sha512": {d64, 48, 0, tpm2.TPMAlgSHA384, d64[:48]},
		"p521/sha256": {d32, 66, 0, tpm2.TPMAlgSHA512, pad(d32, 64)},
		"p521/sha512": {d64, 66, 0, tpm2.TPMAlgSHA512, d64},
		"fixed/pad":   {d32, 48, tpm2.TPMAlgSHA512, tpm2.TPMAlgSHA512, pad(d32, 64)},
		"fixed/trunc": {d64, 32, tpm2.TPMAlgSHA256, tpm2.TPMAlgSHA256, d64[:32]},
	}
	for name, c := range cases {
		alg, input, err := tpmECDSADigest(c.digest, c.curve, c.fixed)
		if err != nil || alg != c.wantAlg || !bytes.Equal(input, c.wantInput) {
			t.Errorf("%s: tpmECDSADigest = %v, %x, %v; want %v, %x", name, alg, input, err, c.wantAlg, c.wantInput)
		}
	}
	if _, _, err := tpmECDSADigest(d64, 48, tpm2.TPMAlgSHA256); err == nil {
		t.Error("a 64-byte digest was truncated to a fixed 32-byte hash for P-384")
	}
	if _, _, err := tpmECDSADigest(nil, 32, 0); err == nil {
		t.Error("an empty digest was accepted")
	}
}

func TestTPMDeviceFrom(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == EnvTPMDevice {
				return v
			}
			return ""
		}
	}
	for v, want := range map[string]tpmDevice{
		"/dev/tpmrm0":          {address: "/dev/tpmrm0", fromEnv: true},
		"/run/swtpm/sock":      {address: "/run/swtpm/sock", fromEnv: true},
		"unix:/run/swtpm/sock": {address: "/run/swtpm/sock", fromEnv: true},
		"tcp:127.0.0.1:2321":   {network: "tcp", address: "127.0.0.1:2321", fromEnv: true},
		"tcp://[::1]:2321":     {network: "tcp", address: "[::1]:2321", fromEnv: true},
	} {
		got, err := tpmDeviceFrom(env(v))
		if err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", v, got, err, want)
		}
	}
	if _, err := tpmDeviceFrom(env("tcp:2321")); !errors.Is(err, ErrTPMDevice) {
		t.Errorf("tcp without a host: %v", err)
	}
	if d, err := tpmDeviceFrom(nil); err != nil || d.fromEnv {
		t.Errorf("default device: %+v, %v", d, err)
	}
}

// FuzzTSS2Key checks that no key file, PEM or bare DER, makes the parser
// (or the public key checks that follow it) panic, and that every failure
// is ErrTPMKey.
func FuzzTSS2Key(f *testing.F) {
	pub := eccPublicArea(f)
	priv := []byte{0, 4, 1, 2, 3, 4}
	for _, file := range []tss2File{
		{EmptyAuth: true, Parent: 0x40000001, Pubkey: pub, Privkey: priv},
		{Parent: 0x81000001, Desc: "d", RSAParent: true, Pubkey: pub, Privkey: priv},
		{Type: oidTSS2SealedData, Parent: 0x40000007, Pubkey: pub, Privkey: priv},
	} {
		p := tss2PEM(f, file)
		f.Add(p)
		b, _ := pem.Decode(p)
		f.Add(b.Bytes)
	}
	f.Add([]byte("-----BEGIN TSS2 PRIVATE KEY-----\nMAA=\n-----END TSS2 PRIVATE KEY-----\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var k *tss2Key
		var err error
		if looksLikePEM(data) {
			k, err = parseTSS2PEM(data, "fuzz.pem")
		} else if k, err = parseTSS2Key(data); err != nil {
			err = fmt.Errorf("%w: %v", ErrTPMKey, err)
		}
		if err != nil {
			if !errors.Is(err, ErrTPMKey) {
				t.Fatalf("error %v is not ErrTPMKey", err)
			}
			return
		}
		_, _ = tpmPublicKey(k.pubArea)
		if k.pubArea == nil || len(k.private) == 0 {
			t.Fatal("a key without public or private part parsed")
		}
	})
}
