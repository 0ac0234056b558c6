//go:build !helper

package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/admin"
	"github.com/roam-dev/roam/internal/demo"
	"github.com/roam-dev/roam/internal/pki"
)

// walkthroughJSON is what admin walkthrough prints with --output json.
type walkthroughJSON struct {
	AWSProfile        string `json:"awsProfile"`
	Region            string `json:"region"`
	Endpoint          string `json:"endpoint"`
	TrustAnchorArn    string `json:"trustAnchorArn"`
	ProfileArn        string `json:"profileArn"`
	RoleArn           string `json:"roleArn"`
	Certificate       string `json:"certificate"`
	PrivateKey        string `json:"privateKey"`
	CredentialProcess string `json:"credentialProcess"`
	Config            string `json:"config"`
}

func newAdminWalkthroughCmd(a *adminConn) *cobra.Command {
	var anchor, profile, role, certificate, privateKey, awsProfile, roamPath string
	cmd := &cobra.Command{
		Use:   "walkthrough --trust-anchor ID|ARN|NAME --profile ID|ARN|NAME --role NAME|ARN --certificate FILE --private-key FILE",
		Short: "Print the ~/.aws/config profile that gets credentials with a certificate",
		Long: `Print the ~/.aws/config profile whose credential_process runs
roam credential-process with the certificate and key, for the trust anchor,
profile and role, against this server. The trust anchor, profile and role
are looked up, so the lines name real ARNs; a profile that does not list the
role is refused, and a role whose trust policy does not name the trust
anchor is warned about. Paths become absolute.`,
		Example: `  roam admin walkthrough --trust-anchor abc --profile abc --role abc \
    --certificate client.pem --private-key client.key >> ~/.aws/config
  aws sts get-caller-identity --profile abc --endpoint-url http://127.0.0.1:8443`,
		Args: cobra.NoArgs,
		RunE: a.run("walkthrough", func(ctx context.Context, c *admin.Client) error {
			certPath, keyPath, err := adminWalkthroughFiles(certificate, privateKey)
			if err != nil {
				return err
			}
			taRef, err := admin.ParseRef(admin.KindTrustAnchor, anchor)
			if err != nil {
				return fmt.Errorf("--trust-anchor: %w", err)
			}
			ta, err := c.TrustAnchor(ctx, taRef)
			if err != nil {
				return fmt.Errorf("--trust-anchor %s: %w", anchor, err)
			}
			pRef, err := admin.ParseRef(admin.KindProfile, profile)
			if err != nil {
				return fmt.Errorf("--profile: %w", err)
			}
			p, err := c.Profile(ctx, pRef)
			if err != nil {
				return fmt.Errorf("--profile %s: %w", profile, err)
			}
			r, err := c.Role(ctx, role)
			if err != nil {
				return fmt.Errorf("--role %s: %w", role, err)
			}
			taArn, pArn, rArn := aws.ToString(ta.TrustAnchorArn), aws.ToString(p.ProfileArn), aws.ToString(r.Arn)
			if !slices.Contains(p.RoleArns, rArn) {
				return fmt.Errorf("profile %s does not list role %s, so CreateSession would refuse it (the profile lists: %s)",
					aws.ToString(p.Name), rArn, strings.Join(p.RoleArns, ", "))
			}
			if !aws.ToBool(ta.Enabled) {
				a.warn("trust anchor %s is disabled; enable it with roam admin trust-anchor enable %s", aws.ToString(ta.Name), aws.ToString(ta.TrustAnchorId))
			}
			if !aws.ToBool(p.Enabled) {
				a.warn("profile %s is disabled; enable it with roam admin profile enable %s", aws.ToString(p.Name), aws.ToString(p.ProfileId))
			}
			if !strings.Contains(admin.DecodePolicy(aws.ToString(r.AssumeRolePolicyDocument)), taArn) {
				a.warn("the trust policy of role %s does not name trust anchor %s; see roam admin role trust-policy --trust-anchor %s", aws.ToString(r.RoleName), taArn, taArn)
			}
			if awsProfile == "" {
				awsProfile = strings.ReplaceAll(aws.ToString(p.Name), " ", "-")
			}
			if roamPath == "" {
				roamPath = adminRoamPath()
			}
			d := &demo.Demo{Certificate: certPath, PrivateKey: keyPath, TrustAnchorArn: taArn, ProfileArn: pArn, RoleArn: rArn}
			block := d.ConfigBlock(awsProfile, roamPath, c.Endpoint, c.Region)
			process := strings.TrimPrefix(block[strings.Index(block, "credential_process = "):], "credential_process = ")
			if a.output == outputTable {
				fmt.Fprintf(a.env.Stderr, "# append to ~/.aws/config, then: aws sts get-caller-identity --profile %s --endpoint-url %s\n", awsProfile, c.Endpoint)
			}
			return a.print(walkthroughJSON{
				AWSProfile: awsProfile, Region: c.Region, Endpoint: c.Endpoint,
				TrustAnchorArn: taArn, ProfileArn: pArn, RoleArn: rArn,
				Certificate: certPath, PrivateKey: keyPath,
				CredentialProcess: strings.TrimSuffix(process, "\n"), Config: block,
			}, text(block))
		}),
	}
	f := cmd.Flags()
	f.StringVar(&anchor, "trust-anchor", "", "trust anchor (ID, ARN or name) of the certificate's CA (required)")
	f.StringVar(&profile, "profile", "", "Roles Anywhere profile (ID, ARN or name) (required)")
	f.StringVar(&role, "role", "", "role (name or ARN) to assume (required)")
	f.StringVar(&certificate, "certificate", "", "client certificate file (required)")
	f.StringVar(&privateKey, "private-key", "", "the certificate's private key file (required)")
	f.StringVar(&awsProfile, "aws-profile", "", "name of the ~/.aws/config profile (default the Roles Anywhere profile's name)")
	f.StringVar(&roamPath, "roam-path", "", "roam executable named in credential_process (default this executable)")
	for _, name := range []string{"trust-anchor", "profile", "role", "certificate", "private-key"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

// adminWalkthroughFiles checks the certificate and key files and returns
// their absolute paths, since the config is used from any directory.
// PKCS#11 URIs and TPM handles pass unchanged.
func adminWalkthroughFiles(certificate, privateKey string) (string, string, error) {
	if !adminIsKeyURI(certificate) {
		data, err := os.ReadFile(certificate)
		if err != nil {
			return "", "", fmt.Errorf("--certificate: %w", err)
		}
		if _, err := pki.ParseCertificatesPEM(data); err != nil {
			return "", "", fmt.Errorf("--certificate %s: %v", certificate, err)
		}
		if certificate, err = filepath.Abs(certificate); err != nil {
			return "", "", err
		}
	}
	if !adminIsKeyURI(privateKey) {
		if _, err := os.Stat(privateKey); err != nil {
			return "", "", fmt.Errorf("--private-key: %w", err)
		}
		var err error
		if privateKey, err = filepath.Abs(privateKey); err != nil {
			return "", "", err
		}
	}
	return certificate, privateKey, nil
}

// adminIsKeyURI reports whether a --certificate or --private-key value
// names a PKCS#11 object or a TPM handle rather than a file.
func adminIsKeyURI(s string) bool {
	return strings.HasPrefix(s, "pkcs11:") || strings.HasPrefix(s, "handle:")
}

// adminRoamPath is the path of this roam executable, or "roam" (found on
// PATH) when it cannot be told or is a test binary.
func adminRoamPath() string {
	exe, err := os.Executable()
	if err != nil || strings.HasSuffix(filepath.Base(exe), ".test") {
		return "roam"
	}
	return exe
}
