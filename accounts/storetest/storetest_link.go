package storetest

import (
	"testing"
	"time"

	"switchboard/accounts"
)

func testLinkRoundTrip(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	a := newAccount("alice", "github")
	createAccounts(t, st, a)

	fresh := newLink(a)
	fresh.SessionID = "ses_asking"
	fresh.Alias = "work"
	fresh.CallbackURL = "https://app.example.com/connected?from=switchboard"
	// Every field set, including those a completion fills in.
	used := newLink(a)
	used.UsedAt = t0.Add(90*time.Second + 250*time.Microsecond)
	used.ResultAccountID = "ca_result"
	for _, l := range []*accounts.Link{fresh, used} {
		if err := st.CreateLink(ctx, l); err != nil {
			t.Fatalf("CreateLink: %v", err)
		}
		wantSame(t, "link", l, mustLink(t, st, l.TokenHash))
	}
	_, err := st.Link(ctx, "0000unknown")
	wantErr(t, "Link(unknown hash)", err, accounts.ErrNotFound)
}

// testLinkForAccount pins the operator's lookup of an account's latest
// link, whoever's it is, including after its account was discarded.
func testLinkForAccount(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	a, b := newAccount("alice", "github"), newAccount("bob", "github")
	createAccounts(t, st, a, b)
	older, newer, ofB := newLink(a), newLink(a), newLink(b)
	newer.CreatedAt = t0.Add(time.Second)
	for _, l := range []*accounts.Link{older, newer, ofB} {
		if err := st.CreateLink(ctx, l); err != nil {
			t.Fatalf("CreateLink: %v", err)
		}
	}
	for _, tt := range []struct {
		account string
		want    *accounts.Link
	}{{a.ID, newer}, {b.ID, ofB}} {
		got, err := st.LinkForAccount(ctx, tt.account)
		if err != nil {
			t.Fatalf("LinkForAccount(%s): %v", tt.account, err)
		}
		wantSame(t, "LinkForAccount("+tt.account+")", tt.want, got)
	}
	if err := st.DeleteAccount(ctx, "bob", b.ID); err != nil {
		t.Fatalf("DeleteAccount: %v", err)
	}
	_, err := st.LinkForAccount(ctx, b.ID)
	wantErr(t, "LinkForAccount(deleted account)", err, accounts.ErrNotFound)
	_, err = st.LinkForAccount(ctx, "ca_unknown")
	wantErr(t, "LinkForAccount(unknown)", err, accounts.ErrNotFound)
}

func testLatestLink(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	a, b := newAccount("alice", "github"), newAccount("alice", "github")
	createAccounts(t, st, a, b)

	older, newer, ofB := newLink(a), newLink(a), newLink(b)
	older.CreatedAt = t0
	newer.CreatedAt = t0.Add(time.Minute)
	ofB.CreatedAt = t0.Add(time.Hour)
	// Inserted out of time order: the latest is the latest created, not the
	// last inserted.
	for _, l := range []*accounts.Link{newer, older, ofB} {
		if err := st.CreateLink(ctx, l); err != nil {
			t.Fatalf("CreateLink: %v", err)
		}
	}
	got, err := st.LatestLink(ctx, "alice", a.ID)
	if err != nil {
		t.Fatalf("LatestLink: %v", err)
	}
	wantSame(t, "LatestLink", newer, got)

	newest := newLink(a)
	newest.CreatedAt = t0.Add(2 * time.Minute)
	if err := st.CreateLink(ctx, newest); err != nil {
		t.Fatalf("CreateLink: %v", err)
	}
	if got, err := st.LatestLink(ctx, "alice", a.ID); err != nil || got.TokenHash != newest.TokenHash {
		t.Errorf("LatestLink after a re-authorization = %v, %v; want link %s", got, err, newest.TokenHash)
	}

	_, err = st.LatestLink(ctx, "alice", "ca_without_links")
	wantErr(t, "LatestLink(no links)", err, accounts.ErrNotFound)
}
