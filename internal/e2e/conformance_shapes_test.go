package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/roam-dev/roam/internal/testenv"
)

// This file reads botocore service models (testdata/aws-models) and checks
// JSON documents against their shapes.

// Model files, relative to the repository root.
const (
	currentModelFile    = "testdata/aws-models/rolesanywhere-service-2.json"
	launchModelFile     = "testdata/aws-models/rolesanywhere-service-2.2022-07-05.json"
	paginatorsModelFile = "testdata/aws-models/rolesanywhere-paginators-1.json"
)

// awsModel is a botocore service-2.json model.
type awsModel struct {
	file       string
	Metadata   map[string]any            `json:"metadata"`
	Operations map[string]modelOperation `json:"operations"`
	Shapes     map[string]*modelShape    `json:"shapes"`
}

type modelOperation struct {
	Name string `json:"name"`
	HTTP struct {
		Method       string `json:"method"`
		RequestURI   string `json:"requestUri"`
		ResponseCode int    `json:"responseCode"`
	} `json:"http"`
	Input      *modelRef  `json:"input"`
	Output     *modelRef  `json:"output"`
	Errors     []modelRef `json:"errors"`
	Idempotent bool       `json:"idempotent"`
	Readonly   bool       `json:"readonly"`
}

// responseCode is the operation's success status (200 unless modelled).
func (op modelOperation) responseCode() int {
	if op.HTTP.ResponseCode == 0 {
		return 200
	}
	return op.HTTP.ResponseCode
}

// hasError reports whether the operation models the error shape.
func (op modelOperation) hasError(name string) bool {
	return slices.ContainsFunc(op.Errors, func(r modelRef) bool { return r.Shape == name })
}

// modelRef points at a shape, with its HTTP binding when it is a member.
type modelRef struct {
	Shape        string `json:"shape"`
	Location     string `json:"location"`
	LocationName string `json:"locationName"`
}

type modelShape struct {
	Type            string              `json:"type"`
	Members         map[string]modelRef `json:"members"`
	Required        []string            `json:"required"`
	Member          *modelRef           `json:"member"`
	Key             *modelRef           `json:"key"`
	Value           *modelRef           `json:"value"`
	Min             *int64              `json:"min"`
	Max             *int64              `json:"max"`
	Pattern         string              `json:"pattern"`
	Enum            []string            `json:"enum"`
	Union           bool                `json:"union"`
	TimestampFormat string              `json:"timestampFormat"`
	Exception       bool                `json:"exception"`
	Error           *struct {
		HTTPStatusCode int `json:"httpStatusCode"`
	} `json:"error"`
}

func (s *modelShape) required(member string) bool { return slices.Contains(s.Required, member) }

// memberNames returns the structure's member names, sorted.
func (s *modelShape) memberNames() []string {
	names := make([]string, 0, len(s.Members))
	for n := range s.Members {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

var modelCache struct {
	sync.Mutex
	m map[string]*awsModel
}

// loadModel reads a model file of the repository (cached per process).
func loadModel(t testing.TB, rel string) *awsModel {
	t.Helper()
	modelCache.Lock()
	defer modelCache.Unlock()
	if m := modelCache.m[rel]; m != nil {
		return m
	}
	raw, err := os.ReadFile(filepath.Join(testenv.RepoRoot(t), rel))
	if err != nil {
		t.Fatalf("read model: %v", err)
	}
	m := &awsModel{file: rel}
	if err := json.Unmarshal(raw, m); err != nil {
		t.Fatalf("%s: %v", rel, err)
	}
	for name, s := range m.Shapes {
		if s.Pattern != "" {
			if _, err := regexp.Compile(anchored(s.Pattern)); err != nil {
				t.Fatalf("%s: shape %s has a pattern Go cannot compile: %v", rel, name, err)
			}
		}
	}
	if modelCache.m == nil {
		modelCache.m = map[string]*awsModel{}
	}
	modelCache.m[rel] = m
	return m
}

// operationNames returns the model's operation names, sorted.
func (m *awsModel) operationNames() []string {
	names := make([]string, 0, len(m.Operations))
	for n := range m.Operations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (m *awsModel) shape(t testing.TB, name string) *modelShape {
	t.Helper()
	s := m.Shapes[name]
	if s == nil {
		t.Fatalf("%s has no shape %q", m.file, name)
	}
	return s
}

// anchored makes a model pattern match whole values only. Models since
// 2025 leave patterns unanchored, but AWS (and every SDK that validates)
// matches the whole string.
func anchored(p string) string { return `^(?:` + p + `)$` }

var patternCache sync.Map

func patternRE(p string) *regexp.Regexp {
	if re, ok := patternCache.Load(p); ok {
		return re.(*regexp.Regexp)
	}
	re := regexp.MustCompile(anchored(p))
	patternCache.Store(p, re)
	return re
}

// decodeJSON decodes a document keeping numbers as json.Number.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	return v, nil
}

// shapeCheck validates documents against a model.
type shapeCheck struct {
	m *awsModel
	// unknownOK accepts members the model does not define (an older model
	// checking a newer server: old clients ignore them).
	unknownOK bool
	// parseOnly checks only what a client needs to parse the document:
	// JSON types, required members, unions, timestamp and base64 syntax.
	// Length, range, pattern and enum constraints are skipped: SDKs never
	// enforce them on output, and newer models widen them (TagList went
	// from 50 to 200 items after 2022).
	parseOnly bool
	problems  []string
}

func (c *shapeCheck) fail(path, format string, args ...any) {
	c.problems = append(c.problems, path+": "+fmt.Sprintf(format, args...))
}

// validateBody checks a response body against a structure shape. An empty
// body is an empty object.
func (m *awsModel) validateBody(shape string, body []byte, unknownOK bool) []string {
	return m.check(&shapeCheck{m: m, unknownOK: unknownOK}, shape, body)
}

// parseBody checks a response body the way an older client reads it: see
// shapeCheck.parseOnly.
func (m *awsModel) parseBody(shape string, body []byte) []string {
	return m.check(&shapeCheck{m: m, unknownOK: true, parseOnly: true}, shape, body)
}

func (m *awsModel) check(c *shapeCheck, shape string, body []byte) []string {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	v, err := decodeJSON(body)
	if err != nil {
		return []string{fmt.Sprintf("body is not JSON: %v", err)}
	}
	c.value(shape, v, "$")
	return c.problems
}

func (c *shapeCheck) value(shapeName string, v any, path string) {
	s := c.m.Shapes[shapeName]
	if s == nil {
		c.fail(path, "the model has no shape %q", shapeName)
		return
	}
	if v == nil {
		c.fail(path, "is null; absent members must be omitted (%s)", shapeName)
		return
	}
	switch s.Type {
	case "structure":
		c.structure(shapeName, s, v, path)
	case "list":
		l, ok := v.([]any)
		if !ok {
			c.fail(path, "is %s, want a JSON array (%s)", jsonKind(v), shapeName)
			return
		}
		c.size(path, shapeName, s, int64(len(l)), "items")
		for i, e := range l {
			c.value(s.Member.Shape, e, fmt.Sprintf("%s[%d]", path, i))
		}
	case "map":
		o, ok := v.(map[string]any)
		if !ok {
			c.fail(path, "is %s, want a JSON object (%s)", jsonKind(v), shapeName)
			return
		}
		c.size(path, shapeName, s, int64(len(o)), "entries")
		for k, e := range o {
			c.value(s.Key.Shape, k, fmt.Sprintf("%s{key %q}", path, k))
			c.value(s.Value.Shape, e, fmt.Sprintf("%s[%q]", path, k))
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			c.fail(path, "is %s, want a JSON string (%s)", jsonKind(v), shapeName)
			return
		}
		c.str(path, shapeName, s, str)
	case "integer", "long":
		n, ok := v.(json.Number)
		if !ok {
			c.fail(path, "is %s, want a JSON number (%s)", jsonKind(v), shapeName)
			return
		}
		i, err := n.Int64()
		if err != nil {
			c.fail(path, "%s is not an integer (%s)", n, shapeName)
			return
		}
		if s.Type == "integer" && (i < math.MinInt32 || i > math.MaxInt32) {
			c.fail(path, "%d does not fit a 32-bit integer (%s)", i, shapeName)
		}
		if !c.parseOnly && s.Min != nil && i < *s.Min {
			c.fail(path, "%d is below the minimum %d (%s)", i, *s.Min, shapeName)
		}
		if !c.parseOnly && s.Max != nil && i > *s.Max {
			c.fail(path, "%d is above the maximum %d (%s)", i, *s.Max, shapeName)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			c.fail(path, "is %s, want true or false (%s)", jsonKind(v), shapeName)
		}
	case "timestamp":
		str, ok := v.(string)
		if s.TimestampFormat != "iso8601" {
			c.fail(path, "timestamp format %q is not handled by this checker", s.TimestampFormat)
			return
		}
		if !ok {
			c.fail(path, "is %s, want an ISO-8601 string (%s)", jsonKind(v), shapeName)
			return
		}
		if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
			c.fail(path, "%q is not an ISO-8601 (RFC 3339) timestamp: %v", str, err)
		}
	case "blob":
		str, ok := v.(string)
		if !ok {
			c.fail(path, "is %s, want a base64 string (%s)", jsonKind(v), shapeName)
			return
		}
		b, err := base64.StdEncoding.DecodeString(str)
		if err != nil {
			c.fail(path, "is not standard base64: %v", err)
			return
		}
		c.size(path, shapeName, s, int64(len(b)), "bytes")
	default:
		c.fail(path, "shape type %q is not handled by this checker", s.Type)
	}
}

func (c *shapeCheck) structure(name string, s *modelShape, v any, path string) {
	o, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "is %s, want a JSON object (%s)", jsonKind(v), name)
		return
	}
	// body maps JSON keys to the members serialised in the body.
	body := map[string]modelRef{}
	for member, ref := range s.Members {
		if ref.Location != "" {
			continue
		}
		key := member
		if ref.LocationName != "" {
			key = ref.LocationName
		}
		body[key] = ref
		if _, ok := o[key]; !ok && s.required(member) {
			c.fail(path, "required member %q is missing (%s)", key, name)
		}
	}
	keys := make([]string, 0, len(o))
	for k := range o {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	set := 0
	for _, k := range keys {
		ref, ok := body[k]
		if !ok {
			if !c.unknownOK {
				c.fail(path, "member %q is not in the model's %s", k, name)
			}
			continue
		}
		if o[k] != nil {
			set++
		}
		c.value(ref.Shape, o[k], path+"."+k)
	}
	if s.Union && set != 1 {
		c.fail(path, "union %s has %d members set, want exactly 1", name, set)
	}
}

func (c *shapeCheck) str(path, name string, s *modelShape, v string) {
	if c.parseOnly {
		return
	}
	n := int64(utf8.RuneCountInString(v))
	c.size(path, name, s, n, "characters")
	if s.Pattern != "" && !patternRE(s.Pattern).MatchString(v) {
		c.fail(path, "%q does not match the pattern %s (%s)", short(v), s.Pattern, name)
	}
	if len(s.Enum) > 0 && !slices.Contains(s.Enum, v) {
		c.fail(path, "%q is not one of %v (%s)", short(v), s.Enum, name)
	}
}

func (c *shapeCheck) size(path, name string, s *modelShape, n int64, unit string) {
	if c.parseOnly {
		return
	}
	if s.Min != nil && n < *s.Min {
		c.fail(path, "has %d %s, the minimum is %d (%s)", n, unit, *s.Min, name)
	}
	if s.Max != nil && n > *s.Max {
		c.fail(path, "has %d %s, the maximum is %d (%s)", n, unit, *s.Max, name)
	}
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

func short(s string) string {
	if len(s) > 60 {
		return s[:60] + "..."
	}
	return s
}

// TestConformanceModelFiles checks the copied model files are the ones the
// tests expect: the current model with 30 operations, the launch model
// with 26, and a paginator for each listing.
func TestConformanceModelFiles(t *testing.T) {
	cur := loadModel(t, currentModelFile)
	old := loadModel(t, launchModelFile)
	if n := len(cur.Operations); n != 30 {
		t.Errorf("%s has %d operations, want 30", currentModelFile, n)
	}
	if n := len(old.Operations); n != 26 {
		t.Errorf("%s has %d operations, want 26", launchModelFile, n)
	}
	for _, op := range old.operationNames() {
		if _, ok := cur.Operations[op]; !ok {
			t.Errorf("%s is in the 2022 model but not the current one", op)
		}
	}
	if cur.Metadata["protocol"] != "rest-json" || cur.Metadata["signingName"] != "rolesanywhere" {
		t.Errorf("metadata = %v", cur.Metadata)
	}
	pag := paginators(t)
	var listOps []string
	for _, op := range cur.operationNames() {
		if strings.HasPrefix(op, "List") && op != "ListTagsForResource" {
			listOps = append(listOps, op)
		}
	}
	for _, op := range listOps {
		p, ok := pag[op]
		if !ok {
			t.Errorf("no paginator for %s", op)
			continue
		}
		out := cur.shape(t, cur.Operations[op].Output.Shape)
		if _, ok := out.Members[p.ResultKey]; !ok || p.InputToken != "nextToken" || p.OutputToken != "nextToken" {
			t.Errorf("paginator %s = %+v does not fit its output shape", op, p)
		}
	}
	if len(pag) != len(listOps) {
		t.Errorf("%d paginators for %d list operations", len(pag), len(listOps))
	}
}

// TestConformanceChecker makes sure the shape checker catches each kind of
// departure from the model, so a passing conformance run means something.
func TestConformanceChecker(t *testing.T) {
	m := loadModel(t, currentModelFile)
	const id = "0ace5b12-24b9-427e-a483-c55884852fbf"
	good := `{"trustAnchor":{"trustAnchorId":"` + id + `","trustAnchorArn":"arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/` + id + `",` +
		`"name":"a","enabled":true,"createdAt":"2022-07-01T18:11:27.380711Z","updatedAt":"2022-07-01T18:11:27Z",` +
		`"source":{"sourceType":"CERTIFICATE_BUNDLE","sourceData":{"x509CertificateData":"pem"}},` +
		`"notificationSettings":[{"enabled":true,"event":"CA_CERTIFICATE_EXPIRY","threshold":45,"channel":"ALL","configuredBy":"rolesanywhere.amazonaws.com"}]}}`
	if p := m.validateBody("TrustAnchorDetailResponse", []byte(good), false); len(p) > 0 {
		t.Fatalf("a valid body fails: %v", p)
	}
	bad := map[string]struct{ shape, body, want string }{
		"required member missing": {"TrustAnchorDetailResponse", `{}`, `required member "trustAnchor"`},
		"unknown member":          {"TrustAnchorDetailResponse", strings.Replace(good, `"name":"a"`, `"name":"a","extra":1`, 1), `"extra" is not in the model`},
		"null member":             {"TrustAnchorDetailResponse", strings.Replace(good, `"name":"a"`, `"name":null`, 1), "is null"},
		"string as number":        {"TrustAnchorDetailResponse", strings.Replace(good, `"name":"a"`, `"name":1`, 1), "want a JSON string"},
		"boolean as string":       {"TrustAnchorDetailResponse", strings.Replace(good, `"enabled":true,"createdAt"`, `"enabled":"true","createdAt"`, 1), "want true or false"},
		"epoch timestamp":         {"TrustAnchorDetailResponse", strings.Replace(good, `"2022-07-01T18:11:27Z"`, `1656699087`, 1), "want an ISO-8601 string"},
		"bad timestamp":           {"TrustAnchorDetailResponse", strings.Replace(good, `"2022-07-01T18:11:27Z"`, `"2022-07-01 18:11:27"`, 1), "not an ISO-8601"},
		"pattern":                 {"TrustAnchorDetailResponse", strings.Replace(good, `"name":"a"`, `"name":"a/b"`, 1), "does not match the pattern"},
		"anchored pattern":        {"TrustAnchorDetailResponse", strings.Replace(good, `"trustAnchorId":"`+id, `"trustAnchorId":"`+strings.ToUpper(id), 1), "does not match the pattern"},
		"too long":                {"TrustAnchorDetailResponse", strings.Replace(good, `"name":"a"`, `"name":"`+strings.Repeat("a", 256)+`"`, 1), "the maximum is 255"},
		"enum":                    {"TrustAnchorDetailResponse", strings.Replace(good, `"CERTIFICATE_BUNDLE"`, `"PEM"`, 1), "is not one of"},
		"integer range":           {"TrustAnchorDetailResponse", strings.Replace(good, `"threshold":45`, `"threshold":0`, 1), "below the minimum 1"},
		"fractional integer":      {"TrustAnchorDetailResponse", strings.Replace(good, `"threshold":45`, `"threshold":4.5`, 1), "not an integer"},
		"union with two members":  {"TrustAnchorDetailResponse", strings.Replace(good, `{"x509CertificateData":"pem"}`, `{"x509CertificateData":"pem","acmPcaArn":"arn"}`, 1), "want exactly 1"},
		"list as object":          {"TrustAnchorDetailResponse", `{"trustAnchor":{"notificationSettings":{"enabled":true}}}`, "want a JSON array"},
		"blob not base64":         {"CrlDetailResponse", `{"crl":{"crlData":"***"}}`, "not standard base64"},
		"list too long":           {"ListTagsForResourceResponse", `{"tags":[` + strings.Repeat(`{"key":"k","value":"v"},`, 200) + `{"key":"k","value":"v"}]}`, "maximum is 200"},
		"map value too short":     {"SubjectDetailResponse", `{"subject":{"instanceProperties":[{"properties":{"k":""}}]}}`, "minimum is 1"},
		"not JSON":                {"TagResourceResponse", `<xml/>`, "not JSON"},
	}
	for _, name := range sortedKeys(bad) {
		tc := bad[name]
		problems := m.validateBody(tc.shape, []byte(tc.body), false)
		if !slices.ContainsFunc(problems, func(p string) bool { return strings.Contains(p, tc.want) }) {
			t.Errorf("%s: problems %q, want one saying %q", name, problems, tc.want)
		}
	}
	// An older model accepts members it does not know.
	old := loadModel(t, launchModelFile)
	if p := old.validateBody("TrustAnchorDetailResponse", []byte(good), true); len(p) > 0 {
		t.Errorf("the 2022 model rejects a current body: %v", p)
	}
	if p := old.validateBody("TrustAnchorDetailResponse", []byte(good), false); len(p) == 0 {
		t.Error("the 2022 model, strict, accepts notificationSettings it does not define")
	}
	// Parsing as an old client: types still count, widened limits do not.
	tags := `{"tags":[` + strings.Repeat(`{"key":"k","value":"v"},`, 99) + `{"key":"k","value":"v"}]}`
	if p := old.parseBody("ListTagsForResourceResponse", []byte(tags)); len(p) > 0 {
		t.Errorf("100 tags do not parse with the 2022 model: %v", p)
	}
	if p := old.validateBody("ListTagsForResourceResponse", []byte(tags), true); len(p) == 0 {
		t.Error("the 2022 model's TagList max of 50 is not enforced by validateBody")
	}
	if p := old.parseBody("TrustAnchorDetailResponse", []byte(strings.Replace(good, `"enabled":true,"createdAt"`, `"enabled":"yes","createdAt"`, 1))); len(p) == 0 {
		t.Error("parseBody accepts a string for a boolean")
	}
}
