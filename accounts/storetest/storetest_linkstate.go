package storetest

import (
	"bytes"
	"sync"
	"testing"

	"switchboard/accounts"
)

func testLinkStateSingleUse(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	a := newAccount("alice", "github")
	createAccounts(t, st, a)
	l := newLink(a)
	if err := st.CreateLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	_, _, err := st.ConsumeLinkState(ctx, "state-never-set")
	wantErr(t, "ConsumeLinkState(unknown)", err, accounts.ErrNotFound)
	wantErr(t, "SetLinkState(unknown link)", st.SetLinkState(ctx, "0000unknown", "s", []byte("v")), accounts.ErrNotFound)

	if err := st.SetLinkState(ctx, l.TokenHash, "state-1", []byte("verifier-1")); err != nil {
		t.Fatal(err)
	}
	// A second sign-in attempt replaces the first: only its state works.
	if err := st.SetLinkState(ctx, l.TokenHash, "state-2", []byte("verifier-2")); err != nil {
		t.Fatal(err)
	}
	_, _, err = st.ConsumeLinkState(ctx, "state-1")
	wantErr(t, "ConsumeLinkState(replaced state)", err, accounts.ErrNotFound)

	// Twenty callbacks race with one state: exactly one gets the link.
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		wins int
	)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got, v, err := st.ConsumeLinkState(ctx, "state-2")
			if err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
				if got.TokenHash != l.TokenHash || !bytes.Equal(v, []byte("verifier-2")) {
					t.Errorf("consumed %+v %q", got, v)
				}
			} else if err != accounts.ErrNotFound {
				t.Errorf("ConsumeLinkState: %v", err)
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d callbacks consumed one state, want 1", wins)
	}
}

func testLinkStateRefusedOnUsedLink(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	a := newAccount("alice", "github")
	createAccounts(t, st, a)
	l := newLink(a)
	l.UsedAt = t0
	if err := st.CreateLink(ctx, l); err != nil {
		t.Fatal(err)
	}
	wantErr(t, "SetLinkState(used link)", st.SetLinkState(ctx, l.TokenHash, "s", []byte("v")), accounts.ErrLinkUsed)
}

func testDeleteSession(t *testing.T, s suite) {
	st := s.store(t)
	ctx := t.Context()
	a := newAccount("alice", "github")
	createAccounts(t, st, a)
	sess := &accounts.Session{ID: "ses_ending", UserID: "alice", Selected: map[string]string{"github": a.ID}}
	if err := st.CreateSession(ctx, sess); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteSession(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	_, err := st.Session(ctx, sess.ID)
	wantErr(t, "Session(deleted)", err, accounts.ErrNotFound)
	wantErr(t, "DeleteSession(again)", st.DeleteSession(ctx, sess.ID), accounts.ErrNotFound)
	// A new session may reuse the id without inheriting the old selection.
	if err := st.CreateSession(ctx, &accounts.Session{ID: sess.ID, UserID: "alice"}); err != nil {
		t.Fatal(err)
	}
	if got, err := st.Session(ctx, sess.ID); err != nil || len(got.Selected) != 0 {
		t.Errorf("recreated session: %+v %v", got, err)
	}
}
