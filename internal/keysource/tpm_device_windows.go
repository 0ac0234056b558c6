//go:build windows

package keysource

import (
	"fmt"

	"github.com/google/go-tpm/tpm2/transport"
	"github.com/google/go-tpm/tpm2/transport/windowstpm"
)

// defaultTPMDevice is the TPM Base Services, reached through tbs.dll.
func defaultTPMDevice() (tpmDevice, error) { return tpmDevice{}, nil }

// openPlatformTPM opens the TPM through the TPM Base Services.
func openPlatformTPM() (transport.TPMCloser, error) {
	t, err := windowstpm.Open()
	if err != nil {
		return nil, fmt.Errorf("%w through the TPM Base Services: %v", ErrTPMDevice, err)
	}
	return t, nil
}
