package session

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/testpki"
)

var (
	oidCN = asn1.ObjectIdentifier{2, 5, 4, 3}
	oidOU = asn1.ObjectIdentifier{2, 5, 4, 11}
	oidO  = asn1.ObjectIdentifier{2, 5, 4, 10}
	oidC  = asn1.ObjectIdentifier{2, 5, 4, 6}
)

// sanWithDirectoryName builds a subjectAltName extension holding a DNS
// name, a URI and a directoryName, which x509.CreateCertificate cannot.
func sanWithDirectoryName(t *testing.T, dns, uri string, dir pkix.RDNSequence) pkix.Extension {
	t.Helper()
	dirDER, err := asn1.Marshal(dir)
	if err != nil {
		t.Fatal(err)
	}
	raw := []asn1.RawValue{
		{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte(dns)},
		{Class: asn1.ClassContextSpecific, Tag: 6, Bytes: []byte(uri)},
		{Class: asn1.ClassContextSpecific, Tag: 4, IsCompound: true, Bytes: dirDER},
		{Class: asn1.ClassContextSpecific, Tag: 2, Bytes: []byte("second.example")},
	}
	val, err := asn1.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	return pkix.Extension{Id: oidSAN, Value: val}
}

func TestSessionTags(t *testing.T) {
	ca := testpki.NewCA(t, testpki.WithSubject(pkix.Name{Country: []string{"US"}, Organization: []string{"Example CA Org"}, CommonName: "Example Root"}))
	subject := pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{
		{Type: oidC, Value: "US"},
		{Type: oidO, Value: "ABC Inc."},
		{Type: oidOU, Value: "Security"},
		{Type: oidOU, Value: "Engineering"},
		{Type: oidOU, Value: "Research"},
		{Type: oidCN, Value: "alice"},
	}}
	dir := pkix.RDNSequence{{{Type: oidO, Value: "Dir Org"}}, {{Type: oidCN, Value: "dir-cn"}}}
	leaf := ca.Leaf(t, testpki.WithSubject(subject), testpki.WithModify(func(c *x509.Certificate) {
		c.ExtraExtensions = append(c.ExtraExtensions, sanWithDirectoryName(t, "host.example", "spiffe://example.org/workload", dir))
	})).Cert

	all := []Attribute{
		{"x509Issuer/C", "US"}, {"x509Issuer/O", "Example CA Org"}, {"x509Issuer/CN", "Example Root"},
		{"x509SAN/DNS", "host.example"}, {"x509SAN/URI", "spiffe://example.org/workload"},
		{"x509SAN/Name/O", "Dir Org"}, {"x509SAN/Name/CN", "dir-cn"},
		{"x509Subject/C", "US"}, {"x509Subject/O", "ABC Inc."}, {"x509Subject/OU", "Security/Engineering/Research"}, {"x509Subject/CN", "alice"},
	}
	m := func(field string, specs ...string) store.AttributeMapping {
		am := store.AttributeMapping{CertificateField: field}
		for _, s := range specs {
			am.MappingRules = append(am.MappingRules, store.MappingRule{Specifier: s})
		}
		return am
	}
	tests := []struct {
		name     string
		mappings []store.AttributeMapping
		want     []Attribute
	}{
		{"defaults", defaultMappings(), all},
		{"subject CN and OU only", []store.AttributeMapping{m("x509Subject", "OU", "CN")}, []Attribute{{"x509Subject/OU", "Security/Engineering/Research"}, {"x509Subject/CN", "alice"}}},
		{"SAN URI only", []store.AttributeMapping{m("x509SAN", "URI")}, []Attribute{{"x509SAN/URI", "spiffe://example.org/workload"}}},
		{"SAN directory CN only", []store.AttributeMapping{m("x509SAN", "Name/CN")}, []Attribute{{"x509SAN/Name/CN", "dir-cn"}}},
		{"no mappings", nil, nil},
		{"unknown specifier", []store.AttributeMapping{m("x509Subject", "XX")}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := SessionTags(leaf, tt.mappings)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("tags\n got %v\nwant %v", got, tt.want)
			}
		})
	}
}

func defaultMappings() []store.AttributeMapping {
	return []store.AttributeMapping{
		{CertificateField: "x509Issuer", MappingRules: []store.MappingRule{{Specifier: "*"}}},
		{CertificateField: "x509SAN", MappingRules: []store.MappingRule{{Specifier: "DNS"}, {Specifier: "URI"}, {Specifier: "Name/*"}}},
		{CertificateField: "x509Subject", MappingRules: []store.MappingRule{{Specifier: "*"}}},
	}
}

func TestSessionTagsDropsValuesSTSRefuses(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Leaf(t, testpki.WithSubject(pkix.Name{CommonName: "bad*value", Organization: []string{strings.Repeat("o", 257)}, OrganizationalUnit: []string{"ok unit"}}),
		testpki.WithModify(func(c *x509.Certificate) {
			c.URIs = []*url.URL{{Scheme: "https", Host: "x.example", RawQuery: "a=b&c"}}
		}))
	got := SessionTags(leaf.Cert, []store.AttributeMapping{{CertificateField: "x509Subject", MappingRules: []store.MappingRule{{Specifier: "*"}}}, {CertificateField: "x509SAN", MappingRules: []store.MappingRule{{Specifier: "URI"}}}})
	want := []Attribute{{"x509Subject/OU", "ok unit"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestSourceIdentity(t *testing.T) {
	ca := testpki.NewCA(t)
	tests := []struct {
		name   string
		cn     string
		serial int64
		want   string
	}{
		{"short CN", "client", 1, "CN=client"},
		{"61 characters", strings.Repeat("a", 61), 1, "CN=" + strings.Repeat("a", 61)},
		{"62 characters", strings.Repeat("b", 62), 1, strings.Repeat("b", 62)},
		{"64 characters", strings.Repeat("c", 64), 1, strings.Repeat("c", 64)},
		{"65 characters", strings.Repeat("d", 65), 291, "ID=0123"},
		{"no CN, odd hex length padded", "", 291, "ID=0123"},
		{"no CN, even hex length", "", 17767, "ID=4567"},
		{"CN STS refuses", "a*b", 255, "ID=ff"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			leaf := ca.Leaf(t, testpki.WithSubject(pkix.Name{CommonName: tt.cn, Organization: []string{"O"}}), testpki.WithSerial(big.NewInt(tt.serial)))
			if got := SourceIdentity(leaf.Cert); got != tt.want {
				t.Fatalf("SourceIdentity = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRenderName(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Leaf(t, testpki.WithSubject(pkix.Name{ExtraNames: []pkix.AttributeTypeAndValue{
		{Type: oidC, Value: "US"}, {Type: oidO, Value: "ABC, Inc."}, {Type: oidCN, Value: "alice"},
	}}))
	if got, want := RenderName(leaf.Cert.RawSubject), `C=US,O=ABC\, Inc.,CN=alice`; got != want {
		t.Fatalf("RenderName = %q, want %q", got, want)
	}
	if got := RenderName([]byte("garbage")); got != "" {
		t.Fatalf("RenderName(garbage) = %q", got)
	}
}

func TestHexSerial(t *testing.T) {
	for n, want := range map[int64]string{0: "00", 1: "01", 255: "ff", 256: "0100"} {
		if got := HexSerial(big.NewInt(n)); got != want {
			t.Errorf("HexSerial(%d) = %q, want %q", n, got, want)
		}
	}
}
