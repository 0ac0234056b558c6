package pki

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
)

// SANs are the subject alternative names of a certificate.
type SANs struct {
	DNSNames       []string
	URIs           []*url.URL
	EmailAddresses []string
	IPAddresses    []net.IP
}

// Empty reports whether s holds no names.
func (s SANs) Empty() bool {
	return len(s.DNSNames) == 0 && len(s.URIs) == 0 && len(s.EmailAddresses) == 0 && len(s.IPAddresses) == 0
}

// String writes s in the syntax ParseSANs reads, grouped by type.
func (s SANs) String() string {
	var parts []string
	for _, d := range s.DNSNames {
		parts = append(parts, "dns:"+d)
	}
	for _, u := range s.URIs {
		parts = append(parts, "uri:"+u.String())
	}
	for _, e := range s.EmailAddresses {
		parts = append(parts, "email:"+e)
	}
	for _, ip := range s.IPAddresses {
		parts = append(parts, "ip:"+ip.String())
	}
	return strings.Join(parts, ",")
}

// Validate checks every name with the rules ParseSANs applies, for names
// that come from elsewhere, such as a certificate request.
func (s SANs) Validate() error {
	for _, d := range s.DNSNames {
		if err := checkDNSName(d, true); err != nil {
			return fmt.Errorf("SAN dns:%s: %w", d, err)
		}
	}
	for _, u := range s.URIs {
		if u == nil {
			return errors.New("SAN uri: is nil")
		}
		if _, err := parseURISAN(u.String()); err != nil {
			return fmt.Errorf("SAN uri:%s: %w", u, err)
		}
	}
	for _, e := range s.EmailAddresses {
		if err := checkEmail(e); err != nil {
			return fmt.Errorf("SAN email:%s: %w", e, err)
		}
	}
	for _, ip := range s.IPAddresses {
		if len(ip) != net.IPv4len && len(ip) != net.IPv6len {
			return fmt.Errorf("SAN ip: %d bytes is neither IPv4 nor IPv6", len(ip))
		}
	}
	return nil
}

// ParseSANs parses a comma-separated list of typed names:
//
//	dns:a.example,uri:spiffe://x/y,email:a@b.example,ip:10.0.0.1
//
// Types are case-insensitive, so OpenSSL's "DNS:" and "IP:" also work.
// Spaces around entries are ignored; an empty spec gives no names. Each
// name is checked so that the certificate carrying it parses again: DNS
// names are hostnames (optionally with a leading "*." wildcard), URIs are
// absolute ASCII URIs, email addresses are ASCII local@domain, and IP
// addresses are IPv4 or IPv6 literals.
func ParseSANs(spec string) (SANs, error) {
	var s SANs
	if strings.TrimSpace(spec) == "" {
		return s, nil
	}
	for i, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return SANs{}, fmt.Errorf("SAN entry %d is empty", i+1)
		}
		typ, value, ok := strings.Cut(entry, ":")
		if !ok {
			return SANs{}, fmt.Errorf("SAN %q has no type (want dns:, uri:, email: or ip:)", entry)
		}
		value = strings.TrimSpace(value)
		if value == "" {
			return SANs{}, fmt.Errorf("SAN %q has an empty value", entry)
		}
		var err error
		switch strings.ToLower(strings.TrimSpace(typ)) {
		case "dns":
			err = checkDNSName(value, true)
			s.DNSNames = append(s.DNSNames, value)
		case "uri":
			var u *url.URL
			u, err = parseURISAN(value)
			s.URIs = append(s.URIs, u)
		case "email":
			err = checkEmail(value)
			s.EmailAddresses = append(s.EmailAddresses, value)
		case "ip":
			var ip net.IP
			ip, err = parseIPSAN(value)
			s.IPAddresses = append(s.IPAddresses, ip)
		default:
			return SANs{}, fmt.Errorf("SAN %q has unknown type %q (want dns:, uri:, email: or ip:)", entry, typ)
		}
		if err != nil {
			return SANs{}, fmt.Errorf("SAN %q: %w", entry, err)
		}
	}
	return s, nil
}

// checkDNSName accepts hostnames of letters, digits, '-' and '_' in labels
// of 1 to 63 characters, at most 253 characters in all, and (when
// wildcard) a leading "*." label.
func checkDNSName(name string, wildcard bool) error {
	if len(name) > 253 {
		return fmt.Errorf("DNS name is %d characters long; the limit is 253", len(name))
	}
	if wildcard {
		name = strings.TrimPrefix(name, "*.")
	}
	for label := range strings.SplitSeq(name, ".") {
		if label == "" {
			return errors.New("DNS name has an empty label")
		}
		if len(label) > 63 {
			return fmt.Errorf("DNS label %q is longer than 63 characters", label)
		}
		if label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("DNS label %q starts or ends with '-'", label)
		}
		for _, r := range label {
			if !isHostnameRune(r) {
				return fmt.Errorf("DNS label %q contains %q (want letters, digits, '-' or '_')", label, r)
			}
		}
	}
	return nil
}

func isHostnameRune(r rune) bool {
	return r < 128 && (isLetter(byte(r)) || ('0' <= r && r <= '9') || r == '-' || r == '_')
}

func parseURISAN(value string) (*url.URL, error) {
	for _, r := range value {
		if r > 126 || r <= ' ' {
			return nil, fmt.Errorf("URI contains %q (want printable ASCII without spaces; percent-encode the rest)", r)
		}
	}
	u, err := url.Parse(value)
	if err != nil {
		return nil, fmt.Errorf("invalid URI: %w", err)
	}
	if u.Scheme == "" {
		return nil, errors.New("URI has no scheme (want e.g. spiffe://trust.domain/path)")
	}
	if u.Host != "" {
		host := u.Hostname()
		if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil {
			if err := checkDNSName(host, false); err != nil {
				return nil, fmt.Errorf("URI host: %w", err)
			}
		}
	}
	if u.String() != value {
		// What the certificate stores is u.String(); refuse input that
		// would not survive the trip unchanged.
		return nil, fmt.Errorf("URI is not in canonical form (it would be stored as %q)", u.String())
	}
	return u, nil
}

func checkEmail(value string) error {
	local, domain, ok := strings.Cut(value, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") {
		return errors.New("email address must be local@domain")
	}
	for _, r := range local {
		if r > 126 || r <= ' ' || strings.ContainsRune(`()<>[]\;:"`, r) {
			return fmt.Errorf("email address local part contains %q", r)
		}
	}
	if err := checkDNSName(domain, false); err != nil {
		return fmt.Errorf("email domain: %w", err)
	}
	return nil
}

func parseIPSAN(value string) (net.IP, error) {
	addr, err := netip.ParseAddr(value)
	if err != nil || addr.Zone() != "" {
		return nil, fmt.Errorf("%q is not an IPv4 or IPv6 address", value)
	}
	if addr.Is4In6() {
		addr = addr.Unmap()
	}
	return net.IP(addr.AsSlice()), nil
}
