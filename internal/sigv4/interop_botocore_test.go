package sigv4

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/testenv"
)

// botocoreRequest is one request printed by testdata/botocore_sign.py.
type botocoreRequest struct {
	Name    string      `json:"name"`
	Service string      `json:"service"`
	Method  string      `json:"method"`
	URL     string      `json:"url"`
	Headers [][2]string `json:"headers"`
	Body    string      `json:"body"`
}

// wire renders the request as urllib3 would send it: request line, Host
// (the URL's authority, as botocore signed it), the headers, Content-Length
// when botocore did not set one, and the body.
func (b botocoreRequest) wire(t *testing.T) []byte {
	t.Helper()
	u, err := url.Parse(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, err := base64.StdEncoding.DecodeString(b.Body)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "%s %s HTTP/1.1\r\nHost: %s\r\n", b.Method, u.RequestURI(), u.Host)
	haveLength := false
	for _, h := range b.Headers {
		fmt.Fprintf(&buf, "%s: %s\r\n", h[0], h[1])
		haveLength = haveLength || strings.EqualFold(h[0], "Content-Length")
	}
	if !haveLength && len(body) > 0 {
		fmt.Fprintf(&buf, "Content-Length: %d\r\n", len(body))
	}
	buf.WriteString("\r\n")
	buf.Write(body)
	return buf.Bytes()
}

// TestBotocoreInterop verifies requests signed by botocore (the AWS CLI v1
// and boto3 signer), both through SigV4Auth directly and through real
// botocore clients for STS, IAM and Roles Anywhere.
func TestBotocoreInterop(t *testing.T) {
	python := testenv.Tool(t, "python3")
	script := filepath.Join("testdata", "botocore_sign.py")
	cmd := exec.Command(python, script, "127.0.0.1:18443", FormatTime(sdkSigningTime))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() == 3 {
		testenv.Missing(t, "python3 cannot import botocore: "+strings.TrimSpace(stderr.String()))
	}
	if err != nil {
		t.Fatalf("%s: %v\n%s", script, err, stderr.String())
	}
	var reqs []botocoreRequest
	if err := json.Unmarshal(out, &reqs); err != nil {
		t.Fatalf("decode script output: %v", err)
	}
	if len(reqs) < 10 {
		t.Fatalf("script printed %d requests, want at least 10", len(reqs))
	}
	for _, b := range reqs {
		t.Run(b.Name, func(t *testing.T) {
			raw := b.wire(t)
			r, body := readWire(t, raw)
			req, err := verifyAll(r, body, testSecret, sdkSigningTime)
			if err != nil {
				t.Fatalf("botocore request rejected: %v\n%s", err, raw)
			}
			if req.Scope.Service != b.Service || req.AccessKeyID != testAccessKey {
				t.Fatalf("parsed scope %v key %q", req.Scope, req.AccessKeyID)
			}
			checkVerifiesAndResists(t, raw, testSecret, sdkSigningTime)
		})
	}
}
