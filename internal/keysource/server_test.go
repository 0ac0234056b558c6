package keysource

import (
	"context"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/roam-dev/roam/internal/helper"
	"github.com/roam-dev/roam/internal/testpki"
	"github.com/roam-dev/roam/internal/testserver"
)

// roamServer is a roam server running in-process with one trust anchor,
// role and profile.
type roamServer struct {
	url                         string
	region                      string
	anchorArn, profileArn, role string
}

// startRoam runs a server trusting ca for the test's duration.
func startRoam(t *testing.T, ca *x509.Certificate) *roamServer {
	t.Helper()
	s := testserver.Start(t, testserver.Options{})
	r := s.Walkthrough(t, "hw", string(testpki.PEM(ca)))
	return &roamServer{url: s.URL, region: s.Account.Region, anchorArn: r.TrustAnchorArn, profileArn: r.ProfileArn, role: r.RoleArn}
}

// createSession opens the key source opts names, gets credentials with it
// from the server, and checks STS knows them as the role's session.
func (s *roamServer) createSession(t *testing.T, opts Options, tpmDevice string) {
	t.Helper()
	opts.Getenv = func(k string) string {
		if k == "TPM_DEVICE" {
			return tpmDevice
		}
		return ""
	}
	src, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	id, err := Snapshot(src)
	if err != nil {
		t.Fatal(err)
	}
	c := &helper.Client{Getenv: func(string) string { return "" }, Now: time.Now, Backoff: func(int) time.Duration { return time.Millisecond }}
	creds, err := c.CreateSession(context.Background(), helper.Identity{Signer: id.Signer, Certificate: id.Certificate, Chain: id.Chain},
		helper.Params{TrustAnchorArn: s.anchorArn, ProfileArn: s.profileArn, RoleArn: s.role, DurationSeconds: 900, Endpoint: s.url})
	if err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	cfg := aws.Config{Region: s.region, BaseEndpoint: aws.String(s.url),
		Credentials: awscreds.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(aws.ToString(out.Arn), ":assumed-role/hw-role/") {
		t.Fatalf("caller %s, want a session of role hw-role", aws.ToString(out.Arn))
	}
}

// TestTPMAgainstServer: credentials from a running roam server for keys
// held by a TPM (swtpm): key files and a persistent handle.
func TestTPMAgainstServer(t *testing.T) {
	fx := newTPMFixture(t, false, []string{keyECOwner, keyRSAOwnerPW})
	srv := startRoam(t, fx.ca.Cert)
	device := fx.tpm.env()("TPM_DEVICE")
	t.Run("key file", func(t *testing.T) {
		cert, key := fx.files(t, keyECOwner)
		srv.createSession(t, Options{Certificate: cert, PrivateKey: key}, device)
	})
	t.Run("key file with a password", func(t *testing.T) {
		cert, key := fx.files(t, keyRSAOwnerPW)
		srv.createSession(t, Options{Certificate: cert, PrivateKey: key, TPMKeyPassword: tpmPassword}, device)
	})
}
