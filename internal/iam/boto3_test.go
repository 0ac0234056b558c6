package iam_test

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/auth"
	"github.com/roam-dev/roam/internal/credentials"
	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/sts"
	"github.com/roam-dev/roam/internal/testenv"
)

// TestBoto3 runs testdata/boto3_roles.py against IAM and STS endpoints so
// that boto3's parsers, too, accept what roam sends: URL-encoded policy
// documents decoded into dicts, dates, empty lists, error codes.
func TestBoto3(t *testing.T) {
	python := testenv.Tool(t, "python3")
	if err := exec.Command(python, "-c", "import boto3").Run(); err != nil {
		testenv.Missing(t, "python3 cannot import boto3")
	}

	e := newEnv(t)
	session := &auth.Principal{AccountID: account, Session: &credentials.Session{
		AccountID: account, RoleName: "Deploy", RoleID: "AROAEXAMPLEEXAMPLE123", SessionName: "host-a",
	}}
	stsSrv := httptest.NewServer(withCaller(session, sts.New(sts.Config{})))
	defer stsSrv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "boto3_roles.py"))
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + dir,
		"ROAM_IAM_ENDPOINT=" + e.url,
		"ROAM_STS_ENDPOINT=" + stsSrv.URL,
		// Nothing from the developer's own AWS setup.
		"AWS_CONFIG_FILE=" + filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE=" + filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED=true",
	}
	out, err := cmd.Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("boto3 script: %v\n%s%s", err, out, stderr)
	}
	var identity struct{ Arn, UserId, Account string }
	if err := json.Unmarshal(out, &identity); err != nil {
		t.Fatalf("script output %q: %v", out, err)
	}
	want := struct{ Arn, UserId, Account string }{"arn:aws:sts::123456789012:assumed-role/Deploy/host-a", "AROAEXAMPLEEXAMPLE123:host-a", account}
	if identity != want {
		t.Errorf("get_caller_identity: %+v, want %+v", identity, want)
	}

	// The script cleaned up after itself through the API.
	if roles, _, err := e.store.ListRoles(ctx, "", store.Page{}); err != nil || len(roles) != 0 {
		t.Errorf("roles left behind: %d (%v)", len(roles), err)
	}
}
