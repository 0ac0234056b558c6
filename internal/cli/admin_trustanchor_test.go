package cli_test

import (
	"context"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/roam-dev/roam/internal/admin"
	"github.com/roam-dev/roam/internal/pki"
	"github.com/roam-dev/roam/internal/testpki"
)

// adminTAJSON is a trust anchor as --output json prints it.
type adminTAJSON struct {
	TrustAnchorID  string `json:"trustAnchorId"`
	TrustAnchorArn string `json:"trustAnchorArn"`
	Name           string `json:"name"`
	Source         struct {
		SourceType string            `json:"sourceType"`
		SourceData map[string]string `json:"sourceData"`
	} `json:"source"`
	Enabled              bool       `json:"enabled"`
	CreatedAt            *time.Time `json:"createdAt"`
	UpdatedAt            *time.Time `json:"updatedAt"`
	NotificationSettings []struct {
		Enabled      bool   `json:"enabled"`
		Event        string `json:"event"`
		Threshold    int    `json:"threshold"`
		Channel      string `json:"channel"`
		ConfiguredBy string `json:"configuredBy"`
	} `json:"notificationSettings"`
}

type adminTADoc struct {
	TrustAnchor adminTAJSON `json:"trustAnchor"`
}

// getTrustAnchor reads a trust anchor from the server with the SDK.
func (s *adminServer) getTrustAnchor(t *testing.T, id string) *ratypes.TrustAnchorDetail {
	t.Helper()
	out, err := s.ra.GetTrustAnchor(context.Background(), &rolesanywhere.GetTrustAnchorInput{TrustAnchorId: aws.String(id)})
	if err != nil {
		t.Fatalf("GetTrustAnchor %s: %v", id, err)
	}
	return out.TrustAnchor
}

func TestAdminTrustAnchor(t *testing.T) {
	s := adminStart(t)
	root := testpki.NewCA(t, testpki.WithSubject(pkix.Name{Organization: []string{"ABC Inc."}, CommonName: "ABC Root CA"}))
	next := testpki.NewCA(t, testpki.WithCN("ABC Root CA 2"))
	caFile := adminWriteCA(t, root.Cert, next.Cert)

	// create: the table describes the new trust anchor.
	r := s.mustRun(t, "trust-anchor", "create", "--name", "abc", "--ca-file", caFile)
	f := adminFields(t, r.stdout)
	id := strings.Join(f["ID"], "")
	if id == "" {
		t.Fatalf("no ID:\n%s", r.stdout)
	}
	ta := s.getTrustAnchor(t, id)
	want := map[string][]string{
		"Name":    {"abc"},
		"ID":      {id},
		"ARN":     {aws.ToString(ta.TrustAnchorArn)},
		"Enabled": {"true"},
		"Source":  {"CERTIFICATE_BUNDLE"},
		"Certificates": {
			"O=ABC Inc., CN=ABC Root CA (not after " + root.Cert.NotAfter.UTC().Format(time.RFC3339) + ", sha256 " + pki.Fingerprint(root.Cert) + ")",
			"CN=ABC Root CA 2 (not after " + next.Cert.NotAfter.UTC().Format(time.RFC3339) + ", sha256 " + pki.Fingerprint(next.Cert) + ")",
		},
		"Created": {ta.CreatedAt.UTC().Format(time.RFC3339)},
		"Updated": {ta.UpdatedAt.UTC().Format(time.RFC3339)},
	}
	adminCompareFields(t, f, want)
	// The server holds both certificates and the trust anchor is enabled.
	if !aws.ToBool(ta.Enabled) || aws.ToString(ta.Name) != "abc" || ta.Source.SourceType != ratypes.TrustAnchorTypeCertificateBundle {
		t.Errorf("server state: enabled %v name %q source %v", aws.ToBool(ta.Enabled), aws.ToString(ta.Name), ta.Source.SourceType)
	}
	if got := admin.CertificateData(ta); got != string(testpki.PEM(root.Cert, next.Cert)) {
		t.Errorf("server bundle:\n%s", got)
	}

	// get by ID, ARN and name, as JSON: the API's object.
	for _, ref := range []string{id, aws.ToString(ta.TrustAnchorArn), "abc"} {
		var doc adminTADoc
		s.mustJSON(t, &doc, "trust-anchor", "get", ref)
		got := doc.TrustAnchor
		if got.TrustAnchorID != id || got.TrustAnchorArn != aws.ToString(ta.TrustAnchorArn) || got.Name != "abc" || !got.Enabled ||
			got.Source.SourceType != "CERTIFICATE_BUNDLE" || got.Source.SourceData["x509CertificateData"] != admin.CertificateData(ta) ||
			got.CreatedAt == nil || !got.CreatedAt.Equal(*ta.CreatedAt) || len(got.NotificationSettings) != len(ta.NotificationSettings) {
			t.Errorf("get %s: %+v", ref, got)
		}
	}
	// get in a table.
	if got := adminFields(t, s.mustRun(t, "trust-anchor", "get", "abc").stdout); strings.Join(got["ID"], "") != id {
		t.Errorf("get abc: %v", got)
	}

	// A second, disabled, trust anchor; list shows both, sorted by name.
	var created adminTADoc
	s.mustJSON(t, &created, "trust-anchor", "create", "--name", "a-disabled", "--ca-file", adminWriteCA(t, next.Cert), "--disabled")
	if created.TrustAnchor.Enabled || aws.ToBool(s.getTrustAnchor(t, created.TrustAnchor.TrustAnchorID).Enabled) {
		t.Error("--disabled created an enabled trust anchor")
	}
	rows := adminTable(t, s.mustRun(t, "trust-anchor", "list").stdout)
	wantRows := []map[string]string{
		{"NAME": "a-disabled", "ID": created.TrustAnchor.TrustAnchorID, "ENABLED": "false", "CA": "CN=ABC Root CA 2",
			"NOT AFTER": next.Cert.NotAfter.UTC().Format(time.RFC3339), "CREATED": created.TrustAnchor.CreatedAt.UTC().Format(time.RFC3339)},
		{"NAME": "abc", "ID": id, "ENABLED": "true", "CA": "CN=ABC Root CA; CN=ABC Root CA 2",
			"NOT AFTER": adminEarliest(root.Cert, next.Cert), "CREATED": ta.CreatedAt.UTC().Format(time.RFC3339)},
	}
	adminCompareRows(t, rows, wantRows)
	var list struct {
		TrustAnchors []adminTAJSON `json:"trustAnchors"`
	}
	s.mustJSON(t, &list, "trust-anchor", "list")
	if len(list.TrustAnchors) != 2 || list.TrustAnchors[0].Name != "a-disabled" || list.TrustAnchors[1].TrustAnchorID != id {
		t.Errorf("list JSON: %+v", list.TrustAnchors)
	}

	// disable and enable change the server's state.
	r = s.mustRun(t, "trust-anchor", "disable", "abc")
	if r.stdout != "disabled trust anchor abc ("+id+")\n" {
		t.Errorf("disable printed %q", r.stdout)
	}
	if aws.ToBool(s.getTrustAnchor(t, id).Enabled) {
		t.Error("disable left the trust anchor enabled")
	}
	var enabled adminTADoc
	s.mustJSON(t, &enabled, "trust-anchor", "enable", aws.ToString(ta.TrustAnchorArn))
	if !enabled.TrustAnchor.Enabled || !aws.ToBool(s.getTrustAnchor(t, id).Enabled) {
		t.Error("enable left the trust anchor disabled")
	}

	// Two trust anchors with one name: a name is refused, an ID is not.
	s.mustRun(t, "trust-anchor", "create", "--name", "twin", "--ca-file", caFile)
	s.mustRun(t, "trust-anchor", "create", "--name", "twin", "--ca-file", caFile)
	s.wantErrorMatch(t, `admin trust-anchor get: 2 trust anchors are named "twin" \([0-9a-f-]{36}, [0-9a-f-]{36}\); name one by ID or ARN`, "trust-anchor", "get", "twin")

	// delete removes it from the server.
	r = s.mustRun(t, "trust-anchor", "delete", id)
	if r.stdout != "deleted trust anchor abc ("+id+")\n" {
		t.Errorf("delete printed %q", r.stdout)
	}
	_, err := s.ra.GetTrustAnchor(context.Background(), &rolesanywhere.GetTrustAnchorInput{TrustAnchorId: aws.String(id)})
	var nf *ratypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("after delete, GetTrustAnchor: %v", err)
	}
	s.wantError(t, "admin trust-anchor get: ResourceNotFoundException: Trust anchor not found", "trust-anchor", "get", id)
}

func TestAdminTrustAnchorErrors(t *testing.T) {
	s := adminStart(t)
	ca := testpki.NewCA(t)
	leaf := ca.Leaf(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	empty := write("empty.pem", nil)
	text := write("text.pem", []byte("hello\n"))
	key := write("key.pem", testpki.KeyPEM(t, ca.Key))
	three := write("three.pem", testpki.PEM(ca.Cert, testpki.NewCA(t).Cert, testpki.NewCA(t).Cert))
	leafFile := write("leaf.pem", testpki.PEM(leaf.Cert))
	der := write("ca.der", ca.Cert.Raw)
	missing := filepath.Join(dir, "missing.pem")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"error/empty file", []string{"create", "--name", "x", "--ca-file", empty}, "--ca-file " + empty + " holds no certificate"},
		{"error/not PEM", []string{"create", "--name", "x", "--ca-file", text}, "--ca-file " + text + " holds no certificate"},
		{"error/a key", []string{"create", "--name", "x", "--ca-file", key}, "--ca-file " + key + `: unexpected PEM block "PRIVATE KEY" where a CERTIFICATE was expected`},
		{"error/three certificates", []string{"create", "--name", "x", "--ca-file", three}, "--ca-file " + three + " holds 3 certificates; a trust anchor takes at most 2 (two during a CA rotation)"},
		{"error/a leaf", []string{"create", "--name", "x", "--ca-file", leafFile}, "--ca-file " + leafFile + ": certificate 1 (CN=test-client) is not a CA certificate (basicConstraints CA:false); register the CA that issued it"},
		{"error/missing file", []string{"create", "--name", "x", "--ca-file", missing}, "--ca-file: open " + missing + ": no such file or directory"},
		{"error/bad name", []string{"create", "--name", "no/slash", "--ca-file", der}, "ValidationException: "},
		{"error/unknown name", []string{"get", "nobody"}, `no trust anchor is named "nobody"`},
		{"error/profile ARN", []string{"enable", "arn:aws:rolesanywhere:us-east-1:111122223333:profile/0ace5b12-24b9-427e-a483-c55884852fbf"},
			"arn:aws:rolesanywhere:us-east-1:111122223333:profile/0ace5b12-24b9-427e-a483-c55884852fbf is not a trust anchor ARN (want arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID)"},
		{"error/unknown ID", []string{"delete", "0ace5b12-24b9-427e-a483-c55884852fbf"}, "ResourceNotFoundException: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.run(t, append([]string{"trust-anchor"}, tt.args...)...)
			prefix := "roam: admin trust-anchor " + tt.args[0] + ": " + tt.want
			if r.code != 1 || !strings.HasPrefix(r.stderr, prefix) || (!strings.HasSuffix(tt.want, ": ") && r.stderr != prefix+"\n") {
				t.Errorf("exit %d, stderr %q\nwant 1, %q", r.code, r.stderr, prefix)
			}
		})
	}
	// Nothing was created by the failures; a DER certificate works.
	var doc adminTADoc
	s.mustJSON(t, &doc, "trust-anchor", "create", "--name", "der", "--ca-file", der)
	if doc.TrustAnchor.Source.SourceData["x509CertificateData"] != string(testpki.PEM(ca.Cert)) {
		t.Errorf("a DER certificate was sent as %q", doc.TrustAnchor.Source.SourceData["x509CertificateData"])
	}
	out, err := s.ra.ListTrustAnchors(context.Background(), &rolesanywhere.ListTrustAnchorsInput{})
	if err != nil || len(out.TrustAnchors) != 1 {
		t.Errorf("the server holds %d trust anchors (%v), want 1", len(out.TrustAnchors), err)
	}
	// A missing argument is a usage error.
	r := s.run(t, "trust-anchor", "get")
	if r.code != 1 || !strings.HasPrefix(r.stderr, "Error: accepts 1 arg(s), received 0\nUsage:") {
		t.Errorf("get without an argument: exit %d, stderr %q", r.code, r.stderr)
	}
}

func adminEarliest(certs ...*x509.Certificate) string {
	earliest := certs[0].NotAfter
	for _, c := range certs[1:] {
		if c.NotAfter.Before(earliest) {
			earliest = c.NotAfter
		}
	}
	return earliest.UTC().Format(time.RFC3339)
}

func adminCompareFields(t *testing.T, got, want map[string][]string) {
	t.Helper()
	for k, w := range want {
		if strings.Join(got[k], "\n") != strings.Join(w, "\n") {
			t.Errorf("field %s:\n got %q\nwant %q", k, got[k], w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected field %s: %q", k, got[k])
		}
	}
}

func adminCompareRows(t *testing.T, got, want []map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d rows, want %d:\n%v", len(got), len(want), got)
	}
	for i := range want {
		for k, w := range want[i] {
			if got[i][k] != w {
				t.Errorf("row %d column %s: got %q, want %q", i, k, got[i][k], w)
			}
		}
		if len(got[i]) != len(want[i]) {
			t.Errorf("row %d has columns %v, want %v", i, got[i], want[i])
		}
	}
}
