package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/testenv"
)

// TestUpdateOnceAWSCLI: roam update --once writes a profile into an
// existing credentials file (keeping every other line, the last one too)
// and the AWS CLI then calls STS with it.
func TestUpdateOnceAWSCLI(t *testing.T) {
	awsCLI := testenv.Tool(t, "aws")
	e := start(t)
	c := newHelperClient(t, e, "update")
	path := filepath.Join(t.TempDir(), "credentials")
	before := "[default]\naws_access_key_id = AKIAOTHER\naws_secret_access_key = other\n\n[ra]\nregion = " + e.account.Region
	writeFile(t, path, before, 0o640)
	if err := os.Chmod(path, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, []string{"AWS_SHARED_CREDENTIALS_FILE=" + path}, roamBinary(t), append([]string{"update", "--once", "--profile", "ra"}, c.args(e)...)...); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path)
	if !strings.HasPrefix(got, before+"\naws_access_key_id = ASIA") {
		t.Fatalf("credentials file:\n%s", got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, want 0640 kept", fi.Mode().Perm())
	}
	out, err := run(t, []string{"AWS_SHARED_CREDENTIALS_FILE=" + path}, awsCLI, "--endpoint-url", e.url, "--profile", "ra",
		"sts", "get-caller-identity", "--query", "Arn", "--output", "text")
	if err != nil {
		t.Fatal(err)
	}
	if want := wantArn(e, c.r.RoleName, c.serialHex); strings.TrimSpace(out) != want {
		t.Fatalf("aws: %q, want %q", out, want)
	}
}
