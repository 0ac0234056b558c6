package cli

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/testenv"
)

var serveCaptureTime = time.Date(2026, 11, 24, 5, 57, 27, 0, time.UTC)

var startedLine = regexp.MustCompile(`(?m)^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d Local server started on port: (\d+)\n` +
	`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d Make it available to the sdk by running:\n` +
	`\d{4}/\d\d/\d\d \d\d:\d\d:\d\d export AWS_EC2_METADATA_SERVICE_ENDPOINT=(http://[^/]+:(\d+)/)\n`)

// startServe runs serve in the background and returns its endpoint, a
// function that stops it (as SIGTERM does) and returns the exit status,
// and its stderr.
func startServe(t *testing.T, env *Env, stderr *helperLog, args ...string) (string, func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	exit := make(chan int, 1)
	go func() { exit <- helperRun(ctx, env, append([]string{"serve", "--port", "0"}, args...)...) }()
	m := stderr.waitFor(t, startedLine)
	if m[1] != m[3] {
		t.Fatalf("port %s logged, %s exported", m[1], m[3])
	}
	stop := func() int {
		cancel()
		return <-exit
	}
	t.Cleanup(func() { cancel() })
	return m[2], stop
}

func imdsCall(t *testing.T, method, url, token string, hdr map[string]string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	if token != "" {
		req.Header.Set("X-aws-ec2-metadata-token", token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestServe(t *testing.T) {
	root := testenv.Vectors(t)
	rp, url := replayServer(t, filepath.Join(root, "serve", "captured"))
	env, _, stderr := helperEnv(nil, serveCaptureTime, "")
	args := helperSessionArgs(root, url)
	args[len(args)-3] = "arn:aws:iam::123456789012:role/path/to/TestRole" // --role-arn, as in the capture
	endpoint, stop := startServe(t, env, stderr, append(args, "--session-duration", "900")...)
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
		t.Fatalf("endpoint %s, want loopback", endpoint)
	}

	code, h, token := imdsCall(t, http.MethodPut, endpoint+"latest/api/token", "", map[string]string{"X-aws-ec2-metadata-token-ttl-seconds": "60"})
	if code != 200 || len(token) != 100 || h.Get("X-Aws-Ec2-Metadata-Token-Ttl-Seconds") != "60" {
		t.Fatalf("token: %d %q %v", code, token, h)
	}
	if code, _, body := imdsCall(t, http.MethodGet, endpoint+"latest/meta-data/iam/security-credentials/", token, nil); code != 200 || body != "TestRole" {
		t.Fatalf("role: %d %q", code, body)
	}
	code, _, body := imdsCall(t, http.MethodGet, endpoint+"latest/meta-data/iam/security-credentials/TestRole", token, nil)
	var doc map[string]string
	if err := json.Unmarshal([]byte(body), &doc); code != 200 || err != nil {
		t.Fatalf("credentials: %d %q %v", code, body, err)
	}
	if doc["AccessKeyId"] != "ASIAEXAMPLEACCESSKEY" || doc["Expiration"] != "2026-11-24T06:12:27Z" || doc["Code"] != "Success" || doc["Type"] != "AWS-HMAC" {
		t.Fatalf("credentials %v", doc)
	}
	if code, _, _ := imdsCall(t, http.MethodGet, endpoint+"latest/meta-data/iam/security-credentials/TestRole", "bogus", nil); code != 401 {
		t.Fatalf("bogus token: %d", code)
	}
	if n := len(rp.requests); n != 1 {
		t.Fatalf("%d CreateSession calls, want 1 (credentials valid for 15 minutes are reused)", n)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0:\n%s", code, stderr)
	}
	if !strings.Contains(stderr.String(), "Shutting down") || !strings.Contains(stderr.String(), "Token validation received error: invalid token provided") {
		t.Fatalf("stderr:\n%s", stderr)
	}
	if strings.Contains(stderr.String(), "wJalrXUtnFEMI") || strings.Contains(stderr.String(), token) {
		t.Fatal("a secret or a token was logged")
	}
}

// TestServeColdStartFails replays serve-backend-error, where the first
// CreateSession is refused: the official helper started anyway and
// answered 200 "Success" with empty credentials; roam refuses to start.
func TestServeColdStartFails(t *testing.T) {
	root := testenv.Vectors(t)
	official := readVectorText(t, filepath.Join(root, "serve-backend-error", "creds-response.txt"))
	if !strings.Contains(official, `"AccessKeyId":""`) {
		t.Fatalf("the vector no longer shows the official helper's empty credentials:\n%s", official)
	}
	_, url := replayServer(t, filepath.Join(root, "serve-backend-error", "captured"))
	env, _, stderr := helperEnv(nil, serveCaptureTime, "")
	code := helperRun(context.Background(), env, append([]string{"serve", "--port", "0"}, helperSessionArgs(root, url)...)...)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	s := stderr.String()
	if !strings.Contains(s, "unable to obtain credentials, not starting the metadata endpoint: operation error RolesAnywhere: CreateSession, "+
		"https response error StatusCode: 403, RequestID: 11111111-2222-3333-4444-000000000001, AccessDeniedException: Untrusted signing certificate.") ||
		strings.Contains(s, "Local server started") {
		t.Fatalf("stderr:\n%s", s)
	}
}

// TestServeShortSessions replays serve-refresh-600s: with 600-second
// sessions the official helper called CreateSession on every credentials
// request (4 calls for 3 retrievals); roam reuses them until halfway
// through, and once they expire and the refresh fails it answers 500,
// never empty credentials.
func TestServeShortSessions(t *testing.T) {
	root := testenv.Vectors(t)
	dir := filepath.Join(root, "serve-refresh-600s", "captured")
	rp := &replay{responses: rawResponses(t, dir)[:1]}
	rp.responses = append(rp.responses, []byte("HTTP/1.1 403 Forbidden\r\nX-Amzn-ErrorType: AccessDeniedException\r\nContent-Type: application/json\r\n\r\n"+
		`{"message":"Untrusted signing certificate."}`))
	srv := httptest.NewServer(rp)
	defer srv.Close()
	var mu sync.Mutex
	now := time.Date(2026, 11, 24, 5, 57, 46, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	env, _, stderr := helperEnvClock(nil, clock, "")
	endpoint, stop := startServe(t, env, stderr, append(helperSessionArgs(root, srv.URL), "--session-duration", "600")...)
	code, _, token := imdsCall(t, http.MethodPut, endpoint+"latest/api/token", "", nil)
	if code != 200 {
		t.Fatal(code)
	}
	for range 3 {
		code, _, body := imdsCall(t, http.MethodGet, endpoint+"latest/meta-data/iam/security-credentials/TestRole", token, nil)
		if code != 200 || !strings.Contains(body, `"Expiration":"2026-11-24T06:07:46Z"`) {
			t.Fatalf("%d %s", code, body)
		}
	}
	if n := len(rp.requests); n != 1 {
		t.Fatalf("%d CreateSession calls for 3 retrievals, want 1", n)
	}

	mu.Lock()
	now = now.Add(11 * time.Minute) // past expiry; the refresh is refused
	mu.Unlock()
	code, _, body := imdsCall(t, http.MethodGet, endpoint+"latest/meta-data/iam/security-credentials/TestRole", token, nil)
	if code != 500 || !strings.Contains(body, "AccessDeniedException: Untrusted signing certificate.") || strings.Contains(body, "AccessKeyId") {
		t.Fatalf("after a failed refresh: %d %q; want 500 with the reason", code, body)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func readVectorText(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestServeErrors(t *testing.T) {
	root := testenv.Vectors(t)
	base := helperSessionArgs(root, "http://127.0.0.1:1")
	withRole := func(role string) []string {
		a := append([]string(nil), base...)
		a[len(a)-3] = role
		return a
	}
	tests := []struct {
		name      string
		args      []string
		wantUsage bool
		want      string
	}{
		{"error/role ARN", withRole("not-an-arn"), false, `invalid role ARN "not-an-arn"`},
		{"error/not a role", withRole("arn:aws:iam::123456789012:user/bob"), false, "invalid role ARN"},
		{"error/role name", withRole("arn:aws:iam::123456789012:role/a{b}"), false, "invalid role name"},
		{"error/hop limit", append(base, "--hop-limit", "0"), true, "invalid --hop-limit 0"},
		{"error/port", append(base, "--port", "70000"), true, "invalid --port 70000"},
		{"error/port twice", append(base, "--listen", "127.0.0.1:8000", "--port", "9000"), true, "already has a port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, _, stderr := helperEnv(nil, time.Now(), "")
			if code := helperRun(context.Background(), env, append([]string{"serve"}, tt.args...)...); code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			if !strings.Contains(stderr.String(), tt.want) || strings.Contains(stderr.String(), "Usage:") != tt.wantUsage {
				t.Fatalf("stderr %q, want %q (usage %v)", stderr, tt.want, tt.wantUsage)
			}
		})
	}
}

// TestServeNonLoopback listens on every interface (answering only the
// loopback requests of this test) and warns about it.
func TestServeNonLoopback(t *testing.T) {
	root := testenv.Vectors(t)
	_, url := replayServer(t, filepath.Join(root, "serve", "captured"))
	env, _, stderr := helperEnv(nil, serveCaptureTime, "")
	endpoint, stop := startServe(t, env, stderr, append(helperSessionArgs(root, url), "--listen", "0.0.0.0")...)
	if !strings.HasPrefix(endpoint, "http://127.0.0.1:") {
		t.Fatalf("export hint %s, want the loopback address", endpoint)
	}
	if s := stderr.String(); !strings.Contains(s, "which is not a loopback address") || !strings.Contains(s, "pass --hop-limit 1") {
		t.Fatalf("no warning:\n%s", s)
	}
	if code, _, _ := imdsCall(t, http.MethodPut, endpoint+"latest/api/token", "", nil); code != 200 {
		t.Fatalf("token: %d", code)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}

func TestServeAddress(t *testing.T) {
	tests := []struct {
		listen  string
		port    int
		portSet bool
		want    string
		err     string
	}{
		{"127.0.0.1", 9911, false, "127.0.0.1:9911", ""},
		{"::1", 0, true, "[::1]:0", ""},
		{"[::1]", 80, true, "[::1]:80", ""},
		{"[::1]:81", 9911, false, "[::1]:81", ""},
		{"0.0.0.0:9000", 9911, false, "0.0.0.0:9000", ""},
		{"localhost", 1, true, "localhost:1", ""},
		{"127.0.0.1:1", 2, true, "", "already has a port"},
		{"", 1, false, "", "needs an address"},
		{"127.0.0.1:x", 1, false, "", "invalid port"},
		{"127.0.0.1", -1, true, "", "invalid --port"},
	}
	for _, tt := range tests {
		got, err := serveAddress(tt.listen, tt.port, tt.portSet)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("serveAddress(%q, %d): %v, want %q", tt.listen, tt.port, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("serveAddress(%q, %d) = %q, %v; want %q", tt.listen, tt.port, got, err, tt.want)
		}
	}
	for host, want := range map[string]bool{"127.0.0.1": true, "127.1.2.3": true, "::1": true, "localhost": true, "0.0.0.0": false, "::": false, "10.0.0.1": false, "example.com": false} {
		if isLoopback(host) != want {
			t.Errorf("isLoopback(%q) = %v", host, !want)
		}
	}
	for host, want := range map[string]string{"0.0.0.0": "127.0.0.1", "::": "[::1]", "::1": "[::1]", "10.1.2.3": "10.1.2.3"} {
		if got := endpointHost(host, nil); got != want {
			t.Errorf("endpointHost(%q) = %q, want %q", host, got, want)
		}
	}
	if got := endpointHost("localhost", &net.TCPAddr{IP: net.ParseIP("127.0.0.1")}); got != "127.0.0.1" {
		t.Errorf("endpointHost(localhost) = %q", got)
	}
}

// TestServeRefreshFailureKeepsCredentials: when the background refresh is
// refused, serve keeps answering with the last good credentials while they
// are valid (the official helper replaced them with empty ones).
func TestServeRefreshFailureKeepsCredentials(t *testing.T) {
	root := testenv.Vectors(t)
	var mu sync.Mutex
	now := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}
	var calls int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		calls++
		first, exp := calls == 1, now.Add(2*time.Second)
		mu.Unlock()
		if !first {
			w.Header().Set("X-Amzn-ErrorType", "AccessDeniedException")
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"message":"Untrusted signing certificate."}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"credentialSet":[{"credentials":{"accessKeyId":"ASIAGOOD","secretAccessKey":"S","sessionToken":"T","expiration":"` +
			exp.Format(time.RFC3339) + `"}}]}`))
	}))
	defer srv.Close()
	env, _, stderr := helperEnvClock(nil, clock, "")
	endpoint, stop := startServe(t, env, stderr, helperSessionArgs(root, srv.URL)...)

	// Two-second credentials are due for refresh after one second; the
	// refresh loop wakes up then and finds the clock past that point.
	mu.Lock()
	now = now.Add(1500 * time.Millisecond)
	mu.Unlock()
	stderr.waitFor(t, regexp.MustCompile(`Error refreshing credentials \(attempt 1\): operation error RolesAnywhere: CreateSession, .*AccessDeniedException: Untrusted signing certificate\.; `+
		`the current credentials stay in use until they expire at 2026-11-24T06:00:02Z`))
	_, _, token := imdsCall(t, http.MethodPut, endpoint+"latest/api/token", "", nil)
	code, _, body := imdsCall(t, http.MethodGet, endpoint+"latest/meta-data/iam/security-credentials/TestRole", token, nil)
	if code != 200 || !strings.Contains(body, `"AccessKeyId":"ASIAGOOD"`) {
		t.Fatalf("after a failed refresh: %d %s; want the last good credentials", code, body)
	}
	if code := stop(); code != 0 {
		t.Fatalf("exit %d", code)
	}
}
