package keysource

import "fmt"

// TPM 2.0 keys (handle:0x... identifiers and TSS2 PRIVATE KEY files) are
// not implemented yet. The TPM backend will replace this placeholder by
// calling Register(BackendTPM, ...).

func init() {
	registerPlaceholder(BackendTPM, BackendFunc(func(req *Request) (Source, error) {
		what := fmt.Sprintf("%s holds a TSS2 PRIVATE KEY", req.KeyName)
		if req.Key == nil {
			what = "the key is a TPM handle (" + req.KeyID + ")"
		}
		return nil, &unsupportedError{msg: "TPM support is not implemented yet: " + what}
	}))
}
