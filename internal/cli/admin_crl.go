//go:build !helper

package cli

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"
	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/admin"
	"github.com/roam-dev/roam/internal/arn"
	"github.com/roam-dev/roam/internal/pki"
)

func newAdminCRLCmd(a *adminConn) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "crl",
		Aliases: []string{"crls"},
		Short:   "Import, list, inspect, enable, disable and delete certificate revocation lists",
	}
	cmd.AddCommand(
		newAdminCRLImportCmd(a),
		&cobra.Command{
			Use:   "list",
			Short: "List the CRLs",
			Args:  cobra.NoArgs,
			RunE:  a.run("crl list", a.listCRLs),
		},
		newAdminCRLActionCmd(a, "get", "Show a CRL", nil),
		newAdminCRLActionCmd(a, "enable", "Enable a CRL: the certificates it lists get no credentials",
			func(ctx context.Context, c *admin.Client, id string) (*ratypes.CrlDetail, error) {
				out, err := c.RolesAnywhere.EnableCrl(ctx, &rolesanywhere.EnableCrlInput{CrlId: aws.String(id)})
				if err != nil {
					return nil, err
				}
				return out.Crl, nil
			}),
		newAdminCRLActionCmd(a, "disable", "Disable a CRL: it is ignored",
			func(ctx context.Context, c *admin.Client, id string) (*ratypes.CrlDetail, error) {
				out, err := c.RolesAnywhere.DisableCrl(ctx, &rolesanywhere.DisableCrlInput{CrlId: aws.String(id)})
				if err != nil {
					return nil, err
				}
				return out.Crl, nil
			}),
		newAdminCRLActionCmd(a, "delete", "Delete a CRL",
			func(ctx context.Context, c *admin.Client, id string) (*ratypes.CrlDetail, error) {
				out, err := c.RolesAnywhere.DeleteCrl(ctx, &rolesanywhere.DeleteCrlInput{CrlId: aws.String(id)})
				if err != nil {
					return nil, err
				}
				return out.Crl, nil
			}),
	)
	return cmd
}

func newAdminCRLImportCmd(a *adminConn) *cobra.Command {
	var name, anchor, crlFile string
	var disabled bool
	cmd := &cobra.Command{
		Use:   "import --name NAME --trust-anchor ID|ARN|NAME --crl-file FILE",
		Short: "Import a CRL for a trust anchor (enabled unless --disabled)",
		Long: `Import a certificate revocation list (PEM or DER; it is sent as PEM) for a
trust anchor: certificates it lists get no credentials through that trust
anchor while the CRL is enabled. The CRL must be signed by a CA certificate
of the trust anchor; a trust anchor takes at most 2 CRLs.`,
		Example: `  roam ca revoke --dir ca --cert client.pem && roam ca crl --dir ca --out ca.crl
  roam admin crl import --name abc --trust-anchor abc --crl-file ca.crl`,
		Args: cobra.NoArgs,
		RunE: a.run("crl import", func(ctx context.Context, c *admin.Client) error {
			crl, err := adminReadCRL(crlFile)
			if err != nil {
				return err
			}
			ref, err := admin.ParseRef(admin.KindTrustAnchor, anchor)
			if err != nil {
				return fmt.Errorf("--trust-anchor: %w", err)
			}
			anchorArn, err := c.TrustAnchorArn(ctx, ref)
			if err != nil {
				return fmt.Errorf("--trust-anchor %s: %w", anchor, err)
			}
			out, err := c.RolesAnywhere.ImportCrl(ctx, &rolesanywhere.ImportCrlInput{
				Name:           aws.String(name),
				CrlData:        pki.EncodeCRL(crl.Raw),
				TrustAnchorArn: aws.String(anchorArn),
				Enabled:        aws.Bool(!disabled),
			})
			if err != nil {
				return c.Explain(err)
			}
			return a.printCRL(out.Crl)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "name of the CRL (required)")
	f.StringVar(&anchor, "trust-anchor", "", "trust anchor (ID, ARN or name) the CRL revokes certificates for (required)")
	f.StringVar(&crlFile, "crl-file", "", "the CRL, PEM or DER (required)")
	f.BoolVar(&disabled, "disabled", false, "import the CRL disabled")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("trust-anchor")
	_ = cmd.MarkFlagRequired("crl-file")
	return cmd
}

// adminReadCRL reads a CRL file, PEM ("X509 CRL") or DER.
func adminReadCRL(name string) (*x509.RevocationList, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("--crl-file: %w", err)
	}
	crl, err := adminParseCRL(data)
	if err != nil {
		return nil, fmt.Errorf("--crl-file %s %v", name, err)
	}
	return crl, nil
}

// adminParseCRL parses a CRL, PEM or DER; its errors read after the file
// name ("holds no CRL").
func adminParseCRL(data []byte) (*x509.RevocationList, error) {
	der := data
	if block, _ := pem.Decode(data); block != nil {
		if block.Type != "X509 CRL" {
			return nil, fmt.Errorf("holds a PEM %q block, not a CRL (want \"X509 CRL\")", block.Type)
		}
		der = block.Bytes
	} else if len(data) == 0 || data[0] != 0x30 {
		return nil, fmt.Errorf("holds no CRL (want PEM \"X509 CRL\" or DER)")
	}
	crl, err := x509.ParseRevocationList(der)
	if err != nil {
		return nil, fmt.Errorf("holds no valid CRL: %v", err)
	}
	return crl, nil
}

// newAdminCRLActionCmd makes get (act nil), enable, disable and delete:
// commands that name one CRL.
func newAdminCRLActionCmd(a *adminConn, verb, short string, act func(context.Context, *admin.Client, string) (*ratypes.CrlDetail, error)) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " ID|ARN|NAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.run("crl "+verb, func(ctx context.Context, c *admin.Client) error {
				ref, err := admin.ParseRef(admin.KindCRL, args[0])
				if err != nil {
					return err
				}
				id, err := c.CRLID(ctx, ref)
				if err != nil {
					return err
				}
				if act == nil {
					out, err := c.RolesAnywhere.GetCrl(ctx, &rolesanywhere.GetCrlInput{CrlId: aws.String(id)})
					if err != nil {
						return c.Explain(err)
					}
					return a.printCRL(out.Crl)
				}
				crl, err := act(ctx, c, id)
				if err != nil {
					return c.Explain(err)
				}
				return a.print(map[string]any{"crl": admin.NewCRLJSON(crl)},
					text(fmt.Sprintf("%sd CRL %s (%s)\n", verb, aws.ToString(crl.Name), aws.ToString(crl.CrlId))))
			})(cmd, args)
		},
	}
}

func (a *adminConn) listCRLs(ctx context.Context, c *admin.Client) error {
	all, err := c.ListCRLs(ctx)
	if err != nil {
		return err
	}
	sortByName(all, func(c ratypes.CrlDetail) string { return aws.ToString(c.Name) },
		func(c ratypes.CrlDetail) string { return aws.ToString(c.CrlId) })
	doc := struct {
		Crls []admin.CRLJSON `json:"crls"`
	}{Crls: []admin.CRLJSON{}}
	t := admin.NewTable("NAME", "ID", "ENABLED", "TRUST ANCHOR", "REVOKED", "NEXT UPDATE", "CREATED")
	for i := range all {
		crl := &all[i]
		doc.Crls = append(doc.Crls, admin.NewCRLJSON(crl))
		revoked, nextUpdate := "-", "-"
		if parsed, err := adminParseCRL(crl.CrlData); err == nil {
			revoked = strconv.Itoa(len(parsed.RevokedCertificateEntries))
			nextUpdate = admin.Time(&parsed.NextUpdate)
		}
		anchor := aws.ToString(crl.TrustAnchorArn)
		if parsed, err := arn.Parse(anchor); err == nil {
			anchor = parsed.ResourceID()
		}
		t.Row(aws.ToString(crl.Name), aws.ToString(crl.CrlId), admin.Bool(crl.Enabled), anchor, revoked, nextUpdate, admin.Time(crl.CreatedAt))
	}
	return a.print(doc, t)
}

func (a *adminConn) printCRL(crl *ratypes.CrlDetail) error {
	var f admin.Fields
	f.Add("Name", aws.ToString(crl.Name))
	f.Add("ID", aws.ToString(crl.CrlId))
	f.Add("ARN", aws.ToString(crl.CrlArn))
	f.Add("Enabled", admin.Bool(crl.Enabled))
	f.Add("Trust anchor", aws.ToString(crl.TrustAnchorArn))
	if parsed, err := adminParseCRL(crl.CrlData); err == nil {
		f.Add("Issuer", pki.FormatName(parsed.Issuer))
		if parsed.Number != nil {
			f.Add("CRL number", parsed.Number.String())
		}
		f.Add("This update", admin.Time(&parsed.ThisUpdate))
		f.Add("Next update", admin.Time(&parsed.NextUpdate))
		var serials []string
		for _, e := range parsed.RevokedCertificateEntries {
			serials = append(serials, pki.FormatSerial(e.SerialNumber))
		}
		f.Add("Revoked serials", serials...)
	}
	f.Add("Created", admin.Time(crl.CreatedAt))
	f.Add("Updated", admin.Time(crl.UpdatedAt))
	return a.print(map[string]any{"crl": admin.NewCRLJSON(crl)}, &f)
}
