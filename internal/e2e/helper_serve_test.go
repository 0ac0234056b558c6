package e2e

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/roam-dev/roam/internal/session"
	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// helperClient is a client certificate and key on disk, trusted by a roam
// server through a trust anchor, role and profile.
type helperClient struct {
	r         *resources
	cert, key string
	serialHex string
}

// newHelperClient registers a new CA with e and issues a client
// certificate from it.
func newHelperClient(t *testing.T, e *env, name string) *helperClient {
	t.Helper()
	ca := testpki.NewCA(t, testpki.WithCN(name+" CA"))
	leaf := ca.Leaf(t, testpki.WithCN(name+" client"))
	dir := t.TempDir()
	c := &helperClient{r: e.setup(t, name, string(testpki.PEM(ca.Cert))), cert: filepath.Join(dir, "client.pem"), key: filepath.Join(dir, "client.key"),
		serialHex: session.HexSerial(leaf.Cert.SerialNumber)}
	writeFile(t, c.cert, string(testpki.PEM(leaf.Cert)), 0o600)
	writeFile(t, c.key, string(testpki.KeyPEM(t, leaf.Key)), 0o600)
	return c
}

// args are the helper's CreateSession flags for c against e.
func (c *helperClient) args(e *env) []string {
	return []string{"--certificate", c.cert, "--private-key", c.key, "--trust-anchor-arn", c.r.TrustAnchorArn,
		"--profile-arn", c.r.ProfileArn, "--role-arn", c.r.RoleArn, "--endpoint", e.url}
}

// lineLog collects a process's stderr and lets a test wait for a line.
type lineLog struct {
	mu    sync.Mutex
	text  strings.Builder
	lines chan struct{}
	done  chan struct{}
}

func newLineLog(cmd *exec.Cmd) (*lineLog, error) {
	pipe, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	l := &lineLog{lines: make(chan struct{}, 1), done: make(chan struct{})}
	go func() {
		defer close(l.done)
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			l.mu.Lock()
			l.text.WriteString(sc.Text() + "\n")
			l.mu.Unlock()
			select {
			case l.lines <- struct{}{}:
			default:
			}
		}
	}()
	return l, nil
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.text.String()
}

// waitFor returns re's submatches once a line matches, or fails when the
// process ends first.
func (l *lineLog) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	fuse := time.After(2 * time.Minute) // against a hung process, not a timing assertion
	for {
		if m := re.FindStringSubmatch(l.String()); m != nil {
			return m
		}
		select {
		case <-l.lines:
		case <-l.done:
			if m := re.FindStringSubmatch(l.String()); m != nil {
				return m
			}
			t.Fatalf("the process ended without printing %s:\n%s", re, l.String())
		case <-fuse:
			t.Fatalf("no line matched %s:\n%s", re, l.String())
		}
	}
}

var exportLine = regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d export AWS_EC2_METADATA_SERVICE_ENDPOINT=(http://127\.0\.0\.1:\d+/)$`)

// roamServe runs roam serve on a free loopback port until the test ends.
func roamServe(t *testing.T, args ...string) (string, *exec.Cmd, *lineLog) {
	t.Helper()
	cmd := exec.Command(roamBinary(t), append([]string{"serve", "--port", "0"}, args...)...)
	cmd.Env = append(cleanEnv(), "HOME="+t.TempDir())
	log, err := newLineLog(cmd)
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return log.waitFor(t, exportLine)[1], cmd, log
}

// clearAWSEnv removes every AWS_* variable of the test process for the
// test's duration, so the SDK's default chain sees only what the test sets.
func clearAWSEnv(t *testing.T) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "AWS_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	none := filepath.Join(t.TempDir(), "none")
	t.Setenv("AWS_CONFIG_FILE", none)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", none)
}

// TestServeDefaultCredentialChains: with AWS_EC2_METADATA_SERVICE_ENDPOINT
// pointing at roam serve, the default credential chains of the AWS SDK for
// Go v2, boto3 and the AWS CLI obtain the role's credentials from a real
// roam server, and SIGTERM stops serve with exit status 0.
func TestServeDefaultCredentialChains(t *testing.T) {
	e := start(t)
	c := newHelperClient(t, e, "serve")
	endpoint, cmd, log := roamServe(t, c.args(e)...)
	want := wantArn(e, c.r.RoleName, c.serialHex)

	t.Run("aws-sdk-go-v2", func(t *testing.T) {
		clearAWSEnv(t)
		t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", endpoint)
		ctx := context.Background()
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(e.account.Region))
		if err != nil {
			t.Fatal(err)
		}
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if creds.Source != "EC2RoleProvider" || !strings.HasPrefix(creds.AccessKeyID, "ASIA") || !creds.CanExpire {
			t.Fatalf("credentials from %s: %s (expiring %v)", creds.Source, creds.AccessKeyID, creds.CanExpire)
		}
		out, err := sts.NewFromConfig(cfg, func(o *sts.Options) { o.BaseEndpoint = aws.String(e.url) }).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Arn) != want {
			t.Fatalf("caller %s, want %s", aws.ToString(out.Arn), want)
		}
	})
	t.Run("boto3", func(t *testing.T) {
		python := testenv.Tool(t, "python3")
		script := `import boto3, sys
s = boto3.Session(region_name=sys.argv[2])
c = s.get_credentials()
print(c.method, s.client("sts", endpoint_url=sys.argv[1]).get_caller_identity()["Arn"])`
		out, err := run(t, []string{"AWS_EC2_METADATA_DISABLED=false", "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + endpoint}, python, "-c", script, e.url, e.account.Region)
		if err != nil {
			if strings.Contains(err.Error(), "No module named") {
				testenv.Missing(t, "boto3 is not importable: "+err.Error())
			}
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out); got != "iam-role "+want {
			t.Fatalf("boto3: %q, want %q", got, "iam-role "+want)
		}
	})
	t.Run("aws cli", func(t *testing.T) {
		awsCLI := testenv.Tool(t, "aws")
		out, err := run(t, []string{"AWS_EC2_METADATA_DISABLED=false", "AWS_EC2_METADATA_SERVICE_ENDPOINT=" + endpoint, "AWS_DEFAULT_REGION=" + e.account.Region},
			awsCLI, "--endpoint-url", e.url, "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(out); got != want {
			t.Fatalf("aws: %q, want %q", got, want)
		}
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("roam serve exited with %v after SIGTERM:\n%s", err, log.String())
	}
	if s := log.String(); !strings.Contains(s, "Shutting down") || strings.Contains(s, "SecretAccessKey") {
		t.Fatalf("stderr:\n%s", s)
	}
}

// TestServeRefusesToStartWithoutCredentials: a certificate the server does
// not trust makes serve exit 1 before it listens.
func TestServeRefusesToStartWithoutCredentials(t *testing.T) {
	e := start(t)
	c := newHelperClient(t, e, "coldstart")
	stranger := newHelperClient(t, e, "stranger")
	args := c.args(e)
	args[1], args[3] = stranger.cert, stranger.key // trusted by another anchor only
	out, err := run(t, nil, roamBinary(t), append([]string{"serve", "--port", "0"}, args...)...)
	if err == nil {
		t.Fatalf("serve started and exited 0: %s", out)
	}
	if !strings.Contains(err.Error(), "exit status 1") || !strings.Contains(err.Error(), "unable to obtain credentials, not starting the metadata endpoint") ||
		strings.Contains(err.Error(), "Local server started") {
		t.Fatalf("error %v", err)
	}
}
