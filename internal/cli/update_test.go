package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/testenv"
)

// Vector ARNs and the time of the update capture.
const (
	helperTA   = "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/aaaaaaaa-1111-2222-3333-444444444444"
	helperProf = "arn:aws:rolesanywhere:us-east-1:123456789012:profile/bbbbbbbb-1111-2222-3333-444444444444"
	helperRole = "arn:aws:iam::123456789012:role/TestRole"
)

var updateCaptureTime = time.Date(2026, 11, 24, 5, 58, 1, 0, time.UTC)

// helperSessionArgs are the CreateSession flags for the rsa2048 vector key
// against endpoint.
func helperSessionArgs(root, endpoint string) []string {
	return []string{
		"--certificate", filepath.Join(root, "rsa2048", "leaf-cert.pem"), "--private-key", filepath.Join(root, "rsa2048", "leaf-key.pem"),
		"--trust-anchor-arn", helperTA, "--profile-arn", helperProf, "--role-arn", helperRole, "--endpoint", endpoint,
	}
}

// replayServer answers like the capture server of a vector directory.
func replayServer(t *testing.T, dir string) (*replay, string) {
	t.Helper()
	rp := &replay{responses: rawResponses(t, dir)}
	srv := httptest.NewServer(rp)
	t.Cleanup(srv.Close)
	return rp, srv.URL
}

// deniedServer refuses every CreateSession.
func deniedServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"message":"Untrusted signing certificate."}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestUpdateOnce(t *testing.T) {
	root := testenv.Vectors(t)
	vec := filepath.Join(root, "update")
	before, _ := os.ReadFile(filepath.Join(vec, "creds-before.ini"))
	after, _ := os.ReadFile(filepath.Join(vec, "creds-after-profile-ra.ini"))
	fresh, _ := os.ReadFile(filepath.Join(vec, "home1", ".aws", "credentials"))

	t.Run("existing file, profile ra", func(t *testing.T) {
		_, url := replayServer(t, filepath.Join(vec, "captured"))
		path := filepath.Join(t.TempDir(), "credentials")
		if err := os.WriteFile(path, before, 0o644); err != nil {
			t.Fatal(err)
		}
		_ = os.Chmod(path, 0o644)
		env, stdout, stderr := helperEnv(map[string]string{"AWS_SHARED_CREDENTIALS_FILE": path}, updateCaptureTime, "")
		if code := helperRun(context.Background(), env, append([]string{"update", "--once", "--profile", "ra"}, helperSessionArgs(root, url)...)...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if got, _ := os.ReadFile(path); string(got) != string(after) {
			t.Fatalf("file\n%s\nwant\n%s", got, after)
		}
		if stdout.Len() != 0 || stderr.String() != "" {
			t.Fatalf("--once printed %q %q; the official helper prints nothing", stdout, stderr)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
			t.Fatalf("mode %v, want the existing 0644 kept", fi.Mode().Perm())
		}
	})
	t.Run("new ~/.aws/credentials", func(t *testing.T) {
		_, url := replayServer(t, filepath.Join(vec, "captured"))
		home := t.TempDir()
		env, _, stderr := helperEnv(map[string]string{"HOME": home, "USERPROFILE": home}, updateCaptureTime, "")
		if code := helperRun(context.Background(), env, append([]string{"update", "--once"}, helperSessionArgs(root, url)...)...); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		path := filepath.Join(home, ".aws", "credentials")
		if got, _ := os.ReadFile(path); string(got) != string(fresh) {
			t.Fatalf("file\n%s\nwant\n%s", got, fresh)
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Fatalf("file mode %v", fi.Mode().Perm())
		}
		if fi, _ := os.Stat(filepath.Dir(path)); fi.Mode().Perm() != 0o700 {
			t.Fatalf("directory mode %v, want 0700 (the official helper makes it 0600, unusable)", fi.Mode().Perm())
		}
	})
	t.Run("error/first CreateSession fails", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "credentials")
		env, _, stderr := helperEnv(map[string]string{"AWS_SHARED_CREDENTIALS_FILE": path}, updateCaptureTime, "")
		if code := helperRun(context.Background(), env, append([]string{"update", "--once"}, helperSessionArgs(root, deniedServer(t))...)...); code != 1 {
			t.Fatalf("exit %d, want 1", code)
		}
		if !strings.Contains(stderr.String(), "AccessDeniedException: Untrusted signing certificate.") || !logLine.MatchString(stderr.String()) {
			t.Fatalf("stderr %q", stderr)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatal("the file was created although no credentials were obtained")
		}
	})
}

// TestUpdateLoop runs update until it has written the file and announced
// the next refresh, then stops it as SIGTERM would.
func TestUpdateLoop(t *testing.T) {
	root := testenv.Vectors(t)
	_, url := replayServer(t, filepath.Join(root, "update", "captured"))
	path := filepath.Join(t.TempDir(), "credentials")
	env, _, stderr := helperEnv(map[string]string{"AWS_SHARED_CREDENTIALS_FILE": path}, updateCaptureTime, "")
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() {
		exit <- helperRun(ctx, env, append([]string{"update", "--profile", "loop"}, helperSessionArgs(root, url)...)...)
	}()
	// The credentials expire at 06:58:01; the next refresh is 5 minutes
	// earlier, printed as the official helper prints it.
	stderr.waitFor(t, regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d Credentials will be refreshed at 2026-11-24 06:53:01 \+0000 UTC$`))
	want, _ := os.ReadFile(filepath.Join(root, "update", "creds-loop.ini"))
	if got, _ := os.ReadFile(path); string(got) != string(want)+"\n" {
		t.Fatalf("file %q, want %q", got, want)
	}
	cancel()
	if code := <-exit; code != 0 {
		t.Fatalf("exit %d after cancellation, want 0: %s", code, stderr)
	}
}
