package pki_test

import (
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/pki"
)

// attrs flattens a name into "KEY=VALUE" strings in order, keys as
// FormatName writes them.
func attrs(t *testing.T, n pkix.Name) []string {
	t.Helper()
	var out []string
	for _, atv := range n.Names {
		out = append(out, pki.FormatName(pkix.Name{Names: []pkix.AttributeTypeAndValue{atv}}))
	}
	return out
}

func TestParseSubject(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []string
		wantErr string
	}{
		{name: "ok/comma form", in: "C=US,ST=California,L=San Francisco,O=ABC Inc.,OU=DevOps,CN=x",
			want: []string{"C=US", "ST=California", "L=San Francisco", "O=ABC Inc.", "OU=DevOps", "CN=x"}},
		{name: "ok/slash form", in: "/C=US/ST=California/L=San Francisco/O=ABC Inc./OU=DevOps/CN=x",
			want: []string{"C=US", "ST=California", "L=San Francisco", "O=ABC Inc.", "OU=DevOps", "CN=x"}},
		{name: "ok/order kept, CN first", in: "CN=x,O=ABC,C=US", want: []string{"CN=x", "O=ABC", "C=US"}},
		{name: "ok/escaped comma", in: `O=ABC\, Inc.,CN=x`, want: []string{`O=ABC\, Inc.`, "CN=x"}},
		{name: "ok/comma is plain in slash form", in: "/O=ABC, Inc./CN=x", want: []string{`O=ABC\, Inc.`, "CN=x"}},
		{name: "ok/slash is plain in comma form", in: "O=a/b,CN=x", want: []string{"O=a/b", "CN=x"}},
		{name: "ok/escaped slash in slash form", in: `/O=a\/b/CN=x`, want: []string{"O=a/b", "CN=x"}},
		{name: "ok/several OUs", in: "OU=DevOps,OU=Platform,OU=EU,CN=x", want: []string{"OU=DevOps", "OU=Platform", "OU=EU", "CN=x"}},
		{name: "ok/spaces trimmed", in: "  C = US ,  CN =  x y  ", want: []string{"C=US", "CN=x y"}},
		{name: "ok/escaped spaces kept", in: `CN=\ x\ `, want: []string{`CN=\ x\ `}},
		{name: "ok/equals in value", in: "CN=a=b", want: []string{"CN=a=b"}},
		{name: "ok/keys case-insensitive and aliases", in: "c=US,st=CA,S=Other,o=ABC,ou=Ops,cn=x,emailaddress=a@b.example",
			want: []string{"C=US", "ST=CA", "ST=Other", "O=ABC", "OU=Ops", "CN=x", "emailAddress=a@b.example"}},
		{name: "ok/dotted OID", in: "2.5.4.3=x,1.3.6.1.4.1.99999.1=custom", want: []string{"CN=x", "1.3.6.1.4.1.99999.1=custom"}},
		{name: "ok/DC and UID", in: "DC=example,DC=com,UID=jdoe,CN=J Doe", want: []string{"DC=example", "DC=com", "UID=jdoe", "CN=J Doe"}},
		{name: "ok/unicode", in: "O=Bücher GmbH,CN=日本", want: []string{"O=Bücher GmbH", "CN=日本"}},
		{name: "ok/escaped plus", in: `CN=a\+b`, want: []string{`CN=a\+b`}},
		{name: "error/multi-valued RDN", in: "OU=a+OU=b,CN=x", wantErr: `subject attribute 1 has an unescaped '+': multi-valued RDNs are not supported (write \+ for a plus sign)`},
		{name: "error/empty", in: "  ", wantErr: "subject is empty"},
		{name: "error/only slash", in: "/", wantErr: "subject attribute 1 is empty"},
		{name: "error/no equals", in: "C=US,CN", wantErr: `subject attribute 2 ("CN") has no '='`},
		{name: "error/empty element", in: "C=US,,CN=x", wantErr: "subject attribute 2 is empty"},
		{name: "error/trailing separator", in: "/C=US/", wantErr: "subject attribute 2 is empty"},
		{name: "error/unknown key", in: "C=US,XX=1", wantErr: `unknown attribute "XX" (known: C, ST, L`},
		{name: "error/missing key", in: "=x", wantErr: "missing attribute name"},
		{name: "error/empty value", in: "C=US,CN=", wantErr: "empty value for CN"},
		{name: "ok/escaped space as the whole value", in: `CN=\ `, want: []string{`CN=\ `}},
		{name: "error/country length", in: "C=USA,CN=x", wantErr: `C must be a two-letter country code, not "USA"`},
		{name: "error/country digits", in: "C=1A", wantErr: "two-letter country code"},
		{name: "error/CN twice", in: "CN=a,CN=b", wantErr: `CN given twice ("a" and "b")`},
		{name: "error/CN too long", in: "CN=" + strings.Repeat("x", 65), wantErr: "CN is 65 characters long; the limit is 64"},
		{name: "error/lone backslash", in: `CN=x\`, wantErr: "lone backslash"},
		{name: "error/control character", in: "CN=a\nb", wantErr: "control character U+000A"},
		{name: "error/non-ASCII email", in: "emailAddress=ü@b.example", wantErr: "must be ASCII"},
		{name: "error/invalid UTF-8", in: "CN=\xff", wantErr: "not valid UTF-8"},
		{name: "error/bad OID", in: "3.1=x", wantErr: `unknown attribute "3.1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := pki.ParseSubject(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSubject(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSubject(%q): %v", tt.in, err)
			}
			if got := attrs(t, n); !slices.Equal(got, tt.want) {
				t.Errorf("attributes = %q, want %q", got, tt.want)
			}
			// The encoded name keeps the order, one attribute per RDN.
			rdns := n.ToRDNSequence()
			if len(rdns) != len(tt.want) {
				t.Errorf("%d RDNs, want %d", len(rdns), len(tt.want))
			}
			for i, rdn := range rdns {
				if len(rdn) != 1 || !rdn[0].Type.Equal(n.Names[i].Type) {
					t.Errorf("RDN %d = %v, want one %v", i, rdn, n.Names[i].Type)
				}
			}
		})
	}
}

func TestParseSubjectFields(t *testing.T) {
	n, err := pki.ParseSubject("C=US,ST=California,L=San Francisco,O=ABC Inc.,OU=DevOps,OU=EU,CN=x,serialNumber=42")
	if err != nil {
		t.Fatal(err)
	}
	got := fmt.Sprintf("%q %q %q %q %q %q %q", n.Country, n.Province, n.Locality, n.Organization, n.OrganizationalUnit, n.CommonName, n.SerialNumber)
	want := `["US"] ["California"] ["San Francisco"] ["ABC Inc."] ["DevOps" "EU"] "x" "42"`
	if got != want {
		t.Errorf("fields = %s, want %s", got, want)
	}
}

func TestParseSubjectEncoding(t *testing.T) {
	n, err := pki.ParseSubject("C=US,emailAddress=a@b.example,DC=example,CN=x")
	if err != nil {
		t.Fatal(err)
	}
	der, err := asn1.Marshal(n.ToRDNSequence())
	if err != nil {
		t.Fatal(err)
	}
	// emailAddress and DC are IA5String (tag 22), as OpenSSL writes them;
	// C is a PrintableString (tag 19).
	var rdns []rawRDNSET
	if _, err := asn1.Unmarshal(der, &rdns); err != nil {
		t.Fatal(err)
	}
	var raw []asn1.RawValue
	for _, rdn := range rdns {
		for _, atv := range rdn {
			raw = append(raw, atv.Value)
		}
	}
	if len(raw) != 4 {
		t.Fatalf("%d attributes, want 4", len(raw))
	}
	wantTags := []int{asn1.TagPrintableString, asn1.TagIA5String, asn1.TagIA5String, asn1.TagPrintableString}
	for i, v := range raw {
		if v.Tag != wantTags[i] {
			t.Errorf("attribute %d has tag %d, want %d", i, v.Tag, wantTags[i])
		}
	}
}

// rawRDNSET is an RDN with its values undecoded (encoding/asn1 reads a
// type whose name ends in SET as a SET).
type rawRDNSET []struct {
	Type  asn1.ObjectIdentifier
	Value asn1.RawValue
}

func TestSubjectWithCN(t *testing.T) {
	base, err := pki.ParseSubject("C=US,O=ABC")
	if err != nil {
		t.Fatal(err)
	}
	withCN, err := pki.SubjectWithCN(base, "client")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pki.FormatName(withCN), "C=US, O=ABC, CN=client"; got != want {
		t.Errorf("FormatName = %q, want %q", got, want)
	}
	if got := pki.FormatName(base); got != "C=US, O=ABC" {
		t.Errorf("SubjectWithCN modified its input: %q", got)
	}
	same, err := pki.SubjectWithCN(withCN, "client")
	if err != nil || pki.FormatName(same) != "C=US, O=ABC, CN=client" {
		t.Errorf("same CN: %q, %v", pki.FormatName(same), err)
	}
	if _, err := pki.SubjectWithCN(withCN, "other"); err == nil || !strings.Contains(err.Error(), `CN="client"`) {
		t.Errorf("conflicting CN: error = %v", err)
	}
	fields, err := pki.SubjectWithCN(pkix.Name{Organization: []string{"ABC"}}, "c")
	if err != nil || pki.FormatName(fields) != "O=ABC, CN=c" {
		t.Errorf("name from fields: %q, %v", pki.FormatName(fields), err)
	}
	if _, err := pki.SubjectWithCN(base, strings.Repeat("x", 70)); err == nil {
		t.Error("an over-long CN was accepted")
	}
}

func TestFormatName(t *testing.T) {
	for _, tt := range []struct {
		n    pkix.Name
		want string
	}{
		{pkix.Name{CommonName: "x", Organization: []string{"A, B"}, Country: []string{"US"}}, `C=US, O=A\, B, CN=x`},
		{pkix.Name{CommonName: ` back\slash `}, `CN=\ back\\slash\ `},
		{pkix.Name{Names: []pkix.AttributeTypeAndValue{{Type: asn1.ObjectIdentifier{1, 2, 3}, Value: "v"}}}, "1.2.3=v"},
	} {
		if got := pki.FormatName(tt.n); got != tt.want {
			t.Errorf("FormatName = %q, want %q", got, tt.want)
		}
	}
}

func FuzzParseSubject(f *testing.F) {
	for _, s := range []string{
		"C=US,ST=California,L=San Francisco,O=ABC Inc.,OU=DevOps,CN=x",
		"/C=US/ST=California/L=San Francisco/O=ABC Inc./OU=DevOps/CN=x",
		`O=ABC\, Inc.,CN=\ x\ `,
		"2.5.4.3=x,emailAddress=a@b",
		`CN=a\`, "CN=a,CN=b", "/", ",", "=", "C=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := pki.ParseSubject(s)
		if err != nil {
			return
		}
		// A parsed subject encodes, and FormatName writes it in a form
		// that parses back to the same attributes.
		if _, err := asn1.Marshal(n.ToRDNSequence()); err != nil {
			t.Fatalf("ParseSubject(%q) gave a name that does not encode: %v", s, err)
		}
		formatted := pki.FormatName(n)
		back, err := pki.ParseSubject(formatted)
		if err != nil {
			t.Fatalf("ParseSubject(FormatName(ParseSubject(%q))) = ParseSubject(%q): %v", s, formatted, err)
		}
		if !slices.EqualFunc(n.Names, back.Names, func(a, b pkix.AttributeTypeAndValue) bool {
			return a.Type.Equal(b.Type) && a.Value == b.Value
		}) {
			t.Fatalf("round trip of %q via %q: %v != %v", s, formatted, n.Names, back.Names)
		}
	})
}
