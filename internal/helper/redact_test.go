package helper

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestCredentialsRedacted: however credentials are printed or logged by
// mistake, the secret key and the session token do not appear.
func TestCredentialsRedacted(t *testing.T) {
	c := &Credentials{AccessKeyID: "ASIAVISIBLE", SecretAccessKey: "SECRETVALUE", SessionToken: "TOKENVALUE", Expiration: "2026-11-24T06:00:00Z"}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "creds", c, "value", *c)
	slog.New(slog.NewTextHandler(&logged, nil)).Info("x", "creds", c)
	outputs := []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", *c, *c, *c, c), logged.String()}
	for _, out := range outputs {
		if strings.Contains(out, "SECRETVALUE") || strings.Contains(out, "TOKENVALUE") {
			t.Errorf("secret printed: %s", out)
		}
		if !strings.Contains(out, "ASIAVISIBLE") {
			t.Errorf("access key ID missing: %s", out)
		}
	}
}
