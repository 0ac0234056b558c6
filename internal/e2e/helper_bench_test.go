package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/rolesanywhere"
	ratypes "github.com/aws/aws-sdk-go-v2/service/rolesanywhere/types"

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
	admin := benchServer(b)
	ctx := context.Background()
	cacheHome := b.TempDir()
	environ := append(cleanEnv(), "HOME="+b.TempDir(), "XDG_CACHE_HOME="+cacheHome)
	ids := map[testpki.KeyType][]string{}
	for _, kt := range []testpki.KeyType{testpki.RSA2048, testpki.ECP256} {
		ids[kt] = benchIdentity(b, ctx, admin, kt)
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

// benchServer starts a roam server for the benchmark and returns an admin
// configuration for it.
func benchServer(b *testing.B) aws.Config { return testserver.Start(b, testserver.Options{}).Config }

// benchIdentity creates a CA, trust anchor, role and profile and a client
// certificate of key type kt, and returns credential-process's flags.
func benchIdentity(b *testing.B, ctx context.Context, admin aws.Config, kt testpki.KeyType) []string {
	b.Helper()
	ca := testpki.NewCA(b, testpki.WithKeyType(kt))
	leaf := ca.Leaf(b, testpki.WithKeyType(kt))
	ra, iamc := rolesanywhere.NewFromConfig(admin), iam.NewFromConfig(admin)
	name := "bench-" + string(kt)
	ta, err := ra.CreateTrustAnchor(ctx, &rolesanywhere.CreateTrustAnchorInput{Name: aws.String(name), Enabled: aws.Bool(true),
		Source: &ratypes.Source{SourceType: ratypes.TrustAnchorTypeCertificateBundle, SourceData: &ratypes.SourceDataMemberX509CertificateData{Value: string(testpki.PEM(ca.Cert))}}})
	if err != nil {
		b.Fatal(err)
	}
	role, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustPolicy(*ta.TrustAnchor.TrustAnchorArn))})
	if err != nil {
		b.Fatal(err)
	}
	prof, err := ra.CreateProfile(ctx, &rolesanywhere.CreateProfileInput{Name: aws.String(name), Enabled: aws.Bool(true), RoleArns: []string{*role.Role.Arn}})
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(cert, testpki.PEM(leaf.Cert), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(key, testpki.KeyPEM(b, leaf.Key), 0o600); err != nil {
		b.Fatal(err)
	}
	return []string{"--certificate", cert, "--private-key", key, "--trust-anchor-arn", *ta.TrustAnchor.TrustAnchorArn,
		"--profile-arn", *prof.Profile.ProfileArn, "--role-arn", *role.Role.Arn, "--endpoint", *admin.BaseEndpoint}
}

// roamBinaryTB is roamBinary for benchmarks; both share one build.
