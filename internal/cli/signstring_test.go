package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/testenv"
)

// helperEnv is an Env with the given variables, standard input and a
// fixed clock; it returns the captured stdout and stderr.
func helperEnv(vars map[string]string, now time.Time, stdin string) (*Env, *bytes.Buffer, *helperLog) {
	return helperEnvClock(vars, func() time.Time { return now }, stdin)
}

// helperEnvClock is helperEnv with a clock of the test's.
func helperEnvClock(vars map[string]string, now func() time.Time, stdin string) (*Env, *bytes.Buffer, *helperLog) {
	var stdout bytes.Buffer
	stderr := &helperLog{}
	return &Env{
		Stdin: strings.NewReader(stdin), Stdout: &stdout, Stderr: stderr,
		Getenv: func(k string) string { return vars[k] },
		Now:    now,
	}, &stdout, stderr
}

// helperRun runs roam as aws_signing_helper with args.
func helperRun(ctx context.Context, env *Env, args ...string) int {
	return Main(ctx, env, append([]string{"aws_signing_helper"}, args...))
}

// helperLog is a stderr that tests may read while a command still runs.
type helperLog struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func (l *helperLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
	return l.buf.Write(p)
}

func (l *helperLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// waitFor waits until re matches the log and returns the submatches.
func (l *helperLog) waitFor(t *testing.T, re *regexp.Regexp) []string {
	t.Helper()
	fuse := time.After(60 * time.Second) // against a hung command, not a timing assertion
	for {
		l.mu.Lock()
		m := re.FindStringSubmatch(l.buf.String())
		if m != nil {
			l.mu.Unlock()
			return m
		}
		if l.changed == nil {
			l.changed = make(chan struct{})
		}
		ch := l.changed
		l.mu.Unlock()
		select {
		case <-ch:
		case <-fuse:
			t.Fatalf("stderr never matched %s:\n%s", re, l.String())
		}
	}
}

func TestSignStringVectors(t *testing.T) {
	root := testenv.Vectors(t)
	ss := filepath.Join(root, "sign-string")
	rsa := []string{"--certificate", filepath.Join(root, "rsa2048", "leaf-cert.pem"), "--private-key", filepath.Join(root, "rsa2048", "leaf-key.pem")}
	ec := []string{"--certificate", filepath.Join(root, "ecdsa-p256", "leaf-cert.pem"), "--private-key", filepath.Join(root, "ecdsa-p256", "leaf-key.pem")}
	tests := []struct {
		name string
		args []string
		want string // vector file with the exact output (RSA)
	}{
		{"rsa default json", rsa, "rsa2048-json-run1.txt"},
		{"rsa text SHA256", append(rsa, "--format", "text"), "rsa2048-text-sha256.txt"},
		{"rsa text SHA384", append(rsa, "--format", "text", "--digest", "SHA384"), "rsa2048-text-sha384.txt"},
		{"rsa text SHA512", append(rsa, "--digest", "SHA512", "--format", "text"), "rsa2048-text-sha512.txt"},
		{"rsa bin", append(rsa, "--format", "bin"), "rsa2048-bin-sha256.bin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, stdout, stderr := helperEnv(nil, time.Now(), "")
			if code := helperRun(context.Background(), env, append([]string{"sign-string"}, tt.args...)...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			want, _ := os.ReadFile(filepath.Join(ss, tt.want))
			if !bytes.Equal(stdout.Bytes(), want) {
				t.Fatalf("stdout %q\nwant   %q", stdout, want)
			}
			if stderr.String() != "" {
				t.Fatalf("stderr %q", stderr)
			}
		})
	}
	t.Run("ecdsa json verifies", func(t *testing.T) {
		env, stdout, _ := helperEnv(nil, time.Now(), "")
		if code := helperRun(context.Background(), env, append([]string{"sign-string"}, ec...)...); code != 0 {
			t.Fatal(code)
		}
		out := stdout.String()
		if !strings.HasPrefix(out, `"`) || !strings.HasSuffix(out, `"`) {
			t.Fatalf("not a JSON string: %q", out)
		}
		sig, err := hex.DecodeString(strings.Trim(out, `"`))
		if err != nil {
			t.Fatal(err)
		}
		fixed, _ := os.ReadFile(filepath.Join(ss, "ecdsa-p256-fixed-string.bin"))
		digest := sha256.Sum256(fixed)
		if !ecdsa.VerifyASN1(ecKeyOf(t, root), digest[:], sig) {
			t.Fatal("the signature does not verify against the fixed string")
		}
	})
}

func ecKeyOf(t *testing.T, root string) *ecdsa.PublicKey {
	t.Helper()
	data, _ := os.ReadFile(filepath.Join(root, "ecdsa-p256", "leaf-cert.pem"))
	c, err := firstCertificate(data, "leaf-cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	return c.PublicKey.(*ecdsa.PublicKey)
}

var logLine = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d `)

func TestSignStringErrors(t *testing.T) {
	root := testenv.Vectors(t)
	cert, key := filepath.Join(root, "rsa2048", "leaf-cert.pem"), filepath.Join(root, "rsa2048", "leaf-key.pem")
	tests := []struct {
		name      string
		args      []string
		wantUsage bool
		want      string
	}{
		{"error/key only (as the official helper)", []string{"--private-key", key}, false, "undefined certificate value"},
		{"error/digest is case-sensitive", []string{"--certificate", cert, "--private-key", key, "--digest", "sha256"}, true,
			`invalid argument "sha256" for "--digest" flag: sha256 is not included in SHA256,SHA384,SHA512`},
		{"error/unknown format", []string{"--certificate", cert, "--private-key", key, "--format", "xml"}, true,
			`invalid argument "xml" for "--format" flag: xml is not included in json,text,bin`},
		{"error/no intermediates flag", []string{"--certificate", cert, "--private-key", key, "--intermediates", cert}, true, "unknown flag: --intermediates"},
		{"error/cert store on linux", []string{"--cert-selector", "Key=x509Subject,Value=CN=x"}, false, "unable to use cert store signer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, stdout, stderr := helperEnv(nil, time.Now(), "")
			if code := helperRun(context.Background(), env, append([]string{"sign-string"}, tt.args...)...); code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			if stdout.Len() != 0 {
				t.Fatalf("stdout %q", stdout)
			}
			s := stderr.String()
			if !strings.Contains(s, tt.want) {
				t.Fatalf("stderr lacks %q:\n%s", tt.want, s)
			}
			if got := strings.Contains(s, "Usage:"); got != tt.wantUsage {
				t.Fatalf("usage printed: %v, want %v:\n%s", got, tt.wantUsage, s)
			}
			lines := strings.Split(strings.TrimSpace(s), "\n")
			if !logLine.MatchString(lines[len(lines)-1]) {
				t.Fatalf("the last stderr line is not a log line: %q", lines[len(lines)-1])
			}
		})
	}
}
