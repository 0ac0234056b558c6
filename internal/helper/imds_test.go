package helper

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/testenv"
)

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// exchange is one request and answer of a captured transcript.
type exchange struct {
	method, path string
	header       http.Header
	resp         *http.Response
	body         []byte
}

// readTranscript parses imds-transcript.txt: "### <curl arguments>"
// followed by the raw HTTP answer.
func readTranscript(t *testing.T, path string) []exchange {
	t.Helper()
	raw := readVectorFile(t, path)
	var out []exchange
	for _, part := range bytes.Split(raw, []byte("### "))[1:] {
		cmdLine, rest, _ := bytes.Cut(part, []byte("\n"))
		ex := exchange{method: http.MethodGet, header: http.Header{}}
		words := strings.Fields(string(cmdLine))
		for i := 0; i < len(words); i++ {
			switch {
			case words[i] == "-X":
				ex.method = words[i+1]
				i++
			case words[i] == "-H":
				ex.header.Set(strings.TrimSuffix(words[i+1], ":"), words[i+2])
				i += 2
			case strings.HasPrefix(words[i], "http://"):
				u, err := url.Parse(words[i])
				if err != nil {
					t.Fatal(err)
				}
				ex.path = u.Path
			}
		}
		resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(rest)), nil)
		if err != nil {
			t.Fatalf("transcript %q: %v", cmdLine, err)
		}
		ex.body, _ = io.ReadAll(resp.Body)
		ex.resp = resp
		out = append(out, ex)
	}
	return out
}

var transcriptCreds = &Credentials{
	AccessKeyID: "ASIAEXAMPLEACCESSKEY", SecretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", SessionToken: "FwoGZXIvYXdzEXAMPLESESSIONTOKEN==",
	Expiration: "2026-11-24T06:12:27Z", Expires: time.Date(2026, 11, 24, 6, 12, 27, 0, time.UTC),
}

var base64Token = regexp.MustCompile(`^[A-Za-z0-9+/]{100}$`)

// TestIMDSTranscript replays every request of the official helper's serve
// transcript against roam's handler over real HTTP and compares status,
// headers and bodies.
func TestIMDSTranscript(t *testing.T) {
	exchanges := readTranscript(t, filepath.Join(testenv.Vectors(t), "serve", "imds-transcript.txt"))
	if len(exchanges) < 15 {
		t.Fatalf("only %d exchanges in the transcript", len(exchanges))
	}
	clock := &fakeClock{t: time.Date(2026, 11, 24, 5, 57, 33, 0, time.UTC)}
	updated := time.Date(2026, 11, 24, 5, 57, 27, 617705883, time.UTC)
	var logs bytes.Buffer
	imds, err := NewIMDS(IMDSConfig{
		RoleName:    "TestRole",
		Credentials: func(context.Context) (*Credentials, time.Time, error) { return transcriptCreds, updated, nil },
		Now:         clock.Now, Logger: NewLogger(&logs, clock.Now),
	})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(imds)
	defer srv.Close()

	// The transcript's GETs use a token obtained with a TTL of 60 seconds
	// one second earlier.
	token := putToken(t, srv.URL, "60")
	clock.Advance(time.Second)

	for _, ex := range exchanges {
		t.Run(ex.method+" "+ex.path+" "+headerSummary(ex.header), func(t *testing.T) {
			req, _ := http.NewRequest(ex.method, srv.URL+ex.path, nil)
			for k, v := range ex.header {
				req.Header[k] = v
			}
			if v := req.Header.Get(HeaderIMDSToken); v != "" && v != "bogus" {
				req.Header.Set(HeaderIMDSToken, token)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			want := ex.resp
			if resp.StatusCode != want.StatusCode {
				t.Fatalf("status %d, want %d (%s)", resp.StatusCode, want.StatusCode, body)
			}
			if g, w := headerNames(resp.Header), headerNames(want.Header); g != w {
				t.Errorf("headers %s, want %s", g, w)
			}
			if g, w := resp.Header.Get("Content-Type"), want.Header.Get("Content-Type"); g != w {
				t.Errorf("Content-Type %q, want %q", g, w)
			}
			if g, w := resp.Header.Get(HeaderIMDSTokenTTL), want.Header.Get(HeaderIMDSTokenTTL); g != w {
				t.Errorf("TTL header %q, want %q", g, w)
			}
			switch {
			case ex.method == http.MethodPut && want.StatusCode == 200:
				if !base64Token.Match(body) || bytes.Equal(body, ex.body) {
					t.Errorf("token %q is not a fresh 100-character base64 token", body)
				}
			case bytes.HasPrefix(ex.body, []byte("{")):
				compareCredentialsJSON(t, body, ex.body)
			default:
				if !bytes.Equal(body, ex.body) {
					t.Errorf("body %q, want %q", body, ex.body)
				}
			}
		})
	}
	if !strings.Contains(logs.String(), "Token validation received error: invalid token provided") ||
		!strings.Contains(logs.String(), "Token validation received error: no token provided") {
		t.Errorf("log lacks the official helper's token errors:\n%s", logs.String())
	}
	for _, secret := range []string{transcriptCreds.SecretAccessKey, transcriptCreds.SessionToken, token} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("log holds a secret: %s", logs.String())
		}
	}
}

func headerSummary(h http.Header) string {
	var out []string
	for k := range h {
		out = append(out, k)
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

// headerNames lists the header names of an answer, without Date.
func headerNames(h http.Header) string {
	var names []string
	for k := range h {
		if k != "Date" {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

// compareCredentialsJSON compares credential documents key by key, in
// order; LastUpdated need only be a timestamp.
func compareCredentialsJSON(t *testing.T, got, want []byte) {
	t.Helper()
	if !bytes.HasSuffix(got, []byte("}\n")) {
		t.Errorf("document %q does not end with a newline", got)
	}
	gk, gv := orderedJSON(t, got)
	wk, wv := orderedJSON(t, want)
	if !slices.Equal(gk, wk) {
		t.Fatalf("keys %v, want %v", gk, wk)
	}
	for k, v := range wv {
		if k == "LastUpdated" {
			if _, err := time.Parse(time.RFC3339Nano, gv[k]); err != nil {
				t.Errorf("LastUpdated %q: %v", gv[k], err)
			}
			continue
		}
		if gv[k] != v {
			t.Errorf("%s = %q, want %q", k, gv[k], v)
		}
	}
}

func orderedJSON(t *testing.T, doc []byte) ([]string, map[string]string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %s", doc)
	}
	var keys []string
	vals := map[string]string{}
	for dec.More() {
		k, _ := dec.Token()
		var v string
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v", doc, err)
		}
		keys = append(keys, k.(string))
		vals[k.(string)] = v
	}
	return keys, vals
}

func putToken(t *testing.T, base, ttl string) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, base+IMDSTokenPath, nil)
	req.Header.Set(HeaderIMDSTokenTTL, ttl)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("PUT token: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

func getWithToken(t *testing.T, url, token string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set(HeaderIMDSToken, token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

func TestIMDSTokenLifetime(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	imds, _ := NewIMDS(IMDSConfig{RoleName: "R", Now: clock.Now,
		Credentials: func(context.Context) (*Credentials, time.Time, error) { return transcriptCreds, clock.Now(), nil }})
	srv := httptest.NewServer(imds)
	defer srv.Close()
	token := putToken(t, srv.URL, "10")
	clock.Advance(3 * time.Second)
	if code, h, body := getWithToken(t, srv.URL+IMDSCredentialsPath, token); code != 200 || body != "R" || h.Get(HeaderIMDSTokenTTL) != "7" {
		t.Fatalf("after 3 s: %d %q TTL %q", code, body, h.Get(HeaderIMDSTokenTTL))
	}
	clock.Advance(7 * time.Second)
	if code, _, _ := getWithToken(t, srv.URL+IMDSCredentialsPath+"/R", token); code != 200 {
		t.Fatalf("at expiry: %d", code)
	}
	clock.Advance(time.Nanosecond)
	if code, _, body := getWithToken(t, srv.URL+IMDSCredentialsPath+"/R", token); code != 401 || body != "invalid token provided" {
		t.Fatalf("after expiry: %d %q", code, body)
	}
}

func TestIMDSTokenLimit(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	imds, _ := NewIMDS(IMDSConfig{RoleName: "R", Now: clock.Now, MaxTokens: 3,
		Credentials: func(context.Context) (*Credentials, time.Time, error) { return transcriptCreds, clock.Now(), nil }})
	srv := httptest.NewServer(imds)
	defer srv.Close()
	short := putToken(t, srv.URL, "100")
	long1 := putToken(t, srv.URL, "300")
	long2 := putToken(t, srv.URL, "200")
	fourth := putToken(t, srv.URL, "400")
	if n := imds.tokens.len(); n != 3 {
		t.Fatalf("%d tokens held, want 3", n)
	}
	for token, want := range map[string]int{short: 401, long1: 200, long2: 200, fourth: 200} {
		if code, _, _ := getWithToken(t, srv.URL+IMDSCredentialsPath, token); code != want {
			t.Errorf("token with status %d, want %d (the earliest-expiring one is evicted)", code, want)
		}
	}
	// Expired tokens are dropped when a new one is issued.
	clock.Advance(250 * time.Second)
	putToken(t, srv.URL, "1")
	if n := imds.tokens.len(); n != 3 {
		t.Fatalf("%d tokens held after expiry, want 3 (long1, fourth, new)", n)
	}
}

func TestIMDSNoCredentials(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	var logs bytes.Buffer
	imds, _ := NewIMDS(IMDSConfig{RoleName: "R", Now: clock.Now, Logger: NewLogger(&logs, clock.Now),
		Credentials: func(context.Context) (*Credentials, time.Time, error) {
			return nil, time.Time{}, errors.New("the credentials expired at X and could not be refreshed: AccessDeniedException")
		}})
	srv := httptest.NewServer(imds)
	defer srv.Close()
	token := putToken(t, srv.URL, "60")
	code, h, body := getWithToken(t, srv.URL+IMDSCredentialsPath+"/R", token)
	if code != 500 || !strings.Contains(body, "AccessDeniedException") || strings.Contains(body, "AccessKeyId") {
		t.Fatalf("%d %q, want a 500 with the reason and no credentials", code, body)
	}
	if h.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", h.Get("Content-Type"))
	}
	if !strings.Contains(logs.String(), "Error generating credentials: the credentials expired") {
		t.Errorf("log %q", logs.String())
	}
}

func TestNewIMDSRoleName(t *testing.T) {
	for _, name := range []string{"", "a{b}", "a/b", "a b", strings.Repeat("x", 65)} {
		if _, err := NewIMDS(IMDSConfig{RoleName: name, Now: time.Now}); err == nil {
			t.Errorf("role name %q accepted", name)
		}
	}
	if _, err := NewIMDS(IMDSConfig{RoleName: "Role+=,.@_-1", Now: time.Now}); err != nil {
		t.Error(err)
	}
}

// FuzzIMDS sends arbitrary requests: the handler never panics, answers
// with a known status, and never hands out credentials without a valid
// token.
func FuzzIMDS(f *testing.F) {
	f.Add("GET", IMDSCredentialsPath+"/R", "good", "", "")
	f.Add("PUT", IMDSTokenPath, "", "21600", "")
	f.Add("PUT", IMDSTokenPath+"/x", "", "-1", "1.2.3.4")
	f.Add("GET", IMDSCredentialsPath+"/R/../R", "good", "", "")
	f.Add("POST", "//latest/meta-data/iam/security-credentials/R/", "bad", "99999999999999999999", "")
	clock := &fakeClock{t: time.Unix(1_800_000_000, 0)}
	imds, _ := NewIMDS(IMDSConfig{RoleName: "R", Now: clock.Now,
		Credentials: func(context.Context) (*Credentials, time.Time, error) { return transcriptCreds, clock.Now(), nil }})
	imds.tokens.insert("good", clock.Now().Add(time.Hour), clock.Now())
	f.Fuzz(func(t *testing.T, method, path, token, ttl, xff string) {
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		req := &http.Request{Method: method, URL: &url.URL{Path: path}, Header: http.Header{}, Host: "127.0.0.1", RequestURI: path}
		if token != "" {
			req.Header[HeaderIMDSToken] = []string{token}
		}
		if ttl != "" {
			req.Header[HeaderIMDSTokenTTL] = []string{ttl}
		}
		if xff != "" {
			req.Header["X-Forwarded-For"] = []string{xff}
		}
		w := httptest.NewRecorder()
		imds.ServeHTTP(w, req)
		switch w.Code {
		case 200, 301, 307, 308, 400, 401, 404, 405:
		default:
			t.Fatalf("status %d", w.Code)
		}
		if strings.Contains(w.Body.String(), transcriptCreds.SecretAccessKey) && (token != "good" || method != http.MethodGet) {
			t.Fatalf("credentials handed out for %s %s with token %q", method, path, token)
		}
		if w.Code == 200 && method == http.MethodPut && (xff != "" || !base64Token.MatchString(w.Body.String())) {
			t.Fatalf("token issued for X-Forwarded-For %q: %q", xff, w.Body.String())
		}
	})
}
