// Package demo prepares the IAM Roles Anywhere walkthrough on a running
// roam server, through its public APIs as any client would: a private CA
// and a client certificate, a trust anchor for the CA, a role whose trust
// policy lets rolesanywhere.amazonaws.com assume it from that anchor, and a
// profile for the role. It is idempotent: what exists is reused.
package demo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/roam-dev/roam/internal/pki"
)

// Name names every demo resource.
const Name = "roam-dev"

// Config says where the demo lives and how to reach the server.
type Config struct {
	// Dir holds the CA and the client certificate.
	Dir string
	// Endpoint is the server's base URL.
	Endpoint string
	Region   string
	// AccessKeyID and SecretAccessKey are the account's root keys.
	AccessKeyID, SecretAccessKey string
	Now                          func() time.Time
}

// Demo is the prepared walkthrough.
type Demo struct {
	CADir          string
	Certificate    string // client certificate file
	PrivateKey     string // client key file
	TrustAnchorArn string
	ProfileArn     string
	RoleArn        string
}

// Prepare creates what is missing and returns the walkthrough's pieces.
func Prepare(ctx context.Context, cfg Config) (*Demo, error) {
	d := &Demo{
		CADir:       filepath.Join(cfg.Dir, "ca"),
		Certificate: filepath.Join(cfg.Dir, "client.pem"),
		PrivateKey:  filepath.Join(cfg.Dir, "client.key"),
	}
	caPEM, err := d.ensurePKI(cfg.Now())
	if err != nil {
		return nil, err
	}
	awsCfg := aws.Config{
		Region:       cfg.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, ""),
		BaseEndpoint: aws.String(cfg.Endpoint),
	}
	ra := rolesanywhere.NewFromConfig(awsCfg)
	im := iam.NewFromConfig(awsCfg)
	if d.TrustAnchorArn, err = ensureTrustAnchor(ctx, ra, caPEM); err != nil {
		return nil, fmt.Errorf("trust anchor: %w", err)
	}
	if d.RoleArn, err = ensureRole(ctx, im, d.TrustAnchorArn); err != nil {
		return nil, fmt.Errorf("role: %w", err)
	}
	if d.ProfileArn, err = ensureProfile(ctx, ra, d.RoleArn); err != nil {
		return nil, fmt.Errorf("profile: %w", err)
	}
	return d, nil
}

// ensurePKI makes the CA and the client certificate on first use and
// returns the CA certificate's PEM.
func (d *Demo) ensurePKI(now time.Time) (string, error) {
	dir, err := pki.LoadDir(d.CADir)
	if errors.Is(err, os.ErrNotExist) {
		subject, _ := pki.ParseSubject("O=roam,CN=roam dev Root CA")
		dir, err = pki.InitDir(d.CADir, now, pki.InitOptions{KeyType: pki.ECP256, CA: pki.CAOptions{Subject: subject, Lifetime: 10 * 365 * 24 * time.Hour}})
	}
	if err != nil {
		return "", fmt.Errorf("CA in %s: %w", d.CADir, err)
	}
	if _, err := os.Stat(d.Certificate); errors.Is(err, os.ErrNotExist) {
		key, err := pki.GenerateKey(pki.ECP256)
		if err != nil {
			return "", err
		}
		subject, _ := pki.ParseSubject("O=roam,OU=dev,CN=roam-dev-client")
		sans, _ := pki.ParseSANs("uri:spiffe://roam.dev/client")
		cert, err := dir.CA.IssueClient(now, key.Public(), pki.ClientOptions{Subject: subject, SANs: sans, Lifetime: 365 * 24 * time.Hour})
		if err != nil {
			return "", err
		}
		keyPEM, err := pki.MarshalPrivateKeyPEM(key)
		if err != nil {
			return "", err
		}
		if err := pki.WriteFile(d.PrivateKey, keyPEM, 0o600, true); err != nil {
			return "", err
		}
		if err := pki.WriteFile(d.Certificate, pki.EncodeCertificates(cert), 0o644, true); err != nil {
			return "", err
		}
	}
	return string(pki.EncodeCertificates(dir.CA.Cert)), nil
}

func ensureTrustAnchor(ctx context.Context, c *rolesanywhere.Client, caPEM string) (string, error) {
	p := rolesanywhere.NewListTrustAnchorsPaginator(c, &rolesanywhere.ListTrustAnchorsInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, a := range page.TrustAnchors {
			if aws.ToString(a.Name) == Name {
				return aws.ToString(a.TrustAnchorArn), nil
			}
		}
	}
	out, err := c.CreateTrustAnchor(ctx, &rolesanywhere.CreateTrustAnchorInput{
		Name:    aws.String(Name),
		Enabled: aws.Bool(true),
		Source: &ratypes.Source{
			SourceType: ratypes.TrustAnchorTypeCertificateBundle,
			SourceData: &ratypes.SourceDataMemberX509CertificateData{Value: caPEM},
		},
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.TrustAnchor.TrustAnchorArn), nil
}

// TrustPolicy is the trust policy a Roles Anywhere role needs: the service
// principal, the three actions, and the trust anchor as aws:SourceArn.
func TrustPolicy(trustAnchorArn string) string {
	return `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Principal": {"Service": "rolesanywhere.amazonaws.com"},
    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
    "Condition": {"ArnEquals": {"aws:SourceArn": "` + trustAnchorArn + `"}}
  }]
}`
}

// readOnlyPolicy lets the demo role look around the account.
const readOnlyPolicy = `{
  "Version": "2012-10-17",
  "Statement": [{
    "Effect": "Allow",
    "Action": ["rolesanywhere:List*", "rolesanywhere:Get*", "iam:List*", "iam:Get*"],
    "Resource": "*"
  }]
}`

func ensureRole(ctx context.Context, c *iam.Client, trustAnchorArn string) (string, error) {
	got, err := c.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(Name)})
	var missing *iamtypes.NoSuchEntityException
	switch {
	case errors.As(err, &missing):
		out, err := c.CreateRole(ctx, &iam.CreateRoleInput{
			RoleName:                 aws.String(Name),
			AssumeRolePolicyDocument: aws.String(TrustPolicy(trustAnchorArn)),
			Description:              aws.String("roam dev walkthrough role"),
		})
		if err != nil {
			return "", err
		}
		got = &iam.GetRoleOutput{Role: out.Role}
	case err != nil:
		return "", err
	default:
		// Keep the trust policy pointing at this trust anchor.
		if _, err := c.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(Name), PolicyDocument: aws.String(TrustPolicy(trustAnchorArn))}); err != nil {
			return "", err
		}
	}
	if _, err := c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(Name), PolicyName: aws.String("read-only"), PolicyDocument: aws.String(readOnlyPolicy)}); err != nil {
		return "", err
	}
	return aws.ToString(got.Role.Arn), nil
}

func ensureProfile(ctx context.Context, c *rolesanywhere.Client, roleArn string) (string, error) {
	p := rolesanywhere.NewListProfilesPaginator(c, &rolesanywhere.ListProfilesInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", err
		}
		for _, pr := range page.Profiles {
			if aws.ToString(pr.Name) == Name {
				return aws.ToString(pr.ProfileArn), nil
			}
		}
	}
	out, err := c.CreateProfile(ctx, &rolesanywhere.CreateProfileInput{
		Name:     aws.String(Name),
		Enabled:  aws.Bool(true),
		RoleArns: []string{roleArn},
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Profile.ProfileArn), nil
}

// ConfigBlock renders the ~/.aws/config profile that gets credentials
// through roam credential-process.
func (d *Demo) ConfigBlock(profile, roamPath, endpoint, region string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[profile %s]\n", profile)
	fmt.Fprintf(&b, "region = %s\n", region)
	fmt.Fprintf(&b, "credential_process = %s credential-process --certificate %s --private-key %s --trust-anchor-arn %s --profile-arn %s --role-arn %s --endpoint %s\n",
		quote(roamPath), quote(d.Certificate), quote(d.PrivateKey), d.TrustAnchorArn, d.ProfileArn, d.RoleArn, endpoint)
	return b.String()
}

// quote quotes a path for a credential_process line when it has spaces.
func quote(s string) string {
	if strings.ContainsAny(s, " \t\"") {
		return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
	}
	return s
}
