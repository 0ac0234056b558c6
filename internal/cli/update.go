package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/helper"
)

func init() {
	register(func(root *cobra.Command, env *Env) { root.AddCommand(newUpdateCmd(env)) })
}

func newUpdateCmd(env *Env) *cobra.Command {
	var flags sessionFlags
	var profile string
	var once bool
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Write temporary credentials into the AWS shared credentials file, and keep them fresh",
		Long: `Write IAM Roles Anywhere credentials (aws_access_key_id,
aws_secret_access_key, aws_session_token) into a profile of the AWS shared
credentials file ($AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials),
as aws_signing_helper update does, and rewrite them 5 minutes before they
expire (halfway through sessions shorter than 10 minutes) until stopped;
--once writes them once and exits.

Only the section that reads exactly [PROFILE] is touched (it is appended
when missing); every other line of the file is kept byte for byte,
including its last line, which aws_signing_helper drops. The file is
replaced atomically (temporary file, fsync, rename) under an advisory lock
on FILE.lock, so concurrent writers do not lose each other's changes; a
new file gets mode 0600 in a new directory of mode 0700, an existing file
keeps its mode. The first CreateSession must succeed (else exit status 1);
later failures are logged and retried with backoff. SIGTERM and SIGINT
stop it cleanly (exit status 0).
` + keySourceHelp,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotationHelper: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runUpdate(cmd.Context(), cmd, env, &flags, profile, once)
		},
	}
	flags.bind(cmd)
	cmd.Flags().StringVar(&profile, "profile", "default", "The aws profile to use")
	cmd.Flags().BoolVar(&once, "once", false, "Update the credentials once and exit")
	return cmd
}

func runUpdate(ctx context.Context, cmd *cobra.Command, env *Env, flags *sessionFlags, profile string, once bool) error {
	path, err := helper.CredentialsFilePath(env.Getenv)
	if err != nil {
		return err
	}
	logger := helper.NewLogger(env.Stderr, env.Now)
	src, err := flags.open(cmd, env)
	if err != nil {
		return err
	}
	defer src.Close()
	refresher := helper.NewRefresher(helper.RefresherConfig{
		Fetch: flags.fetcher(env, src),
		OnRefresh: func(ctx context.Context, c *helper.Credentials, next time.Time) error {
			if err := helper.WriteCredentialsFile(ctx, path, profile, c); err != nil {
				return err
			}
			if !once {
				logger.Printf("Credentials will be refreshed at %s", next.UTC().Truncate(time.Second))
			}
			return nil
		},
		Now:    env.Now,
		Logger: logger,
	})
	if err := refresher.Start(ctx); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	if once {
		return nil
	}
	refresher.Run(ctx)
	return nil
}
