//go:build cgo

package keysource

import "testing"

// TestPKCS11AgainstServer: credentials from a running roam server for keys
// that never leave a SoftHSM token.
func TestPKCS11AgainstServer(t *testing.T) {
	h := newSoftHSM(t, "roam-test")
	p := newP11PKI(t, h)
	srv := startRoam(t, p.root.Cert)
	for _, obj := range []string{"rsa-2048", "ec-prime256v1"} {
		t.Run(obj, func(t *testing.T) {
			srv.createSession(t, Options{Certificate: h.uri("token=roam-test;object=" + obj)}, "")
		})
	}
}
