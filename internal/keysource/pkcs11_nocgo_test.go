//go:build !cgo

package keysource

import (
	"errors"
	"strings"
	"testing"

	"github.com/roam-dev/roam/internal/testenv"
)

// TestPKCS11NeedsCgo checks the message of a binary built without cgo and
// then, since the SoftHSM tests cannot run in such a build, skips (or
// fails under ROAM_TEST_REQUIRE_ALL=1, so that CI never drops them
// silently).
func TestPKCS11NeedsCgo(t *testing.T) {
	const pin = "pin-8642"
	_, err := Open(Options{Certificate: "pkcs11:token=t;object=k?pin-value=" + pin})
	if !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "needs a roam built with cgo (CGO_ENABLED=1)") {
		t.Fatalf("err = %v", err)
	}
	checkNoSecret(t, err, pin)
	if _, err := ListPKCS11Certificates("pkcs11:token=t", ""); !errors.Is(err, errors.ErrUnsupported) {
		t.Fatalf("ListPKCS11Certificates: %v", err)
	}
	testenv.Missing(t, "cgo is disabled (CGO_ENABLED=0), so the PKCS#11 backend and its SoftHSM tests are not built")
}
