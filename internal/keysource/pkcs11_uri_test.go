package keysource

import (
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func TestParsePKCS11URI(t *testing.T) {
	str := func(s string) *string { return &s }
	u64 := func(n uint64) *uint64 { return &n }
	cases := map[string]struct {
		in   string
		want pkcs11URI
	}{
		"empty":       {"pkcs11:", pkcs11URI{}},
		"token+label": {"pkcs11:token=My%20Token;object=signing%20key", pkcs11URI{token: str("My Token"), object: str("signing key")}},
		"id-bytes":    {"pkcs11:id=%01%02%ff", pkcs11URI{id: []byte{1, 2, 0xff}, hasID: true}},
		"id-raw":      {"pkcs11:id=ab", pkcs11URI{id: []byte("ab"), hasID: true}},
		"empty-value": {"pkcs11:token=", pkcs11URI{token: str("")}},
		"plus-stays":  {"pkcs11:object=a+b", pkcs11URI{object: str("a+b")}},
		"rfc7512-example": {"pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin",
			pkcs11URI{token: str("The Software PKCS#11 Softtoken"), manufacturer: str("Snake Oil, Inc."), model: str("1.0"),
				object: str("my-certificate"), objType: "cert", id: []byte{0x69, 0x95, 0x3e, 0x5c, 0xf4, 0xbd, 0xec, 0x91}, hasID: true,
				serial: str(""), pinSource: "file:/etc/token_pin"}},
		"slot+library": {"pkcs11:slot-id=42;slot-description=Slot%20A;slot-manufacturer=ACME;library-manufacturer=OpenSC%20Project;library-description=OpenSC;library-version=0.23",
			pkcs11URI{slotID: u64(42), slotDescription: str("Slot A"), slotManufacturer: str("ACME"),
				libraryManufacturer: str("OpenSC Project"), libraryDescription: str("OpenSC"), libraryVersion: &pkcs11Version{0, 23}}},
		"library-major": {"pkcs11:library-version=7", pkcs11URI{libraryVersion: &pkcs11Version{7, 0}}},
		"query": {"pkcs11:object=k?pin-value=12%2634&module-path=/usr/lib/softhsm/libsofthsm2.so",
			pkcs11URI{object: str("k"), pin: "12&34", hasPIN: true, modulePath: "/usr/lib/softhsm/libsofthsm2.so"}},
		"stray-separators": {"pkcs11:;object=k;;?&pin-value=1&", pkcs11URI{object: str("k"), pin: "1", hasPIN: true}},
		"type-private":     {"pkcs11:type=private", pkcs11URI{objType: "private"}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parsePKCS11URI(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got.describe() != c.want.describe() || got.pin != c.want.pin || got.hasPIN != c.want.hasPIN ||
				got.pinSource != c.want.pinSource || got.modulePath != c.want.modulePath {
				t.Fatalf("parsed %s (pin %v, pin-source %q, module %q), want %s", got.describe(), got.hasPIN, got.pinSource, got.modulePath, c.want.describe())
			}
		})
	}
}

func TestParsePKCS11URIErrors(t *testing.T) {
	const pin = "pin-7531"
	cases := map[string]struct{ in, want string }{
		"scheme":         {"pkcs12:token=a", "it must begin with \"pkcs11:\""},
		"no-value":       {"pkcs11:token", "path attribute \"token\" has no value (expected name=value)"},
		"no-name":        {"pkcs11:=x", "a path attribute has no name"},
		"duplicate":      {"pkcs11:token=a;token=b", "attribute \"token\" appears more than once"},
		"unknown":        {"pkcs11:tokne=a", "unknown path attribute \"tokne\""},
		"vendor":         {"pkcs11:x-vendor=a", "vendor path attribute \"x-vendor\" is not supported"},
		"bad-pct":        {"pkcs11:object=a%2", "path attribute \"object\": malformed percent-encoding at byte 1"},
		"bad-pct-hex":    {"pkcs11:object=%zz", "path attribute \"object\": malformed percent-encoding at byte 0"},
		"slot-id":        {"pkcs11:slot-id=0x10", "slot-id \"0x10\" is not a decimal number"},
		"slot-id-sign":   {"pkcs11:slot-id=+1", "slot-id \"+1\" is not a decimal number"},
		"slot-id-range":  {"pkcs11:slot-id=99999999999999999999", "is not a decimal number"},
		"type":           {"pkcs11:type=key", "type \"key\" is not one of cert, data, private, public, secret-key"},
		"library-ver":    {"pkcs11:library-version=1.256", "library-version \"1.256\" is not M or M.N (0-255 each)"},
		"library-ver2":   {"pkcs11:library-version=1.", "library-version \"1.\" is not M or M.N"},
		"module-name":    {"pkcs11:object=k?module-name=softhsm2", "module-name is not supported; name the module with module-path or --pkcs11-lib"},
		"unknown-query":  {"pkcs11:object=k?pin=" + pin, "unknown query attribute \"pin\""},
		"pin-and-source": {"pkcs11:object=k?pin-value=" + pin + "&pin-source=/p", "pin-value and pin-source are both given; use one"},
		"pin-no-name":    {"pkcs11:object=k?" + pin, "query attribute (name not shown) has no value"},
		"pin-bad-pct":    {"pkcs11:object=k?pin-value=" + pin + "%", "query attribute \"pin-value\": malformed percent-encoding"},
		"pin-twice":      {"pkcs11:object=k?pin-value=" + pin + "&pin-value=" + pin, "attribute \"pin-value\" appears more than once"},
		"empty-module":   {"pkcs11:object=k?module-path=", "module-path is empty"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := parsePKCS11URI(c.in)
			if !errors.Is(err, ErrPKCS11URI) {
				t.Fatalf("err = %v, want ErrPKCS11URI", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %q, want it to contain %q", err, c.want)
			}
			checkNoSecret(t, err, pin)
		})
	}
}

func TestPKCS11URIUserPIN(t *testing.T) {
	dir := t.TempDir()
	file := writeTestFile(t, dir, "pin", []byte("4711\nignored\n"))
	crlf := writeTestFile(t, dir, "pin-crlf", []byte("0815\r\n"))
	cases := map[string]struct {
		uri, pin string
		ok       bool
	}{
		"none":          {"pkcs11:object=k", "", false},
		"value":         {"pkcs11:object=k?pin-value=1234", "1234", true},
		"empty-value":   {"pkcs11:object=k?pin-value=", "", true},
		"source-path":   {"pkcs11:object=k?pin-source=" + file, "4711", true},
		"source-file":   {"pkcs11:object=k?pin-source=file:" + file, "4711", true},
		"source-file3":  {"pkcs11:object=k?pin-source=file://" + file, "4711", true},
		"source-local":  {"pkcs11:object=k?pin-source=file://localhost" + file, "4711", true},
		"source-crlf":   {"pkcs11:object=k?pin-source=" + crlf, "0815", true},
		"source-escape": {"pkcs11:object=k?pin-source=file:" + strings.ReplaceAll(file, "/", "%2F"), "4711", true},
	}
	if runtime.GOOS == "windows" {
		t.Skip("paths in these URIs are Unix paths")
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			u, err := parsePKCS11URI(c.uri)
			if err != nil {
				t.Fatal(err)
			}
			pin, ok, err := u.userPIN()
			if err != nil || pin != c.pin || ok != c.ok {
				t.Fatalf("userPIN() = %q, %v, %v; want %q, %v", pin, ok, err, c.pin, c.ok)
			}
		})
	}
	for name, c := range map[string]struct {
		uri      string
		sentinel error
		want     string
	}{
		"missing-file": {"pkcs11:object=k?pin-source=" + filepath.Join(dir, "nope"), ErrPKCS11PINRequired, "reading the PIN from pin-source"},
		"remote-host":  {"pkcs11:object=k?pin-source=file://example.com/pin", ErrPKCS11URI, "only local files are supported"},
		"other-scheme": {"pkcs11:object=k?pin-source=https://example.com/pin", ErrPKCS11URI, "pin-source must be a file: URI or a path"},
		"too-big":      {"pkcs11:object=k?pin-source=" + writeTestFile(t, dir, "big", make([]byte, maxPINSourceSize+1)), ErrPKCS11PINRequired, "is larger than 4096 bytes"},
	} {
		t.Run(name, func(t *testing.T) {
			u, err := parsePKCS11URI(c.uri)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = u.userPIN()
			if !errors.Is(err, c.sentinel) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("userPIN() error = %v, want %v containing %q", err, c.sentinel, c.want)
			}
		})
	}
}

func TestPKCS11ModulePath(t *testing.T) {
	parse := func(s string) *pkcs11URI {
		u, err := parsePKCS11URI(s)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	withMod := parse("pkcs11:object=k?module-path=/opt/a.so")
	withOther := parse("pkcs11:object=c?module-path=/opt/b.so")
	plain := parse("pkcs11:object=k")
	for name, c := range map[string]struct {
		flag string
		uris []*pkcs11URI
		want string
	}{
		"default":        {"", []*pkcs11URI{plain, nil}, DefaultPKCS11Module()},
		"flag":           {"/lib/x.so", []*pkcs11URI{plain}, "/lib/x.so"},
		"module-path":    {"", []*pkcs11URI{plain, withMod}, "/opt/a.so"},
		"flag-same-path": {"/opt/./a.so", []*pkcs11URI{withMod}, "/opt/./a.so"},
	} {
		got, err := pkcs11ModulePath(c.flag, c.uris...)
		if err != nil || got != c.want {
			t.Errorf("%s: pkcs11ModulePath = %q, %v; want %q", name, got, err, c.want)
		}
	}
	if _, err := pkcs11ModulePath("/lib/x.so", withMod); !errors.Is(err, ErrPKCS11Module) ||
		!strings.Contains(err.Error(), "--pkcs11-lib names /lib/x.so but a pkcs11: URI's module-path names /opt/a.so") {
		t.Errorf("flag and module-path disagree: %v", err)
	}
	if _, err := pkcs11ModulePath("", withMod, withOther); !errors.Is(err, ErrPKCS11Module) {
		t.Errorf("two module-paths disagree: %v", err)
	}
}

func TestDescribeHidesPIN(t *testing.T) {
	u, err := parsePKCS11URI("pkcs11:token=a%20b;object=k;id=%01?pin-value=9876")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := u.describe(), "pkcs11:token=a%20b;object=k;id=%01"; got != want {
		t.Fatalf("describe() = %q, want %q", got, want)
	}
}

// FuzzPKCS11URI checks that the parser never panics, that every failure
// is an ErrPKCS11URI that does not reveal the PIN, and that describe()
// renders a URI that parses back to the same path attributes.
func FuzzPKCS11URI(f *testing.F) {
	for _, s := range []string{
		"pkcs11:",
		"pkcs11:token=My%20Token;object=signing%20key;id=%01?pin-value=1234",
		"pkcs11:token=The%20Software%20PKCS%2311%20Softtoken;manufacturer=Snake%20Oil,%20Inc.;model=1.0;object=my-certificate;type=cert;id=%69%95%3E%5C%F4%BD%EC%91;serial=?pin-source=file:/etc/token_pin",
		"pkcs11:slot-id=42;library-version=1.2;slot-description=x?module-path=/usr/lib/softhsm/libsofthsm2.so",
		"pkcs11:object=a%2",
		"pkcs11:token=a;token=b",
		"pkcs11:object=k?secret",
		"pkcs11:x-vendor=1?x-q=2",
	} {
		f.Add(s)
	}
	if data, err := os.ReadFile(filepath.Join("..", "..", "testdata", "signing-helper-vectors", "pkcs11-softhsm", "read-certificate-data-pkcs11.txt")); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if uri, ok := strings.CutPrefix(line, "URI: "); ok {
				f.Add(uri)
			}
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := parsePKCS11URI(s)
		if err != nil {
			if !errors.Is(err, ErrPKCS11URI) {
				t.Fatalf("error %v is not ErrPKCS11URI", err)
			}
			// Whatever follows "pin-value=" must not appear in the error.
			if _, after, ok := strings.Cut(s, "pin-value="); ok {
				pin, _, _ := strings.Cut(after, "&")
				if len(pin) >= 4 && strings.Contains(err.Error(), pin) {
					t.Fatalf("error %q reveals the PIN %q", err, pin)
				}
			}
			return
		}
		again, err := parsePKCS11URI(u.describe())
		if err != nil {
			t.Fatalf("describe() = %q does not parse: %v", u.describe(), err)
		}
		if again.describe() != u.describe() {
			t.Fatalf("round trip: %q became %q", u.describe(), again.describe())
		}
		if u.hasPIN && len(u.pin) >= 4 && strings.Contains(u.describe(), u.pin) && !strings.Contains(s[:strings.IndexByte(s+"?", '?')], u.pin) {
			t.Fatalf("describe() %q reveals the PIN", u.describe())
		}
	})
}
