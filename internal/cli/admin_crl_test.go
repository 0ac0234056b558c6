package cli_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/roam-dev/roam/internal/pki"
	"github.com/roam-dev/roam/internal/testpki"
)

// adminCRLJSON is a CRL as --output json prints it.
type adminCRLJSON struct {
	CrlID          string     `json:"crlId"`
	CrlArn         string     `json:"crlArn"`
	Name           string     `json:"name"`
	Enabled        bool       `json:"enabled"`
	CrlData        []byte     `json:"crlData"`
	TrustAnchorArn string     `json:"trustAnchorArn"`
	CreatedAt      *time.Time `json:"createdAt"`
	UpdatedAt      *time.Time `json:"updatedAt"`
}

type adminCRLDoc struct {
	Crl adminCRLJSON `json:"crl"`
}

// adminMustRoam runs a roam command (not admin) in-process at the real time.
func adminMustRoam(t *testing.T, args ...string) adminResult {
	t.Helper()
	r := adminRunEnv(t, nil, args...)
	if r.code != 0 {
		t.Fatalf("roam %s: exit %d: %s", strings.Join(args, " "), r.code, r.stderr)
	}
	return r
}

func (s *adminServer) getCRL(t *testing.T, id string) *ratypes.CrlDetail {
	t.Helper()
	out, err := s.ra.GetCrl(context.Background(), &rolesanywhere.GetCrlInput{CrlId: aws.String(id)})
	if err != nil {
		t.Fatalf("GetCrl %s: %v", id, err)
	}
	return out.Crl
}

// TestAdminCRL revokes a certificate with roam ca, imports the CRL with
// roam admin, and checks the server refuses the certificate only while
// the CRL is enabled.
func TestAdminCRL(t *testing.T) {
	s := adminStart(t)
	dir := t.TempDir()
	caDir := filepath.Join(dir, "ca")
	adminMustRoam(t, "ca", "init", "--dir", caDir, "--key-type", "ec-p256", "--subject", "CN=CRL Test CA")
	adminMustRoam(t, "ca", "issue", "--dir", caDir, "--cn", "revoked", "--key-type", "ec-p256", "--out", filepath.Join(dir, "revoked"))
	adminMustRoam(t, "ca", "issue", "--dir", caDir, "--cn", "kept", "--key-type", "ec-p256", "--out", filepath.Join(dir, "kept"))
	adminMustRoam(t, "ca", "revoke", "--dir", caDir, "--cert", filepath.Join(dir, "revoked.pem"))
	crlFile := filepath.Join(dir, "ca.crl")
	adminMustRoam(t, "ca", "crl", "--dir", caDir, "--out", crlFile)
	pemData, err := os.ReadFile(crlFile)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemData)
	derFile := filepath.Join(dir, "ca.crl.der")
	if err := os.WriteFile(derFile, block.Bytes, 0o644); err != nil {
		t.Fatal(err)
	}
	revoked := caReadCerts(t, filepath.Join(dir, "revoked.pem"))[0]

	var ta adminTADoc
	s.mustJSON(t, &ta, "trust-anchor", "create", "--name", "ta", "--ca-file", filepath.Join(caDir, "ca.pem"))
	s.mustRun(t, "role", "create", "--name", "r", "--trust-anchor", "ta")
	s.mustRun(t, "profile", "create", "--name", "p", "--role", "r")

	// import: a DER file is sent as PEM; the CRL is enabled.
	r := s.mustRun(t, "crl", "import", "--name", "ca-crl", "--trust-anchor", "ta", "--crl-file", derFile)
	f := adminFields(t, r.stdout)
	id := strings.Join(f["ID"], "")
	crl := s.getCRL(t, id)
	if !aws.ToBool(crl.Enabled) || aws.ToString(crl.TrustAnchorArn) != ta.TrustAnchor.TrustAnchorArn || string(crl.CrlData) != string(pemData) {
		t.Errorf("server CRL: enabled %v anchor %s data %q", aws.ToBool(crl.Enabled), aws.ToString(crl.TrustAnchorArn), crl.CrlData)
	}
	parsed, err := x509.ParseRevocationList(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	adminCompareFields(t, f, map[string][]string{
		"Name": {"ca-crl"}, "ID": {id}, "ARN": {aws.ToString(crl.CrlArn)}, "Enabled": {"true"},
		"Trust anchor": {ta.TrustAnchor.TrustAnchorArn}, "Issuer": {"CN=CRL Test CA"}, "CRL number": {"1"},
		"This update":     {parsed.ThisUpdate.UTC().Format(time.RFC3339)},
		"Next update":     {parsed.NextUpdate.UTC().Format(time.RFC3339)},
		"Revoked serials": {pki.FormatSerial(revoked.SerialNumber)},
		"Created":         {crl.CreatedAt.UTC().Format(time.RFC3339)}, "Updated": {crl.UpdatedAt.UTC().Format(time.RFC3339)},
	})

	// A disabled second CRL, from the PEM file, by trust anchor ARN.
	var second adminCRLDoc
	s.mustJSON(t, &second, "crl", "import", "--name", "b-second", "--trust-anchor", ta.TrustAnchor.TrustAnchorArn, "--crl-file", crlFile, "--disabled")
	if second.Crl.Enabled || aws.ToBool(s.getCRL(t, second.Crl.CrlID).Enabled) || string(second.Crl.CrlData) != string(pemData) {
		t.Errorf("--disabled import: %+v", second.Crl)
	}

	// list, sorted by name.
	rows := adminTable(t, s.mustRun(t, "crl", "list").stdout)
	next := parsed.NextUpdate.UTC().Format(time.RFC3339)
	adminCompareRows(t, rows, []map[string]string{
		{"NAME": "b-second", "ID": second.Crl.CrlID, "ENABLED": "false", "TRUST ANCHOR": ta.TrustAnchor.TrustAnchorID, "REVOKED": "1", "NEXT UPDATE": next, "CREATED": second.Crl.CreatedAt.UTC().Format(time.RFC3339)},
		{"NAME": "ca-crl", "ID": id, "ENABLED": "true", "TRUST ANCHOR": ta.TrustAnchor.TrustAnchorID, "REVOKED": "1", "NEXT UPDATE": next, "CREATED": crl.CreatedAt.UTC().Format(time.RFC3339)},
	})
	var list struct {
		Crls []adminCRLJSON `json:"crls"`
	}
	s.mustJSON(t, &list, "crl", "list")
	if len(list.Crls) != 2 || list.Crls[1].CrlID != id || string(list.Crls[1].CrlData) != string(pemData) {
		t.Errorf("list JSON: %+v", list.Crls)
	}
	var got adminCRLDoc
	s.mustJSON(t, &got, "crl", "get", "ca-crl")
	if got.Crl.CrlID != id || got.Crl.CrlArn != aws.ToString(crl.CrlArn) || !got.Crl.Enabled {
		t.Errorf("get JSON: %+v", got.Crl)
	}

	// The revoked certificate gets no credentials while a CRL is enabled.
	var wt adminWalkthroughDoc
	s.mustJSON(t, &wt, "walkthrough", "--trust-anchor", "ta", "--profile", "p", "--role", "r",
		"--certificate", filepath.Join(dir, "revoked.pem"), "--private-key", filepath.Join(dir, "revoked.key"))
	if _, r := adminCredentialProcess(t, wt.CredentialProcess); r.code == 0 {
		t.Error("a revoked certificate got credentials")
	}
	keptLine := strings.ReplaceAll(wt.CredentialProcess, "revoked.", "kept.")
	if _, r := adminCredentialProcess(t, keptLine); r.code != 0 {
		t.Errorf("a certificate the CRL does not list: exit %d: %s", r.code, r.stderr)
	}
	if r := s.mustRun(t, "crl", "disable", id); r.stdout != "disabled CRL ca-crl ("+id+")\n" {
		t.Errorf("disable printed %q", r.stdout)
	}
	if aws.ToBool(s.getCRL(t, id).Enabled) {
		t.Error("disable left the CRL enabled")
	}
	if _, r := adminCredentialProcess(t, wt.CredentialProcess); r.code != 0 {
		t.Errorf("with the CRLs disabled: exit %d: %s", r.code, r.stderr)
	}
	var enabled adminCRLDoc
	s.mustJSON(t, &enabled, "crl", "enable", aws.ToString(crl.CrlArn))
	if !enabled.Crl.Enabled || !aws.ToBool(s.getCRL(t, id).Enabled) {
		t.Error("enable left the CRL disabled")
	}

	// delete.
	if r := s.mustRun(t, "crl", "delete", "ca-crl"); r.stdout != "deleted CRL ca-crl ("+id+")\n" {
		t.Errorf("delete printed %q", r.stdout)
	}
	_, err = s.ra.GetCrl(context.Background(), &rolesanywhere.GetCrlInput{CrlId: aws.String(id)})
	var nf *ratypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("after delete, GetCrl: %v", err)
	}
}

func TestAdminCRLErrors(t *testing.T) {
	s := adminStart(t)
	dir := t.TempDir()
	ca := testpki.NewCA(t)
	s.mustRun(t, "trust-anchor", "create", "--name", "ta", "--ca-file", adminWriteCA(t, ca.Cert))
	// A CRL signed by a CA the trust anchor does not hold.
	otherDir := filepath.Join(dir, "other")
	adminMustRoam(t, "ca", "init", "--dir", otherDir, "--key-type", "ec-p256", "--subject", "CN=Other CA")
	foreign := filepath.Join(dir, "other.crl")
	adminMustRoam(t, "ca", "crl", "--dir", otherDir, "--out", foreign)
	certFile := adminWriteCA(t, ca.Cert)
	textFile := adminWriteFile(t, "text.crl", "not a CRL\n")
	garbage := adminWriteFile(t, "garbage.crl", "\x30\x03\x02\x01\x01")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"error/a certificate", []string{"import", "--name", "x", "--trust-anchor", "ta", "--crl-file", certFile},
			"admin crl import: --crl-file " + certFile + ` holds a PEM "CERTIFICATE" block, not a CRL (want "X509 CRL")`},
		{"error/text", []string{"import", "--name", "x", "--trust-anchor", "ta", "--crl-file", textFile},
			"admin crl import: --crl-file " + textFile + ` holds no CRL (want PEM "X509 CRL" or DER)`},
		{"error/bad DER", []string{"import", "--name", "x", "--trust-anchor", "ta", "--crl-file", garbage},
			"admin crl import: --crl-file " + garbage + " holds no valid CRL: "},
		{"error/foreign CRL", []string{"import", "--name", "x", "--trust-anchor", "ta", "--crl-file", foreign},
			"admin crl import: ValidationException: "},
		{"error/unknown trust anchor", []string{"import", "--name", "x", "--trust-anchor", "nope", "--crl-file", foreign},
			`admin crl import: --trust-anchor nope: no trust anchor is named "nope"`},
		{"error/unknown CRL", []string{"get", "nope"}, `admin crl get: no CRL is named "nope"`},
		{"error/unknown CRL ID", []string{"enable", "0ace5b12-24b9-427e-a483-c55884852fbf"}, "admin crl enable: ResourceNotFoundException: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := s.run(t, append([]string{"crl"}, tt.args...)...)
			want := "roam: " + tt.want
			if r.code != 1 || !strings.HasPrefix(r.stderr, want) || (!strings.HasSuffix(want, ": ") && r.stderr != want+"\n") {
				t.Errorf("exit %d, stderr %q\nwant 1, %q", r.code, r.stderr, want)
			}
		})
	}
	out, err := s.ra.ListCrls(context.Background(), &rolesanywhere.ListCrlsInput{})
	if err != nil || len(out.Crls) != 0 {
		t.Errorf("failed imports left %d CRLs (%v)", len(out.Crls), err)
	}
}
