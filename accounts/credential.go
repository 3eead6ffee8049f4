package accounts

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.uber.org/zap/zapcore"
)

// Credential is what an account authenticates with. It never leaves the
// process unsealed: String, MarshalJSON and MarshalLogObject print
// "[redacted]", so a credential that reaches a log line or a result by
// mistake shows nothing.
type Credential struct {
	// Secret is the API key, personal access token or OAuth access token.
	Secret string
	// RefreshToken is the OAuth refresh token, if any.
	RefreshToken string
	// Expiry is when Secret stops working; zero when unknown or never.
	Expiry time.Time
	// Obtained is when Secret was issued, so that a refresh can be timed
	// to the token's own lifetime; zero when unknown.
	Obtained time.Time
	// UserSecret is a user token issued beside a bot token (Slack's
	// authed_user), for the tools that accept user tokens only; "" when none.
	UserSecret string
}

const redacted = "[redacted]"

// Secret is a string that prints as "[redacted]": an OAuth client secret.
type Secret string

// String returns "[redacted]".
func (Secret) String() string { return redacted }

// GoString returns "[redacted]".
func (Secret) GoString() string { return redacted }

// MarshalJSON returns the JSON string "[redacted]".
func (Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// String returns "[redacted]".
func (Credential) String() string { return redacted }

// GoString returns "[redacted]", so %#v hides the secret too.
func (Credential) GoString() string { return redacted }

// MarshalJSON returns the JSON string "[redacted]".
func (Credential) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }

// MarshalLogObject writes only "[redacted]" to a zap field.
func (Credential) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("credential", redacted)
	return nil
}

// sealedCredential is the plaintext layout inside the sealed blob. It is a
// separate type so that Credential's own MarshalJSON stays redacting.
type sealedCredential struct {
	Secret       string    `json:"s"`
	RefreshToken string    `json:"r,omitempty"`
	Expiry       time.Time `json:"e,omitzero"`
	Obtained     time.Time `json:"o,omitzero"`
	UserSecret   string    `json:"u,omitempty"`
}

// KeyRing seals and opens credentials with AES-256-GCM. The first key
// encrypts; every key can decrypt, found by the key id prefixed to each
// sealed blob, so keys can be rotated by putting a new one first. The
// account id is the additional data: a blob moved to another account's row
// does not open. A KeyRing is safe for concurrent use.
type KeyRing struct {
	primary string
	aeads   map[string]cipher.AEAD
	mac     []byte // derived from the primary key, for CSRF tokens
}

// macKey returns a key for HMACs that is derived from, and never equal to,
// the primary sealing key.
func (kr *KeyRing) macKey() []byte { return kr.mac }

// ParseKeyRing reads keys written as "id:base64,id:base64" (standard or URL
// base64 of 32 bytes each); the first one encrypts.
func ParseKeyRing(spec string) (*KeyRing, error) {
	kr := &KeyRing{aeads: map[string]cipher.AEAD{}}
	for _, part := range strings.Split(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		id, enc, ok := strings.Cut(part, ":")
		if !ok || id == "" || strings.ContainsAny(id, ".:") {
			return nil, errors.New("secret keys: each key must be written id:base64 (the id without '.' or ':')")
		}
		raw, err := decodeKey(enc)
		if err != nil {
			return nil, fmt.Errorf("secret keys: key %q: %w", id, err)
		}
		if _, dup := kr.aeads[id]; dup {
			return nil, fmt.Errorf("secret keys: key id %q appears twice", id)
		}
		block, err := aes.NewCipher(raw)
		if err != nil {
			return nil, fmt.Errorf("secret keys: key %q: %w", id, err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("secret keys: key %q: %w", id, err)
		}
		kr.aeads[id] = aead
		if kr.primary == "" {
			kr.primary = id
			m := hmac.New(sha256.New, raw)
			m.Write([]byte("switchboard form tokens"))
			kr.mac = m.Sum(nil)
		}
	}
	if kr.primary == "" {
		return nil, errors.New("secret keys: no key given")
	}
	return kr, nil
}

func decodeKey(s string) ([]byte, error) {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("a key must be 32 bytes, this one is %d", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("not valid base64")
}

// Seal encrypts c for accountID. The result is "keyid." followed by the
// nonce and the ciphertext.
func (kr *KeyRing) Seal(accountID string, c Credential) ([]byte, error) {
	plain, err := json.Marshal(sealedCredential(c))
	if err != nil {
		return nil, err
	}
	return kr.sealBytes(accountID, plain)
}

// sealBytes encrypts plain with the primary key and ad as additional data.
func (kr *KeyRing) sealBytes(ad string, plain []byte) ([]byte, error) {
	aead := kr.aeads[kr.primary]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	out := append([]byte(kr.primary+"."), nonce...)
	return aead.Seal(out, nonce, plain, []byte(ad)), nil
}

// openBytes decrypts what sealBytes sealed with ad. The error never
// contains key material or plaintext.
func (kr *KeyRing) openBytes(ad string, sealed []byte) ([]byte, error) {
	id, rest, ok := strings.Cut(string(sealed), ".")
	if !ok {
		return nil, errors.New("sealed credential: malformed")
	}
	aead := kr.aeads[id]
	if aead == nil {
		return nil, fmt.Errorf("sealed credential: key %q is not in SWITCHBOARD_SECRET_KEYS", id)
	}
	body := []byte(rest)
	if len(body) < aead.NonceSize() {
		return nil, errors.New("sealed credential: malformed")
	}
	plain, err := aead.Open(nil, body[:aead.NonceSize()], body[aead.NonceSize():], []byte(ad))
	if err != nil {
		return nil, errors.New("sealed credential: does not open with this key and account")
	}
	return plain, nil
}

// Open decrypts a blob sealed for accountID. The error never contains key
// material or plaintext.
func (kr *KeyRing) Open(accountID string, sealed []byte) (Credential, error) {
	plain, err := kr.openBytes(accountID, sealed)
	if err != nil {
		return Credential{}, err
	}
	var sc sealedCredential
	if err := json.Unmarshal(plain, &sc); err != nil {
		return Credential{}, errors.New("sealed credential: malformed plaintext")
	}
	return Credential(sc), nil
}
