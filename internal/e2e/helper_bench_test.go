package e2e

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/roam-dev/roam/internal/testpki"
	"github.com/roam-dev/roam/internal/testserver"
)

// BenchmarkCredentialProcess measures roam credential-process end to end,
// from process start to the JSON on its standard output, against a roam
// server on loopback: one op is one process. "version" is the floor (start
// a process, initialise the binary's packages, print); "no cache" adds
// reading the key, signing and one CreateSession; "cache hit" answers from
// --cache without a request. Figures only, no thresholds:
//
//	go test ./internal/e2e -run '^$' -bench CredentialProcess -benchtime 50x
func BenchmarkCredentialProcess(b *testing.B) {
	s := testserver.Start(b, testserver.Options{})
	cacheHome := b.TempDir()
	environ := append(cleanEnv(), "HOME="+b.TempDir(), "XDG_CACHE_HOME="+cacheHome)
	ids := map[testpki.KeyType][]string{}
	for _, kt := range []testpki.KeyType{testpki.RSA2048, testpki.ECP256} {
		ids[kt] = benchIdentity(b, s, kt)
	}
	for _, build := range []struct {
		name string
		path string
	}{{"full", roamBinary(b)}, {"helper build", helperBinary(b)}} {
		roam := build.path
		for _, kt := range []testpki.KeyType{testpki.RSA2048, testpki.ECP256} {
			args := append([]string{"credential-process"}, ids[kt]...)
			b.Run(build.name+"/no cache/"+string(kt), func(b *testing.B) { benchExec(b, environ, roam, args...) })
			b.Run(build.name+"/cache hit/"+string(kt), func(b *testing.B) {
				warm := exec.Command(roam, append(args, "--cache")...)
				warm.Env = environ
				if out, err := warm.CombinedOutput(); err != nil {
					b.Fatalf("warming the cache: %v %s", err, out)
				}
				benchExec(b, environ, roam, append(args, "--cache")...)
			})
		}
		b.Run(build.name+"/version", func(b *testing.B) { benchExec(b, environ, roam, "version") })
	}
}

// benchExec runs the command b.N times; each run must succeed.
func benchExec(b *testing.B, environ []string, name string, args ...string) {
	b.Helper()
	for b.Loop() {
		cmd := exec.Command(name, args...)
		cmd.Env = environ
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil || len(out) == 0 {
			b.Fatalf("%s %v: %v %s", name, args, err, stderr.String())
		}
	}
}

// benchIdentity registers a new CA of key type kt with s (trust anchor,
// role and profile), issues it a client certificate, and returns
// credential-process's flags.
func benchIdentity(b *testing.B, s *testserver.Server, kt testpki.KeyType) []string {
	b.Helper()
	ca := testpki.NewCA(b, testpki.WithKeyType(kt))
	leaf := ca.Leaf(b, testpki.WithKeyType(kt))
	r := s.Walkthrough(b, "bench-"+string(kt), string(testpki.PEM(ca.Cert)))
	dir := b.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, testpki.PEM(leaf.Cert), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(key, testpki.KeyPEM(b, leaf.Key), 0o600); err != nil {
		b.Fatal(err)
	}
	return []string{"--certificate", cert, "--private-key", key, "--trust-anchor-arn", r.TrustAnchorArn,
		"--profile-arn", r.ProfileArn, "--role-arn", r.RoleArn, "--endpoint", s.URL}
}
