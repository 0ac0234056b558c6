package cli

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/pki"
)

func init() {
	register(func(root *cobra.Command, env *Env) { root.AddCommand(newCACmd(env)) })
}

// caMaxDays bounds every --days flag: a century is plenty, and keeps the
// lifetime far from time.Duration's limit.
const caMaxDays = 36500

func newCACmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ca",
		Short: "Run a private certificate authority for IAM Roles Anywhere clients",
		Long: `Run a private certificate authority kept in a directory:
  ca.key        the CA key (PKCS#8 PEM, mode 0600)
  ca.pem        the CA certificate: the trust anchor, for a root
  chain.pem     for an intermediate: its certificate and the ones above it, without the root
  revoked.json  revoked serial numbers, with time and reason
  crlnumber     the number of the next CRL (hex, as openssl ca keeps it)

A directory made with the OpenSSL walkthrough (ca.key and ca.pem) works as it is.`,
	}
	cmd.AddCommand(
		newCAInitCmd(env),
		newCAIssueCmd(env),
		newCASignCmd(env),
		newCARevokeCmd(env),
		newCACRLCmd(env),
		newCACheckCmd(env),
	)
	return cmd
}

// caInitCmd is roam ca init.
type caInitCmd struct {
	env     *Env
	dir     string
	subject string
	keyType string
	days    int
	parent  string
	pathLen int
	force   bool
}

func newCAInitCmd(env *Env) *cobra.Command {
	c := &caInitCmd{env: env}
	cmd := &cobra.Command{
		Use:   "init --dir DIR",
		Short: "Create a root CA, or with --parent an intermediate CA, in a directory",
		Example: `  roam ca init --dir ca --subject "C=US,ST=California,L=San Francisco,O=ABC Inc.,OU=DevOps,CN=ABC Root CA"
  roam ca init --dir issuing-ca --parent ca --path-len 0`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return c.run(cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&c.dir, "dir", "", "CA directory to create (required)")
	f.StringVar(&c.subject, "subject", "", `CA subject, e.g. "C=US,O=ABC Inc.,CN=ABC Root CA" or "/C=US/O=ABC Inc./CN=ABC Root CA" (default "CN=roam Root CA", or "CN=roam Intermediate CA" with --parent)`)
	f.StringVar(&c.keyType, "key-type", string(pki.RSA2048), "CA key type: "+pki.KeyTypeList())
	f.IntVar(&c.days, "days", 3650, "validity in days")
	f.StringVar(&c.parent, "parent", "", "directory of the CA that signs this one, making it an intermediate")
	f.IntVar(&c.pathLen, "path-len", -1, "how many intermediate CAs may follow this one (basicConstraints pathlen); -1 for no limit")
	f.BoolVar(&c.force, "force", false, "replace a CA already in --dir (its key is lost)")
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

func (c *caInitCmd) run(cmd *cobra.Command) error {
	keyType, err := pki.ParseKeyType(c.keyType)
	if err != nil {
		return usageError{fmt.Errorf("ca init: --key-type: %w", err)}
	}
	lifetime, err := caDaysFlag(c.days)
	if err != nil {
		return usageError{fmt.Errorf("ca init: %w", err)}
	}
	subject := c.subject
	if subject == "" {
		subject = "CN=roam Root CA"
		if c.parent != "" {
			subject = "CN=roam Intermediate CA"
		}
	}
	name, err := pki.ParseSubject(subject)
	if err != nil {
		return usageError{fmt.Errorf("ca init: --subject: %w", err)}
	}
	opts := pki.InitOptions{
		KeyType: keyType,
		CA:      pki.CAOptions{Subject: name, Lifetime: lifetime},
		Force:   c.force,
	}
	if cmd.Flags().Changed("path-len") {
		if c.pathLen < 0 {
			return usageError{fmt.Errorf("ca init: --path-len must be 0 or more, not %d", c.pathLen)}
		}
		opts.CA.PathLen = &c.pathLen
	}
	now := c.env.Now()
	if c.parent != "" {
		if caSameDir(c.parent, c.dir) {
			return usageError{fmt.Errorf("ca init: --parent and --dir are the same directory %s", c.dir)}
		}
		parent, err := pki.LoadDir(c.parent)
		if err != nil {
			return fmt.Errorf("ca init: parent CA: %w", err)
		}
		v, err := parent.CA.Validity(now, lifetime)
		if err != nil {
			return fmt.Errorf("ca init: parent CA: %w", err)
		}
		caWarnClamped(c.env, v, parent.CA)
		opts.Parent = parent.CA
	}
	d, err := pki.InitDir(c.dir, now, opts)
	if err != nil {
		return fmt.Errorf("ca init: %w", caForceHint(err))
	}
	var out strings.Builder
	kind := "root CA certificate; the trust anchor"
	if !d.CA.IsRoot() {
		kind = "intermediate CA certificate"
	}
	fmt.Fprintf(&out, "wrote %s (private key, %s, mode 0600)\n", filepath.Join(c.dir, pki.KeyFile), keyType)
	fmt.Fprintf(&out, "wrote %s (%s)\n", filepath.Join(c.dir, pki.CertFile), kind)
	if chain := d.CA.Intermediates(); chain != nil {
		fmt.Fprintf(&out, "wrote %s (%s, for clients' --intermediates)\n", filepath.Join(c.dir, pki.ChainFile), caCountCerts(len(chain)))
	}
	caDescribeCert(&out, d.CA.Cert)
	return caWriteOut(c.env, out.String())
}

// caIssueCmd is roam ca issue.
type caIssueCmd struct {
	env     *Env
	dir     string
	cn      string
	subject string
	sans    []string
	days    int
	keyType string
	out     string
	force   bool
}

func newCAIssueCmd(env *Env) *cobra.Command {
	c := &caIssueCmd{env: env}
	cmd := &cobra.Command{
		Use:   "issue --dir DIR --cn NAME --out PREFIX",
		Short: "Generate a key and issue a client certificate for it",
		Long: `Generate a key and issue a client certificate for it: PREFIX.key (mode 0600),
PREFIX.pem (the certificate alone) and, when the CA is an intermediate,
PREFIX-chain.pem (the intermediate certificates, for --intermediates).

The certificate has basicConstraints CA:false, keyUsage digitalSignature
(plus nonRepudiation, keyEncipherment and dataEncipherment for RSA keys),
extendedKeyUsage clientAuth and a SHA-256 signature, and never outlives the CA.`,
		Example: `  roam ca issue --dir ca --cn client.abc.example --san dns:client.abc.example,uri:spiffe://abc.example/client --out client`,
		Args:    cobra.NoArgs,
		RunE:    func(*cobra.Command, []string) error { return c.run() },
	}
	f := cmd.Flags()
	f.StringVar(&c.dir, "dir", "", "CA directory (required)")
	f.StringVar(&c.cn, "cn", "", "common name of the subject (appended to --subject)")
	f.StringVar(&c.subject, "subject", "", `subject, e.g. "C=US,O=ABC Inc.,OU=DevOps" (CN from --cn) or "/C=US/O=ABC Inc./CN=client"`)
	f.StringArrayVar(&c.sans, "san", nil, "subject alternative names, e.g. dns:a.example,uri:spiffe://x/y,email:a@b.example,ip:10.0.0.1 (repeatable)")
	f.IntVar(&c.days, "days", 365, "validity in days (never beyond the CA's own)")
	f.StringVar(&c.keyType, "key-type", string(pki.RSA2048), "key type: "+pki.KeyTypeList())
	f.StringVar(&c.out, "out", "", "output prefix: writes PREFIX.key, PREFIX.pem and maybe PREFIX-chain.pem (required)")
	f.BoolVar(&c.force, "force", false, "replace existing output files")
	_ = cmd.MarkFlagRequired("dir")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func (c *caIssueCmd) run() error {
	name, err := caClientSubject(c.subject, c.cn)
	if err != nil {
		return usageError{fmt.Errorf("ca issue: %w", err)}
	}
	sans, err := pki.ParseSANs(strings.Join(c.sans, ","))
	if err != nil {
		return usageError{fmt.Errorf("ca issue: --san: %w", err)}
	}
	keyType, err := pki.ParseKeyType(c.keyType)
	if err != nil {
		return usageError{fmt.Errorf("ca issue: --key-type: %w", err)}
	}
	lifetime, err := caDaysFlag(c.days)
	if err != nil {
		return usageError{fmt.Errorf("ca issue: %w", err)}
	}
	d, err := pki.LoadDir(c.dir)
	if err != nil {
		return fmt.Errorf("ca issue: %w", err)
	}
	chain := d.CA.Intermediates()
	keyFile, certFile, chainFile := c.out+".key", c.out+".pem", c.out+"-chain.pem"
	targets := []string{keyFile, certFile}
	if chain != nil {
		targets = append(targets, chainFile)
	}
	if err := caCheckAbsent(c.force, targets...); err != nil {
		return fmt.Errorf("ca issue: %w", err)
	}
	now := c.env.Now()
	v, err := d.CA.Validity(now, lifetime)
	if err != nil {
		return fmt.Errorf("ca issue: %w", err)
	}
	caWarnClamped(c.env, v, d.CA)
	key, err := pki.GenerateKey(keyType)
	if err != nil {
		return fmt.Errorf("ca issue: %w", err)
	}
	cert, err := d.CA.IssueClient(now, key.Public(), pki.ClientOptions{Subject: name, SANs: sans, Lifetime: lifetime})
	if err != nil {
		return fmt.Errorf("ca issue: %w", err)
	}
	keyPEM, err := pki.MarshalPrivateKeyPEM(key)
	if err != nil {
		return fmt.Errorf("ca issue: %w", err)
	}
	var out strings.Builder
	if err := pki.WriteFile(keyFile, keyPEM, 0o600, c.force); err != nil {
		return fmt.Errorf("ca issue: %w", caForceHint(err))
	}
	fmt.Fprintf(&out, "wrote %s (private key, %s, mode 0600)\n", keyFile, keyType)
	if err := caWriteCertificates(&out, c.force, cert, chain, certFile, chainFile); err != nil {
		return fmt.Errorf("ca issue: %w", err)
	}
	caDescribeCert(&out, cert)
	return caWriteOut(c.env, out.String())
}

// caClientSubject combines --subject and --cn; one of them must give a CN.
func caClientSubject(subject, cn string) (pkix.Name, error) {
	var (
		name pkix.Name
		err  error
	)
	if subject == "" && cn == "" {
		return name, errors.New("--cn (or a --subject with CN=) is required")
	}
	if subject != "" {
		if name, err = pki.ParseSubject(subject); err != nil {
			return name, fmt.Errorf("--subject: %w", err)
		}
	}
	if cn != "" {
		if name, err = pki.SubjectWithCN(name, cn); err != nil {
			return name, fmt.Errorf("--cn: %w", err)
		}
	}
	if name.CommonName == "" {
		return name, errors.New("the subject has no CN (pass --cn)")
	}
	return name, nil
}

// caSignCmd is roam ca sign.
type caSignCmd struct {
	env   *Env
	dir   string
	csr   string
	days  int
	out   string
	force bool
}

func newCASignCmd(env *Env) *cobra.Command {
	c := &caSignCmd{env: env}
	cmd := &cobra.Command{
		Use:   "sign --dir DIR --csr FILE --out PREFIX",
		Short: "Issue a client certificate for a certificate signing request",
		Long: `Issue a client certificate for a certificate signing request, for keys made
elsewhere (an HSM, a TPM, another host). The request's signature must verify;
its subject and DNS, URI, email and IP SANs are copied, and everything else it
asks for (such as CA:true) is ignored: the certificate gets the same client
profile as roam ca issue. Writes PREFIX.pem and, when the CA is an
intermediate, PREFIX-chain.pem.`,
		Example: `  openssl req -new -key client.key -subj "/O=ABC Inc./CN=client" -out client.csr
  roam ca sign --dir ca --csr client.csr --out client`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return c.run() },
	}
	f := cmd.Flags()
	f.StringVar(&c.dir, "dir", "", "CA directory (required)")
	f.StringVar(&c.csr, "csr", "", "certificate signing request, PEM or DER (required)")
	f.IntVar(&c.days, "days", 365, "validity in days (never beyond the CA's own)")
	f.StringVar(&c.out, "out", "", "output prefix: writes PREFIX.pem and maybe PREFIX-chain.pem (required)")
	f.BoolVar(&c.force, "force", false, "replace existing output files")
	_ = cmd.MarkFlagRequired("dir")
	_ = cmd.MarkFlagRequired("csr")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func (c *caSignCmd) run() error {
	lifetime, err := caDaysFlag(c.days)
	if err != nil {
		return usageError{fmt.Errorf("ca sign: %w", err)}
	}
	data, err := os.ReadFile(c.csr)
	if err != nil {
		return fmt.Errorf("ca sign: %w", err)
	}
	csr, err := pki.ParseCSRPEM(data)
	if err != nil {
		return fmt.Errorf("ca sign: %s: %w", c.csr, err)
	}
	d, err := pki.LoadDir(c.dir)
	if err != nil {
		return fmt.Errorf("ca sign: %w", err)
	}
	chain := d.CA.Intermediates()
	certFile, chainFile := c.out+".pem", c.out+"-chain.pem"
	targets := []string{certFile}
	if chain != nil {
		targets = append(targets, chainFile)
	}
	if err := caCheckAbsent(c.force, targets...); err != nil {
		return fmt.Errorf("ca sign: %w", err)
	}
	now := c.env.Now()
	v, err := d.CA.Validity(now, lifetime)
	if err != nil {
		return fmt.Errorf("ca sign: %w", err)
	}
	caWarnClamped(c.env, v, d.CA)
	cert, err := d.CA.SignCSR(now, csr, lifetime)
	if err != nil {
		return fmt.Errorf("ca sign: %s: %w", c.csr, err)
	}
	var out strings.Builder
	if err := caWriteCertificates(&out, c.force, cert, chain, certFile, chainFile); err != nil {
		return fmt.Errorf("ca sign: %w", err)
	}
	caDescribeCert(&out, cert)
	return caWriteOut(c.env, out.String())
}

// caRevokeCmd is roam ca revoke.
type caRevokeCmd struct {
	env    *Env
	dir    string
	serial string
	cert   string
	reason string
}

func newCARevokeCmd(env *Env) *cobra.Command {
	c := &caRevokeCmd{env: env}
	cmd := &cobra.Command{
		Use:   "revoke --dir DIR (--serial SERIAL | --cert FILE)",
		Short: "Record a certificate as revoked; the next CRL lists it",
		Example: `  roam ca revoke --dir ca --cert client.pem --reason keyCompromise
  roam ca revoke --dir ca --serial 0x4C5EA1...
  roam ca crl --dir ca --out ca.crl`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return c.run() },
	}
	f := cmd.Flags()
	f.StringVar(&c.dir, "dir", "", "CA directory (required)")
	f.StringVar(&c.serial, "serial", "", "serial number: decimal, or hex with 0x, colons or the letters a-f (as openssl x509 -serial prints it)")
	f.StringVar(&c.cert, "cert", "", "the certificate to revoke (PEM or DER)")
	f.StringVar(&c.reason, "reason", "unspecified", "reason: "+strings.Join(pki.ReasonNames(), ", "))
	_ = cmd.MarkFlagRequired("dir")
	return cmd
}

func (c *caRevokeCmd) run() error {
	if (c.serial == "") == (c.cert == "") {
		return usageError{errors.New("ca revoke: pass exactly one of --serial or --cert")}
	}
	reason, err := pki.ParseReason(c.reason)
	if err != nil {
		return usageError{fmt.Errorf("ca revoke: --reason: %w", err)}
	}
	var serial *big.Int
	if c.serial != "" {
		if serial, err = pki.ParseSerial(c.serial); err != nil {
			return usageError{fmt.Errorf("ca revoke: --serial: %w", err)}
		}
	}
	d, err := pki.LoadDir(c.dir)
	if err != nil {
		return fmt.Errorf("ca revoke: %w", err)
	}
	if c.cert != "" {
		cert, err := caReadCertificate(c.cert)
		if err != nil {
			return fmt.Errorf("ca revoke: %w", err)
		}
		if err := cert.CheckSignatureFrom(d.CA.Cert); err != nil {
			return fmt.Errorf("ca revoke: %s was not issued by the CA in %s (%s)", c.cert, c.dir, pki.FormatName(d.CA.Cert.Subject))
		}
		serial = cert.SerialNumber
	}
	r, err := d.Revoke(c.env.Now(), serial, reason)
	if err != nil {
		return fmt.Errorf("ca revoke: %w", err)
	}
	return caWriteOut(c.env, fmt.Sprintf("revoked serial %s (decimal %s) at %s, reason %s\nrun roam ca crl --dir %s --out FILE to publish a CRL that lists it\n",
		pki.FormatSerial(r.Serial), r.Serial, r.RevokedAt.Format(time.RFC3339), r.Reason, c.dir))
}

// caCRLCmd is roam ca crl.
type caCRLCmd struct {
	env  *Env
	dir  string
	days int
	out  string
}

func newCACRLCmd(env *Env) *cobra.Command {
	c := &caCRLCmd{env: env}
	cmd := &cobra.Command{
		Use:   "crl --dir DIR --out FILE",
		Short: "Sign a CRL of the revoked certificates (PEM, ready for ImportCrl)",
		Example: `  roam ca crl --dir ca --out ca.crl
  aws rolesanywhere import-crl --name ca --crl-data fileb://ca.crl --trust-anchor-arn ARN`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return c.run() },
	}
	f := cmd.Flags()
	f.StringVar(&c.dir, "dir", "", "CA directory (required)")
	f.IntVar(&c.days, "days", 30, "days until the CRL's nextUpdate")
	f.StringVar(&c.out, "out", "", "CRL file to write; an existing one is replaced (required)")
	_ = cmd.MarkFlagRequired("dir")
	_ = cmd.MarkFlagRequired("out")
	return cmd
}

func (c *caCRLCmd) run() error {
	lifetime, err := caDaysFlag(c.days)
	if err != nil {
		return usageError{fmt.Errorf("ca crl: %w", err)}
	}
	d, err := pki.LoadDir(c.dir)
	if err != nil {
		return fmt.Errorf("ca crl: %w", err)
	}
	crl, err := d.CRL(c.env.Now(), lifetime)
	if err != nil {
		return fmt.Errorf("ca crl: %w", err)
	}
	if err := pki.WriteFile(c.out, pki.EncodeCRL(crl.Raw), 0o644, true); err != nil {
		return fmt.Errorf("ca crl: %w", err)
	}
	return caWriteOut(c.env, fmt.Sprintf("wrote %s (CRL number %s, %d revoked, next update %s)\n",
		c.out, crl.Number, len(crl.RevokedCertificateEntries), crl.NextUpdate.UTC().Format(time.RFC3339)))
}

// caDaysFlag turns a --days value into a lifetime.
func caDaysFlag(days int) (time.Duration, error) {
	if days < 1 || days > caMaxDays {
		return 0, fmt.Errorf("--days must be between 1 and %d, not %d", caMaxDays, days)
	}
	return time.Duration(days) * 24 * time.Hour, nil
}

// caForceHint adds the way out to an error about a file that exists.
func caForceHint(err error) error {
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w (use --force to replace it)", err)
	}
	return err
}

// caCheckAbsent fails, unless force is set, when one of names exists, so a
// command writes all of its files or none.
func caCheckAbsent(force bool, names ...string) error {
	if force {
		return nil
	}
	for _, name := range names {
		if _, err := os.Lstat(name); err == nil {
			return fmt.Errorf("%s already exists (use --force to replace it)", name)
		}
	}
	return nil
}

// caSameDir reports whether a and b name the same directory.
func caSameDir(a, b string) bool {
	ai, errA := os.Stat(a)
	bi, errB := os.Stat(b)
	if errA == nil && errB == nil {
		return os.SameFile(ai, bi)
	}
	absA, errA := filepath.Abs(a)
	absB, errB := filepath.Abs(b)
	return errA == nil && errB == nil && absA == absB
}

// caWarnClamped tells the operator, on stderr, that a certificate will end
// with its CA rather than when asked. A cut of less than a day, the unit of
// --days, is not worth a warning: it is what happens to an intermediate
// made right after its root with the same --days.
func caWarnClamped(env *Env, v pki.Validity, ca *pki.CA) {
	if v.Clamped && v.Requested.Sub(v.NotAfter) >= 24*time.Hour {
		fmt.Fprintf(env.Stderr, "roam: warning: the certificate may not outlive its CA %q: it ends at %s, not %s\n",
			pki.FormatName(ca.Cert.Subject), v.NotAfter.UTC().Format(time.RFC3339), v.Requested.UTC().Format(time.RFC3339))
	}
}

// caWriteCertificates writes the new certificate to certFile and, for an
// intermediate CA, the chain to chainFile, noting both in out.
func caWriteCertificates(out *strings.Builder, force bool, cert *x509.Certificate, chain []*x509.Certificate, certFile, chainFile string) error {
	if err := pki.WriteFile(certFile, pki.EncodeCertificates(cert), 0o644, force); err != nil {
		return caForceHint(err)
	}
	fmt.Fprintf(out, "wrote %s (client certificate)\n", certFile)
	if chain == nil {
		return nil
	}
	if err := pki.WriteFile(chainFile, pki.EncodeCertificates(chain...), 0o644, force); err != nil {
		return caForceHint(err)
	}
	fmt.Fprintf(out, "wrote %s (%s, for --intermediates)\n", chainFile, caCountCerts(len(chain)))
	return nil
}

func caCountCerts(n int) string {
	if n == 1 {
		return "1 intermediate certificate"
	}
	return fmt.Sprintf("%d intermediate certificates", n)
}

// caDescribeCert prints what an operator checks about a new certificate.
func caDescribeCert(out *strings.Builder, cert *x509.Certificate) {
	fmt.Fprintf(out, "  subject:    %s\n", pki.FormatName(cert.Subject))
	fmt.Fprintf(out, "  issuer:     %s\n", pki.FormatName(cert.Issuer))
	fmt.Fprintf(out, "  serial:     %s\n", pki.FormatSerial(cert.SerialNumber))
	fmt.Fprintf(out, "  key:        %s\n", pki.DescribeKey(cert.PublicKey))
	fmt.Fprintf(out, "  sha256:     %s\n", pki.Fingerprint(cert))
	fmt.Fprintf(out, "  not before: %s\n", cert.NotBefore.UTC().Format(time.RFC3339))
	fmt.Fprintf(out, "  not after:  %s\n", cert.NotAfter.UTC().Format(time.RFC3339))
	sans := pki.SANs{DNSNames: cert.DNSNames, URIs: cert.URIs, EmailAddresses: cert.EmailAddresses, IPAddresses: cert.IPAddresses}
	if !sans.Empty() {
		fmt.Fprintf(out, "  sans:       %s\n", sans)
	}
}

// caReadCertificate reads the first certificate of a PEM or DER file.
func caReadCertificate(name string) (*x509.Certificate, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	certs, err := pki.ParseCertificatesPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return certs[0], nil
}

func caWriteOut(env *Env, s string) error {
	_, err := fmt.Fprint(env.Stdout, s)
	return err
}
