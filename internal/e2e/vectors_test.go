package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/credentials"
	"github.com/roam-dev/roam/internal/sigv4"
	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/store/sqlite"
	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testserver"
)

// The resources the captured requests name.
const (
	vectorAccount = "123456789012"
	vectorAnchor  = "aaaaaaaa-1111-2222-3333-444444444444"
	vectorProfile = "bbbbbbbb-1111-2222-3333-444444444444"
)

type pinnedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *pinnedClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *pinnedClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// vectorServer starts a server whose store holds the account, trust
// anchor (the vectors' two root CAs), role and profile the captured
// requests name, with a pinned clock.
func vectorServer(t *testing.T, root string, clk *pinnedClock, caFiles []string, rolePath string) (string, string) {
	t.Helper()
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "roam.db"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	var bundle string
	for _, f := range caFiles {
		bundle += readFile(t, filepath.Join(root, f))
	}
	key, _ := credentials.NewSealingKey(at)
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],` +
		`"Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/` + vectorAnchor + `"}}}]}`
	for _, err := range []error{
		st.CreateAccount(ctx, &store.Account{ID: vectorAccount, Region: "us-east-1", Partition: "aws", RootAccessKeyID: "AKIAVECTORSVECTORS01", RootSecretAccessKey: "secret", CreatedAt: at}),
		st.AddSealingKey(ctx, key),
		st.CreateTrustAnchor(ctx, &store.TrustAnchor{ID: vectorAnchor, Name: "vectors", SourceType: "CERTIFICATE_BUNDLE", SourceData: bundle, Enabled: true, CreatedAt: at, UpdatedAt: at}),
		st.CreateRole(ctx, &store.Role{Name: "TestRole", ID: "AROAVECTORSVECTORS012", Path: rolePath, AssumeRolePolicyDocument: trust, MaxSessionDuration: 43200, CreatedAt: at}),
		st.CreateProfile(ctx, &store.Profile{ID: vectorProfile, Name: "vectors", Enabled: true, DurationSeconds: 43200, AcceptRoleSessionName: true,
			RoleArns: []string{"arn:aws:iam::123456789012:role" + rolePath + "TestRole"}, CreatedAt: at, UpdatedAt: at}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	return testserver.Start(t, testserver.Options{DataDir: dir, AccountID: vectorAccount, Now: clk.Now}).URL, dir
}

// capturedRequests lists every captured CreateSession request whose
// signature the capture server verified, with its verification record.
func capturedRequests(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") || !strings.Contains(path, string(filepath.Separator)+"captured"+string(filepath.Separator)+"req-") {
			return err
		}
		var rec struct{ Verify struct{ Valid bool } }
		b, _ := os.ReadFile(path)
		if json.Unmarshal(b, &rec) == nil && rec.Verify.Valid {
			rel, _ := filepath.Rel(root, strings.TrimSuffix(path, ".json")+".raw")
			out[rel] = strings.TrimSuffix(path, ".json") + ".raw"
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCapturedRequestsAccepted replays every valid request the official
// aws_signing_helper 1.8.0 sent, with the server's clock pinned to its
// X-Amz-Date: roam grants credentials for each, except where AWS too would
// refuse the request itself (durations outside 900–43200, an empty
// roleArn, a scope signed for another region, certificates that are not
// valid end-entity certificates).
func TestCapturedRequestsAccepted(t *testing.T) {
	root := testenv.Vectors(t)
	clk := &pinnedClock{}
	// Three servers, as AWS would need three trust anchors (one holds two
	// CAs at most) and a role path of its own for the serve run.
	servers := map[string]string{}
	var defaultData string
	servers["default"], defaultData = vectorServer(t, root, clk, []string{"rsa2048/ca-cert.pem", "ecdsa-p256/ca-cert.pem"}, "/")
	servers["intermediate"], _ = vectorServer(t, root, clk, []string{"rsa2048-with-intermediate/ca-cert.pem"}, "/")
	servers["role path"], _ = vectorServer(t, root, clk, []string{"rsa2048/ca-cert.pem"}, "/path/to/")
	reqs := capturedRequests(t, root)
	names := make([]string, 0, len(reqs))
	for name := range reqs {
		names = append(names, name)
	}
	sort.Strings(names)
	if len(names) < 50 {
		t.Fatalf("only %d captured requests found", len(names))
	}
	accepted := 0
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(reqs[name])
			if err != nil {
				t.Fatal(err)
			}
			captured, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(captured.Body)
			at, err := sigv4.ParseTime(captured.Header.Get("X-Amz-Date"))
			if err != nil {
				t.Fatal(err)
			}
			clk.Set(at.Add(30 * time.Second))

			// A reverse proxy strips a path prefix; the Host the client
			// signed is preserved.
			path := captured.URL.RequestURI()
			if i := strings.Index(path, "/sessions"); i > 0 {
				path = path[i:]
			}
			url := servers["default"]
			switch {
			case strings.HasPrefix(name, "rsa2048-with-intermediate"):
				url = servers["intermediate"]
			case strings.Contains(captured.URL.RawQuery, "path%2Fto"):
				url = servers["role path"]
			}
			req, _ := http.NewRequest(captured.Method, url+path, bytes.NewReader(body))
			req.Header = captured.Header.Clone()
			req.Host = captured.Host
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			respBody, _ := io.ReadAll(resp.Body)
			resp.Body.Close()

			want, why := http.StatusCreated, ""
			switch {
			case strings.HasPrefix(name, "pkcs11-softhsm"):
				want, why = http.StatusForbidden, "its certificate is a self-signed CA, which AWS refuses as an end-entity certificate"
			case strings.Contains(name, "region-override"):
				want, why = http.StatusForbidden, "signed for eu-west-1, sent to a us-east-1 endpoint"
			case strings.Contains(name, "missing-role-arn"):
				want, why = http.StatusBadRequest, "roleArn is empty"
			case durationOutOfRange(body):
				want, why = http.StatusBadRequest, "durationSeconds outside 900–43200: "+string(body)
			}
			if resp.StatusCode != want {
				t.Fatalf("status %d, want %d (%s): %s", resp.StatusCode, want, why, respBody)
			}
			if want == http.StatusCreated {
				accepted++
			}
		})
	}
	t.Logf("%d of %d captured requests granted credentials", accepted, len(names))
	// The PKCS#11 requests carry the helper's chain quirk (the leaf twice
	// and the token's other certificate): they are refused for their leaf,
	// a self-signed CA certificate, not for the chain.
	checkAuditFile(t, defaultData, []string{"leaf.is_ca", "scope.region"})
}

func durationOutOfRange(body []byte) bool {
	var in struct{ DurationSeconds int64 }
	_ = json.Unmarshal(body, &in)
	return in.DurationSeconds < 900 || in.DurationSeconds > 43200
}

// TestMLDSAFixture replays the official helper's ML-DSA-65 requests (the
// helper project's own fixture, read from ../shared): their signatures
// verify, and with the fixture registered as the trust anchor CreateSession
// refuses them because the fixture is a self-signed CA certificate, which
// AWS refuses as an end-entity certificate.
func TestMLDSAFixture(t *testing.T) {
	dir := filepath.Join(testenv.SharedDir(t), "testdata", "signing-helper-vectors", "mldsa65")
	clk := &pinnedClock{}
	url, dataDir := vectorServer(t, filepath.Dir(dir), clk, []string{"mldsa65/leaf-cert.pem"}, "/")
	for _, run := range []string{"run1", "run2"} {
		raw, err := os.ReadFile(filepath.Join(dir, run, "captured", "req-001.raw"))
		if err != nil {
			t.Fatal(err)
		}
		captured, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(captured.Body)
		at, err := sigv4.ParseTime(captured.Header.Get("X-Amz-Date"))
		if err != nil {
			t.Fatal(err)
		}
		clk.Set(at)
		req, _ := http.NewRequest("POST", url+captured.URL.RequestURI(), bytes.NewReader(body))
		req.Header, req.Host = captured.Header.Clone(), captured.Host
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: status %d, want 403 (the leaf is a CA certificate)", run, resp.StatusCode)
		}
	}
	checkAuditFile(t, dataDir, []string{"leaf.is_ca"})
}
