package storetest

import (
	"testing"

	"switchboard/accounts"
)

func testCredential(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	a, other := newAccount("alice", "github"), newAccount("alice", "github")
	createAccounts(t, st, a, other)

	_, err := st.Credential(ctx, "alice", a.ID)
	wantErr(t, "Credential before any was set", err, accounts.ErrNotFound)

	// Every byte value, as ciphertext has: a store treating the blob as
	// text would mangle some of them.
	first := make([]byte, 256)
	for i := range first {
		first[i] = byte(i)
	}
	if err := st.SetCredential(ctx, "alice", a.ID, first); err != nil {
		t.Fatalf("SetCredential: %v", err)
	}
	if err := st.SetCredential(ctx, "alice", other.ID, []byte("other")); err != nil {
		t.Fatalf("SetCredential(other): %v", err)
	}
	wantCredential(t, st, "alice", a.ID, first)

	// Shorter than the first, so that a partial overwrite shows.
	second := []byte{0x00, 0xff, 0x01}
	if err := st.SetCredential(ctx, "alice", a.ID, second); err != nil {
		t.Fatalf("SetCredential (replace): %v", err)
	}
	wantCredential(t, st, "alice", a.ID, second)
	wantCredential(t, st, "alice", other.ID, []byte("other"))
}
