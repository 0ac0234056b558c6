// Package testserver runs a roam server in-process for tests: a real
// SQLite file in a temporary directory, real HTTP on a free loopback port,
// and AWS SDK clients signed with the account's root keys. It can also
// register the walkthrough's trust anchor, role and profile.
package testserver

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/roam-dev/roam/internal/server"
	"github.com/roam-dev/roam/internal/store"
)

// Options adjust the server. The zero value is a fresh server with a
// random account, the system clock and a discarded log.
type Options struct {
	// DataDir is the data directory; a new temporary one when empty.
	DataDir   string
	AccountID string
	Logger    *slog.Logger
	Now       func() time.Time
}

// Server is a running server and admin clients for it.
type Server struct {
	URL     string
	DataDir string
	// AdminFile is DataDir/admin-credentials.
	AdminFile string
	Account   *store.Account
	// Config holds the root credentials, the region and BaseEndpoint URL.
	Config        aws.Config
	RolesAnywhere *rolesanywhere.Client
	IAM           *iam.Client
}

// Start runs a server for the test's duration.
func Start(tb testing.TB, o Options) *Server {
	tb.Helper()
	if o.DataDir == "" {
		o.DataDir = tb.TempDir()
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(ctx, server.Config{Listen: "127.0.0.1:0", DataDir: o.DataDir, AccountID: o.AccountID, Logger: o.Logger, Now: o.Now})
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	ln, url, err := s.Listen()
	if err != nil {
		cancel()
		s.Close()
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			tb.Errorf("serve: %v", err)
		}
		s.Close()
	})
	acct := s.Account()
	cfg := aws.Config{
		Region:           acct.Region,
		Credentials:      awscreds.NewStaticCredentialsProvider(acct.RootAccessKeyID, acct.RootSecretAccessKey, ""),
		BaseEndpoint:     aws.String(url),
		RetryMaxAttempts: 1,
	}
	return &Server{
		URL: url, DataDir: o.DataDir, AdminFile: filepath.Join(o.DataDir, server.AdminCredentialsFile), Account: acct,
		Config: cfg, RolesAnywhere: rolesanywhere.NewFromConfig(cfg), IAM: iam.NewFromConfig(cfg),
	}
}

// Resources are a trust anchor, a role it may assume and a profile.
type Resources struct {
	TrustAnchorArn, TrustAnchorID string
	RoleArn, RoleName             string
	ProfileArn, ProfileID         string
}

// TrustPolicy is a correct Roles Anywhere trust policy for anchorArn.
func TrustPolicy(anchorArn string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},` +
		`"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"ArnEquals":{"aws:SourceArn":"` + anchorArn + `"}}}]}`
}

// Walkthrough registers caPEM as an enabled trust anchor named name, a
// role name+"-role" that trusts it, and an enabled profile for the role.
func (s *Server) Walkthrough(tb testing.TB, name, caPEM string) *Resources {
	tb.Helper()
	ctx := context.Background()
	ta, err := s.RolesAnywhere.CreateTrustAnchor(ctx, &rolesanywhere.CreateTrustAnchorInput{
		Name: aws.String(name), Enabled: aws.Bool(true),
		Source: &ratypes.Source{SourceType: ratypes.TrustAnchorTypeCertificateBundle, SourceData: &ratypes.SourceDataMemberX509CertificateData{Value: caPEM}},
	})
	if err != nil {
		tb.Fatalf("CreateTrustAnchor: %v", err)
	}
	r := &Resources{TrustAnchorArn: *ta.TrustAnchor.TrustAnchorArn, TrustAnchorID: *ta.TrustAnchor.TrustAnchorId, RoleName: name + "-role"}
	role, err := s.IAM.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r.RoleName), AssumeRolePolicyDocument: aws.String(TrustPolicy(r.TrustAnchorArn))})
	if err != nil {
		tb.Fatalf("CreateRole: %v", err)
	}
	r.RoleArn = *role.Role.Arn
	p, err := s.RolesAnywhere.CreateProfile(ctx, &rolesanywhere.CreateProfileInput{Name: aws.String(name), Enabled: aws.Bool(true), RoleArns: []string{r.RoleArn}})
	if err != nil {
		tb.Fatalf("CreateProfile: %v", err)
	}
	r.ProfileArn, r.ProfileID = *p.Profile.ProfileArn, *p.Profile.ProfileId
	return r
}
