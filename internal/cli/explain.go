//go:build !helper

package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/admin"
)

func init() {
	register(func(root *cobra.Command, env *Env) { root.AddCommand(newExplainCmd(env)) })
}

type explainCmd struct {
	conn            adminConn
	certificate     string
	intermediates   string
	trustAnchorArn  string
	profileArn      string
	roleArn         string
	sessionDuration int64
	roleSessionName string
	at              string
	sourceIP        string
}

func newExplainCmd(env *Env) *cobra.Command {
	c := &explainCmd{conn: adminConn{env: env}}
	cmd := &cobra.Command{
		Use:   "explain --certificate F --trust-anchor-arn ARN --profile-arn ARN --role-arn ARN",
		Short: "Explain what CreateSession would decide for a certificate, rule by rule",
		Long: `Ask a roam server what CreateSession would decide for a certificate (and its
intermediates) and three ARNs, and why: every rule (trust anchor, certificate
path, revocation, profile, role, session, trust policy) with its outcome. The
private key is not needed. Connection flags as for "roam admin"; the caller
needs rolesanywhere:ExplainCreateSession (the root keys have it).`,
		Example: `  roam explain --admin-credentials data/admin-credentials --endpoint http://127.0.0.1:8443 \
    --certificate client.pem --trust-anchor-arn ARN --profile-arn ARN --role-arn ARN`,
		Args:              cobra.NoArgs,
		PersistentPreRunE: func(*cobra.Command, []string) error { return c.conn.validate() },
		RunE:              func(cmd *cobra.Command, _ []string) error { return c.run(cmd.Context(), cmd) },
	}
	f := cmd.Flags()
	f.StringVar(&c.conn.endpoint, "endpoint", "", "base URL of the roam server (default $"+envEndpoint+", else "+admin.DefaultEndpoint+")")
	f.StringVar(&c.conn.credsFile, "admin-credentials", "", "AWS shared-credentials file, such as DATA-DIR/admin-credentials (default $"+envCredentialsFile+", else the standard AWS credential chain)")
	f.StringVar(&c.conn.region, "region", "", "region to sign requests for")
	f.StringVarP(&c.conn.output, "output", "o", outputTable, "output format: table or json")
	f.StringVar(&c.certificate, "certificate", "", "the end-entity certificate (PEM or DER file)")
	f.StringVar(&c.intermediates, "intermediates", "", "PEM bundle of intermediate certificates, as sent in X-Amz-X509-Chain")
	f.StringVar(&c.trustAnchorArn, "trust-anchor-arn", "", "trust anchor ARN")
	f.StringVar(&c.profileArn, "profile-arn", "", "profile ARN")
	f.StringVar(&c.roleArn, "role-arn", "", "role ARN")
	f.Int64Var(&c.sessionDuration, "session-duration", 3600, "requested session duration in seconds")
	f.StringVar(&c.roleSessionName, "role-session-name", "", "requested role session name")
	f.StringVar(&c.at, "at", "", "decide as of this RFC 3339 time (default now)")
	f.StringVar(&c.sourceIP, "source-ip", "", "the client address the trust policy sees as aws:SourceIp")
	for _, name := range []string{"certificate", "trust-anchor-arn", "profile-arn", "role-arn"} {
		_ = cmd.MarkFlagRequired(name)
	}
	return cmd
}

func (c *explainCmd) run(ctx context.Context, cmd *cobra.Command) error {
	cert, err := os.ReadFile(c.certificate)
	if err != nil {
		return fmt.Errorf("explain: --certificate: %w", err)
	}
	in := admin.ExplainRequest{
		Certificate: string(cert), TrustAnchorArn: c.trustAnchorArn, ProfileArn: c.profileArn, RoleArn: c.roleArn,
		SourceIP: c.sourceIP,
	}
	if c.intermediates != "" {
		chain, err := os.ReadFile(c.intermediates)
		if err != nil {
			return fmt.Errorf("explain: --intermediates: %w", err)
		}
		in.Chain = string(chain)
	}
	if cmd.Flags().Changed("session-duration") {
		in.DurationSeconds = &c.sessionDuration
	}
	if c.roleSessionName != "" {
		in.RoleSessionName = &c.roleSessionName
	}
	if c.at != "" {
		t, err := time.Parse(time.RFC3339, c.at)
		if err != nil {
			return usageError{fmt.Errorf("explain: --at %q: want an RFC 3339 time such as 2026-11-24T08:00:00Z", c.at)}
		}
		in.At = &t
	}
	client, err := c.conn.connect(ctx)
	if err != nil {
		return fmt.Errorf("explain: %w", err)
	}
	out, err := client.ExplainCreateSession(ctx, in)
	if err != nil {
		return fmt.Errorf("explain: %w", err)
	}
	if c.conn.output == outputJSON {
		enc := json.NewEncoder(c.conn.env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	w := c.conn.env.Stdout
	verdict := "ALLOW"
	if out.Decision != "allow" {
		verdict = "DENY"
	}
	fmt.Fprintf(w, "CreateSession would %s", verdict)
	if out.Decision != "allow" {
		fmt.Fprintf(w, " (%s): the caller would see %q", out.Reason, out.Message)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tRESULT\tDETAIL")
	for _, ch := range out.Checks {
		result := strings.ToUpper(ch.Result)
		if ch.Reason != "" {
			result += " (" + ch.Reason + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", ch.Rule, result, ch.Detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if s := out.Session; s != nil {
		fmt.Fprintf(w, "\nSession: %s as %s, source identity %s, until %s\n", s.RoleArn, s.SessionName, s.SourceIdentity, s.Expiration.UTC().Format(time.RFC3339))
	}
	return nil
}
