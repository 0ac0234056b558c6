package pki

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// attribute describes a distinguished-name attribute the subject syntax
// knows by name. Names follow OpenSSL's short names; in particular SN is
// the surname, not the serial number, exactly as in openssl -subj.
type attribute struct {
	name    string   // canonical short name, as FormatName prints it
	aliases []string // other accepted spellings (matched case-insensitively, like name)
	oid     asn1.ObjectIdentifier
	// maxLen is the upper bound in characters from RFC 5280 appendix A,
	// as OpenSSL enforces it; 0 means unbounded.
	maxLen int
	// ia5 marks attributes encoded as IA5String (ASCII only).
	ia5 bool
	// set stores the value in the matching field of pkix.Name, if any.
	set func(n *pkix.Name, v string)
}

var attributes = []attribute{
	{name: "C", aliases: []string{"countryName"}, oid: asn1.ObjectIdentifier{2, 5, 4, 6},
		set: func(n *pkix.Name, v string) { n.Country = append(n.Country, v) }},
	{name: "ST", aliases: []string{"S", "stateOrProvinceName"}, oid: asn1.ObjectIdentifier{2, 5, 4, 8}, maxLen: 128,
		set: func(n *pkix.Name, v string) { n.Province = append(n.Province, v) }},
	{name: "L", aliases: []string{"localityName"}, oid: asn1.ObjectIdentifier{2, 5, 4, 7}, maxLen: 128,
		set: func(n *pkix.Name, v string) { n.Locality = append(n.Locality, v) }},
	{name: "street", aliases: []string{"streetAddress"}, oid: asn1.ObjectIdentifier{2, 5, 4, 9}, maxLen: 128,
		set: func(n *pkix.Name, v string) { n.StreetAddress = append(n.StreetAddress, v) }},
	{name: "postalCode", oid: asn1.ObjectIdentifier{2, 5, 4, 17}, maxLen: 40,
		set: func(n *pkix.Name, v string) { n.PostalCode = append(n.PostalCode, v) }},
	{name: "O", aliases: []string{"organizationName"}, oid: asn1.ObjectIdentifier{2, 5, 4, 10}, maxLen: 64,
		set: func(n *pkix.Name, v string) { n.Organization = append(n.Organization, v) }},
	{name: "OU", aliases: []string{"organizationalUnitName"}, oid: asn1.ObjectIdentifier{2, 5, 4, 11}, maxLen: 64,
		set: func(n *pkix.Name, v string) { n.OrganizationalUnit = append(n.OrganizationalUnit, v) }},
	{name: "CN", aliases: []string{"commonName"}, oid: asn1.ObjectIdentifier{2, 5, 4, 3}, maxLen: 64,
		set: func(n *pkix.Name, v string) { n.CommonName = v }},
	{name: "serialNumber", oid: asn1.ObjectIdentifier{2, 5, 4, 5}, maxLen: 64,
		set: func(n *pkix.Name, v string) { n.SerialNumber = v }},
	{name: "title", oid: asn1.ObjectIdentifier{2, 5, 4, 12}, maxLen: 64},
	{name: "SN", aliases: []string{"surname"}, oid: asn1.ObjectIdentifier{2, 5, 4, 4}},
	{name: "GN", aliases: []string{"givenName"}, oid: asn1.ObjectIdentifier{2, 5, 4, 42}},
	{name: "DC", aliases: []string{"domainComponent"}, oid: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 25}, ia5: true},
	{name: "UID", aliases: []string{"userId"}, oid: asn1.ObjectIdentifier{0, 9, 2342, 19200300, 100, 1, 1}},
	{name: "emailAddress", aliases: []string{"E", "email"}, oid: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 1}, maxLen: 128, ia5: true},
}

var oidCommonName = asn1.ObjectIdentifier{2, 5, 4, 3}

func attributeByName(key string) (attribute, bool) {
	for _, a := range attributes {
		if strings.EqualFold(a.name, key) {
			return a, true
		}
		for _, alias := range a.aliases {
			if strings.EqualFold(alias, key) {
				return a, true
			}
		}
	}
	return attribute{}, false
}

func attributeByOID(oid asn1.ObjectIdentifier) (attribute, bool) {
	for _, a := range attributes {
		if a.oid.Equal(oid) {
			return a, true
		}
	}
	return attribute{}, false
}

func knownAttributeNames() string {
	names := make([]string, len(attributes))
	for i, a := range attributes {
		names[i] = a.name
	}
	return strings.Join(names, ", ")
}

// ParseSubject parses a distinguished name written the way OpenSSL users
// write one, in either of two forms:
//
//	C=US,ST=California,L=San Francisco,O=ABC Inc.,OU=DevOps,CN=x
//	/C=US/ST=California/L=San Francisco/O=ABC Inc./OU=DevOps/CN=x
//
// Attributes appear in the certificate exactly in the order given, each as
// its own RDN (as openssl req -subj does), so repeating an attribute such
// as OU gives several OUs. A backslash escapes the next character, so
// "O=ABC\, Inc." is one attribute; spaces around keys and values are
// dropped unless escaped. Keys are OpenSSL's short names (C, ST, L, street,
// postalCode, O, OU, CN, serialNumber, title, SN, GN, DC, UID, emailAddress;
// case-insensitive) or a dotted OID. An unescaped '+', which OpenSSL reads
// as the start of a multi-valued RDN, is an error; write "\+".
//
// The result carries the attributes in ExtraNames (which fixes their
// order), in Names, and in the named fields of pkix.Name.
func ParseSubject(s string) (pkix.Name, error) {
	var name pkix.Name
	if strings.TrimSpace(s) == "" {
		return name, errors.New("subject is empty")
	}
	if !utf8.ValidString(s) {
		return name, errors.New("subject is not valid UTF-8")
	}
	body, sep := s, ','
	if t := strings.TrimLeftFunc(s, unicode.IsSpace); strings.HasPrefix(t, "/") {
		body, sep = t[1:], '/'
	}
	parts, err := splitSubject(body, sep)
	if err != nil {
		return name, err
	}
	for i, p := range parts {
		if err := appendAttribute(&name, p.key, p.value); err != nil {
			return pkix.Name{}, fmt.Errorf("subject attribute %d (%q): %w", i+1, p.raw, err)
		}
	}
	return name, nil
}

// SubjectWithCN returns a copy of n whose common name is cn, appended as
// the last attribute. If n already has that CN it is returned unchanged; a
// different CN is an error.
func SubjectWithCN(n pkix.Name, cn string) (pkix.Name, error) {
	if n.CommonName != "" {
		if n.CommonName != cn {
			return n, fmt.Errorf("the subject already has CN=%q, which differs from %q", n.CommonName, cn)
		}
		return n, nil
	}
	out := n
	out.ExtraNames = slices.Clone(n.ExtraNames)
	out.Names = slices.Clone(n.Names)
	var flat []pkix.AttributeTypeAndValue
	for _, rdn := range n.ToRDNSequence() {
		flat = append(flat, rdn...)
	}
	if len(out.ExtraNames) == 0 {
		// A pkix.Name built from fields alone: fix its order before
		// appending, so CN does not jump ahead of the named fields.
		out.ExtraNames = slices.Clone(flat)
	}
	if len(out.Names) == 0 {
		out.Names = flat
	}
	if err := appendAttribute(&out, "CN", cn); err != nil {
		return n, fmt.Errorf("CN %q: %w", cn, err)
	}
	return out, nil
}

// rawAttribute is one KEY=VALUE element of a subject string, unescaped.
type rawAttribute struct {
	raw, key, value string
}

// splitSubject splits body at unescaped separators and each element at its
// first unescaped '='. Unescaped spaces around keys and values are trimmed.
func splitSubject(body string, sep rune) ([]rawAttribute, error) {
	type char struct {
		r       rune
		escaped bool
	}
	var (
		out     []rawAttribute
		raw     strings.Builder
		key     []char
		value   []char
		inValue bool
		escaped bool
	)
	trim := func(cs []char) string {
		start, end := 0, len(cs)
		for start < end && !cs[start].escaped && unicode.IsSpace(cs[start].r) {
			start++
		}
		for end > start && !cs[end-1].escaped && unicode.IsSpace(cs[end-1].r) {
			end--
		}
		var b strings.Builder
		for _, c := range cs[start:end] {
			b.WriteRune(c.r)
		}
		return b.String()
	}
	flush := func() error {
		n := len(out) + 1
		r := raw.String()
		if !inValue {
			if strings.TrimSpace(r) == "" {
				return fmt.Errorf("subject attribute %d is empty", n)
			}
			return fmt.Errorf("subject attribute %d (%q) has no '=' (want KEY=VALUE)", n, r)
		}
		out = append(out, rawAttribute{raw: strings.TrimSpace(r), key: trim(key), value: trim(value)})
		raw.Reset()
		key, value, inValue = nil, nil, false
		return nil
	}
	for _, r := range body {
		switch {
		case escaped:
			escaped = false
			raw.WriteRune(r)
			if inValue {
				value = append(value, char{r, true})
			} else {
				key = append(key, char{r, true})
			}
			continue
		case r == '\\':
			escaped = true
		case r == sep:
			if err := flush(); err != nil {
				return nil, err
			}
			continue
		case r == '+':
			// openssl req -subj reads "OU=a+OU=b" as one multi-valued RDN;
			// refuse rather than read the same text differently.
			return nil, fmt.Errorf(`subject attribute %d has an unescaped '+': multi-valued RDNs are not supported (write \+ for a plus sign)`, len(out)+1)
		case r == '=' && !inValue:
			inValue = true
		case inValue:
			value = append(value, char{r, false})
		default:
			key = append(key, char{r, false})
		}
		raw.WriteRune(r)
	}
	if escaped {
		return nil, errors.New("subject ends with a lone backslash")
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, nil
}

// appendAttribute validates one attribute and appends it to n.
func appendAttribute(n *pkix.Name, key, value string) error {
	a, err := lookupAttribute(key)
	if err != nil {
		return err
	}
	label := a.name
	if label == "" {
		label = a.oid.String()
	}
	if value == "" {
		return fmt.Errorf("empty value for %s", label)
	}
	for _, r := range value {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s contains the control character %U", label, r)
		}
		if a.ia5 && r > unicode.MaxASCII {
			return fmt.Errorf("%s must be ASCII (IA5String), found %q", label, r)
		}
	}
	if a.maxLen > 0 {
		if c := utf8.RuneCountInString(value); c > a.maxLen {
			return fmt.Errorf("%s is %d characters long; the limit is %d", label, c, a.maxLen)
		}
	}
	switch {
	case a.oid.Equal(asn1.ObjectIdentifier{2, 5, 4, 6}):
		if len(value) != 2 || !isLetter(value[0]) || !isLetter(value[1]) {
			return fmt.Errorf("C must be a two-letter country code, not %q", value)
		}
	case a.oid.Equal(oidCommonName):
		if n.CommonName != "" {
			return fmt.Errorf("CN given twice (%q and %q)", n.CommonName, value)
		}
	}
	var encoded any = value
	if a.ia5 {
		encoded = asn1.RawValue{Tag: asn1.TagIA5String, Bytes: []byte(value)}
	}
	n.ExtraNames = append(n.ExtraNames, pkix.AttributeTypeAndValue{Type: a.oid, Value: encoded})
	n.Names = append(n.Names, pkix.AttributeTypeAndValue{Type: a.oid, Value: value})
	if a.set != nil {
		a.set(n, value)
	}
	return nil
}

func isLetter(b byte) bool { return ('A' <= b && b <= 'Z') || ('a' <= b && b <= 'z') }

// lookupAttribute resolves a short name or a dotted OID.
func lookupAttribute(key string) (attribute, error) {
	if key == "" {
		return attribute{}, errors.New("missing attribute name before '='")
	}
	if a, ok := attributeByName(key); ok {
		return a, nil
	}
	if oid, ok := parseOID(key); ok {
		if a, ok := attributeByOID(oid); ok {
			return a, nil
		}
		return attribute{oid: oid}, nil
	}
	return attribute{}, fmt.Errorf("unknown attribute %q (known: %s; or a dotted OID such as 2.5.4.3)", key, knownAttributeNames())
}

// parseOID parses a dotted object identifier such as 2.5.4.3, as DER can
// encode it: at least two arcs, the first 0, 1 or 2, the second below 40
// unless the first is 2.
func parseOID(s string) (asn1.ObjectIdentifier, bool) {
	fields := strings.Split(s, ".")
	if len(fields) < 2 {
		return nil, false
	}
	oid := make(asn1.ObjectIdentifier, len(fields))
	for i, f := range fields {
		if f == "" || (len(f) > 1 && f[0] == '0') || strings.TrimLeft(f, "0123456789") != "" {
			return nil, false
		}
		v, err := strconv.Atoi(f)
		if err != nil || v < 0 || v > 1<<28 {
			return nil, false
		}
		oid[i] = v
	}
	if oid[0] > 2 || (oid[0] < 2 && oid[1] >= 40) {
		return nil, false
	}
	return oid, true
}

// FormatName writes n in the comma form ParseSubject reads, attributes in
// certificate order ("C=US, O=ABC\, Inc., CN=x"). It uses n.Names when set
// (a parsed certificate or ParseSubject's result) and n.ToRDNSequence()
// otherwise. Unknown attributes appear as dotted OIDs.
func FormatName(n pkix.Name) string {
	atvs := n.Names
	if len(atvs) == 0 {
		for _, rdn := range n.ToRDNSequence() {
			atvs = append(atvs, rdn...)
		}
	}
	parts := make([]string, 0, len(atvs))
	for _, atv := range atvs {
		key := atv.Type.String()
		if a, ok := attributeByOID(atv.Type); ok {
			key = a.name
		}
		var value string
		switch v := atv.Value.(type) {
		case string:
			value = v
		case asn1.RawValue:
			value = string(v.Bytes)
		default:
			value = fmt.Sprint(v)
		}
		parts = append(parts, key+"="+escapeValue(value))
	}
	return strings.Join(parts, ", ")
}

// escapeValue escapes what ParseSubject would otherwise take as syntax:
// backslashes, commas, plus signs, and spaces at either end.
func escapeValue(v string) string {
	var b strings.Builder
	for i, r := range v {
		switch {
		case r == '\\' || r == ',' || r == '+':
			b.WriteByte('\\')
		case unicode.IsSpace(r) && (i == 0 || i+utf8.RuneLen(r) == len(v)):
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
