package cli

import (
	"context"
	"crypto/x509"
	"path/filepath"
	"strings"

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
	client, params := s.client(env), s.params()
	var debug *helper.Logger
	if s.debug {
		debug = helper.NewLogger(env.Stderr, env.Now)
	}
	var pc *helper.ProcessCache
	if dir, err := helper.UserCacheDir(env.Getenv); err != nil {
		debug.Printf("credential cache: disabled: %v", err)
	} else {
		pc = &helper.ProcessCache{Dir: filepath.Join(dir, "roam"), Now: env.Now}
	}
	// lookup answers from the cache for cert, or says why it cannot.
	lookup := func(cert *x509.Certificate) (string, *helper.Credentials) {
		if pc == nil {
			return "", nil
		}
		key, err := client.CacheKey(cert, params)
		if err != nil {
			return "", nil
		}
		creds, err := pc.Get(key)
		if err != nil {
			debug.Printf("credential cache: miss: %v", err)
			return key, nil
		}
		debug.Printf("credential cache: hit in %s", pc.Path(key))
		return key, creds
	}
	// A certificate in a plain PEM or DER file is enough to find the cached
	// credentials: a hit then costs no key parsing at all.
	if cert := peekCertificate(s.certificate); cert != nil {
		if _, creds := lookup(cert); creds != nil {
			return creds, nil
		}
	}
	src, err := s.open(cmd, env)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	id, err := identity(src)
	if err != nil {
		return nil, err
	}
	key, creds := lookup(id.Certificate)
	if creds != nil {
		return creds, nil
	}
	creds, err = client.CreateSession(ctx, id, params)
	if err != nil {
		return nil, err
	}
	if pc != nil && key != "" {
		if err := pc.Put(key, creds); err != nil {
			debug.Printf("credential cache: not stored: %v", err)
		}
	}
	return creds, nil
}

// peekCertificate returns the first certificate of a PEM or DER file named
// by --certificate, or nil for anything else (standard input, PKCS#11, a
// PKCS#12 bundle, the environment).
func peekCertificate(name string) *x509.Certificate {
	if name == "" || name == "-" || strings.HasPrefix(name, "pkcs11:") {
		return nil
	}
	data, err := readLimitedFile(name)
	if err != nil {
		return nil
	}
	cert, err := firstCertificate(data, name)
	if err != nil {
		return nil
	}
	return cert
}
