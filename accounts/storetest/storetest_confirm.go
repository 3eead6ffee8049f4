package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"switchboard/accounts"
)

// newConfirmation returns a pending confirmation of userID with a link,
// created at t0 and expiring ten minutes later.
func newConfirmation(userID string) *accounts.Confirmation {
	n := serial.Add(1)
	return &accounts.Confirmation{
		ID:        fmt.Sprintf("cf_%d", n),
		UserID:    userID,
		SessionID: fmt.Sprintf("ses_%d", n),
		AccountID: fmt.Sprintf("ca_%d", n),
		Tool:      "GITHUB_CREATE_ISSUE",
		ArgsHash:  fmt.Sprintf("hash%d", n),
		TokenHash: fmt.Sprintf("%064x", n),
		Summary:   []byte("k1.\x00sealed summary"),
		CreatedAt: t0,
		ExpiresAt: t0.Add(10 * time.Minute),
	}
}

func createConfirmation(tb testing.TB, st accounts.Store, c *accounts.Confirmation) {
	tb.Helper()
	if err := st.CreateConfirmation(tb.Context(), c); err != nil {
		tb.Fatalf("CreateConfirmation: %v", err)
	}
}

func mustConfirmation(tb testing.TB, st accounts.Store, userID, id string) *accounts.Confirmation {
	tb.Helper()
	c, err := st.Confirmation(tb.Context(), userID, id)
	if err != nil {
		tb.Fatalf("Confirmation(%s, %s): %v", userID, id, err)
	}
	return c
}

// testConfirmationRoundTrip pins how a confirmation is found: by id for
// its user only, by its link token for anyone holding it; one without a
// link has no token to be found by.
func testConfirmationRoundTrip(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	c := newConfirmation("alice")
	createConfirmation(t, st, c)
	wantSame(t, "confirmation by id", c, mustConfirmation(t, st, "alice", c.ID))
	got, err := st.ConfirmationByToken(ctx, c.TokenHash)
	if err != nil {
		t.Fatalf("ConfirmationByToken: %v", err)
	}
	wantSame(t, "confirmation by token", c, got)
	_, err = st.Confirmation(ctx, "bob", c.ID)
	wantErr(t, "Confirmation(bob, alice's)", err, accounts.ErrNotFound)
	_, err = st.ConfirmationByToken(ctx, fmt.Sprintf("%064x", 0))
	wantErr(t, "ConfirmationByToken(unknown)", err, accounts.ErrNotFound)

	// Two confirmations without a link: no token, no clash.
	e1, e2 := newConfirmation("alice"), newConfirmation("alice")
	e1.TokenHash, e1.Summary, e2.TokenHash, e2.Summary = "", nil, "", nil
	createConfirmation(t, st, e1)
	createConfirmation(t, st, e2)
	wantSame(t, "confirmation without a link", e1, mustConfirmation(t, st, "alice", e1.ID))
	_, err = st.ConfirmationByToken(ctx, "")
	wantErr(t, "ConfirmationByToken(\"\")", err, accounts.ErrNotFound)
}

// testConfirmationDecideAndUseOnce pins the life of a confirmation: it is
// answered once, before it expires, by its user only; it is used once,
// only when approved and before it expires.
func testConfirmationDecideAndUseOnce(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	at := t0.Add(time.Minute)

	c := newConfirmation("alice")
	createConfirmation(t, st, c)
	wantErr(t, "UseConfirmation(pending)", st.UseConfirmation(ctx, "alice", c.ID, at), accounts.ErrConfirmationSettled)
	wantErr(t, "DecideConfirmation(bob)", st.DecideConfirmation(ctx, "bob", c.ID, true, at), accounts.ErrNotFound)
	if err := st.DecideConfirmation(ctx, "alice", c.ID, true, at); err != nil {
		t.Fatalf("DecideConfirmation: %v", err)
	}
	wantErr(t, "DecideConfirmation(again)", st.DecideConfirmation(ctx, "alice", c.ID, false, at), accounts.ErrConfirmationSettled)
	want := *c
	want.DecidedAt, want.Approved = at, true
	wantSame(t, "approved confirmation", &want, mustConfirmation(t, st, "alice", c.ID))

	wantErr(t, "UseConfirmation(bob)", st.UseConfirmation(ctx, "bob", c.ID, at), accounts.ErrNotFound)
	wantErr(t, "UseConfirmation(expired)", st.UseConfirmation(ctx, "alice", c.ID, c.ExpiresAt), accounts.ErrConfirmationSettled)
	if err := st.UseConfirmation(ctx, "alice", c.ID, at); err != nil {
		t.Fatalf("UseConfirmation: %v", err)
	}
	wantErr(t, "UseConfirmation(again)", st.UseConfirmation(ctx, "alice", c.ID, at), accounts.ErrConfirmationSettled)
	want.UsedAt = at
	wantSame(t, "used confirmation", &want, mustConfirmation(t, st, "alice", c.ID))

	declined := newConfirmation("alice")
	createConfirmation(t, st, declined)
	if err := st.DecideConfirmation(ctx, "alice", declined.ID, false, at); err != nil {
		t.Fatalf("DecideConfirmation(decline): %v", err)
	}
	wantErr(t, "UseConfirmation(declined)", st.UseConfirmation(ctx, "alice", declined.ID, at), accounts.ErrConfirmationSettled)

	late := newConfirmation("alice")
	createConfirmation(t, st, late)
	wantErr(t, "DecideConfirmation(expired)", st.DecideConfirmation(ctx, "alice", late.ID, true, late.ExpiresAt), accounts.ErrConfirmationSettled)
	wantErr(t, "DecideConfirmation(unknown)", st.DecideConfirmation(ctx, "alice", "cf_unknown", true, at), accounts.ErrNotFound)
	wantErr(t, "UseConfirmation(unknown)", st.UseConfirmation(ctx, "alice", "cf_unknown", at), accounts.ErrNotFound)
}

// testConfirmationUseRace models two replicas repeating the same confirmed
// call at once: exactly one may use the confirmation.
func testConfirmationUseRace(t *testing.T, s suite) {
	dir := t.TempDir()
	first, _ := s.openAt(t, dir)
	second, _ := s.openAt(t, dir)
	c := newConfirmation("alice")
	createConfirmation(t, first, c)
	at := t0.Add(time.Minute)
	if err := first.DecideConfirmation(t.Context(), "alice", c.ID, true, at); err != nil {
		t.Fatalf("DecideConfirmation: %v", err)
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for i := range 8 {
		st := []accounts.Store{first, second}[i%2]
		wg.Go(func() {
			err := st.UseConfirmation(t.Context(), "alice", c.ID, at)
			switch {
			case err == nil:
				mu.Lock()
				wins++
				mu.Unlock()
			case !errors.Is(err, accounts.ErrConfirmationSettled):
				t.Errorf("UseConfirmation: %v", err)
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d racers used the confirmation, want exactly 1", wins)
	}
}
