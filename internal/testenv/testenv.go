// Package testenv lets tests depend on external programs (openssl, aws,
// python3 with boto3, softhsm2-util, swtpm, postgres) without failing on a
// developer machine that lacks them, while CI insists on all of them.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// RequireAllEnv is set to 1 by the project's test script: a missing tool
// then fails the test instead of skipping it.
const RequireAllEnv = "ROAM_TEST_REQUIRE_ALL"

// Tool returns the path of an external program, skipping the test (or
// failing it under ROAM_TEST_REQUIRE_ALL=1) when it is not installed.
func Tool(tb testing.TB, name string) string {
	tb.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		Missing(tb, name+" is not installed")
	}
	return p
}

// Missing skips the test with why, or fails it under ROAM_TEST_REQUIRE_ALL=1.
func Missing(tb testing.TB, why string) {
	tb.Helper()
	if os.Getenv(RequireAllEnv) == "1" {
		tb.Fatalf("%s (required: %s=1)", why, RequireAllEnv)
	}
	tb.Skipf("%s; run the project's test script (scripts/test.sh) to install it", why)
}

// RepoRoot returns the repository root (the directory holding go.mod).
func RepoRoot(tb testing.TB) string {
	tb.Helper()
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		tb.Fatal("testenv: cannot locate source file")
	}
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// SharedDir returns ../shared beside the checkout (the reference material),
// skipping the test with a clear message when it is absent. It never fails
// under ROAM_TEST_REQUIRE_ALL: a fresh clone does not have it.
func SharedDir(tb testing.TB) string {
	tb.Helper()
	dir := filepath.Join(RepoRoot(tb), "..", "shared")
	if _, err := os.Stat(dir); err != nil {
		tb.Skipf("reference material %s is absent (it lives beside the checkout, not in it): %v", dir, err)
	}
	return dir
}

// Vectors returns testdata/signing-helper-vectors in the repository.
func Vectors(tb testing.TB) string {
	tb.Helper()
	return filepath.Join(RepoRoot(tb), "testdata", "signing-helper-vectors")
}
