package keysource

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"

	"software.sslmate.com/src/go-pkcs12"
)

// loadPKCS12 reads a PKCS#12 bundle holding the key, the end-entity
// certificate and optionally its chain. Both the legacy algorithms
// (SHA-1 MAC, 3DES and RC2 encryption) and OpenSSL 3's default (SHA-256
// MAC, PBES2 with AES-256-CBC) are accepted. limits bound the
// key-derivation work the bundle may demand.
func loadPKCS12(data []byte, name, password string, limits kdfLimits) (*Identity, error) {
	if err := checkPKCS12Work(data, limits); err != nil {
		return nil, failf(ErrPKCS12, "%s: %w", name, err)
	}
	key, first, rest, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		switch {
		case errors.Is(err, pkcs12.ErrIncorrectPassword) && password == "":
			return nil, failf(ErrPKCS12, "%s is protected by a password; pass it with --pkcs8-password", name)
		case errors.Is(err, pkcs12.ErrIncorrectPassword), errors.Is(err, pkcs12.ErrDecryption):
			return nil, failf(ErrPKCS12, "%s: incorrect PKCS#12 password", name)
		}
		return nil, failf(ErrPKCS12, "%s: %w", name, err)
	}
	signer, err := newSigner(key, name)
	if err != nil {
		return nil, err
	}
	leaf, chain, err := pickLeaf(append([]*x509.Certificate{first}, rest...), signer.Public(), name)
	if err != nil {
		return nil, err
	}
	if err := checkKeyMatch(signer.Public(), leaf, name, name); err != nil {
		return nil, err
	}
	return &Identity{Certificate: leaf, Chain: chain, Signer: signer, LeafInChain: true}, nil
}

// pickLeaf finds the end-entity certificate among a bundle's certificates:
// the one that issues no other certificate in the bundle. If several
// qualify, the one whose public key is pub wins. The rest, in bundle order,
// are the chain.
func pickLeaf(certs []*x509.Certificate, pub crypto.PublicKey, name string) (*x509.Certificate, []*x509.Certificate, error) {
	var candidates []int
	for i, c := range certs {
		if !issuesAnother(c, certs) {
			candidates = append(candidates, i)
		}
	}
	if len(candidates) > 1 {
		var matching []int
		for _, i := range candidates {
			if publicKeyMatches(pub, certs[i]) {
				matching = append(matching, i)
			}
		}
		if len(matching) == 0 {
			return nil, nil, failf(ErrKeyMismatch, "none of the %d end-entity certificates in %s belongs to its %s private key",
				len(candidates), name, describePublicKey(pub))
		}
		candidates = matching
	}
	switch len(candidates) {
	case 0:
		return nil, nil, failf(ErrPKCS12, "no end-entity certificate found in %s (every certificate issues another)", name)
	case 1:
	default:
		return nil, nil, failf(ErrPKCS12, "%s holds %d end-entity certificates for its private key; keep one", name, len(candidates))
	}
	leaf := certs[candidates[0]]
	var chain []*x509.Certificate
	for i, c := range certs {
		if i != candidates[0] {
			chain = append(chain, c)
		}
	}
	return leaf, chain, nil
}

// issuesAnother reports whether c is the issuer of another certificate in
// certs. A self-signed certificate does not count as issuing itself.
func issuesAnother(c *x509.Certificate, certs []*x509.Certificate) bool {
	for _, o := range certs {
		if !bytes.Equal(o.Raw, c.Raw) && bytes.Equal(o.RawIssuer, c.RawSubject) {
			return true
		}
	}
	return false
}

// PKCS#12 structures (RFC 7292), as go-pkcs12 reads them, for
// checkPKCS12Work.
var (
	oidDataContentType          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 1}
	oidEncryptedDataContentType = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 6}
	oidPKCS8ShroudedKeyBag      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 12, 10, 1, 2}
	oidPBMAC1                   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 5, 14}
)

type p12PFX struct {
	Version  int
	AuthSafe p12ContentInfo
	MacData  p12MacData `asn1:"optional"`
}

type p12ContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     asn1.RawValue `asn1:"tag:0,explicit,optional"`
}

type p12MacData struct {
	Mac struct {
		Algorithm pkix.AlgorithmIdentifier
		Digest    []byte
	}
	MacSalt    []byte
	Iterations int `asn1:"optional,default:1"`
}

type p12EncryptedData struct {
	Version              int
	EncryptedContentInfo struct {
		ContentType                asn1.ObjectIdentifier
		ContentEncryptionAlgorithm pkix.AlgorithmIdentifier
		EncryptedContent           []byte `asn1:"tag:0,optional"`
	}
}

type p12SafeBag struct {
	ID         asn1.ObjectIdentifier
	Value      asn1.RawValue `asn1:"tag:0,explicit"`
	Attributes []struct {
		ID    asn1.ObjectIdentifier
		Value asn1.RawValue `asn1:"set"`
	} `asn1:"set,optional"`
}

// pbes1Params are the parameters of the PKCS#12 password-based encryption
// schemes (pbeWithSHAAnd3-KeyTripleDES-CBC and its siblings).
type pbes1Params struct {
	Salt       []byte
	Iterations int
}

// pbmac1Params are the parameters of PBMAC1 (RFC 8018 §7.1).
type pbmac1Params struct {
	KeyDerivationFunc pkix.AlgorithmIdentifier
	MessageAuthScheme pkix.AlgorithmIdentifier
}

// checkPKCS12Work bounds the key-derivation work a PKCS#12 bundle demands
// before go-pkcs12, which has no limits, does it: the MAC's iteration
// count, and those of every encryption the bundle shows without a password
// (encrypted safe contents and shrouded keys in plain safe contents).
// Structures it cannot read are left to go-pkcs12 to reject.
func checkPKCS12Work(data []byte, limits kdfLimits) error {
	var pfx p12PFX
	if rest, err := asn1.Unmarshal(data, &pfx); err != nil || len(rest) > 0 {
		return nil
	}
	if alg := pfx.MacData.Mac.Algorithm; alg.Algorithm.Equal(oidPBMAC1) {
		var p pbmac1Params
		if rest, err := asn1.Unmarshal(alg.Parameters.FullBytes, &p); err == nil && len(rest) == 0 {
			if err := checkPBKDF2Work(p.KeyDerivationFunc, "MAC", limits); err != nil {
				return err
			}
		}
	} else if len(alg.Algorithm) > 0 && pfx.MacData.Iterations > limits.maxIterations {
		return fmt.Errorf("the MAC's iteration count %d exceeds %d", pfx.MacData.Iterations, limits.maxIterations)
	}
	if !pfx.AuthSafe.ContentType.Equal(oidDataContentType) {
		return nil
	}
	var safe []byte
	if rest, err := asn1.Unmarshal(pfx.AuthSafe.Content.Bytes, &safe); err != nil || len(rest) > 0 {
		return nil
	}
	var contents []p12ContentInfo
	if rest, err := asn1.Unmarshal(safe, &contents); err != nil || len(rest) > 0 {
		return nil
	}
	for _, ci := range contents {
		switch {
		case ci.ContentType.Equal(oidEncryptedDataContentType):
			var ed p12EncryptedData
			if rest, err := asn1.Unmarshal(ci.Content.Bytes, &ed); err == nil && len(rest) == 0 {
				if err := checkPBEWork(ed.EncryptedContentInfo.ContentEncryptionAlgorithm, "encrypted safe", limits); err != nil {
					return err
				}
			}
		case ci.ContentType.Equal(oidDataContentType):
			var plain []byte
			if rest, err := asn1.Unmarshal(ci.Content.Bytes, &plain); err != nil || len(rest) > 0 {
				continue
			}
			var bags []p12SafeBag
			if rest, err := asn1.Unmarshal(plain, &bags); err != nil || len(rest) > 0 {
				continue
			}
			for _, bag := range bags {
				if !bag.ID.Equal(oidPKCS8ShroudedKeyBag) {
					continue
				}
				var info encryptedPrivateKeyInfo
				if rest, err := asn1.Unmarshal(bag.Value.Bytes, &info); err == nil && len(rest) == 0 {
					if err := checkPBEWork(info.Algorithm, "private key", limits); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

// checkPBEWork fails if a PKCS#12 (PBES1) or PBES2 encryption algorithm
// asks for more iterations than limits allow.
func checkPBEWork(alg pkix.AlgorithmIdentifier, what string, limits kdfLimits) error {
	switch {
	case alg.Algorithm.Equal(oidPBES2):
		var p pbes2Params
		if rest, err := asn1.Unmarshal(alg.Parameters.FullBytes, &p); err == nil && len(rest) == 0 {
			return checkPBKDF2Work(p.KeyDerivationFunc, what, limits)
		}
	case hasPrefix(alg.Algorithm, pkcs12PBEPrefix):
		var p pbes1Params
		if rest, err := asn1.Unmarshal(alg.Parameters.FullBytes, &p); err == nil && len(rest) == 0 &&
			p.Iterations > limits.maxIterations {
			return fmt.Errorf("the %s's iteration count %d exceeds %d", what, p.Iterations, limits.maxIterations)
		}
	}
	return nil
}

// checkPBKDF2Work fails if kdf is PBKDF2 with more iterations than limits
// allow.
func checkPBKDF2Work(kdf pkix.AlgorithmIdentifier, what string, limits kdfLimits) error {
	if !kdf.Algorithm.Equal(oidPBKDF2) {
		return nil
	}
	var p struct {
		Salt       asn1.RawValue
		Iterations int
		Rest       asn1.RawValue `asn1:"optional"`
		More       asn1.RawValue `asn1:"optional"`
	}
	if rest, err := asn1.Unmarshal(kdf.Parameters.FullBytes, &p); err == nil && len(rest) == 0 &&
		p.Iterations > limits.maxIterations {
		return fmt.Errorf("the %s's PBKDF2 iteration count %d exceeds %d", what, p.Iterations, limits.maxIterations)
	}
	return nil
}
