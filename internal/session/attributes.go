package session

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"strings"
	"unicode"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/roam-dev/roam/internal/store"
)

// rdnNames maps attribute types to the short names used in session tag
// keys (x509Subject/CN, x509Issuer/O, ...) and in rendered subjects.
var rdnNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "SERIALNUMBER",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "ST",
	"2.5.4.9":                    "STREET",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "T",
	"2.5.4.17":                   "postalCode",
	"2.5.4.42":                   "GN",
	"0.9.2342.19200300.100.1.1":  "UID",
	"0.9.2342.19200300.100.1.25": "DC",
	"1.2.840.113549.1.9.1":       "emailAddress",
}

// Attribute is one certificate attribute made available as a session tag
// (and so as aws:PrincipalTag/<Key> in policies).
type Attribute struct {
	Key   string // e.g. "x509Subject/CN", "x509SAN/URI", "x509SAN/Name/O"
	Value string
}

// nameAttributes lists the recognised RDNs of a name in certificate order,
// joining repeated types with "/" (OU=Security, OU=Engineering becomes
// "Security/Engineering"), keyed by short name.
func nameAttributes(name pkix.RDNSequence) (order []string, values map[string]string) {
	values = map[string]string{}
	for _, rdn := range name {
		for _, atv := range rdn {
			short, ok := rdnNames[atv.Type.String()]
			if !ok {
				continue
			}
			v, ok := atv.Value.(string)
			if !ok {
				continue
			}
			if prev, seen := values[short]; seen {
				values[short] = prev + "/" + v
			} else {
				order = append(order, short)
				values[short] = v
			}
		}
	}
	return order, values
}

// RenderName renders a distinguished name in certificate order as
// "C=US,O=Example,CN=client", the form roam uses for subjects and issuers.
func RenderName(raw []byte) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &seq); err != nil || len(rest) > 0 {
		return ""
	}
	var parts []string
	for _, rdn := range seq {
		for _, atv := range rdn {
			name, ok := rdnNames[atv.Type.String()]
			if !ok {
				name = atv.Type.String()
			}
			parts = append(parts, name+"="+escapeDN(fmt.Sprint(atv.Value)))
		}
	}
	return strings.Join(parts, ",")
}

// dnEscaper escapes the characters RFC 4514 reserves in attribute values.
var dnEscaper = strings.NewReplacer(`\`, `\\`, `,`, `\,`, `+`, `\+`, `"`, `\"`, `<`, `\<`, `>`, `\>`, `;`, `\;`, `=`, `\=`)

func escapeDN(s string) string { return dnEscaper.Replace(s) }

// sanAttributes returns the first DNS name, the first URI and the RDNs of
// the first directory name of the certificate's subjectAltName.
func sanAttributes(c *x509.Certificate) (dns, uri string, dirOrder []string, dir map[string]string) {
	if len(c.DNSNames) > 0 {
		dns = c.DNSNames[0]
	}
	if len(c.URIs) > 0 {
		uri = c.URIs[0].String()
	}
	if raw := firstDirectoryName(c); raw != nil {
		var seq pkix.RDNSequence
		if rest, err := asn1.Unmarshal(raw, &seq); err == nil && len(rest) == 0 {
			dirOrder, dir = nameAttributes(seq)
		}
	}
	return dns, uri, dirOrder, dir
}

var oidSAN = asn1.ObjectIdentifier{2, 5, 29, 17}

// firstDirectoryName returns the DER of the first directoryName in the
// subjectAltName extension (Go's x509 does not expose them).
func firstDirectoryName(c *x509.Certificate) []byte {
	for _, ext := range c.Extensions {
		if !ext.Id.Equal(oidSAN) {
			continue
		}
		in := cryptobyte.String(ext.Value)
		var names cryptobyte.String
		if !in.ReadASN1(&names, cbasn1.SEQUENCE) {
			return nil
		}
		for !names.Empty() {
			var name cryptobyte.String
			var tag cbasn1.Tag
			if !names.ReadAnyASN1(&name, &tag) {
				return nil
			}
			// directoryName [4] is explicitly tagged: it wraps a Name.
			if tag == cbasn1.Tag(4).Constructed().ContextSpecific() {
				var dn cryptobyte.String
				if !name.ReadASN1Element(&dn, cbasn1.SEQUENCE) {
					return nil
				}
				return dn
			}
		}
	}
	return nil
}

// stsChars reports whether every rune of s is one STS allows in session
// tag keys and values and in source identities: letters, separators,
// numbers and _ . : / = + - @ (the pattern [\p{L}\p{Z}\p{N}_.:/=+\-@]).
func stsChars(s string) bool {
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.In(r, unicode.Z) && !unicode.IsNumber(r) && !strings.ContainsRune("_.:/=+-@", r) {
			return false
		}
	}
	return true
}

const (
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// SessionTags derives the session tags of a certificate through a
// profile's attribute mappings. Values STS would refuse (outside its tag
// pattern or too long) are dropped, as AWS does.
func SessionTags(c *x509.Certificate, mappings []store.AttributeMapping) []Attribute {
	var out []Attribute
	add := func(key, value string) {
		if value == "" || len(key) > maxTagKeyLen || len([]rune(value)) > maxTagValueLen || !stsChars(value) || !stsChars(key) {
			return
		}
		out = append(out, Attribute{Key: key, Value: value})
	}
	for _, m := range mappings {
		switch m.CertificateField {
		case "x509Subject", "x509Issuer":
			raw := c.RawSubject
			if m.CertificateField == "x509Issuer" {
				raw = c.RawIssuer
			}
			var seq pkix.RDNSequence
			if rest, err := asn1.Unmarshal(raw, &seq); err != nil || len(rest) > 0 {
				continue
			}
			order, values := nameAttributes(seq)
			for _, name := range selected(order, m.MappingRules, "") {
				add(m.CertificateField+"/"+name, values[name])
			}
		case "x509SAN":
			dns, uri, dirOrder, dir := sanAttributes(c)
			for _, r := range m.MappingRules {
				switch r.Specifier {
				case "DNS":
					add("x509SAN/DNS", dns)
				case "URI":
					add("x509SAN/URI", uri)
				}
			}
			for _, name := range selected(dirOrder, m.MappingRules, "Name/") {
				add("x509SAN/Name/"+name, dir[name])
			}
		}
	}
	return out
}

// selected returns the names in order that the rules select: "*" (after
// prefix) selects every name, otherwise names are selected one by one.
func selected(order []string, rules []store.MappingRule, prefix string) []string {
	var out []string
	for _, name := range order {
		for _, r := range rules {
			spec, ok := strings.CutPrefix(r.Specifier, prefix)
			if !ok {
				continue
			}
			if spec == "*" || spec == name {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// SourceIdentity derives the source identity of a session from its
// certificate, by AWS's rules: "CN=" + CN when the CN has at most 61
// characters, the bare CN when it has 62 to 64, otherwise "ID=" + the
// serial number in hex, left-padded with a zero to an even length. A CN
// that STS would refuse as a source identity falls back to the ID form.
func SourceIdentity(c *x509.Certificate) string {
	cn := c.Subject.CommonName
	n := len([]rune(cn))
	if cn != "" && stsChars(cn) {
		switch {
		case n <= 61:
			return "CN=" + cn
		case n <= 64:
			return cn
		}
	}
	return "ID=" + HexSerial(c.SerialNumber)
}

// HexSerial renders a serial number as lowercase hex of its big-endian
// magnitude, always of even length (the default role session name).
func HexSerial(n *big.Int) string {
	b := n.Bytes()
	if len(b) == 0 {
		return "00"
	}
	return fmt.Sprintf("%x", b)
}

// validRoleSessionName is STS's RoleSessionName constraint,
// [\w+=,.@-]{2,64}.
func validRoleSessionName(s string) bool {
	if len(s) < 2 || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("_+=,.@-", c) >= 0) {
			return false
		}
	}
	return true
}
