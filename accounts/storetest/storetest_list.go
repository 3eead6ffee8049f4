package storetest

import (
	"testing"

	"switchboard/accounts"
)

// testAccountByID pins the operator's lookup: any user's account by id,
// ErrNotFound for an unknown one.
func testAccountByID(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	alices, bobs := newAccount("alice", "github"), newAccount("bob", "gmail")
	createAccounts(t, st, alices, bobs)
	for _, want := range []*accounts.Account{alices, bobs} {
		got, err := st.AccountByID(ctx, want.ID)
		if err != nil {
			t.Fatalf("AccountByID(%s): %v", want.ID, err)
		}
		wantSame(t, "AccountByID", want, got)
	}
	_, err := st.AccountByID(ctx, "ca_unknown")
	wantErr(t, "AccountByID(unknown)", err, accounts.ErrNotFound)
}

// testListAccounts pins ListAccounts: every filter, newest first, and a
// cursor that pages through without repeats or gaps.
func testListAccounts(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	aGH, aGM, bGH, cGH := newAccount("alice", "github"), newAccount("alice", "gmail"), newAccount("bob", "github"), newAccount("carol", "github")
	aFailed := newAccount("alice", "github")
	aFailed.Status, aFailed.StatusReason = accounts.StatusFailed, "the connect link expired"
	createAccounts(t, st, aGH, aGM, bGH, cGH, aFailed)

	ids := func(list []*accounts.Account) []string {
		out := []string{}
		for _, a := range list {
			out = append(out, a.ID)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		q    accounts.AccountQuery
		want []*accounts.Account
	}{
		{"Everything", accounts.AccountQuery{Limit: 10}, []*accounts.Account{aFailed, cGH, bGH, aGM, aGH}},
		{"OneUser", accounts.AccountQuery{UserIDs: []string{"alice"}, Limit: 10}, []*accounts.Account{aFailed, aGM, aGH}},
		{"TwoUsers", accounts.AccountQuery{UserIDs: []string{"bob", "carol"}, Limit: 10}, []*accounts.Account{cGH, bGH}},
		{"UnknownUser", accounts.AccountQuery{UserIDs: []string{"dave"}, Limit: 10}, nil},
		{"Toolkit", accounts.AccountQuery{Toolkits: []string{"gmail"}, Limit: 10}, []*accounts.Account{aGM}},
		{"UserAndToolkit", accounts.AccountQuery{UserIDs: []string{"alice"}, Toolkits: []string{"github"}, Limit: 10}, []*accounts.Account{aFailed, aGH}},
		{"Status", accounts.AccountQuery{Statuses: []accounts.Status{accounts.StatusFailed}, Limit: 10}, []*accounts.Account{aFailed}},
		{"TwoStatuses", accounts.AccountQuery{UserIDs: []string{"alice"}, Statuses: []accounts.Status{accounts.StatusActive, accounts.StatusFailed}, Limit: 10}, []*accounts.Account{aFailed, aGM, aGH}},
		{"Limit", accounts.AccountQuery{Limit: 2}, []*accounts.Account{aFailed, cGH}},
		{"Before", accounts.AccountQuery{Before: bGH.Seq, Limit: 10}, []*accounts.Account{aGM, aGH}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := st.ListAccounts(ctx, tt.q)
			if err != nil {
				t.Fatalf("ListAccounts: %v", err)
			}
			wantSame(t, "ids", ids(tt.want), ids(got))
			if len(got) > 0 {
				wantSame(t, "first account", tt.want[0], got[0])
			}
		})
	}

	t.Run("PagesCoverEverythingOnce", func(t *testing.T) {
		var seen []string
		q := accounts.AccountQuery{Limit: 2}
		for page := 0; page < 10; page++ {
			got, err := st.ListAccounts(ctx, q)
			if err != nil {
				t.Fatalf("ListAccounts: %v", err)
			}
			if len(got) == 0 {
				break
			}
			seen = append(seen, ids(got)...)
			q.Before = got[len(got)-1].Seq
		}
		wantSame(t, "paged ids", ids([]*accounts.Account{aFailed, cGH, bGH, aGM, aGH}), seen)
	})
}
