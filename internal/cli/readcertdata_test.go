package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/keysource"
	"github.com/roam-dev/roam/internal/testenv"
)

func TestReadCertificateData(t *testing.T) {
	root := testenv.Vectors(t)
	certPath := filepath.Join(root, "rsa2048", "leaf-cert.pem")
	certPEM, _ := os.ReadFile(certPath)
	want, _ := os.ReadFile(filepath.Join(root, "read-certificate-data-file.json"))
	combo, _ := os.ReadFile(filepath.Join(root, "rsa2048", "leaf-key.pem"))
	comboPath := filepath.Join(t.TempDir(), "combo.pem")
	if err := os.WriteFile(comboPath, append(combo, certPEM...), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		vars  map[string]string
		stdin string
	}{
		{"file", []string{"--certificate", certPath}, nil, ""},
		{"standard input", []string{"--certificate", "-"}, nil, string(certPEM)},
		{"environment", nil, map[string]string{keysource.EnvCertificate: string(certPEM)}, ""},
		{"certificate after a key", []string{"--certificate", comboPath}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, stdout, stderr := helperEnv(tt.vars, time.Now(), tt.stdin)
			if code := helperRun(context.Background(), env, append([]string{"read-certificate-data"}, tt.args...)...); code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if stdout.String() != string(want) {
				t.Fatalf("stdout %s\nwant   %s", stdout, want)
			}
		})
	}
}

func TestReadCertificateDataErrors(t *testing.T) {
	root := testenv.Vectors(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	_ = os.WriteFile(garbage, []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 0o600)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"error/missing file", []string{"--certificate", filepath.Join(dir, "none.pem")}, "could not parse PEM data"},
		{"error/key instead of certificate", []string{"--certificate", filepath.Join(root, "rsa2048", "leaf-key.pem")}, "could not parse PEM data"},
		{"error/broken certificate", []string{"--certificate", garbage}, "could not parse certificate"},
		{"error/certificate store on linux", nil, "unable to use cert store signer"},
		{"error/exclusive flags", []string{"--certificate", garbage, "--cert-selector", "x"}, "if any flags in the group [certificate cert-selector]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env, stdout, stderr := helperEnv(nil, time.Now(), "")
			if code := helperRun(context.Background(), env, append([]string{"read-certificate-data"}, tt.args...)...); code != 1 {
				t.Fatalf("exit %d, want 1", code)
			}
			if stdout.Len() != 0 || !strings.Contains(stderr.String(), tt.want) {
				t.Fatalf("stdout %q, stderr %q; want %q", stdout, stderr, tt.want)
			}
		})
	}
}
