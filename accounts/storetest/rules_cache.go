package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/accounts"
	"switchboard/tools"
)

// peer is a second process on the world's store: another Service over
// another handle of the same data, as a CLI run beside a server or a
// replica behind the same load balancer would be.
func (w *world) peer(tb testing.TB, open Opener, dir string) *accounts.Service {
	tb.Helper()
	catalog, err := tools.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	return w.service(tb, catalog, open(tb, dir))
}

// testCacheSeesOtherProcesses pins the promise of the service's cache of
// sessions and accounts: whatever another process changes is seen by the
// very next read here, as if nothing were cached. Each step first reads
// twice here (so that the second read is served from memory), then changes
// the store through the peer, then reads here again.
func testCacheSeesOtherProcesses(t *testing.T, open Opener) {
	dir := t.TempDir()
	w := newWorld(t, open, dir)
	ctx := context.Background()
	setup := w.scope(t, "alice") // connecting in sc would select there (rule 4)
	work := w.connect(t, setup, tokWork, "work")
	home := w.connect(t, setup, tokHome, "home")
	sc := w.scope(t, "alice")
	peer := w.peer(t, open, dir)
	id := sc.Session.ID

	// read is one request's view here: its session, freshly read, and the
	// account rule 5 makes act for github in it.
	read := func() (*accounts.Scope, *accounts.Account, accounts.SelectedBy, error) {
		t.Helper()
		var sess *accounts.Session
		var err error
		for range 2 {
			if sess, err = w.svc.Session(ctx, id, "alice", ""); err != nil {
				return nil, nil, "", err
			}
		}
		fresh := &accounts.Scope{Session: sess}
		a, by, err := w.svc.Active(ctx, fresh, "github")
		return fresh, a, by, err
	}
	wantActive := func(step, id string, by accounts.SelectedBy) {
		t.Helper()
		_, a, gotBy, err := read()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if a.ID != id || gotBy != by {
			t.Errorf("%s: acting account %s (%s), want %s (%s)", step, a.ID, gotBy, id, by)
		}
	}

	wantActive("before any change", home.ID, accounts.SelectedByDefault)

	disabled, err := peer.Disable(ctx, home, true)
	if err != nil {
		t.Fatal(err)
	}
	wantActive("home disabled by the peer", work.ID, accounts.SelectedByDefault)

	if _, err := peer.Disable(ctx, disabled, false); err != nil {
		t.Fatal(err)
	}
	wantActive("home enabled again by the peer", home.ID, accounts.SelectedByDefault)

	peerSession, err := peer.Session(ctx, id, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := peer.Select(ctx, &accounts.Scope{Session: peerSession}, "github", "work"); err != nil {
		t.Fatal(err)
	}
	wantActive("work selected by the peer", work.ID, accounts.SelectedBySession)

	// A credential the peer replaces: the old token stops working upstream
	// (as a rotated one would), and the next call here acts with the new.
	fresh, _, _, err := read()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.call(t, fresh, "GITHUB_GET_AUTHENTICATED_USER", map[string]any{}, accounts.CallOptions{}); err != nil {
		t.Fatalf("a call with work's first token: %v", err)
	}
	auth, err := peer.Authorize(ctx, &accounts.Scope{Session: peerSession}, accounts.AuthorizeRequest{Toolkit: "github", Account: work.ID})
	if err != nil {
		t.Fatal(err)
	}
	_, linkToken, _ := strings.Cut(auth.URL, "/connect/")
	if _, err := peer.CompleteWithSecret(ctx, linkToken, tokWork2, ""); err != nil {
		t.Fatal(err)
	}
	w.gh.RevokeToken(tokWork)
	if fresh, _, _, err = read(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.call(t, fresh, "GITHUB_GET_AUTHENTICATED_USER", map[string]any{}, accounts.CallOptions{}); err != nil {
		t.Errorf("a call after the peer replaced work's token: %v", err)
	}

	renamed, err := peer.SetAlias(ctx, work, "office")
	if err != nil {
		t.Fatal(err)
	}
	list, err := w.svc.Accounts(ctx, "alice", "github")
	if err != nil {
		t.Fatal(err)
	}
	aliases := []string{}
	for _, a := range list {
		aliases = append(aliases, a.Alias)
	}
	if got := strings.Join(aliases, ","); !strings.Contains(got, "office") || strings.Contains(got, "work") {
		t.Errorf("aliases after the peer renamed work: %s, want office and no work", got)
	}

	if _, err := peer.SetPolicy(ctx, renamed, accounts.Policy{DenyTools: []string{"GITHUB_CREATE_*"}}); err != nil {
		t.Fatal(err)
	}
	if fresh, _, _, err = read(); err != nil {
		t.Fatal(err)
	}
	_, err = w.call(t, fresh, "GITHUB_CREATE_ISSUE", issueArgs("after the peer's policy"), accounts.CallOptions{})
	wantCode(t, err, accounts.CodeAccountPolicyDenied)

	// Changes made here, the cached reads see too.
	if _, err := w.svc.Select(ctx, fresh, "github", "home"); err != nil {
		t.Fatal(err)
	}
	wantActive("home selected here", home.ID, accounts.SelectedBySession)

	if err := peer.EndSession(ctx, peerSession); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := read(); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("the session the peer ended: got %v, want not found", err)
	}
}

// testGenerations pins what a store's generation (accounts.Generations)
// moves with: every change the service reads from memory, for that user
// only; and not a session's keep-alive.
func testGenerations(t *testing.T, s suite) {
	st := s.store(t)
	gens, ok := st.(accounts.Generations)
	if !ok {
		t.Skipf("%T keeps no generations; the service reads it uncached", st)
	}
	ctx := t.Context()
	gen := func(user string) int64 {
		t.Helper()
		n, err := gens.Generation(ctx, user)
		if err != nil {
			t.Fatalf("Generation(%s): %v", user, err)
		}
		return n
	}
	if n := gen("nobody"); n != 0 {
		t.Errorf("generation of a user with no change: %d, want 0", n)
	}
	a, b := newAccount("alice", "github"), newAccount("alice", "github")
	other := newAccount("bob", "github")
	sess := newSession("alice")
	steps := []struct {
		what     string
		moves    bool // alice's generation
		movesBob bool
		change   func() error
	}{
		{what: "create an account", moves: true, change: func() error { return st.CreateAccount(ctx, a) }},
		{what: "create a second account", moves: true, change: func() error { return st.CreateAccount(ctx, b) }},
		{what: "create another user's account", movesBob: true, change: func() error { return st.CreateAccount(ctx, other) }},
		{what: "update an account", moves: true, change: func() error { a.Status = accounts.StatusInactive; return st.UpdateAccount(ctx, a) }},
		{what: "rename an account", moves: true, change: func() error { return st.SetAccountAlias(ctx, "alice", a.ID, "renamed") }},
		{what: "change an account's status", moves: true, change: func() error {
			next := *a
			next.Status = accounts.StatusActive
			return st.SetAccountStatus(ctx, &next, accounts.StatusInactive)
		}},
		{what: "set a policy", moves: true, change: func() error {
			return st.SetAccountPolicy(ctx, "alice", a.ID, accounts.Policy{Access: accounts.AccessReadOnly})
		}},
		{what: "touch an account", moves: true, change: func() error { a.LastUsedAt = t0.Add(time.Hour); return st.TouchAccount(ctx, a) }},
		{what: "replace a credential", moves: true, change: func() error { return st.SetCredential(ctx, "alice", a.ID, []byte("sealed")) }},
		{what: "create a session", moves: false, change: func() error { return st.CreateSession(ctx, sess) }},
		{what: "select an account", moves: true, change: func() error { return st.SelectAccount(ctx, sess.ID, "github", b.ID) }},
		{what: "select another account", moves: true, change: func() error { return st.SelectAccount(ctx, sess.ID, "github", a.ID) }},
		{what: "clear the selection", moves: true, change: func() error { return st.SelectAccount(ctx, sess.ID, "github", "") }},
		{what: "touch the session", moves: false, change: func() error { return st.TouchSession(ctx, sess.ID, t0.Add(2*time.Hour)) }},
		{what: "update the session", moves: true, change: func() error {
			sess.ToolMode = accounts.ToolModeSearch
			return st.UpdateSession(ctx, sess, map[string]string{"github": b.ID})
		}},
		{what: "delete an account", moves: true, change: func() error { return st.DeleteAccount(ctx, "alice", a.ID) }},
		{what: "delete the session", moves: true, change: func() error { return st.DeleteSession(ctx, sess.ID) }},
	}
	for _, step := range steps {
		before, beforeBob := gen("alice"), gen("bob")
		if err := step.change(); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
		if moved := gen("alice") != before; moved != step.moves {
			t.Errorf("%s: alice's generation moved %v, want %v", step.what, moved, step.moves)
		}
		if moved := gen("bob") != beforeBob; moved != step.movesBob {
			t.Errorf("%s: bob's generation moved %v, want %v", step.what, moved, step.movesBob)
		}
	}
}

// testStamp pins a store's stamp (accounts.Stamper): it stays put while
// only reads happen, and moves with every commit, by this handle or by
// another process's.
func testStamp(t *testing.T, s suite) {
	dir := t.TempDir()
	first, _ := s.openAt(t, dir)
	second, _ := s.openAt(t, dir)
	stamps, ok := first.(accounts.Stamper)
	if !ok {
		t.Skipf("%T has no stamps; the service's cache asks for the generation on every read", first)
	}
	ctx := t.Context()
	stamp := func(what string) uint64 {
		t.Helper()
		st, ok := stamps.Stamp()
		if !ok || st == 0 {
			t.Fatalf("%s: no stamp (%d, %v)", what, st, ok)
		}
		return st
	}
	before := stamp("at the start")
	a := newAccount("alice", "github")
	if _, err := second.Accounts(ctx, "alice", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := first.Session(ctx, "ses_none"); !errors.Is(err, accounts.ErrNotFound) {
		t.Fatal(err)
	}
	if got := stamp("after reads"); got != before {
		t.Errorf("the stamp moved with reads only: %d → %d", before, got)
	}
	seen := map[uint64]string{before: "at the start"}
	for _, step := range []struct {
		what   string
		change func() error
	}{
		{"an account created by the other handle", func() error { return second.CreateAccount(ctx, a) }},
		{"a policy set by this handle", func() error {
			return first.SetAccountPolicy(ctx, "alice", a.ID, accounts.Policy{Access: accounts.AccessReadOnly})
		}},
		{"a session's keep-alive by the other handle", func() error {
			sess := newSession("alice")
			if err := second.CreateSession(ctx, sess); err != nil {
				return err
			}
			stamp("between two commits")
			return second.TouchSession(ctx, sess.ID, t0.Add(time.Hour))
		}},
	} {
		if err := step.change(); err != nil {
			t.Fatalf("%s: %v", step.what, err)
		}
		got := stamp(step.what)
		if prev, dup := seen[got]; dup {
			t.Errorf("after %s the stamp is the one of %s", step.what, prev)
		}
		seen[got] = step.what
	}
}

// testCacheUnderConcurrency reads through the cache from several goroutines
// while another process keeps changing what they read (under -race in CI):
// every read answers one of the states the store went through, and once
// the changes stop, every read answers the last one.
func testCacheUnderConcurrency(t *testing.T, open Opener) {
	dir := t.TempDir()
	w := newWorld(t, open, dir)
	ctx := context.Background()
	setup := w.scope(t, "alice")
	work := w.connect(t, setup, tokWork, "work")
	home := w.connect(t, setup, tokHome, "home")
	sc := w.scope(t, "alice")
	peer := w.peer(t, open, dir)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				sess, err := w.svc.Session(ctx, sc.Session.ID, "alice", "")
				if err != nil {
					errs <- err
					return
				}
				a, _, err := w.svc.Active(ctx, &accounts.Scope{Session: sess}, "github")
				if err != nil {
					errs <- err
					return
				}
				if a.ID != work.ID && a.ID != home.ID {
					errs <- errors.New("acting account " + a.ID + " is neither work nor home")
					return
				}
			}
		})
	}
	// Disable returns the account as it left it; the readers above keep
	// their own home.
	flipped := home
	for i := range 21 {
		var err error
		if flipped, err = peer.Disable(ctx, flipped, i%2 == 0); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for range 3 {
		sess, err := w.svc.Session(ctx, sc.Session.ID, "alice", "")
		if err != nil {
			t.Fatal(err)
		}
		if a, _, err := w.svc.Active(ctx, &accounts.Scope{Session: sess}, "github"); err != nil || a.ID != work.ID {
			t.Fatalf("after the last change (home disabled): %v, %v; want work", a, err)
		}
	}
}

// testRequestSeesItsOwnWrites pins the request memo (Service.RequestContext):
// the reads of one request share a generation check, yet a request sees
// what it wrote itself at once, and the next request sees what another
// process wrote.
func testRequestSeesItsOwnWrites(t *testing.T, open Opener) {
	dir := t.TempDir()
	w := newWorld(t, open, dir)
	setup := w.scope(t, "alice")
	work := w.connect(t, setup, tokWork, "work")
	home := w.connect(t, setup, tokHome, "home")
	sc := w.scope(t, "alice")
	peer := w.peer(t, open, dir)

	acting := func(ctx context.Context, step string) *accounts.Account {
		t.Helper()
		sess, err := w.svc.Session(ctx, sc.Session.ID, "alice", "")
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		a, _, err := w.svc.Active(ctx, &accounts.Scope{Session: sess}, "github")
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		return a
	}
	ctx := w.svc.RequestContext(context.Background())
	if a := acting(ctx, "first read"); a.ID != home.ID {
		t.Fatalf("first read: %s, want home", a.ID)
	}
	sess, err := w.svc.Session(ctx, sc.Session.ID, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.Select(ctx, &accounts.Scope{Session: sess}, "github", "work"); err != nil {
		t.Fatal(err)
	}
	if a := acting(ctx, "after selecting work in the same request"); a.ID != work.ID {
		t.Errorf("after selecting work in the same request: %s, want work", a.ID)
	}

	if _, err := peer.Disable(ctx, work, true); err != nil {
		t.Fatal(err)
	}
	next := w.svc.RequestContext(context.Background())
	sess, err = w.svc.Session(next, sc.Session.ID, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = w.svc.Active(next, &accounts.Scope{Session: sess}, "github")
	wantCode(t, err, accounts.CodeAccountInactive) // the selected work, disabled by the peer
}
