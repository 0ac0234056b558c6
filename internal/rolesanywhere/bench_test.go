//go:build unix

package rolesanywhere

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/auth"
	"github.com/roam-dev/roam/internal/testpki"
)

// benchSetup registers a CA, a role and a profile, and returns a signed
// CreateSession request for an RSA-2048 leaf.
func benchSetup(b *testing.B, h *Handler) (*http.Request, []byte, *testpki.Leaf) {
	b.Helper()
	ctx := auth.WithPrincipal(context.Background(), root)
	ca := testpki.NewCA(b, testpki.WithKeyType(testpki.RSA2048))
	leaf := ca.Leaf(b, testpki.WithKeyType(testpki.RSA2048))
	status, _, doc := call(b, h, "POST", "/trustanchors", map[string]any{"name": "bench", "enabled": true,
		"source": map[string]any{"sourceType": "CERTIFICATE_BUNDLE", "sourceData": map[string]any{"x509CertificateData": string(testpki.PEM(ca.Cert))}}})
	if status != 201 {
		b.Fatalf("trust anchor: %d %v", status, doc)
	}
	taArn := doc["trustAnchor"].(map[string]any)["trustAnchorArn"].(string)
	roleArn := testScope.Role("/", "bench")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession","sts:SetSourceIdentity"],"Condition":{"ArnEquals":{"aws:SourceArn":"` + taArn + `"},"StringEquals":{"aws:PrincipalTag/x509Subject/CN":"test-client"}}}]}`
	if err := h.store.CreateRole(ctx, roleRecord("bench", trust)); err != nil {
		b.Fatal(err)
	}
	status, _, doc = call(b, h, "POST", "/profiles", map[string]any{"name": "bench", "enabled": true, "roleArns": []string{roleArn}})
	if status != 201 {
		b.Fatalf("profile: %d %v", status, doc)
	}
	q := url.Values{"trustAnchorArn": {taArn}, "profileArn": {doc["profile"].(map[string]any)["profileArn"].(string)}, "roleArn": {roleArn}}
	body, _ := json.Marshal(map[string]int{"durationSeconds": 3600})
	req := httptest.NewRequest("POST", "http://roam.example/sessions?"+q.Encode(), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if _, err := sigv4x509Sign(req, body, leaf, time.Now()); err != nil {
		b.Fatal(err)
	}
	return req, body, leaf
}

// BenchmarkCreateSession measures the whole CreateSession handler on one
// replayed, validly signed request (RSA-2048 leaf), and reports its cost as
// a multiple of one RSA-2048 signature verification, the floor.
func BenchmarkCreateSession(b *testing.B) {
	h := newHandler(b)
	req, body, leaf := benchSetup(b, h)
	handler := h.SessionHandler()
	floor := rsaVerifyCost(b, leaf)
	run := func() int {
		r := req.Clone(req.Context())
		r.Body = readCloser(body)
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		return w.Code
	}
	if code := run(); code != http.StatusCreated {
		b.Fatalf("status %d", code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpuBefore := cpuTime(b)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if code := run(); code != http.StatusCreated {
				b.Errorf("status %d", code)
				return
			}
		}
	})
	cpuPerOp := (cpuTime(b) - cpuBefore) / time.Duration(b.N)
	b.ReportMetric(float64(floor.Nanoseconds()), "rsa-verify-ns")
	b.ReportMetric(float64(cpuPerOp.Nanoseconds()), "cpu-ns/op")
	b.ReportMetric(float64(cpuPerOp)/float64(floor), "x-floor")
}

// cpuTime is the process's CPU time so far (user and system).
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// rsaVerifyCost is the CPU time of one RSA-2048 PKCS#1 v1.5 verification
// (CPU time, like the handler's cost it is compared with).
func rsaVerifyCost(b *testing.B, leaf *testpki.Leaf) time.Duration {
	digest := sha256.Sum256([]byte("string to sign"))
	sig, err := leaf.Key.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		b.Fatal(err)
	}
	pub := leaf.Cert.PublicKey.(*rsa.PublicKey)
	const n = 2000
	start := cpuTime(b)
	for range n {
		if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
			b.Fatal(err)
		}
	}
	return (cpuTime(b) - start) / n
}
