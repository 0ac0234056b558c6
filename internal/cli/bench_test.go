package cli_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/cli"
	"github.com/roam-dev/roam/internal/testpki"
	"github.com/roam-dev/roam/internal/testserver"
)

// benchTarget is a running roam server with a trust anchor, a role and a
// profile, and an RSA-2048 client certificate for them on disk.
type benchTarget struct {
	url                              string
	trustAnchorArn, profileArn, role string
	cert, key                        string
	accountID                        string
}

// startBenchTarget runs a real server in-process on a loopback port for
// the test's duration and prepares the walkthrough's resources on it.
func startBenchTarget(t *testing.T) *benchTarget {
	t.Helper()
	s := testserver.Start(t, testserver.Options{})
	ca := testpki.NewCA(t, testpki.WithKeyType(testpki.RSA2048))
	leaf := ca.Leaf(t, testpki.WithKeyType(testpki.RSA2048))
	r := s.Walkthrough(t, "bench", string(testpki.PEM(ca.Cert)))
	b := &benchTarget{url: s.URL, cert: filepath.Join(s.DataDir, "client.pem"), key: filepath.Join(s.DataDir, "client.key"), accountID: s.Account.ID,
		trustAnchorArn: r.TrustAnchorArn, profileArn: r.ProfileArn, role: r.RoleArn}
	if err := os.WriteFile(b.cert, testpki.PEM(leaf.Cert), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b.key, testpki.KeyPEM(t, leaf.Key), 0o600); err != nil {
		t.Fatal(err)
	}
	return b
}

// args are the credential-process flags for the target, plus extra.
func (b *benchTarget) args(extra ...string) []string {
	return append([]string{"bench", "createsession",
		"--endpoint", b.url, "--certificate", b.cert, "--private-key", b.key,
		"--trust-anchor-arn", b.trustAnchorArn, "--profile-arn", b.profileArn, "--role-arn", b.role,
	}, extra...)
}

// benchRun runs roam in-process with the real clock.
func benchRun(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errOut, Getenv: func(string) string { return "" }, Now: time.Now}
	code = cli.Main(context.Background(), env, append([]string{"roam"}, args...))
	return code, out.String(), errOut.String()
}

// benchJSON is the part of the JSON report the tests check.
type benchJSON struct {
	Concurrency int                `json:"concurrency"`
	PoolSize    int                `json:"pool_size"`
	Requests    int64              `json:"requests"`
	Successful  int64              `json:"successful"`
	Failed      int64              `json:"failed"`
	Statuses    map[string]int64   `json:"statuses"`
	Errors      []map[string]any   `json:"errors"`
	RPS         float64            `json:"requests_per_second"`
	Latency     map[string]float64 `json:"latency_ms"`
	ClientCPU   float64            `json:"client_cpu_per_request_ms"`
	Server      struct {
		Before map[string]float64 `json:"before"`
		After  map[string]float64 `json:"after"`
	} `json:"server"`
}

// createSessions reads the server's count of CreateSession answers with
// the given status from its /metrics.
func createSessions(t *testing.T, url, code string) int64 {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var n int64
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "roam_requests_total{") && strings.Contains(line, `"CreateSession"`) && strings.Contains(line, `code="`+code+`"`) {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Fatal(err)
			}
			n += int64(v)
		}
	}
	return n
}

func TestBenchCreateSession(t *testing.T) {
	b := startBenchTarget(t)
	code, stdout, stderr := benchRun(t, b.args("--requests", "2000", "--concurrency", "4", "--warmup", "0", "--pool-size", "16", "--output", "json")...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	var rep benchJSON
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if rep.Requests != 2000 || rep.Successful != 2000 || rep.Failed != 0 || len(rep.Errors) != 0 ||
		len(rep.Statuses) != 1 || rep.Statuses["201"] != 2000 {
		t.Errorf("report: %s", stdout)
	}
	// The server agrees: it answered exactly 2000 CreateSession with 201.
	if n := createSessions(t, b.url, "201"); n != 2000 {
		t.Errorf("the server's metrics count %d successful CreateSession, want 2000", n)
	}
	if rep.Concurrency != 4 || rep.PoolSize != 16 || rep.RPS <= 0 {
		t.Errorf("concurrency %d pool %d rps %v", rep.Concurrency, rep.PoolSize, rep.RPS)
	}
	l := rep.Latency
	if !(0 <= l["min"] && l["min"] <= l["p50"] && l["p50"] <= l["p90"] && l["p90"] <= l["p99"] && l["p99"] <= l["p99.9"] && l["p99.9"] <= l["max"] && l["max"] > 0) {
		t.Errorf("latency percentiles not monotonic: %v", l)
	}
	for _, m := range []string{"process_resident_memory_bytes", "go_memstats_heap_inuse_bytes"} {
		if rep.Server.Before[m] <= 0 || rep.Server.After[m] <= 0 {
			t.Errorf("server %s before %v after %v", m, rep.Server.Before[m], rep.Server.After[m])
		}
	}
}

func TestBenchCreateSessionTextAtARate(t *testing.T) {
	b := startBenchTarget(t)
	code, stdout, stderr := benchRun(t, b.args("--duration", "1s", "--rate", "200", "--warmup", "100ms", "--concurrency", "2")...)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"RSA-2048 leaf", "2 workers, at 200 requests/s, 1s", "errors             0", "successful requests/s", "p99.9", "server memory      RSS"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	// The counts in the text add up: requests = successful (201) + errors.
	fields := map[string]int64{}
	for _, line := range strings.Split(stdout, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 {
			if v, err := strconv.ParseInt(f[1], 10, 64); err == nil {
				fields[f[0]] = v
			}
		}
	}
	if fields["requests"] == 0 || fields["requests"] != fields["successful"]+fields["errors"] {
		t.Errorf("counts do not add up: %v\n%s", fields, stdout)
	}
}

func TestBenchCreateSessionReportsFailures(t *testing.T) {
	b := startBenchTarget(t)
	// A role the profile does not list: every CreateSession is denied.
	b.role = "arn:aws:iam::" + b.accountID + ":role/not-in-the-profile"
	code, stdout, stderr := benchRun(t, b.args("--requests", "300", "--concurrency", "3", "--warmup", "0")...)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if !strings.Contains(stderr, "300 of 300 requests failed") {
		t.Errorf("stderr: %s", stderr)
	}
	for _, want := range []string{"requests           300 in", "successful         0 (201)", "errors             300", "300  HTTP 403 AccessDeniedException"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, stdout)
		}
	}
	if n := createSessions(t, b.url, "403"); n != 300 {
		t.Errorf("the server's metrics count %d denied CreateSession, want 300", n)
	}
}

func TestBenchCreateSessionUsage(t *testing.T) {
	b := &benchTarget{url: "http://127.0.0.1:1", cert: "c.pem", key: "k.pem",
		trustAnchorArn: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/a",
		profileArn:     "arn:aws:rolesanywhere:us-east-1:123456789012:profile/p", role: "arn:aws:iam::123456789012:role/r"}
	for name, c := range map[string]struct {
		args []string
		want string
	}{
		"output":       {b.args("--output", "yaml"), `--output "yaml": want text or json`},
		"concurrency":  {b.args("--concurrency", "0"), "--concurrency must be at least 1"},
		"no bound":     {b.args("--duration", "0"), "give a positive --duration or --requests"},
		"endpoint":     {append(b.args(), "--endpoint", "127.0.0.1:8443"), "want a URL"},
		"regions":      {append(b.args(), "--profile-arn", "arn:aws:rolesanywhere:eu-west-1:123456789012:profile/p"), "regions don't match"},
		"missing flag": {[]string{"bench", "createsession", "--certificate", "c.pem"}, `required flag(s) "endpoint", "profile-arn", "role-arn", "trust-anchor-arn" not set`},
	} {
		code, stdout, stderr := benchRun(t, c.args...)
		if code != 1 || !strings.Contains(stderr, c.want) {
			t.Errorf("%s: exit %d, stderr does not say %q:\n%s%s", name, code, c.want, stdout, stderr)
		}
	}
}
