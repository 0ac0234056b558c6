package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/roam-dev/roam/internal/credentials"
	"github.com/roam-dev/roam/internal/testpki"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

type running struct {
	s   *Server
	url string
}

func serve(t *testing.T, cfg Config) *running {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	cfg.Logger = slog.New(slog.DiscardHandler)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, url, err := s.Listen()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		<-done
		s.Close()
	})
	return &running{s: s, url: url}
}

func TestBootstrap(t *testing.T) {
	dir := t.TempDir()
	r := serve(t, Config{DataDir: dir, AccountID: "111122223333", Region: "eu-west-1"})
	acct := r.s.Account()
	if acct.ID != "111122223333" || acct.Region != "eu-west-1" || !strings.HasPrefix(acct.RootAccessKeyID, "AKIA") {
		t.Fatalf("account %+v", acct)
	}
	path := filepath.Join(dir, AdminCredentialsFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	content, _ := os.ReadFile(path)
	for _, want := range []string{"[default]\n", "aws_access_key_id = " + acct.RootAccessKeyID + "\n", "aws_secret_access_key = " + acct.RootSecretAccessKey + "\n", "region = eu-west-1\n"} {
		if !strings.Contains(string(content), want) {
			t.Errorf("admin credentials lack %q:\n%s", want, content)
		}
	}
	if dfi, _ := os.Stat(dir); dfi.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v, want 0700", dfi.Mode().Perm())
	}
}

func TestBootstrapReusesAndGuardsTheAccount(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	s1, err := New(ctx, Config{DataDir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	first := *s1.Account()
	first.CreatedAt = first.CreatedAt.Truncate(time.Microsecond)
	s1.Close()
	os.Remove(filepath.Join(dir, AdminCredentialsFile))

	s2, err := New(ctx, Config{DataDir: dir, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	if got := *s2.Account(); got != first {
		t.Fatalf("restart changed the account: %+v -> %+v", first, got)
	}
	s2.Close()
	if _, err := os.Stat(filepath.Join(dir, AdminCredentialsFile)); err != nil {
		t.Errorf("a deleted admin credentials file was not rewritten: %v", err)
	}
	for _, cfg := range []Config{{AccountID: "999999999999"}, {Region: "ap-south-1"}, {AccountID: "12345"}, {Region: "Mars"}} {
		cfg.DataDir, cfg.Logger = dir, quiet
		if s, err := New(ctx, cfg); err == nil {
			s.Close()
			t.Errorf("New(%+v) accepted a data directory of account %s", cfg, first.ID)
		}
	}
}

func TestListenRefusesPlainHTTPOffLoopback(t *testing.T) {
	ctx := context.Background()
	s, err := New(ctx, Config{Listen: "0.0.0.0:0", DataDir: t.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if ln, _, err := s.Listen(); err == nil {
		ln.Close()
		t.Fatal("plain HTTP on 0.0.0.0 was accepted without --insecure-http")
	} else if !strings.Contains(err.Error(), "--tls-cert") {
		t.Errorf("error %q does not say how to fix it", err)
	}
	s.cfg.InsecureHTTP = true
	ln, _, err := s.Listen()
	if err != nil {
		t.Fatalf("--insecure-http: %v", err)
	}
	ln.Close()
}

func TestHealthAndMetrics(t *testing.T) {
	r := serve(t, Config{})
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/metrics": "go_goroutines"} {
		resp, err := http.Get(r.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s: %d %q", path, resp.StatusCode, body)
		}
	}
}

// apiCode calls fn and returns the AWS error code the SDK saw.
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "unexpected: " + err.Error()
	}
	return ""
}

func TestAuthenticationErrors(t *testing.T) {
	clk := &clock{t: time.Now()}
	r := serve(t, Config{Now: clk.Now})
	acct := r.s.Account()
	ctx := context.Background()
	clients := func(id, secret, token, region string) (*rolesanywhere.Client, *sts.Client) {
		cfg := aws.Config{Region: region, BaseEndpoint: aws.String(r.url), Credentials: awscreds.NewStaticCredentialsProvider(id, secret, token), RetryMaxAttempts: 1}
		return rolesanywhere.NewFromConfig(cfg), sts.NewFromConfig(cfg)
	}
	snap, err := r.s.snapshots.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	minted, err := snap.Keyring.Mint(&credentials.Session{AccountID: acct.ID, RoleName: "R", RoleID: "AROAEXAMPLE", SessionName: "s", IssuedAt: clk.Now().Unix(), Expiration: clk.Now().Add(time.Minute).Unix()})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                  string
		id, secret, token, rg string
		advance               time.Duration
		raCode, stsCode       string
	}{
		{name: "ok/root", id: acct.RootAccessKeyID, secret: acct.RootSecretAccessKey, rg: acct.Region},
		{name: "error/wrong secret", id: acct.RootAccessKeyID, secret: "nope", rg: acct.Region, raCode: "InvalidSignatureException", stsCode: "SignatureDoesNotMatch"},
		{name: "error/unknown key", id: "AKIAAAAAAAAAAAAAAAAA", secret: "x", rg: acct.Region, raCode: "UnrecognizedClientException", stsCode: "InvalidClientTokenId"},
		{name: "error/other region", id: acct.RootAccessKeyID, secret: acct.RootSecretAccessKey, rg: "eu-central-1", raCode: "InvalidSignatureException", stsCode: "SignatureDoesNotMatch"},
		{name: "error/temporary key without token", id: minted.AccessKeyID, secret: minted.SecretAccessKey.Reveal(), rg: acct.Region, raCode: "UnrecognizedClientException", stsCode: "InvalidClientTokenId"},
		{name: "error/forged token", id: minted.AccessKeyID, secret: minted.SecretAccessKey.Reveal(), token: forge(minted.SessionToken.Reveal()), rg: acct.Region, raCode: "UnrecognizedClientException", stsCode: "InvalidClientTokenId"},
		{name: "error/expired session", id: minted.AccessKeyID, secret: minted.SecretAccessKey.Reveal(), token: minted.SessionToken.Reveal(), rg: acct.Region, advance: 5 * time.Minute, raCode: "ExpiredTokenException", stsCode: "ExpiredToken"},
		// A session of a role that does not exist may identify itself but not act.
		{name: "ok/session", id: minted.AccessKeyID, secret: minted.SecretAccessKey.Reveal(), token: minted.SessionToken.Reveal(), rg: acct.Region, raCode: "AccessDeniedException"},
	}
	start := clk.Now()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk.Set(start.Add(tt.advance))
			// The SDK signs with the real clock; keep the server's within skew.
			ra, st := clients(tt.id, tt.secret, tt.token, tt.rg)
			_, err := ra.ListProfiles(ctx, &rolesanywhere.ListProfilesInput{})
			if got := apiCode(err); got != tt.raCode {
				t.Errorf("rolesanywhere: code %q, want %q (%v)", got, tt.raCode, err)
			}
			_, err = st.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
			if got := apiCode(err); got != tt.stsCode {
				t.Errorf("sts: code %q, want %q (%v)", got, tt.stsCode, err)
			}
		})
	}
}

// forge changes one character in the middle of a token.
func forge(token string) string {
	b := []byte(token)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	return string(b)
}

func TestTLS(t *testing.T) {
	ca := testpki.NewCA(t)
	leaf := ca.Leaf(t, testpki.WithModify(func(c *x509.Certificate) {
		c.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		c.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}))
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "tls.pem"), filepath.Join(dir, "tls.key")
	os.WriteFile(certFile, testpki.PEM(leaf.Cert), 0o644)
	os.WriteFile(keyFile, testpki.KeyPEM(t, leaf.Key), 0o600)
	r := serve(t, Config{TLSCert: certFile, TLSKey: keyFile})
	if !strings.HasPrefix(r.url, "https://") {
		t.Fatalf("URL %s, want https", r.url)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(r.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || resp.TLS.Version < tls.VersionTLS12 {
		t.Fatalf("status %d, TLS %+v", resp.StatusCode, resp.TLS)
	}
	if resp, err := http.Get(strings.Replace(r.url, "https://", "http://", 1) + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP was served on the TLS listener")
		}
	}
}
