package pki_test

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/pki"
	"github.com/roam-dev/roam/internal/testpki"
)

func TestParseSANs(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string // SANs.String() of the result
		wantErr string
	}{
		{name: "ok/all types", in: "dns:a.example,uri:spiffe://x/y,email:a@b.example,ip:10.0.0.1",
			want: "dns:a.example,uri:spiffe://x/y,email:a@b.example,ip:10.0.0.1"},
		{name: "ok/empty", in: "", want: ""},
		{name: "ok/OpenSSL spelling and spaces", in: " DNS:a.example , IP:::1 ,URI:https://h.example:8443/p?q=1", want: "dns:a.example,uri:https://h.example:8443/p?q=1,ip:::1"},
		{name: "ok/wildcard", in: "dns:*.a.example", want: "dns:*.a.example"},
		{name: "ok/grouped by type", in: "ip:10.0.0.2,dns:b.example,dns:a.example", want: "dns:b.example,dns:a.example,ip:10.0.0.2"},
		{name: "ok/IPv4-mapped IPv6 becomes IPv4", in: "ip:::ffff:10.1.2.3", want: "ip:10.1.2.3"},
		{name: "ok/URI with IP host", in: "uri:https://[::1]:8443/x", want: "uri:https://[::1]:8443/x"},
		{name: "error/empty entry", in: "dns:a.example,,ip:10.0.0.1", wantErr: "SAN entry 2 is empty"},
		{name: "error/no type", in: "a.example", wantErr: `SAN "a.example" has no type`},
		{name: "error/unknown type", in: "rid:1.2.3", wantErr: `unknown type "rid"`},
		{name: "error/empty value", in: "dns:", wantErr: "empty value"},
		{name: "error/DNS space", in: "dns:a b.example", wantErr: `contains ' '`},
		{name: "error/DNS empty label", in: "dns:a..example", wantErr: "empty label"},
		{name: "error/DNS trailing dot", in: "dns:a.example.", wantErr: "empty label"},
		{name: "error/DNS hyphen", in: "dns:-a.example", wantErr: "starts or ends with '-'"},
		{name: "error/DNS long label", in: "dns:" + strings.Repeat("a", 64) + ".example", wantErr: "longer than 63"},
		{name: "error/DNS inner wildcard", in: "dns:a.*.example", wantErr: `contains '*'`},
		{name: "error/DNS unicode", in: "dns:bücher.example", wantErr: `contains 'ü'`},
		{name: "error/URI without scheme", in: "uri:/just/a/path", wantErr: "URI has no scheme"},
		{name: "error/URI non-ASCII", in: "uri:spiffe://x/ü", wantErr: "percent-encode"},
		{name: "error/URI bad host", in: "uri:https://a..b/", wantErr: "URI host"},
		{name: "error/URI not canonical", in: "uri:HTTP://x/y", wantErr: "canonical form"},
		{name: "error/email without at", in: "email:ab.example", wantErr: "local@domain"},
		{name: "error/email two ats", in: "email:a@b@c", wantErr: "local@domain"},
		{name: "error/email bad domain", in: "email:a@b_c..d", wantErr: "email domain"},
		{name: "error/IP", in: "ip:10.0.0.256", wantErr: "not an IPv4 or IPv6 address"},
		{name: "error/IP zone", in: "ip:fe80::1%eth0", wantErr: "not an IPv4 or IPv6 address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := pki.ParseSANs(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSANs(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSANs(%q): %v", tt.in, err)
			}
			if got := s.String(); got != tt.want {
				t.Errorf("ParseSANs(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if s.Empty() != (tt.want == "") {
				t.Errorf("Empty() = %v", s.Empty())
			}
		})
	}
}

func FuzzParseSANs(f *testing.F) {
	for _, s := range []string{
		"dns:a.example,uri:spiffe://x/y,email:a@b.example,ip:10.0.0.1",
		"DNS:*.a.example,IP:::1", "uri:https://h:1/p?q#f", "email:x@y", "dns:", ",", "ip:::ffff:1.2.3.4",
	} {
		f.Add(s)
	}
	ca, err := pki.NewRoot(time.Now(), testpki.Key(f, testpki.ECP256), pki.CAOptions{Subject: pkix.Name{CommonName: "fuzz"}, Lifetime: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	leafKey := testpki.Key(f, testpki.ECP256)
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := pki.ParseSANs(spec)
		if err != nil {
			return
		}
		// Whatever ParseSANs accepts must make a certificate that
		// crypto/x509 parses again, with the same names.
		cert, err := ca.IssueClient(time.Now(), leafKey.Public(), pki.ClientOptions{Subject: pkix.Name{CommonName: "c"}, SANs: s, Lifetime: time.Hour})
		if err != nil {
			t.Fatalf("ParseSANs(%q) accepted names that cannot be certified: %v", spec, err)
		}
		got := pki.SANs{DNSNames: cert.DNSNames, URIs: cert.URIs, EmailAddresses: cert.EmailAddresses, IPAddresses: cert.IPAddresses}
		if got.String() != s.String() {
			t.Fatalf("certified %q, read back %q", s, got)
		}
		if _, err := x509.ParseCertificate(cert.Raw); err != nil {
			t.Fatal(err)
		}
		if again, err := pki.ParseSANs(s.String()); err != nil || !slices.Equal(strings.Split(again.String(), ","), strings.Split(s.String(), ",")) {
			t.Fatalf("String() of %q does not parse back: %q, %v", spec, again, err)
		}
	})
}
