package cli

import (
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/pki"
	"github.com/roam-dev/roam/internal/trust"
)

// caCheckCmd is roam ca check: the certificate rules of IAM Roles Anywhere
// applied offline, each with its verdict.
type caCheckCmd struct {
	env           *Env
	certificate   string
	intermediates string
	trustAnchor   string
	crls          []string
	at            string
}

func newCACheckCmd(env *Env) *cobra.Command {
	c := &caCheckCmd{env: env}
	cmd := &cobra.Command{
		Use:   "check --certificate F --trust-anchor CA.pem [--intermediates F] [--crl F]",
		Short: "Explain whether IAM Roles Anywhere would accept a certificate, rule by rule",
		Long: `Check a client certificate offline against a trust anchor's CA certificates
with the rules CreateSession applies (AWS's and roam's alike): the trust
anchor's certificates, the end-entity rules (X.509 v3, not a CA,
digitalSignature, clientAuth when extendedKeyUsage is present, SHA-256 or
stronger), the path through the intermediates to the anchor (validity,
basicConstraints, keyCertSign, pathLenConstraint) and the CRLs. Each rule is
printed with its verdict; the exit status is 1 when the certificate would be
refused. "roam explain" asks a server, with its profiles and roles too.`,
		Example: `  roam ca check --certificate client.pem --trust-anchor ca/ca.pem
  roam ca check --certificate client.pem --intermediates chain.pem --trust-anchor root.pem --crl ca.crl`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return c.run() },
	}
	f := cmd.Flags()
	f.StringVar(&c.certificate, "certificate", "", "the client certificate (PEM or DER)")
	f.StringVar(&c.intermediates, "intermediates", "", "PEM bundle of intermediate certificates (as --intermediates of credential-process)")
	f.StringVar(&c.trustAnchor, "trust-anchor", "", "PEM bundle of the trust anchor's CA certificates (1 or 2)")
	f.StringArrayVar(&c.crls, "crl", nil, "a CRL of the trust anchor, PEM or DER (repeatable)")
	f.StringVar(&c.at, "at", "", "check as of this RFC 3339 time (default now)")
	_ = cmd.MarkFlagRequired("certificate")
	_ = cmd.MarkFlagRequired("trust-anchor")
	return cmd
}

// checkRow is one rule's verdict.
type checkRow struct{ rule, result, detail string }

func (c *caCheckCmd) run() error {
	now := c.env.Now()
	if c.at != "" {
		t, err := time.Parse(time.RFC3339, c.at)
		if err != nil {
			return usageError{fmt.Errorf("ca check: --at %q: want an RFC 3339 time", c.at)}
		}
		now = t
	}
	leaf, err := caReadCertificate(c.certificate)
	if err != nil {
		return fmt.Errorf("ca check: --certificate: %w", err)
	}
	var bag []*x509.Certificate
	if c.intermediates != "" {
		data, err := os.ReadFile(c.intermediates)
		if err != nil {
			return fmt.Errorf("ca check: %w", err)
		}
		if bag, err = pki.ParseCertificatesPEM(data); err != nil {
			return fmt.Errorf("ca check: --intermediates: %w", err)
		}
	}
	anchorPEM, err := os.ReadFile(c.trustAnchor)
	if err != nil {
		return fmt.Errorf("ca check: %w", err)
	}

	var rows []checkRow
	refused := false
	add := func(rule string, err error, ok string) {
		if err != nil {
			refused = true
			rows = append(rows, checkRow{rule, "FAIL", err.Error()})
			return
		}
		rows = append(rows, checkRow{rule, "pass", ok})
	}
	anchors, err := trust.ParseAnchorBundle(string(anchorPEM))
	add("trust anchor", err, fmt.Sprintf("%d CA certificate(s) usable as a trust anchor", len(anchors)))
	if len(bag) > 5 {
		add("chain size", fmt.Errorf("%d intermediates; X-Amz-X509-Chain holds at most 5", len(bag)), "")
	}
	if lerr := trust.CheckLeaf(leaf); lerr != nil {
		add("end-entity certificate", reasoned(lerr), "")
	} else {
		add("end-entity certificate", nil, fmt.Sprintf("%s: v3, not a CA, digitalSignature, %s", leaf.Subject, leaf.SignatureAlgorithm))
	}
	var path *trust.Path
	if err == nil {
		var perr *trust.Error
		path, perr = trust.VerifyPath(leaf, bag, anchors, now)
		if perr != nil {
			add("certificate path", reasoned(perr), "")
		} else {
			names := make([]string, len(path.Certs))
			for i, p := range path.Certs {
				names[i] = p.Subject.String()
			}
			add("certificate path", nil, fmt.Sprintf("%s; all valid until %s", strings.Join(names, " -> "), path.NotAfter.UTC().Format(time.RFC3339)))
		}
	}
	if len(c.crls) > 0 && path != nil {
		var rev trust.Revocations
		var crlErr error
		for _, name := range c.crls {
			data, err := os.ReadFile(name)
			if err != nil {
				return fmt.Errorf("ca check: %w", err)
			}
			crl, err := trust.ParseCRL(data)
			if err == nil {
				_, err = trust.CRLIssuer(crl, anchors)
			}
			if err != nil {
				crlErr = errors.Join(crlErr, fmt.Errorf("%s: %w (IAM Roles Anywhere would refuse to import it)", name, err))
				continue
			}
			rev.Add(crl)
		}
		if crlErr != nil {
			add("CRLs", crlErr, "")
		}
		if rerr := rev.Check(path.Certs); rerr != nil {
			add("revocation", reasoned(rerr), "")
		} else {
			add("revocation", nil, "no certificate of the path is revoked")
		}
	}

	tw := tabwriter.NewWriter(c.env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "RULE\tRESULT\tDETAIL")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.rule, r.result, r.detail)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if refused {
		return errors.New("ca check: IAM Roles Anywhere would refuse this certificate")
	}
	fmt.Fprintln(c.env.Stdout, "\nIAM Roles Anywhere would accept this certificate for this trust anchor (profiles, roles and trust policies aside: see roam explain).")
	return nil
}

func reasoned(e *trust.Error) error { return fmt.Errorf("%s: %s", e.Reason, e.Detail) }
