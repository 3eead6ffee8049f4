package storetest

import (
	"fmt"
	"testing"
	"time"

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
				sess.ToolMode = accounts.ToolModeSearch
				sess.TokenHash = fmt.Sprintf("%064x", serial.Add(1))
				sess.ExpiresAt = t0.Add(36*time.Hour + 750*time.Microsecond)
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

// testUpdateSession pins UpdateSession: settings are replaced, selection
// changes applied one toolkit at a time, other selections kept, and a
// change naming a foreign account writes nothing at all.
func testUpdateSession(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	gh1, gh2, gm, bobs := newAccount("alice", "github"), newAccount("alice", "github"), newAccount("alice", "gmail"), newAccount("bob", "github")
	createAccounts(t, st, gh1, gh2, gm, bobs)
	sess := newSession("alice")
	sess.Selected = map[string]string{"github": gh1.ID, "gmail": gm.ID}
	sess.TokenHash = fmt.Sprintf("%064x", serial.Add(1))
	if err := st.CreateSession(ctx, sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}

	upd := mustSession(t, st, sess.ID)
	upd.Toolkits = []string{"github"}
	upd.AuthConfigs = map[string]string{"github": "ac_enterprise"}
	upd.RequireExplicitSelection = true
	upd.ToolMode = accounts.ToolModeAll
	upd.ExpiresAt = t0.Add(2 * time.Hour)
	upd.UpdatedAt = t0.Add(time.Minute)
	if err := st.UpdateSession(ctx, upd, map[string]string{"github": gh2.ID}); err != nil {
		t.Fatalf("UpdateSession: %v", err)
	}
	want := *upd
	want.Selected = map[string]string{"github": gh2.ID, "gmail": gm.ID}
	wantSame(t, "session after UpdateSession", &want, mustSession(t, st, sess.ID))

	t.Run("ClearsASelection", func(t *testing.T) {
		cur := mustSession(t, st, sess.ID)
		if err := st.UpdateSession(ctx, cur, map[string]string{"gmail": ""}); err != nil {
			t.Fatalf("UpdateSession: %v", err)
		}
		wantSame(t, "Selected", map[string]string{"github": gh2.ID}, mustSession(t, st, sess.ID).Selected)
	})
	t.Run("ForeignAccountWritesNothing", func(t *testing.T) {
		before := mustSession(t, st, sess.ID)
		changed := *before
		changed.Toolkits = nil
		changed.RequireExplicitSelection = false
		for _, id := range []string{bobs.ID, gm.ID, "ca_unknown"} {
			err := st.UpdateSession(ctx, &changed, map[string]string{"github": id})
			wantErr(t, "UpdateSession selecting "+id, err, accounts.ErrNotFound)
		}
		wantSame(t, "session after refused updates", before, mustSession(t, st, sess.ID))
	})
	t.Run("UnknownSession", func(t *testing.T) {
		ghost := newSession("alice")
		wantErr(t, "UpdateSession(unknown)", st.UpdateSession(ctx, ghost, nil), accounts.ErrNotFound)
	})
}

// testCountSessions pins CountSessions: one user's sessions, not another's.
func testCountSessions(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	for _, user := range []string{"alice", "alice", "alice", "bob"} {
		if err := st.CreateSession(ctx, newSession(user)); err != nil {
			t.Fatalf("CreateSession: %v", err)
		}
	}
	for user, want := range map[string]int{"alice": 3, "bob": 1, "carol": 0} {
		if n, err := st.CountSessions(ctx, user); err != nil || n != want {
			t.Errorf("CountSessions(%s) = %d, %v; want %d", user, n, err, want)
		}
	}
}
