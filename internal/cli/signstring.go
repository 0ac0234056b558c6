package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/roam-dev/roam/internal/helper"
	"github.com/roam-dev/roam/internal/keysource"
)

func init() {
	register(func(root *cobra.Command, env *Env) { root.AddCommand(newSignStringCmd(env)) })
}

// enumValue is a string flag restricted to a few exact values, with the
// official helper's error wording.
type enumValue struct {
	allowed []string
	value   string
}

func (e *enumValue) String() string { return e.value }

func (e *enumValue) Set(v string) error {
	if !slices.Contains(e.allowed, v) {
		return fmt.Errorf("%s is not included in %s", v, strings.Join(e.allowed, ","))
	}
	e.value = v
	return nil
}

func (e *enumValue) Type() string { return "string" }

func newSignStringCmd(env *Env) *cobra.Command {
	var flags keyFlags
	format := &enumValue{allowed: helper.SignatureFormats(), value: "json"}
	digest := &enumValue{allowed: helper.DigestNames(), value: "SHA256"}
	cmd := &cobra.Command{
		Use:   "sign-string",
		Short: "Sign a fixed test string with the private key, to check that the key works",
		Long: `Sign a fixed test string with the private key and print the signature, as
aws_signing_helper sign-string does. The string is
"` + helper.TestStringPrefix + `" + "` + helper.TestStringVersion + `"
followed by the raw SHA-256 of "IAM RA" and the public key (DER PKCS#1 for
RSA, the uncompressed point for ECDSA; nothing for ML-DSA), so a signature
verifies only with the key it came from. RSA signs with PKCS#1 v1.5 and
ECDSA gives an ASN.1 DER signature, over --digest; ML-DSA signs the string
itself and ignores --digest. --format json prints a JSON string of
lowercase hex, text the bare hex, bin the raw bytes; none ends with a
newline. Standard input is never signed.
` + keySourceHelp,
		Args:        cobra.NoArgs,
		Annotations: map[string]string{annotationHelper: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			src, err := flags.open(cmd, env)
			if err != nil {
				return err
			}
			defer src.Close()
			id, err := keysource.Snapshot(src)
			if err != nil {
				return err
			}
			if flags.debug {
				helper.NewLogger(env.Stderr, env.Now).Printf(`Signing fixed string of the form: "%s" || SIGN_STRING_TEST_VERSION || SHA256("IAM RA" || PUBLIC_KEY_BYTE_ARRAY) with %s, certificate serial %s`,
					helper.TestStringPrefix, digest.value, id.Certificate.SerialNumber)
			}
			hash, _ := helper.Digest(digest.value) // the flag accepts only known names
			sig, err := helper.SignTestString(id.Signer, hash)
			if err != nil {
				return err
			}
			out, err := helper.FormatSignature(sig, format.value)
			if err != nil {
				return err
			}
			_, err = env.Stdout.Write(out)
			return err
		},
	}
	flags.bindNoChain(cmd)
	cmd.Flags().Var(format, "format", "Output format: one of json, text and bin")
	cmd.Flags().Var(digest, "digest", "Digest to sign: one of SHA256, SHA384 and SHA512 (ignored for ML-DSA keys)")
	return cmd
}
