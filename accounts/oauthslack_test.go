package accounts_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"switchboard/accounts"
	"switchboard/internal/fakeupstream"
)

// fakeSlackOAuth answers oauth.v2.access the way Slack does: HTTP 200
// always, ok:false on errors, the bot token at the top level and the user
// token under authed_user, rotating refresh tokens when asked.
type fakeSlackOAuth struct {
	mu     sync.Mutex
	forms  []url.Values
	answer func(form url.Values) map[string]any
	srv    *httptest.Server
}

func newFakeSlackOAuth(tb testing.TB, answer func(url.Values) map[string]any) *fakeSlackOAuth {
	f := &fakeSlackOAuth{answer: answer}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		f.mu.Lock()
		f.forms = append(f.forms, r.PostForm)
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(f.answer(r.PostForm))
	}))
	tb.Cleanup(f.srv.Close)
	return f
}

// slackService is a Service whose slack toolkit signs in at tokenURL and
// acts against the fake Slack API.
func slackService(tb testing.TB, tokenURL string, api *fakeupstream.Slack) *accounts.Service {
	tb.Helper()
	return testService(tb, nil, map[string]string{"slack": api.URL()}, accounts.AuthConfig{ID: "ac_slack", Toolkit: "slack", Scheme: "oauth2",
		ClientID: "cid", ClientSecret: "csecret", AuthorizeURL: "https://slack.example/oauth/v2/authorize", TokenURL: tokenURL})
}

// slackSignIn issues a link, starts the sign-in, and returns to the
// callback with code, as Slack would after consent.
func slackSignIn(tb testing.TB, svc *accounts.Service, code string) (*accounts.Connected, string, error) {
	tb.Helper()
	ctx := context.Background()
	auth, err := svc.Authorize(ctx, aliceScope(tb, svc), accounts.AuthorizeRequest{Toolkit: "slack"})
	if err != nil {
		tb.Fatal(err)
	}
	_, token, _ := strings.Cut(auth.URL, "/connect/")
	target, err := svc.BeginOAuth(ctx, token)
	if err != nil {
		tb.Fatal(err)
	}
	u, _ := url.Parse(target)
	c, err := svc.CompleteOAuth(ctx, u.Query().Get("state"), code, "", "")
	return c, target, err
}

func TestSlackTokenResponse(t *testing.T) {
	api := fakeupstream.NewSlack()
	t.Cleanup(api.Close)
	api.AddUser(fakeupstream.SlackUser{ID: "U1", Name: "alice", Email: "alice@example.com"})
	api.AddToken("xoxb-bot-token", "U1")
	api.AddToken("xoxp-user-token", "U1")

	t.Run("BotTokenKeptUserScopesRequested", func(t *testing.T) {
		f := newFakeSlackOAuth(t, func(form url.Values) map[string]any {
			return map[string]any{"ok": true, "access_token": "xoxb-bot-token", "token_type": "bot",
				"authed_user": map[string]any{"id": "U1", "access_token": "xoxp-user-token", "token_type": "user"}}
		})
		svc := slackService(t, f.srv.URL, api)
		c, target, err := slackSignIn(t, svc, "good-code")
		if err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(target)
		if q := u.Query(); q.Get("user_scope") != "search:read" || !strings.Contains(q.Get("scope"), "chat:write,") {
			t.Errorf("authorization request %v: want comma-separated scopes and the user scope", q)
		}
		if c.Account.Status != accounts.StatusActive || c.Account.UpstreamID != "U1" {
			t.Errorf("account %+v", c.Account)
		}
		if form := f.forms[0]; form.Get("code") != "good-code" || form.Get("client_secret") != "csecret" || form.Get("redirect_uri") != "http://switchboard.test/oauth/callback" {
			t.Errorf("token request %v", form)
		}
		last := api.Requests()[len(api.Requests())-1]
		if last.Token != "xoxp-user-token" {
			t.Errorf("the identity check used %q, want the user token (it names the person, not the bot)", last.Token)
		}
		// Tools act with the bot token, except those that need a user token.
		ctx := context.Background()
		sess, _ := svc.CreateSession(ctx, accounts.SessionOptions{UserID: "alice"})
		sc := &accounts.Scope{Session: sess}
		for tool, want := range map[string]string{"SLACK_LIST_CONVERSATIONS": "xoxb-bot-token", "SLACK_SEARCH_MESSAGES": "xoxp-user-token"} {
			args := map[string]any{}
			if tool == "SLACK_SEARCH_MESSAGES" {
				args["query"] = "hello"
			}
			_, _ = svc.Call(ctx, sc, svc.Catalog().Tool(tool), args)
			if got := api.Requests()[len(api.Requests())-1].Token; got != want {
				t.Errorf("%s acted with %q, want %q", tool, got, want)
			}
		}
	})

	t.Run("OKFalseRefusesAndFails", func(t *testing.T) {
		f := newFakeSlackOAuth(t, func(url.Values) map[string]any { return map[string]any{"ok": false, "error": "invalid_code"} })
		svc := slackService(t, f.srv.URL, api)
		_, _, err := slackSignIn(t, svc, "bad-code")
		var le *accounts.LinkError
		if !errors.As(err, &le) || le.Err == nil || !strings.Contains(le.Err.Error(), "invalid_grant") || strings.Contains(le.Message, "invalid_grant") {
			t.Fatalf("ok:false answer: %v (cause %v); want the code in the cause and plain words for the person", err, le.Err)
		}
	})

	t.Run("UserOnlyInstallKeepsUserToken", func(t *testing.T) {
		f := newFakeSlackOAuth(t, func(url.Values) map[string]any {
			return map[string]any{"ok": true, "authed_user": map[string]any{"id": "U1", "access_token": "xoxp-user-token"}}
		})
		svc := slackService(t, f.srv.URL, api)
		if _, _, err := slackSignIn(t, svc, "code"); err != nil {
			t.Fatal(err)
		}
		if last := api.Requests()[len(api.Requests())-1]; last.Token != "xoxp-user-token" {
			t.Errorf("identity check used %q, want the user token", last.Token)
		}
	})
}
