//go:build !helper

package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/admin"
)

func init() {
	register(func(root *cobra.Command, env *Env) { root.AddCommand(newAdminCmd(env)) })
}

// Environment variables the admin commands read.
const (
	envEndpoint        = "ROAM_ENDPOINT"
	envCredentialsFile = "AWS_SHARED_CREDENTIALS_FILE"
)

// Output formats of the admin commands.
const (
	outputTable = "table"
	outputJSON  = "json"
)

// adminConn holds the admin group's connection and output flags, shared by
// every admin command, and the client, connected on first use so that
// commands which need no server (role trust-policy with ARNs) work offline.
type adminConn struct {
	env       *Env
	endpoint  string
	credsFile string
	region    string
	output    string
	client    *admin.Client
}

func newAdminCmd(env *Env) *cobra.Command {
	a := &adminConn{env: env}
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Administer trust anchors, roles, profiles and CRLs on a roam server",
		Long: `Administer a roam server through its public APIs (Roles Anywhere and IAM),
as the AWS CLI would, with generated trust policies and readable output.

The server is --endpoint (default $ROAM_ENDPOINT, else ` + admin.DefaultEndpoint + `).
Credentials come from --admin-credentials, an AWS shared-credentials file
such as the DATA-DIR/admin-credentials roam server writes (default
$AWS_SHARED_CREDENTIALS_FILE), else from the standard AWS credential chain.
Resources may be named by ID, ARN or name; a name must be unique.

The AWS CLI works just as well:
  AWS_SHARED_CREDENTIALS_FILE=DATA-DIR/admin-credentials aws --endpoint-url URL rolesanywhere list-trust-anchors`,
		Example: `  export AWS_SHARED_CREDENTIALS_FILE=data/admin-credentials
  roam admin trust-anchor create --name abc --ca-file ca/ca.pem
  roam admin role create --name abc --trust-anchor abc --cn client.abc.example --read-only
  roam admin profile create --name abc --role abc
  roam admin walkthrough --trust-anchor abc --profile abc --role abc --certificate client.pem --private-key client.key >> ~/.aws/config`,
		PersistentPreRunE: func(*cobra.Command, []string) error { return a.validate() },
	}
	f := cmd.PersistentFlags()
	f.StringVar(&a.endpoint, "endpoint", "", "base URL of the roam server (default $"+envEndpoint+", else "+admin.DefaultEndpoint+")")
	f.StringVar(&a.credsFile, "admin-credentials", "", "AWS shared-credentials file with the keys in [default], such as DATA-DIR/admin-credentials (default $"+envCredentialsFile+", else the standard AWS credential chain)")
	f.StringVar(&a.region, "region", "", "region to sign requests for (default the credentials' or AWS config's region, else "+admin.DefaultRegion+")")
	f.StringVarP(&a.output, "output", "o", outputTable, "output format: table or json (the API's objects, one document per command)")
	cmd.AddCommand(
		newAdminTrustAnchorCmd(a),
		newAdminRoleCmd(a),
		newAdminProfileCmd(a),
		newAdminCRLCmd(a),
		newAdminWalkthroughCmd(a),
	)
	return cmd
}

// validate checks the group's flags and fills in their defaults.
func (a *adminConn) validate() error {
	if a.output != outputTable && a.output != outputJSON {
		return usageError{fmt.Errorf("admin: --output %q: want table or json", a.output)}
	}
	if a.endpoint == "" {
		a.endpoint = a.env.Getenv(envEndpoint)
	}
	if a.endpoint == "" {
		a.endpoint = admin.DefaultEndpoint
	}
	u, err := url.Parse(a.endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageError{fmt.Errorf("admin: --endpoint %q: want a URL such as %s", a.endpoint, admin.DefaultEndpoint)}
	}
	if a.credsFile == "" {
		a.credsFile = a.env.Getenv(envCredentialsFile)
	}
	return nil
}

// connect returns the client, connecting on first use.
func (a *adminConn) connect(ctx context.Context) (*admin.Client, error) {
	if a.client != nil {
		return a.client, nil
	}
	c, err := admin.Connect(ctx, admin.Options{Endpoint: a.endpoint, CredentialsFile: a.credsFile, Region: a.region})
	if err != nil {
		return nil, err
	}
	a.client = c
	return c, nil
}

// run is the RunE of an admin command named name ("trust-anchor create"):
// it connects and prefixes every error with "admin NAME: ".
func (a *adminConn) run(name string, fn func(ctx context.Context, c *admin.Client) error) func(*cobra.Command, []string) error {
	return a.runOffline(name, func(ctx context.Context) error {
		c, err := a.connect(ctx)
		if err != nil {
			return err
		}
		return fn(ctx, c)
	})
}

// runOffline is run for a command that connects only when it must.
func (a *adminConn) runOffline(name string, fn func(ctx context.Context) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		if err := fn(cmd.Context()); err != nil {
			var ue usageError
			if errors.As(err, &ue) {
				return usageError{fmt.Errorf("admin %s: %w", name, ue.err)}
			}
			return fmt.Errorf("admin %s: %w", name, err)
		}
		return nil
	}
}

// print writes one result: doc as an indented JSON document with
// --output json, otherwise the table (or text) t.
func (a *adminConn) print(doc any, t io.WriterTo) error {
	if a.output == outputJSON {
		b, err := json.MarshalIndent(doc, "", "  ")
		if err != nil {
			return err
		}
		_, err = a.env.Stdout.Write(append(b, '\n'))
		return err
	}
	_, err := t.WriteTo(a.env.Stdout)
	return err
}

// text is a table-mode output that is plain text.
type text string

func (t text) WriteTo(w io.Writer) (int64, error) {
	n, err := io.WriteString(w, string(t))
	return int64(n), err
}

// warn prints a warning on stderr.
func (a *adminConn) warn(format string, args ...any) {
	fmt.Fprintf(a.env.Stderr, "roam: warning: "+format+"\n", args...)
}

// adminSeconds parses a duration flag: whole seconds ("3600"), or a Go
// duration of whole seconds ("1h", "90m"), between min and max seconds.
func adminSeconds(flag, s string, min, max int) (int32, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		d, derr := time.ParseDuration(s)
		if derr != nil || d%time.Second != 0 {
			return 0, fmt.Errorf("--%s %q: want seconds (3600) or a duration (1h)", flag, s)
		}
		n = int(d / time.Second)
	}
	if n < min || n > max {
		return 0, fmt.Errorf("--%s %s: must be between %d and %d seconds", flag, s, min, max)
	}
	return int32(n), nil
}

// adminReadJSON reads a policy document from the file named by flag.
func adminReadJSON(flag, name string) (string, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("--%s: %w", flag, err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return "", fmt.Errorf("--%s %s is not a JSON policy document: %v", flag, name, err)
	}
	if _, ok := v.(map[string]any); !ok {
		return "", fmt.Errorf("--%s %s is not a JSON policy document: want an object", flag, name)
	}
	return strings.TrimSpace(string(data)), nil
}

// sortByName sorts items by name, then by id.
func sortByName[T any](items []T, name, id func(T) string) {
	sort.SliceStable(items, func(i, j int) bool {
		ni, nj := name(items[i]), name(items[j])
		if ni != nj {
			return ni < nj
		}
		return id(items[i]) < id(items[j])
	})
}
