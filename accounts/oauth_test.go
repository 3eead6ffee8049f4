package accounts_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"switchboard/accounts"
	"switchboard/accounts/sqlite"
	"switchboard/internal/fakeupstream"
	"switchboard/tools"
)

// oauthWorld is a Service whose github toolkit signs in through a fake
// OAuth2 provider, whose tokens the fake GitHub accepts.
type oauthWorld struct {
	skew   atomic.Int64 // nanoseconds the service's clock runs ahead
	svc    *accounts.Service
	store  *sqlite.DB
	keys   *accounts.KeyRing
	logger *zap.Logger
	dir    string
	gh     *fakeupstream.GitHub
	op     *fakeupstream.OAuth
	logs   *observer.ObservedLogs
	stale  atomic.Bool // when set, GitHub no longer accepts new tokens
	outMu  sync.Mutex
	outs   []string // refresh outcomes reported through OnRefresh
	tokens sync.Map // every access and refresh token issued, for leak checks
}

var (
	octo  = fakeupstream.OAuthIdentity{Subject: "501", Login: "octo-work", Email: "octo@work.example"}
	octo2 = fakeupstream.OAuthIdentity{Subject: "502", Login: "octo-home", Email: "octo@home.example"}
)

func newOAuthWorld(tb testing.TB, ttl time.Duration) *oauthWorld {
	tb.Helper()
	w := &oauthWorld{gh: fakeupstream.NewGitHub(), dir: tb.TempDir()}
	tb.Cleanup(w.gh.Close)
	w.op = fakeupstream.NewOAuth(fakeupstream.OAuthOptions{
		ClientID: "switchboard-app", ClientSecret: "app-secret", ClientAuth: "body",
		AccessTTL: ttl, RotateRefresh: true, RequirePKCE: true,
		OnToken: func(token string, id fakeupstream.OAuthIdentity) {
			w.tokens.Store(token, true)
			if w.stale.Load() {
				return
			}
			n, _ := strconv.ParseInt(id.Subject, 10, 64)
			w.gh.AddUser(token, id.Login, n)
		},
	})
	tb.Cleanup(w.op.Close)
	w.op.AddIdentity(octo)
	w.op.AddIdentity(octo2)
	keys, _ := accounts.ParseKeyRing("k1:" + strings.Repeat("B", 43) + "=")
	var err error
	w.store, err = sqlite.Open(context.Background(), filepath.Join(w.dir, "switchboard.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { w.store.Close() })
	core, logs := observer.New(zap.DebugLevel)
	w.logs = logs
	w.keys = keys
	w.logger = zap.New(core)
	w.svc = w.service(tb, w.store)
	return w
}

// service builds a Service of the world on store, which is also its
// cross-process Locker, as main wires it.
func (w *oauthWorld) service(tb testing.TB, store *sqlite.DB) *accounts.Service {
	tb.Helper()
	catalog, err := tools.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	svc, err := accounts.NewService(accounts.Config{
		Store: store, Locker: store, Keys: w.keys, Catalog: catalog, PublicURL: "http://switchboard.test", Log: w.logger,
		OnRefresh: func(toolkit, outcome string) {
			w.outMu.Lock()
			w.outs = append(w.outs, toolkit+":"+outcome)
			w.outMu.Unlock()
		},
		Now:      func() time.Time { return time.Now().Add(time.Duration(w.skew.Load())) },
		Executor: tools.NewExecutor(catalog, tools.ExecutorOptions{BaseURLs: map[string]string{"github": w.gh.URL()}}),
		AuthConfigs: []accounts.AuthConfig{{
			ID: "ac_github_app", Toolkit: "github", Scheme: "oauth2", ClientID: "switchboard-app", ClientSecret: "app-secret",
			AuthorizeURL: w.op.AuthorizeURL(), TokenURL: w.op.TokenURL(), RevokeURL: w.op.RevokeURL(),
		}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// otherProcess opens the world's database a second time and builds a
// Service on it: a second stdio server on the same data dir.
func (w *oauthWorld) otherProcess(tb testing.TB) *accounts.Service {
	tb.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(w.dir, "switchboard.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	return w.service(tb, store)
}

func (w *oauthWorld) scope(tb testing.TB) *accounts.Scope {
	tb.Helper()
	sess, err := w.svc.CreateSession(context.Background(), accounts.SessionOptions{UserID: "alice"})
	if err != nil {
		tb.Fatal(err)
	}
	return &accounts.Scope{Session: sess}
}

// signIn runs authorize → provider consent → callback, returning the
// placeholder id and the callback's outcome.
func (w *oauthWorld) signIn(tb testing.TB, sc *accounts.Scope, req accounts.AuthorizeRequest, who fakeupstream.OAuthIdentity, approve bool) (string, *accounts.Connected, error) {
	tb.Helper()
	req.Toolkit = "github"
	return signInWith(tb, w.svc, w.op, sc, req, who.Subject, approve)
}

// signInWith plays a whole OAuth connection against svc (see consent) and
// returns the id authorize issued and the callback's outcome.
func signInWith(tb testing.TB, svc *accounts.Service, op *fakeupstream.OAuth, sc *accounts.Scope, req accounts.AuthorizeRequest, subject string, approve bool) (string, *accounts.Connected, error) {
	tb.Helper()
	id, back := consent(tb, svc, op, sc, req, subject, approve)
	q := back.Query()
	c, err := svc.CompleteOAuth(context.Background(), q.Get("state"), q.Get("code"), q.Get("error"), q.Get("error_description"))
	return id, c, err
}

// consent plays the person up to the provider's redirect: authorize in
// sc, the connect page's button, op's consent page choosing subject and
// approving (or not). It returns the id authorize issued and the URL the
// provider sends the person back to, for the test to deliver (or not).
func consent(tb testing.TB, svc *accounts.Service, op *fakeupstream.OAuth, sc *accounts.Scope, req accounts.AuthorizeRequest, subject string, approve bool) (string, *url.URL) {
	tb.Helper()
	ctx := context.Background()
	auth, err := svc.Authorize(ctx, sc, req)
	if err != nil {
		tb.Fatal(err)
	}
	_, token, _ := strings.Cut(auth.URL, "/connect/")
	target, err := svc.BeginOAuth(ctx, token)
	if err != nil {
		tb.Fatal(err)
	}
	back, err := op.Consent(target, subject, approve)
	if err != nil {
		tb.Fatal(err)
	}
	return auth.Account.ID, back
}

func (w *oauthWorld) call(tb testing.TB, sc *accounts.Scope) (*accounts.CallResult, error) {
	tb.Helper()
	sess, err := w.store.Session(context.Background(), sc.Session.ID)
	if err != nil {
		tb.Fatal(err)
	}
	fresh := *sc
	fresh.Session = sess
	return w.svc.Call(context.Background(), &fresh, w.svc.Catalog().Tool("GITHUB_GET_AUTHENTICATED_USER"), map[string]any{})
}

func TestOAuthConnect(t *testing.T) {
	w := newOAuthWorld(t, time.Hour)
	sc := w.scope(t)
	id, c, err := w.signIn(t, sc, accounts.AuthorizeRequest{Alias: "work"}, octo, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.Account.ID != id || c.Account.Status != accounts.StatusActive || c.Account.Label != "octo-work" || c.Account.Alias != "work" {
		t.Errorf("connected %+v", c.Account)
	}
	authz := w.op.LastAuthorizeRequest()
	if authz.Get("code_challenge_method") != "S256" || authz.Get("code_challenge") == "" || authz.Get("redirect_uri") != "http://switchboard.test/oauth/callback" {
		t.Errorf("authorization request %v", authz)
	}
	if v := w.op.LastTokenRequest().Get("code_verifier"); len(v) < 43 {
		t.Errorf("the token request carried no PKCE verifier: %q", v)
	}
	res, err := w.call(t, sc)
	if err != nil || res.Account.ID != id {
		t.Fatalf("call: %+v %v", res, err)
	}
	if w.gh.Requests()[len(w.gh.Requests())-1].Token == "" {
		t.Error("the call carried no token")
	}
}

func TestOAuthConcurrentCallsRefreshOnce(t *testing.T) {
	w := newOAuthWorld(t, 2*time.Second)
	sc := w.scope(t)
	if _, _, err := w.signIn(t, sc, accounts.AuthorizeRequest{}, octo, true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1600 * time.Millisecond) // into the last quarter of the token's life
	before := w.op.RefreshToken(octo.Subject)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.call(t, sc); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("call: %v", err)
	}
	if n := w.op.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("%d refresh requests for 20 concurrent calls, want 1", n)
	}
	w.outMu.Lock()
	if len(w.outs) != 1 || w.outs[0] != "github:ok" {
		t.Errorf("refreshes reported %v, want [github:ok]", w.outs)
	}
	w.outMu.Unlock()
	// The rotated refresh token is the one stored: with rotation the old
	// one is dead, so a second refresh only works if we kept the new one.
	if after := w.op.RefreshToken(octo.Subject); after == before || after == "" {
		t.Fatalf("the provider did not rotate (%q → %q)", before, after)
	}
	time.Sleep(1600 * time.Millisecond)
	if _, err := w.call(t, sc); err != nil {
		t.Fatalf("a call after the rotation failed: %v", err)
	}
	if n := w.op.TokenRequests("refresh_token"); n < 2 {
		t.Errorf("expected a second refresh with the rotated token, saw %d", n)
	}
}

func TestOAuthInvalidGrantExpiresWithoutFallback(t *testing.T) {
	w := newOAuthWorld(t, 2*time.Second)
	sc := w.scope(t)
	if _, _, err := w.signIn(t, w.scope(t), accounts.AuthorizeRequest{}, octo2, true); err != nil {
		t.Fatal(err)
	}
	id, _, err := w.signIn(t, sc, accounts.AuthorizeRequest{}, octo, true)
	if err != nil {
		t.Fatal(err)
	}
	w.op.InvalidateGrants(octo.Subject)
	time.Sleep(1600 * time.Millisecond) // the access token is due for a refresh
	w.gh.Reset()
	_, err = w.call(t, sc)
	var e *accounts.Error
	if !errors.As(err, &e) || e.Code != accounts.CodeAccountInactive || !strings.Contains(e.Message, `"account":"`+id+`"`) {
		t.Fatalf("after invalid_grant: %v, want ACCOUNT_INACTIVE naming %s and how to re-authorize", err, id)
	}
	if n := len(w.gh.Requests()); n != 0 {
		t.Errorf("the other ACTIVE account was used instead: %d upstream requests", n)
	}
	a, _ := w.store.Account(context.Background(), "alice", id)
	if a.Status != accounts.StatusExpired || !strings.Contains(a.StatusReason, "invalid_grant") {
		t.Errorf("account after invalid_grant: %s %q", a.Status, a.StatusReason)
	}
	w.outMu.Lock()
	if len(w.outs) != 1 || w.outs[0] != "github:invalid_grant" {
		t.Errorf("refreshes reported %v, want [github:invalid_grant]", w.outs)
	}
	w.outMu.Unlock()

	// Re-authorizing brings the same id back to ACTIVE.
	again, c, err := w.signIn(t, sc, accounts.AuthorizeRequest{Account: id}, octo, true)
	if err != nil || again != id || c.Account.ID != id || c.Account.Status != accounts.StatusActive || !c.Reconnected {
		t.Fatalf("re-authorize: %s %+v %v", again, c, err)
	}
	if _, err := w.call(t, sc); err != nil {
		t.Errorf("call after re-authorizing: %v", err)
	}
}

func TestOAuthUnauthorizedAfterRefreshExpires(t *testing.T) {
	w := newOAuthWorld(t, time.Hour)
	sc := w.scope(t)
	id, _, err := w.signIn(t, sc, accounts.AuthorizeRequest{}, octo, true)
	if err != nil {
		t.Fatal(err)
	}
	// GitHub rejects every token of this identity from now on, refreshed or not.
	w.stale.Store(true)
	w.tokens.Range(func(k, _ any) bool { w.gh.RevokeToken(k.(string)); return true })
	_, err = w.call(t, sc)
	var e *accounts.Error
	if !errors.As(err, &e) || e.Code != accounts.CodeAccountInactive {
		t.Fatalf("got %v, want ACCOUNT_INACTIVE", err)
	}
	if n := w.op.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("%d refreshes, want exactly one before giving up", n)
	}
	if a, _ := w.store.Account(context.Background(), "alice", id); a.Status != accounts.StatusExpired {
		t.Errorf("status %s, want EXPIRED", a.Status)
	}
}

func TestOAuthConsentDenied(t *testing.T) {
	w := newOAuthWorld(t, time.Hour)
	sc := w.scope(t)
	id, _, err := w.signIn(t, sc, accounts.AuthorizeRequest{}, octo, false)
	var le *accounts.LinkError
	if !errors.As(err, &le) || !strings.Contains(le.Message, "declined") {
		t.Fatalf("denied consent: %v", err)
	}
	a, _ := w.store.Account(context.Background(), "alice", id)
	if a.Status != accounts.StatusFailed || !strings.Contains(a.StatusReason, "access_denied") {
		t.Errorf("account after denial: %s %q", a.Status, a.StatusReason)
	}
	res, err := w.svc.Wait(context.Background(), sc, id, time.Second, nil)
	if err != nil || res.Pending || res.Account.Status != accounts.StatusFailed {
		t.Errorf("wait after denial: %+v %v", res, err)
	}
}

func TestOAuthStateRefusals(t *testing.T) {
	w := newOAuthWorld(t, time.Hour)
	ctx := context.Background()
	_, back := consent(t, w.svc, w.op, w.scope(t), accounts.AuthorizeRequest{Toolkit: "github"}, octo.Subject, true)
	state, code := back.Query().Get("state"), back.Query().Get("code")

	var le *accounts.LinkError
	if _, err := w.svc.CompleteOAuth(ctx, "forged-state", code, "", ""); !errors.As(err, &le) {
		t.Errorf("forged state: %v", err)
	}
	// Neither a code nor an error: refused in plain words, and nothing
	// spent or sent to the provider.
	for _, s := range []string{state, ""} {
		if _, err := w.svc.CompleteOAuth(ctx, s, "", "", ""); !errors.As(err, &le) || strings.Contains(le.Message, "state") || strings.Contains(le.Message, "code") {
			t.Errorf("a callback without a code (state %q): %v", s, err)
		}
	}
	if _, err := w.svc.CompleteOAuth(ctx, state, code, "", ""); err != nil {
		t.Fatalf("the genuine callback failed after a forged one and an incomplete one: %v", err)
	}
	before, _ := w.store.Accounts(ctx, "alice", "")
	if _, err := w.svc.CompleteOAuth(ctx, state, code, "", ""); !errors.As(err, &le) {
		t.Errorf("replayed state: %v", err)
	}
	after, _ := w.store.Accounts(ctx, "alice", "")
	if len(before) != len(after) {
		t.Errorf("a replayed callback changed the accounts")
	}
	if n := w.op.TokenRequests("authorization_code"); n != 1 {
		t.Errorf("%d code exchanges; refused callbacks must not reach the provider", n)
	}
}

func TestOAuthExpiredLinkRefused(t *testing.T) {
	w := newOAuthWorld(t, time.Hour)
	ctx := context.Background()
	id, back := consent(t, w.svc, w.op, w.scope(t), accounts.AuthorizeRequest{Toolkit: "github"}, octo.Subject, true)
	w.skew.Store(int64(11 * time.Minute)) // past the link's 10 minutes
	var le *accounts.LinkError
	if _, err := w.svc.CompleteOAuth(ctx, back.Query().Get("state"), back.Query().Get("code"), "", ""); !errors.As(err, &le) || !strings.Contains(le.Message, "expired") {
		t.Fatalf("expired link: %v", err)
	}
	if n := w.op.TokenRequests("authorization_code"); n != 0 {
		t.Errorf("an expired link's code was exchanged")
	}
	if a, _ := w.store.Account(ctx, "alice", id); a.Status != accounts.StatusFailed {
		t.Errorf("account of the expired link is %s", a.Status)
	}
}

func TestOAuthReconnectSameIdentityKeepsID(t *testing.T) {
	w := newOAuthWorld(t, time.Hour)
	sc := w.scope(t)
	first, _, err := w.signIn(t, sc, accounts.AuthorizeRequest{Alias: "work"}, octo, true)
	if err != nil {
		t.Fatal(err)
	}
	_, c, err := w.signIn(t, sc, accounts.AuthorizeRequest{}, octo, true)
	if err != nil || c.Account.ID != first || !c.Reconnected || c.Account.Alias != "work" {
		t.Fatalf("same identity again: %+v %v", c, err)
	}
	all, _ := w.store.Accounts(context.Background(), "alice", "github")
	if len(all) != 1 {
		t.Errorf("%d accounts after reconnecting one identity", len(all))
	}
}

func TestOAuthTokensNeverLeak(t *testing.T) {
	w := newOAuthWorld(t, 2*time.Second)
	sc := w.scope(t)
	if _, _, err := w.signIn(t, sc, accounts.AuthorizeRequest{}, octo, true); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1600 * time.Millisecond)
	res, err := w.call(t, sc) // refreshes: the token is in the last quarter of its life
	if err != nil {
		t.Fatal(err)
	}
	var haystack bytes.Buffer
	for _, e := range w.logs.All() {
		haystack.WriteString(e.Message)
		for k, v := range e.ContextMap() {
			haystack.WriteString(k + "=" + toString(v) + "\n")
		}
	}
	haystack.WriteString(res.Result.Text + toString(res.Result.Structured))
	for _, f := range []string{"switchboard.db", "switchboard.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(w.dir, f))
		haystack.Write(b)
	}
	n := 0
	w.tokens.Range(func(k, _ any) bool {
		n++
		if bytes.Contains(haystack.Bytes(), []byte(k.(string))) {
			t.Errorf("a token appears in a log, a result or the SQLite file")
		}
		return true
	})
	for _, rt := range []string{w.op.RefreshToken(octo.Subject)} {
		if rt != "" && bytes.Contains(haystack.Bytes(), []byte(rt)) {
			t.Errorf("the refresh token appears in a log, a result or the SQLite file")
		}
	}
	if n < 2 {
		t.Fatalf("only %d tokens issued; the test needs the refreshed one too", n)
	}
}

func toString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestDeleteRevokesAtProvider(t *testing.T) {
	w := newOAuthWorld(t, time.Hour)
	sc := w.scope(t)
	id, _, err := w.signIn(t, sc, accounts.AuthorizeRequest{Alias: "work"}, octo, true)
	if err != nil {
		t.Fatal(err)
	}
	rt := w.op.RefreshToken(octo.Subject)
	a, revoked, err := w.svc.DeleteAccount(context.Background(), "alice", "github", "work")
	if err != nil || a.ID != id || !revoked {
		t.Fatalf("delete: %v %v %v", a, revoked, err)
	}
	found := false
	for _, r := range w.op.Revoked() {
		found = found || r == rt
	}
	if !found {
		t.Errorf("the refresh token was not revoked at the provider: %v", w.op.Revoked())
	}
	if _, err := w.store.Account(context.Background(), "alice", id); !errors.Is(err, accounts.ErrNotFound) {
		t.Errorf("account still stored: %v", err)
	}
	if _, _, err := w.svc.DeleteAccount(context.Background(), "bob", "github", id); err == nil {
		t.Error("bob deleted an account id of alice's")
	}
}

func TestDisableAndEnable(t *testing.T) {
	w := newOAuthWorld(t, time.Hour)
	sc := w.scope(t)
	ctx := context.Background()
	work, _, err := w.signIn(t, w.scope(t), accounts.AuthorizeRequest{Alias: "work"}, octo, true)
	if err != nil {
		t.Fatal(err)
	}
	home, _, err := w.signIn(t, w.scope(t), accounts.AuthorizeRequest{Alias: "home"}, octo2, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SetDisabled(ctx, "alice", "github", "home", true); err != nil {
		t.Fatal(err)
	}
	if res, err := w.call(t, sc); err != nil || res.Account.ID != work {
		t.Errorf("with the newest account disabled the default is %v (%v), want %s", res, err, work)
	}
	if _, err := w.svc.SetDisabled(ctx, "alice", "github", "home", true); err == nil {
		t.Error("disabling an INACTIVE account succeeded")
	}
	if _, err := w.svc.SetDisabled(ctx, "alice", "github", "home", false); err != nil {
		t.Fatal(err)
	}
	if res, err := w.call(t, sc); err != nil || res.Account.ID != home {
		t.Errorf("after enabling, the default is %v (%v), want %s", res, err, home)
	}
}

func TestOAuthRejectedTokenRefreshedOnce(t *testing.T) {
	w := newOAuthWorld(t, time.Hour)
	sc := w.scope(t)
	if _, _, err := w.signIn(t, sc, accounts.AuthorizeRequest{}, octo, true); err != nil {
		t.Fatal(err)
	}
	// GitHub stops accepting the current token; the refreshed one works.
	w.tokens.Range(func(k, _ any) bool { w.gh.RevokeToken(k.(string)); return true })
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := w.call(t, sc); err != nil {
				t.Errorf("call: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := w.op.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("%d refreshes for 20 calls rejected with one token, want 1", n)
	}
}

func TestOAuthNegativeExpiryDoesNotRefreshEveryCall(t *testing.T) {
	w := newOAuthWorld(t, -time.Hour) // the provider answers a negative expires_in
	sc := w.scope(t)
	if _, _, err := w.signIn(t, sc, accounts.AuthorizeRequest{}, octo, true); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if _, err := w.call(t, sc); err != nil {
			t.Fatal(err)
		}
	}
	if n := w.op.TokenRequests("refresh_token"); n != 0 {
		t.Errorf("%d refreshes for a token whose expiry is unknown", n)
	}
}

func TestReauthorizingDisabledAccountKeepsItDisabled(t *testing.T) {
	w := newOAuthWorld(t, time.Hour)
	sc := w.scope(t)
	ctx := context.Background()
	id, _, err := w.signIn(t, sc, accounts.AuthorizeRequest{Alias: "work"}, octo, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.SetDisabled(ctx, "alice", "github", "work", true); err != nil {
		t.Fatal(err)
	}
	for _, req := range []accounts.AuthorizeRequest{{Account: id}, {}} { // re-authorize, and connect the same identity anew
		if _, c, err := w.signIn(t, sc, req, octo, true); err != nil || c.Account.ID != id || c.Account.Status != accounts.StatusInactive {
			t.Errorf("after %+v: %+v %v, want %s still INACTIVE", req, c, err, id)
		}
	}
}

func TestRevokeStaysWithOverriddenEndpoints(t *testing.T) {
	// A toolkit whose catalog names a revoke endpoint ("the public
	// provider"), and an auth config that points sign-in at another
	// provider without naming its revoke endpoint: deleting the account
	// must not send that provider's token to the public one.
	var public atomic.Int32 // connections to the public endpoint, even ones TLS refuses
	pub := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	pub.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			public.Add(1)
		}
	}
	pub.StartTLS()
	defer pub.Close()
	op := fakeupstream.NewOAuth(fakeupstream.OAuthOptions{ClientID: "cid", ClientSecret: "sec", ClientAuth: "body"})
	defer op.Close()
	op.AddIdentity(octo)
	dir := t.TempDir()
	yaml := "slug: corp\nname: Corp\ndescription: An internal API.\nbase_url: " + op.URL() + "\n" +
		"schemes:\n  - kind: oauth2\n    authorization_url: https://public.example/authorize\n    token_url: https://public.example/token\n    revoke_url: " + pub.URL + "\n    help: Sign in.\n" +
		"identity: {method: GET, path: /userinfo, id: sub, label: email}\n" +
		"tools:\n  - name: CORP_WHOAMI\n    title: Who am I\n    description: Returns the signed-in user.\n    annotations: {read_only: true, destructive: false, idempotent: true, open_world: true}\n" +
		"    input_schema: {type: object, properties: {}, additionalProperties: false}\n    request: {method: GET, path: /userinfo}\n    result: {fields: [sub, email], text: \"{email}\"}\n"
	if err := os.WriteFile(filepath.Join(dir, "corp.yaml"), []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	catalog, err := tools.BuiltinWith(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc := testService(t, catalog, nil, accounts.AuthConfig{ID: "ac_corp", Toolkit: "corp", Scheme: "oauth2", ClientID: "cid", ClientSecret: "sec",
		AuthorizeURL: op.AuthorizeURL(), TokenURL: op.TokenURL()})
	ctx := context.Background()
	id, _, err := signInWith(t, svc, op, aliceScope(t, svc), accounts.AuthorizeRequest{Toolkit: "corp"}, octo.Subject, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, revoked, err := svc.DeleteAccount(ctx, "alice", "corp", id); err != nil || revoked {
		t.Errorf("delete: revoked=%v err=%v, want deleted without revocation", revoked, err)
	}
	if n := public.Load(); n != 0 {
		t.Errorf("the token was sent to the catalog's public revoke endpoint %d time(s)", n)
	}
}

func TestOAuthOneRefreshAcrossProcesses(t *testing.T) {
	w := newOAuthWorld(t, 2*time.Second)
	sc := w.scope(t)
	if _, _, err := w.signIn(t, sc, accounts.AuthorizeRequest{}, octo, true); err != nil {
		t.Fatal(err)
	}
	other := w.otherProcess(t)
	time.Sleep(1600 * time.Millisecond) // into the last quarter of the token's life
	var wg sync.WaitGroup
	for i := range 20 {
		svc := w.svc
		if i%2 == 1 {
			svc = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sess, _ := w.store.Session(context.Background(), sc.Session.ID)
			if _, err := svc.Call(context.Background(), &accounts.Scope{Session: sess}, svc.Catalog().Tool("GITHUB_GET_AUTHENTICATED_USER"), map[string]any{}); err != nil {
				t.Errorf("call: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := w.op.TokenRequests("refresh_token"); n != 1 {
		t.Errorf("%d refreshes for 20 calls from two processes, want 1", n)
	}
}
