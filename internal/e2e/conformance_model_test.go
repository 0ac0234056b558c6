package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/roam-dev/roam/internal/testpki"
)

// The conformance tests drive roam from the service model
// (testdata/aws-models): every operation is called through the AWS SDK for
// Go v2 with inputs built from the model, and every answer is checked
// against the model's output shape, status code and error shapes.

// confState holds the resources requests refer to.
type confState struct {
	caPEM             string
	crl1, crl2        []byte
	role1, role2      string
	subjectID         string
	anchorID, profile string
	crlID             string
	resourceArnFor    string // "trust-anchor", "profile" or "crl"
	partition         string
	region, account   string
	sessionPolicy     string
	managedPolicyArn  string
}

func (s *confState) arn(typ, id string) string {
	return fmt.Sprintf("arn:%s:rolesanywhere:%s:%s:%s/%s", s.partition, s.region, s.account, typ, id)
}

// known returns the values input generation cannot derive from the
// model: IDs and ARNs of live resources, certificate and CRL data, a
// session policy. Members it omits: nextToken (no token yet) and
// SourceData.acmPcaArn (roam has no AWS Private CA; the union takes
// x509CertificateData).
func (s *confState) known() map[string]any {
	anchorArn := s.arn("trust-anchor", s.anchorID)
	resource := s.arn("trust-anchor", s.anchorID)
	switch s.resourceArnFor {
	case "profile":
		resource = s.arn("profile", s.profile)
	case "crl":
		resource = s.arn("crl", s.crlID)
	}
	return map[string]any{
		"trustAnchorId":       s.anchorID,
		"profileId":           s.profile,
		"crlId":               s.crlID,
		"subjectId":           s.subjectID,
		"trustAnchorArn":      anchorArn,
		"resourceArn":         resource,
		"roleArns":            []any{s.role1},
		"managedPolicyArns":   []any{s.managedPolicyArn},
		"sessionPolicy":       s.sessionPolicy,
		"x509CertificateData": s.caPEM,
		"acmPcaArn":           omit,
		"sourceType":          "CERTIFICATE_BUNDLE",
		"crlData":             s.crl1,
		"specifier":           "CN",
		"specifiers":          []any{"CN"},
		"nextToken":           omit,
		"pageSize":            int64(50),
	}
}

// newConfState creates the CA, CRLs, roles and a subject.
func newConfState(t *testing.T, c *conformance) *confState {
	t.Helper()
	ca := testpki.NewCA(t, testpki.WithCN("Conformance CA"))
	caPEM := string(testpki.PEM(ca.Cert))
	r := c.e.setup(t, "conformance-subject", caPEM)
	return &confState{
		caPEM:            caPEM,
		crl1:             makeCRL(t, ca, big.NewInt(1001)),
		crl2:             makeCRL(t, ca, big.NewInt(1001), big.NewInt(1002)),
		role1:            c.e.createRole(t, "conformance-role-1"),
		role2:            c.e.createRole(t, "conformance-role-2"),
		subjectID:        c.e.prepareSubject(t, r, ca, "conformance-client"),
		partition:        c.e.account.Partition,
		region:           c.e.account.Region,
		account:          c.e.account.ID,
		sessionPolicy:    `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`,
		managedPolicyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess",
	}
}

// newAnchor creates a trust anchor for the state's CA and returns its ID.
func (c *conformance) newAnchor(t *testing.T, s *confState) string {
	t.Helper()
	g := &generator{t: t, m: c.m, known: s.known()}
	x, err := c.callSDK(t, "CreateTrustAnchor", g.input("CreateTrustAnchor"))
	if err != nil || x == nil {
		t.Fatalf("CreateTrustAnchor: %v", err)
	}
	d, _ := c.detailOf(t, "CreateTrustAnchor", x.body)
	return d["trustAnchorId"].(string)
}

// liveResources creates the trust anchor, profile and CRL whose IDs
// requests carry. The CRL hangs off a second anchor, so ImportCrl
// requests against the first cannot run into its quota of 2 CRLs.
func (c *conformance) liveResources(t *testing.T, s *confState) {
	t.Helper()
	s.anchorID = c.newAnchor(t, s)
	g := &generator{t: t, m: c.m, known: s.known()}
	x, err := c.callSDK(t, "CreateProfile", g.input("CreateProfile"))
	if err != nil || x == nil {
		t.Fatalf("CreateProfile: %v", err)
	}
	d, _ := c.detailOf(t, "CreateProfile", x.body)
	s.profile = d["profileId"].(string)
	g.known["trustAnchorArn"] = s.arn("trust-anchor", c.newAnchor(t, s))
	if x, err = c.callSDK(t, "ImportCrl", g.input("ImportCrl")); err != nil || x == nil {
		t.Fatalf("ImportCrl: %v", err)
	}
	d, _ = c.detailOf(t, "ImportCrl", x.body)
	s.crlID = d["crlId"].(string)
}

// detailOf returns the output's single structure member (trustAnchor,
// profile, crl, subject) and its name, or nil.
func (c *conformance) detailOf(t *testing.T, op string, body []byte) (map[string]any, string) {
	t.Helper()
	out := c.m.shape(t, c.m.Operations[op].Output.Shape)
	for name, ref := range out.Members {
		if c.m.shape(t, ref.Shape).Type != "structure" {
			continue
		}
		v, err := decodeJSON(body)
		if err != nil {
			return nil, ""
		}
		d, _ := v.(map[string]any)[name].(map[string]any)
		return d, name
	}
	return nil, ""
}

// checkEcho compares what was sent with what came back: every input member
// that the output's resource detail also has (by name, same shape type) must
// hold the value sent, except lists of structures, which roam may merge
// (notificationSettings).
func (c *conformance) checkEcho(t *testing.T, op string, in map[string]any, body []byte) {
	t.Helper()
	detail, dname := c.detailOf(t, op, body)
	if detail == nil {
		return
	}
	inShape := c.m.shape(t, c.m.Operations[op].Input.Shape)
	detailShape := c.m.shape(t, c.m.shape(t, c.m.Operations[op].Output.Shape).Members[dname].Shape)
	for _, member := range sortedKeys(in) {
		outRef, ok := detailShape.Members[member]
		if !ok {
			continue
		}
		is, os := c.m.shape(t, inShape.Members[member].Shape), c.m.shape(t, outRef.Shape)
		if is.Type != os.Type || is.Type == "list" && c.m.shape(t, is.Member.Shape).Type == "structure" {
			continue
		}
		want, got := normalizeTree(in[member]), detail[member]
		if is.Type == "blob" {
			b, _ := base64.StdEncoding.DecodeString(fmt.Sprint(detail[member]))
			got = base64.StdEncoding.EncodeToString(b)
		}
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s.%s = %v, want %v (as sent)", dname, member, short(fmt.Sprint(got)), short(fmt.Sprint(want)))
		}
	}
	if strings.HasPrefix(op, "Enable") || strings.HasPrefix(op, "Disable") {
		if want := strings.HasPrefix(op, "Enable"); detail["enabled"] != want {
			t.Errorf("%s.enabled = %v after %s", dname, detail["enabled"], op)
		}
	}
}

// checkRepeat sends a readonly or idempotent operation (the model's
// traits) a second time: a readonly one must answer exactly the same, an
// idempotent one must leave the resource as the first call did (updatedAt
// aside). Idempotent deletes are left alone: the resource is gone.
func (c *conformance) checkRepeat(t *testing.T, op string, in map[string]any, first []byte) {
	t.Helper()
	o := c.m.Operations[op]
	if !o.Readonly && (!o.Idempotent || strings.HasPrefix(op, "Delete")) {
		return
	}
	x, err := c.callSDK(t, op, in)
	if err != nil || x == nil {
		t.Errorf("%s again: %v", op, err)
		return
	}
	a, _ := decodeJSON(first)
	b, _ := decodeJSON(x.body)
	if !o.Readonly {
		for _, doc := range []any{a, b} {
			for _, d := range doc.(map[string]any) {
				if m, ok := d.(map[string]any); ok {
					delete(m, "updatedAt")
				}
			}
		}
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("%s (readonly %v, idempotent %v) answered differently the second time:\n%s\n%s", op, o.Readonly, o.Idempotent, first, x.body)
	}
}

// normalizeTree renders a value tree the way JSON decoding (with
// json.Number) would.
func normalizeTree(v any) any {
	b, _ := json.Marshal(v)
	n, _ := decodeJSON(b)
	return n
}

// TestConformanceOperations calls all 30 operations of the model through
// the SDK, in an order that makes each meaningful, with inputs generated
// from the model (every member set), and checks each answer: the model's
// status code, the body against the output shape of the current and the
// 2022-07-05 model, and the resource echoing what was sent.
func TestConformanceOperations(t *testing.T) {
	c := newConformance(t)
	s := newConfState(t, c)

	type step struct {
		op       string
		override map[string]any
		after    func(t *testing.T, detail map[string]any, body []byte)
	}
	contains := func(id *string) func(t *testing.T, _ map[string]any, body []byte) {
		return func(t *testing.T, _ map[string]any, body []byte) {
			if !bytes.Contains(body, []byte(`"`+*id+`"`)) {
				t.Errorf("the listing does not hold %s", *id)
			}
		}
	}
	deleted := map[string]string{} // Get operation -> ID deleted
	steps := []step{
		{op: "CreateTrustAnchor", after: func(t *testing.T, d map[string]any, _ []byte) { s.anchorID, _ = d["trustAnchorId"].(string) }},
		{op: "GetTrustAnchor"},
		{op: "UpdateTrustAnchor"},
		{op: "ListTrustAnchors", after: contains(&s.anchorID)},
		{op: "DisableTrustAnchor"},
		{op: "EnableTrustAnchor"},
		{op: "PutNotificationSettings"},
		{op: "ResetNotificationSettings"},
		{op: "CreateProfile", after: func(t *testing.T, d map[string]any, _ []byte) { s.profile, _ = d["profileId"].(string) }},
		{op: "GetProfile"},
		{op: "UpdateProfile", override: map[string]any{"roleArns": []any{s.role1, s.role2}}},
		{op: "ListProfiles", after: contains(&s.profile)},
		{op: "DisableProfile"},
		{op: "EnableProfile"},
		{op: "PutAttributeMapping"},
		{op: "DeleteAttributeMapping"},
		{op: "ImportCrl", after: func(t *testing.T, d map[string]any, _ []byte) { s.crlID, _ = d["crlId"].(string) }},
		{op: "GetCrl"},
		{op: "UpdateCrl", override: map[string]any{"crlData": s.crl2}},
		{op: "ListCrls", after: contains(&s.crlID)},
		{op: "DisableCrl"},
		{op: "EnableCrl"},
		{op: "ListSubjects", after: contains(&s.subjectID)},
		{op: "GetSubject", after: func(t *testing.T, d map[string]any, _ []byte) {
			if creds, _ := d["credentials"].([]any); len(creds) == 0 {
				t.Error("the subject lists no credential")
			}
		}},
		{op: "TagResource"},
		{op: "ListTagsForResource", after: func(t *testing.T, _ map[string]any, body []byte) {
			if !bytes.Contains(body, []byte(validSamples[`[ a-zA-Z0-9_.:/=+@-]*`])) {
				t.Error("the tag just added is not listed")
			}
		}},
		{op: "UntagResource"},
		{op: "DeleteCrl", after: func(*testing.T, map[string]any, []byte) { deleted["GetCrl"] = s.crlID }},
		{op: "DeleteProfile", after: func(*testing.T, map[string]any, []byte) { deleted["GetProfile"] = s.profile }},
		{op: "DeleteTrustAnchor", after: func(*testing.T, map[string]any, []byte) { deleted["GetTrustAnchor"] = s.anchorID }},
	}

	called := map[string]bool{}
	for _, st := range steps {
		if _, ok := c.m.Operations[st.op]; !ok {
			t.Fatalf("%s is not in the model", st.op)
		}
		called[st.op] = true
		ok := t.Run(st.op, func(t *testing.T) {
			g := &generator{t: t, m: c.m, known: s.known()}
			for k, v := range st.override {
				g.known[k] = v
			}
			in := g.input(st.op)
			x, err := c.callSDK(t, st.op, in)
			if x == nil {
				t.Fatalf("the SDK sent nothing: %v", err)
			}
			if err != nil {
				t.Errorf("SDK error: %v", err)
			}
			c.checkResponse(t, st.op, x)
			c.checkEcho(t, st.op, in, x.body)
			c.checkRepeat(t, st.op, in, x.body)
			if st.after != nil {
				d, _ := c.detailOf(t, st.op, x.body)
				st.after(t, d, x.body)
			}
		})
		if !ok && strings.HasPrefix(st.op, "Create") || !ok && st.op == "ImportCrl" {
			t.Fatalf("%s failed; later operations need its resource", st.op)
		}
	}
	if got, want := sortedKeys(called), c.m.operationNames(); !slices.Equal(got, want) {
		t.Errorf("operations called %v, the model has %v", got, want)
	}

	// Deleted resources are gone.
	for _, op := range sortedKeys(deleted) {
		t.Run("after delete/"+op, func(t *testing.T) {
			g := &generator{t: t, m: c.m, known: s.known()}
			in := g.input(op)
			for member, ref := range c.m.shape(t, c.m.Operations[op].Input.Shape).Members {
				if ref.Location == "uri" {
					in[member] = deleted[op]
				}
			}
			x, err := c.call(t, op, in)
			c.checkError(t, op, x, err, "ResourceNotFoundException")
		})
	}
}

// TestConformanceValidation sends, for every operation, one request per
// constraint of every input member (nested ones included) that breaks it,
// and expects 400 ValidationException naming the member. Inputs the SDK
// will not send (required members left out, unions with two members) go
// as raw SigV4-signed requests.
func TestConformanceValidation(t *testing.T) {
	c := newConformance(t)
	s := newConfState(t, c)
	c.liveResources(t, s)

	total := 0
	for _, op := range c.m.operationNames() {
		g := &generator{t: t, m: c.m, known: s.known()}
		valid := g.input(op)
		for _, v := range g.violations(op, valid) {
			total++
			t.Run(op+"/"+v.name, func(t *testing.T) {
				x, err := c.call(t, op, v.apply(valid))
				c.checkError(t, op, x, err, "ValidationException")
				var body struct{ Message string }
				_ = json.Unmarshal(x.body, &body)
				member := v.path[len(v.path)-1]
				for i := len(v.path) - 1; i >= 0; i-- {
					if _, err := fmt.Sscan(v.path[i], new(int)); err != nil {
						member = v.path[i]
						break
					}
				}
				if !strings.Contains(body.Message, member) {
					t.Errorf("the message %q does not name the member %s", body.Message, member)
				}
			})
		}
	}
	t.Logf("%d constraint violations across %d operations", total, len(c.m.Operations))
	if total < 100 {
		t.Errorf("only %d violations generated; the model has more constraints than that", total)
	}
}

// TestConformanceEdges sends, for the operations that create or change
// resources, inputs at the edges of every constraint the model sets (names
// of 1 and 255 characters, 200 tags, empty tag values, 50 notification
// settings, thresholds 1 and 360, durations 900 and 43200, 60-character
// specifiers, empty lists, every enum value) and expects them accepted and
// echoed like any other valid input.
func TestConformanceEdges(t *testing.T) {
	c := newConformance(t)
	s := newConfState(t, c)
	c.liveResources(t, s)
	total := 0
	for _, op := range c.m.operationNames() {
		if strings.HasPrefix(op, "Delete") && op != "DeleteAttributeMapping" {
			continue
		}
		g := &generator{t: t, m: c.m, known: s.known()}
		valid := g.input(op)
		for _, v := range g.edges(op, valid) {
			total++
			t.Run(op+"/"+v.name, func(t *testing.T) {
				in := v.apply(valid)
				if op == "ImportCrl" {
					// A trust anchor holds at most 2 CRLs: one per case.
					in["trustAnchorArn"] = s.arn("trust-anchor", c.newAnchor(t, s))
				}
				x, err := c.call(t, op, in)
				if err != nil {
					t.Errorf("SDK error: %v", err)
				}
				c.checkResponse(t, op, x)
				c.checkEcho(t, op, in, x.body)
			})
		}
	}
	t.Logf("%d edge values accepted", total)
	if total < 40 {
		t.Errorf("only %d edge cases generated", total)
	}
}

// TestConformanceNotFound sends every operation that models
// ResourceNotFoundException, and every Get/Update/Delete/Enable/Disable,
// with well-formed IDs and ARNs of resources that do not exist, and
// expects 404 ResourceNotFoundException.
func TestConformanceNotFound(t *testing.T) {
	c := newConformance(t)
	s := newConfState(t, c)
	s.anchorID, s.profile, s.crlID, s.subjectID = uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	var ops []string
	for _, op := range c.m.operationNames() {
		crud := false
		for _, p := range []string{"Get", "Update", "Delete", "Enable", "Disable"} {
			crud = crud || strings.HasPrefix(op, p)
		}
		if crud || c.m.Operations[op].hasError("ResourceNotFoundException") {
			ops = append(ops, op)
		}
	}
	for _, op := range ops {
		for _, typ := range []string{"trust-anchor", "profile", "crl"} {
			if !strings.HasSuffix(op, "Resource") && typ != "trust-anchor" {
				continue // only tagging takes ARNs of every type
			}
			t.Run(op+"/"+typ, func(t *testing.T) {
				s.resourceArnFor = typ
				g := &generator{t: t, m: c.m, known: s.known()}
				x, err := c.call(t, op, g.input(op))
				c.checkError(t, op, x, err, "ResourceNotFoundException")
			})
		}
	}
	if len(ops) < 23 {
		t.Errorf("only %d operations checked: %v", len(ops), ops)
	}
}

// TestConformanceSamples checks the pattern samples the generator uses
// against the model: each valid sample matches its pattern and fits every
// shape using it, each invalid one does not match but has a legal length,
// and every pattern of the model has both.
func TestConformanceSamples(t *testing.T) {
	m := loadModel(t, currentModelFile)
	for _, name := range sortedKeys(m.Shapes) {
		s := m.Shapes[name]
		if s.Pattern == "" {
			continue
		}
		re := patternRE(s.Pattern)
		good, ok1 := validSamples[s.Pattern]
		bad, ok2 := invalidSamples[s.Pattern]
		if !ok1 || !ok2 {
			t.Errorf("shape %s: pattern %s has no valid or invalid sample", name, s.Pattern)
			continue
		}
		if !re.MatchString(good) {
			t.Errorf("shape %s: valid sample %q does not match %s", name, good, s.Pattern)
		}
		if re.MatchString(bad) {
			t.Errorf("shape %s: invalid sample %q matches %s", name, bad, s.Pattern)
		}
		for _, v := range []string{good, bad} {
			if s.Min != nil && int64(len(v)) < *s.Min || s.Max != nil && int64(len(v)) > *s.Max {
				t.Errorf("shape %s: sample %q has a length outside [%v, %v]", name, v, s.Min, s.Max)
			}
		}
	}
}

// TestConformanceTooManyTags covers the one error only TagResource models:
// a resource holding the most tags TagList allows takes no new key
// (TooManyTagsException, 400) but may still overwrite an existing one.
func TestConformanceTooManyTags(t *testing.T) {
	c := newConformance(t)
	s := newConfState(t, c)
	tagList := c.m.shape(t, c.m.shape(t, c.m.Operations["TagResource"].Input.Shape).Members["tags"].Shape)
	if tagList.Max == nil {
		t.Fatal("the model no longer bounds TagList")
	}
	tags := make([]any, *tagList.Max)
	for i := range tags {
		tags[i] = map[string]any{"key": fmt.Sprintf("k%d", i), "value": "v"}
	}
	g := &generator{t: t, m: c.m, known: s.known()}
	in := g.input("CreateTrustAnchor")
	in["tags"] = tags
	x, err := c.callSDK(t, "CreateTrustAnchor", in)
	if err != nil || x == nil {
		t.Fatalf("CreateTrustAnchor with %d tags: %v", len(tags), err)
	}
	d, _ := c.detailOf(t, "CreateTrustAnchor", x.body)
	s.anchorID = d["trustAnchorId"].(string)

	g = &generator{t: t, m: c.m, known: s.known()}
	in = g.input("TagResource")
	in["tags"] = []any{map[string]any{"key": "one-more", "value": "v"}}
	x, err = c.call(t, "TagResource", in)
	c.checkError(t, "TagResource", x, err, "TooManyTagsException")

	in["tags"] = []any{map[string]any{"key": "k0", "value": "changed"}}
	x, err = c.call(t, "TagResource", in)
	if err != nil {
		t.Fatalf("overwriting a tag: %v", err)
	}
	c.checkResponse(t, "TagResource", x)
	x, err = c.call(t, "ListTagsForResource", g.input("ListTagsForResource"))
	if err != nil {
		t.Fatal(err)
	}
	c.checkResponse(t, "ListTagsForResource", x)
	var out struct{ Tags []struct{ Key, Value string } }
	if err := json.Unmarshal(x.body, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Tags) != len(tags) || !slices.Contains(out.Tags, struct{ Key, Value string }{"k0", "changed"}) {
		t.Errorf("after the overwrite: %d tags, k0 changed: %v", len(out.Tags), slices.Contains(out.Tags, struct{ Key, Value string }{"k0", "changed"}))
	}
}
