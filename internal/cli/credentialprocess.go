package cli

import (
	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/helper"
)

func init() {
	register(func(root *cobra.Command, env *Env) { root.AddCommand(newCredentialProcessCmd(env)) })
}

func newCredentialProcessCmd(env *Env) *cobra.Command {
	var flags sessionFlags
	cmd := &cobra.Command{
		Use:   "credential-process",
		Short: "Retrieve AWS credentials in the format the AWS CLI's credential_process expects",
		Long: `Call IAM Roles Anywhere CreateSession with the certificate and key and print
the temporary credentials as credential_process JSON. Use it in ~/.aws/config:

  [profile ra]
  credential_process = roam credential-process --certificate client.pem --private-key client.key \
    --trust-anchor-arn ARN --profile-arn ARN --role-arn ARN [--endpoint URL]`,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotationHelper: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			creds, err := flags.createSession(cmd.Context(), cmd, env)
			if err != nil {
				return err
			}
			_, err = env.Stdout.Write(helper.ProcessCredentials(creds))
			return err
		},
	}
	flags.bind(cmd)
	return cmd
}
