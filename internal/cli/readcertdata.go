package cli

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/helper"
	"github.com/roam-dev/roam/internal/keysource"
)

func init() {
	register(func(root *cobra.Command, env *Env) { root.AddCommand(newReadCertificateDataCmd(env)) })
}

// maxCertificateInput bounds what read-certificate-data reads.
const maxCertificateInput = 4 << 20

func newReadCertificateDataCmd(env *Env) *cobra.Command {
	var certificate, certSelector, systemStoreName, pkcs11Lib string
	var debug bool
	cmd := &cobra.Command{
		Use:   "read-certificate-data",
		Short: "Diagnostic command to read certificate data",
		Long: `Print what the credential helper sends for a certificate, as
aws_signing_helper read-certificate-data does. For a certificate file (PEM,
DER, or a PKCS#12 bundle without a password), "-" for standard input, or
$ROAM_CERTIFICATE when --certificate is empty, it prints one JSON object
without a trailing newline: keyType (RSA, EC or the ML-DSA parameter set),
certificateData (base64 DER, the X-Amz-X509 header), serialNumber (decimal,
as in the Authorization header) and supportedAlgorithms. For a pkcs11: URI
it lists every certificate the URI selects, each with its own URI (no key
or PIN is needed unless the certificates are private); for a certificate
store selection, the matching identity.`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotationHelper: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			storeName := ""
			if cmd.Flags().Changed("system-store-name") {
				storeName = systemStoreName
			}
			fromEnv := certificate == "" && certSelector == "" && storeName == "" && env.Getenv(keysource.EnvCertificate) != ""
			if strings.HasPrefix(certificate, "pkcs11:") {
				// A token: list every certificate the URI selects, with
				// the URI that names it. No key is needed.
				certs, err := keysource.ListPKCS11Certificates(certificate, pkcs11Lib)
				if err != nil {
					return err
				}
				entries := make([]helper.IdentityEntry, len(certs))
				for i, c := range certs {
					entries[i] = helper.IdentityEntry{Certificate: c.Certificate, URI: c.URI}
				}
				return helper.WriteIdentityList(env.Stdout, entries)
			}
			if certificate == "" && !fromEnv {
				// A platform store: list what the key source finds.
				src, err := keysource.Open(keysource.Options{
					Certificate: certificate, PrivateKey: certificate, PKCS11Lib: pkcs11Lib,
					CertSelector: certSelector, SystemStoreName: storeName, Stdin: env.Stdin, Getenv: env.Getenv,
				})
				if err != nil {
					return err
				}
				defer src.Close()
				cert, err := src.Certificate()
				if err != nil {
					return err
				}
				return helper.WriteIdentityList(env.Stdout, []helper.IdentityEntry{{Certificate: cert}})
			}
			var data []byte
			var name string
			var err error
			switch {
			case fromEnv:
				data, name = []byte(env.Getenv(keysource.EnvCertificate)), "$"+keysource.EnvCertificate
			case certificate == keysource.StdinName:
				data, err = io.ReadAll(io.LimitReader(env.Stdin, maxCertificateInput))
				name = "standard input"
			default:
				data, err = readLimitedFile(certificate)
				name = certificate
			}
			if err != nil {
				return fmt.Errorf("%w: %w", keysource.ErrCertificatePEM, err)
			}
			cert, err := firstCertificate(data, name)
			if errors.Is(err, errNoCertificate) && !fromEnv && certificate != keysource.StdinName {
				// Perhaps a PKCS#12 bundle: let the key source open it.
				if src, perr := keysource.Open(keysource.Options{Certificate: certificate, Getenv: env.Getenv}); perr == nil {
					defer src.Close()
					cert, err = src.Certificate()
				}
			}
			if err != nil {
				return err
			}
			d, err := helper.NewCertificateData(cert)
			if err != nil {
				return err
			}
			if debug {
				helper.NewLogger(env.Stderr, env.Now).Printf("certificate %s: subject %s, issuer %s, valid %s to %s",
					name, cert.Subject, cert.Issuer, cert.NotBefore.UTC().Format("2006-01-02T15:04:05Z"), cert.NotAfter.UTC().Format("2006-01-02T15:04:05Z"))
			}
			_, err = env.Stdout.Write(d.MarshalCompact())
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&certificate, "certificate", "", "Path to certificate file, a PKCS#11 URI, or - for standard input")
	f.StringVar(&certSelector, "cert-selector", "", "JSON structure to identify a certificate from a certificate store (Windows and macOS)")
	f.StringVar(&systemStoreName, "system-store-name", "MY", "Name of the system store to search for certificates (Windows)")
	f.StringVar(&pkcs11Lib, "pkcs11-lib", "", "Library for PKCS#11 integration (default p11-kit-proxy.so)")
	f.BoolVar(&debug, "debug", false, "Print details about the certificate to stderr")
	cmd.MarkFlagsMutuallyExclusive("certificate", "cert-selector")
	cmd.MarkFlagsMutuallyExclusive("certificate", "system-store-name")
	return cmd
}

var errNoCertificate = errors.New("no certificate")

// firstCertificate returns the first CERTIFICATE block of PEM data, or a
// DER certificate.
func firstCertificate(data []byte, name string) (*x509.Certificate, error) {
	if !bytes.Contains(data, []byte("-----BEGIN")) {
		if c, err := x509.ParseCertificate(data); err == nil {
			return c, nil
		}
		return nil, fmt.Errorf("%w: %s holds no PEM certificate: %w", keysource.ErrCertificatePEM, name, errNoCertificate)
	}
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			break
		}
		if b.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(b.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", keysource.ErrCertificate, name, err)
		}
		return c, nil
	}
	return nil, fmt.Errorf("%w: %s holds no CERTIFICATE block: %w", keysource.ErrCertificatePEM, name, errNoCertificate)
}

func readLimitedFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxCertificateInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxCertificateInput {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxCertificateInput)
	}
	return data, nil
}
