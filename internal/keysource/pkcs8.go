package keysource

import (
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/des"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"hash"

	"golang.org/x/crypto/scrypt"
)

// Encrypted PKCS#8 (RFC 5958 EncryptedPrivateKeyInfo) with PBES2 (RFC 8018).
var (
	oidPBES2  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 13}
	oidPBKDF2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 12}
	oidScrypt = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 4, 11}

	oidHMACWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 7}
	oidHMACWithSHA224 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 8}
	oidHMACWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 9}
	oidHMACWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 10}
	oidHMACWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 11}

	oidAES128CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 2}
	oidAES192CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 22}
	oidAES256CBC  = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 1, 42}
	oidDESEDE3CBC = asn1.ObjectIdentifier{1, 2, 840, 113549, 3, 7}

	// pkcs5PBES1Prefix and pkcs12PBEPrefix cover the older password-based
	// schemes, recognised only to say they are unsupported.
	pkcs5PBES1Prefix = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5}
	pkcs12PBEPrefix  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 1}
)

type encryptedPrivateKeyInfo struct {
	Algorithm pkix.AlgorithmIdentifier
	Data      []byte
}

type pbes2Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	EncryptionScheme  pkix.AlgorithmIdentifier
}

type pbkdf2Params struct {
	Salt       []byte // the "specified" choice; otherSource is not used in practice
	Iterations int
	KeyLength  int                      `asn1:"optional"`
	PRF        pkix.AlgorithmIdentifier `asn1:"optional"` // default hmacWithSHA1
}

type scryptParams struct {
	Salt            []byte
	CostParameter   int
	BlockSize       int
	Parallelization int
	KeyLength       int `asn1:"optional"`
}

// kdfLimits bound the work a key file can demand, so a malformed or hostile
// file fails quickly instead of pinning a CPU or exhausting memory.
type kdfLimits struct {
	maxIterations  int // PBKDF2
	maxScryptBytes int // 128·r·N·p, scrypt's memory and work
}

// defaultKDFLimits admit everything OpenSSL and the usual tools write, with
// a wide margin: OpenSSL's PBKDF2 default is 2048 iterations (NIST suggests
// up to about a million; 10 million take a few seconds), and its scrypt
// default N=16384, r=8, p=1 uses 16 MiB, while OpenSSL itself refuses
// anything above 32 MiB.
func defaultKDFLimits() kdfLimits {
	return kdfLimits{maxIterations: 10_000_000, maxScryptBytes: 256 << 20}
}

// isEncryptedPKCS8 reports whether der is an EncryptedPrivateKeyInfo.
func isEncryptedPKCS8(der []byte) bool {
	var info encryptedPrivateKeyInfo
	rest, err := asn1.Unmarshal(der, &info)
	if err != nil || len(rest) > 0 {
		return false
	}
	oid := info.Algorithm.Algorithm
	return hasPrefix(oid, pkcs5PBES1Prefix) || hasPrefix(oid, pkcs12PBEPrefix)
}

// parseEncryptedPKCS8 decrypts an EncryptedPrivateKeyInfo with password and
// parses the key inside.
func parseEncryptedPKCS8(der []byte, name, password string, limits kdfLimits) (crypto.Signer, error) {
	if password == "" {
		return nil, failf(ErrPasswordRequired, "%s holds an ENCRYPTED PRIVATE KEY; pass its password with --pkcs8-password", name)
	}
	plain, err := decryptPKCS8(der, []byte(password), limits)
	if err != nil {
		if errors.Is(err, ErrIncorrectPassword) {
			return nil, ErrIncorrectPassword
		}
		return nil, failf(ErrPrivateKey, "%s: encrypted PKCS#8 key: %w", name, err)
	}
	defer clear(plain)
	var inner pkcs8Info
	if rest, err := asn1.Unmarshal(plain, &inner); err != nil || len(rest) > 0 {
		// A wrong password that happened to leave valid padding.
		return nil, ErrIncorrectPassword
	}
	return parsePKCS8(plain, name)
}

// decryptPKCS8 returns the PrivateKeyInfo inside an EncryptedPrivateKeyInfo.
// A failure that only a wrong password explains is ErrIncorrectPassword.
func decryptPKCS8(der, password []byte, limits kdfLimits) ([]byte, error) {
	var info encryptedPrivateKeyInfo
	if rest, err := asn1.Unmarshal(der, &info); err != nil {
		return nil, fmt.Errorf("malformed: %w", err)
	} else if len(rest) > 0 {
		return nil, errors.New("malformed: trailing data")
	}
	if !info.Algorithm.Algorithm.Equal(oidPBES2) {
		return nil, fmt.Errorf("unsupported encryption algorithm %v (roam reads PBES2 only; "+
			"re-encrypt with: openssl pkcs8 -topk8 -v2 aes-256-cbc)", info.Algorithm.Algorithm)
	}
	var params pbes2Params
	if rest, err := asn1.Unmarshal(info.Algorithm.Parameters.FullBytes, &params); err != nil || len(rest) > 0 {
		return nil, errors.New("malformed PBES2 parameters")
	}
	newCipher, keySize, iv, err := pbes2Cipher(params.EncryptionScheme)
	if err != nil {
		return nil, err
	}
	key, err := pbes2Key(params.KeyDerivationFunc, password, keySize, limits)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	block, err := newCipher(key)
	if err != nil {
		return nil, err
	}
	bs := block.BlockSize()
	if len(iv) != bs {
		return nil, fmt.Errorf("IV is %d bytes, want %d", len(iv), bs)
	}
	if len(info.Data) == 0 || len(info.Data)%bs != 0 {
		return nil, fmt.Errorf("encrypted data is %d bytes, not a positive multiple of the %d-byte block", len(info.Data), bs)
	}
	plain := make([]byte, len(info.Data))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, info.Data)
	n, ok := pkcs7PaddingLen(plain, bs)
	if !ok {
		clear(plain)
		return nil, ErrIncorrectPassword
	}
	return plain[:len(plain)-n], nil
}

// pkcs7PaddingLen returns the length of the PKCS#7 padding ending data.
func pkcs7PaddingLen(data []byte, blockSize int) (int, bool) {
	n := int(data[len(data)-1])
	if n == 0 || n > blockSize || n > len(data) {
		return 0, false
	}
	for _, b := range data[len(data)-n:] {
		if int(b) != n {
			return 0, false
		}
	}
	return n, true
}

// pbes2Cipher returns the block cipher, key size and IV of a PBES2
// encryption scheme.
func pbes2Cipher(alg pkix.AlgorithmIdentifier) (func([]byte) (cipher.Block, error), int, []byte, error) {
	var newCipher func([]byte) (cipher.Block, error)
	var keySize int
	switch oid := alg.Algorithm; {
	case oid.Equal(oidAES128CBC):
		newCipher, keySize = aes.NewCipher, 16
	case oid.Equal(oidAES192CBC):
		newCipher, keySize = aes.NewCipher, 24
	case oid.Equal(oidAES256CBC):
		newCipher, keySize = aes.NewCipher, 32
	case oid.Equal(oidDESEDE3CBC):
		newCipher, keySize = des.NewTripleDESCipher, 24
	default:
		return nil, 0, nil, fmt.Errorf("unsupported cipher %v (roam reads AES-128/192/256-CBC and DES-EDE3-CBC)", oid)
	}
	var iv []byte
	if rest, err := asn1.Unmarshal(alg.Parameters.FullBytes, &iv); err != nil || len(rest) > 0 {
		return nil, 0, nil, errors.New("malformed cipher parameters (want an IV)")
	}
	return newCipher, keySize, iv, nil
}

// pbes2Key derives the encryption key with PBKDF2 or scrypt.
func pbes2Key(kdf pkix.AlgorithmIdentifier, password []byte, keySize int, limits kdfLimits) ([]byte, error) {
	switch {
	case kdf.Algorithm.Equal(oidPBKDF2):
		var p pbkdf2Params
		if rest, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil || len(rest) > 0 {
			return nil, errors.New("malformed PBKDF2 parameters")
		}
		if p.KeyLength != 0 && p.KeyLength != keySize {
			return nil, fmt.Errorf("PBKDF2 key length %d does not fit the cipher's %d", p.KeyLength, keySize)
		}
		if p.Iterations < 1 || p.Iterations > limits.maxIterations {
			return nil, fmt.Errorf("PBKDF2 iteration count %d is outside 1..%d", p.Iterations, limits.maxIterations)
		}
		h, err := pbkdf2Hash(p.PRF.Algorithm)
		if err != nil {
			return nil, err
		}
		return pbkdf2.Key(h, string(password), p.Salt, p.Iterations, keySize)
	case kdf.Algorithm.Equal(oidScrypt):
		var p scryptParams
		if rest, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err != nil || len(rest) > 0 {
			return nil, errors.New("malformed scrypt parameters")
		}
		if p.KeyLength != 0 && p.KeyLength != keySize {
			return nil, fmt.Errorf("scrypt key length %d does not fit the cipher's %d", p.KeyLength, keySize)
		}
		n, r, par := p.CostParameter, p.BlockSize, p.Parallelization
		if n < 2 || n&(n-1) != 0 || r < 1 || par < 1 ||
			n > limits.maxScryptBytes/128/r/par {
			return nil, fmt.Errorf("scrypt parameters N=%d r=%d p=%d are invalid or demand more than %d MiB",
				n, r, par, limits.maxScryptBytes>>20)
		}
		return scrypt.Key(password, p.Salt, n, r, par, keySize)
	}
	return nil, fmt.Errorf("unsupported key derivation function %v (roam reads PBKDF2 and scrypt)", kdf.Algorithm)
}

func pbkdf2Hash(prf asn1.ObjectIdentifier) (func() hash.Hash, error) {
	switch {
	case len(prf) == 0, prf.Equal(oidHMACWithSHA1):
		return sha1.New, nil
	case prf.Equal(oidHMACWithSHA224):
		return sha256.New224, nil
	case prf.Equal(oidHMACWithSHA256):
		return sha256.New, nil
	case prf.Equal(oidHMACWithSHA384):
		return sha512.New384, nil
	case prf.Equal(oidHMACWithSHA512):
		return sha512.New, nil
	}
	return nil, fmt.Errorf("unsupported PBKDF2 PRF %v (roam reads HMAC with SHA-1, SHA-224, SHA-256, SHA-384 and SHA-512)", prf)
}

func hasPrefix(oid, prefix asn1.ObjectIdentifier) bool {
	return len(oid) > len(prefix) && oid[:len(prefix)].Equal(prefix)
}
