//go:build !windows

package keysource

import (
	"errors"
	"os"

	"github.com/google/go-tpm/tpm2/transport"
)

// defaultTPMDevice is the kernel's resource manager, /dev/tpmrm0, which
// several programs may use at once, or the raw /dev/tpm0 when there is no
// resource manager. When neither exists, opening /dev/tpmrm0 fails with a
// message that says how to choose a TPM.
func defaultTPMDevice() (tpmDevice, error) {
	for _, p := range []string{"/dev/tpmrm0", "/dev/tpm0"} {
		if _, err := os.Stat(p); err == nil {
			return tpmDevice{address: p}, nil
		}
	}
	return tpmDevice{address: "/dev/tpmrm0"}, nil
}

// openPlatformTPM is only used on Windows.
func openPlatformTPM() (transport.TPMCloser, error) {
	return nil, errors.New("keysource: no platform TPM interface on this system")
}
