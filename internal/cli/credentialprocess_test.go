package cli

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/testpki"
)

// countingEndpoint answers every CreateSession with new credentials valid
// for an hour from the time in *now (Unix seconds) and counts the calls.
func countingEndpoint(t *testing.T, now *atomic.Int64) (*atomic.Int64, string) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		i := n.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		_ = json.NewEncoder(w).Encode(map[string]any{"credentialSet": []any{map[string]any{"credentials": map[string]string{
			"accessKeyId": "ASIA" + strings.Repeat("N", int(i)), "secretAccessKey": "SECRETKEY", "sessionToken": "SESSIONTOKEN",
			"expiration": time.Unix(now.Load(), 0).Add(time.Hour).UTC().Format(time.RFC3339),
		}}}})
	}))
	t.Cleanup(srv.Close)
	return &n, srv.URL
}

// writeLeaf writes a fresh certificate and key and returns their paths.
func writeLeaf(t *testing.T, ca *testpki.CA) (string, string) {
	t.Helper()
	leaf := ca.Leaf(t)
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, testpki.PEM(leaf.Cert), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, testpki.KeyPEM(t, leaf.Key), 0o600); err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func TestCredentialProcessCache(t *testing.T) {
	now := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	var serverNow atomic.Int64
	calls, url := countingEndpoint(t, &serverNow)
	ca := testpki.NewCA(t)
	cert, key := writeLeaf(t, ca)
	cacheHome := t.TempDir()
	vars := map[string]string{"XDG_CACHE_HOME": cacheHome, "HOME": t.TempDir(), "LocalAppData": cacheHome}
	args := func(cert, key string, extra ...string) []string {
		return append([]string{"credential-process", "--certificate", cert, "--private-key", key, "--trust-anchor-arn", helperTA,
			"--profile-arn", helperProf, "--role-arn", helperRole, "--endpoint", url}, extra...)
	}
	run := func(at time.Time, a []string) (string, string) {
		t.Helper()
		serverNow.Store(at.Unix())
		env, stdout, stderr := helperEnv(vars, at, "")
		if code := helperRun(context.Background(), env, a...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return stdout.String(), stderr.String()
	}

	first, _ := run(now, args(cert, key, "--cache"))
	second, debug := run(now.Add(30*time.Minute), args(cert, key, "--cache", "--debug"))
	if first != second || calls.Load() != 1 {
		t.Fatalf("cache not used: %d CreateSession calls\n%s\n%s", calls.Load(), first, second)
	}
	if !strings.Contains(debug, "credential cache: hit") || strings.Contains(debug, "SECRETKEY") || strings.Contains(debug, "SESSIONTOKEN") {
		t.Fatalf("--debug output %q", debug)
	}
	files, _ := filepath.Glob(filepath.Join(cacheHome, "roam", "credential-process-*.json"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	if fi, _ := os.Stat(files[0]); fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file mode %v", fi.Mode().Perm())
	}
	if fi, _ := os.Stat(filepath.Dir(files[0])); fi.Mode().Perm() != 0o700 {
		t.Fatalf("cache directory mode %v", fi.Mode().Perm())
	}

	steps := []struct {
		name      string
		at        time.Time
		args      []string
		wantCalls int64
	}{
		{"without --cache nothing is reused", now, args(cert, key), 2},
		{"5 minutes before expiry the cache is stale", now.Add(55 * time.Minute), args(cert, key, "--cache"), 3},
		{"the refreshed entry is reused", now.Add(56 * time.Minute), args(cert, key, "--cache"), 3},
		// The certificate file alone finds the entry: a hit reads no key.
		{"a hit opens no key", now.Add(56 * time.Minute), args(cert, filepath.Join(t.TempDir(), "absent.key"), "--cache"), 3},
	}
	for _, s := range steps {
		run(s.at, s.args)
		if calls.Load() != s.wantCalls {
			t.Fatalf("%s: %d calls, want %d", s.name, calls.Load(), s.wantCalls)
		}
	}

	// A rotated certificate never gets the old one's credentials.
	rotatedCert, rotatedKey := writeLeaf(t, ca)
	out, _ := run(now, args(rotatedCert, rotatedKey, "--cache"))
	if calls.Load() != 4 || out == first {
		t.Fatalf("rotated certificate: %d calls, output %s", calls.Load(), out)
	}
	// Another role neither.
	run(now, append(args(cert, key, "--cache"), "--session-duration", "900"))
	if calls.Load() != 5 {
		t.Fatalf("another duration reused the cache (%d calls)", calls.Load())
	}

	// A corrupt entry is ignored and replaced.
	files, _ = filepath.Glob(filepath.Join(cacheHome, "roam", "credential-process-*.json"))
	for _, f := range files {
		if err := os.WriteFile(f, []byte("garbage"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	run(now, args(cert, key, "--cache"))
	run(now, args(cert, key, "--cache"))
	if calls.Load() != 6 {
		t.Fatalf("corrupt entry: %d calls, want 6 (one miss, then a hit)", calls.Load())
	}
}

func TestCredentialProcessHelpDocumentsSources(t *testing.T) {
	env, stdout, _ := helperEnv(nil, time.Now(), "")
	if code := helperRun(context.Background(), env, "credential-process", "--help"); code != 0 {
		t.Fatal(code)
	}
	for _, want := range []string{"ROAM_CERTIFICATE", "ROAM_PRIVATE_KEY", "ROAM_INTERMEDIATES", `"-"`, "--cache"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("help lacks %s", want)
		}
	}
}
