// Package keysource turns the credential helper's key and certificate flags
// into a signer: a [Source] is a [crypto.Signer] that also hands out the
// end-entity certificate and its intermediates.
//
// [Open] follows the official aws_signing_helper's rules for choosing where
// the key and certificate come from (see docs/signing-helper.md §1.2):
//
//   - The key identifier is Options.PrivateKey or, when that is empty,
//     Options.Certificate, so a single file may carry both (a "combo" PEM
//     or a PKCS#12 bundle).
//   - The certificate input is scanned for its first CERTIFICATE block (a
//     DER certificate is accepted too). When it holds none and no private
//     key was named, it is read as PKCS#12; the chain must then be inside
//     the bundle, so Options.Intermediates is an error.
//   - Options.Intermediates holds consecutive CERTIFICATE PEM blocks; any
//     other block type is an "invalid certificate chain".
//   - Keys that live outside the process are handed to a [Backend] chosen by
//     the identifier's scheme: "pkcs11:" URIs go to the "pkcs11" backend,
//     "handle:0x…" and files holding a "TSS2 PRIVATE KEY" block go to "tpm",
//     and the Windows/macOS certificate stores (no certificate or key given,
//     or any of CertSelector, SystemStoreName, UseLatestExpiringCertificate
//     set) go to "certstore". The TPM 2.0 backend is pure Go and always
//     built ($TPM_DEVICE names the device, a unix socket or tcp:HOST:PORT);
//     the PKCS#11 backend needs cgo, and a CGO_ENABLED=0 build registers a
//     placeholder that says so; the certificate stores exist only on
//     Windows and macOS, so Linux registers a placeholder that says that.
//     Backends register with [Register]; the dispatcher does not change.
//   - Everything else is a software key: PKCS#8 "PRIVATE KEY" (RSA, ECDSA
//     and ML-DSA-44/65/87 in the seed, expanded and seed+expanded forms
//     OpenSSL 3.5 writes), SEC1 "EC PRIVATE KEY", PKCS#1 "RSA PRIVATE
//     KEY", their DER forms, and "ENCRYPTED PRIVATE KEY" (PBES2 with PBKDF2
//     HMAC-SHA-1/224/256/384/512 or scrypt, and AES-128/192/256-CBC or
//     3DES-CBC), which needs Options.PKCS8Password; nothing ever prompts.
//     PKCS#12 bundles may use the legacy SHA-1/3DES/RC2 algorithms or
//     OpenSSL 3's AES-256/SHA-256 default (which the official helper
//     rejects); their password is Options.PKCS8Password, empty by default.
//     They may hold RSA and ECDSA keys, not ML-DSA.
//
// Key derivation is bounded so that a hostile or corrupt file fails
// quickly: at most 10 million PBKDF2 iterations (PKCS#8 and PKCS#12) and
// 256 MiB of scrypt memory, far above what OpenSSL writes.
//
// Unlike the official helper, Open checks that the private key belongs to
// the certificate and names both inputs when it does not.
//
// # Standard input and environment
//
// A Certificate, PrivateKey or Intermediates value of "-" reads PEM from
// Options.Stdin. Standard input is read once, so Certificate and PrivateKey
// may both be "-" when it holds both blocks; each takes the blocks of its
// type. Intermediates "-" takes the CERTIFICATE blocks of standard input
// other than the leaf. Certificate "-" alone may also be a PKCS#12 bundle.
//
// For CI systems that keep secrets in variables, the environment variables
// ROAM_CERTIFICATE, ROAM_PRIVATE_KEY and ROAM_INTERMEDIATES (see
// [EnvCertificate] and its siblings) hold PEM text. Precedence is per input:
// a non-empty flag always wins, and each variable is consulted only when
// its own flag is empty. So "--certificate cert.pem" with ROAM_PRIVATE_KEY
// set uses the file's certificate and the variable's key, and a variable
// never overrides a flag. Errors name the variable, never its value. When
// neither flag nor variable provides a certificate or a key, the platform
// certificate store is used, as in the official helper.
//
// # Rotation
//
// A software Source re-reads its regular files whenever their size,
// modification time or identity (inode, so an atomic rename or a switched
// symbolic link counts) change, so a long-running serve or update picks up
// rotated certificates and keys without a restart. When nothing changed,
// an access costs one stat per file. A file modified within the last two
// seconds is read again on each access, in case it changed again within
// the file system's clock tick; the bytes are compared before anything is
// parsed or decrypted again. A failed reload (for example while only one
// of certificate and key has been replaced) is returned as an error and
// retried on the next access; it is never cached. Standard input,
// environment variables and non-regular files (pipes) are read once, at
// Open.
//
// A caller that sends the certificate with a signature should take both
// from one [Snapshot], which cannot straddle a rotation.
//
// # Signatures
//
// Sign follows [crypto.Signer]: RSA and ECDSA keys sign a digest whose hash
// opts names, RSA with PKCS#1 v1.5 (or PSS when opts is an
// *[crypto/rsa.PSSOptions]) and ECDSA with an ASN.1 DER SEQUENCE{r, s};
// ML-DSA keys sign the whole message in the deterministic "pure" mode with
// an empty context and require opts.HashFunc() == 0.
//
// Errors begin with the official helper's message where it has one ("could
// not parse PEM data", "unable to parse private key", "undefined certificate
// value", "failed to read private key: incorrect PKCS#8 private key
// password", ...) and match the exported Err values with [errors.Is].
// Passwords, PINs, key material and the contents of environment variables
// never appear in errors.
package keysource
