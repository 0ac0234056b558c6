//go:build !helper

package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/demo"
	"github.com/roam-dev/roam/internal/fsutil"
	"github.com/roam-dev/roam/internal/helper"
	"github.com/roam-dev/roam/internal/server"
)

func init() {
	register(func(root *cobra.Command, env *Env) { root.AddCommand(newDevCmd(env)) })
}

// defaultDevListen is roam dev's address.
const defaultDevListen = "127.0.0.1:8943"

func newDevCmd(env *Env) *cobra.Command {
	args := serverArgs{}
	var dir string
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a server on loopback with a ready IAM Roles Anywhere walkthrough",
		Long: `Run a roam server on loopback and prepare the whole IAM Roles Anywhere
walkthrough on it (once; later runs reuse it): a private CA and a client
certificate, a trust anchor for the CA, a role whose trust policy lets
rolesanywhere.amazonaws.com assume it, and a profile for the role. It prints
the ~/.aws/config profile that gets credentials through
"roam credential-process", and the commands to try. Ctrl-C stops it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if dir == "" {
				home, err := helper.HomeDir(env.Getenv)
				if err != nil {
					return fmt.Errorf("dev: no home directory; pass --dir: %w", err)
				}
				dir = filepath.Join(home, ".roam", "dev")
			}
			args.dataDir = filepath.Join(dir, "server")
			cfg, err := args.config(env)
			if err != nil {
				return err
			}
			return runDev(cmd.Context(), env, dir, cfg)
		},
	}
	args.bind(cmd, defaultDevListen)
	cmd.Flags().StringVar(&dir, "dir", "", "directory for the dev server's data, the CA and the client certificate (default ~/.roam/dev)")
	_ = cmd.Flags().MarkHidden("data-dir")
	return cmd
}

func runDev(ctx context.Context, env *Env, dir string, cfg server.Config) error {
	if err := fsutil.MkdirPrivate(dir); err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	roamPath, err := installSelf(filepath.Join(dir, "bin"))
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	s, err := server.New(ctx, cfg)
	if err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	defer s.Close()
	ln, url, err := s.Listen()
	if err != nil {
		return fmt.Errorf("dev: %w (another roam dev running? choose an address with --listen)", err)
	}
	serveCtx, stop := context.WithCancel(ctx)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- s.Serve(serveCtx, ln) }()

	acct := s.Account()
	d, err := demo.Prepare(ctx, demo.Config{
		Dir: dir, Endpoint: url, Region: acct.Region,
		AccessKeyID: acct.RootAccessKeyID, SecretAccessKey: acct.RootSecretAccessKey, Now: env.Now,
	})
	if err != nil {
		stop()
		<-served
		return fmt.Errorf("dev: prepare the walkthrough: %w", err)
	}
	block := d.ConfigBlock(demo.Name, roamPath, url, acct.Region)
	configFile := filepath.Join(dir, "aws-config")
	if err := fsutil.WriteFileAtomic(configFile, []byte(block), 0o600); err != nil {
		return fmt.Errorf("dev: %w", err)
	}
	adminFile := filepath.Join(cfg.DataDir, server.AdminCredentialsFile)
	fmt.Fprintf(env.Stdout, `roam dev is serving IAM Roles Anywhere, IAM and STS at %[1]s
account %[2]s, region %[3]s, data in %[4]s

The walkthrough is ready:
  CA certificate      %[5]s
  client certificate  %[6]s (key %[7]s)
  trust anchor        %[8]s
  role                %[9]s
  profile             %[10]s

Add this profile to ~/.aws/config (or export AWS_CONFIG_FILE=%[11]s):

%[12]s
Then try:
  aws sts get-caller-identity --profile %[13]s --endpoint-url %[1]s
  aws rolesanywhere list-profiles --profile %[13]s --endpoint-url %[1]s
  %[14]s credential-process --certificate %[6]s --private-key %[7]s \
    --trust-anchor-arn %[8]s --profile-arn %[10]s --role-arn %[9]s --endpoint %[1]s

Administer the account as root:
  AWS_SHARED_CREDENTIALS_FILE=%[15]s aws --endpoint-url %[1]s rolesanywhere list-trust-anchors

Press Ctrl-C to stop.
`, url, acct.ID, acct.Region, dir, filepath.Join(d.CADir, "ca.pem"), d.Certificate, d.PrivateKey,
		d.TrustAnchorArn, d.RoleArn, d.ProfileArn, configFile, block, demo.Name, roamPath, adminFile)

	err = <-served
	fmt.Fprintln(env.Stdout, "roam dev stopped")
	return err
}

// installSelf copies the running executable to dir/roam (when it differs),
// so the printed credential_process line keeps working after "go run"
// removes its temporary binary.
func installSelf(dir string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "roam", nil
	}
	if strings.HasSuffix(filepath.Base(exe), ".test") {
		return exe, nil // under go test: the test binary is not roam
	}
	target := filepath.Join(dir, "roam")
	data, err := os.ReadFile(exe)
	if err != nil {
		return "", err
	}
	if old, err := os.ReadFile(target); err == nil && bytes.Equal(old, data) {
		return target, nil
	}
	if err := fsutil.MkdirPrivate(dir); err != nil {
		return "", err
	}
	if err := fsutil.WriteFileAtomic(target, data, 0o755); err != nil {
		return "", err
	}
	return target, nil
}
