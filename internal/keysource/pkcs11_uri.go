package keysource

// PKCS#11 keys (BackendPKCS11). A key or certificate given as an RFC 7512
// "pkcs11:" URI is looked for in the tokens of a PKCS#11 module:
//
//   - The module is --pkcs11-lib (Options.PKCS11Lib), else the URI's
//     module-path query attribute, else DefaultPKCS11Module (p11-kit's
//     proxy). A flag and a module-path that disagree are an error.
//   - The URI's slot, token and library attributes select the token. When
//     several tokens match the key URI, the one holding the certificate
//     wins; otherwise the URI must be made more precise.
//   - The user PIN is the URI's pin-value, or the first line of the file
//     its pin-source names (a file: URI or a path). The key URI's PIN wins
//     over the certificate URI's. roam never prompts: a token that needs a
//     PIN fails with ErrPKCS11PINRequired, asking for pin-value.
//   - object (CKA_LABEL) and id (CKA_ID) select objects. type is checked
//     but not used to select: one URI often names both a certificate and
//     its key. The certificate, when it comes from the token, is searched
//     for without logging in first and, when that finds nothing in the
//     one matching token, after logging in (draft-woodhouse-cert-best-
//     practice §8.1). A key not found by the certificate's label is looked
//     for by the certificate's CKA_ID (§8.2). When several keys match, the
//     one whose public key is the certificate's is used. With no
//     certificate at all (only --private-key), the token's certificate
//     with the key's public key or CKA_ID is used.
//   - The chain is --intermediates when given; otherwise, for a
//     certificate read from the token, the issuers of the leaf found on
//     the token, up to but not including a self-signed root.
//     aws_signing_helper sends the leaf twice and every other certificate
//     of the token (docs/signing-helper.md §9.5); roam does not.
//   - A key with CKA_ALWAYS_AUTHENTICATE needs a context-specific login
//     before every signature. As roam never prompts, such keys need
//     --reuse-pin (Options.ReusePIN), which logs in with the user PIN.
//   - RSA keys sign with CKM_RSA_PKCS over a DigestInfo (PKCS#1 v1.5, for
//     SHA-1, SHA-224, SHA-256, SHA-384 and SHA-512); EC keys with
//     CKM_ECDSA, whose r||s result is re-encoded as ASN.1 DER.
//
// Loading a module needs cgo; a binary built with CGO_ENABLED=0 answers
// every pkcs11: URI with an error saying so (pkcs11_stub.go).

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// Errors of the PKCS#11 backend. They match with [errors.Is]; messages
// begin with the official helper's words where it has them. None of them
// ever holds a PIN.
var (
	// ErrPKCS11URI: a pkcs11: URI does not follow RFC 7512, or uses an
	// attribute roam does not support.
	ErrPKCS11URI = errors.New("invalid PKCS#11 URI")
	// ErrPKCS11Module: the PKCS#11 module could not be loaded or
	// initialised, or the URIs and --pkcs11-lib disagree about it.
	ErrPKCS11Module = errors.New("failed to load provider library")
	// ErrPKCS11Slot: no token, or more than one, matches the URI.
	ErrPKCS11Slot = errors.New("could not identify a unique PKCS#11 token")
	// ErrPKCS11PINRequired: the token (or a CKA_ALWAYS_AUTHENTICATE key)
	// needs a PIN that was not given. roam never prompts for one.
	ErrPKCS11PINRequired = errors.New("PKCS#11 PIN required")
	// ErrPKCS11Login: the token refused the PIN.
	ErrPKCS11Login = errors.New("user authentication failed")
	// ErrPKCS11Certificate: no certificate, or more than one, matches the
	// certificate URI.
	ErrPKCS11Certificate = errors.New("no matching certificates")
	// ErrPKCS11Key: no private key, or more than one, matches the URI.
	ErrPKCS11Key = errors.New("unable to find matching private key")
	// ErrPKCS11Sign: the token failed to sign.
	ErrPKCS11Sign = errors.New("signing failed")
)

// DefaultPKCS11Module is the module loaded when neither --pkcs11-lib nor a
// module-path query attribute names one: p11-kit's proxy, which offers
// every token the system's p11-kit configuration knows about.
func DefaultPKCS11Module() string {
	switch runtime.GOOS {
	case "darwin":
		return "p11-kit-proxy.dylib"
	case "windows":
		return "p11-kit-proxy.dll"
	}
	return "p11-kit-proxy.so"
}

// TokenCertificate is a certificate found on a PKCS#11 token by
// [ListPKCS11Certificates].
type TokenCertificate struct {
	Certificate *x509.Certificate
	// URI names the certificate object: its token's model, manufacturer
	// and serial, its slot's description and manufacturer, and the
	// object's id, label and type=cert, in the form aws_signing_helper's
	// read-certificate-data prints. It never holds a PIN.
	URI string
}

// pkcs11ObjectTypes are the values RFC 7512 allows for the "type" path
// attribute.
var pkcs11ObjectTypes = []string{"cert", "data", "private", "public", "secret-key"}

// maxPINSourceSize bounds what is read from a pin-source file.
const maxPINSourceSize = 4096

// pkcs11URI is a parsed RFC 7512 PKCS#11 URI. A nil pointer (or, for id,
// hasID false) is an attribute the URI does not have; an attribute that is
// present constrains the match, even when its value is empty.
//
// The PIN (pin-value) lives in pin and is never printed: pkcs11URI has no
// String method on purpose, and describe leaves the query out.
type pkcs11URI struct {
	// Library attributes, matched against C_GetInfo.
	libraryManufacturer, libraryDescription *string
	libraryVersion                          *pkcs11Version
	// Slot attributes, matched against C_GetSlotList and C_GetSlotInfo.
	slotID                            *uint64
	slotDescription, slotManufacturer *string
	// Token attributes, matched against C_GetTokenInfo.
	token, manufacturer, model, serial *string
	// Object attributes: object is CKA_LABEL, id is CKA_ID.
	object  *string
	id      []byte
	hasID   bool
	objType string // "" or one of pkcs11ObjectTypes

	// Query attributes.
	pin        string // pin-value; secret
	hasPIN     bool
	pinSource  string // pin-source, as given
	modulePath string // module-path
}

// pkcs11Version is a library-version attribute: "M" or "M.N".
type pkcs11Version struct{ major, minor byte }

// parsePKCS11URI parses an RFC 7512 URI. Errors wrap ErrPKCS11URI, name
// the offending attribute and never repeat the URI or a PIN.
//
// Supported path attributes: token, manufacturer, model, serial, slot-id,
// slot-description, slot-manufacturer, library-manufacturer,
// library-description, library-version, object, id and type. Supported
// query attributes: pin-value, pin-source (a file: URI or a path) and
// module-path. module-name and vendor attributes ("x-...") are refused
// rather than ignored, since ignoring them could select another key.
func parsePKCS11URI(raw string) (*pkcs11URI, error) {
	rest, ok := strings.CutPrefix(raw, "pkcs11:")
	if !ok {
		return nil, fmt.Errorf("%w: it must begin with \"pkcs11:\"", ErrPKCS11URI)
	}
	path, query, _ := strings.Cut(rest, "?")
	u := &pkcs11URI{}
	seen := map[string]bool{}
	for _, part := range strings.Split(path, ";") {
		if part == "" {
			continue // tolerate "pkcs11:" and stray separators
		}
		name, rawValue, hasEq := strings.Cut(part, "=")
		if err := checkAttrName(name, hasEq, seen, "path"); err != nil {
			return nil, err
		}
		value, err := pctDecode(rawValue)
		if err != nil {
			return nil, fmt.Errorf("%w: path %s: %v", ErrPKCS11URI, attrName(name), err)
		}
		if err := u.setPathAttr(name, value); err != nil {
			return nil, err
		}
	}
	if query != "" {
		for _, part := range strings.Split(query, "&") {
			if part == "" {
				continue
			}
			name, rawValue, hasEq := strings.Cut(part, "=")
			if err := checkAttrName(name, hasEq, seen, "query"); err != nil {
				return nil, err
			}
			value, err := pctDecode(rawValue)
			if err != nil {
				// Never echo the value: it may be the PIN.
				return nil, fmt.Errorf("%w: query %s: %v", ErrPKCS11URI, attrName(name), err)
			}
			if err := u.setQueryAttr(name, value); err != nil {
				return nil, err
			}
		}
	}
	if u.hasPIN && u.pinSource != "" {
		return nil, fmt.Errorf("%w: pin-value and pin-source are both given; use one", ErrPKCS11URI)
	}
	return u, nil
}

// checkAttrName checks an attribute name and records it, refusing
// duplicates (RFC 7512 allows each attribute once).
func checkAttrName(name string, hasEq bool, seen map[string]bool, where string) error {
	switch {
	case name == "":
		return fmt.Errorf("%w: a %s attribute has no name", ErrPKCS11URI, where)
	case !hasEq:
		return fmt.Errorf("%w: %s %s has no value (expected name=value)", ErrPKCS11URI, where, attrName(name))
	case seen[name]:
		return fmt.Errorf("%w: %s appears more than once", ErrPKCS11URI, attrName(name))
	}
	seen[name] = true
	return nil
}

func (u *pkcs11URI) setPathAttr(name, value string) error {
	str := func(p **string) error { *p = &value; return nil }
	switch name {
	case "token":
		return str(&u.token)
	case "manufacturer":
		return str(&u.manufacturer)
	case "model":
		return str(&u.model)
	case "serial":
		return str(&u.serial)
	case "slot-description":
		return str(&u.slotDescription)
	case "slot-manufacturer":
		return str(&u.slotManufacturer)
	case "library-manufacturer":
		return str(&u.libraryManufacturer)
	case "library-description":
		return str(&u.libraryDescription)
	case "object":
		return str(&u.object)
	case "id":
		u.id, u.hasID = []byte(value), true
		return nil
	case "slot-id":
		n, err := strconv.ParseUint(value, 10, 64)
		if err != nil || value == "" || value[0] == '+' {
			return fmt.Errorf("%w: slot-id %q is not a decimal number", ErrPKCS11URI, printable(value))
		}
		u.slotID = &n
		return nil
	case "library-version":
		v, err := parsePKCS11Version(value)
		if err != nil {
			return err
		}
		u.libraryVersion = &v
		return nil
	case "type":
		if !slices.Contains(pkcs11ObjectTypes, value) {
			return fmt.Errorf("%w: type %q is not one of %s", ErrPKCS11URI, printable(value), strings.Join(pkcs11ObjectTypes, ", "))
		}
		u.objType = value
		return nil
	}
	if strings.HasPrefix(name, "x-") {
		return fmt.Errorf("%w: vendor path %s is not supported", ErrPKCS11URI, attrName(name))
	}
	return fmt.Errorf("%w: unknown path %s", ErrPKCS11URI, attrName(name))
}

func (u *pkcs11URI) setQueryAttr(name, value string) error {
	switch name {
	case "pin-value":
		u.pin, u.hasPIN = value, true
		return nil
	case "pin-source":
		if value == "" {
			return fmt.Errorf("%w: pin-source is empty", ErrPKCS11URI)
		}
		u.pinSource = value
		return nil
	case "module-path":
		if value == "" {
			return fmt.Errorf("%w: module-path is empty", ErrPKCS11URI)
		}
		u.modulePath = value
		return nil
	case "module-name":
		return fmt.Errorf("%w: module-name is not supported; name the module with module-path or --pkcs11-lib", ErrPKCS11URI)
	}
	if strings.HasPrefix(name, "x-") {
		return fmt.Errorf("%w: vendor query %s is not supported", ErrPKCS11URI, attrName(name))
	}
	return fmt.Errorf("%w: unknown query %s", ErrPKCS11URI, attrName(name))
}

func parsePKCS11Version(value string) (pkcs11Version, error) {
	majorStr, minorStr, hasMinor := strings.Cut(value, ".")
	parse := func(s string) (byte, bool) {
		if s == "" || strings.TrimLeft(s, "0123456789") != "" {
			return 0, false
		}
		n, err := strconv.ParseUint(s, 10, 8)
		return byte(n), err == nil
	}
	var v pkcs11Version
	var ok bool
	if v.major, ok = parse(majorStr); ok && hasMinor {
		v.minor, ok = parse(minorStr)
	}
	if !ok {
		return v, fmt.Errorf("%w: library-version %q is not M or M.N (0-255 each)", ErrPKCS11URI, printable(value))
	}
	return v, nil
}

// pctDecode decodes RFC 3986 percent-encoding. Unlike a URL query, "+"
// stays "+".
func pctDecode(s string) (string, error) {
	if !strings.Contains(s, "%") {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b.WriteByte(s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", fmt.Errorf("malformed percent-encoding at byte %d", i)
		}
		b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
		i += 2
	}
	return b.String(), nil
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// attrName renders an attribute name for a message. A name that is not
// made of lower-case letters and hyphens (as every RFC 7512 name is) is not
// repeated: "pkcs11:object=k?1234" must not put the PIN in an error.
func attrName(name string) string {
	if len(name) <= 32 && strings.Trim(name, "abcdefghijklmnopqrstuvwxyz-") == "" {
		return "attribute " + strconv.Quote(name)
	}
	return "attribute (name not shown)"
}

// printable quotes at most 64 bytes of an attribute name or value for an
// error message.
func printable(s string) string {
	const maxLen = 64
	if len(s) > maxLen {
		return s[:maxLen] + "..."
	}
	return s
}

// pctEncode percent-encodes every byte outside RFC 3986's unreserved set.
func pctEncode(b []byte) string {
	const hexDigits = "0123456789ABCDEF"
	var s strings.Builder
	for _, c := range b {
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			s.WriteByte(c)
			continue
		}
		s.WriteByte('%')
		s.WriteByte(hexDigits[c>>4])
		s.WriteByte(hexDigits[c&0xf])
	}
	return s.String()
}

// describe renders the URI's path for messages: never its query, where
// the PIN is.
func (u *pkcs11URI) describe() string {
	var parts []string
	add := func(name string, v *string) {
		if v != nil {
			parts = append(parts, name+"="+pctEncode([]byte(*v)))
		}
	}
	add("token", u.token)
	add("manufacturer", u.manufacturer)
	add("model", u.model)
	add("serial", u.serial)
	if u.slotID != nil {
		parts = append(parts, "slot-id="+strconv.FormatUint(*u.slotID, 10))
	}
	add("slot-description", u.slotDescription)
	add("slot-manufacturer", u.slotManufacturer)
	add("library-manufacturer", u.libraryManufacturer)
	add("library-description", u.libraryDescription)
	if v := u.libraryVersion; v != nil {
		parts = append(parts, fmt.Sprintf("library-version=%d.%d", v.major, v.minor))
	}
	add("object", u.object)
	if u.hasID {
		parts = append(parts, "id="+pctEncode(u.id))
	}
	if u.objType != "" {
		parts = append(parts, "type="+u.objType)
	}
	return "pkcs11:" + strings.Join(parts, ";")
}

// hasObjectFilter reports whether the URI names an object (by label or id).
func (u *pkcs11URI) hasObjectFilter() bool { return u.object != nil || u.hasID }

// userPIN returns the PIN the URI carries: pin-value, or the first line of
// the pin-source file. ok is false when it carries none. Errors name the
// file, never its content.
func (u *pkcs11URI) userPIN() (pin string, ok bool, err error) {
	if u.hasPIN {
		return u.pin, true, nil
	}
	if u.pinSource == "" {
		return "", false, nil
	}
	path := u.pinSource
	if rest, isFile := strings.CutPrefix(path, "file:"); isFile {
		p, err := url.PathUnescape(rest)
		if err != nil {
			return "", false, fmt.Errorf("%w: pin-source: %v", ErrPKCS11URI, err)
		}
		// file:///path and file://localhost/path name /path.
		if after, ok := strings.CutPrefix(p, "//"); ok {
			host, rest, _ := strings.Cut(after, "/")
			if host != "" && host != "localhost" {
				return "", false, fmt.Errorf("%w: pin-source names a file on host %q; only local files are supported", ErrPKCS11URI, printable(host))
			}
			p = "/" + rest
		}
		path = p
	} else if i := strings.Index(path, ":"); i > 1 && !filepath.IsAbs(path) {
		return "", false, fmt.Errorf("%w: pin-source must be a file: URI or a path", ErrPKCS11URI)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", false, fmt.Errorf("%w: reading the PIN from pin-source: %v", ErrPKCS11PINRequired, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPINSourceSize+1))
	if err != nil {
		return "", false, fmt.Errorf("%w: reading the PIN from pin-source %s: %v", ErrPKCS11PINRequired, path, err)
	}
	if len(data) > maxPINSourceSize {
		return "", false, fmt.Errorf("%w: pin-source %s is larger than %d bytes", ErrPKCS11PINRequired, path, maxPINSourceSize)
	}
	line, _, _ := strings.Cut(string(data), "\n")
	return strings.TrimSuffix(line, "\r"), true, nil
}

// pkcs11ModulePath decides which module to load: --pkcs11-lib, else the
// module-path of the URIs, else [DefaultPKCS11Module]. Two different
// choices are an error rather than a silent preference.
func pkcs11ModulePath(flag string, uris ...*pkcs11URI) (string, error) {
	chosen, from := flag, "--pkcs11-lib"
	for _, u := range uris {
		if u == nil || u.modulePath == "" {
			continue
		}
		if chosen == "" {
			chosen, from = u.modulePath, "module-path"
			continue
		}
		if filepath.Clean(chosen) != filepath.Clean(u.modulePath) {
			return "", fmt.Errorf("%w: %s names %s but a pkcs11: URI's module-path names %s; give one module",
				ErrPKCS11Module, from, chosen, u.modulePath)
		}
	}
	if chosen == "" {
		return DefaultPKCS11Module(), nil
	}
	return chosen, nil
}
