package storetest

import (
	"sync"
	"testing"
	"time"

	"switchboard/accounts"
)

// testAliasChangesOnlyAlias pins that a rename made with a stale copy of
// the account in hand cannot undo what others wrote since: SetAccountAlias
// writes the alias and nothing else.
func testAliasChangesOnlyAlias(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	a, home := newAccount("alice", "github"), newAccount("alice", "github")
	home.Alias = "home"
	createAccounts(t, st, a, home)
	disabled := *a
	disabled.Status, disabled.StatusReason = accounts.StatusInactive, "disabled by the operator"
	if err := st.SetAccountStatus(ctx, &disabled, accounts.StatusActive); err != nil {
		t.Fatalf("SetAccountStatus: %v", err)
	}

	if err := st.SetAccountAlias(ctx, "alice", a.ID, "Work"); err != nil {
		t.Fatalf("SetAccountAlias: %v", err)
	}
	want := disabled
	want.Alias = "Work"
	wantSame(t, "renamed account", &want, mustAccount(t, st, "alice", a.ID))

	wantErr(t, "SetAccountAlias(taken)", st.SetAccountAlias(ctx, "alice", a.ID, "HOME"), accounts.ErrAliasTaken)
	wantErr(t, "SetAccountAlias(foreign)", st.SetAccountAlias(ctx, "bob", a.ID, "mine"), accounts.ErrNotFound)
	wantErr(t, "SetAccountAlias(unknown)", st.SetAccountAlias(ctx, "alice", "ca_unknown", "x"), accounts.ErrNotFound)
	wantSame(t, "account after refused renames", &want, mustAccount(t, st, "alice", a.ID))

	// The alias it gave up is free again, and "" removes it.
	if err := st.SetAccountAlias(ctx, "alice", home.ID, ""); err != nil {
		t.Fatalf("SetAccountAlias(none): %v", err)
	}
	if err := st.SetAccountAlias(ctx, "alice", a.ID, "home"); err != nil {
		t.Fatalf("SetAccountAlias(freed alias): %v", err)
	}
	if got := mustAccount(t, st, "alice", home.ID).Alias; got != "" {
		t.Errorf("alias after removing it = %q, want none", got)
	}
}

// testStatusFromWhatWasRead pins SetAccountStatus: a status change is
// written only onto the account as its caller read it, so that it never
// undoes another status change or a reconnect that landed in between.
func testStatusFromWhatWasRead(t *testing.T, s suite) {
	expired := func(a *accounts.Account) *accounts.Account {
		next := *a
		next.Status, next.StatusReason = accounts.StatusExpired, "the token was revoked"
		return &next
	}
	for _, tt := range []struct {
		name string
		// meanwhile changes the stored account after it was read; nil
		// leaves it alone.
		meanwhile func(t *testing.T, st accounts.Store, a *accounts.Account)
		from      accounts.Status
		want      error
	}{
		{name: "AsRead", from: accounts.StatusActive},
		{name: "StatusChangedMeanwhile", from: accounts.StatusActive, want: accounts.ErrAccountChanged,
			meanwhile: func(t *testing.T, st accounts.Store, a *accounts.Account) {
				disabled := *a
				disabled.Status, disabled.StatusReason = accounts.StatusInactive, "disabled by the operator"
				if err := st.SetAccountStatus(t.Context(), &disabled, accounts.StatusActive); err != nil {
					t.Fatalf("SetAccountStatus(disable): %v", err)
				}
			}},
		{name: "ReconnectedMeanwhile", from: accounts.StatusActive, want: accounts.ErrAccountChanged,
			meanwhile: func(t *testing.T, st accounts.Store, a *accounts.Account) {
				again := *a
				again.ConnectedAt = a.ConnectedAt.Add(time.Minute)
				if err := st.UpdateAccount(t.Context(), &again); err != nil {
					t.Fatalf("UpdateAccount(reconnect): %v", err)
				}
			}},
		{name: "WrongFrom", from: accounts.StatusInitiated, want: accounts.ErrAccountChanged},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := s.store(t)
			a := newAccount("alice", "github")
			createAccounts(t, st, a)
			read := mustAccount(t, st, "alice", a.ID)
			if tt.meanwhile != nil {
				tt.meanwhile(t, st, read)
			}
			before := mustAccount(t, st, "alice", a.ID)
			next := expired(read)
			err := st.SetAccountStatus(t.Context(), next, tt.from)
			wantErr(t, "SetAccountStatus", err, tt.want)
			want := before
			if tt.want == nil {
				want = next
			}
			wantSame(t, "account after SetAccountStatus", want, mustAccount(t, st, "alice", a.ID))
		})
	}

	t.Run("NeverConnected", func(t *testing.T) {
		st := s.store(t)
		p := newAccount("alice", "github")
		p.Status, p.StatusReason, p.ConnectedAt = accounts.StatusInitiated, "waiting for the user", time.Time{}
		createAccounts(t, st, p)
		failed := *p
		failed.Status, failed.StatusReason = accounts.StatusFailed, "the link expired"
		if err := st.SetAccountStatus(t.Context(), &failed, accounts.StatusInitiated); err != nil {
			t.Fatalf("SetAccountStatus: %v", err)
		}
		wantSame(t, "failed placeholder", &failed, mustAccount(t, st, "alice", p.ID))
	})

	t.Run("UnknownOrForeign", func(t *testing.T) {
		st := s.store(t)
		a := newAccount("alice", "github")
		createAccounts(t, st, a)
		for _, who := range []struct{ user, id string }{{"bob", a.ID}, {"alice", "ca_unknown"}} {
			u := expired(a)
			u.UserID, u.ID = who.user, who.id
			wantErr(t, "SetAccountStatus("+who.user+", "+who.id+")", st.SetAccountStatus(t.Context(), u, accounts.StatusActive), accounts.ErrNotFound)
		}
		wantSame(t, "alice's account", a, mustAccount(t, st, "alice", a.ID))
	})
}

// testStatusRace pins that status changes decided on one read never both
// land: of racers that each move the account on from the status they read,
// exactly one writes.
func testStatusRace(t *testing.T, s suite) {
	st := s.store(t)
	a := newAccount("alice", "github")
	createAccounts(t, st, a)
	read := mustAccount(t, st, "alice", a.ID)
	const racers = 8
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		next := *read
		next.Status, next.StatusReason = accounts.StatusInactive, "disabled by racer"
		if i%2 == 1 {
			next.Status, next.StatusReason = accounts.StatusExpired, "expired by racer"
		}
		wg.Go(func() { errs[i] = st.SetAccountStatus(t.Context(), &next, accounts.StatusActive) })
	}
	wg.Wait()
	winner := oneWinner(t, errs, accounts.ErrAccountChanged, "changed the status read")
	want := accounts.StatusInactive
	if winner%2 == 1 {
		want = accounts.StatusExpired
	}
	if got := mustAccount(t, st, "alice", a.ID).Status; got != want {
		t.Errorf("status after the race = %s, want the winner's %s", got, want)
	}
}
