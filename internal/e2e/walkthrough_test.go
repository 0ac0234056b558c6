package e2e

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/roam-dev/roam/internal/session"
	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// certs are a CA certificate and a client certificate with its key, on
// disk.
type certs struct {
	caPEM, clientCert, clientKey string
	serialHex                    string
}

// opensslCerts makes the CA and client certificate with the classic
// OpenSSL walkthrough.
func opensslCerts(t *testing.T) certs {
	f := testpki.OpenSSLWalkthrough{}.Run(t, t.TempDir())
	return certs{caPEM: readFile(t, f.CACert), clientCert: f.ClientCert, clientKey: f.ClientKey, serialHex: serialOf(t, f.ClientCert)}
}

// roamCerts makes them with roam ca.
func roamCerts(t *testing.T) certs {
	roam := roamBinary(t)
	dir := t.TempDir()
	if _, err := run(t, nil, roam, "ca", "init", "--dir", filepath.Join(dir, "ca"), "--subject", "C=US,ST=California,L=San Francisco,O=ABC Inc.,OU=DevOps,CN=ABC Root CA"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "client")
	if _, err := run(t, nil, roam, "ca", "issue", "--dir", filepath.Join(dir, "ca"), "--cn", "client.abc.example", "--san", "dns:client.abc.example", "--out", out); err != nil {
		t.Fatal(err)
	}
	return certs{caPEM: readFile(t, filepath.Join(dir, "ca", "ca.pem")), clientCert: out + ".pem", clientKey: out + ".key", serialHex: serialOf(t, out+".pem")}
}

func serialOf(t *testing.T, certFile string) string {
	t.Helper()
	block, _ := pem.Decode([]byte(readFile(t, certFile)))
	if block == nil {
		t.Fatalf("%s holds no PEM", certFile)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return session.HexSerial(c.SerialNumber)
}

var certMakers = []struct {
	name string
	make func(*testing.T) certs
}{
	{"openssl certificates", opensslCerts},
	{"roam certificates", roamCerts},
}

// awsConfig writes an AWS config file whose profile "ra" gets its
// credentials from roam credential-process.
func awsConfig(t *testing.T, e *env, c certs, r *resources) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config")
	writeFile(t, path, fmt.Sprintf("[profile ra]\nregion = %s\ncredential_process = %s credential-process --certificate %s --private-key %s --trust-anchor-arn %s --profile-arn %s --role-arn %s --endpoint %s\n",
		e.account.Region, roamBinary(t), c.clientCert, c.clientKey, r.TrustAnchorArn, r.ProfileArn, r.RoleArn, e.url), 0o600)
	return path
}

// wantArn is the caller ARN of a session of role for a certificate.
func wantArn(e *env, role, serialHex string) string {
	return fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", e.account.ID, role, serialHex)
}

// TestWalkthroughAWSCLI runs the IAM Roles Anywhere walkthrough with the
// AWS CLI: trust anchor, role and profile made with the CLI, credentials
// through credential_process = roam credential-process.
func TestWalkthroughAWSCLI(t *testing.T) {
	aws := testenv.Tool(t, "aws")
	for _, m := range certMakers {
		t.Run(m.name, func(t *testing.T) {
			e := start(t)
			c := m.make(t)
			admin := []string{"AWS_SHARED_CREDENTIALS_FILE=" + e.adminFile}
			cli := func(extra []string, args ...string) string {
				t.Helper()
				out, err := run(t, extra, aws, append([]string{"--endpoint-url", e.url, "--output", "json"}, args...)...)
				if err != nil {
					t.Fatalf("aws %s: %v", strings.Join(args[:2], " "), err)
				}
				return out
			}
			source, _ := json.Marshal(map[string]any{"sourceType": "CERTIFICATE_BUNDLE", "sourceData": map[string]string{"x509CertificateData": c.caPEM}})
			var ta struct {
				TrustAnchor struct{ TrustAnchorArn string }
			}
			mustJSON(t, cli(admin, "rolesanywhere", "create-trust-anchor", "--name", "cli-anchor", "--source", string(source), "--enabled"), &ta)

			policyFile := filepath.Join(t.TempDir(), "trust.json")
			writeFile(t, policyFile, trustPolicy(ta.TrustAnchor.TrustAnchorArn), 0o644)
			var role struct{ Role struct{ Arn string } }
			mustJSON(t, cli(admin, "iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", "file://"+policyFile), &role)

			var prof struct{ Profile struct{ ProfileArn string } }
			mustJSON(t, cli(admin, "rolesanywhere", "create-profile", "--name", "cli-profile", "--role-arns", role.Role.Arn, "--enabled"), &prof)

			r := &resources{TrustAnchorArn: ta.TrustAnchor.TrustAnchorArn, RoleArn: role.Role.Arn, ProfileArn: prof.Profile.ProfileArn}
			cfg := awsConfig(t, e, c, r)
			var ident struct{ Arn, Account string }
			mustJSON(t, cli([]string{"AWS_CONFIG_FILE=" + cfg}, "sts", "get-caller-identity", "--profile", "ra"), &ident)
			if want := wantArn(e, "cli-role", c.serialHex); ident.Arn != want || ident.Account != e.account.ID {
				t.Fatalf("get-caller-identity = %+v, want Arn %s", ident, want)
			}
		})
	}
}

// TestWalkthroughBoto3 runs the walkthrough with boto3: resources made
// with boto3 clients, credentials through a profile with credential_process.
func TestWalkthroughBoto3(t *testing.T) {
	python := testenv.Tool(t, "python3")
	if _, err := run(t, nil, python, "-c", "import boto3"); err != nil {
		testenv.Missing(t, "boto3 is not importable: "+err.Error())
	}
	for _, m := range certMakers {
		t.Run(m.name, func(t *testing.T) {
			e := start(t)
			c := m.make(t)
			args := []string{filepath.Join(testenv.RepoRoot(t), "internal", "e2e", "testdata", "walkthrough_boto3.py"),
				e.url, e.account.Region, e.account.RootAccessKeyID, e.account.RootSecretAccessKey,
				c.caPEM, c.clientCert, c.clientKey, roamBinary(t), filepath.Join(t.TempDir(), "config")}
			out, err := run(t, nil, python, args...)
			if err != nil {
				t.Fatal(err)
			}
			var got struct{ Arn, Account, RoleArn string }
			mustJSON(t, out, &got)
			if want := wantArn(e, "boto3-role", c.serialHex); got.Arn != want || got.Account != e.account.ID {
				t.Fatalf("get_caller_identity = %+v, want Arn %s", got, want)
			}
			if want := "arn:aws:iam::" + e.account.ID + ":role/boto3-role"; got.RoleArn != want {
				t.Errorf("create_role Arn = %s, want %s", got.RoleArn, want)
			}
		})
	}
}

// TestWalkthroughGoSDK runs the walkthrough with the AWS SDK for Go v2:
// resources made with its clients, credentials through its shared config
// loader and credential_process.
func TestWalkthroughGoSDK(t *testing.T) {
	for _, m := range certMakers {
		t.Run(m.name, func(t *testing.T) {
			e := start(t)
			c := m.make(t)
			r := e.setup(t, "gosdk", c.caPEM)
			ctx := context.Background()
			cfg, err := config.LoadDefaultConfig(ctx,
				config.WithSharedConfigFiles([]string{awsConfig(t, e, c, r)}),
				config.WithSharedCredentialsFiles([]string{filepath.Join(t.TempDir(), "none")}),
				config.WithSharedConfigProfile("ra"))
			if err != nil {
				t.Fatal(err)
			}
			out, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(e.url) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if err != nil {
				t.Fatal(err)
			}
			if want := wantArn(e, r.RoleName, c.serialHex); aws.ToString(out.Arn) != want {
				t.Fatalf("GetCallerIdentity Arn = %s, want %s", aws.ToString(out.Arn), want)
			}
		})
	}
}

func mustJSON(t *testing.T, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("not the JSON expected: %v\n%s", err, s)
	}
}
