package storetest

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"switchboard/accounts"
	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

// world is an accounts.Service over a store under test, a fake GitHub for
// identity checks, and a clock the test moves.
type world struct {
	svc   *accounts.Service
	store accounts.Store
	keys  *accounts.KeyRing
	gh    *fakeupstream.GitHub
	mu    sync.Mutex
	now   time.Time
}

// Tokens the fake GitHub knows: two identities of alice, one of bob.
const (
	tokWork  = "ghp_storetest_work"
	tokWork2 = "ghp_storetest_work_second_token"
	tokHome  = "ghp_storetest_home"
	tokBob   = "ghp_storetest_bob"
)

func newWorld(tb testing.TB, open Opener, dir string) *world {
	tb.Helper()
	gh := fakeupstream.NewGitHub()
	gh.AddUser(tokWork, "alice-work", 1)
	gh.AddUser(tokWork2, "alice-work", 1) // a second token of the same identity
	gh.AddUser(tokHome, "alice-home", 2)
	gh.AddUser(tokBob, "bob", 3)
	tb.Cleanup(gh.Close)
	w := &world{gh: gh, now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
	w.start(tb, open, dir)
	return w
}

// start (re)builds the service on a store opened in dir.
func (w *world) start(tb testing.TB, open Opener, dir string) {
	tb.Helper()
	catalog, err := tools.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	if w.keys == nil {
		if w.keys, err = accounts.ParseKeyRing("k1:" + strings.Repeat("A", 43) + "="); err != nil {
			tb.Fatal(err)
		}
	}
	w.store = open(tb, dir)
	w.svc = w.service(tb, catalog, w.store)
}

// service builds a Service over st with the world's keys, fake GitHub and
// clock.
func (w *world) service(tb testing.TB, catalog *tools.Catalog, st accounts.Store) *accounts.Service {
	tb.Helper()
	exec := tools.NewExecutor(catalog, tools.ExecutorOptions{BaseURLs: map[string]string{"github": w.gh.URL()}})
	svc, err := accounts.NewService(accounts.Config{
		Store: st, Keys: w.keys, Catalog: catalog, Executor: exec,
		PublicURL: "http://switchboard.test", Now: w.clock,
	})
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

func (w *world) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

// tick moves the clock forward by d.
func (w *world) tick(d time.Duration) {
	w.mu.Lock()
	w.now = w.now.Add(d)
	w.mu.Unlock()
}

// scope opens a new session of user.
func (w *world) scope(tb testing.TB, user string) *accounts.Scope {
	tb.Helper()
	sess, err := w.svc.CreateSession(context.Background(), accounts.SessionOptions{UserID: user})
	if err != nil {
		tb.Fatal(err)
	}
	return &accounts.Scope{Session: sess}
}

// reload re-reads the scope's session, as every request does.
func (w *world) reload(tb testing.TB, sc *accounts.Scope) *accounts.Scope {
	tb.Helper()
	sess, err := w.store.Session(context.Background(), sc.Session.ID)
	if err != nil {
		tb.Fatal(err)
	}
	fresh := *sc
	fresh.Session = sess
	return &fresh
}

// authorize issues a link in sc and returns the placeholder id and token.
func (w *world) authorize(tb testing.TB, sc *accounts.Scope, req accounts.AuthorizeRequest) (string, string) {
	tb.Helper()
	if req.Toolkit == "" {
		req.Toolkit = "github"
	}
	auth, err := w.svc.Authorize(context.Background(), sc, req)
	if err != nil {
		tb.Fatal(err)
	}
	_, token, _ := strings.Cut(auth.URL, "/connect/")
	return auth.Account.ID, token
}

// complete plays the person submitting secret on the link's page.
func (w *world) complete(tb testing.TB, token, secret, alias string) *accounts.Connected {
	tb.Helper()
	c, err := w.svc.CompleteWithSecret(context.Background(), token, secret, alias)
	if err != nil {
		tb.Fatalf("completing the link: %v", err)
	}
	return c
}

// connect authorizes and completes in one go.
func (w *world) connect(tb testing.TB, sc *accounts.Scope, secret, alias string) *accounts.Account {
	tb.Helper()
	_, token := w.authorize(tb, sc, accounts.AuthorizeRequest{})
	w.tick(time.Second)
	return w.complete(tb, token, secret, alias).Account
}

// active returns the id rule 5 chooses for github in sc and the layer.
func (w *world) active(tb testing.TB, sc *accounts.Scope) (string, accounts.SelectedBy) {
	tb.Helper()
	a, by, err := w.svc.Active(context.Background(), w.reload(tb, sc), "github")
	if err != nil {
		tb.Fatalf("Active: %v", err)
	}
	return a.ID, by
}

// wantCode asserts err is an *accounts.Error with code.
func wantCode(tb testing.TB, err error, code accounts.Code) *accounts.Error {
	tb.Helper()
	var e *accounts.Error
	if !errors.As(err, &e) || e.Code != code {
		tb.Fatalf("got error %v, want %s", err, code)
	}
	return e
}

// setStatus changes an account's status behind the service's back, as an
// operator or a failed refresh would.
func (w *world) setStatus(tb testing.TB, id string, st accounts.Status) {
	tb.Helper()
	ctx := context.Background()
	all, err := w.store.Accounts(ctx, "alice", "")
	if err != nil {
		tb.Fatal(err)
	}
	for _, a := range all {
		if a.ID == id {
			a.Status, a.StatusReason = st, "set by the test"
			if err := w.store.UpdateAccount(ctx, a); err != nil {
				tb.Fatal(err)
			}
			return
		}
	}
	tb.Fatalf("no account %s", id)
}

// runRules pins the eight rules of DESIGN.md on top of the store.
func runRules(t *testing.T, open Opener) {
	tests := []struct {
		name string
		test func(t *testing.T, open Opener)
	}{
		{"MostRecentConnectedWins", testMostRecentWins},
		{"CompletionOrderNotIssueOrder", testCompletionOrder},
		{"TieBrokenByInsertionOrder", testTieByInsertion},
		{"NonActiveNeverChosenByDefault", testNonActiveNeverDefault},
		{"PrecedenceHeaderSessionDefault", testPrecedence},
		{"HeaderAliasNotYetConnected", testPendingHeaderAlias},
		{"LastUsedRecordedToTheMinute", testLastUsed},
		{"SelectedInactiveNeverFallsBack", testNoFallback},
		{"StrictModeRefusesToGuess", testStrictMode},
		{"AuthorizingInSessionMakesItActive", testAuthorizeInSession},
		{"AddressByIDAliasOrLabel", testAddressing},
		{"OtherUsersAccountsUnreachable", testCrossUserRules},
		{"SameIdentityReconnectsInPlace", testReconnect},
		{"ReauthorizeBringsSameIDBack", testReauthorize},
		{"SelectionSurvivesReopen", testSelectionSurvivesReopen},
		{"CredentialsSealedPerAccount", testSealed},
		{"ReadOnlyRefusesWritesAllowsReads", testReadOnly},
		{"DenyBeatsAllow", testDenyBeatsAllow},
		{"PolicyAppliesOnNextCall", testPolicyAppliesOnNextCall},
		{"ConfirmByLinkOncePerCall", testConfirmByLink},
		{"ConfirmByClientAcceptOrDecline", testConfirmByClient},
		{"AuditTrailOfEveryCall", testAuditTrail},
		{"CachedReadsSeeOtherProcesses", testCacheSeesOtherProcesses},
		{"CachedReadsUnderConcurrency", testCacheUnderConcurrency},
		{"RequestSeesItsOwnWrites", testRequestSeesItsOwnWrites},
		{"LinkOutlivesItsSession", testLinkOutlivesSession},
		{"StaleWritesKeepTheStatus", testStaleWritesKeepStatus},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.test(t, open)
		})
	}
}

func testMostRecentWins(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	sc := w.scope(t, "alice")
	w.connect(t, sc, tokWork, "")
	home := w.connect(t, sc, tokHome, "")
	fresh := w.scope(t, "alice")
	if id, by := w.active(t, fresh); id != home.ID || by != accounts.SelectedByDefault {
		t.Errorf("new session: active %s by %s, want %s by default", id, by, home.ID)
	}
}

func testCompletionOrder(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	sc := w.scope(t, "alice")
	firstIssued, tokA := w.authorize(t, sc, accounts.AuthorizeRequest{})
	w.tick(time.Second)
	_, tokB := w.authorize(t, sc, accounts.AuthorizeRequest{})
	w.tick(time.Second)
	w.complete(t, tokB, tokHome, "")
	w.tick(time.Second)
	a := w.complete(t, tokA, tokWork, "").Account
	if a.ID != firstIssued {
		t.Fatalf("completion returned %s, want %s", a.ID, firstIssued)
	}
	if id, _ := w.active(t, w.scope(t, "alice")); id != firstIssued {
		t.Errorf("active %s; the link completed last (issued first, %s) must win", id, firstIssued)
	}
}

func testTieByInsertion(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	sc := w.scope(t, "alice")
	_, tokA := w.authorize(t, sc, accounts.AuthorizeRequest{})
	_, tokB := w.authorize(t, sc, accounts.AuthorizeRequest{})
	w.complete(t, tokA, tokWork, "")
	b := w.complete(t, tokB, tokHome, "").Account // same instant: the later insertion wins
	if id, _ := w.active(t, w.scope(t, "alice")); id != b.ID {
		t.Errorf("active %s on a tie, want the later-inserted %s", id, b.ID)
	}
}

func testNonActiveNeverDefault(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	sc := w.scope(t, "alice")
	work := w.connect(t, sc, tokWork, "")
	home := w.connect(t, sc, tokHome, "")
	w.authorize(t, sc, accounts.AuthorizeRequest{}) // an INITIATED placeholder, newer still
	for _, st := range []accounts.Status{accounts.StatusExpired, accounts.StatusInactive, accounts.StatusFailed} {
		w.setStatus(t, home.ID, st)
		if id, _ := w.active(t, w.scope(t, "alice")); id != work.ID {
			t.Errorf("with the most recent account %s, default is %s, want %s", st, id, work.ID)
		}
	}
	w.setStatus(t, work.ID, accounts.StatusExpired)
	_, _, err := w.svc.Active(context.Background(), w.scope(t, "alice"), "github")
	e := wantCode(t, err, accounts.CodeAccountRequired)
	if !strings.Contains(e.Message, "re-authorize") {
		t.Errorf("ACCOUNT_REQUIRED does not say how to re-authorize: %s", e.Message)
	}
}

func testPrecedence(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	work := w.connect(t, w.scope(t, "alice"), tokWork, "work")
	home := w.connect(t, w.scope(t, "alice"), tokHome, "home")
	sc := w.scope(t, "alice")
	ctx := context.Background()
	if id, by := w.active(t, sc); id != home.ID || by != accounts.SelectedByDefault {
		t.Fatalf("default: %s by %s", id, by)
	}
	if _, err := w.svc.Select(ctx, w.reload(t, sc), "github", "work"); err != nil {
		t.Fatal(err)
	}
	if id, by := w.active(t, sc); id != work.ID || by != accounts.SelectedBySession {
		t.Errorf("session selection: %s by %s", id, by)
	}
	hdr, err := w.svc.ParseOverrides(ctx, "alice", "github=home")
	if err != nil {
		t.Fatal(err)
	}
	withHeader := w.reload(t, sc)
	withHeader.Header = hdr.Accounts
	a, by, err := w.svc.Active(ctx, withHeader, "github")
	if err != nil || a.ID != home.ID || by != accounts.SelectedByHeader {
		t.Errorf("header: %v by %s (%v)", a, by, err)
	}
	_, err = w.svc.Select(ctx, withHeader, "github", "work")
	wantCode(t, err, accounts.CodeAccountFixedByHeader)
}

func testNoFallback(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	ctx := context.Background()
	sc := w.scope(t, "alice")
	work := w.connect(t, sc, tokWork, "work")
	w.connect(t, w.scope(t, "alice"), tokHome, "home")
	if _, err := w.svc.Select(ctx, w.reload(t, sc), "github", work.ID); err != nil {
		t.Fatal(err)
	}
	w.setStatus(t, work.ID, accounts.StatusExpired)
	a, _, err := w.svc.Active(ctx, w.reload(t, sc), "github")
	e := wantCode(t, err, accounts.CodeAccountInactive)
	if a == nil || a.ID != work.ID || !strings.Contains(e.Message, `"account":"`+work.ID+`"`) {
		t.Errorf("the refusal must name the selected account and how to re-authorize it: %v %s", a, e.Message)
	}
	hdr := w.scope(t, "alice")
	hdr.Header = map[string]string{"github": work.ID} // as ParseOverrides resolves "github=work"
	_, _, err = w.svc.Active(ctx, hdr, "github")
	wantCode(t, err, accounts.CodeAccountInactive)
	_, err = w.svc.Select(ctx, w.scope(t, "alice"), "github", "work")
	wantCode(t, err, accounts.CodeAccountInactive)
}

func testStrictMode(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	ctx := context.Background()
	sc := w.scope(t, "alice")
	work := w.connect(t, sc, tokWork, "")
	strict := w.scope(t, "alice")
	strict.RequireExplicit = true
	if id, _ := w.active(t, strict); id != work.ID {
		t.Errorf("one ACTIVE account needs no choice, got %s", id)
	}
	w.connect(t, sc, tokHome, "")
	_, _, err := w.svc.Active(ctx, w.reload(t, strict), "github")
	if e := wantCode(t, err, accounts.CodeAccountAmbiguous); len(e.Candidates) != 2 {
		t.Errorf("candidates: %v", e.Candidates)
	}
	if _, err := w.svc.Select(ctx, w.reload(t, strict), "github", "alice-work"); err != nil {
		t.Fatal(err)
	}
	if id, _ := w.active(t, strict); id != work.ID {
		t.Errorf("after selecting in strict mode: %s", id)
	}
}

func testAuthorizeInSession(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	ctx := context.Background()
	s1, s2 := w.scope(t, "alice"), w.scope(t, "alice")
	work := w.connect(t, s1, tokWork, "")
	w.connect(t, s1, tokHome, "")
	for _, sc := range []*accounts.Scope{s1, s2} {
		if _, err := w.svc.Select(ctx, w.reload(t, sc), "github", work.ID); err != nil {
			t.Fatal(err)
		}
	}
	third := w.connect(t, s1, tokBob, "") // a third identity, authorized in s1
	if id, by := w.active(t, s1); id != third.ID || by != accounts.SelectedBySession {
		t.Errorf("s1 authorized %s but acts with %s (%s)", third.ID, id, by)
	}
	if id, _ := w.active(t, s2); id != work.ID {
		t.Errorf("s2's own selection changed to %s", id)
	}
}

func testAddressing(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	ctx := context.Background()
	sc := w.scope(t, "alice")
	work := w.connect(t, sc, tokWork, "Work")
	for _, ref := range []string{work.ID, "work", "WORK", "alice-work", "Alice-Work"} {
		a, err := w.svc.Find(ctx, "alice", "github", ref)
		if err != nil || a.ID != work.ID {
			t.Errorf("Find(%q) = %v, %v", ref, a, err)
		}
	}
	_, err := w.svc.Find(ctx, "alice", "github", "nobody")
	wantCode(t, err, accounts.CodeAccountNotFound)
	// Two accounts with one label (two auth configs of one identity would do
	// this): the label alone no longer picks one.
	_, tok := w.authorize(t, sc, accounts.AuthorizeRequest{})
	c := w.complete(t, tok, tokHome, "")
	c.Account.Label = "alice-work"
	if err := w.store.UpdateAccount(ctx, c.Account); err != nil {
		t.Fatal(err)
	}
	_, err = w.svc.Find(ctx, "alice", "github", "alice-work")
	if e := wantCode(t, err, accounts.CodeAccountAmbiguous); len(e.Candidates) != 2 {
		t.Errorf("candidates: %v", e.Candidates)
	}
	if a, err := w.svc.Find(ctx, "alice", "github", "work"); err != nil || a.ID != work.ID {
		t.Errorf("alias still unique: %v %v", a, err)
	}
	_, err = w.svc.Authorize(ctx, sc, accounts.AuthorizeRequest{Toolkit: "github", Alias: "work"})
	wantCode(t, err, accounts.CodeInvalidArguments)
}

func testCrossUserRules(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	ctx := context.Background()
	alice := w.scope(t, "alice")
	work := w.connect(t, alice, tokWork, "work")
	bob := w.scope(t, "bob")
	for _, ref := range []string{work.ID, "work", "alice-work"} {
		_, err := w.svc.Select(ctx, bob, "github", ref)
		wantCode(t, err, accounts.CodeAccountNotFound)
	}
	_, errForeign := w.svc.ParseOverrides(ctx, "bob", "github="+work.ID)
	_, errUnknown := w.svc.ParseOverrides(ctx, "bob", "github=ca_unknown")
	var hf, hu *accounts.HeaderError
	if !errors.As(errForeign, &hf) || !errors.As(errUnknown, &hu) || hf.Malformed || hu.Malformed {
		t.Fatalf("overrides: %v / %v", errForeign, errUnknown)
	}
	if strings.ReplaceAll(hf.Message, work.ID, "X") != strings.ReplaceAll(hu.Message, "ca_unknown", "X") {
		t.Errorf("foreign and unknown answered differently: %q / %q", hf.Message, hu.Message)
	}
	if _, err := w.svc.Session(ctx, alice.Session.ID, "bob", ""); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("bob loaded alice's session: %v", err)
	}
	_, err := w.svc.Wait(ctx, bob, work.ID, time.Millisecond, nil)
	wantCode(t, err, accounts.CodeAccountNotFound)
	_, err = w.svc.Authorize(ctx, bob, accounts.AuthorizeRequest{Toolkit: "github", Account: work.ID})
	wantCode(t, err, accounts.CodeAccountNotFound)
}

func testReconnect(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	ctx := context.Background()
	sc := w.scope(t, "alice")
	work := w.connect(t, sc, tokWork, "work")
	placeholder, tok := w.authorize(t, sc, accounts.AuthorizeRequest{})
	w.tick(time.Second)
	c := w.complete(t, tok, tokWork2, "")
	if !c.Reconnected || c.Account.ID != work.ID || c.Account.Alias != "work" {
		t.Fatalf("same identity: %+v, want account %s reconnected with its alias", c.Account, work.ID)
	}
	all, err := w.store.Accounts(ctx, "alice", "github")
	if err != nil || len(all) != 1 {
		t.Fatalf("accounts after reconnect: %d (%v), want 1", len(all), err)
	}
	res, err := w.svc.Wait(ctx, sc, placeholder, time.Second, nil)
	if err != nil || res.Account.ID != work.ID || !res.Reconnected || res.Pending {
		t.Errorf("wait on the placeholder: %+v %v", res, err)
	}
	sealed, err := w.store.Credential(ctx, "alice", work.ID)
	if err != nil {
		t.Fatal(err)
	}
	if cred, err := w.keys.Open(work.ID, sealed); err != nil || cred.Secret != tokWork2 {
		t.Errorf("the reconnected account does not hold the new token (%v)", err)
	}

	// A new alias typed in the form does not rename the account it turns
	// out to be: a reconnect keeps id and alias (renaming is PATCH's).
	_, tok = w.authorize(t, sc, accounts.AuthorizeRequest{})
	w.tick(time.Second)
	if c := w.complete(t, tok, tokWork, "office"); !c.Reconnected || c.Account.ID != work.ID || c.Account.Alias != "work" {
		t.Errorf("reconnect with a new alias: %+v, want %s still aliased work", c.Account, work.ID)
	}
	if got, err := w.store.Account(ctx, "alice", work.ID); err != nil || got.Alias != "work" {
		t.Errorf("stored alias after the reconnect: %+v (%v)", got, err)
	}
}

func testReauthorize(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	ctx := context.Background()
	sc := w.scope(t, "alice")
	work := w.connect(t, sc, tokWork, "work")
	w.setStatus(t, work.ID, accounts.StatusExpired)
	id, tok := w.authorize(t, sc, accounts.AuthorizeRequest{Account: "work"})
	if id != work.ID {
		t.Fatalf("re-authorize issued a link for %s, want %s", id, work.ID)
	}
	if _, err := w.svc.CompleteWithSecret(ctx, tok, tokHome, ""); err == nil {
		t.Fatal("re-authorizing with another identity's token succeeded")
	}
	w.tick(time.Second)
	c := w.complete(t, tok, tokWork2, "")
	if c.Account.ID != work.ID || c.Account.Status != accounts.StatusActive || !c.Reconnected {
		t.Errorf("re-authorized: %+v", c)
	}
	res, err := w.svc.Wait(ctx, sc, work.ID, time.Second, nil)
	if err != nil || res.Account.Status != accounts.StatusActive || !res.Reconnected {
		t.Errorf("wait: %+v %v", res, err)
	}
}

func testSelectionSurvivesReopen(t *testing.T, open Opener) {
	dir := t.TempDir()
	w := newWorld(t, open, dir)
	ctx := context.Background()
	sc := w.scope(t, "alice")
	work := w.connect(t, sc, tokWork, "work")
	w.connect(t, sc, tokHome, "home")
	if _, err := w.svc.Select(ctx, w.reload(t, sc), "github", "work"); err != nil {
		t.Fatal(err)
	}
	if err := w.store.Close(); err != nil {
		t.Fatal(err)
	}
	w.start(t, open, dir)
	sess, err := w.svc.Session(ctx, sc.Session.ID, "alice", "")
	if err != nil {
		t.Fatal(err)
	}
	if id, by := w.active(t, &accounts.Scope{Session: sess}); id != work.ID || by != accounts.SelectedBySession {
		t.Errorf("after reopen: %s by %s", id, by)
	}
	if a, err := w.svc.Find(ctx, "alice", "github", "home"); err != nil || a.Label != "alice-home" {
		t.Errorf("alias after reopen: %v %v", a, err)
	}
}

func testSealed(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	ctx := context.Background()
	work := w.connect(t, w.scope(t, "alice"), tokWork, "")
	home := w.connect(t, w.scope(t, "alice"), tokHome, "")
	sealed, err := w.store.Credential(ctx, "alice", work.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte(tokWork)) {
		t.Error("the stored credential holds the token in clear")
	}
	if _, err := w.keys.Open(home.ID, sealed); err == nil {
		t.Error("a credential sealed for one account opened as another's")
	}
}

// testPendingHeaderAlias pins that an X-Connected-Accounts alias the user
// does not have yet refuses only that toolkit's calls (ACCOUNT_NOT_FOUND,
// naming how to connect it), leaves authorize working, and fixes the
// account once one is connected with that alias, even in a scope that read
// the header before (stdio reads it once). An unknown id is still refused.
func testPendingHeaderAlias(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	ctx := t.Context()
	sc := w.scope(t, "alice")
	ov, err := w.svc.ParseOverrides(ctx, "alice", "github=work")
	if err != nil {
		t.Fatalf("an alias not connected yet refused the header: %v", err)
	}
	if ov.Pending["github"] != "work" || len(ov.Accounts) != 0 {
		t.Fatalf("overrides = %+v", ov)
	}
	sc.Header, sc.Pending = ov.Accounts, ov.Pending
	e := wantCode(t, func() error { _, _, err := w.svc.Active(ctx, sc, "github"); return err }(), accounts.CodeAccountNotFound)
	if !strings.Contains(e.Message, `"alias":"work"`) {
		t.Errorf("the refusal does not say how to connect it: %s", e.Message)
	}
	w.connect(t, sc, tokHome, "home") // another alias: the header still governs
	wantCode(t, func() error { _, _, err := w.svc.Active(ctx, w.reload(t, sc), "github"); return err }(), accounts.CodeAccountNotFound)
	_, err = w.svc.Select(ctx, w.reload(t, sc), "github", "home")
	wantCode(t, err, accounts.CodeAccountFixedByHeader)
	work := w.connect(t, sc, tokWork, "work")
	a, by, err := w.svc.Active(ctx, w.reload(t, sc), "github")
	if err != nil || a.ID != work.ID || by != accounts.SelectedByHeader {
		t.Errorf("after connecting the alias: %v by %s (%v)", a, by, err)
	}
	_, err = w.svc.ParseOverrides(ctx, "alice", "github=ca_unknown")
	var he *accounts.HeaderError
	if !errors.As(err, &he) || he.Malformed {
		t.Errorf("an unknown id: %v", err)
	}
}

// testLastUsed pins when a call records the account's last use: at the
// first call, not again for calls within a minute of the one recorded
// (no write on every call), and again after that.
func testLastUsed(t *testing.T, open Opener) {
	w := newWorld(t, open, t.TempDir())
	ctx := context.Background()
	sc := w.scope(t, "alice")
	a := w.connect(t, sc, tokWork, "")
	call := func() {
		t.Helper()
		if _, err := w.svc.Call(ctx, w.reload(t, sc), w.svc.Catalog().Tool("GITHUB_GET_AUTHENTICATED_USER"), map[string]any{}); err != nil {
			t.Fatal(err)
		}
	}
	lastUsed := func() time.Time {
		t.Helper()
		got, err := w.store.Account(ctx, "alice", a.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.LastUsedAt
	}
	first := w.clock()
	call()
	if got := lastUsed(); !got.Equal(first) {
		t.Fatalf("after the first call: last used %v, want %v", got, first)
	}
	w.tick(30 * time.Second)
	call()
	if got := lastUsed(); !got.Equal(first) {
		t.Errorf("a call 30s later wrote last used %v", got)
	}
	w.tick(45 * time.Second)
	call()
	if got := lastUsed(); !got.Equal(w.clock()) {
		t.Errorf("a call 75s after the recorded use: last used %v, want %v", got, w.clock())
	}
}
