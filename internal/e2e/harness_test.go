package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/roam-dev/roam/internal/server"
	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/testenv"
)

// logBuffer collects the server's JSON log lines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// records returns the log records whose msg is msg.
func (b *logBuffer) records(msg string) []map[string]any {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(b.buf.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) == nil && rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// lastAudit returns the last CreateSession audit record.
func (b *logBuffer) lastAudit(t *testing.T) map[string]any {
	t.Helper()
	recs := b.records("CreateSession")
	if len(recs) == 0 {
		t.Fatal("no CreateSession audit record in the server log")
	}
	return recs[len(recs)-1]
}

// env is a running server and admin clients for it.
type env struct {
	url       string
	dataDir   string
	account   *store.Account
	logs      *logBuffer
	ra        *rolesanywhere.Client
	iam       *iam.Client
	adminFile string
}

// start runs a server on a free loopback port for the test's duration.
func start(t *testing.T) *env {
	t.Helper()
	logs := &logBuffer{}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := server.New(ctx, server.Config{Listen: "127.0.0.1:0", DataDir: dir, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
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
		if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
		s.Close()
	})
	acct := s.Account()
	cfg := aws.Config{
		Region:       acct.Region,
		Credentials:  awscreds.NewStaticCredentialsProvider(acct.RootAccessKeyID, acct.RootSecretAccessKey, ""),
		BaseEndpoint: aws.String(url),
	}
	return &env{
		url: url, dataDir: dir, account: acct, logs: logs,
		ra: rolesanywhere.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg),
		adminFile: filepath.Join(dir, server.AdminCredentialsFile),
	}
}

// resources are the walkthrough's trust anchor, role and profile.
type resources struct {
	TrustAnchorArn, TrustAnchorID string
	RoleArn, RoleName             string
	ProfileArn, ProfileID         string
}

// trustPolicy is a correct Roles Anywhere trust policy for anchorArn.
func trustPolicy(anchorArn string) string {
	return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},` +
		`"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"ArnEquals":{"aws:SourceArn":"` + anchorArn + `"}}}]}`
}

// setup registers caPEM as a trust anchor and creates a role and a
// profile for it with the Go SDK.
func (e *env) setup(t *testing.T, name, caPEM string) *resources {
	t.Helper()
	ctx := context.Background()
	ta, err := e.ra.CreateTrustAnchor(ctx, &rolesanywhere.CreateTrustAnchorInput{
		Name: aws.String(name), Enabled: aws.Bool(true),
		Source: &ratypes.Source{SourceType: ratypes.TrustAnchorTypeCertificateBundle, SourceData: &ratypes.SourceDataMemberX509CertificateData{Value: caPEM}},
	})
	if err != nil {
		t.Fatalf("CreateTrustAnchor: %v", err)
	}
	r := &resources{TrustAnchorArn: *ta.TrustAnchor.TrustAnchorArn, TrustAnchorID: *ta.TrustAnchor.TrustAnchorId, RoleName: name + "-role"}
	role, err := e.iam.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(r.RoleName), AssumeRolePolicyDocument: aws.String(trustPolicy(r.TrustAnchorArn))})
	if err != nil {
		t.Fatalf("CreateRole: %v", err)
	}
	r.RoleArn = *role.Role.Arn
	p, err := e.ra.CreateProfile(ctx, &rolesanywhere.CreateProfileInput{Name: aws.String(name), Enabled: aws.Bool(true), RoleArns: []string{r.RoleArn}})
	if err != nil {
		t.Fatalf("CreateProfile: %v", err)
	}
	r.ProfileArn, r.ProfileID = *p.Profile.ProfileArn, *p.Profile.ProfileId
	return r
}

// binaryBuild is one build of cmd/roam per test process.
type binaryBuild struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

var (
	roamBuild   binaryBuild // the full binary
	helperBuild binaryBuild // go build -tags helper: the credential helper alone
)

// roamBinary builds cmd/roam once per test process.
func roamBinary(tb testing.TB) string { return roamBuild.get(tb) }

// helperBinary builds the lean helper-only roam (-tags helper) once.
func helperBinary(tb testing.TB) string { return helperBuild.get(tb, "-tags", "helper") }

func (b *binaryBuild) get(tb testing.TB, flags ...string) string {
	tb.Helper()
	b.once.Do(func() {
		dir, err := os.MkdirTemp("", "roam-e2e-bin")
		if err != nil {
			b.err = err
			return
		}
		b.path = filepath.Join(dir, "roam")
		cmd := exec.Command("go", append(append([]string{"build"}, flags...), "-o", b.path, "./cmd/roam")...)
		cmd.Dir = testenv.RepoRoot(tb)
		b.out, b.err = cmd.CombinedOutput()
	})
	if b.err != nil {
		tb.Fatalf("go build ./cmd/roam: %v\n%s", b.err, b.out)
	}
	return b.path
}

// run runs a command with a clean AWS environment (no user config, no
// instance metadata) plus extra variables, and returns its stdout.
func run(t *testing.T, extraEnv []string, name string, args ...string) (string, error) {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(name, args...)
	cmd.Env = append(cleanEnv(), "HOME="+home, "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE="+filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "none"))
	cmd.Env = append(cmd.Env, extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return "", err
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return stdout.String(), errors.New(err.Error() + ": " + stderr.String())
		}
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		return "", errors.New("timed out: " + stderr.String())
	}
	return stdout.String(), nil
}

// cleanEnv is the process environment without AWS_* variables.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS_") && !strings.HasPrefix(kv, "HOME=") {
			out = append(out, kv)
		}
	}
	return out
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
