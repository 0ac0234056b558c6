package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	awscreds "github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"
	"github.com/aws/smithy-go"

	"github.com/roam-dev/roam/internal/sigv4"
)

// This file turns the service model into requests: it builds inputs that
// satisfy (or violate) the model's constraints as a generic value tree,
// and sends a tree either through the AWS SDK for Go v2 (by reflection:
// the *rolesanywhere.Client method named after the operation) or as a raw
// SigV4-signed HTTP request serialised from the model's HTTP bindings.
//
// A value tree holds map[string]any for structures, []any for lists,
// string, int64, bool and []byte.

// exchange is one HTTP request and its response, as sent on the wire.
type exchange struct {
	via     string // "sdk" or "raw"
	method  string
	url     string
	reqBody []byte
	status  int
	header  http.Header
	body    []byte
}

func (x *exchange) String() string {
	return fmt.Sprintf("%s %s %s (%s) -> %d %s %s", x.method, short(x.url), short(string(x.reqBody)), x.via, x.status, x.header.Get("X-Amzn-ErrorType"), short(string(x.body)))
}

// recorder is the SDK's HTTP client: it keeps every exchange.
type recorder struct {
	client *http.Client
	mu     sync.Mutex
	seen   []*exchange
}

func (r *recorder) Do(req *http.Request) (*http.Response, error) {
	x := &exchange{via: "sdk", method: req.Method, url: req.URL.String()}
	if req.Body != nil {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			return nil, err
		}
		req.Body.Close()
		x.reqBody = b
		req.Body = io.NopCloser(bytes.NewReader(b))
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	x.status, x.header, x.body = resp.StatusCode, resp.Header.Clone(), b
	r.mu.Lock()
	r.seen = append(r.seen, x)
	r.mu.Unlock()
	return resp, nil
}

// take returns and forgets the exchanges recorded so far.
func (r *recorder) take() []*exchange {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.seen
	r.seen = nil
	return s
}

// conformance is a running roam, the models and a recording SDK client.
type conformance struct {
	e      *env
	m, old *awsModel
	rec    *recorder
	ra     *rolesanywhere.Client
}

func newConformance(t *testing.T) *conformance {
	t.Helper()
	e := start(t)
	rec := &recorder{client: &http.Client{Timeout: time.Minute}}
	cfg := aws.Config{
		Region:           e.account.Region,
		Credentials:      awscreds.NewStaticCredentialsProvider(e.account.RootAccessKeyID, e.account.RootSecretAccessKey, ""),
		BaseEndpoint:     aws.String(e.url),
		HTTPClient:       rec,
		RetryMaxAttempts: 1,
	}
	return &conformance{e: e, m: loadModel(t, currentModelFile), old: loadModel(t, launchModelFile), rec: rec, ra: rolesanywhere.NewFromConfig(cfg)}
}

// omit marks a member that input generation leaves out.
type omitted struct{}

var omit = omitted{}

// Pattern samples: for every pattern in the model, a value that matches it
// and one (of allowed length) that does not. TestConformanceSamples checks
// them against the model, so a new pattern in a future model fails loudly.
var (
	validSamples = map[string]string{
		`[ a-zA-Z0-9-_]*`:                                         "roam conformance-name_1",
		`[ a-zA-Z0-9_.:/=+@-]*`:                                   "team:conformance/a=b+c@d.e_f-g",
		`arn:aws(-[^:]+)?:iam(:.*){2}(:role.*)`:                   "arn:aws:iam::123456789012:role/conformance",
		`arn:aws(-[^:]+)?:rolesanywhere(:.*){2}(:trust-anchor.*)`: "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0ace5b12-24b9-427e-a483-c55884852fbf",
		`arn:aws(-[^:]+)?:rolesanywhere(:.*){2}(:profile.*)`:      "arn:aws:rolesanywhere:us-east-1:123456789012:profile/0ace5b12-24b9-427e-a483-c55884852fbf",
		`.*[a-f0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}.*`:           "0ace5b12-24b9-427e-a483-c55884852fbf",
	}
	invalidSamples = map[string]string{
		`[ a-zA-Z0-9-_]*`:                                         "bad/name!",
		`[ a-zA-Z0-9_.:/=+@-]*`:                                   "bad#tag!",
		`arn:aws(-[^:]+)?:iam(:.*){2}(:role.*)`:                   "arn:aws:iam::123456789012:user/conformance",
		`arn:aws(-[^:]+)?:rolesanywhere(:.*){2}(:trust-anchor.*)`: "arn:aws:rolesanywhere:us-east-1:123456789012:profile/0ace5b12-24b9-427e-a483-c55884852fbf",
		`arn:aws(-[^:]+)?:rolesanywhere(:.*){2}(:profile.*)`:      "arn:aws:rolesanywhere:us-east-1:123456789012:trust-anchor/0ace5b12-24b9-427e-a483-c55884852fbf",
		`.*[a-f0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}.*`:           "0ACE5B12-24B9-427E-A483-C55884852FBF",
	}
)

// generator builds valid inputs. known supplies values by member name
// (resource IDs, ARNs, certificate and CRL data) where the model's
// constraints are not enough to make a value the server accepts.
type generator struct {
	t     testing.TB
	m     *awsModel
	known map[string]any
}

// input builds a valid input for op.
func (g *generator) input(op string) map[string]any {
	g.t.Helper()
	in := g.m.Operations[op].Input
	if in == nil {
		return map[string]any{}
	}
	v, _ := g.value(in.Shape, "")
	return v.(map[string]any)
}

// value builds a valid value of shape for a member named member; ok is
// false when the member is left out.
func (g *generator) value(shape, member string) (any, bool) {
	g.t.Helper()
	if v, ok := g.known[member]; ok {
		if v == omit {
			return nil, false
		}
		return cloneTree(v), true
	}
	s := g.m.shape(g.t, shape)
	switch s.Type {
	case "structure":
		o := map[string]any{}
		for _, name := range s.memberNames() {
			if v, ok := g.value(s.Members[name].Shape, name); ok {
				o[name] = v
				if s.Union {
					break
				}
			}
		}
		return o, true
	case "list":
		n := int64(1)
		if s.Min != nil && *s.Min > n {
			n = *s.Min
		}
		l := []any{}
		for range n {
			v, _ := g.value(s.Member.Shape, "")
			l = append(l, v)
		}
		return l, true
	case "map":
		k, _ := g.value(s.Key.Shape, "")
		v, _ := g.value(s.Value.Shape, "")
		return map[string]any{k.(string): v}, true
	case "string":
		if len(s.Enum) > 0 {
			return s.Enum[0], true
		}
		if s.Pattern != "" {
			v, ok := validSamples[s.Pattern]
			if !ok {
				g.t.Fatalf("no sample value for the pattern %s of %s: add one to validSamples", s.Pattern, shape)
			}
			return v, true
		}
		return fitLength("conformance", s), true
	case "integer", "long":
		if s.Min != nil {
			return *s.Min, true
		}
		return int64(1), true
	case "boolean":
		return true, true
	case "blob":
		return []byte(fitLength("conformance", s)), true
	}
	g.t.Fatalf("cannot generate a %s (%s)", s.Type, shape)
	return nil, false
}

// fitLength pads or cuts v to the shape's length bounds.
func fitLength(v string, s *modelShape) string {
	if s.Min != nil && int64(len(v)) < *s.Min {
		v += strings.Repeat("a", int(*s.Min)-len(v))
	}
	if s.Max != nil && int64(len(v)) > *s.Max {
		v = v[:*s.Max]
	}
	return v
}

func cloneTree(v any) any {
	switch x := v.(type) {
	case map[string]any:
		o := make(map[string]any, len(x))
		for k, e := range x {
			o[k] = cloneTree(e)
		}
		return o
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = cloneTree(e)
		}
		return l
	case []byte:
		return slices.Clone(x)
	}
	return v
}

// violation is an input that breaks one constraint of the model.
type violation struct {
	name   string
	path   []string // member names and list indexes
	value  any      // the value to put at path
	remove bool     // remove the member instead
}

// apply returns a copy of in with the violation applied.
func (v violation) apply(in map[string]any) map[string]any {
	out := cloneTree(in).(map[string]any)
	var cur any = out
	for i, seg := range v.path {
		last := i == len(v.path)-1
		switch c := cur.(type) {
		case map[string]any:
			if last {
				if v.remove {
					delete(c, seg)
				} else {
					c[seg] = cloneTree(v.value)
				}
				return out
			}
			cur = c[seg]
		case []any:
			n, _ := strconv.Atoi(seg)
			if last {
				c[n] = cloneTree(v.value)
				return out
			}
			cur = c[n]
		}
	}
	return out
}

// violations lists, for every constrained member of op's input (nested
// members included), inputs that break one constraint each: required
// members left out, strings too short or too long or off their pattern
// or enum, integers out of range, blobs and lists of the wrong size, and
// unions with other than one member.
func (g *generator) violations(op string, valid map[string]any) []violation {
	return g.fromInput(op, valid, g.walk)
}

// fromInput returns what walk collects over op's input shape, starting
// from the valid input.
func (g *generator) fromInput(op string, valid map[string]any, walk func(shape string, cur any, path []string, out *[]violation)) []violation {
	g.t.Helper()
	in := g.m.Operations[op].Input
	if in == nil {
		return nil
	}
	var out []violation
	walk(in.Shape, valid, nil, &out)
	return out
}

func (g *generator) walk(shape string, cur any, path []string, out *[]violation) {
	s := g.m.shape(g.t, shape)
	at := func(p []string) []string { return append(slices.Clone(path), p...) }
	name := func(p []string) string { return strings.Join(p, ".") }
	switch s.Type {
	case "structure":
		o, _ := cur.(map[string]any)
		for _, member := range s.memberNames() {
			ref := s.Members[member]
			p := at([]string{member})
			if s.required(member) && ref.Location != "uri" {
				*out = append(*out, violation{name: name(p) + ": required member missing", path: p, remove: true})
			}
			mv, ok := o[member]
			if !ok {
				mv, _ = (&generator{t: g.t, m: g.m, known: map[string]any{}}).value(ref.Shape, "")
			}
			g.constraints(ref.Shape, mv, p, out)
			g.walk(ref.Shape, mv, p, out)
		}
		if s.Union {
			both := map[string]any{}
			for _, member := range s.memberNames() {
				if v, ok := o[member]; ok {
					both[member] = v
				} else {
					both[member] = "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/0ace5b12-24b9-427e-a483-c55884852fbf"
				}
			}
			*out = append(*out,
				violation{name: name(path) + ": union with every member set", path: path, value: both},
				violation{name: name(path) + ": union with no member set", path: path, value: map[string]any{}})
		}
	case "list":
		l, _ := cur.([]any)
		if len(l) > 0 {
			g.constraints(s.Member.Shape, l[0], at([]string{"0"}), out)
			g.walk(s.Member.Shape, l[0], at([]string{"0"}), out)
		}
	case "map":
		// No input map in the model is constrained; values are checked
		// by g.constraints on the map itself.
	}
}

// constraints adds the violations of the shape's own constraints, based
// on the valid value cur.
func (g *generator) constraints(shape string, cur any, path []string, out *[]violation) {
	s := g.m.shape(g.t, shape)
	name := strings.Join(path, ".")
	add := func(what string, v any) {
		*out = append(*out, violation{name: name + ": " + what, path: path, value: v})
	}
	switch s.Type {
	case "string":
		str, _ := cur.(string)
		if s.Min != nil && *s.Min > 0 {
			r := []rune(str)
			add(fmt.Sprintf("length %d < min %d", *s.Min-1, *s.Min), string(r[:*s.Min-1]))
		}
		if s.Max != nil {
			n := int(*s.Max) + 1 - utf8.RuneCountInString(str)
			add(fmt.Sprintf("length %d > max %d", *s.Max+1, *s.Max), str+strings.Repeat("a", n))
		}
		if s.Pattern != "" {
			bad, ok := invalidSamples[s.Pattern]
			if !ok {
				g.t.Fatalf("no invalid sample for the pattern %s of %s: add one to invalidSamples", s.Pattern, shape)
			}
			add("off the pattern "+s.Pattern, bad)
		}
		if len(s.Enum) > 0 {
			add("not in the enum", "NOT_IN_THE_MODEL")
		}
	case "integer", "long":
		if s.Min != nil {
			add(fmt.Sprintf("value < min %d", *s.Min), *s.Min-1)
		}
		if s.Max != nil {
			add(fmt.Sprintf("value > max %d", *s.Max), *s.Max+1)
		}
	case "blob":
		if s.Min != nil && *s.Min > 0 {
			add(fmt.Sprintf("%d bytes < min %d", *s.Min-1, *s.Min), bytes.Repeat([]byte("a"), int(*s.Min-1)))
		}
		if s.Max != nil {
			add(fmt.Sprintf("%d bytes > max %d", *s.Max+1, *s.Max), bytes.Repeat([]byte("a"), int(*s.Max+1)))
		}
	case "list":
		l, _ := cur.([]any)
		elem := func() any {
			if len(l) > 0 {
				return l[0]
			}
			v, _ := (&generator{t: g.t, m: g.m, known: map[string]any{}}).value(s.Member.Shape, "")
			return v
		}
		if s.Min != nil && *s.Min > 0 {
			short := make([]any, *s.Min-1)
			for i := range short {
				short[i] = elem()
			}
			add(fmt.Sprintf("%d items < min %d", *s.Min-1, *s.Min), short)
		}
		if s.Max != nil {
			long := make([]any, *s.Max+1)
			for i := range long {
				long[i] = elem()
			}
			add(fmt.Sprintf("%d items > max %d", *s.Max+1, *s.Max), long)
		}
	}
}

// errNotExpressible: the SDK's types cannot carry this input.
var errNotExpressible = errors.New("the SDK cannot express this input")

// sdkUnions builds the SDK's union member values.
var sdkUnions = map[string]func(member string, v any) (any, bool){
	"SourceData": func(member string, v any) (any, bool) {
		switch member {
		case "x509CertificateData":
			return &ratypes.SourceDataMemberX509CertificateData{Value: v.(string)}, true
		case "acmPcaArn":
			return &ratypes.SourceDataMemberAcmPcaArn{Value: v.(string)}, true
		}
		return nil, false
	},
}

// toSDK converts a value tree of shape into a value of Go type typ.
func (c *conformance) toSDK(shape string, v any, typ reflect.Type) (reflect.Value, error) {
	s := c.m.Shapes[shape]
	if typ.Kind() == reflect.Pointer {
		inner, err := c.toSDK(shape, v, typ.Elem())
		if err != nil {
			return reflect.Value{}, err
		}
		p := reflect.New(typ.Elem())
		p.Elem().Set(inner)
		return p, nil
	}
	out := reflect.New(typ).Elem()
	switch s.Type {
	case "structure":
		o := v.(map[string]any)
		if s.Union {
			mk := sdkUnions[shape]
			if mk == nil {
				return out, fmt.Errorf("no SDK union mapping for %s", shape)
			}
			if len(o) != 1 {
				return out, errNotExpressible
			}
			for member, mv := range o {
				u, ok := mk(member, mv)
				if !ok {
					return out, fmt.Errorf("no SDK union member for %s.%s", shape, member)
				}
				out.Set(reflect.ValueOf(u))
			}
			return out, nil
		}
		for member, mv := range o {
			f := out.FieldByName(strings.ToUpper(member[:1]) + member[1:])
			if !f.IsValid() {
				return out, fmt.Errorf("SDK type %s has no field for the model member %s.%s", typ, shape, member)
			}
			fv, err := c.toSDK(s.Members[member].Shape, mv, f.Type())
			if err != nil {
				return out, err
			}
			f.Set(fv)
		}
	case "list":
		l := v.([]any)
		out = reflect.MakeSlice(typ, len(l), len(l))
		for i, e := range l {
			ev, err := c.toSDK(s.Member.Shape, e, typ.Elem())
			if err != nil {
				return out, err
			}
			out.Index(i).Set(ev)
		}
	case "map":
		o := v.(map[string]any)
		out = reflect.MakeMap(typ)
		for k, e := range o {
			ev, err := c.toSDK(s.Value.Shape, e, typ.Elem())
			if err != nil {
				return out, err
			}
			out.SetMapIndex(reflect.ValueOf(k), ev)
		}
	case "string":
		out.SetString(v.(string))
	case "integer", "long":
		out.SetInt(v.(int64))
	case "boolean":
		out.SetBool(v.(bool))
	case "blob":
		out.SetBytes(v.([]byte))
	default:
		return out, fmt.Errorf("cannot convert a %s", s.Type)
	}
	return out, nil
}

// callSDK runs op through the SDK client method of the same name. It
// returns the exchange on the wire (nil when the SDK refused to send the
// input) and the SDK's error.
func (c *conformance) callSDK(t *testing.T, op string, in map[string]any) (*exchange, error) {
	t.Helper()
	method := reflect.ValueOf(c.ra).MethodByName(op)
	if !method.IsValid() {
		t.Fatalf("the SDK client has no method %s", op)
	}
	arg, err := c.toSDK(c.m.Operations[op].Input.Shape, in, method.Type().In(1))
	if err != nil {
		return nil, err
	}
	c.rec.take()
	res := method.Call([]reflect.Value{reflect.ValueOf(context.Background()), arg})
	xs := c.rec.take()
	if len(xs) > 1 {
		t.Fatalf("%s: the SDK sent %d requests", op, len(xs))
	}
	err, _ = res[1].Interface().(error)
	if len(xs) == 0 {
		return nil, err
	}
	return xs[0], err
}

// callRaw sends op as a SigV4-signed request serialised from the model's
// HTTP bindings: uri members in the path, querystring members in the query
// (lists as repeated keys), the rest as a JSON body.
func (c *conformance) callRaw(t *testing.T, op string, in map[string]any) *exchange {
	t.Helper()
	o := c.m.Operations[op]
	s := c.m.shape(t, o.Input.Shape)
	path := o.HTTP.RequestURI
	q := url.Values{}
	body := map[string]any{}
	for member, v := range in {
		ref, ok := s.Members[member]
		if !ok {
			t.Fatalf("%s has no member %s", o.Input.Shape, member)
		}
		key := member
		if ref.LocationName != "" {
			key = ref.LocationName
		}
		switch ref.Location {
		case "uri":
			path = strings.Replace(path, "{"+key+"}", url.PathEscape(fmt.Sprint(v)), 1)
		case "querystring":
			if l, ok := v.([]any); ok {
				for _, e := range l {
					q.Add(key, fmt.Sprint(e))
				}
			} else {
				q.Add(key, fmt.Sprint(v))
			}
		case "":
			body[key] = v
		default:
			t.Fatalf("binding %s of %s.%s is not handled", ref.Location, o.Input.Shape, member)
		}
	}
	if strings.Contains(path, "{") {
		t.Fatalf("%s: path %s still has a parameter", op, path)
	}
	target := c.e.url + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var raw []byte
	if o.HTTP.Method != http.MethodGet && o.HTTP.Method != http.MethodDelete {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(o.HTTP.Method, target, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if raw != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	creds := sigv4.Credentials{AccessKeyID: c.e.account.RootAccessKeyID, SecretAccessKey: c.e.account.RootSecretAccessKey}
	if _, err := sigv4.Sign(req, creds, "rolesanywhere", c.e.account.Region, sigv4.HashHex(raw), time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return &exchange{via: "raw", method: req.Method, url: target, reqBody: raw, status: resp.StatusCode, header: resp.Header, body: b}
}

// call sends op through the SDK, or raw when the SDK cannot express the
// input or refuses to send it.
func (c *conformance) call(t *testing.T, op string, in map[string]any) (*exchange, error) {
	t.Helper()
	x, err := c.callSDK(t, op, in)
	if x != nil {
		return x, err
	}
	return c.callRaw(t, op, in), nil
}

// checkError checks an error answer: the status and X-Amzn-ErrorType of
// the modelled error, the code the SDK saw (when it sent the request), and
// the body against the error's shape.
func (c *conformance) checkError(t *testing.T, op string, x *exchange, sdkErr error, code string) {
	t.Helper()
	es := c.m.shape(t, code)
	if x.status != es.Error.HTTPStatusCode {
		t.Errorf("status %d, want %d: %s", x.status, es.Error.HTTPStatusCode, x)
	}
	if got, _, _ := strings.Cut(x.header.Get("X-Amzn-ErrorType"), ":"); got != code {
		t.Errorf("X-Amzn-ErrorType %q, want %s: %s", got, code, x)
	}
	if x.via == "sdk" {
		var apiErr smithy.APIError
		if !errors.As(sdkErr, &apiErr) {
			t.Errorf("the SDK returned %v, not an API error", sdkErr)
		} else if apiErr.ErrorCode() != code {
			t.Errorf("the SDK saw error code %s, want %s (%v)", apiErr.ErrorCode(), code, sdkErr)
		}
	}
	for _, p := range c.m.validateBody(code, x.body, true) {
		t.Errorf("error body: %s", p)
	}
}

// checkResponse checks a success answer against op's output shape in the
// current model (every constraint; unknown members are errors) and, where
// the operation exists there, as a 2022-07-05 client parses it (types,
// required members and formats; unknown members are fine, old clients skip
// them).
func (c *conformance) checkResponse(t *testing.T, op string, x *exchange) {
	t.Helper()
	o := c.m.Operations[op]
	if x.status != o.responseCode() {
		t.Errorf("status %d, want the model's %d: %s", x.status, o.responseCode(), x)
	}
	if ct := x.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	if x.header.Get("X-Amzn-Requestid") == "" {
		t.Error("no x-amzn-RequestId header")
	}
	for _, p := range c.m.validateBody(o.Output.Shape, x.body, false) {
		t.Errorf("current model: %s", p)
	}
	if oo, ok := c.old.Operations[op]; ok {
		if x.status != oo.responseCode() {
			t.Errorf("status %d, the 2022 model says %d", x.status, oo.responseCode())
		}
		for _, p := range c.old.parseBody(oo.Output.Shape, x.body) {
			t.Errorf("2022-07-05 model: %s", p)
		}
		for _, p := range c.old.validateBody(oo.Output.Shape, x.body, true) {
			t.Logf("note: outside a 2022-07-05 model constraint (SDKs do not enforce output constraints): %s", p)
		}
	}
	if t.Failed() {
		t.Logf("body: %s", x.body)
	}
}

// sortedKeys returns m's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// edges lists inputs at the edges of op's constraints that the model
// allows: strings of exactly the minimum and maximum length, integers at
// their bounds, lists of the minimum and maximum size, every enum value.
// Members whose value is known (IDs, ARNs, certificate and CRL data,
// policies) keep it, except that known lists are also sent empty when the
// model allows that.
func (g *generator) edges(op string, valid map[string]any) []violation {
	return g.fromInput(op, valid, g.walkEdges)
}

func (g *generator) walkEdges(shape string, cur any, path []string, out *[]violation) {
	s := g.m.shape(g.t, shape)
	at := func(p ...string) []string { return append(slices.Clone(path), p...) }
	switch s.Type {
	case "structure":
		o, _ := cur.(map[string]any)
		for _, member := range s.memberNames() {
			mv, ok := o[member]
			if !ok {
				continue
			}
			_, known := g.known[member]
			g.edgeValues(s.Members[member].Shape, mv, at(member), known, out)
			if !known {
				g.walkEdges(s.Members[member].Shape, mv, at(member), out)
			}
		}
	case "list":
		if l, _ := cur.([]any); len(l) > 0 {
			g.edgeValues(s.Member.Shape, l[0], at("0"), false, out)
			g.walkEdges(s.Member.Shape, l[0], at("0"), out)
		}
	}
}

func (g *generator) edgeValues(shape string, cur any, path []string, known bool, out *[]violation) {
	s := g.m.shape(g.t, shape)
	name := strings.Join(path, ".")
	add := func(what string, v any) {
		*out = append(*out, violation{name: name + ": " + what, path: path, value: v})
	}
	switch s.Type {
	case "string":
		str, _ := cur.(string)
		if known || str == "" {
			return
		}
		if s.Min != nil && int64(len(str)) > *s.Min {
			add(fmt.Sprintf("length %d = min", *s.Min), str[:*s.Min])
		}
		if s.Max != nil && int64(len(str)) < *s.Max {
			add(fmt.Sprintf("length %d = max", *s.Max), str+strings.Repeat("a", int(*s.Max)-len(str)))
		}
		for _, e := range s.Enum {
			if e != str {
				add("enum value "+e, e)
			}
		}
	case "integer", "long":
		if known {
			return
		}
		if s.Min != nil && cur != *s.Min {
			add(fmt.Sprintf("value %d = min", *s.Min), *s.Min)
		}
		if s.Max != nil && cur != *s.Max {
			add(fmt.Sprintf("value %d = max", *s.Max), *s.Max)
		}
	case "list":
		l, _ := cur.([]any)
		if s.Min != nil && len(l) > 0 && *s.Min < int64(len(l)) {
			add(fmt.Sprintf("%d items = min", *s.Min), slices.Repeat(l[:1], int(*s.Min)))
		}
		if s.Max != nil && !known && len(l) > 0 {
			add(fmt.Sprintf("%d items = max", *s.Max), slices.Repeat(l[:1], int(*s.Max)))
		}
	}
}
