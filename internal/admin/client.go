// Package admin administers a roam server through its public APIs, as any
// AWS client would: it connects aws-sdk-go-v2 Roles Anywhere and IAM
// clients to the server, resolves the IDs, ARNs and names operators type,
// generates Roles Anywhere trust policies, and renders the resources as
// aligned tables or as JSON documents shaped like the APIs' own.
package admin

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
)

const (
	// DefaultEndpoint is where roam server listens unless told otherwise.
	DefaultEndpoint = "http://127.0.0.1:8443"
	// DefaultRegion is the region used when neither a flag nor the
	// credentials or config files name one; it is also the server's default.
	DefaultRegion = "us-east-1"
	// credentialsProfile is the profile read from a credentials file; the
	// server writes its root keys to [default].
	credentialsProfile = "default"
)

// Options says how to reach a roam server and as whom.
type Options struct {
	// Endpoint is the server's base URL, such as http://127.0.0.1:8443.
	Endpoint string
	// CredentialsFile is an AWS shared-credentials file whose [default]
	// profile holds the keys (and usually the region), such as the
	// server's DATA-DIR/admin-credentials. Empty means the standard AWS
	// credential chain (environment, shared files, SSO, IMDS...), which
	// the SDK reads from the process environment itself.
	CredentialsFile string
	// Region signs the requests. Empty means the region of the
	// credentials file or the AWS config, else DefaultRegion.
	Region string
}

// Client holds SDK clients pointed at one roam server.
type Client struct {
	Endpoint      string
	Region        string
	RolesAnywhere *rolesanywhere.Client
	IAM           *iam.Client

	// credentials sign roam's own operations, which the SDKs do not know.
	credentials aws.CredentialsProvider
}

// Connect builds the clients. With a credentials file it uses exactly that
// file's [default] keys, ignoring AWS_* variables; without one it resolves
// credentials through the standard chain and fails early when there are
// none. Requests are not retried: an administrator sees a failure at once.
func Connect(ctx context.Context, o Options) (*Client, error) {
	var cfg aws.Config
	if o.CredentialsFile != "" {
		creds, region, err := loadCredentialsFile(ctx, o.CredentialsFile)
		if err != nil {
			return nil, err
		}
		cfg = aws.Config{Credentials: credentials.StaticCredentialsProvider{Value: creds}, Region: region}
	} else {
		var opts []func(*config.LoadOptions) error
		if o.Region != "" {
			opts = append(opts, config.WithRegion(o.Region))
		}
		var err error
		if cfg, err = config.LoadDefaultConfig(ctx, opts...); err != nil {
			return nil, fmt.Errorf("load the AWS configuration: %w", err)
		}
		if cfg.Credentials == nil {
			return nil, errNoCredentials(nil)
		}
		if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
			return nil, errNoCredentials(err)
		}
	}
	if o.Region != "" {
		cfg.Region = o.Region
	}
	if cfg.Region == "" {
		cfg.Region = DefaultRegion
	}
	cfg.BaseEndpoint = aws.String(o.Endpoint)
	cfg.RetryMaxAttempts = 1
	return &Client{
		Endpoint:      o.Endpoint,
		Region:        cfg.Region,
		RolesAnywhere: rolesanywhere.NewFromConfig(cfg),
		IAM:           iam.NewFromConfig(cfg),
		credentials:   cfg.Credentials,
	}, nil
}

func errNoCredentials(cause error) error {
	const hint = "no AWS credentials found: pass --admin-credentials DATA-DIR/admin-credentials (written by roam server) or set AWS_SHARED_CREDENTIALS_FILE"
	if cause == nil {
		return errors.New(hint)
	}
	return fmt.Errorf("%s (%w)", hint, cause)
}

// loadCredentialsFile reads the [default] keys and region of an AWS
// shared-credentials file.
func loadCredentialsFile(ctx context.Context, name string) (aws.Credentials, string, error) {
	if _, err := os.Stat(name); err != nil {
		return aws.Credentials{}, "", fmt.Errorf("credentials file: %w", err)
	}
	sc, err := config.LoadSharedConfigProfile(ctx, credentialsProfile, func(o *config.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{name}
		o.ConfigFiles = []string{}
	})
	var missing config.SharedConfigProfileNotExistError
	switch {
	case errors.As(err, &missing):
		return aws.Credentials{}, "", fmt.Errorf("credentials file %s has no [%s] profile", name, credentialsProfile)
	case err != nil && !strings.Contains(err.Error(), "partial credentials"):
		return aws.Credentials{}, "", fmt.Errorf("credentials file %s: %w", name, err)
	case err != nil || sc.Credentials.AccessKeyID == "" || sc.Credentials.SecretAccessKey == "":
		return aws.Credentials{}, "", fmt.Errorf("credentials file %s: profile [%s] lacks aws_access_key_id or aws_secret_access_key", name, credentialsProfile)
	}
	return sc.Credentials, sc.Region, nil
}
