//go:build !helper

package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"
	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/admin"
)

// The model's bounds on a profile's durationSeconds.
const (
	profileMinDuration = 900
	profileMaxDuration = 43200
)

func newAdminProfileCmd(a *adminConn) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "profile",
		Aliases: []string{"profiles"},
		Short:   "Create, list, inspect, enable, disable and delete profiles",
	}
	cmd.AddCommand(
		newAdminProfileCreateCmd(a),
		&cobra.Command{
			Use:   "list",
			Short: "List the profiles",
			Args:  cobra.NoArgs,
			RunE:  a.run("profile list", a.listProfiles),
		},
		newAdminProfileActionCmd(a, "get", "Show a profile", nil),
		newAdminProfileActionCmd(a, "enable", "Enable a profile",
			func(ctx context.Context, c *admin.Client, id string) (*ratypes.ProfileDetail, error) {
				out, err := c.RolesAnywhere.EnableProfile(ctx, &rolesanywhere.EnableProfileInput{ProfileId: aws.String(id)})
				if err != nil {
					return nil, err
				}
				return out.Profile, nil
			}),
		newAdminProfileActionCmd(a, "disable", "Disable a profile: CreateSession refuses it",
			func(ctx context.Context, c *admin.Client, id string) (*ratypes.ProfileDetail, error) {
				out, err := c.RolesAnywhere.DisableProfile(ctx, &rolesanywhere.DisableProfileInput{ProfileId: aws.String(id)})
				if err != nil {
					return nil, err
				}
				return out.Profile, nil
			}),
		newAdminProfileActionCmd(a, "delete", "Delete a profile",
			func(ctx context.Context, c *admin.Client, id string) (*ratypes.ProfileDetail, error) {
				out, err := c.RolesAnywhere.DeleteProfile(ctx, &rolesanywhere.DeleteProfileInput{ProfileId: aws.String(id)})
				if err != nil {
					return nil, err
				}
				return out.Profile, nil
			}),
	)
	return cmd
}

func newAdminProfileCreateCmd(a *adminConn) *cobra.Command {
	var (
		name                  string
		roles                 []string
		duration              string
		sessionPolicyFile     string
		managedPolicyArns     []string
		acceptRoleSessionName bool
		disabled              bool
	)
	cmd := &cobra.Command{
		Use:   "create --name NAME --role ROLE[,ROLE...]",
		Short: "Create a profile: the roles a certificate may assume, and how (enabled unless --disabled)",
		Long: `Create a profile listing the roles sessions may assume (names are looked up,
ARNs are used as given), with an optional session policy and managed
policies that narrow the sessions' permissions. The profile is enabled
unless --disabled is given.`,
		Example: `  roam admin profile create --name abc --role abc
  roam admin profile create --name ops --role deploy,read-only --duration 15m --session-policy-file narrow.json`,
		Args: cobra.NoArgs,
		RunE: a.run("profile create", func(ctx context.Context, c *admin.Client) error {
			in := &rolesanywhere.CreateProfileInput{
				Name:              aws.String(name),
				Enabled:           aws.Bool(!disabled),
				RoleArns:          []string{},
				ManagedPolicyArns: managedPolicyArns,
			}
			if acceptRoleSessionName {
				in.AcceptRoleSessionName = aws.Bool(true)
			}
			if duration != "" {
				s, err := adminSeconds("duration", duration, profileMinDuration, profileMaxDuration)
				if err != nil {
					return usageError{err}
				}
				in.DurationSeconds = aws.Int32(s)
			}
			if sessionPolicyFile != "" {
				doc, err := adminReadJSON("session-policy-file", sessionPolicyFile)
				if err != nil {
					return err
				}
				in.SessionPolicy = aws.String(doc)
			}
			for _, r := range roles {
				if r == "" {
					return usageError{errors.New("--role: empty role name")}
				}
				arn, err := c.RoleArn(ctx, r)
				if err != nil {
					return fmt.Errorf("--role %s: %w", r, err)
				}
				in.RoleArns = append(in.RoleArns, arn)
			}
			out, err := c.RolesAnywhere.CreateProfile(ctx, in)
			if err != nil {
				return c.Explain(err)
			}
			return a.printProfile(out.Profile)
		}),
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "name of the profile (required)")
	f.StringSliceVar(&roles, "role", nil, "roles (names or ARNs) sessions may assume, comma-separated or repeated (required)")
	f.StringVar(&duration, "duration", "", "session lifetime, 900 to 43200 seconds, e.g. 3600 or 1h (default 3600)")
	f.StringVar(&sessionPolicyFile, "session-policy-file", "", "JSON session policy that narrows every session's permissions")
	f.StringArrayVar(&managedPolicyArns, "managed-policy-arn", nil, "managed policy that narrows every session's permissions; repeatable")
	f.BoolVar(&acceptRoleSessionName, "accept-role-session-name", false, "let clients choose the role session name (--role-session-name)")
	f.BoolVar(&disabled, "disabled", false, "create the profile disabled")
	_ = cmd.MarkFlagRequired("name")
	_ = cmd.MarkFlagRequired("role")
	return cmd
}

// newAdminProfileActionCmd makes get (act nil), enable, disable and
// delete: commands that name one profile.
func newAdminProfileActionCmd(a *adminConn, verb, short string, act func(context.Context, *admin.Client, string) (*ratypes.ProfileDetail, error)) *cobra.Command {
	return &cobra.Command{
		Use:   verb + " ID|ARN|NAME",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.run("profile "+verb, func(ctx context.Context, c *admin.Client) error {
				ref, err := admin.ParseRef(admin.KindProfile, args[0])
				if err != nil {
					return err
				}
				if act == nil {
					p, err := c.Profile(ctx, ref)
					if err != nil {
						return err
					}
					return a.printProfile(p)
				}
				id, err := c.ProfileID(ctx, ref)
				if err != nil {
					return err
				}
				p, err := act(ctx, c, id)
				if err != nil {
					return c.Explain(err)
				}
				return a.print(map[string]any{"profile": admin.NewProfileJSON(p)},
					text(fmt.Sprintf("%sd profile %s (%s)\n", verb, aws.ToString(p.Name), aws.ToString(p.ProfileId))))
			})(cmd, args)
		},
	}
}

func (a *adminConn) listProfiles(ctx context.Context, c *admin.Client) error {
	all, err := c.ListProfiles(ctx)
	if err != nil {
		return err
	}
	sortByName(all, func(p ratypes.ProfileDetail) string { return aws.ToString(p.Name) },
		func(p ratypes.ProfileDetail) string { return aws.ToString(p.ProfileId) })
	doc := struct {
		Profiles []admin.ProfileJSON `json:"profiles"`
	}{Profiles: []admin.ProfileJSON{}}
	t := admin.NewTable("NAME", "ID", "ENABLED", "ROLES", "DURATION", "CREATED")
	for i := range all {
		p := &all[i]
		doc.Profiles = append(doc.Profiles, admin.NewProfileJSON(p))
		var roles []string
		for _, arn := range p.RoleArns {
			if n, err := admin.RoleName(arn); err == nil {
				roles = append(roles, n)
			} else {
				roles = append(roles, arn)
			}
		}
		t.Row(aws.ToString(p.Name), aws.ToString(p.ProfileId), admin.Bool(p.Enabled),
			strings.Join(roles, ","), admin.Seconds(p.DurationSeconds), admin.Time(p.CreatedAt))
	}
	return a.print(doc, t)
}

func (a *adminConn) printProfile(p *ratypes.ProfileDetail) error {
	var f admin.Fields
	f.Add("Name", aws.ToString(p.Name))
	f.Add("ID", aws.ToString(p.ProfileId))
	f.Add("ARN", aws.ToString(p.ProfileArn))
	f.Add("Enabled", admin.Bool(p.Enabled))
	f.Add("Roles", p.RoleArns...)
	f.Add("Duration", admin.Seconds(p.DurationSeconds))
	f.Add("Accept role session name", admin.Bool(p.AcceptRoleSessionName))
	if sp := aws.ToString(p.SessionPolicy); sp != "" {
		f.Add("Session policy", strings.Split(strings.TrimSpace(admin.IndentPolicy(sp)), "\n")...)
	} else {
		f.Add("Session policy")
	}
	f.Add("Managed policies", p.ManagedPolicyArns...)
	var mappings []string
	for _, m := range p.AttributeMappings {
		var specs []string
		for _, r := range m.MappingRules {
			specs = append(specs, aws.ToString(r.Specifier))
		}
		mappings = append(mappings, string(m.CertificateField)+": "+strings.Join(specs, ", "))
	}
	f.Add("Attribute mappings", mappings...)
	f.Add("Created by", aws.ToString(p.CreatedBy))
	f.Add("Created", admin.Time(p.CreatedAt))
	f.Add("Updated", admin.Time(p.UpdatedAt))
	return a.print(map[string]any{"profile": admin.NewProfileJSON(p)}, &f)
}
