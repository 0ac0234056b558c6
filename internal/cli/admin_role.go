//go:build !helper

package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/admin"
)

// IAM's bounds on a role's MaxSessionDuration, in seconds.
const (
	roleMinSession = 3600
	roleMaxSession = 43200
)

func newAdminRoleCmd(a *adminConn) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "role",
		Aliases: []string{"roles"},
		Short:   "Create, list, inspect and delete IAM roles for Roles Anywhere",
	}
	cmd.AddCommand(
		newAdminRoleCreateCmd(a),
		&cobra.Command{
			Use:   "list",
			Short: "List the IAM roles",
			Args:  cobra.NoArgs,
			RunE:  a.run("role list", a.listRoles),
		},
		newAdminRoleGetCmd(a),
		newAdminRoleDeleteCmd(a),
		newAdminRoleTrustPolicyCmd(a),
	)
	return cmd
}

// trustPolicyFlags are the flags that shape a generated trust policy.
type trustPolicyFlags struct {
	anchors []string
	cns     []string
	sanURIs []string
}

func (t *trustPolicyFlags) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&t.anchors, "trust-anchor", nil, "trust anchor (ID, ARN or name) whose certificates may assume the role; repeat for several (required)")
	f.StringArrayVar(&t.cns, "cn", nil, "allow only certificates with this subject CN (StringEquals aws:PrincipalTag/x509Subject/CN); repeat to allow several")
	f.StringArrayVar(&t.sanURIs, "san-uri", nil, "allow only certificates with a URI SAN matching this pattern, * and ? as wildcards (StringLike aws:PrincipalTag/x509SAN/URI); repeat to allow several")
	_ = cmd.MarkFlagRequired("trust-anchor")
}

// policy generates the trust policy; trust anchors given by ARN need no
// server, the others are looked up (and so must exist).
func (t *trustPolicyFlags) policy(ctx context.Context, a *adminConn) (string, error) {
	opts := admin.TrustPolicyOptions{CNs: t.cns, SANURIs: t.sanURIs}
	for _, s := range t.anchors {
		ref, err := admin.ParseRef(admin.KindTrustAnchor, s)
		if err != nil {
			return "", fmt.Errorf("--trust-anchor: %w", err)
		}
		arn := ref.ARN
		if arn == "" {
			c, err := a.connect(ctx)
			if err != nil {
				return "", err
			}
			if arn, err = c.TrustAnchorArn(ctx, ref); err != nil {
				return "", fmt.Errorf("--trust-anchor %s: %w", s, err)
			}
		}
		if !slices.Contains(opts.TrustAnchorArns, arn) {
			opts.TrustAnchorArns = append(opts.TrustAnchorArns, arn)
		}
	}
	for _, v := range t.cns {
		if v == "" {
			return "", errors.New("--cn is empty")
		}
	}
	for _, v := range t.sanURIs {
		if v == "" {
			return "", errors.New("--san-uri is empty")
		}
	}
	return admin.TrustPolicy(opts)
}

func newAdminRoleCreateCmd(a *adminConn) *cobra.Command {
	var (
		tp          trustPolicyFlags
		name        string
		description string
		policyFile  string
		policyName  string
		readOnly    bool
		maxSession  string
	)
	cmd := &cobra.Command{
		Use:   "create --name ROLE --trust-anchor ID|ARN|NAME",
		Short: "Create an IAM role that Roles Anywhere may assume for a trust anchor's certificates",
		Long: `Create an IAM role with a generated trust policy: the service principal
rolesanywhere.amazonaws.com may call sts:AssumeRole, sts:TagSession and
sts:SetSourceIdentity when aws:SourceArn is the trust anchor (ArnEquals),
optionally only for certificates with a given subject CN (StringEquals
aws:PrincipalTag/x509Subject/CN) or URI SAN (StringLike
aws:PrincipalTag/x509SAN/URI).

Its permissions come from an inline policy: --policy-file, or --read-only
for read access to Roles Anywhere and IAM. If the policy cannot be put, the
role is deleted again.`,
		Example: `  roam admin role create --name abc --trust-anchor abc --cn client.abc.example --read-only
  roam admin role create --name deploy --trust-anchor 0ace5b12-24b9-427e-a483-c55884852fbf \
    --san-uri 'spiffe://abc.example/deploy/*' --policy-file deploy.json --max-session-duration 2h`,
		Args: cobra.NoArgs,
		RunE: a.run("role create", func(ctx context.Context, c *admin.Client) error {
			if policyFile != "" && readOnly {
				return usageError{errors.New("--policy-file and --read-only exclude each other")}
			}
			if policyName != "" && policyFile == "" && !readOnly {
				return usageError{errors.New("--policy-name needs --policy-file or --read-only")}
			}
			in := &iam.CreateRoleInput{RoleName: aws.String(name)}
			if description != "" {
				in.Description = aws.String(description)
			}
			if maxSession != "" {
				s, err := adminSeconds("max-session-duration", maxSession, roleMinSession, roleMaxSession)
				if err != nil {
					return usageError{err}
				}
				in.MaxSessionDuration = aws.Int32(s)
			}
			var permissions string
			switch {
			case policyFile != "":
				doc, err := adminReadJSON("policy-file", policyFile)
				if err != nil {
					return err
				}
				permissions = doc
			case readOnly:
				permissions = admin.ReadOnlyPolicy()
				if policyName == "" {
					policyName = admin.ReadOnlyPolicyName
				}
			}
			if policyName == "" {
				policyName = "permissions"
			}
			trust, err := tp.policy(ctx, a)
			if err != nil {
				return err
			}
			in.AssumeRolePolicyDocument = aws.String(trust)
			out, err := c.IAM.CreateRole(ctx, in)
			if err != nil {
				return c.Explain(err)
			}
			policies := &admin.RolePolicies{}
			if permissions != "" {
				_, err := c.IAM.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(policyName), PolicyDocument: aws.String(permissions)})
				if err != nil {
					err = c.Explain(err)
					if _, derr := c.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); derr != nil {
						return fmt.Errorf("put policy %s: %w; the role %s was created but could not be deleted again: %v", policyName, err, name, c.Explain(derr))
					}
					return fmt.Errorf("put policy %s: %w (the role was not kept)", policyName, err)
				}
				policies.Inline = append(policies.Inline, admin.InlinePolicy{Name: policyName, Document: permissions})
			}
			return a.printRole(out.Role, policies)
		}),
	}
	tp.bind(cmd)
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "name of the role (required)")
	f.StringVar(&description, "description", "", "description of the role")
	f.StringVar(&policyFile, "policy-file", "", "JSON permission policy to put as the role's inline policy")
	f.StringVar(&policyName, "policy-name", "", `name of the inline policy (default "permissions", or "read-only" with --read-only)`)
	f.BoolVar(&readOnly, "read-only", false, "give the role read-only access to Roles Anywhere and IAM (rolesanywhere:Get*/List*, iam:Get*/List*)")
	f.StringVar(&maxSession, "max-session-duration", "", "longest session the role allows, 3600 to 43200 seconds, e.g. 7200 or 2h (default 3600)")
	_ = cmd.MarkFlagRequired("name")
	return cmd
}

func newAdminRoleTrustPolicyCmd(a *adminConn) *cobra.Command {
	var tp trustPolicyFlags
	cmd := &cobra.Command{
		Use:   "trust-policy --trust-anchor ID|ARN|NAME",
		Short: "Print the trust policy role create would generate",
		Long: `Print the trust policy role create would generate, for use with
aws iam create-role or update-assume-role-policy. Trust anchors given by ARN
need no server.`,
		Example: `  roam admin role trust-policy --trust-anchor arn:aws:rolesanywhere:us-east-1:111122223333:trust-anchor/0ace5b12-24b9-427e-a483-c55884852fbf --cn client > trust.json
  aws iam update-assume-role-policy --role-name abc --policy-document file://trust.json`,
		Args: cobra.NoArgs,
		RunE: a.runOffline("role trust-policy", func(ctx context.Context) error {
			doc, err := tp.policy(ctx, a)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(a.env.Stdout, doc)
			return err
		}),
	}
	tp.bind(cmd)
	return cmd
}

func newAdminRoleGetCmd(a *adminConn) *cobra.Command {
	return &cobra.Command{
		Use:   "get NAME|ARN",
		Short: "Show a role, its trust policy and its policies",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.run("role get", func(ctx context.Context, c *admin.Client) error {
				r, err := c.Role(ctx, args[0])
				if err != nil {
					return err
				}
				p, err := c.RolePolicies(ctx, aws.ToString(r.RoleName))
				if err != nil {
					return err
				}
				return a.printRole(r, p)
			})(cmd, args)
		},
	}
}

func newAdminRoleDeleteCmd(a *adminConn) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "delete NAME|ARN",
		Short: "Delete a role (with --force, after deleting and detaching its policies)",
		Long: `Delete a role. A role with policies is refused unless --force is given:
then its inline policies are deleted and its managed policies detached
first. Profiles that list the role keep listing it; a warning names them.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.run("role delete", func(ctx context.Context, c *admin.Client) error {
				return a.deleteRole(ctx, c, args[0], force)
			})(cmd, args)
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete the role's inline policies and detach its managed policies first")
	return cmd
}

func (a *adminConn) deleteRole(ctx context.Context, c *admin.Client, ref string, force bool) error {
	r, err := c.Role(ctx, ref)
	if err != nil {
		return err
	}
	name := aws.ToString(r.RoleName)
	p, err := c.RolePolicies(ctx, name)
	if err != nil {
		return err
	}
	if !force && (len(p.Inline) > 0 || len(p.Attached) > 0) {
		var has []string
		if n := len(p.Inline); n > 0 {
			has = append(has, fmt.Sprintf("%d inline %s (%s)", n, plural(n, "policy", "policies"), strings.Join(inlineNames(p), ", ")))
		}
		if n := len(p.Attached); n > 0 {
			has = append(has, fmt.Sprintf("%d attached %s (%s)", n, plural(n, "policy", "policies"), strings.Join(attachedArns(p), ", ")))
		}
		return fmt.Errorf("role %s has %s; pass --force to delete them with the role", name, strings.Join(has, " and "))
	}
	var log strings.Builder
	for _, ip := range p.Inline {
		if _, err := c.IAM.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(name), PolicyName: aws.String(ip.Name)}); err != nil {
			return fmt.Errorf("delete inline policy %s: %w", ip.Name, c.Explain(err))
		}
		fmt.Fprintf(&log, "deleted inline policy %s of role %s\n", ip.Name, name)
	}
	for _, ap := range p.Attached {
		if _, err := c.IAM.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(name), PolicyArn: ap.PolicyArn}); err != nil {
			return fmt.Errorf("detach policy %s: %w", aws.ToString(ap.PolicyArn), c.Explain(err))
		}
		fmt.Fprintf(&log, "detached policy %s from role %s\n", aws.ToString(ap.PolicyArn), name)
	}
	if _, err := c.IAM.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)}); err != nil {
		return c.Explain(err)
	}
	fmt.Fprintf(&log, "deleted role %s\n", name)
	// The role is gone; a failure to list profiles only costs the warning.
	if profiles, err := c.ListProfiles(ctx); err == nil {
		for _, pr := range profiles {
			if slices.Contains(pr.RoleArns, aws.ToString(r.Arn)) {
				a.warn("profile %s (%s) still lists the deleted role %s", aws.ToString(pr.Name), aws.ToString(pr.ProfileId), aws.ToString(r.Arn))
			}
		}
	}
	return a.print(admin.NewRoleDetailJSON(r, p), text(log.String()))
}

func (a *adminConn) listRoles(ctx context.Context, c *admin.Client) error {
	all, err := c.ListRoles(ctx)
	if err != nil {
		return err
	}
	sortByName(all, func(r iamtypes.Role) string { return aws.ToString(r.RoleName) }, func(r iamtypes.Role) string { return aws.ToString(r.Arn) })
	doc := struct {
		Roles []admin.RoleJSON `json:"Roles"`
	}{Roles: []admin.RoleJSON{}}
	t := admin.NewTable("NAME", "ARN", "MAX SESSION", "CREATED")
	for i := range all {
		r := &all[i]
		doc.Roles = append(doc.Roles, admin.NewRoleJSON(r))
		t.Row(aws.ToString(r.RoleName), aws.ToString(r.Arn), admin.Seconds(r.MaxSessionDuration), admin.Time(r.CreateDate))
	}
	return a.print(doc, t)
}

func (a *adminConn) printRole(r *iamtypes.Role, p *admin.RolePolicies) error {
	var f admin.Fields
	f.Add("Name", aws.ToString(r.RoleName))
	f.Add("ARN", aws.ToString(r.Arn))
	f.Add("ID", aws.ToString(r.RoleId))
	if d := aws.ToString(r.Description); d != "" {
		f.Add("Description", d)
	}
	f.Add("Max session", admin.Seconds(r.MaxSessionDuration))
	f.Add("Created", admin.Time(r.CreateDate))
	f.Add("Trust policy", strings.Split(strings.TrimSpace(admin.IndentPolicy(admin.DecodePolicy(aws.ToString(r.AssumeRolePolicyDocument)))), "\n")...)
	f.Add("Inline policies", inlineNames(p)...)
	f.Add("Attached policies", attachedArns(p)...)
	return a.print(admin.NewRoleDetailJSON(r, p), &f)
}

func inlineNames(p *admin.RolePolicies) []string {
	var out []string
	for _, ip := range p.Inline {
		out = append(out, ip.Name)
	}
	return out
}

func attachedArns(p *admin.RolePolicies) []string {
	var out []string
	for _, ap := range p.Attached {
		out = append(out, aws.ToString(ap.PolicyArn))
	}
	return out
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
