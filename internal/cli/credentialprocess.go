package cli

import (
	"context"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/helper"
)

func init() {
	register(func(root *cobra.Command, env *Env) { root.AddCommand(newCredentialProcessCmd(env)) })
}

func newCredentialProcessCmd(env *Env) *cobra.Command {
	var flags sessionFlags
	var cache bool
	cmd := &cobra.Command{
		Use:   "credential-process",
		Short: "Retrieve AWS credentials in the format the AWS CLI's credential_process expects",
		Long: `Call IAM Roles Anywhere CreateSession with the certificate and key and print
the temporary credentials as credential_process JSON. Use it in ~/.aws/config:

  [profile ra]
  credential_process = roam credential-process --certificate client.pem --private-key client.key \
    --trust-anchor-arn ARN --profile-arn ARN --role-arn ARN [--endpoint URL]

--cache keeps the credentials in a file (mode 0600) under the user's cache
directory (e.g. ~/.cache/roam) and reuses them until 5 minutes before they
expire, so many short-lived processes cost one CreateSession. The cache is
keyed by the certificate's fingerprint, the ARNs, the session duration and
name, the region and the endpoint, so a rotated certificate or another
role never reuses them; a corrupt or foreign cache file is ignored and
replaced. --debug prints the canonical request and the string to sign (and
cache hits and misses), never keys, secret keys or session tokens.
` + keySourceHelp,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotationHelper: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			var creds *helper.Credentials
			var err error
			if cache {
				creds, err = flags.createSessionCached(cmd.Context(), cmd, env)
			} else {
				creds, err = flags.createSession(cmd.Context(), cmd, env)
			}
			if err != nil {
				return err
			}
			_, err = env.Stdout.Write(helper.ProcessCredentials(creds))
			return err
		},
	}
	flags.bind(cmd)
	cmd.Flags().BoolVar(&cache, "cache", false, "Reuse credentials cached under the user's cache directory until 5 minutes before they expire")
	return cmd
}

// createSessionCached is createSession behind the credential cache. Cache
// trouble (no cache directory, an unreadable or corrupt file, a failed
// write) never fails the command; --debug says what happened.
func (s *sessionFlags) createSessionCached(ctx context.Context, cmd *cobra.Command, env *Env) (*helper.Credentials, error) {
	src, err := s.open(cmd, env)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	id, err := identity(src)
	if err != nil {
		return nil, err
	}
	client, params := s.client(env), s.params()
	var debug *helper.Logger
	if s.debug {
		debug = helper.NewLogger(env.Stderr, env.Now)
	}
	var pc *helper.ProcessCache
	var key string
	if dir, err := helper.UserCacheDir(env.Getenv); err != nil {
		debug.Printf("credential cache: disabled: %v", err)
	} else if key, err = client.CacheKey(id.Certificate, params); err == nil {
		pc = &helper.ProcessCache{Dir: filepath.Join(dir, "roam"), Now: env.Now}
		creds, err := pc.Get(key)
		if err == nil {
			debug.Printf("credential cache: hit in %s", pc.Path(key))
			return creds, nil
		}
		debug.Printf("credential cache: miss: %v", err)
	}
	creds, err := client.CreateSession(ctx, id, params)
	if err != nil {
		return nil, err
	}
	if pc != nil {
		if err := pc.Put(key, creds); err != nil {
			debug.Printf("credential cache: not stored: %v", err)
		}
	}
	return creds, nil
}
