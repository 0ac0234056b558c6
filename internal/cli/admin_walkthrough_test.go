package cli_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/roam-dev/roam/internal/testpki"
)

// adminWalkthroughDoc is what walkthrough prints as JSON.
type adminWalkthroughDoc struct {
	AWSProfile        string `json:"awsProfile"`
	Region            string `json:"region"`
	Endpoint          string `json:"endpoint"`
	TrustAnchorArn    string `json:"trustAnchorArn"`
	ProfileArn        string `json:"profileArn"`
	RoleArn           string `json:"roleArn"`
	Certificate       string `json:"certificate"`
	PrivateKey        string `json:"privateKey"`
	CredentialProcess string `json:"credentialProcess"`
	Config            string `json:"config"`
}

// adminWriteLeaf writes a client certificate and its key and returns the
// two paths.
func adminWriteLeaf(t *testing.T, leaf *testpki.Leaf) (string, string) {
	t.Helper()
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	if err := os.WriteFile(cert, testpki.PEM(leaf.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, testpki.KeyPEM(t, leaf.Key), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

// adminCredentialProcess runs a credential_process line in-process (its
// first word is the roam executable) and returns the credentials.
func adminCredentialProcess(t *testing.T, line string) (aws.Credentials, adminResult) {
	t.Helper()
	args := strings.Fields(line)
	r := adminRunEnv(t, nil, args[1:]...)
	if r.code != 0 {
		return aws.Credentials{}, r
	}
	var out struct {
		Version                                   int
		AccessKeyID                               string `json:"AccessKeyId"`
		SecretAccessKey, SessionToken, Expiration string
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Version != 1 {
		t.Fatalf("credential-process printed %q (%v)", r.stdout, err)
	}
	return aws.Credentials{AccessKeyID: out.AccessKeyID, SecretAccessKey: out.SecretAccessKey, SessionToken: out.SessionToken}, r
}

// TestAdminWalkthrough sets up IAM Roles Anywhere with roam admin only and
// gets credentials with the printed credential_process line: the generated
// trust policy admits the certificates it names and no others, and the
// read-only policy reads but does not write.
func TestAdminWalkthrough(t *testing.T) {
	s := adminStart(t)
	ca := testpki.NewCA(t)
	spiffe, _ := url.Parse("spiffe://abc.example/client")
	other, _ := url.Parse("spiffe://elsewhere.example/client")
	good := ca.Leaf(t, testpki.WithCN("client.abc.example"), testpki.WithModify(func(c *x509.Certificate) { c.URIs = append(c.URIs, spiffe) }))
	wrongCN := ca.Leaf(t, testpki.WithCN("intruder.abc.example"), testpki.WithModify(func(c *x509.Certificate) { c.URIs = append(c.URIs, spiffe) }))
	wrongURI := ca.Leaf(t, testpki.WithCN("client.abc.example"), testpki.WithModify(func(c *x509.Certificate) { c.URIs = append(c.URIs, other) }))
	cert, key := adminWriteLeaf(t, good)

	var ta adminTADoc
	s.mustJSON(t, &ta, "trust-anchor", "create", "--name", "abc", "--ca-file", adminWriteCA(t, ca.Cert))
	s.mustRun(t, "role", "create", "--name", "abc-role", "--trust-anchor", "abc", "--cn", "client.abc.example", "--san-uri", "spiffe://abc.example/*", "--read-only")
	var prof adminProfileDoc
	s.mustJSON(t, &prof, "profile", "create", "--name", "abc profile", "--role", "abc-role")
	role, _ := s.getRole(t, "abc-role")

	// The table form is the config block itself.
	r := s.mustRun(t, "walkthrough", "--trust-anchor", "abc", "--profile", "abc profile", "--role", "abc-role",
		"--certificate", cert, "--private-key", key, "--roam-path", "/opt/roam/bin/roam")
	process := "/opt/roam/bin/roam credential-process --certificate " + cert + " --private-key " + key +
		" --trust-anchor-arn " + ta.TrustAnchor.TrustAnchorArn + " --profile-arn " + prof.Profile.ProfileArn +
		" --role-arn " + aws.ToString(role.Arn) + " --endpoint " + s.url
	wantBlock := "[profile abc-profile]\nregion = us-east-1\ncredential_process = " + process + "\n"
	if r.stdout != wantBlock {
		t.Errorf("walkthrough printed\n%s\nwant\n%s", r.stdout, wantBlock)
	}
	if want := "# append to ~/.aws/config, then: aws sts get-caller-identity --profile abc-profile --endpoint-url " + s.url + "\n"; r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}

	// The JSON form, with relative paths made absolute.
	dir := filepath.Dir(cert)
	t.Chdir(dir)
	var doc adminWalkthroughDoc
	s.mustJSON(t, &doc, "walkthrough", "--trust-anchor", ta.TrustAnchor.TrustAnchorID, "--profile", prof.Profile.ProfileArn,
		"--role", aws.ToString(role.Arn), "--certificate", "client.pem", "--private-key", "client.key", "--aws-profile", "ra")
	want := adminWalkthroughDoc{
		AWSProfile: "ra", Region: "us-east-1", Endpoint: s.url,
		TrustAnchorArn: ta.TrustAnchor.TrustAnchorArn, ProfileArn: prof.Profile.ProfileArn, RoleArn: aws.ToString(role.Arn),
		Certificate: cert, PrivateKey: key,
		CredentialProcess: "roam" + strings.TrimPrefix(process, "/opt/roam/bin/roam"),
	}
	want.Config = "[profile ra]\nregion = us-east-1\ncredential_process = " + want.CredentialProcess + "\n"
	if doc != want {
		t.Errorf("walkthrough JSON:\n%+v\nwant\n%+v", doc, want)
	}

	// The line works: credentials for the role, which may read and not write.
	creds, cr := adminCredentialProcess(t, doc.CredentialProcess)
	if cr.code != 0 {
		t.Fatalf("credential-process: exit %d: %s", cr.code, cr.stderr)
	}
	session := rolesanywhere.NewFromConfig(aws.Config{
		Region: "us-east-1", BaseEndpoint: aws.String(s.url),
		Credentials: awscreds.StaticCredentialsProvider{Value: creds},
	})
	list, err := session.ListTrustAnchors(context.Background(), &rolesanywhere.ListTrustAnchorsInput{})
	if err != nil || len(list.TrustAnchors) != 1 {
		t.Errorf("read-only session: ListTrustAnchors: %v", err)
	}
	_, err = session.DeleteTrustAnchor(context.Background(), &rolesanywhere.DeleteTrustAnchorInput{TrustAnchorId: aws.String(ta.TrustAnchor.TrustAnchorID)})
	var denied *ratypes.AccessDeniedException
	if !errors.As(err, &denied) {
		t.Errorf("read-only session: DeleteTrustAnchor: %v, want AccessDeniedException", err)
	}

	// Certificates outside the trust policy's conditions get nothing.
	for name, leaf := range map[string]*testpki.Leaf{"wrong CN": wrongCN, "wrong URI SAN": wrongURI} {
		c, k := adminWriteLeaf(t, leaf)
		line := strings.Replace(strings.Replace(doc.CredentialProcess, cert, c, 1), key, k, 1)
		if _, r := adminCredentialProcess(t, line); r.code == 0 || !strings.Contains(r.stderr, "Unable to assume role") {
			t.Errorf("%s: exit %d, stderr %q; want a refusal", name, r.code, r.stderr)
		}
	}
}

func TestAdminWalkthroughChecks(t *testing.T) {
	s := adminStart(t)
	ca := testpki.NewCA(t)
	cert, key := adminWriteLeaf(t, ca.Leaf(t))
	s.mustRun(t, "trust-anchor", "create", "--name", "ta", "--ca-file", adminWriteCA(t, ca.Cert), "--disabled")
	s.mustRun(t, "trust-anchor", "create", "--name", "elsewhere", "--ca-file", adminWriteCA(t, ca.Cert))
	s.mustRun(t, "role", "create", "--name", "listed", "--trust-anchor", "elsewhere")
	s.mustRun(t, "role", "create", "--name", "unlisted", "--trust-anchor", "ta")
	var prof adminProfileDoc
	s.mustJSON(t, &prof, "profile", "create", "--name", "p", "--role", "listed", "--disabled")
	listed, _ := s.getRole(t, "listed")
	unlisted, _ := s.getRole(t, "unlisted")
	var ta adminTADoc
	s.mustJSON(t, &ta, "trust-anchor", "get", "ta")

	base := []string{"walkthrough", "--trust-anchor", "ta", "--profile", "p", "--certificate", cert, "--private-key", key}
	s.wantError(t, "admin walkthrough: profile p does not list role "+aws.ToString(unlisted.Arn)+", so CreateSession would refuse it (the profile lists: "+aws.ToString(listed.Arn)+")",
		append(base, "--role", "unlisted")...)

	// Disabled resources and a trust policy for another anchor are warned
	// about; the block is still printed.
	r := s.mustRun(t, append(base, "--role", "listed")...)
	if !strings.HasPrefix(r.stdout, "[profile p]\n") {
		t.Errorf("stdout %q", r.stdout)
	}
	for _, w := range []string{
		"roam: warning: trust anchor ta is disabled; enable it with roam admin trust-anchor enable " + ta.TrustAnchor.TrustAnchorID + "\n",
		"roam: warning: profile p is disabled; enable it with roam admin profile enable " + prof.Profile.ProfileID + "\n",
		"roam: warning: the trust policy of role listed does not name trust anchor " + ta.TrustAnchor.TrustAnchorArn + "; see roam admin role trust-policy --trust-anchor " + ta.TrustAnchor.TrustAnchorArn + "\n",
	} {
		if !strings.Contains(r.stderr, w) {
			t.Errorf("stderr lacks %q:\n%s", w, r.stderr)
		}
	}

	missing := filepath.Join(t.TempDir(), "missing.pem")
	s.wantError(t, "admin walkthrough: --certificate: open "+missing+": no such file or directory",
		"walkthrough", "--trust-anchor", "ta", "--profile", "p", "--role", "listed", "--certificate", missing, "--private-key", key)
	s.wantError(t, "admin walkthrough: --certificate "+key+`: unexpected PEM block "PRIVATE KEY" where a CERTIFICATE was expected`,
		"walkthrough", "--trust-anchor", "ta", "--profile", "p", "--role", "listed", "--certificate", key, "--private-key", key)
	s.wantError(t, "admin walkthrough: --private-key: stat "+missing+": no such file or directory",
		"walkthrough", "--trust-anchor", "ta", "--profile", "p", "--role", "listed", "--certificate", cert, "--private-key", missing)
	s.wantError(t, `admin walkthrough: --profile nope: no profile is named "nope"`,
		"walkthrough", "--trust-anchor", "ta", "--profile", "nope", "--role", "listed", "--certificate", cert, "--private-key", key)

	// A PKCS#11 key is named, not checked.
	var doc adminWalkthroughDoc
	s.mustJSON(t, &doc, "walkthrough", "--trust-anchor", "elsewhere", "--profile", "p", "--role", "listed", "--certificate", cert, "--private-key", "pkcs11:token=roam;object=client")
	if doc.PrivateKey != "pkcs11:token=roam;object=client" {
		t.Errorf("private key %q", doc.PrivateKey)
	}
}
