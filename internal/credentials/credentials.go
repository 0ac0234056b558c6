// Package credentials mints and opens roam's temporary security
// credentials. They are self-contained: the session token is the session
// itself, sealed with AES-256-GCM under a key from the shared keyring, so
// issuing credentials needs no database write and any node holding the
// keyring can verify credentials minted by any other node.
//
// Token layout (then standard base64):
//
//	version(1) | len(keyID)(1) | keyID | nonce(12) | AES-256-GCM(session JSON)
//
// The additional data binds the ciphertext to the version, the key ID and
// the access key ID, so a token cannot be replayed under another key ID.
package credentials

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/roam-dev/roam/internal/store"
)

// Secret is a secret string (a secret access key or a session token). It
// never prints itself in logs.
type Secret string

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue("REDACTED") }

// String implements fmt.Stringer, so %v never leaks a secret either.
func (Secret) String() string { return "REDACTED" }

// Reveal returns the secret's value, for the few places that must send it.
func (s Secret) Reveal() string { return string(s) }

// Tag is a session tag.
type Tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// Session is what a set of temporary credentials stands for. It is sealed
// into the session token, so keep it small.
type Session struct {
	AccountID      string   `json:"a"`
	RoleName       string   `json:"r"`
	RoleID         string   `json:"ri"`
	RolePath       string   `json:"rp,omitempty"`
	SessionName    string   `json:"n"`
	SourceIdentity string   `json:"si,omitempty"`
	Tags           []Tag    `json:"t,omitempty"`
	SessionPolicy  string   `json:"p,omitempty"`  // inline session policy (JSON)
	PolicyArns     []string `json:"pa,omitempty"` // managed session policies
	TrustAnchorID  string   `json:"ta,omitempty"`
	ProfileID      string   `json:"pr,omitempty"`
	IssuedAt       int64    `json:"i"` // Unix seconds
	Expiration     int64    `json:"e"` // Unix seconds
	SecretKey      string   `json:"s"`
}

// Expires returns the session's expiry time.
func (s *Session) Expires() time.Time { return time.Unix(s.Expiration, 0).UTC() }

// Issued returns the session's issue time.
func (s *Session) Issued() time.Time { return time.Unix(s.IssuedAt, 0).UTC() }

// Credentials are minted temporary credentials.
type Credentials struct {
	AccessKeyID     string
	SecretAccessKey Secret
	SessionToken    Secret
	Expiration      time.Time
}

const tokenVersion = 1

// Errors from Open.
var (
	// ErrMalformedToken: the token is not one of ours or was altered.
	ErrMalformedToken = errors.New("credentials: malformed or tampered session token")
	// ErrUnknownKey: the token was sealed with a key not in the keyring.
	ErrUnknownKey = errors.New("credentials: session token sealed with an unknown key")
	// ErrExpired: the session has expired.
	ErrExpired = errors.New("credentials: session expired")
)

// Keyring seals new tokens with its newest unretired key and opens tokens
// sealed with any of its keys.
type Keyring struct {
	aeads  map[string]cipher.AEAD
	active string
}

// NewKeyring builds a keyring from stored keys. At least one key must be
// unretired.
func NewKeyring(keys []*store.SealingKey) (*Keyring, error) {
	k := &Keyring{aeads: make(map[string]cipher.AEAD, len(keys))}
	for _, sk := range keys {
		if len(sk.ID) == 0 || len(sk.ID) > 255 {
			return nil, fmt.Errorf("credentials: sealing key ID %q has a bad length", sk.ID)
		}
		if len(sk.Key) != 32 {
			return nil, fmt.Errorf("credentials: sealing key %s is %d bytes, want 32", sk.ID, len(sk.Key))
		}
		block, err := aes.NewCipher(sk.Key)
		if err != nil {
			return nil, fmt.Errorf("credentials: sealing key %s: %w", sk.ID, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, err
		}
		k.aeads[sk.ID] = aead
		if !sk.Retired {
			k.active = sk.ID // keys come oldest first: the last unretired wins
		}
	}
	if k.active == "" {
		return nil, errors.New("credentials: the keyring has no active sealing key")
	}
	return k, nil
}

// NewSealingKey returns a fresh random sealing key.
func NewSealingKey(now time.Time) (*store.SealingKey, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, err
	}
	id := make([]byte, 5)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	return &store.SealingKey{ID: "k" + lowerBase32.EncodeToString(id), Key: key, CreatedAt: now.UTC()}, nil
}

var (
	upperBase32 = base32.StdEncoding.WithPadding(base32.NoPadding)
	lowerBase32 = base32.NewEncoding("abcdefghijklmnopqrstuvwxyz234567").WithPadding(base32.NoPadding)
)

// NewAccessKeyID returns a random access key ID with the given prefix
// ("ASIA" for temporary credentials, "AKIA" for long-term keys): 20
// characters of [A-Z2-7], like AWS's.
func NewAccessKeyID(prefix string) (string, error) {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return prefix + upperBase32.EncodeToString(b)[:20-len(prefix)], nil
}

// NewSecretAccessKey returns a random 40-character secret access key.
func NewSecretAccessKey() (Secret, error) {
	b := make([]byte, 30)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return Secret(base64.StdEncoding.EncodeToString(b)), nil
}

// Mint seals s (whose SecretKey it fills in) into new credentials.
func (k *Keyring) Mint(s *Session) (*Credentials, error) {
	accessKeyID, err := NewAccessKeyID("ASIA")
	if err != nil {
		return nil, err
	}
	secret, err := NewSecretAccessKey()
	if err != nil {
		return nil, err
	}
	sealed := *s
	sealed.SecretKey = secret.Reveal()
	plain, err := json.Marshal(&sealed)
	if err != nil {
		return nil, err
	}
	aead := k.aeads[k.active]
	header := make([]byte, 0, 2+len(k.active)+aead.NonceSize())
	header = append(header, tokenVersion, byte(len(k.active)))
	header = append(header, k.active...)
	nonceAt := len(header)
	header = header[:nonceAt+aead.NonceSize()]
	if _, err := io.ReadFull(rand.Reader, header[nonceAt:]); err != nil {
		return nil, err
	}
	token := aead.Seal(header, header[nonceAt:], plain, additionalData(header[:nonceAt], accessKeyID))
	return &Credentials{
		AccessKeyID:     accessKeyID,
		SecretAccessKey: secret,
		SessionToken:    Secret(base64.StdEncoding.EncodeToString(token)),
		Expiration:      sealed.Expires(),
	}, nil
}

// Open unseals a session token presented with accessKeyID. It returns
// ErrExpired (with the session) when the session has expired at now.
func (k *Keyring) Open(accessKeyID, token string, now time.Time) (*Session, error) {
	raw, err := base64.StdEncoding.DecodeString(token)
	if err != nil || len(raw) < 2 || raw[0] != tokenVersion {
		return nil, ErrMalformedToken
	}
	idEnd := 2 + int(raw[1])
	if len(raw) < idEnd {
		return nil, ErrMalformedToken
	}
	aead, ok := k.aeads[string(raw[2:idEnd])]
	if !ok {
		return nil, ErrUnknownKey
	}
	nonceEnd := idEnd + aead.NonceSize()
	if len(raw) < nonceEnd+aead.Overhead() {
		return nil, ErrMalformedToken
	}
	plain, err := aead.Open(nil, raw[idEnd:nonceEnd], raw[nonceEnd:], additionalData(raw[:idEnd], accessKeyID))
	if err != nil {
		return nil, ErrMalformedToken
	}
	var s Session
	if err := json.Unmarshal(plain, &s); err != nil {
		return nil, ErrMalformedToken
	}
	if !now.Before(s.Expires()) {
		return &s, ErrExpired
	}
	return &s, nil
}

func additionalData(header []byte, accessKeyID string) []byte {
	ad := make([]byte, 0, len(header)+len(accessKeyID))
	return append(append(ad, header...), accessKeyID...)
}
