package sigv4x509

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/sigv4"
)

// vector is one request captured from the real aws_signing_helper.
type vector struct {
	// name is the request file relative to the vectors root, e.g.
	// "rsa2048/run1/captured/req-001.raw".
	name string
	// caseDir holds canonical_request.txt & co. for the main cases.
	caseDir string
	raw     []byte
	// captured is the capture server's own analysis (req-NNN.json).
	captured capturedAnalysis
}

type capturedAnalysis struct {
	Verify struct {
		CanonicalRequest string `json:"canonicalRequest"`
		StringToSign     string `json:"stringToSign"`
		Valid            bool   `json:"valid"`
	}
}

// loadVectors reads every captured/req-NNN.raw under root.
func loadVectors(t testing.TB, root string) []vector {
	t.Helper()
	var vs []vector
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || filepath.Base(filepath.Dir(path)) != "captured" ||
			!strings.HasPrefix(d.Name(), "req-") || !strings.HasSuffix(d.Name(), ".raw") {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		v := vector{name: filepath.ToSlash(rel), caseDir: filepath.Dir(filepath.Dir(path)), raw: raw}
		js, err := os.ReadFile(strings.TrimSuffix(path, ".raw") + ".json")
		if err != nil {
			return err
		}
		if err := json.Unmarshal(js, &v.captured); err != nil {
			return err
		}
		vs = append(vs, v)
		return nil
	})
	if err != nil {
		t.Fatalf("load vectors: %v", err)
	}
	return vs
}

// request parses the raw bytes as a server does.
func (v vector) request(t testing.TB) (*http.Request, []byte) {
	t.Helper()
	return readWire(t, v.raw)
}

// readWire parses raw request bytes the way net/http's server does.
func readWire(t testing.TB, raw []byte) (*http.Request, []byte) {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("read request: %v", err)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return r, body
}

// onTheWire serialises a client request as the transport would.
func onTheWire(t testing.TB, r *http.Request) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Write(&buf); err != nil {
		t.Fatalf("write request: %v", err)
	}
	return buf.Bytes()
}

// signingTime is the request's X-Amz-Date, the clock its vector is pinned to.
func signingTime(t testing.TB, r *http.Request) time.Time {
	t.Helper()
	when, err := sigv4.ParseTime(r.Header.Get(HeaderDate))
	if err != nil {
		t.Fatalf("X-Amz-Date: %v", err)
	}
	return when
}

// readText returns a vector file with trailing newlines removed, or "" when
// the file does not exist.
func readText(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimRight(string(b), "\n")
}

// readKeys parses the PEM private keys in files, in the formats the vectors
// use: PKCS#8, PKCS#1 RSA and SEC1 EC.
func readKeys(t testing.TB, files ...string) []crypto.Signer {
	t.Helper()
	var keys []crypto.Signer
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for {
			var block *pem.Block
			block, data = pem.Decode(data)
			if block == nil {
				break
			}
			var k any
			switch block.Type {
			case "PRIVATE KEY":
				k, err = x509.ParsePKCS8PrivateKey(block.Bytes)
			case "RSA PRIVATE KEY":
				k, err = x509.ParsePKCS1PrivateKey(block.Bytes)
			case "EC PRIVATE KEY":
				k, err = x509.ParseECPrivateKey(block.Bytes)
			default:
				continue
			}
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			keys = append(keys, k.(crypto.Signer))
		}
	}
	return keys
}

// keyFor returns the key among keys whose public half is pub, or nil.
func keyFor(keys []crypto.Signer, pub crypto.PublicKey) crypto.Signer {
	type equaler interface{ Equal(crypto.PublicKey) bool }
	for _, k := range keys {
		if e, ok := k.Public().(equaler); ok && e.Equal(pub) {
			return k
		}
	}
	return nil
}

// resign rebuilds the client request behind a captured one (same URL,
// headers the helper had set before signing, body) and signs it with key at
// the captured time, with the captured chain.
func resign(t testing.TB, r *http.Request, body []byte, key crypto.Signer) (*http.Request, *Signed) {
	t.Helper()
	leaf, err := parseLeaf(r, x509.ParseCertificate)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := parseChain(r, x509.ParseCertificate)
	if err != nil {
		t.Fatal(err)
	}
	a, err := sigv4.ParseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := http.NewRequest(http.MethodPost, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	// Content-Length and Accept-Encoding are added by the transport after
	// signing; the rest were in the helper's header map (User-Agent too,
	// which must not be signed).
	for k, vs := range r.Header {
		switch k {
		case "Content-Length", "Accept-Encoding", "Authorization", HeaderDate, HeaderX509, HeaderChain:
			continue
		}
		c.Header[k] = slices.Clone(vs)
	}
	signed, err := Sign(c, body, Identity{Signer: key, Certificate: leaf, Chain: chain}, a.Scope.Region, signingTime(t, r))
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	return c, signed
}

// withHeader returns raw request bytes with one header's value replaced
// (or removed, when value is ""), keeping everything else byte for byte.
func withHeader(raw []byte, name, value string) []byte {
	head, body, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
	lines := strings.Split(string(head), "\r\n")
	out := []string{lines[0]}
	for _, l := range lines[1:] {
		k, _, _ := strings.Cut(l, ":")
		if strings.EqualFold(k, name) {
			if value != "" {
				out = append(out, k+": "+value)
			}
			value = ""
			continue
		}
		out = append(out, l)
	}
	if value != "" {
		out = append(out, name+": "+value)
	}
	return append([]byte(strings.Join(out, "\r\n")+"\r\n\r\n"), body...)
}

// b64 is standard base64, as in X-Amz-X509.
func b64(der []byte) string { return base64.StdEncoding.EncodeToString(der) }
