package e2e

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"
	"github.com/aws/smithy-go"

	"github.com/roam-dev/roam/internal/session"
	"github.com/roam-dev/roam/internal/testpki"
)

// TestRevocation: an imported, enabled CRL refuses the certificates it
// lists, leaf or intermediate, at once; the CA's other certificates keep
// working; disabling or deleting the CRL lifts it.
func TestRevocation(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	root := testpki.NewCA(t)
	revoked := root.Leaf(t, testpki.WithCN("revoked"))
	sibling := root.Leaf(t, testpki.WithCN("sibling"))
	r := e.setup(t, "crl", string(testpki.PEM(root.Cert)))

	mustCreate := func(leaf *testpki.Leaf) {
		t.Helper()
		if status, _, doc := e.do(t, sessionCall{leaf: leaf, r: r}); status != http.StatusCreated {
			t.Fatalf("%s: %d %v", leaf.Cert.Subject, status, doc)
		}
	}
	mustCreate(revoked)

	imp, err := e.ra.ImportCrl(ctx, &rolesanywhere.ImportCrlInput{Name: aws.String("root-crl"), CrlData: makeCRL(t, root, revoked.Cert.SerialNumber), TrustAnchorArn: aws.String(r.TrustAnchorArn), Enabled: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	status, _, doc := e.do(t, sessionCall{leaf: revoked, r: r})
	if status != http.StatusForbidden || doc["message"] != "Untrusted signing certificate" {
		t.Fatalf("revoked certificate: %d %v", status, doc)
	}
	if rec := e.logs.lastAudit(t); rec["reason"] != "certificate.revoked" {
		t.Errorf("audit reason %v", rec["reason"])
	}
	mustCreate(sibling)

	if _, err := e.ra.DisableCrl(ctx, &rolesanywhere.DisableCrlInput{CrlId: imp.Crl.CrlId}); err != nil {
		t.Fatal(err)
	}
	mustCreate(revoked)
	if _, err := e.ra.EnableCrl(ctx, &rolesanywhere.EnableCrlInput{CrlId: imp.Crl.CrlId}); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := e.do(t, sessionCall{leaf: revoked, r: r}); status != http.StatusForbidden {
		t.Fatalf("re-enabled CRL: %d", status)
	}
	if _, err := e.ra.DeleteCrl(ctx, &rolesanywhere.DeleteCrlInput{CrlId: imp.Crl.CrlId}); err != nil {
		t.Fatal(err)
	}
	mustCreate(revoked)

	// A revoked intermediate refuses every leaf below it.
	inter := root.Intermediate(t)
	below := inter.Leaf(t)
	if status, _, doc := e.do(t, sessionCall{leaf: below, r: r, chain: []*x509.Certificate{inter.Cert}}); status != http.StatusCreated {
		t.Fatalf("leaf below the intermediate: %d %v", status, doc)
	}
	if _, err := e.ra.ImportCrl(ctx, &rolesanywhere.ImportCrlInput{Name: aws.String("intermediates"), CrlData: makeCRL(t, root, inter.Cert.SerialNumber), TrustAnchorArn: aws.String(r.TrustAnchorArn), Enabled: aws.Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := e.do(t, sessionCall{leaf: below, r: r, chain: []*x509.Certificate{inter.Cert}}); status != http.StatusForbidden {
		t.Fatalf("leaf below a revoked intermediate: %d, want 403", status)
	}
	if rec := e.logs.lastAudit(t); rec["reason"] != "certificate.revoked" || !strings.Contains(rec["explanation"].(string), "Test Intermediate CA") {
		t.Errorf("audit %v: %v", rec["reason"], rec["explanation"])
	}
	mustCreate(sibling)
}

// TestImportCrlRefusesForeignCRLs: a CRL must be signed by a certificate
// of the trust anchor, in PEM or DER, two per anchor at most.
func TestImportCrlRefusesForeignCRLs(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	root, other := testpki.NewCA(t), testpki.NewCA(t, testpki.WithCN("Other"))
	r := e.setup(t, "crls", string(testpki.PEM(root.Cert)))
	imp := func(data []byte) error {
		_, err := e.ra.ImportCrl(ctx, &rolesanywhere.ImportCrlInput{Name: aws.String("c"), CrlData: data, TrustAnchorArn: aws.String(r.TrustAnchorArn)})
		return err
	}
	if err := imp(makeCRL(t, other)); apiCodeOf(err) != "ValidationException" || !strings.Contains(err.Error(), "not signed by a certificate of the trust anchor") {
		t.Errorf("foreign CRL: %v", err)
	}
	if err := imp([]byte("not a crl")); apiCodeOf(err) != "ValidationException" {
		t.Errorf("garbage CRL: %v", err)
	}
	block, _ := pem.Decode(makeCRL(t, root))
	if err := imp(block.Bytes); err != nil {
		t.Errorf("DER CRL: %v", err)
	}
	if err := imp(makeCRL(t, root)); err != nil {
		t.Errorf("second CRL: %v", err)
	}
	if err := imp(makeCRL(t, root)); apiCodeOf(err) != "ValidationException" || !strings.Contains(err.Error(), "2 CRLs") {
		t.Errorf("third CRL: %v", err)
	}
}

func apiCodeOf(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestSubjects: CreateSession records the subject, its certificates (with
// failed attempts) and instance properties; ListSubjects and GetSubject
// return them.
func TestSubjects(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	ca := testpki.NewCA(t)
	leaf := ca.Leaf(t, testpki.WithCN("subject-client"))
	r := e.setup(t, "subj", string(testpki.PEM(ca.Cert)))
	status, _, doc := e.do(t, sessionCall{leaf: leaf, r: r, body: map[string]any{"instanceProperties": map[string]string{"host": "edge-1"}}})
	if status != http.StatusCreated {
		t.Fatalf("%d %v", status, doc)
	}
	subjectArn := doc["subjectArn"].(string)
	// A failed attempt with the same certificate: the role is not in the profile.
	if status, _, _ := e.do(t, sessionCall{leaf: leaf, r: r, roleArn: strings.Replace(r.RoleArn, r.RoleName, "nope", 1)}); status != http.StatusForbidden {
		t.Fatalf("want a failed attempt, got %d", status)
	}

	id := subjectArn[strings.LastIndexByte(subjectArn, '/')+1:]
	var got *rolesanywhere.GetSubjectOutput
	deadline := time.Now().Add(5 * time.Second)
	for {
		out, err := e.ra.GetSubject(ctx, &rolesanywhere.GetSubjectInput{SubjectId: aws.String(id)})
		if err == nil && len(out.Subject.Credentials) > 0 && aws.ToBool(out.Subject.Credentials[0].Failed) {
			got = out
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("subject %s not recorded with the failed attempt within 5s: %v %+v", id, err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	s := got.Subject
	if aws.ToString(s.X509Subject) != "CN=subject-client" || aws.ToString(s.SubjectArn) != subjectArn || !aws.ToBool(s.Enabled) {
		t.Errorf("subject %+v", s)
	}
	if len(s.Credentials) != 1 {
		t.Fatalf("credentials %+v: the same certificate should be one entry", s.Credentials)
	}
	c := s.Credentials[0]
	if aws.ToString(c.SerialNumber) != strings.ToUpper(session.HexSerial(leaf.Cert.SerialNumber)) || !strings.Contains(aws.ToString(c.X509CertificateData), "BEGIN CERTIFICATE") || aws.ToString(c.Issuer) != "CN=Test Root CA" {
		t.Errorf("credential %+v", c)
	}
	if len(s.InstanceProperties) == 0 || s.InstanceProperties[len(s.InstanceProperties)-1].Properties["host"] != "edge-1" {
		t.Errorf("instance properties %+v", s.InstanceProperties)
	}
	list, err := e.ra.ListSubjects(ctx, &rolesanywhere.ListSubjectsInput{})
	if err != nil || len(list.Subjects) != 1 || aws.ToString(list.Subjects[0].SubjectId) != id {
		t.Fatalf("ListSubjects: %v %+v", err, list)
	}
}

// TestAuthorization: credentials from CreateSession act with their role's
// permission policies, narrowed by the profile's session policy.
func TestAuthorization(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	ca := testpki.NewCA(t)
	leaf := ca.Leaf(t)
	r := e.setup(t, "authz", string(testpki.PEM(ca.Cert)))
	put := func(doc string) {
		t.Helper()
		if _, err := e.iam.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.RoleName), PolicyName: aws.String("p"), PolicyDocument: aws.String(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	sessionClients := func() (*rolesanywhere.Client, *iam.Client) {
		t.Helper()
		status, _, doc := e.do(t, sessionCall{leaf: leaf, r: r})
		if status != http.StatusCreated {
			t.Fatalf("CreateSession: %d %v", status, doc)
		}
		c := doc["credentialSet"].([]any)[0].(map[string]any)["credentials"].(map[string]any)
		cfg := aws.Config{Region: e.account.Region, BaseEndpoint: aws.String(e.url), RetryMaxAttempts: 1,
			Credentials: awscreds.NewStaticCredentialsProvider(c["accessKeyId"].(string), c["secretAccessKey"].(string), c["sessionToken"].(string))}
		return rolesanywhere.NewFromConfig(cfg), iam.NewFromConfig(cfg)
	}
	source := &ratypes.Source{SourceType: ratypes.TrustAnchorTypeCertificateBundle, SourceData: &ratypes.SourceDataMemberX509CertificateData{Value: string(testpki.PEM(ca.Cert))}}

	// Only rolesanywhere:List*: can list, cannot create.
	put(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rolesanywhere:List*","Resource":"*"}]}`)
	ra, _ := sessionClients()
	if _, err := ra.ListTrustAnchors(ctx, &rolesanywhere.ListTrustAnchorsInput{}); err != nil {
		t.Fatalf("list with List* allowed: %v", err)
	}
	_, err := ra.CreateTrustAnchor(ctx, &rolesanywhere.CreateTrustAnchorInput{Name: aws.String("x"), Source: source})
	if apiCodeOf(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "is not authorized to perform: rolesanywhere:CreateTrustAnchor") || !strings.Contains(err.Error(), "because no identity-based policy allows the rolesanywhere:CreateTrustAnchor action") {
		t.Fatalf("create with only List*: %v", err)
	}
	if _, err := ra.GetProfile(ctx, &rolesanywhere.GetProfileInput{ProfileId: aws.String(r.ProfileID)}); apiCodeOf(err) != "AccessDeniedException" {
		t.Errorf("GetProfile with only List*: %v", err)
	}

	// CreateProfile needs iam:PassRole for the roles it lists.
	put(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rolesanywhere:*","Resource":"*"}]}`)
	ra, _ = sessionClients()
	_, err = ra.CreateProfile(ctx, &rolesanywhere.CreateProfileInput{Name: aws.String("p2"), RoleArns: []string{r.RoleArn}})
	if apiCodeOf(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "iam:PassRole on resource: "+r.RoleArn) {
		t.Fatalf("CreateProfile without iam:PassRole: %v", err)
	}
	put(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rolesanywhere:*","Resource":"*"},
		{"Effect":"Allow","Action":"iam:PassRole","Resource":"*","Condition":{"StringEquals":{"iam:PassedToService":"rolesanywhere.amazonaws.com"}}},
		{"Effect":"Deny","Action":"rolesanywhere:DeleteProfile","Resource":"*"}]}`)
	ra, im := sessionClients()
	p2, err := ra.CreateProfile(ctx, &rolesanywhere.CreateProfileInput{Name: aws.String("p2"), RoleArns: []string{r.RoleArn}})
	if err != nil {
		t.Fatalf("CreateProfile with iam:PassRole: %v", err)
	}
	if aws.ToString(p2.Profile.CreatedBy) != wantArn(e, r.RoleName, session.HexSerial(leaf.Cert.SerialNumber)) {
		t.Errorf("createdBy %s", aws.ToString(p2.Profile.CreatedBy))
	}
	// Explicit deny wins over rolesanywhere:*.
	if _, err := ra.DeleteProfile(ctx, &rolesanywhere.DeleteProfileInput{ProfileId: p2.Profile.ProfileId}); apiCodeOf(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "explicit deny") {
		t.Errorf("DeleteProfile under an explicit deny: %v", err)
	}
	// IAM answers in its own protocol.
	if _, err := im.ListRoles(ctx, &iam.ListRolesInput{}); apiCodeOf(err) != "AccessDenied" || !strings.Contains(err.Error(), "iam:ListRoles") {
		t.Errorf("iam ListRoles without permission: %v", err)
	}

	// The global condition keys come from the connection: a plain-HTTP
	// call fails the classic aws:SecureTransport guard, aws:SourceIp is
	// the client's address.
	put(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rolesanywhere:ListProfiles","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"127.0.0.0/8"}}},
		{"Effect":"Deny","Action":"rolesanywhere:ListTrustAnchors","Resource":"*","Condition":{"Bool":{"aws:SecureTransport":"false"}}},
		{"Effect":"Allow","Action":"rolesanywhere:ListTrustAnchors","Resource":"*"}]}`)
	ra, _ = sessionClients()
	if _, err := ra.ListProfiles(ctx, &rolesanywhere.ListProfilesInput{}); err != nil {
		t.Errorf("ListProfiles from 127.0.0.1 under an aws:SourceIp condition: %v", err)
	}
	if _, err := ra.ListTrustAnchors(ctx, &rolesanywhere.ListTrustAnchorsInput{}); apiCodeOf(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "explicit deny") {
		t.Errorf("ListTrustAnchors over plain HTTP under an aws:SecureTransport guard: %v", err)
	}

	// The profile's session policy narrows what the role allows.
	put(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rolesanywhere:*","Resource":"*"}]}`)
	if _, err := e.ra.UpdateProfile(ctx, &rolesanywhere.UpdateProfileInput{ProfileId: aws.String(r.ProfileID),
		SessionPolicy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rolesanywhere:ListProfiles","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	ra, _ = sessionClients()
	if _, err := ra.ListProfiles(ctx, &rolesanywhere.ListProfilesInput{}); err != nil {
		t.Errorf("ListProfiles allowed by both: %v", err)
	}
	if _, err := ra.ListTrustAnchors(ctx, &rolesanywhere.ListTrustAnchorsInput{}); apiCodeOf(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "no session policy allows") {
		t.Errorf("ListTrustAnchors outside the session policy: %v", err)
	}
}

// TestAttributeMappings: mappings decide which certificate fields become
// principal tags, and so which trust-policy conditions can match.
func TestAttributeMappings(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	ca := testpki.NewCA(t)
	leaf := ca.Leaf(t, testpki.WithCN("mapped"))
	r := e.setup(t, "maps", string(testpki.PEM(ca.Cert)))
	policy := strings.Replace(trustPolicy(r.TrustAnchorArn), `"Condition":{`, `"Condition":{"StringEquals":{"aws:PrincipalTag/x509Subject/CN":"mapped"},`, 1)
	if _, err := e.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(r.RoleName), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	if status, _, doc := e.do(t, sessionCall{leaf: leaf, r: r}); status != http.StatusCreated {
		t.Fatalf("with the default mappings: %d %v", status, doc)
	}
	if _, err := e.ra.DeleteAttributeMapping(ctx, &rolesanywhere.DeleteAttributeMappingInput{ProfileId: aws.String(r.ProfileID), CertificateField: ratypes.CertificateFieldX509Subject}); err != nil {
		t.Fatal(err)
	}
	if status, _, _ := e.do(t, sessionCall{leaf: leaf, r: r}); status != http.StatusForbidden {
		t.Fatalf("without the x509Subject mapping: %d, want 403", status)
	}
	if rec := e.logs.lastAudit(t); !strings.Contains(rec["explanation"].(string), "the certificate provides no aws:PrincipalTag/x509Subject/CN") {
		t.Errorf("explanation %v", rec["explanation"])
	}
	if _, err := e.ra.PutAttributeMapping(ctx, &rolesanywhere.PutAttributeMappingInput{ProfileId: aws.String(r.ProfileID), CertificateField: ratypes.CertificateFieldX509Subject, MappingRules: []ratypes.MappingRule{{Specifier: aws.String("CN")}}}); err != nil {
		t.Fatal(err)
	}
	if status, _, doc := e.do(t, sessionCall{leaf: leaf, r: r}); status != http.StatusCreated {
		t.Fatalf("with the CN mapping back: %d %v", status, doc)
	}
}

// TestPackedPolicySize: CreateSession reports how much of STS's packed
// limit the session policy and tags use, and refuses a session over it.
func TestPackedPolicySize(t *testing.T) {
	e := start(t)
	ctx := context.Background()
	ca := testpki.NewCA(t)
	leaf := ca.Leaf(t, testpki.WithCN("packed"))
	r := e.setup(t, "packed", string(testpki.PEM(ca.Cert)))
	packed := func(doc map[string]any) float64 {
		t.Helper()
		sets, _ := doc["credentialSet"].([]any)
		if len(sets) != 1 {
			t.Fatalf("credentialSet %v", doc)
		}
		n, ok := sets[0].(map[string]any)["packedPolicySize"].(float64)
		if !ok {
			t.Fatalf("no packedPolicySize in %v", sets[0])
		}
		return n
	}
	status, _, doc := e.do(t, sessionCall{leaf: leaf, r: r})
	if status != http.StatusCreated {
		t.Fatalf("CreateSession: %d %v", status, doc)
	}
	tagsOnly := packed(doc)
	if tagsOnly < 1 {
		t.Fatalf("packedPolicySize %v with the default session tags, want > 0", tagsOnly)
	}

	// A session policy adds its deflated size.
	setPolicy := func(actions []string) {
		t.Helper()
		p := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["` + strings.Join(actions, `","`) + `"],"Resource":"*"}]}`
		if _, err := e.ra.UpdateProfile(ctx, &rolesanywhere.UpdateProfileInput{ProfileId: aws.String(r.ProfileID), SessionPolicy: aws.String(p)}); err != nil {
			t.Fatal(err)
		}
	}
	random := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "s3:Get" + rand.Text()
		}
		return out
	}
	setPolicy(random(10))
	status, _, doc = e.do(t, sessionCall{leaf: leaf, r: r})
	if status != http.StatusCreated {
		t.Fatalf("with a small session policy: %d %v", status, doc)
	}
	if withPolicy := packed(doc); withPolicy <= tagsOnly {
		t.Fatalf("packedPolicySize %v with a session policy, want more than %v", withPolicy, tagsOnly)
	}

	// Incompressible actions past 2048 packed bytes: STS would refuse it.
	setPolicy(random(150))
	status, _, doc = e.do(t, sessionCall{leaf: leaf, r: r})
	if status != http.StatusForbidden || !strings.Contains(doc["message"].(string), "PackedPolicyTooLarge") {
		t.Fatalf("with an oversized session policy: %d %v", status, doc)
	}
	if rec := e.logs.lastAudit(t); rec["reason"] != "session.packed_policy_too_large" {
		t.Errorf("audit reason %v", rec["reason"])
	}
}
