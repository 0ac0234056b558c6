package rolesanywhere

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/auth"
	"github.com/roam-dev/roam/internal/store"
	"github.com/roam-dev/roam/internal/testpki"
)

// checkResults flattens an explanation's checks to "rule=result[/reason]".
func checkResults(doc map[string]any) []string {
	var out []string
	for _, c := range doc["checks"].([]any) {
		m := c.(map[string]any)
		s := m["rule"].(string) + "=" + m["result"].(string)
		if r, ok := m["reason"].(string); ok {
			s += "/" + r
		}
		out = append(out, s)
	}
	return out
}

func TestExplain(t *testing.T) {
	h := newHandler(t)
	ctx := auth.WithPrincipal(context.Background(), root)
	ca := testpki.NewCA(t)
	inter := ca.Intermediate(t)
	leaf := inter.Leaf(t, testpki.WithCN("explained"))
	_, _, doc := call(t, h, "POST", "/trustanchors", map[string]any{"name": "a", "enabled": true,
		"source": map[string]any{"sourceType": "CERTIFICATE_BUNDLE", "sourceData": map[string]any{"x509CertificateData": string(testpki.PEM(ca.Cert))}}})
	taArn := doc["trustAnchor"].(map[string]any)["trustAnchorArn"].(string)
	roleArn := testScope.Role("/", "explained")
	noSourceIdentity := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"rolesanywhere.amazonaws.com"},"Action":["sts:AssumeRole","sts:TagSession"]}]}`
	if err := h.store.CreateRole(ctx, roleRecord("explained", noSourceIdentity)); err != nil {
		t.Fatal(err)
	}
	_, _, doc = call(t, h, "POST", "/profiles", map[string]any{"name": "p", "roleArns": []string{roleArn}, "durationSeconds": 900})
	profile := doc["profile"].(map[string]any)
	in := map[string]any{
		"certificate": string(testpki.PEM(leaf.Cert)), "chain": string(testpki.PEM(inter.Cert)),
		"trustAnchorArn": taArn, "profileArn": profile["profileArn"], "roleArn": roleArn,
	}

	status, _, doc := call(t, h, "POST", ExplainPath, in)
	if status != 200 {
		t.Fatalf("explain: %d %v", status, doc)
	}
	got := strings.Join(checkResults(doc), " ")
	want := "signature=skipped trust anchor=pass certificate path=pass revocation=pass profile=fail/profile.disabled role in profile=pass role=pass session=pass trust policy=fail/trust_policy.denied"
	if got != want {
		t.Fatalf("checks\n got %s\nwant %s", got, want)
	}
	if doc["decision"] != "deny" || doc["reason"] != "profile.disabled" || doc["message"] != "Unable to assume role for "+roleArn {
		t.Errorf("decision %v reason %v message %v", doc["decision"], doc["reason"], doc["message"])
	}
	if !strings.Contains(string(mustJSON(doc["checks"])), "add sts:SetSourceIdentity") {
		t.Errorf("the trust policy check does not say what to add: %v", doc["checks"])
	}

	// Fix both, and the explanation allows and previews the session.
	call(t, h, "POST", "/profile/"+profile["profileId"].(string)+"/enable", nil)
	if _, err := h.store.UpdateRole(ctx, "explained", func(r *store.Role) error {
		r.AssumeRolePolicyDocument = strings.Replace(noSourceIdentity, `"sts:TagSession"`, `"sts:TagSession","sts:SetSourceIdentity"`, 1)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	_, _, doc = call(t, h, "POST", ExplainPath, in)
	if doc["decision"] != "allow" {
		t.Fatalf("after the fixes: %v", doc)
	}
	sess := doc["session"].(map[string]any)
	if sess["sourceIdentity"] != "CN=explained" || sess["tags"].(map[string]any)["x509Subject/CN"] != "explained" {
		t.Errorf("session preview %v", sess)
	}

	// A time after the leaf expired: the path fails, later rules still run.
	in["at"] = leaf.Cert.NotAfter.Add(time.Hour).Format(time.RFC3339)
	_, _, doc = call(t, h, "POST", ExplainPath, in)
	if got := strings.Join(checkResults(doc), " "); !strings.Contains(got, "certificate path=fail/certificate.expired revocation=skipped profile=pass") {
		t.Errorf("expired: %s", got)
	}

	// Unusable input is a ValidationException.
	status, hdr, _ := call(t, h, "POST", ExplainPath, map[string]any{"certificate": "garbage", "trustAnchorArn": taArn})
	if status != 400 || hdr.Get("X-Amzn-ErrorType") != "ValidationException" {
		t.Errorf("garbage certificate: %d %s", status, hdr.Get("X-Amzn-ErrorType"))
	}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
