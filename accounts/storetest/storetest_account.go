package storetest

import (
	"fmt"
	"testing"
	"time"

	"switchboard/accounts"
)

func testAccountRoundTrip(t *testing.T, s suite) {
	st := s.store(t)
	a := newAccount("alice", "github")
	a.Alias = "work"
	a.Status = accounts.StatusInitiated
	a.StatusReason = "waiting for the user to authorize"
	a.ConnectedAt = time.Time{} // never connected: zero must come back zero
	createAccounts(t, st, a)
	if a.Seq <= 0 {
		t.Errorf("CreateAccount set Seq = %d, want > 0", a.Seq)
	}
	wantSame(t, "created account", a, mustAccount(t, st, "alice", a.ID))

	u := *a
	u.AuthConfigID = "ac_github_enterprise"
	u.Alias = "Work2"
	u.Label = "octocat"
	u.UpstreamID = "583231"
	u.Status = accounts.StatusExpired
	u.StatusReason = "the refresh token was revoked"
	u.ConnectedAt = t0.Add(time.Hour + 7*time.Microsecond)
	u.LastUsedAt = t0.Add(2*time.Hour + 3*time.Microsecond)
	// CreatedAt and Seq are not mutable: the update must not write them.
	u.CreatedAt = t0.Add(-24 * time.Hour)
	u.Seq = a.Seq + 100
	if err := st.UpdateAccount(t.Context(), &u); err != nil {
		t.Fatalf("UpdateAccount: %v", err)
	}
	want := u
	want.CreatedAt, want.Seq = a.CreatedAt, a.Seq
	wantSame(t, "updated account", &want, mustAccount(t, st, "alice", a.ID))
}

func testTouchChangesOnlyLastUsed(t *testing.T, s suite) {
	st := s.store(t)
	a := newAccount("alice", "gmail")
	createAccounts(t, st, a)

	// A caller holding a stale copy must not undo what others wrote since.
	stale := *a
	stale.Status = accounts.StatusInactive
	stale.Label = "stale@example.com"
	stale.LastUsedAt = t0.Add(3*time.Hour + 42*time.Microsecond)
	if err := st.TouchAccount(t.Context(), &stale); err != nil {
		t.Fatalf("TouchAccount: %v", err)
	}
	want := *a
	want.LastUsedAt = stale.LastUsedAt
	wantSame(t, "touched account", &want, mustAccount(t, st, "alice", a.ID))
}

func testSeqStrictlyIncreasing(t *testing.T, s suite) {
	st := s.store(t)
	var prev int64
	for i, user := range []string{"alice", "bob", "alice", "carol", "alice", "bob"} {
		a := newAccount(user, []string{"github", "gmail"}[i%2])
		createAccounts(t, st, a)
		if a.Seq <= prev {
			t.Errorf("account %d: Seq = %d, want > %d", i, a.Seq, prev)
		}
		if got := mustAccount(t, st, user, a.ID).Seq; got != a.Seq {
			t.Errorf("account %d: stored Seq = %d, CreateAccount said %d", i, got, a.Seq)
		}
		prev = a.Seq
	}
}

func testAccountsOrderedBySeq(t *testing.T, s suite) {
	st := s.store(t)
	// Ids and creation times run backwards, so that a store ordering by
	// either instead of insertion fails.
	var all, github []string
	for i := range 6 {
		a := newAccount("alice", []string{"github", "gmail"}[i%2])
		a.ID = fmt.Sprintf("ca_%c", 'z'-i)
		a.CreatedAt = t0.Add(-time.Duration(i) * time.Hour)
		a.ConnectedAt = a.CreatedAt
		createAccounts(t, st, a)
		all = append(all, a.ID)
		if a.Toolkit == "github" {
			github = append(github, a.ID)
		}
	}
	createAccounts(t, st, newAccount("bob", "github"))

	for _, tt := range []struct {
		user, toolkit string
		want          []string
	}{
		{"alice", "", all},
		{"alice", "github", github},
		{"alice", "slack", nil},
		{"carol", "", nil},
	} {
		list, err := st.Accounts(t.Context(), tt.user, tt.toolkit)
		if err != nil {
			t.Fatalf("Accounts(%q, %q): %v", tt.user, tt.toolkit, err)
		}
		var got []string
		for _, a := range list {
			got = append(got, a.ID)
		}
		wantSame(t, fmt.Sprintf("Accounts(%q, %q)", tt.user, tt.toolkit), tt.want, got)
	}
}

func testAliasUnique(t *testing.T, s suite) {
	for _, tt := range []struct {
		name                 string
		user, toolkit, alias string
		want                 error
	}{
		{"SameAliasOtherToolkit", "alice", "gmail", "work", nil},
		{"SameAliasOtherUser", "bob", "github", "work", nil},
		{"OtherAlias", "alice", "github", "home", nil},
		{"CaseInsensitiveCollision", "alice", "github", "WORK", accounts.ErrAliasTaken},
		{"UnicodeCaseCollision", "alice", "github", "élan", accounts.ErrAliasTaken},
		{"EmptyAliasesNeverCollide", "alice", "github", "", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := s.store(t)
			work, elan, none := newAccount("alice", "github"), newAccount("alice", "github"), newAccount("alice", "github")
			work.Alias, elan.Alias = "work", "Élan"
			createAccounts(t, st, work, elan, none)

			a := newAccount(tt.user, tt.toolkit)
			a.Alias = tt.alias
			err := st.CreateAccount(t.Context(), a)
			wantErr(t, "CreateAccount", err, tt.want)
			if tt.want != nil {
				_, err := st.Account(t.Context(), a.UserID, a.ID)
				wantErr(t, "Account after a refused CreateAccount", err, accounts.ErrNotFound)
			}
		})
	}

	t.Run("UpdateToTakenAliasRefused", func(t *testing.T) {
		st := s.store(t)
		work, home := newAccount("alice", "github"), newAccount("alice", "github")
		work.Alias, home.Alias = "work", "home"
		createAccounts(t, st, work, home)
		u := *home
		u.Alias = "Work"
		u.Label = "changed"
		wantErr(t, "UpdateAccount", st.UpdateAccount(t.Context(), &u), accounts.ErrAliasTaken)
		wantSame(t, "refused account", home, mustAccount(t, st, "alice", home.ID))
	})

	t.Run("KeepingOwnAliasAllowed", func(t *testing.T) {
		st := s.store(t)
		work := newAccount("alice", "github")
		work.Alias = "work"
		createAccounts(t, st, work)
		u := *work
		u.Alias = "WORK" // a new spelling of its own alias collides with nothing
		if err := st.UpdateAccount(t.Context(), &u); err != nil {
			t.Fatalf("UpdateAccount: %v", err)
		}
		wantSame(t, "updated account", &u, mustAccount(t, st, "alice", work.ID))
	})

	t.Run("DeletedAccountFreesAlias", func(t *testing.T) {
		st := s.store(t)
		old := newAccount("alice", "github")
		old.Alias = "work"
		createAccounts(t, st, old)
		if err := st.DeleteAccount(t.Context(), "alice", old.ID); err != nil {
			t.Fatalf("DeleteAccount: %v", err)
		}
		a := newAccount("alice", "github")
		a.Alias = "work"
		createAccounts(t, st, a)
	})
}

func testDeleteAccount(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	gone, kept := newAccount("alice", "github"), newAccount("alice", "github")
	createAccounts(t, st, gone, kept)
	sess := newSession("alice")
	if err := st.CreateSession(ctx, sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	var links []*accounts.Link
	for _, a := range []*accounts.Account{gone, kept} {
		if err := st.SetCredential(ctx, "alice", a.ID, []byte("sealed "+a.ID)); err != nil {
			t.Fatalf("SetCredential: %v", err)
		}
		l := newLink(a)
		if err := st.CreateLink(ctx, l); err != nil {
			t.Fatalf("CreateLink: %v", err)
		}
		links = append(links, l)
	}
	if err := st.SelectAccount(ctx, sess.ID, "github", gone.ID); err != nil {
		t.Fatalf("SelectAccount: %v", err)
	}

	if err := st.DeleteAccount(ctx, "alice", gone.ID); err != nil {
		t.Fatalf("DeleteAccount: %v", err)
	}
	_, err := st.Account(ctx, "alice", gone.ID)
	wantErr(t, "Account", err, accounts.ErrNotFound)
	_, err = st.Credential(ctx, "alice", gone.ID)
	wantErr(t, "Credential", err, accounts.ErrNotFound)
	_, err = st.LatestLink(ctx, "alice", gone.ID)
	wantErr(t, "LatestLink", err, accounts.ErrNotFound)
	_, err = st.Link(ctx, links[0].TokenHash)
	wantErr(t, "Link", err, accounts.ErrNotFound)
	if id, ok := mustSession(t, st, sess.ID).Selected["github"]; ok {
		t.Errorf("session still selects %q for github after the account was deleted", id)
	}
	wantErr(t, "DeleteAccount again", st.DeleteAccount(ctx, "alice", gone.ID), accounts.ErrNotFound)

	wantSame(t, "the other account", kept, mustAccount(t, st, "alice", kept.ID))
	wantCredential(t, st, "alice", kept.ID, []byte("sealed "+kept.ID))
	wantSame(t, "the other account's link", links[1], mustLink(t, st, links[1].TokenHash))
}
