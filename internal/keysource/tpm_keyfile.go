package keysource

import (
	"encoding/asn1"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"

	"github.com/google/go-tpm/tpm2"
	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"
)

// Errors of the TPM backend. They match with [errors.Is]; messages begin
// with the official helper's words where it has them. None of them ever
// holds a password.
var (
	// ErrTPMKey: a TSS2 PRIVATE KEY file or a handle: identifier is
	// malformed or names something that is not a usable signing key.
	ErrTPMKey = errors.New("invalid TPM key")
	// ErrTPMPassword: the TPM refused the key's password.
	ErrTPMPassword = errors.New("incorrect TPM key password")
	// ErrTPMPasswordRequired: the key has a password and none was given,
	// or one was given for a key that has none. roam never prompts.
	ErrTPMPasswordRequired = errors.New("TPM key password required")
	// ErrTPMDevice: the TPM could not be reached.
	ErrTPMDevice = errors.New("could not open the TPM")
	// ErrTPM: a TPM command failed.
	ErrTPM = errors.New("TPM command failed")
)

// Object identifiers of the TSS2 key file format
// (draft-bottomley-tpm2-keys, "ASN.1 Specification for TPM 2.0 Key Files").
var (
	oidTSS2LoadableKey   = asn1.ObjectIdentifier{2, 23, 133, 10, 1, 3}
	oidTSS2ImportableKey = asn1.ObjectIdentifier{2, 23, 133, 10, 1, 4}
	oidTSS2SealedData    = asn1.ObjectIdentifier{2, 23, 133, 10, 1, 5}
)

// TPM handles a key file's parent may be.
const (
	tpmRHOwner       = uint32(tpm2.TPMRHOwner)
	tpmRHNull        = uint32(tpm2.TPMRHNull)
	tpmRHEndorsement = uint32(tpm2.TPMRHEndorsement)
	tpmRHPlatform    = uint32(tpm2.TPMRHPlatform)
)

// tss2Key is a parsed "TSS2 PRIVATE KEY": a key wrapped by its parent,
// which the TPM loads with TPM2_Load.
type tss2Key struct {
	// emptyAuth is set when the key has no password.
	emptyAuth bool
	// parent is a persistent handle (0x81xxxxxx) or a hierarchy
	// (owner, null, endorsement, platform) whose storage primary key is
	// the parent.
	parent uint32
	// rsaParent asks for an RSA-2048 storage primary key instead of the
	// default ECC P-256 one, when parent is a hierarchy.
	rsaParent bool
	// public and private are the TPM2B_PUBLIC and TPM2B_PRIVATE contents
	// (without their size fields).
	public, private []byte
	// pubArea is public, decoded.
	pubArea *tpm2.TPMTPublic
}

// isPersistentHandle reports whether h is in the persistent object range.
func isPersistentHandle(h uint32) bool { return h>>24 == uint32(tpm2.TPMHTPersistent) }

// parseTSS2PEM finds the TSS2 PRIVATE KEY block in data and parses it.
func parseTSS2PEM(data []byte, name string) (*tss2Key, error) {
	for rest := data; ; {
		var b *pem.Block
		if b, rest = pem.Decode(rest); b == nil {
			return nil, fmt.Errorf("%w: %s holds no %s PEM block", ErrTPMKey, name, pemTSS2)
		}
		if b.Type == pemTSS2 {
			k, err := parseTSS2Key(b.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrTPMKey, name, err)
			}
			return k, nil
		}
	}
}

// parseTSS2Key parses the DER of a TSS2 PRIVATE KEY:
//
//	TPMKey ::= SEQUENCE {
//	    type        OBJECT IDENTIFIER,               -- 2.23.133.10.1.3
//	    emptyAuth   [0] EXPLICIT BOOLEAN OPTIONAL,
//	    policy      [1] EXPLICIT SEQUENCE OF TPMPolicy OPTIONAL,
//	    secret      [2] EXPLICIT OCTET STRING OPTIONAL,
//	    authPolicy  [3] EXPLICIT SEQUENCE OF TPMAuthPolicy OPTIONAL,
//	    description [4] EXPLICIT UTF8String OPTIONAL,
//	    rsaParent   [5] EXPLICIT BOOLEAN OPTIONAL,
//	    parent      INTEGER,
//	    pubkey      OCTET STRING,                    -- TPM2B_PUBLIC
//	    privkey     OCTET STRING                     -- TPM2B_PRIVATE
//	}
//
// Only loadable keys without policies are supported, like the official
// helper. Two encoder mistakes seen in the wild are accepted: a BOOLEAN
// TRUE encoded as 0x01 rather than 0xFF (older OpenSSL engines), and a
// persistent parent handle encoded as a negative 32-bit INTEGER. Errors
// do not wrap ErrTPMKey; callers add it with the file's name.
func parseTSS2Key(der []byte) (*tss2Key, error) {
	input := cryptobyte.String(der)
	var seq cryptobyte.String
	if !input.ReadASN1(&seq, cbasn1.SEQUENCE) {
		return nil, errors.New("not a DER SEQUENCE")
	}
	if !input.Empty() {
		return nil, errors.New("trailing data after the key")
	}
	var oid asn1.ObjectIdentifier
	if !seq.ReadASN1ObjectIdentifier(&oid) {
		return nil, errors.New("the key type is not an OBJECT IDENTIFIER")
	}
	switch {
	case oid.Equal(oidTSS2LoadableKey):
	case oid.Equal(oidTSS2ImportableKey):
		return nil, errors.New("importable keys (2.23.133.10.1.4) are not supported; load the key into the TPM first")
	case oid.Equal(oidTSS2SealedData):
		return nil, errors.New("it holds sealed data (2.23.133.10.1.5), not a key")
	default:
		return nil, fmt.Errorf("invalid OID for TPMv2 key: %v", oid)
	}

	k := &tss2Key{}
	for tag := range 6 {
		ctx := cbasn1.Tag(tag).Constructed().ContextSpecific()
		if !seq.PeekASN1Tag(ctx) {
			continue
		}
		var field cryptobyte.String
		if !seq.ReadASN1(&field, ctx) {
			return nil, fmt.Errorf("field [%d] is malformed", tag)
		}
		switch tag {
		case 0, 5:
			v, ok := readLenientBool(&field)
			if !ok || !field.Empty() {
				return nil, fmt.Errorf("field [%d] is not a BOOLEAN", tag)
			}
			if tag == 0 {
				k.emptyAuth = v
			} else {
				k.rsaParent = v
			}
		case 1, 3:
			return nil, errors.New("TPMv2 policy not implemented yet: keys with policies are not supported")
		case 2:
			return nil, errors.New("TPMv2 key has 'secret' field which should not be set")
		case 4:
			var desc cryptobyte.String
			if !field.ReadASN1(&desc, cbasn1.UTF8String) || !field.Empty() {
				return nil, errors.New("the description is not a UTF8String")
			}
		}
	}
	if next, ok := peekTag(seq); ok && next&0x80 != 0 {
		return nil, fmt.Errorf("unexpected field with tag 0x%02x (out of order, or unknown)", next)
	}

	var parent big.Int
	if !seq.ReadASN1Integer(&parent) {
		return nil, errors.New("the parent is not an INTEGER")
	}
	switch {
	case parent.Sign() < 0 && parent.BitLen() <= 32 && parent.Cmp(big.NewInt(-1<<31)) >= 0:
		parent.Add(&parent, big.NewInt(1<<32)) // a uint32 encoded as a signed 32-bit value
	case parent.Sign() < 0 || parent.BitLen() > 32:
		return nil, fmt.Errorf("the parent %v is not a TPM handle", &parent)
	}
	k.parent = uint32(parent.Uint64())
	if !isPersistentHandle(k.parent) && k.parent != tpmRHOwner && k.parent != tpmRHNull &&
		k.parent != tpmRHEndorsement && k.parent != tpmRHPlatform {
		return nil, fmt.Errorf("invalid parent for TPMv2 key: 0x%08x is neither a persistent handle (0x81xxxxxx) nor the owner, null, endorsement or platform hierarchy", k.parent)
	}

	var pub, priv cryptobyte.String
	if !seq.ReadASN1(&pub, cbasn1.OCTET_STRING) || !seq.ReadASN1(&priv, cbasn1.OCTET_STRING) {
		return nil, errors.New("the public and private parts are not OCTET STRINGs")
	}
	if !seq.Empty() {
		return nil, errors.New("unexpected data after the private part")
	}
	var err error
	if k.public, err = tpm2B(pub, "PUBLIC"); err != nil {
		return nil, err
	}
	if k.private, err = tpm2B(priv, "PRIVATE"); err != nil {
		return nil, err
	}
	if k.pubArea, err = decodeTPMTPublic(k.public); err != nil {
		return nil, err
	}
	return k, nil
}

// readLenientBool reads a BOOLEAN, taking any non-zero content byte as
// TRUE.
func readLenientBool(s *cryptobyte.String) (bool, bool) {
	var content cryptobyte.String
	if !s.ReadASN1(&content, cbasn1.BOOLEAN) || len(content) != 1 {
		return false, false
	}
	return content[0] != 0, true
}

// peekTag returns the next element's tag byte.
func peekTag(s cryptobyte.String) (byte, bool) {
	if len(s) == 0 {
		return 0, false
	}
	return s[0], true
}

// tpm2B checks a TPM2B structure (a big-endian uint16 size, then that many
// bytes) and returns its contents.
func tpm2B(b []byte, what string) ([]byte, error) {
	if len(b) < 2 || int(binary.BigEndian.Uint16(b)) != len(b)-2 {
		return nil, fmt.Errorf("invalid length for TPMv2 %s blob", what)
	}
	if len(b) == 2 {
		return nil, fmt.Errorf("the TPMv2 %s blob is empty", what)
	}
	return b[2:], nil
}

// decodeTPMTPublic decodes a TPMT_PUBLIC. go-tpm's reflective decoder is
// not meant for hostile input, so a panic in it is turned into an error.
func decodeTPMTPublic(b []byte) (pub *tpm2.TPMTPublic, err error) {
	defer func() {
		if r := recover(); r != nil {
			pub, err = nil, errors.New("the TPMv2 PUBLIC blob does not decode")
		}
	}()
	pub, err = tpm2.Unmarshal[tpm2.TPMTPublic](b)
	if err != nil {
		return nil, fmt.Errorf("the TPMv2 PUBLIC blob does not decode: %v", err)
	}
	return pub, nil
}

// parseTPMHandle parses a "handle:0x81000001" key identifier (the "0x" is
// optional, the digits are hexadecimal). Only persistent handles are
// accepted: a transient object does not outlive the connection that loaded
// it.
func parseTPMHandle(id string) (uint32, error) {
	v, ok := strings.CutPrefix(id, "handle:")
	if !ok {
		return 0, fmt.Errorf("%w: invalid TPM handle format: %q does not begin with \"handle:\"", ErrTPMKey, printable(id))
	}
	hex := strings.TrimPrefix(strings.TrimPrefix(v, "0x"), "0X")
	n, err := strconv.ParseUint(hex, 16, 32)
	if err != nil || hex == "" || hex[0] == '+' {
		return 0, fmt.Errorf("%w: invalid hex TPM handle value %q (expected e.g. handle:0x81000001)", ErrTPMKey, printable(v))
	}
	h := uint32(n)
	if !isPersistentHandle(h) {
		return 0, fmt.Errorf("%w: handle 0x%08x is not a persistent handle (0x81000000-0x81ffffff)", ErrTPMKey, h)
	}
	return h, nil
}
