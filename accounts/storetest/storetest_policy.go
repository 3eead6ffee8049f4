package storetest

import (
	"testing"
	"time"

	"switchboard/accounts"
)

// readOnlyPolicy is a policy with every field set.
var readOnlyPolicy = accounts.Policy{
	Access:     accounts.AccessReadOnly,
	AllowTools: []string{"GITHUB_LIST_*", "GITHUB_GET_ISSUE"},
	DenyTools:  []string{"GITHUB_LIST_NOTIFICATIONS"},
	Confirm:    accounts.ConfirmWrites,
}

// testPolicyRoundTrip pins that a policy is stored with its account: given
// at creation, replaced by SetAccountPolicy alone, and never written by
// UpdateAccount, so that a stale copy of the account cannot undo it.
func testPolicyRoundTrip(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	a := newAccount("alice", "github")
	a.Policy = accounts.Policy{Confirm: accounts.ConfirmDestructive}
	createAccounts(t, st, a)
	wantSame(t, "created account", a, mustAccount(t, st, "alice", a.ID))

	stale := *mustAccount(t, st, "alice", a.ID)
	if err := st.SetAccountPolicy(ctx, "alice", a.ID, readOnlyPolicy); err != nil {
		t.Fatalf("SetAccountPolicy: %v", err)
	}
	want := *a
	want.Policy = readOnlyPolicy
	wantSame(t, "account with its new policy", &want, mustAccount(t, st, "alice", a.ID))

	stale.Label = "renamed@example.com"
	stale.Policy = accounts.Policy{}
	if err := st.UpdateAccount(ctx, &stale); err != nil {
		t.Fatalf("UpdateAccount: %v", err)
	}
	want.Label = stale.Label
	wantSame(t, "account after an update from a stale copy", &want, mustAccount(t, st, "alice", a.ID))

	stale.LastUsedAt = t0.Add(time.Hour)
	if err := st.TouchAccount(ctx, &stale); err != nil {
		t.Fatalf("TouchAccount: %v", err)
	}
	want.LastUsedAt = stale.LastUsedAt
	wantSame(t, "account after a touch from a stale copy", &want, mustAccount(t, st, "alice", a.ID))

	if err := st.SetAccountPolicy(ctx, "alice", a.ID, accounts.Policy{}); err != nil {
		t.Fatalf("SetAccountPolicy(zero): %v", err)
	}
	want.Policy = accounts.Policy{}
	wantSame(t, "account with its policy cleared", &want, mustAccount(t, st, "alice", a.ID))
	wantErr(t, "SetAccountPolicy(unknown)", st.SetAccountPolicy(ctx, "alice", "ca_unknown", readOnlyPolicy), accounts.ErrNotFound)

	list, err := st.ListAccounts(ctx, accounts.AccountQuery{UserIDs: []string{"alice"}, Limit: 5})
	if err != nil || len(list) != 1 {
		t.Fatalf("ListAccounts = %d, %v", len(list), err)
	}
	wantSame(t, "listed account", &want, list[0])
}
