package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"switchboard/accounts"
)

// pending is an authorization under way: a placeholder INITIATED account,
// the link issued for it, and the session that asked.
type pending struct {
	account *accounts.Account
	link    *accounts.Link
	session *accounts.Session
}

// startAuth stores a pending authorization of userID to toolkit.
func startAuth(tb testing.TB, st accounts.Store, userID, toolkit string) pending {
	tb.Helper()
	ctx := tb.Context()
	sess := newSession(userID)
	if err := st.CreateSession(ctx, sess); err != nil {
		tb.Fatalf("CreateSession: %v", err)
	}
	p := newAccount(userID, toolkit)
	p.Status, p.StatusReason = accounts.StatusInitiated, "waiting for the user"
	p.Label, p.UpstreamID, p.ConnectedAt = "", "", time.Time{}
	createAccounts(tb, st, p)
	l := newLink(p)
	l.SessionID = sess.ID
	if err := st.CreateLink(ctx, l); err != nil {
		tb.Fatalf("CreateLink: %v", err)
	}
	return pending{account: p, link: l, session: sess}
}

// completion returns the successful completion of p: its placeholder turned
// ACTIVE with an identity, selected in p's session.
// reconnect completes p onto refreshed, an account the user had connected
// already (rule 1's exception): the placeholder goes, the credential
// becomes "new", and the session selects refreshed.
func (p pending) reconnect(tb testing.TB, st accounts.Store, refreshed *accounts.Account) *accounts.Completion {
	tb.Helper()
	c := &accounts.Completion{
		LinkHash:         p.link.TokenHash,
		Account:          refreshed,
		Sealed:           []byte("new"),
		DiscardAccountID: p.account.ID,
		SessionID:        p.session.ID,
	}
	if err := st.Complete(tb.Context(), c); err != nil {
		tb.Fatalf("Complete: %v", err)
	}
	return c
}

func (p pending) completion(label string) *accounts.Completion {
	a := *p.account
	a.Status, a.StatusReason = accounts.StatusActive, ""
	a.Label, a.UpstreamID = label, "upstream-"+label
	a.ConnectedAt = t0.Add(5*time.Minute + 11*time.Microsecond)
	return &accounts.Completion{
		LinkHash:  p.link.TokenHash,
		Account:   &a,
		Sealed:    []byte("sealed for " + label),
		SessionID: p.session.ID,
	}
}

// wantCompleted fails tb unless st holds exactly what c wrote.
func wantCompleted(tb testing.TB, st accounts.Store, p pending, c *accounts.Completion) {
	tb.Helper()
	a := c.Account
	wantSame(tb, "completed account", a, mustAccount(tb, st, a.UserID, a.ID))
	wantCredential(tb, st, a.UserID, a.ID, c.Sealed)
	if got := mustSession(tb, st, p.session.ID).Selected[a.Toolkit]; got != a.ID {
		tb.Errorf("session selects %q for %s, want %q", got, a.Toolkit, a.ID)
	}
	l := mustLink(tb, st, p.link.TokenHash)
	if !l.Used() || l.ResultAccountID != a.ID {
		tb.Errorf("link after Complete: UsedAt %v, ResultAccountID %q; want used, %q", l.UsedAt, l.ResultAccountID, a.ID)
	}
}

func testCompleteWrites(t *testing.T, s suite) {
	st := s.store(t)
	p := startAuth(t, st, "alice", "github")
	c := p.completion("octocat")
	if err := st.Complete(t.Context(), c); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	wantCompleted(t, st, p, c)

	unknown := p.completion("other")
	unknown.LinkHash = "0000unknown"
	wantErr(t, "Complete(unknown link)", st.Complete(t.Context(), unknown), accounts.ErrNotFound)
}

func testCompleteSingleUse(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	p := startAuth(t, st, "alice", "github")
	first := p.completion("octocat")
	if err := st.Complete(ctx, first); err != nil {
		t.Fatalf("Complete: %v", err)
	}
	// The user picks another account afterwards; a replayed link must not
	// take the selection back.
	other := newAccount("alice", "github")
	createAccounts(t, st, other)
	if err := st.SelectAccount(ctx, p.session.ID, "github", other.ID); err != nil {
		t.Fatalf("SelectAccount: %v", err)
	}

	wantErr(t, "second Complete", st.Complete(ctx, p.completion("mallory")), accounts.ErrLinkUsed)

	wantSame(t, "account after the replay", first.Account, mustAccount(t, st, "alice", first.Account.ID))
	wantCredential(t, st, "alice", first.Account.ID, first.Sealed)
	if got := mustSession(t, st, p.session.ID).Selected["github"]; got != other.ID {
		t.Errorf("session selects %q after the replay, want %q", got, other.ID)
	}
}

func testCompleteRace(t *testing.T, s suite) {
	st := s.store(t)
	p := startAuth(t, st, "alice", "github")
	const racers = 8
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() { errs[i] = st.Complete(t.Context(), p.completion(fmt.Sprint("racer", i))) })
	}
	wg.Wait()
	winner := oneWinner(t, errs, accounts.ErrLinkUsed, "completed the link")
	wantCompleted(t, st, p, p.completion(fmt.Sprint("racer", winner)))
}

// oneWinner returns the one racer whose error is nil; every other must
// have lost with lost. did says what the winner did, for the messages.
func oneWinner(t *testing.T, errs []error, lost error, did string) int {
	t.Helper()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Errorf("racers %d and %d both %s", winner, i, did)
		case !errors.Is(err, lost):
			t.Errorf("racer %d: %v, want nil or %v", i, err, lost)
		}
	}
	if winner < 0 {
		t.Fatalf("no racer %s", did)
	}
	return winner
}

// testCompleteDiscard pins rule 1's exception: the authorization resolved to
// an identity alice had connected already, so that account is refreshed and
// the placeholder goes, taking the alias authorize asked for with it.
func testCompleteDiscard(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	existing := newAccount("alice", "github")
	createAccounts(t, st, existing)
	if err := st.SetCredential(ctx, "alice", existing.ID, []byte("old")); err != nil {
		t.Fatalf("SetCredential: %v", err)
	}
	p := startAuth(t, st, "alice", "github")
	p.account.Alias = "personal"
	if err := st.UpdateAccount(ctx, p.account); err != nil {
		t.Fatalf("UpdateAccount(placeholder): %v", err)
	}

	refreshed := *existing
	refreshed.Alias = "personal" // held by the placeholder until it goes
	refreshed.ConnectedAt = t0.Add(time.Hour)
	c := p.reconnect(t, st, &refreshed)
	wantCompleted(t, st, p, c)
	_, err := st.Account(ctx, "alice", p.account.ID)
	wantErr(t, "Account(placeholder)", err, accounts.ErrNotFound)
	_, err = st.Credential(ctx, "alice", p.account.ID)
	wantErr(t, "Credential(placeholder)", err, accounts.ErrNotFound)

	// wait_for_connection holds the placeholder id: its link leads on.
	l, err := st.LatestLink(ctx, "alice", p.account.ID)
	if err != nil {
		t.Fatalf("LatestLink(placeholder): %v", err)
	}
	if l.TokenHash != p.link.TokenHash || l.ResultAccountID != existing.ID || !l.Used() {
		t.Errorf("LatestLink(placeholder) = %+v, want link %s used, result %s", l, p.link.TokenHash, existing.ID)
	}
}

// testCompleteFailure pins that a refused Complete writes nothing, so the
// user can retry the same link with another alias.
func testCompleteFailure(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	existing, holder := newAccount("alice", "github"), newAccount("alice", "github")
	holder.Alias = "work"
	createAccounts(t, st, existing, holder)
	if err := st.SetCredential(ctx, "alice", existing.ID, []byte("old")); err != nil {
		t.Fatalf("SetCredential: %v", err)
	}
	p := startAuth(t, st, "alice", "github")

	refreshed := *existing
	refreshed.Alias = "WORK"
	refreshed.ConnectedAt = t0.Add(time.Hour)
	c := &accounts.Completion{
		LinkHash:         p.link.TokenHash,
		Account:          &refreshed,
		Sealed:           []byte("new"),
		DiscardAccountID: p.account.ID,
		SessionID:        p.session.ID,
	}
	wantErr(t, "Complete", st.Complete(ctx, c), accounts.ErrAliasTaken)

	wantSame(t, "link after the failure", p.link, mustLink(t, st, p.link.TokenHash))
	wantSame(t, "placeholder after the failure", p.account, mustAccount(t, st, "alice", p.account.ID))
	wantSame(t, "account after the failure", existing, mustAccount(t, st, "alice", existing.ID))
	wantCredential(t, st, "alice", existing.ID, []byte("old"))
	if sel := mustSession(t, st, p.session.ID).Selected; len(sel) != 0 {
		t.Errorf("session selections after the failure = %v, want none", sel)
	}

	refreshed.Alias = "home"
	if err := st.Complete(ctx, c); err != nil {
		t.Fatalf("Complete with a free alias: %v", err)
	}
	wantCompleted(t, st, p, c)
}

// testCompleteSessionGone pins that a link outlives the session that asked
// for it: the session was deleted (ended, swept) before the person came
// back, and the completion is written all the same, without a selection.
func testCompleteSessionGone(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	p := startAuth(t, st, "alice", "github")
	if err := st.DeleteSession(ctx, p.session.ID); err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	c := p.completion("octocat")
	if err := st.Complete(ctx, c); err != nil {
		t.Fatalf("Complete after the session was deleted: %v", err)
	}
	wantSame(t, "completed account", c.Account, mustAccount(t, st, "alice", c.Account.ID))
	wantCredential(t, st, "alice", c.Account.ID, c.Sealed)
	if l := mustLink(t, st, p.link.TokenHash); !l.Used() || l.ResultAccountID != c.Account.ID {
		t.Errorf("link after Complete: UsedAt %v, ResultAccountID %q; want used, %q", l.UsedAt, l.ResultAccountID, c.Account.ID)
	}
	_, err := st.Session(ctx, p.session.ID)
	wantErr(t, "Session(deleted)", err, accounts.ErrNotFound)
}

// testCompleteKeepsStatusChanges pins that a completion written with a
// copy of the account read before the person authorized keeps the changes
// made since: a disable holds (the operator alone enables), an expiry is
// cured, and a use recorded meanwhile stays recorded.
func testCompleteKeepsStatusChanges(t *testing.T, s suite) {
	for _, tt := range []struct {
		name       string
		meanwhile  accounts.Status
		wantStatus accounts.Status
		wantReason string
	}{
		{"DisabledStaysDisabled", accounts.StatusInactive, accounts.StatusInactive, "changed meanwhile"},
		{"ExpiredTurnsActive", accounts.StatusExpired, accounts.StatusActive, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := s.store(t)
			ctx := t.Context()
			existing := newAccount("alice", "github")
			createAccounts(t, st, existing)
			p := startAuth(t, st, "alice", "github")
			read := mustAccount(t, st, "alice", existing.ID) // before the person authorizes

			changed := *read
			changed.Status, changed.StatusReason = tt.meanwhile, "changed meanwhile"
			if err := st.SetAccountStatus(ctx, &changed, accounts.StatusActive); err != nil {
				t.Fatalf("SetAccountStatus: %v", err)
			}
			touched := changed
			touched.LastUsedAt = t0.Add(2 * time.Hour)
			if err := st.TouchAccount(ctx, &touched); err != nil {
				t.Fatalf("TouchAccount: %v", err)
			}

			refreshed := *read
			refreshed.Status, refreshed.StatusReason = accounts.StatusActive, ""
			refreshed.Label = "renamed-upstream"
			refreshed.ConnectedAt = t0.Add(time.Hour)
			c := p.reconnect(t, st, &refreshed)
			want := refreshed
			want.Status, want.StatusReason, want.LastUsedAt = tt.wantStatus, tt.wantReason, touched.LastUsedAt
			got := mustAccount(t, st, "alice", existing.ID)
			wantSame(t, "stored account", &want, got)
			wantSame(t, "Completion.Account after Complete", got, c.Account)
			wantCredential(t, st, "alice", existing.ID, []byte("new"))
		})
	}
}
