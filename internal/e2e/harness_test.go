package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"log/slog"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"

	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testserver"
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
	*testserver.Server
	url       string
	dataDir   string
	account   *store.Account
	logs      *logBuffer
	ra        *rolesanywhere.Client
	iam       *iam.Client
	adminFile string
}

// start runs a server on a free loopback port for the test's duration,
// its log in JSON lines the test can read.
func start(t *testing.T) *env {
	t.Helper()
	logs := &logBuffer{}
	s := testserver.Start(t, testserver.Options{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	return &env{Server: s, url: s.URL, dataDir: s.DataDir, account: s.Account, logs: logs, ra: s.RolesAnywhere, iam: s.IAM, adminFile: s.AdminFile}
}

// resources are the walkthrough's trust anchor, role and profile.
type resources = testserver.Resources

// trustPolicy is a correct Roles Anywhere trust policy for anchorArn.
func trustPolicy(anchorArn string) string { return testserver.TrustPolicy(anchorArn) }

// setup registers caPEM as a trust anchor and creates a role and a
// profile for it.
func (e *env) setup(t *testing.T, name, caPEM string) *resources {
	return e.Walkthrough(t, name, caPEM)
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

// TestMain removes the binaries built for the tests once they have run.
func TestMain(m *testing.M) {
	code := m.Run()
	for _, b := range []*binaryBuild{&roamBuild, &helperBuild} {
		if b.path != "" {
			os.RemoveAll(filepath.Dir(b.path))
		}
	}
	os.Exit(code)
}

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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.WaitDelay = 10 * time.Second // the killed process's children may hold its output open
	cmd.Env = append(cleanEnv(), "HOME="+home, "AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE="+filepath.Join(home, "none"), "AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(home, "none"))
	cmd.Env = append(cmd.Env, extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", errors.New("timed out: " + stderr.String())
		}
		return stdout.String(), errors.New(err.Error() + ": " + stderr.String())
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
