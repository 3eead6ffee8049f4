package transport

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"switchboard/accounts"
)

// Keys holds the operator API keys. Only their SHA-256 digests are kept in
// memory after start, and a presented key is compared against every one in
// constant time. The zero value has no keys (dev mode).
type Keys struct {
	digests [][32]byte
}

// NewKeys returns the key set of the given keys; empty entries are ignored.
func NewKeys(keys []string) *Keys {
	k := &Keys{}
	for _, key := range keys {
		if key = strings.TrimSpace(key); key != "" {
			k.digests = append(k.digests, sha256.Sum256([]byte(key)))
		}
	}
	return k
}

// Empty reports whether no key is configured (dev mode).
func (k *Keys) Empty() bool { return k == nil || len(k.digests) == 0 }

// Check reports whether presented is one of the keys, and returns a short,
// non-reversible fingerprint that sessions are bound to.
func (k *Keys) Check(presented string) (keyID string, ok bool) {
	d := sha256.Sum256([]byte(presented))
	match := 0
	for _, want := range k.digests {
		match |= subtle.ConstantTimeCompare(d[:], want[:])
	}
	if match != 1 {
		return "", false
	}
	return "key_" + hex.EncodeToString(d[:6]), true
}

// presentedKey returns the credential of a request: Authorization: Bearer
// or X-Api-Key. A request may repeat it (the Composio SDK's client sends
// its key both ways), but one whose Authorization and X-Api-Key headers
// say different things presents none: which one a proxy added and which
// one the client sent cannot be told, so neither is taken.
func presentedKey(r *http.Request) string {
	var creds []string
	for _, auth := range r.Header.Values("Authorization") {
		cred := ""
		if scheme, rest, ok := strings.Cut(auth, " "); ok && strings.EqualFold(scheme, "Bearer") {
			cred = strings.TrimSpace(rest)
		}
		creds = append(creds, cred)
	}
	for _, key := range r.Header.Values("X-Api-Key") {
		creds = append(creds, strings.TrimSpace(key))
	}
	for _, c := range creds {
		if c != creds[0] {
			return ""
		}
	}
	if len(creds) == 0 {
		return ""
	}
	return creds[0]
}

// singleHeader is the value of header name, which a request may repeat
// but not contradict: a second, different value, which a proxy appending
// rather than replacing a client's would add, is refused rather than one
// of the two chosen.
func singleHeader(r *http.Request, name string) (string, error) {
	vs := r.Header.Values(name)
	for _, v := range vs {
		if v != vs[0] {
			return "", errors.New(name + " was sent " + strconv.Itoa(len(vs)) + " times with different values; send it once")
		}
	}
	if len(vs) == 0 {
		return "", nil
	}
	return vs[0], nil
}

// checkUserID refuses user ids that are empty, too long, hold spaces or
// fail accounts.CheckIdentifier; user ids are opaque otherwise. name is
// where the id came from ("X-User-Id", "--user-id").
func checkUserID(name, id string) error {
	if id == "" || len(id) > 256 {
		return errors.New(name + " must be 1 to 256 characters")
	}
	if err := accounts.CheckIdentifier(name, id); err != nil {
		return err
	}
	if strings.IndexFunc(id, unicode.IsSpace) >= 0 {
		return errors.New(name + " must not contain spaces or control characters")
	}
	return nil
}

// parseToolkits reads an X-Toolkits value; known holds the valid slugs. An
// absent header is nil (no restriction).
func parseToolkits(values []string, known func(string) bool) ([]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	out := []string{}
	for _, v := range values {
		if err := accounts.CheckIdentifier("X-Toolkits", v); err != nil {
			return nil, err
		}
		for _, t := range strings.Split(v, ",") {
			t = strings.TrimSpace(t)
			if t == "" {
				continue
			}
			if !known(t) {
				return nil, errors.New("X-Toolkits names unknown toolkit " + quote(t))
			}
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// parseBool reads X-Require-Explicit-Selection.
func parseBool(v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "false", "0", "no":
		return false, nil
	case "true", "1", "yes":
		return true, nil
	}
	return false, errors.New("X-Require-Explicit-Selection must be true or false")
}

func quote(s string) string {
	if utf8.RuneCountInString(s) > 64 {
		s = string([]rune(s)[:64]) + "…" // whole characters: a cut one is not UTF-8
	}
	return `"` + strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s) + `"`
}
