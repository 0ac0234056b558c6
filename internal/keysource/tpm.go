package keysource

// The TPM 2.0 backend (BackendTPM), in pure Go with go-tpm, so it is in
// every build:
//
//   - "handle:0x81xxxxxx" names a persistent key; its public part is read
//     from the TPM. It needs --tpm-key-password, or --no-tpm-key-password
//     when it has no password: roam never prompts.
//   - A file (or standard input, or $ROAM_PRIVATE_KEY) holding a "TSS2
//     PRIVATE KEY" block is a loadable key (2.23.133.10.1.3) that the TPM
//     loads under its parent for every signature and flushes afterwards.
//     The parent is a persistent key, or a hierarchy (owner, null,
//     endorsement, platform) whose storage primary key is created on the
//     fly from the standard template (storagePrimaryTemplate). emptyAuth
//     says whether the key has a password; a password given for a key
//     without one is an error, as in aws_signing_helper. Parent passwords
//     and keys with policies are not supported.
//   - The certificate must be given (--certificate); the chain is
//     --intermediates.
//   - RSA keys sign with TPM2_Sign and RSASSA (PKCS#1 v1.5); ECC keys with
//     ECDSA, re-encoded as ASN.1 DER, the digest padded to the curve's
//     size as aws_signing_helper does (tpmECDSADigest).
//   - Open signs once, so that a wrong password, a missing parent or a
//     key from another TPM fails there.
//
// EnvTPMDevice says how the TPM is reached.

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
	"sync"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

func init() {
	Register(BackendTPM, BackendFunc(openTPM))
}

// tpmSource is a TPM key with its certificate and chain. It opens the TPM
// for each signature and closes it afterwards; signatures are serialised
// per TPM.
type tpmSource struct {
	dev  tpmDevice
	name string // "TPM handle 0x81000001" or "the TSS2 PRIVATE KEY in key.pem", for messages

	handle uint32   // a persistent key, or 0 for a key file
	file   *tss2Key // a key file, or nil

	pubArea *tpm2.TPMTPublic
	pub     crypto.PublicKey
	cert    *x509.Certificate
	chain   []*x509.Certificate

	mu     sync.Mutex
	auth   []byte // the key's password; cleared by Close
	closed bool
}

func openTPM(req *Request) (Source, error) {
	opts := req.Options
	if opts.TPMKeyPassword != "" && opts.NoTPMKeyPassword {
		return nil, fmt.Errorf("%w: --tpm-key-password and --no-tpm-key-password are both given; use one", ErrTPMPasswordRequired)
	}
	s := &tpmSource{}
	if req.Key == nil {
		h, err := parseTPMHandle(req.KeyID)
		if err != nil {
			return nil, err
		}
		s.handle, s.name = h, fmt.Sprintf("TPM handle 0x%08x", h)
		if opts.TPMKeyPassword == "" && !opts.NoTPMKeyPassword {
			return nil, fmt.Errorf("%w: %s: pass --tpm-key-password, or --no-tpm-key-password if the key has no password "+
				"(roam never prompts for it)", ErrTPMPasswordRequired, s.name)
		}
	} else {
		k, err := parseTSS2PEM(req.Key, req.KeyName)
		if err != nil {
			return nil, err
		}
		s.file, s.name, s.pubArea = k, "the TSS2 PRIVATE KEY in "+req.KeyName, k.pubArea
		switch {
		case k.emptyAuth && opts.TPMKeyPassword != "":
			return nil, fmt.Errorf("%w: password is provided but TPM key file indicates that one isn't required (%s has emptyAuth set)",
				ErrTPMPasswordRequired, req.KeyName)
		case !k.emptyAuth && opts.TPMKeyPassword == "" && !opts.NoTPMKeyPassword:
			return nil, fmt.Errorf("%w: %s has a password (its emptyAuth is not set): pass --tpm-key-password, "+
				"or --no-tpm-key-password if it has none (roam never prompts for it)", ErrTPMPasswordRequired, s.name)
		}
	}
	s.auth = []byte(opts.TPMKeyPassword)
	if req.Certificate == nil {
		return nil, fmt.Errorf("%w: a TPM holds no certificate; pass the certificate for %s with --certificate", ErrNoCertificate, s.name)
	}
	s.cert, s.chain = req.Certificate, slices.Clone(req.Intermediates)

	dev, err := tpmDeviceFrom(opts.Getenv)
	if err != nil {
		return nil, err
	}
	s.dev = dev
	if s.handle != 0 {
		if err := s.readPublic(); err != nil {
			return nil, err
		}
	}
	if s.pub, err = tpmPublicKey(s.pubArea); err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrTPMKey, s.name, err)
	}
	// Sign once now, so that a wrong password, a missing parent or a key
	// from another TPM fails here rather than at the first request.
	digest := sha256.Sum256([]byte("roam: check the TPM key"))
	sig, err := s.Sign(nil, digest[:], crypto.SHA256)
	if err != nil {
		return nil, err
	}
	if !verifyDigest(s.pub, digest[:], sig) {
		return nil, fmt.Errorf("%w: %s: a test signature does not verify with the key's public part", ErrTPM, s.name)
	}
	return s, nil
}

// verifyDigest checks a SHA-256 PKCS#1 v1.5 or ASN.1 ECDSA signature.
func verifyDigest(pub crypto.PublicKey, digest, sig []byte) bool {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return rsa.VerifyPKCS1v15(k, crypto.SHA256, digest, sig) == nil
	case *ecdsa.PublicKey:
		return ecdsa.VerifyASN1(k, digest, sig)
	}
	return false
}

// readPublic reads a persistent key's public area from the TPM.
func (s *tpmSource) readPublic() error {
	return s.withTPM(func(t transport.TPM) error {
		rsp, err := tpm2.ReadPublic{ObjectHandle: tpm2.TPMHandle(s.handle)}.Execute(t)
		if err != nil {
			if errors.Is(err, tpm2.TPMRCHandle) {
				return fmt.Errorf("%w: %s: the TPM %s holds no key at that handle", ErrTPMKey, s.name, s.dev)
			}
			return fmt.Errorf("%w: reading the public part of %s: %v", ErrTPM, s.name, err)
		}
		pub, err := rsp.OutPublic.Contents()
		if err != nil {
			return fmt.Errorf("%w: %s: the TPM returned a public part that does not decode: %v", ErrTPM, s.name, err)
		}
		s.pubArea = pub
		return nil
	})
}

// withTPM runs f with a connection to the TPM, holding its lock.
func (s *tpmSource) withTPM(f func(transport.TPM) error) error {
	unlock := s.dev.lock()
	defer unlock()
	t, err := s.dev.open()
	if err != nil {
		return err
	}
	defer t.Close()
	return f(t)
}

// tpmPublicKey checks that pub is an unrestricted signing key roam can use
// and returns its public key.
func tpmPublicKey(pub *tpm2.TPMTPublic) (crypto.PublicKey, error) {
	if pub == nil {
		return nil, errors.New("no public part")
	}
	attrs := pub.ObjectAttributes
	if !attrs.SignEncrypt {
		return nil, errors.New("it is not a signing key (its sign attribute is clear)")
	}
	if attrs.Restricted {
		return nil, errors.New("it is a restricted signing key, which signs only digests the TPM computed itself")
	}
	switch pub.Type {
	case tpm2.TPMAlgRSA:
		parms, err := pub.Parameters.RSADetail()
		if err != nil {
			return nil, errors.New("its RSA parameters do not decode")
		}
		if s := parms.Scheme.Scheme; s != tpm2.TPMAlgNull && s != tpm2.TPMAlgRSASSA {
			return nil, fmt.Errorf("its RSA scheme is %v; only RSASSA (PKCS#1 v1.5) keys, or keys without a scheme, are supported", s)
		}
		n, err := pub.Unique.RSA()
		if err != nil || len(n.Buffer) == 0 {
			return nil, errors.New("its RSA modulus is missing")
		}
		k, err := tpm2.RSAPub(parms, n)
		if err != nil {
			return nil, err
		}
		if k.N.BitLen() < 1024 || k.E < 3 || k.E%2 == 0 {
			return nil, fmt.Errorf("its RSA public key (%d bits, exponent %d) is not usable", k.N.BitLen(), k.E)
		}
		return k, nil
	case tpm2.TPMAlgECC:
		parms, err := pub.Parameters.ECCDetail()
		if err != nil {
			return nil, errors.New("its ECC parameters do not decode")
		}
		if s := parms.Scheme.Scheme; s != tpm2.TPMAlgNull && s != tpm2.TPMAlgECDSA {
			return nil, fmt.Errorf("its ECC scheme is %v; only ECDSA keys, or keys without a scheme, are supported", s)
		}
		pt, err := pub.Unique.ECC()
		if err != nil {
			return nil, errors.New("its ECC point is missing")
		}
		k, err := tpm2.ECDSAPub(parms, pt)
		if err != nil {
			return nil, fmt.Errorf("its curve is not supported: %v", err)
		}
		if !k.Curve.IsOnCurve(k.X, k.Y) {
			return nil, errors.New("its ECC point is not on the curve")
		}
		return k, nil
	}
	return nil, fmt.Errorf("unsupported TPMv2 key type %v (only RSA and ECC keys sign)", pub.Type)
}

// Public returns the key's public key.
func (s *tpmSource) Public() crypto.PublicKey { return s.pub }

// Certificate returns the end-entity certificate (from --certificate).
func (s *tpmSource) Certificate() (*x509.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	return s.cert, nil
}

// Chain returns the intermediates (from --intermediates).
func (s *tpmSource) Chain() ([]*x509.Certificate, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	return slices.Clone(s.chain), nil
}

// Close forgets the password. No TPM connection is held open.
func (s *tpmSource) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	clear(s.auth)
	s.auth, s.closed = nil, true
	return nil
}

// Sign signs digest with TPM2_Sign: RSASSA (PKCS#1 v1.5) for RSA keys,
// ECDSA (re-encoded as ASN.1 DER) for ECC keys. RSA needs opts to name
// SHA-1, SHA-256, SHA-384 or SHA-512. For ECDSA, see tpmECDSADigest.
func (s *tpmSource) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	scheme, input, err := s.signScheme(digest, opts)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, ErrClosed
	}
	var sig *tpm2.TPMTSignature
	err = s.withTPM(func(t transport.TPM) error {
		return s.withKey(t, func(key tpm2.AuthHandle) error {
			rsp, err := tpm2.Sign{
				KeyHandle:  key,
				Digest:     tpm2.TPM2BDigest{Buffer: input},
				InScheme:   scheme,
				Validation: tpm2.TPMTTKHashCheck{Tag: tpm2.TPMSTHashCheck, Hierarchy: tpm2.TPMRHNull},
			}.Execute(t)
			if err != nil {
				return s.commandError("TPM2_Sign", err)
			}
			sig = &rsp.Signature
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return encodeTPMSignature(sig)
}

// encodeTPMSignature turns a TPMT_SIGNATURE into what crypto.Signer
// returns.
func encodeTPMSignature(sig *tpm2.TPMTSignature) ([]byte, error) {
	switch sig.SigAlg {
	case tpm2.TPMAlgRSASSA:
		rsa, err := sig.Signature.RSASSA()
		if err != nil {
			return nil, fmt.Errorf("%w: the RSASSA signature does not decode: %v", ErrTPM, err)
		}
		return rsa.Sig.Buffer, nil
	case tpm2.TPMAlgECDSA:
		ec, err := sig.Signature.ECDSA()
		if err != nil {
			return nil, fmt.Errorf("%w: the ECDSA signature does not decode: %v", ErrTPM, err)
		}
		return ecdsaDER(new(big.Int).SetBytes(ec.SignatureR.Buffer), new(big.Int).SetBytes(ec.SignatureS.Buffer))
	}
	return nil, fmt.Errorf("%w: the TPM returned a %v signature", ErrTPM, sig.SigAlg)
}

// signScheme returns the scheme to pass to TPM2_Sign and the digest to
// sign. A key whose public area fixes a scheme is passed TPM_ALG_NULL, as
// the TPM then uses (and requires) the key's own.
func (s *tpmSource) signScheme(digest []byte, opts crypto.SignerOpts) (tpm2.TPMTSigScheme, []byte, error) {
	null := tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgNull}
	switch pub := s.pub.(type) {
	case *rsa.PublicKey:
		if _, ok := opts.(*rsa.PSSOptions); ok {
			return null, nil, errors.New("keysource: RSA-PSS signatures are not supported with TPM keys")
		}
		h := hashOf(opts)
		alg, ok := tpmHashAlgs[h]
		if !ok {
			return null, nil, fmt.Errorf("keysource: TPM RSA keys sign SHA-1, SHA-256, SHA-384 or SHA-512 digests, not %v", h)
		}
		if err := checkDigestLength(digest, opts); err != nil {
			return null, nil, err
		}
		parms, _ := s.pubArea.Parameters.RSADetail() // checked when the key was opened
		if parms.Scheme.Scheme == tpm2.TPMAlgNull {
			return tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgRSASSA,
				Details: tpm2.NewTPMUSigScheme(tpm2.TPMAlgRSASSA, &tpm2.TPMSSchemeHash{HashAlg: alg})}, digest, nil
		}
		fixed, err := parms.Scheme.Details.RSASSA()
		if err != nil || fixed.HashAlg != alg {
			return null, nil, fmt.Errorf("keysource: %s signs only with its own RSASSA hash, not %v", s.name, h)
		}
		return null, digest, nil
	case *ecdsa.PublicKey:
		if err := checkDigestLength(digest, opts); err != nil {
			return null, nil, err
		}
		parms, _ := s.pubArea.Parameters.ECCDetail() // checked when the key was opened
		var fixedHash tpm2.TPMIAlgHash
		if parms.Scheme.Scheme == tpm2.TPMAlgECDSA {
			if d, err := parms.Scheme.Details.ECDSA(); err == nil {
				fixedHash = d.HashAlg
			}
		}
		alg, input, err := tpmECDSADigest(digest, (pub.Curve.Params().BitSize+7)/8, fixedHash)
		if err != nil {
			return null, nil, fmt.Errorf("keysource: %s: %v", s.name, err)
		}
		if fixedHash != 0 {
			return null, input, nil
		}
		return tpm2.TPMTSigScheme{Scheme: tpm2.TPMAlgECDSA,
			Details: tpm2.NewTPMUSigScheme(tpm2.TPMAlgECDSA, &tpm2.TPMSSchemeHash{HashAlg: alg})}, input, nil
	}
	return null, nil, fmt.Errorf("keysource: unsupported TPM key type %T", s.pub)
}

// tpmHashAlgs maps the hashes a TPM signs to their TPM algorithm IDs.
var tpmHashAlgs = map[crypto.Hash]tpm2.TPMIAlgHash{
	crypto.SHA1:   tpm2.TPMAlgSHA1,
	crypto.SHA256: tpm2.TPMAlgSHA256,
	crypto.SHA384: tpm2.TPMAlgSHA384,
	crypto.SHA512: tpm2.TPMAlgSHA512,
}

// tpmECDSADigest prepares a digest for TPM2_Sign with ECDSA. A TPM wants a
// digest as long as the hash it is told about; ECDSA itself uses the
// digest as a number, truncated to the curve's size (FIPS 186-5 §6.4.1).
// Like aws_signing_helper (docs/signing-helper.md §9.4), the TPM is told
// about the hash whose size matches the curve (SHA-256 for P-256, SHA-384
// for P-384, SHA-512 for P-521), and the digest is left-padded with zeros
// or truncated to that size. Padding keeps the number, and truncation to
// the curve size is what ECDSA does anyway, so the signature verifies as
// an ordinary ECDSA signature over the original digest, e.g. SHA-256 with
// P-384.
//
// A key whose public area fixes its scheme's hash (fixedHash, 0 if none)
// gets digests of that hash's size; a longer digest than that fails when
// truncating it would change the number ECDSA signs.
func tpmECDSADigest(digest []byte, curveBytes int, fixedHash tpm2.TPMIAlgHash) (tpm2.TPMIAlgHash, []byte, error) {
	if len(digest) == 0 {
		return 0, nil, errors.New("empty digest")
	}
	alg := fixedHash
	if alg == 0 {
		switch {
		case curveBytes <= 32:
			alg = tpm2.TPMAlgSHA256
		case curveBytes <= 48:
			alg = tpm2.TPMAlgSHA384
		default:
			alg = tpm2.TPMAlgSHA512
		}
	}
	var size int
	for h, a := range tpmHashAlgs {
		if a == alg {
			size = h.Size()
		}
	}
	if size == 0 {
		return 0, nil, fmt.Errorf("the key's ECDSA scheme uses an unsupported hash %v", alg)
	}
	switch {
	case len(digest) > size:
		if size < curveBytes {
			return 0, nil, fmt.Errorf("the key's scheme fixes a %d-byte hash; it cannot sign a %d-byte digest", size, len(digest))
		}
		return alg, slices.Clone(digest[:size]), nil
	case len(digest) < size:
		padded := make([]byte, size)
		copy(padded[size-len(digest):], digest)
		return alg, padded, nil
	}
	return alg, slices.Clone(digest), nil
}

// withKey makes the key usable in t and calls f with its handle,
// authorised by the key's password: a persistent key directly, a key file
// loaded under its parent (a persistent key, or a storage primary key
// created in the parent hierarchy) and flushed afterwards.
func (s *tpmSource) withKey(t transport.TPM, f func(tpm2.AuthHandle) error) error {
	auth := tpm2.PasswordAuth(s.auth)
	if s.file == nil {
		rsp, err := tpm2.ReadPublic{ObjectHandle: tpm2.TPMHandle(s.handle)}.Execute(t)
		if err != nil {
			return s.commandError("TPM2_ReadPublic", err)
		}
		if !samePublic(rsp, s.pubArea) {
			return fmt.Errorf("%w: %s: the key at that handle has changed since it was opened", ErrTPMKey, s.name)
		}
		return f(tpm2.AuthHandle{Handle: tpm2.TPMHandle(s.handle), Name: rsp.Name, Auth: auth})
	}
	parent, err := s.loadParent(t)
	if err != nil {
		return err
	}
	if parent.flush {
		defer flushTPM(t, parent.Handle)
	}
	loaded, err := tpm2.Load{
		ParentHandle: tpm2.AuthHandle{Handle: parent.Handle, Name: parent.Name, Auth: tpm2.PasswordAuth(nil)},
		InPrivate:    tpm2.TPM2BPrivate{Buffer: s.file.private},
		InPublic:     tpm2.BytesAs2B[tpm2.TPMTPublic](s.file.public),
	}.Execute(t)
	if err != nil {
		return s.commandError("TPM2_Load", err)
	}
	defer flushTPM(t, loaded.ObjectHandle)
	return f(tpm2.AuthHandle{Handle: loaded.ObjectHandle, Name: loaded.Name, Auth: auth})
}

// samePublic reports whether a ReadPublic response is the public area
// read when the key was opened.
func samePublic(rsp *tpm2.ReadPublicResponse, want *tpm2.TPMTPublic) bool {
	got, err := rsp.OutPublic.Contents()
	if err != nil || want == nil {
		return false
	}
	a, errA := safeMarshal(got)
	b, errB := safeMarshal(want)
	return errA == nil && errB == nil && string(a) == string(b)
}

// safeMarshal marshals a public area, turning go-tpm's panic on an
// unmarshallable value into an error.
func safeMarshal(p *tpm2.TPMTPublic) (b []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = errors.New("cannot marshal")
		}
	}()
	return tpm2.Marshal(*p), nil
}

// tpmParent is a parent key made usable for TPM2_Load.
type tpmParent struct {
	tpm2.NamedHandle
	flush bool // a primary key created for the occasion
}

func (s *tpmSource) loadParent(t transport.TPM) (tpmParent, error) {
	p := s.file.parent
	if isPersistentHandle(p) {
		rsp, err := tpm2.ReadPublic{ObjectHandle: tpm2.TPMHandle(p)}.Execute(t)
		if err != nil {
			if errors.Is(err, tpm2.TPMRCHandle) {
				return tpmParent{}, fmt.Errorf("%w: %s: its parent, persistent handle 0x%08x, is not in the TPM %s", ErrTPMKey, s.name, p, s.dev)
			}
			return tpmParent{}, s.commandError("TPM2_ReadPublic of the parent", err)
		}
		return tpmParent{NamedHandle: tpm2.NamedHandle{Handle: tpm2.TPMHandle(p), Name: rsp.Name}}, nil
	}
	rsp, err := tpm2.CreatePrimary{
		PrimaryHandle: tpm2.AuthHandle{Handle: tpm2.TPMHandle(p), Auth: tpm2.PasswordAuth(nil)},
		InPublic:      tpm2.New2B(storagePrimaryTemplate(s.file.rsaParent)),
	}.Execute(t)
	if err != nil {
		return tpmParent{}, s.commandError(fmt.Sprintf("TPM2_CreatePrimary in hierarchy 0x%08x", p), err)
	}
	return tpmParent{NamedHandle: tpm2.NamedHandle{Handle: rsp.ObjectHandle, Name: rsp.Name}, flush: true}, nil
}

// flushTPM flushes a transient object; a failure leaves it for the
// resource manager (or a TPM restart) to clean up.
func flushTPM(t transport.TPM, h tpm2.TPMHandle) {
	_, _ = tpm2.FlushContext{FlushHandle: h}.Execute(t)
}

// storagePrimaryTemplate is the template of the storage primary key a key
// file whose parent is a hierarchy was created under. It is the one
// aws_signing_helper, openssl_tpm2_engine and the TSS2 key file
// specification use: ECC P-256 (or RSA-2048 with rsaParent), AES-128-CFB,
// no authorisation policy and an empty unique field. (The TCG provisioning
// guidance's SRK template differs in its unique field, so it would not be
// the same key.)
func storagePrimaryTemplate(rsaParent bool) tpm2.TPMTPublic {
	attrs := tpm2.TPMAObject{
		FixedTPM: true, FixedParent: true, SensitiveDataOrigin: true, UserWithAuth: true,
		NoDA: true, Restricted: true, Decrypt: true,
	}
	sym := tpm2.TPMTSymDefObject{
		Algorithm: tpm2.TPMAlgAES,
		KeyBits:   tpm2.NewTPMUSymKeyBits(tpm2.TPMAlgAES, tpm2.TPMKeyBits(128)),
		Mode:      tpm2.NewTPMUSymMode(tpm2.TPMAlgAES, tpm2.TPMAlgCFB),
	}
	if rsaParent {
		return tpm2.TPMTPublic{
			Type: tpm2.TPMAlgRSA, NameAlg: tpm2.TPMAlgSHA256, ObjectAttributes: attrs,
			Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgRSA, &tpm2.TPMSRSAParms{
				Symmetric: sym, Scheme: tpm2.TPMTRSAScheme{Scheme: tpm2.TPMAlgNull}, KeyBits: 2048,
			}),
			Unique: tpm2.NewTPMUPublicID(tpm2.TPMAlgRSA, &tpm2.TPM2BPublicKeyRSA{}),
		}
	}
	return tpm2.TPMTPublic{
		Type: tpm2.TPMAlgECC, NameAlg: tpm2.TPMAlgSHA256, ObjectAttributes: attrs,
		Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{
			Symmetric: sym, Scheme: tpm2.TPMTECCScheme{Scheme: tpm2.TPMAlgNull},
			CurveID: tpm2.TPMECCNistP256, KDF: tpm2.TPMTKDFScheme{Scheme: tpm2.TPMAlgNull},
		}),
		Unique: tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{}),
	}
}

// commandError describes a failed TPM command; an authorisation failure
// becomes ErrTPMPassword.
func (s *tpmSource) commandError(cmd string, err error) error {
	switch {
	case errors.Is(err, tpm2.TPMRCAuthFail), errors.Is(err, tpm2.TPMRCBadAuth):
		return fmt.Errorf("%w: the TPM refused the password of %s", ErrTPMPassword, s.name)
	case errors.Is(err, tpm2.TPMRCLockout):
		return fmt.Errorf("%w: %s: the TPM is in dictionary-attack lockout after too many wrong passwords: %v", ErrTPMPassword, s.name, err)
	}
	var rc tpm2.TPMRC
	if !errors.As(err, &rc) {
		// Not a TPM response code: the connection failed.
		return fmt.Errorf("%w %s: %s: %v", ErrTPMDevice, s.dev, cmd, err)
	}
	switch cmd {
	case "TPM2_Load":
		return fmt.Errorf("%w: %s: the TPM cannot load it under its parent 0x%08x (was it made for another TPM or parent?): %v",
			ErrTPM, s.name, s.file.parent, err)
	}
	return fmt.Errorf("%w: %s for %s: %v", ErrTPM, cmd, s.name, err)
}
