package storetest

import (
	"testing"
	"time"

	"switchboard/accounts"
)

// testCrossUserIsolation pins rule 8 at the store: another user's account id
// answers exactly like an unknown one, and nothing done with it changes the
// owner's data.
func testCrossUserIsolation(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	a := newAccount("alice", "github")
	a.Alias = "work"
	createAccounts(t, st, a)
	sealed := []byte("alice's sealed credential")
	if err := st.SetCredential(ctx, "alice", a.ID, sealed); err != nil {
		t.Fatalf("SetCredential: %v", err)
	}
	link := newLink(a)
	if err := st.CreateLink(ctx, link); err != nil {
		t.Fatalf("CreateLink: %v", err)
	}

	for _, tt := range []struct{ name, user, id string }{
		{"ForeignID", "bob", a.ID},
		{"UnknownID", "alice", "ca_unknown"},
		{"ForeignAndUnknown", "bob", "ca_unknown"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := st.Account(ctx, tt.user, tt.id)
			wantErr(t, "Account", err, accounts.ErrNotFound)
			_, err = st.Credential(ctx, tt.user, tt.id)
			wantErr(t, "Credential", err, accounts.ErrNotFound)
			_, err = st.LatestLink(ctx, tt.user, tt.id)
			wantErr(t, "LatestLink", err, accounts.ErrNotFound)

			u := *a
			u.UserID, u.ID = tt.user, tt.id
			u.Label, u.Status, u.StatusReason = "hijacked", accounts.StatusInactive, "taken over"
			wantErr(t, "UpdateAccount", st.UpdateAccount(ctx, &u), accounts.ErrNotFound)
			wantErr(t, "SetCredential", st.SetCredential(ctx, tt.user, tt.id, []byte("evil")), accounts.ErrNotFound)
			wantErr(t, "DeleteAccount", st.DeleteAccount(ctx, tt.user, tt.id), accounts.ErrNotFound)
			wantErr(t, "SetAccountPolicy", st.SetAccountPolicy(ctx, tt.user, tt.id, accounts.Policy{Access: accounts.AccessReadOnly}), accounts.ErrNotFound)
			wantErr(t, "SetAccountAlias", st.SetAccountAlias(ctx, tt.user, tt.id, "hijacked"), accounts.ErrNotFound)
			wantErr(t, "SetAccountStatus", st.SetAccountStatus(ctx, &u, accounts.StatusActive), accounts.ErrNotFound)
			// TouchAccount's error is not part of the contract; that it
			// touches nothing is.
			u.LastUsedAt = t0.Add(time.Hour)
			_ = st.TouchAccount(ctx, &u)
		})
	}

	list, err := st.Accounts(ctx, "bob", "")
	if err != nil {
		t.Fatalf("Accounts(bob): %v", err)
	}
	if len(list) != 0 {
		t.Errorf("Accounts(bob) = %d accounts, want none", len(list))
	}
	wantSame(t, "alice's account after the attempts", a, mustAccount(t, st, "alice", a.ID))
	wantCredential(t, st, "alice", a.ID, sealed)
	got, err := st.LatestLink(ctx, "alice", a.ID)
	if err != nil {
		t.Fatalf("LatestLink(alice): %v", err)
	}
	wantSame(t, "alice's link after the attempts", link, got)
}
