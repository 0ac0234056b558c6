//go:build !helper

package cli

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"
	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/admin"
	"github.com/roam-dev/roam/internal/pki"
	"github.com/roam-dev/roam/internal/trust"
)

func newAdminTrustAnchorCmd(a *adminConn) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "trust-anchor",
		Aliases: []string{"trust-anchors"},
		Short:   "Create, list, inspect, enable, disable and delete trust anchors",
	}
	cmd.AddCommand(
		newAdminTrustAnchorCreateCmd(a),
		&cobra.Command{
			Use:   "list",
			Short: "List the trust anchors",
			Args:  cobra.NoArgs,
			RunE:  a.run("trust-anchor list", a.listTrustAnchors),
		},
		newAdminTrustAnchorActionCmd(a, "get", "Show a trust anchor and its CA certificates", nil),
		newAdminTrustAnchorActionCmd(a, "enable", "Enable a trust anchor: its certificates may get credentials again",
			func(ctx context.Context, c *admin.Client, id string) (*ratypes.TrustAnchorDetail, error) {
				out, err := c.RolesAnywhere.EnableTrustAnchor(ctx, &rolesanywhere.EnableTrustAnchorInput{TrustAnchorId: aws.String(id)})
				if err != nil {
					return nil, err
				}
				return out.TrustAnchor, nil
			}),
		newAdminTrustAnchorActionCmd(a, "disable", "Disable a trust anchor: CreateSession refuses its certificates",
			func(ctx context.Context, c *admin.Client, id string) (*ratypes.TrustAnchorDetail, error) {
				out, err := c.RolesAnywhere.DisableTrustAnchor(ctx, &rolesanywhere.DisableTrustAnchorInput{TrustAnchorId: aws.String(id)})
				if err != nil {
					return nil, err
				}
				return out.TrustAnchor, nil
			}),
		newAdminTrustAnchorActionCmd(a, "delete", "Delete a trust anchor",
			func(ctx context.Context, c *admin.Client, id string) (*ratypes.TrustAnchorDetail, error) {
				out, err := c.RolesAnywhere.DeleteTrustAnchor(ctx, &rolesanywhere.DeleteTrustAnchorInput{TrustAnchorId: aws.String(id)})
				if err != nil {
					return nil, err
				}
				return out.TrustAnchor, nil
			}),
	)
	return cmd
}

func newAdminTrustAnchorCreateCmd(a *adminConn) *cobra.Command {
	var name, caFile string
	var disabled bool
	cmd := &cobra.Command{
		Use:   "create --name NAME --ca-file FILE",
		Short: "Register a CA certificate bundle as a trust anchor (enabled unless --disabled)",
		Long: `Register a CA as a trust anchor. --ca-file holds one CA certificate, or two
during a CA rotation (PEM, or a single DER certificate); each must be a CA
certificate (basicConstraints CA:true). The trust anchor is enabled unless
--disabled is given.`,
		Example: `  roam admin trust-anchor create --name abc --ca-file ca/ca.pem`,
		Args:    cobra.NoArgs,
		RunE: a.run("trust-anchor create", func(ctx context.Context, c *admin.Client) error {
			bundle, err := adminReadCABundle(caFile)
			if err != nil {
				return err
			}
			out, err := c.RolesAnywhere.CreateTrustAnchor(ctx, &rolesanywhere.CreateTrustAnchorInput{
				Name:    aws.String(name),
				Enabled: aws.Bool(!disabled),
				Source: &ratypes.Source{
					SourceType: ratypes.TrustAnchorTypeCertificateBundle,
					SourceData: &ratypes.SourceDataMemberX509CertificateData{Value: string(pki.EncodeCertificates(bundle...))},
				},
			})
			if err != nil {
				return c.Explain(err)
			}
			return a.printTrustAnchor(out.TrustAnchor)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "name of the trust anchor (required)")
	f.StringVar(&caFile, "ca-file", "", "PEM bundle of 1 or 2 CA certificates (required)")
	f.BoolVar(&disabled, "disabled", false, "create the trust anchor disabled")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("ca-file")
	return cmd
}

// adminReadCABundle reads and checks the CA certificates of a trust anchor.
func adminReadCABundle(name string) ([]*x509.Certificate, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	certs, err := pki.ParseCertificatesPEM(data)
	if err != nil {
		if len(bytes.TrimSpace(data)) == 0 || (!bytes.Contains(data, []byte("-----BEGIN")) && data[0] != 0x30) {
			return nil, fmt.Errorf("--ca-file %s holds no certificate", name)
		}
		return nil, fmt.Errorf("--ca-file %s: %v", name, err)
	}
	if len(certs) > trust.MaxAnchorCertificates {
		return nil, fmt.Errorf("--ca-file %s holds %d certificates; a trust anchor takes at most %d (two during a CA rotation)", name, len(certs), trust.MaxAnchorCertificates)
	}
	for i, c := range certs {
		if !c.IsCA {
			return nil, fmt.Errorf("--ca-file %s: certificate %d (%s) is not a CA certificate (basicConstraints CA:false); register the CA that issued it", name, i+1, pki.FormatName(c.Subject))
		}
	}
	return certs, nil
}

// newAdminTrustAnchorActionCmd makes get (act nil), enable, disable and
// delete: commands that name one trust anchor.
func newAdminTrustAnchorActionCmd(a *adminConn, verb, short string, act func(context.Context, *admin.Client, string) (*ratypes.TrustAnchorDetail, error)) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " ID|ARN|NAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.run("trust-anchor "+verb, func(ctx context.Context, c *admin.Client) error {
				ref, err := admin.ParseRef(admin.KindTrustAnchor, args[0])
				if err != nil {
					return err
				}
				if act == nil {
					ta, err := c.TrustAnchor(ctx, ref)
					if err != nil {
						return err
					}
					return a.printTrustAnchor(ta)
				}
				id, err := c.TrustAnchorID(ctx, ref)
				if err != nil {
					return err
				}
				ta, err := act(ctx, c, id)
				if err != nil {
					return c.Explain(err)
				}
				return a.print(map[string]any{"trustAnchor": admin.NewTrustAnchorJSON(ta)},
					text(fmt.Sprintf("%sd trust anchor %s (%s)\n", verb, aws.ToString(ta.Name), aws.ToString(ta.TrustAnchorId))))
			})(cmd, args)
		},
	}
}

func (a *adminConn) listTrustAnchors(ctx context.Context, c *admin.Client) error {
	all, err := c.ListTrustAnchors(ctx)
	if err != nil {
		return err
	}
	sortByName(all, func(t ratypes.TrustAnchorDetail) string { return aws.ToString(t.Name) },
		func(t ratypes.TrustAnchorDetail) string { return aws.ToString(t.TrustAnchorId) })
	doc := struct {
		TrustAnchors []admin.TrustAnchorJSON `json:"trustAnchors"`
	}{TrustAnchors: []admin.TrustAnchorJSON{}}
	t := admin.NewTable("NAME", "ID", "ENABLED", "CA", "NOT AFTER", "CREATED")
	for i := range all {
		ta := &all[i]
		doc.TrustAnchors = append(doc.TrustAnchors, admin.NewTrustAnchorJSON(ta))
		var subjects []string
		var notAfter *time.Time
		for _, cert := range adminAnchorCerts(ta) {
			subjects = append(subjects, adminShortName(cert))
			if notAfter == nil || cert.NotAfter.Before(*notAfter) {
				notAfter = &cert.NotAfter
			}
		}
		t.Row(aws.ToString(ta.Name), aws.ToString(ta.TrustAnchorId), admin.Bool(ta.Enabled),
			strings.Join(subjects, "; "), admin.Time(notAfter), admin.Time(ta.CreatedAt))
	}
	return a.print(doc, t)
}

func (a *adminConn) printTrustAnchor(ta *ratypes.TrustAnchorDetail) error {
	var f admin.Fields
	f.Add("Name", aws.ToString(ta.Name))
	f.Add("ID", aws.ToString(ta.TrustAnchorId))
	f.Add("ARN", aws.ToString(ta.TrustAnchorArn))
	f.Add("Enabled", admin.Bool(ta.Enabled))
	if ta.Source != nil {
		f.Add("Source", string(ta.Source.SourceType))
	}
	var certs []string
	for _, cert := range adminAnchorCerts(ta) {
		certs = append(certs, fmt.Sprintf("%s (not after %s, sha256 %s)", pki.FormatName(cert.Subject), admin.Time(&cert.NotAfter), pki.Fingerprint(cert)))
	}
	if len(certs) > 0 {
		f.Add("Certificates", certs...)
	}
	f.Add("Created", admin.Time(ta.CreatedAt))
	f.Add("Updated", admin.Time(ta.UpdatedAt))
	return a.print(map[string]any{"trustAnchor": admin.NewTrustAnchorJSON(ta)}, &f)
}

// adminAnchorCerts returns the CA certificates of a certificate-bundle
// trust anchor (none when they cannot be parsed: the table shows "-").
func adminAnchorCerts(ta *ratypes.TrustAnchorDetail) []*x509.Certificate {
	data := admin.CertificateData(ta)
	if data == "" {
		return nil
	}
	certs, err := pki.ParseCertificatesPEM([]byte(data))
	if err != nil {
		return nil
	}
	return certs
}

// adminShortName is a certificate's subject CN, or its whole subject when
// it has none.
func adminShortName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return "CN=" + c.Subject.CommonName
	}
	return pki.FormatName(c.Subject)
}
