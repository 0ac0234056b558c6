package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/testenv"
)

// devRun is a running roam dev.
type devRun struct {
	cmd    *exec.Cmd
	banner string
	// rest receives the output after the banner once stdout closes.
	rest chan string
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startDev runs roam dev and waits for its banner.
func startDev(t *testing.T, dir, addr string) *devRun {
	t.Helper()
	cmd := exec.Command(roamBinary(t), "dev", "--dir", dir, "--listen", addr)
	cmd.Env = append(cleanEnv(), "HOME="+t.TempDir())
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() }) // a no-op once stop has run
	d := &devRun{cmd: cmd, rest: make(chan string, 1)}
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	timeout := time.After(time.Minute)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				t.Fatalf("roam dev exited before it was ready: %s", stderr.String())
			}
			d.banner += line + "\n"
			if strings.HasPrefix(line, "Press Ctrl-C") {
				go func() {
					var rest strings.Builder
					for line := range lines {
						rest.WriteString(line + "\n")
					}
					d.rest <- rest.String()
				}()
				return d
			}
		case <-timeout:
			_ = cmd.Process.Kill()
			t.Fatalf("roam dev not ready after a minute: %s\n%s", d.banner, stderr.String())
		}
	}
}

// stop interrupts roam dev like Ctrl-C and checks it exits cleanly.
func (d *devRun) stop(t *testing.T) {
	t.Helper()
	if err := d.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	// Read stdout to its end before Wait, which closes the pipe.
	timeout := time.After(30 * time.Second)
	var rest string
	select {
	case rest = <-d.rest:
	case <-timeout:
		_ = d.cmd.Process.Kill()
		t.Fatal("roam dev did not stop after Ctrl-C")
	}
	done := make(chan error, 1)
	go func() { done <- d.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("roam dev exited with %v after Ctrl-C", err)
		}
	case <-timeout:
		_ = d.cmd.Process.Kill()
		t.Fatal("roam dev did not exit after closing its output")
	}
	if !strings.Contains(rest, "roam dev stopped") {
		t.Errorf("no goodbye after Ctrl-C: %q", rest)
	}
}

var trustAnchorLine = regexp.MustCompile(`(?m)^  trust anchor\s+(\S+)$`)

// TestDev runs the Quick start: roam dev prepares the walkthrough, the
// printed commands work with the AWS CLI, Ctrl-C stops it, and a second
// run reuses everything.
func TestDev(t *testing.T) {
	aws := testenv.Tool(t, "aws")
	dir, addr := t.TempDir(), freeAddr(t)
	url := "http://" + addr

	d := startDev(t, dir, addr)
	m := trustAnchorLine.FindStringSubmatch(d.banner)
	if m == nil {
		t.Fatalf("no trust anchor in the banner:\n%s", d.banner)
	}
	for _, want := range []string{"[profile roam-dev]", "credential_process = ", "aws sts get-caller-identity --profile roam-dev --endpoint-url " + url} {
		if !strings.Contains(d.banner, want) {
			t.Errorf("the banner lacks %q:\n%s", want, d.banner)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, "client.key")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("client.key: %v %v", fi, err)
	}
	out, err := run(t, []string{"AWS_CONFIG_FILE=" + filepath.Join(dir, "aws-config")}, aws, "sts", "get-caller-identity", "--profile", "roam-dev", "--endpoint-url", url, "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	var ident struct{ Arn string }
	if err := json.Unmarshal([]byte(out), &ident); err != nil || !strings.Contains(ident.Arn, ":assumed-role/roam-dev/") {
		t.Fatalf("get-caller-identity through the printed profile: %s (%v)", out, err)
	}
	d.stop(t)

	again := startDev(t, dir, addr)
	defer again.stop(t)
	if m2 := trustAnchorLine.FindStringSubmatch(again.banner); m2 == nil || m2[1] != m[1] {
		t.Fatalf("second run uses trust anchor %v, want the first run's %s", m2, m[1])
	}
}
