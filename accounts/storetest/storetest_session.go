package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp/cmpopts"

	"switchboard/accounts"
)

func testSessionRoundTrip(t *testing.T, s suite) {
	for _, tt := range []struct {
		name     string
		toolkits []string
		full     bool
	}{
		{"NilToolkitsMeansAll", nil, false},
		{"EmptyToolkitsMeansNone", []string{}, false},
		{"EveryField", []string{"github", "gmail"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := s.store(t)
			sess := newSession("alice")
			sess.Toolkits = tt.toolkits
			if tt.full {
				a := newAccount("alice", "github")
				createAccounts(t, st, a)
				sess.KeyID = "key_fingerprint"
				sess.Selected = map[string]string{"github": a.ID}
				sess.AuthConfigs = map[string]string{"github": "ac_enterprise", "gmail": "ac_google"}
				sess.RequireExplicitSelection = true
			}
			if err := st.CreateSession(t.Context(), sess); err != nil {
				t.Fatalf("CreateSession: %v", err)
			}
			got := mustSession(t, st, sess.ID)
			// EquateEmpty below would hide the one difference that matters
			// for Toolkits, so nil-ness is checked first.
			if (got.Toolkits == nil) != (tt.toolkits == nil) {
				t.Errorf("Toolkits = %#v, want %#v", got.Toolkits, tt.toolkits)
			}
			wantSame(t, "session", sess, got, cmpopts.EquateEmpty())
		})
	}

	t.Run("UnknownSession", func(t *testing.T) {
		_, err := s.store(t).Session(t.Context(), "ses_unknown")
		wantErr(t, "Session", err, accounts.ErrNotFound)
	})
}

func testSelectAccount(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	gh1, gh2, gm := newAccount("alice", "github"), newAccount("alice", "github"), newAccount("alice", "gmail")
	createAccounts(t, st, gh1, gh2, gm)
	sess := newSession("alice")
	if err := st.CreateSession(ctx, sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	for _, step := range []struct {
		toolkit, account string
		want             map[string]string
	}{
		{"github", gh1.ID, map[string]string{"github": gh1.ID}},
		{"gmail", gm.ID, map[string]string{"github": gh1.ID, "gmail": gm.ID}},
		{"github", gh2.ID, map[string]string{"github": gh2.ID, "gmail": gm.ID}},
		{"github", "", map[string]string{"gmail": gm.ID}},
		{"github", "", map[string]string{"gmail": gm.ID}}, // clearing twice is fine
	} {
		if err := st.SelectAccount(ctx, sess.ID, step.toolkit, step.account); err != nil {
			t.Fatalf("SelectAccount(%s, %q): %v", step.toolkit, step.account, err)
		}
		wantSame(t, "Selected after SelectAccount("+step.toolkit+", "+step.account+")",
			step.want, mustSession(t, st, sess.ID).Selected)
	}
	wantErr(t, "SelectAccount(unknown session)",
		st.SelectAccount(ctx, "ses_unknown", "github", gh1.ID), accounts.ErrNotFound)
}

// testSelectForeign pins rule 8 for sessions: whatever the caller checked,
// the store never lets a session point at an account that is not its user's,
// or at an account of another toolkit.
func testSelectForeign(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	mine, mail, bobs := newAccount("alice", "github"), newAccount("alice", "gmail"), newAccount("bob", "github")
	createAccounts(t, st, mine, mail, bobs)
	sess := newSession("alice")
	if err := st.CreateSession(ctx, sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	if err := st.SelectAccount(ctx, sess.ID, "github", mine.ID); err != nil {
		t.Fatalf("SelectAccount: %v", err)
	}
	for _, id := range []string{bobs.ID, mail.ID, "ca_unknown"} {
		wantErr(t, "SelectAccount("+id+")", st.SelectAccount(ctx, sess.ID, "github", id), accounts.ErrNotFound)
	}
	wantSame(t, "Selected", map[string]string{"github": mine.ID}, mustSession(t, st, sess.ID).Selected)

	foreign := newSession("alice")
	foreign.Selected = map[string]string{"github": bobs.ID}
	wantErr(t, "CreateSession selecting bob's account", st.CreateSession(ctx, foreign), accounts.ErrNotFound)
	_, err := st.Session(ctx, foreign.ID)
	wantErr(t, "Session after the refused CreateSession", err, accounts.ErrNotFound)
}
