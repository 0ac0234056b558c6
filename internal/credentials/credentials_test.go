package credentials

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/roam-dev/roam/internal/store"
)

var t0 = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func newKeyring(t testing.TB, keys ...*store.SealingKey) *Keyring {
	t.Helper()
	if len(keys) == 0 {
		k, err := NewSealingKey(t0)
		if err != nil {
			t.Fatal(err)
		}
		keys = []*store.SealingKey{k}
	}
	kr, err := NewKeyring(keys)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func session() *Session {
	return &Session{
		AccountID: "123456789012", RoleName: "Demo", RoleID: "AROAEXAMPLE", SessionName: "00ff",
		SourceIdentity: "CN=client", Tags: []Tag{{"x509Subject/CN", "client"}},
		SessionPolicy: `{"Version":"2012-10-17"}`, IssuedAt: t0.Unix(), Expiration: t0.Add(time.Hour).Unix(),
	}
}

func TestMintOpenRoundTrip(t *testing.T) {
	kr := newKeyring(t)
	c, err := kr.Mint(session())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.AccessKeyID, "ASIA") || len(c.AccessKeyID) != 20 {
		t.Errorf("access key ID %q: want ASIA + 16 characters", c.AccessKeyID)
	}
	if len(c.SecretAccessKey.Reveal()) != 40 {
		t.Errorf("secret length %d, want 40", len(c.SecretAccessKey.Reveal()))
	}
	if !c.Expiration.Equal(t0.Add(time.Hour)) {
		t.Errorf("expiration %v", c.Expiration)
	}
	s, err := kr.Open(c.AccessKeyID, c.SessionToken.Reveal(), t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if s.SecretKey != c.SecretAccessKey.Reveal() {
		t.Error("opened session carries a different secret key")
	}
	want := session()
	want.SecretKey = s.SecretKey
	if fmt.Sprintf("%+v", *s) != fmt.Sprintf("%+v", *want) {
		t.Errorf("opened session\n got %+v\nwant %+v", *s, *want)
	}
}

func TestOpenRejects(t *testing.T) {
	kr := newKeyring(t)
	c, err := kr.Mint(session())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(c.SessionToken.Reveal())
	flip := func(i int) string {
		b := bytes.Clone(raw)
		b[i] ^= 1
		return base64.StdEncoding.EncodeToString(b)
	}
	tests := []struct {
		name, keyID, token string
		now                time.Time
		want               error
	}{
		{"error/other access key", "ASIAAAAAAAAAAAAAAAAA", c.SessionToken.Reveal(), t0, ErrMalformedToken},
		{"error/not base64", c.AccessKeyID, "!!!", t0, ErrMalformedToken},
		{"error/empty", c.AccessKeyID, "", t0, ErrMalformedToken},
		{"error/truncated", c.AccessKeyID, base64.StdEncoding.EncodeToString(raw[:20]), t0, ErrMalformedToken},
		{"error/flipped version", c.AccessKeyID, flip(0), t0, ErrMalformedToken},
		{"error/flipped key id", c.AccessKeyID, flip(3), t0, ErrUnknownKey},
		{"error/flipped ciphertext", c.AccessKeyID, flip(len(raw) - 20), t0, ErrMalformedToken},
		{"error/flipped tag", c.AccessKeyID, flip(len(raw) - 1), t0, ErrMalformedToken},
		{"error/expired at expiry", c.AccessKeyID, c.SessionToken.Reveal(), t0.Add(time.Hour), ErrExpired},
		{"error/sealed by another keyring", c.AccessKeyID, mustMint(t, newKeyring(t)).SessionToken.Reveal(), t0, ErrUnknownKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kr.Open(tt.keyID, tt.token, tt.now)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
		})
	}
}

func mustMint(t *testing.T, kr *Keyring) *Credentials {
	c, err := kr.Mint(session())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestRotation(t *testing.T) {
	old, _ := NewSealingKey(t0)
	kr1 := newKeyring(t, old)
	before := mustMint(t, kr1)

	old.Retired = true
	fresh, _ := NewSealingKey(t0)
	kr2 := newKeyring(t, old, fresh)
	if _, err := kr2.Open(before.AccessKeyID, before.SessionToken.Reveal(), t0); err != nil {
		t.Fatalf("token sealed before rotation no longer opens: %v", err)
	}
	after := mustMint(t, kr2)
	if _, err := kr1.Open(after.AccessKeyID, after.SessionToken.Reveal(), t0); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("token minted after rotation used the retired key (kr1.Open = %v)", err)
	}
	if _, err := NewKeyring([]*store.SealingKey{old}); err == nil {
		t.Fatal("a keyring of only retired keys was accepted")
	}
}

func TestSecretsDoNotLeak(t *testing.T) {
	c := mustMint(t, newKeyring(t))
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("minted", "secret", c.SecretAccessKey, "token", c.SessionToken)
	fmt.Fprintf(&buf, "%v %s %+v", c.SecretAccessKey, c.SessionToken, *c)
	out := buf.String()
	if strings.Contains(out, c.SecretAccessKey.Reveal()) || strings.Contains(out, c.SessionToken.Reveal()) {
		t.Fatalf("secret printed: %s", out)
	}
	if !strings.Contains(out, "REDACTED") {
		t.Fatalf("no redaction marker in %s", out)
	}
}

func FuzzOpen(f *testing.F) {
	kr := newKeyring(f)
	c, err := kr.Mint(session())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(c.AccessKeyID, c.SessionToken.Reveal())
	f.Add("ASIA", "AQ==")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, keyID, token string) {
		s, err := kr.Open(keyID, token, t0)
		if err == nil && s == nil {
			t.Fatal("nil session without error")
		}
	})
}

func BenchmarkMint(b *testing.B) {
	kr := newKeyring(b)
	s := session()
	for b.Loop() {
		if _, err := kr.Mint(s); err != nil {
			b.Fatal(err)
		}
	}
}
