package accounts

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func key(b byte) string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{b}, 32)) }

func TestSealRoundTripAndRotation(t *testing.T) {
	old, err := ParseKeyRing("k1:" + key(1))
	if err != nil {
		t.Fatal(err)
	}
	cred := Credential{Secret: "ghp_secret", RefreshToken: "r1", Expiry: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)}
	sealed, err := old.Seal("ca_a", cred)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("ghp_secret")) || !bytes.HasPrefix(sealed, []byte("k1.")) {
		t.Fatalf("sealed blob %q", sealed)
	}
	rotated, err := ParseKeyRing("k2:" + key(2) + ",k1:" + key(1))
	if err != nil {
		t.Fatal(err)
	}
	got, err := rotated.Open("ca_a", sealed)
	if err != nil || got != cred {
		t.Fatalf("rotated ring opened %v, %v", got, err)
	}
	resealed, _ := rotated.Seal("ca_a", cred)
	if !bytes.HasPrefix(resealed, []byte("k2.")) {
		t.Errorf("the first key must encrypt: %q", resealed[:3])
	}
	if _, err := old.Open("ca_a", resealed); err == nil || !strings.Contains(err.Error(), "k2") {
		t.Errorf("a ring without k2 should say so: %v", err)
	}
	if _, err := rotated.Open("ca_b", sealed); err == nil {
		t.Error("a blob sealed for ca_a opened for ca_b")
	}
	tampered := append([]byte(nil), sealed...)
	tampered[len(tampered)-1] ^= 1
	if _, err := rotated.Open("ca_a", tampered); err == nil {
		t.Error("a tampered blob opened")
	}
}

func TestParseKeyRingRefusesBadKeys(t *testing.T) {
	for _, spec := range []string{"", "nokey", "k1:notbase64!!", "k1:" + base64.StdEncoding.EncodeToString([]byte("short")), "k1:" + key(1) + ",k1:" + key(2), "a.b:" + key(1)} {
		if _, err := ParseKeyRing(spec); err == nil {
			t.Errorf("ParseKeyRing(%q) succeeded", spec)
		} else if strings.Contains(err.Error(), key(1)) {
			t.Errorf("the error repeats the key: %v", err)
		}
	}
}

func TestKeyFileCreatedOnceWithMode0600(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "secret.key")
	kr, created, err := LoadOrCreateKeyFile(path)
	if err != nil || !created {
		t.Fatalf("first load: created=%v err=%v", created, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v (%v)", st.Mode().Perm(), err)
	}
	sealed, _ := kr.Seal("ca_x", Credential{Secret: "s"})
	again, created, err := LoadOrCreateKeyFile(path)
	if err != nil || created {
		t.Fatalf("second load: created=%v err=%v", created, err)
	}
	if c, err := again.Open("ca_x", sealed); err != nil || c.Secret != "s" {
		t.Errorf("the reloaded key does not open what the first sealed: %v", err)
	}
}

func TestCredentialNeverPrints(t *testing.T) {
	c := Credential{Secret: "ghp_topsecret", RefreshToken: "refresh_topsecret"}
	core, logs := observer.New(zap.DebugLevel)
	zap.New(core).Info("x", zap.Any("cred", c), zap.Object("obj", c), zap.Reflect("refl", c))
	js, _ := json.Marshal(map[string]any{"c": c})
	outputs := []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), string(js)}
	for _, e := range logs.All() {
		for k, v := range e.ContextMap() {
			outputs = append(outputs, fmt.Sprint(k, v))
		}
	}
	for _, out := range outputs {
		if strings.Contains(out, "topsecret") {
			t.Errorf("a credential printed its secret: %s", out)
		}
	}
}
