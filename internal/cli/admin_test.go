package cli_test

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"

	"github.com/roam-dev/roam/internal/cli"
	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/testpki"
	"github.com/roam-dev/roam/internal/testserver"
)

// adminServer is a roam server running in-process for one test, with SDK
// clients to check what the admin commands did.
type adminServer struct {
	url       string
	dataDir   string
	credsFile string
	account   *store.Account
	ra        *rolesanywhere.Client
	iam       *iam.Client
}

// adminStart runs a server on a free loopback port for the test's duration.
func adminStart(t *testing.T) *adminServer {
	t.Helper()
	s := testserver.Start(t, testserver.Options{})
	return &adminServer{url: s.URL, dataDir: s.DataDir, credsFile: s.AdminFile, account: s.Account, ra: s.RolesAnywhere, iam: s.IAM}
}

// adminResult is what one in-process run of roam printed.
type adminResult struct {
	code           int
	stdout, stderr string
}

// adminRunEnv runs roam in-process with the environment vars.
func adminRunEnv(t *testing.T, vars map[string]string, args ...string) adminResult {
	t.Helper()
	var stdout, stderr bytes.Buffer
	env := &cli.Env{
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Getenv: func(k string) string { return vars[k] },
		Now:    time.Now,
	}
	code := cli.Main(context.Background(), env, append([]string{"roam"}, args...))
	return adminResult{code, stdout.String(), stderr.String()}
}

// run runs "roam admin ARGS" against the server with its admin credentials.
func (s *adminServer) run(t *testing.T, args ...string) adminResult {
	t.Helper()
	return adminRunEnv(t, nil, append([]string{"admin", "--endpoint", s.url, "--admin-credentials", s.credsFile}, args...)...)
}

// mustRun is run, failing the test unless roam succeeds.
func (s *adminServer) mustRun(t *testing.T, args ...string) adminResult {
	t.Helper()
	r := s.run(t, args...)
	if r.code != 0 {
		t.Fatalf("roam admin %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// mustJSON runs a command with --output json and decodes its one document.
func (s *adminServer) mustJSON(t *testing.T, v any, args ...string) {
	t.Helper()
	r := s.mustRun(t, append([]string{"--output", "json"}, args...)...)
	dec := json.NewDecoder(strings.NewReader(r.stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("roam admin %s: output is not the expected JSON: %v\n%s", strings.Join(args, " "), err, r.stdout)
	}
	if dec.More() {
		t.Fatalf("roam admin %s: more than one JSON document:\n%s", strings.Join(args, " "), r.stdout)
	}
}

// wantError runs a command that must fail with exactly the message want
// (after "roam: ").
func (s *adminServer) wantError(t *testing.T, want string, args ...string) {
	t.Helper()
	r := s.run(t, args...)
	if r.code != 1 || r.stderr != "roam: "+want+"\n" {
		t.Errorf("roam admin %s:\nexit %d, stderr %q\nwant 1, %q", strings.Join(args, " "), r.code, r.stderr, "roam: "+want+"\n")
	}
	if r.stdout != "" {
		t.Errorf("roam admin %s: a failure printed on stdout: %q", strings.Join(args, " "), r.stdout)
	}
}

// wantErrorMatch is wantError with a regular expression.
func (s *adminServer) wantErrorMatch(t *testing.T, pattern string, args ...string) {
	t.Helper()
	r := s.run(t, args...)
	if r.code != 1 || !regexp.MustCompile(`^roam: `+pattern+`\n$`).MatchString(r.stderr) {
		t.Errorf("roam admin %s:\nexit %d, stderr %q\nwant 1 and a match for %q", strings.Join(args, " "), r.code, r.stderr, pattern)
	}
}

// adminTable parses an aligned table: each column starts where its header
// starts, which is what makes it readable. It fails the test when a
// value does not start at its column or a line is shorter than the table.
func adminTable(t *testing.T, out string) []map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	header := lines[0]
	var names []string
	var starts []int
	for _, m := range regexp.MustCompile(`\S+( \S+)*`).FindAllStringIndex(header, -1) {
		names = append(names, header[m[0]:m[1]])
		starts = append(starts, m[0])
	}
	var rows []map[string]string
	for _, line := range lines[1:] {
		row := map[string]string{}
		for i, name := range names {
			end := len(line)
			if i+1 < len(starts) {
				end = starts[i+1]
			}
			if starts[i] >= len(line) || end > len(line) {
				t.Fatalf("table line %q is shorter than its header %q", line, header)
			}
			cell := line[starts[i]:end]
			if strings.HasPrefix(cell, " ") || (i+1 < len(starts) && !strings.HasSuffix(cell, "  ")) {
				t.Fatalf("column %s of %q is not aligned with the header %q", name, line, header)
			}
			row[name] = strings.TrimSpace(cell)
		}
		rows = append(rows, row)
	}
	return rows
}

// adminFields parses "Label:  value" output: label to values (a value
// continues on lines with no label). It fails the test when the values do
// not all start in the same column.
func adminFields(t *testing.T, out string) map[string][]string {
	t.Helper()
	fields := map[string][]string{}
	col, last := -1, ""
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		label, rest, found := strings.Cut(line, ":  ")
		if found && !strings.HasPrefix(line, " ") {
			start := len(line) - len(strings.TrimLeft(rest, " "))
			if col == -1 {
				col = start
			}
			if start != col {
				t.Fatalf("the value of %q does not start in column %d:\n%s", line, col, out)
			}
			last = label
		} else if col == -1 || len(line) <= col || strings.TrimSpace(line[:col]) != "" || line[col] == ' ' && last != "Trust policy" && last != "Session policy" {
			t.Fatalf("continuation line %q does not start in column %d:\n%s", line, col, out)
		}
		fields[last] = append(fields[last], line[col:])
	}
	return fields
}

// adminWriteCA writes ca's certificate as a PEM file and returns its path.
func adminWriteCA(t *testing.T, certs ...*x509.Certificate) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, testpki.PEM(certs...), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func adminWriteFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestAdminHelp(t *testing.T) {
	r := adminRunEnv(t, nil, "admin")
	for _, sub := range []string{"trust-anchor", "role", "profile", "crl", "walkthrough"} {
		if !strings.Contains(r.stdout, "  "+sub+" ") {
			t.Errorf("roam admin help lacks %q:\n%s", sub, r.stdout)
		}
	}
	for _, flag := range []string{"--endpoint", "--admin-credentials", "--region", "--output"} {
		if !strings.Contains(r.stdout, flag) {
			t.Errorf("roam admin help lacks %s:\n%s", flag, r.stdout)
		}
	}
}

// TestAdminConnection: where the endpoint and the credentials come from,
// and what an operator sees when they are wrong.
func TestAdminConnection(t *testing.T) {
	s := adminStart(t)
	ca := testpki.NewCA(t)
	s.mustRun(t, "trust-anchor", "create", "--name", "conn", "--ca-file", adminWriteCA(t, ca.Cert))

	t.Run("ok/environment", func(t *testing.T) {
		r := adminRunEnv(t, map[string]string{"ROAM_ENDPOINT": s.url, "AWS_SHARED_CREDENTIALS_FILE": s.credsFile}, "admin", "trust-anchor", "list")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		if rows := adminTable(t, r.stdout); len(rows) != 1 || rows[0]["NAME"] != "conn" {
			t.Errorf("rows %v", rows)
		}
	})
	t.Run("ok/flags win over the environment", func(t *testing.T) {
		r := adminRunEnv(t, map[string]string{"ROAM_ENDPOINT": "http://127.0.0.1:1", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent"},
			"admin", "--endpoint", s.url, "--admin-credentials", s.credsFile, "trust-anchor", "list")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
	})
	t.Run("error/wrong region", func(t *testing.T) {
		r := s.run(t, "--region", "eu-west-1", "trust-anchor", "list")
		want := "roam: admin trust-anchor list: InvalidSignatureException: "
		if r.code != 1 || !strings.HasPrefix(r.stderr, want) || !strings.Contains(r.stderr, "eu-west-1") {
			t.Errorf("exit %d, stderr %q\nwant 1, %q and the region", r.code, r.stderr, want)
		}
	})

	// A port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String()
	ln.Close()
	empty := adminWriteFile(t, "creds", "[other]\naws_access_key_id = AKIA\naws_secret_access_key = x\n")
	noSecret := adminWriteFile(t, "creds", "[default]\naws_access_key_id = AKIA\n")
	wrongKeys := adminWriteFile(t, "creds", "[default]\naws_access_key_id = AKIAWRONGWRONGWRONG1\naws_secret_access_key = x\nregion = us-east-1\n")
	missing := filepath.Join(t.TempDir(), "nonexistent")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"error/unreachable", []string{"--endpoint", closed, "--admin-credentials", s.credsFile, "trust-anchor", "list"},
			"admin trust-anchor list: cannot reach roam at " + closed + ` \(.*connection refused\); is roam server running there\? Choose another with --endpoint or ROAM_ENDPOINT`},
		{"error/no credentials file", []string{"--endpoint", s.url, "--admin-credentials", missing, "trust-anchor", "list"},
			"admin trust-anchor list: credentials file: stat " + regexp.QuoteMeta(missing) + ": no such file or directory"},
		{"error/no default profile", []string{"--endpoint", s.url, "--admin-credentials", empty, "trust-anchor", "list"},
			"admin trust-anchor list: credentials file " + regexp.QuoteMeta(empty) + ` has no \[default\] profile`},
		{"error/no secret", []string{"--endpoint", s.url, "--admin-credentials", noSecret, "trust-anchor", "list"},
			"admin trust-anchor list: credentials file " + regexp.QuoteMeta(noSecret) + `: profile \[default\] lacks aws_access_key_id or aws_secret_access_key`},
		{"error/unknown keys", []string{"--endpoint", s.url, "--admin-credentials", wrongKeys, "trust-anchor", "list"},
			`admin trust-anchor list: UnrecognizedClientException: .+`},
		{"error/bad endpoint", []string{"--endpoint", "127.0.0.1:8443", "trust-anchor", "list"},
			`admin: --endpoint "127.0.0.1:8443": want a URL such as http://127.0.0.1:8443`},
		{"error/bad output", []string{"--output", "yaml", "trust-anchor", "list"},
			`admin: --output "yaml": want table or json`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := adminRunEnv(t, nil, append([]string{"admin"}, tt.args...)...)
			line := r.stderr
			if strings.HasPrefix(line, "Error: ") {
				// A usage error: the message, then the usage.
				line, _, _ = strings.Cut(strings.TrimPrefix(line, "Error: "), "\n")
				line = "roam: " + line + "\n"
			}
			if r.code != 1 || !regexp.MustCompile(`^roam: `+tt.want+`\n$`).MatchString(line) {
				t.Errorf("exit %d, stderr %q\nwant 1 and a match for %q", r.code, r.stderr, tt.want)
			}
		})
	}
}

// TestAdminDefaultCredentialChain: without --admin-credentials or
// $AWS_SHARED_CREDENTIALS_FILE, the standard AWS chain (here the AWS_*
// variables of the process) provides the keys and the region.
func TestAdminDefaultCredentialChain(t *testing.T) {
	s := adminStart(t)
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_ACCESS_KEY_ID", s.account.RootAccessKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", s.account.RootSecretAccessKey)
	t.Setenv("AWS_REGION", s.account.Region)
	r := adminRunEnv(t, nil, "admin", "--endpoint", s.url, "profile", "list")
	if r.code != 0 || r.stdout != "NAME  ID  ENABLED  ROLES  DURATION  CREATED\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}

	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	r = adminRunEnv(t, nil, "admin", "--endpoint", s.url, "profile", "list")
	want := "roam: admin profile list: no AWS credentials found: pass --admin-credentials DATA-DIR/admin-credentials (written by roam server) or set AWS_SHARED_CREDENTIALS_FILE ("
	if r.code != 1 || !strings.HasPrefix(r.stderr, want) {
		t.Errorf("exit %d, stderr %q\nwant 1 and a message starting %q", r.code, r.stderr, want)
	}
}
