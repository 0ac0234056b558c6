package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

	"github.com/roam-dev/roam/internal/testenv"
	"github.com/roam-dev/roam/internal/testpki"
)

// cliTrustAnchor, cliProfile and cliCrl are the parts of the AWS CLI's
// JSON output the test reads.
type cliTrustAnchor struct {
	TrustAnchorID        string `json:"trustAnchorId"`
	TrustAnchorArn       string `json:"trustAnchorArn"`
	Name                 string `json:"name"`
	Enabled              bool   `json:"enabled"`
	CreatedAt            string `json:"createdAt"`
	NotificationSettings []struct {
		Event   string `json:"event"`
		Enabled bool   `json:"enabled"`
	} `json:"notificationSettings"`
	Source struct {
		SourceType string            `json:"sourceType"`
		SourceData map[string]string `json:"sourceData"`
	} `json:"source"`
}

type cliProfile struct {
	ProfileID         string   `json:"profileId"`
	Name              string   `json:"name"`
	Enabled           bool     `json:"enabled"`
	RoleArns          []string `json:"roleArns"`
	DurationSeconds   int      `json:"durationSeconds"`
	AttributeMappings []struct {
		CertificateField string `json:"certificateField"`
		MappingRules     []struct {
			Specifier string `json:"specifier"`
		} `json:"mappingRules"`
	} `json:"attributeMappings"`
}

func (p cliProfile) specifiers(field string) []string {
	var out []string
	for _, m := range p.AttributeMappings {
		if m.CertificateField == field {
			for _, r := range m.MappingRules {
				out = append(out, r.Specifier)
			}
		}
	}
	return out
}

type cliCrl struct {
	CrlID          string `json:"crlId"`
	Name           string `json:"name"`
	Enabled        bool   `json:"enabled"`
	CrlData        string `json:"crlData"`
	TrustAnchorArn string `json:"trustAnchorArn"`
}

// TestCLISubset runs a representative subset of `aws rolesanywhere`
// against roam with the AWS CLI as installed, and checks every output
// parses and holds what was sent.
func TestCLISubset(t *testing.T) {
	awsCLI := testenv.Tool(t, "aws")
	e := start(t)
	ctx := context.Background()
	ca := testpki.NewCA(t, testpki.WithCN("CLI CA"))
	caPEM := string(testpki.PEM(ca.Cert))
	dir := t.TempDir()
	crlFile := filepath.Join(dir, "crl.pem")
	crlPEM := makeCRL(t, ca, big.NewInt(1001))
	writeFile(t, crlFile, string(crlPEM), 0o644)
	role := e.createRole(t, "cli-role")

	admin := []string{"AWS_SHARED_CREDENTIALS_FILE=" + e.adminFile}
	var cli cliRunner = func(t *testing.T, v any, args ...string) {
		t.Helper()
		out, err := run(t, admin, awsCLI, append([]string{"--endpoint-url", e.url, "--output", "json", "rolesanywhere"}, args...)...)
		if err != nil {
			t.Fatalf("aws rolesanywhere %s: %v", args[0], err)
		}
		if v == nil {
			if strings.TrimSpace(out) != "" {
				var doc map[string]any
				mustJSON(t, out, &doc)
			}
			return
		}
		// v is reused across commands: a member this output lacks must not
		// keep the previous command's value.
		reflect.ValueOf(v).Elem().SetZero()
		mustJSON(t, out, v)
	}

	// Trust anchor, with --source as JSON.
	source, _ := json.Marshal(map[string]any{"sourceType": "CERTIFICATE_BUNDLE", "sourceData": map[string]string{"x509CertificateData": caPEM}})
	var ta struct{ TrustAnchor cliTrustAnchor }
	cli(t, &ta, "create-trust-anchor", "--name", "cli-anchor", "--source", string(source), "--enabled", "--tags", "key=owner,value=cli")
	a := ta.TrustAnchor
	if a.Name != "cli-anchor" || !a.Enabled || a.Source.SourceType != "CERTIFICATE_BUNDLE" || a.Source.SourceData["x509CertificateData"] != caPEM || a.CreatedAt == "" {
		t.Fatalf("create-trust-anchor output: %+v", a)
	}
	if !strings.HasSuffix(a.TrustAnchorArn, ":trust-anchor/"+a.TrustAnchorID) {
		t.Errorf("trustAnchorArn %s does not end with the ID %s", a.TrustAnchorArn, a.TrustAnchorID)
	}

	t.Run("trust anchor", func(t *testing.T) { cliTrustAnchorCommands(t, e, cli, a, caPEM) })
	t.Run("profile", func(t *testing.T) { cliProfileCommands(t, cli, role) })
	t.Run("crl and tags", func(t *testing.T) { cliCrlAndTagCommands(t, e, cli, a, crlFile, crlPEM) })

	cli(t, &ta, "delete-trust-anchor", "--trust-anchor-id", a.TrustAnchorID)
	if ta.TrustAnchor.TrustAnchorID != a.TrustAnchorID {
		t.Errorf("delete-trust-anchor output names %s", ta.TrustAnchor.TrustAnchorID)
	}
	_, err := e.ra.GetTrustAnchor(ctx, &rolesanywhere.GetTrustAnchorInput{TrustAnchorId: aws.String(a.TrustAnchorID)})
	var nf *ratypes.ResourceNotFoundException
	if !errors.As(err, &nf) {
		t.Errorf("GetTrustAnchor after delete-trust-anchor: %v, want ResourceNotFoundException", err)
	}
}

// cliRunner runs `aws rolesanywhere ARGS...` and decodes its output into v.
type cliRunner func(t *testing.T, v any, args ...string)

func cliTrustAnchorCommands(t *testing.T, e *env, cli cliRunner, a cliTrustAnchor, caPEM string) {
	ctx := context.Background()
	var ta struct{ TrustAnchor cliTrustAnchor }
	// Pagination: 3 anchors, pages of 1 from the server, 2 items per CLI
	// page, resumed with --starting-token.
	want := []string{a.TrustAnchorID}
	for _, name := range []string{"cli-extra-1", "cli-extra-2"} {
		out, err := e.ra.CreateTrustAnchor(ctx, &rolesanywhere.CreateTrustAnchorInput{Name: aws.String(name),
			Source: &ratypes.Source{SourceType: ratypes.TrustAnchorTypeCertificateBundle, SourceData: &ratypes.SourceDataMemberX509CertificateData{Value: caPEM}}})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, *out.TrustAnchor.TrustAnchorId)
	}
	type listPage struct {
		TrustAnchors []cliTrustAnchor
		NextToken    string
	}
	var p1, p2 listPage
	cli(t, &p1, "list-trust-anchors", "--page-size", "1", "--max-items", "2")
	if len(p1.TrustAnchors) != 2 || p1.NextToken == "" {
		t.Fatalf("first page: %d items, NextToken %q; want 2 and a token", len(p1.TrustAnchors), p1.NextToken)
	}
	cli(t, &p2, "list-trust-anchors", "--page-size", "1", "--max-items", "2", "--starting-token", p1.NextToken)
	var got []string
	for _, x := range append(p1.TrustAnchors, p2.TrustAnchors...) {
		got = append(got, x.TrustAnchorID)
	}
	if p2.NextToken != "" || !slices.Equal(sortedStrings(got), sortedStrings(want)) {
		t.Errorf("paged IDs %v (last NextToken %q), want each of %v once", got, p2.NextToken, want)
	}

	cli(t, &ta, "get-trust-anchor", "--trust-anchor-id", a.TrustAnchorID)
	if ta.TrustAnchor.TrustAnchorArn != a.TrustAnchorArn {
		t.Errorf("get-trust-anchor: %+v", ta.TrustAnchor)
	}
	cli(t, &ta, "update-trust-anchor", "--trust-anchor-id", a.TrustAnchorID, "--name", "cli-anchor-renamed")
	if ta.TrustAnchor.Name != "cli-anchor-renamed" {
		t.Errorf("update-trust-anchor: name %q", ta.TrustAnchor.Name)
	}
	cli(t, &ta, "disable-trust-anchor", "--trust-anchor-id", a.TrustAnchorID)
	if ta.TrustAnchor.Enabled {
		t.Error("disable-trust-anchor: still enabled")
	}
	cli(t, &ta, "enable-trust-anchor", "--trust-anchor-id", a.TrustAnchorID)
	if !ta.TrustAnchor.Enabled {
		t.Error("enable-trust-anchor: still disabled")
	}
	cli(t, &ta, "put-notification-settings", "--trust-anchor-id", a.TrustAnchorID, "--notification-settings", "enabled=false,event=END_ENTITY_CERTIFICATE_EXPIRY")
	found := false
	for _, s := range ta.TrustAnchor.NotificationSettings {
		if s.Event == "END_ENTITY_CERTIFICATE_EXPIRY" {
			found = true
			if s.Enabled {
				t.Errorf("put-notification-settings: %+v", ta.TrustAnchor.NotificationSettings)
			}
		}
	}
	if !found {
		t.Errorf("put-notification-settings: no END_ENTITY_CERTIFICATE_EXPIRY setting in %+v", ta.TrustAnchor.NotificationSettings)
	}

}

func cliProfileCommands(t *testing.T, cli cliRunner, role string) {
	var pr struct{ Profile cliProfile }
	cli(t, &pr, "create-profile", "--name", "cli-profile", "--role-arns", role, "--duration-seconds", "1800", "--enabled")
	p := pr.Profile
	if p.Name != "cli-profile" || !p.Enabled || !slices.Equal(p.RoleArns, []string{role}) || p.DurationSeconds != 1800 {
		t.Fatalf("create-profile output: %+v", p)
	}
	cli(t, &pr, "put-attribute-mapping", "--profile-id", p.ProfileID, "--certificate-field", "x509Subject", "--mapping-rules", "specifier=CN", "specifier=OU")
	if got := pr.Profile.specifiers("x509Subject"); !slices.Equal(got, []string{"CN", "OU"}) {
		t.Errorf("put-attribute-mapping: x509Subject rules %v", got)
	}
	cli(t, &pr, "delete-attribute-mapping", "--profile-id", p.ProfileID, "--certificate-field", "x509Subject", "--specifiers", "OU")
	if got := pr.Profile.specifiers("x509Subject"); !slices.Equal(got, []string{"CN"}) {
		t.Errorf("delete-attribute-mapping: x509Subject rules %v", got)
	}

	cli(t, &pr, "delete-profile", "--profile-id", p.ProfileID)
	if pr.Profile.ProfileID != p.ProfileID {
		t.Errorf("delete-profile output names %s", pr.Profile.ProfileID)
	}
}

func cliCrlAndTagCommands(t *testing.T, e *env, cli cliRunner, a cliTrustAnchor, crlFile string, crlPEM []byte) {
	ctx := context.Background()
	// CRL: fileb:// makes the CLI send base64 of the file's bytes.
	var cr struct{ Crl cliCrl }
	cli(t, &cr, "import-crl", "--name", "cli-crl", "--crl-data", "fileb://"+crlFile, "--trust-anchor-arn", a.TrustAnchorArn)
	c := cr.Crl
	data, err := base64.StdEncoding.DecodeString(c.CrlData)
	if err != nil || !bytes.Equal(data, crlPEM) {
		t.Errorf("import-crl: crlData %q does not decode to the file sent (%v)", short(c.CrlData), err)
	}
	if c.Name != "cli-crl" || c.Enabled || c.TrustAnchorArn != a.TrustAnchorArn {
		t.Errorf("import-crl output: %+v", c)
	}
	var crls struct{ Crls []cliCrl }
	cli(t, &crls, "list-crls")
	if len(crls.Crls) != 1 || crls.Crls[0].CrlID != c.CrlID {
		t.Errorf("list-crls: %+v", crls.Crls)
	}
	cli(t, &cr, "enable-crl", "--crl-id", c.CrlID)
	if !cr.Crl.Enabled {
		t.Error("enable-crl: still disabled")
	}

	// Tags.
	cli(t, nil, "tag-resource", "--resource-arn", a.TrustAnchorArn, "--tags", "key=stage,value=test")
	var tags struct{ Tags []struct{ Key, Value string } }
	cli(t, &tags, "list-tags-for-resource", "--resource-arn", a.TrustAnchorArn)
	tagMap := map[string]string{}
	for _, tg := range tags.Tags {
		tagMap[tg.Key] = tg.Value
	}
	if len(tagMap) != 2 || tagMap["owner"] != "cli" || tagMap["stage"] != "test" {
		t.Errorf("list-tags-for-resource: %+v", tags.Tags)
	}
	cli(t, nil, "untag-resource", "--resource-arn", a.TrustAnchorArn, "--tag-keys", "stage")
	left, err := e.ra.ListTagsForResource(ctx, &rolesanywhere.ListTagsForResourceInput{ResourceArn: aws.String(a.TrustAnchorArn)})
	if err != nil || len(left.Tags) != 1 || aws.ToString(left.Tags[0].Key) != "owner" {
		t.Errorf("after untag-resource: %v %v", left, err)
	}

	cli(t, &cr, "delete-crl", "--crl-id", c.CrlID)
	if cr.Crl.CrlID != c.CrlID {
		t.Errorf("delete-crl output names %s", cr.Crl.CrlID)
	}
}

func sortedStrings(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
