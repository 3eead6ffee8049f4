package e2e

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"switchboard/internal/fakeupstream"
)

// oauthSetup is a fake GitHub whose tokens come from a fake OAuth2
// provider, and a config file registering the provider as github's OAuth app.
type oauthSetup struct {
	gh     *fakeupstream.GitHub
	op     *fakeupstream.OAuth
	config string
	mu     sync.Mutex
	tokens []string
}

func newOAuthSetup(tb testing.TB) *oauthSetup {
	tb.Helper()
	o := &oauthSetup{gh: fakeGitHub(tb)}
	o.op = fakeupstream.NewOAuth(fakeupstream.OAuthOptions{
		ClientID: "sb-e2e", ClientSecret: "sb-e2e-secret", ClientAuth: "body", RotateRefresh: true, RequirePKCE: true,
		OnToken: func(token string, id fakeupstream.OAuthIdentity) {
			n, _ := strconv.ParseInt(id.Subject, 10, 64)
			o.gh.AddUser(token, id.Login, n)
			o.mu.Lock()
			o.tokens = append(o.tokens, token)
			o.mu.Unlock()
		},
	})
	tb.Cleanup(o.op.Close)
	o.op.AddIdentity(fakeupstream.OAuthIdentity{Subject: "7001", Login: "octo-work", Email: "octo@work.example", Name: "Octo Work"})
	o.op.AddIdentity(fakeupstream.OAuthIdentity{Subject: "7002", Login: "octo-home", Email: "octo@home.example", Name: "Octo Home"})
	o.config = filepath.Join(tb.TempDir(), "switchboard.yaml")
	body := "auth_configs:\n" +
		"  - id: ac_github_app\n    toolkit: github\n    scheme: oauth2\n    client_id: sb-e2e\n    client_secret_env: SB_E2E_GITHUB_SECRET\n" +
		"    authorize_url: " + o.op.AuthorizeURL() + "\n    token_url: " + o.op.TokenURL() + "\n    revoke_url: " + o.op.RevokeURL() + "\n" +
		"toolkit_urls:\n  github: " + o.gh.URL() + "\n"
	if err := os.WriteFile(o.config, []byte(body), 0o600); err != nil {
		tb.Fatal(err)
	}
	return o
}

func (o *oauthSetup) env() []string { return []string{"SB_E2E_GITHUB_SECRET=sb-e2e-secret"} }

// browserJar keeps the cookies of the one browser the tests play: a
// sign-in may only be finished by the browser that started it.
var browserJar, _ = cookiejar.New(nil)

// noRedirect is a client that lets the test see each redirect.
var noRedirect = &http.Client{Jar: browserJar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// browser is that browser following redirects.
var browser = &http.Client{Jar: browserJar}

// startOAuth opens the connect page and presses its button, returning the
// provider URL the page sent the browser to.
func startOAuth(tb testing.TB, link string) string {
	tb.Helper()
	return startOAuthTo(tb, link, "GitHub")
}

// startOAuthTo is startOAuth for a toolkit whose button names provider.
func startOAuthTo(tb testing.TB, link, provider string) string {
	tb.Helper()
	resp, err := http.Get(link)
	if err != nil {
		tb.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil || !strings.Contains(string(page), "Continue to "+provider) {
		tb.Fatalf("the connect page offers no sign-in button:\n%s", page)
	}
	resp, err = noRedirect.PostForm(link, url.Values{"csrf": {string(m[1])}, "action": {"oauth"}})
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		tb.Fatalf("the button answered %d, want a redirect to the provider", resp.StatusCode)
	}
	return resp.Header.Get("Location")
}

// follow opens the URL the provider sent the browser back to.
func follow(tb testing.TB, u *url.URL) (int, string) {
	tb.Helper()
	resp, err := browser.Get(u.String())
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestOAuthOverHTTP runs the OAuth connection through the real binary: the
// config file names the app, the connect page sends the person to the
// provider, the callback completes the account.
func TestOAuthOverHTTP(t *testing.T) {
	o := newOAuthSetup(t)
	srv := serve(t, t.TempDir(), o.env(), "--config", o.config, "--log-level", "debug")
	s := connectHTTP(t, srv.base+"/mcp", alice(nil))

	t.Run("ConnectThroughTheProvider", func(t *testing.T) {
		auth := s.ok(t, "authorize", map[string]any{"toolkit": "github"})
		target := startOAuth(t, auth["redirect_url"].(string))
		if !strings.HasPrefix(target, o.op.AuthorizeURL()) || !strings.Contains(target, "code_challenge_method=S256") ||
			!strings.Contains(target, url.QueryEscape(srv.base+"/oauth/callback")) {
			t.Errorf("provider URL %s", target)
		}
		back, err := o.op.Consent(target, "7002", true)
		if err != nil {
			t.Fatal(err)
		}
		status, page := follow(t, back)
		if status != http.StatusOK || !strings.Contains(page, "octo-home") || !strings.Contains(page, "close this tab") {
			t.Fatalf("callback answered %d:\n%s", status, page)
		}
		got := s.ok(t, "wait_for_connection", map[string]any{"connected_account_id": auth["connected_account_id"]})
		if got["status"] != "ACTIVE" || got["label"] != "octo-home" || got["active_in_session"] != true {
			t.Fatalf("wait_for_connection: %v", got)
		}
		s.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		o.mu.Lock()
		last := o.tokens[len(o.tokens)-1]
		o.mu.Unlock()
		if tok := lastToken(t, o.gh, "/user"); tok != last {
			t.Errorf("the call carried %q, want the token the provider issued", tok)
		}
		if v := o.op.LastTokenRequest().Get("code_verifier"); v == "" {
			t.Error("no PKCE verifier at the token endpoint")
		}
	})

	t.Run("DeniedConsentFails", func(t *testing.T) {
		notes := s.notes.count("notifications/tools/list_changed")
		auth := s.ok(t, "authorize", map[string]any{"toolkit": "github"})
		back, err := o.op.Consent(startOAuth(t, auth["redirect_url"].(string)), "7001", false)
		if err != nil {
			t.Fatal(err)
		}
		status, page := follow(t, back)
		if status != http.StatusBadRequest || !strings.Contains(page, "declined") {
			t.Errorf("denied consent page %d:\n%s", status, page)
		}
		got := s.ok(t, "wait_for_connection", map[string]any{"connected_account_id": auth["connected_account_id"], "timeout_seconds": 2})
		if got["status"] != "FAILED" || !strings.Contains(got["status_reason"].(string), "access_denied") {
			t.Errorf("after denial: %v", got)
		}
		// A failed link changes no tool listing: no list_changed for it.
		time.Sleep(300 * time.Millisecond)
		if n := s.notes.count("notifications/tools/list_changed"); n != notes {
			t.Errorf("a denied connection sent %d tools/list_changed", n-notes)
		}
	})

	t.Run("ReplayedCallbackRefused", func(t *testing.T) {
		auth := s.ok(t, "authorize", map[string]any{"toolkit": "github"})
		back, err := o.op.Consent(startOAuth(t, auth["redirect_url"].(string)), "7001", true)
		if err != nil {
			t.Fatal(err)
		}
		if status, _ := follow(t, back); status != http.StatusOK {
			t.Fatalf("first callback answered %d", status)
		}
		before := s.ok(t, "list_accounts", map[string]any{"include_inactive": true})
		status, page := follow(t, back)
		if status != http.StatusBadRequest || !strings.Contains(page, "already used") {
			t.Errorf("replayed callback answered %d:\n%s", status, page)
		}
		forged := *back
		q := forged.Query()
		q.Set("state", "forged")
		forged.RawQuery = q.Encode()
		if status, _ := follow(t, &forged); status != http.StatusBadRequest {
			t.Errorf("forged state answered %d", status)
		}
		after := s.ok(t, "list_accounts", map[string]any{"include_inactive": true})
		if len(before["accounts"].([]any)) != len(after["accounts"].([]any)) {
			t.Error("a refused callback changed the accounts")
		}
	})

	o.mu.Lock()
	defer o.mu.Unlock()
	for _, tok := range o.tokens {
		if strings.Contains(srv.logs.String(), tok) {
			t.Error("an OAuth token appears in the logs")
		}
	}
}

// TestConfigFileRefusedAtStart pins that a broken config file stops the
// server before it listens, with a message naming the problem.
func TestConfigFileRefusedAtStart(t *testing.T) {
	for name, tc := range map[string]struct{ body, want string }{
		"TypoedKey":      {"auth_config:\n  - id: x\n", "auth_config"},
		"MissingSecret":  {"auth_configs:\n  - id: ac_x\n    toolkit: github\n    scheme: oauth2\n    client_id: c\n    client_secret_env: SB_E2E_NOT_SET\n", "SB_E2E_NOT_SET"},
		"UnknownToolkit": {"auth_configs:\n  - id: ac_x\n    toolkit: gitlub\n    scheme: oauth2\n    client_id: c\n    client_secret: s\n", "gitlub"},
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "c.yaml")
			if err := os.WriteFile(path, []byte(tc.body), 0o600); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(binary, "serve", "--addr", freeAddr(t), "--data-dir", t.TempDir(), "--config", path).CombinedOutput()
			if err == nil || !strings.Contains(string(out), tc.want) {
				t.Errorf("err=%v, output:\n%s", err, out)
			}
		})
	}
}

// urlElicitor answers URL-mode elicitations like a client that shows the
// link to the person, recording what it was asked.
type urlElicitor struct {
	mu   sync.Mutex
	urls []string
}

func (e *urlElicitor) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	e.mu.Lock()
	e.urls = append(e.urls, req.Params.URL)
	e.mu.Unlock()
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept}}, nil
}

// TestAuthorizeUsesURLElicitation pins that a client declaring URL-mode
// elicitation is shown the connect link by the protocol itself.
func TestAuthorizeUsesURLElicitation(t *testing.T) {
	gh := fakeGitHub(t)
	srv := serve(t, t.TempDir(), nil, "--toolkit-url", "github="+gh.URL())
	e := &urlElicitor{}
	caps := mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{URL: &struct{}{}}}
	//lint:ignore SA1019 legacy sessions (initialize, GET stream) are what these tests exercise
	s, err := tryConnectHTTP(srv.base+"/mcp", alice(nil), mcpclient.WithLegacyProtocolOnly(), mcpclient.WithElicitationHandler(e), mcpclient.WithClientCapabilities(caps))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got := s.ok(t, "authorize", map[string]any{"toolkit": "github"})
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.urls) != 1 || e.urls[0] != got["redirect_url"] || got["elicitation"] != "accept" {
		t.Errorf("elicited %v; result %v", e.urls, got)
	}
	plain := connectHTTP(t, srv.base+"/mcp", alice(nil))
	if got := plain.ok(t, "authorize", map[string]any{"toolkit": "github"}); got["elicitation"] != nil {
		t.Errorf("a client without elicitation got %v", got["elicitation"])
	}
}
