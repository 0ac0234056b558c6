package cli

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/helper"
	"github.com/roam-dev/roam/internal/keysource"
)

// keyFlags are the key and certificate flags every signing command of
// aws_signing_helper takes.
type keyFlags struct {
	certificate                  string
	privateKey                   string
	intermediates                string
	certSelector                 string
	systemStoreName              string
	useLatestExpiringCertificate bool
	pkcs11Lib                    string
	reusePIN                     bool
	tpmKeyPassword               string
	noTPMKeyPassword             bool
	pkcs8Password                string
	debug                        bool
}

func (k *keyFlags) bind(cmd *cobra.Command) { k.bindFlags(cmd, true) }

// bindNoChain binds the key flags without --intermediates, for sign-string,
// which sends no chain.
func (k *keyFlags) bindNoChain(cmd *cobra.Command) { k.bindFlags(cmd, false) }

func (k *keyFlags) bindFlags(cmd *cobra.Command, chain bool) {
	f := cmd.Flags()
	f.StringVar(&k.certificate, "certificate", "", "Path to certificate file (PEM, PKCS#12, or a PEM holding the key too), a PKCS#11 URI, or - for standard input")
	f.StringVar(&k.privateKey, "private-key", "", "Path to private key file, a PKCS#11 URI, a TPM key (file or handle:0x...), or - for standard input")
	if chain {
		f.StringVar(&k.intermediates, "intermediates", "", "Path to intermediate certificate bundle file")
	}
	f.StringVar(&k.certSelector, "cert-selector", "", "JSON structure to identify a certificate from a certificate store (Windows and macOS)")
	f.StringVar(&k.systemStoreName, "system-store-name", "MY", "Name of the system store to search for certificates (Windows)")
	f.BoolVar(&k.useLatestExpiringCertificate, "use-latest-expiring-certificate", false, "If several certificates match, use the one that expires last")
	f.StringVar(&k.pkcs11Lib, "pkcs11-lib", "", "Library for PKCS#11 integration (default p11-kit-proxy.so)")
	f.BoolVar(&k.reusePIN, "reuse-pin", false, "Use the user PIN as the context-specific PIN for keys that need it")
	f.StringVar(&k.tpmKeyPassword, "tpm-key-password", "", "Password for the TPM key, if any")
	f.BoolVar(&k.noTPMKeyPassword, "no-tpm-key-password", false, "The TPM key has no password")
	f.StringVar(&k.pkcs8Password, "pkcs8-password", "", "Password for an encrypted PKCS#8 private key")
	f.BoolVar(&k.debug, "debug", false, "Print the canonical request and string to sign (never keys or credentials) to stderr")
	for _, g := range [][]string{
		{"certificate", "cert-selector"}, {"certificate", "system-store-name"},
		{"private-key", "cert-selector"}, {"private-key", "system-store-name"},
		{"private-key", "use-latest-expiring-certificate"},
		{"use-latest-expiring-certificate", "intermediates"}, {"use-latest-expiring-certificate", "reuse-pin"},
		{"cert-selector", "intermediates"}, {"cert-selector", "reuse-pin"},
		{"system-store-name", "reuse-pin"},
		{"tpm-key-password", "cert-selector"}, {"tpm-key-password", "reuse-pin"},
		{"no-tpm-key-password", "cert-selector"}, {"no-tpm-key-password", "tpm-key-password"},
		{"pkcs8-password", "tpm-key-password"},
	} {
		if !chain && slices.Contains(g, "intermediates") {
			continue
		}
		cmd.MarkFlagsMutuallyExclusive(g...)
	}
}

// open opens the key source the flags select.
func (k *keyFlags) open(cmd *cobra.Command, env *Env) (keysource.Source, error) {
	opts := keysource.Options{
		Certificate: k.certificate, PrivateKey: k.privateKey, Intermediates: k.intermediates,
		PKCS8Password: k.pkcs8Password, PKCS11Lib: k.pkcs11Lib, ReusePIN: k.reusePIN,
		TPMKeyPassword: k.tpmKeyPassword, NoTPMKeyPassword: k.noTPMKeyPassword,
		CertSelector: k.certSelector, UseLatestExpiringCertificate: k.useLatestExpiringCertificate,
		Stdin: env.Stdin, Getenv: env.Getenv,
	}
	if cmd.Flags().Changed("system-store-name") {
		opts.SystemStoreName = k.systemStoreName
	}
	return keysource.Open(opts)
}

// sessionFlags are the CreateSession flags of credential-process, serve
// and update.
type sessionFlags struct {
	keyFlags
	trustAnchorArn  string
	profileArn      string
	roleArn         string
	sessionDuration int64
	roleSessionName string
	region          string
	endpoint        string
	noVerifySSL     bool
	withProxy       bool
}

func (s *sessionFlags) bind(cmd *cobra.Command) {
	s.keyFlags.bind(cmd)
	f := cmd.Flags()
	f.StringVar(&s.trustAnchorArn, "trust-anchor-arn", "", "Target trust anchor ARN")
	f.StringVar(&s.profileArn, "profile-arn", "", "Profile to pull policies from")
	f.StringVar(&s.roleArn, "role-arn", "", "Target role to assume")
	f.Int64Var(&s.sessionDuration, "session-duration", 3600, "Duration, in seconds, of the session")
	f.StringVar(&s.roleSessionName, "role-session-name", "", "Name of the role session (the profile must accept role session names)")
	f.StringVar(&s.region, "region", "", "Signing region (default: the trust anchor's)")
	f.StringVar(&s.endpoint, "endpoint", "", "Endpoint used to call CreateSession (e.g. http://127.0.0.1:8443)")
	f.BoolVar(&s.noVerifySSL, "no-verify-ssl", false, "Skip verification of the endpoint's TLS certificate")
	f.BoolVar(&s.withProxy, "with-proxy", false, "Use the proxy from HTTP(S)_PROXY/NO_PROXY (always on; kept for compatibility)")
}

func (s *sessionFlags) params() helper.Params {
	return helper.Params{
		TrustAnchorArn: s.trustAnchorArn, ProfileArn: s.profileArn, RoleArn: s.roleArn,
		DurationSeconds: s.sessionDuration, RoleSessionName: s.roleSessionName,
		Region: s.region, Endpoint: s.endpoint,
	}
}

func (s *sessionFlags) client(env *Env) *helper.Client {
	var debug io.Writer
	if s.debug {
		debug = env.Stderr
	}
	return &helper.Client{
		NoVerifySSL: s.noVerifySSL,
		Getenv:      env.Getenv,
		Now:         env.Now,
		Debug:       debug,
		UserAgent:   fmt.Sprintf("roam/%s (CredHelper-compatible)", Version),
	}
}

// createSession opens the key source and calls CreateSession once.
func (s *sessionFlags) createSession(ctx context.Context, cmd *cobra.Command, env *Env) (*helper.Credentials, error) {
	src, err := s.open(cmd, env)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	return s.fetcher(env, src)(ctx)
}

// fetcher returns a function that calls CreateSession with the identity
// src holds at the time of each call, so serve and update pick up a
// rotated certificate at their next refresh.
func (s *sessionFlags) fetcher(env *Env, src keysource.Source) func(context.Context) (*helper.Credentials, error) {
	client, params := s.client(env), s.params()
	return func(ctx context.Context) (*helper.Credentials, error) {
		id, err := identity(src)
		if err != nil {
			return nil, err
		}
		return client.CreateSession(ctx, id, params)
	}
}

// identity reads a key source's certificate, chain and key for one
// signature, consistently even while its files are being rotated. The
// chain is what aws_signing_helper would send.
func identity(src keysource.Source) (helper.Identity, error) {
	id, err := keysource.Snapshot(src)
	if err != nil {
		return helper.Identity{}, err
	}
	chain := id.Chain
	if id.LeafInChain {
		chain = append([]*x509.Certificate{id.Certificate}, chain...)
	}
	return helper.Identity{Signer: id.Signer, Certificate: id.Certificate, Chain: chain}, nil
}

// keySourceHelp documents, in every signing command's help, where the
// certificate and key may come from besides files.
const keySourceHelp = `
Certificate and key sources:
  --certificate and --private-key take a file path (PEM, DER, PKCS#12;
  PKCS#8, encrypted PKCS#8 with --pkcs8-password, SEC1, PKCS#1, ML-DSA),
  a pkcs11: URI, a TPM key (a TSS2 PRIVATE KEY file or handle:0x...), or
  "-" to read PEM from standard input (both may be "-" when it holds both
  blocks). When a flag is empty, the environment variable ROAM_CERTIFICATE,
  ROAM_PRIVATE_KEY or ROAM_INTERMEDIATES holds the PEM text instead, for CI
  systems that keep secrets in variables; a flag always wins over its
  variable. The key must belong to the certificate.`
