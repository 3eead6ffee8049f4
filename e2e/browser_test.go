package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// consentRun is what e2e/node/browser-consent.mjs prints.
type consentRun struct {
	FinalURL    string `json:"finalURL"`
	Title       string `json:"title"`
	Text        string `json:"text"`
	Status      int    `json:"status"`
	ConnectPage struct {
		Status int    `json:"status"`
		Title  string `json:"title"`
		Text   string `json:"text"`
	} `json:"connectPage"`
	ConsentPage struct {
		URL  string `json:"url"`
		Text string `json:"text"`
	} `json:"consentPage"`
	Navigations []struct {
		URL    string `json:"url"`
		Status int    `json:"status"`
	} `json:"navigations"`
	Blocked []string `json:"blocked"`
	Error   string   `json:"error"`
}

// consentInBrowser opens link in headless Chromium and goes through the
// fake provider's consent choosing identity, approving or denying. The
// screenshot of the final page stays in the test's temporary directory.
func consentInBrowser(t *testing.T, node, chromium, link, identity, decision string) *consentRun {
	t.Helper()
	shot := filepath.Join(t.TempDir(), decision+".png")
	in, _ := json.Marshal(map[string]any{
		"link": link, "identity": identity, "decision": decision, "chromium": chromium, "screenshot": shot,
		"expect": map[string]string{"toolkit": "GitHub", "user": "alice"},
	})
	stdout, stderr, code := runNode(t, node, 2*time.Minute, in, nil, "browser-consent.mjs")
	var out consentRun
	if err := json.Unmarshal(stdout, &out); err != nil {
		t.Fatalf("browser-consent.mjs exited %d without JSON (%v):\n%s\nstderr:\n%s", code, err, stdout, stderr)
	}
	if code != 0 {
		t.Fatalf("the browser flow failed (exit %d): %s\nended on %s %q:\n%s\nstderr:\n%s", code, out.Error, out.FinalURL, out.Title, out.Text, stderr)
	}
	if png, err := os.ReadFile(shot); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("no PNG screenshot at %s: %v", shot, err)
	} else {
		t.Logf("screenshot of the final page: %s (%d bytes)", shot, len(png))
	}
	if len(out.Blocked) != 0 {
		t.Errorf("the browser tried to leave loopback: %v", out.Blocked)
	}
	return &out
}

// TestBrowserOAuthConsent drives the OAuth consent of a GitHub account the
// way a person does it, in headless Chromium: the agent calls authorize
// (mcp-go's client), the browser opens the link, continues to the fake
// provider, chooses an identity and approves — or denies.
func TestBrowserOAuthConsent(t *testing.T) {
	node, chromium := needChromium(t)
	o := newOAuthSetup(t)
	srv := serve(t, t.TempDir(), o.env(), "--config", o.config)
	s := connectHTTP(t, srv.base+"/mcp", alice(nil))

	checkConnectPage := func(t *testing.T, run *consentRun) {
		t.Helper()
		if run.ConnectPage.Status != http.StatusOK || !strings.Contains(run.ConnectPage.Text, "GitHub") || !strings.Contains(run.ConnectPage.Text, "alice") {
			t.Errorf("connect page (%d) should name the toolkit and the user:\n%s", run.ConnectPage.Status, run.ConnectPage.Text)
		}
		if !strings.HasPrefix(run.ConsentPage.URL, o.op.AuthorizeURL()) {
			t.Errorf("the button led to %s, want the provider's authorize URL", run.ConsentPage.URL)
		}
		if !strings.HasPrefix(run.FinalURL, srv.base+"/oauth/callback") {
			t.Errorf("the browser ended on %s, want switchboard's callback", run.FinalURL)
		}
	}

	t.Run("Approve", func(t *testing.T) {
		auth := s.ok(t, "authorize", map[string]any{"toolkit": "github"})
		run := consentInBrowser(t, node, chromium, auth["redirect_url"].(string), "octo-home", "approve")
		checkConnectPage(t, run)
		if !strings.Contains(run.ConsentPage.Text, "octo-home") || !strings.Contains(run.ConsentPage.Text, "octo-work") {
			t.Errorf("the provider did not offer both identities:\n%s", run.ConsentPage.Text)
		}
		if run.Status != http.StatusOK || !strings.Contains(run.Text, "octo-home") || !strings.Contains(run.Text, "close this tab") {
			t.Errorf("success page (%d) should name the account and say the tab can be closed:\n%s", run.Status, run.Text)
		}
		got := s.ok(t, "wait_for_connection", map[string]any{"connected_account_id": auth["connected_account_id"], "timeout_seconds": 10})
		if got["status"] != "ACTIVE" || got["label"] != "octo-home" || got["active_in_session"] != true {
			t.Fatalf("wait_for_connection: %v", got)
		}
		m := mark(o.gh)
		s.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		o.mu.Lock()
		issued := o.tokens[len(o.tokens)-1]
		o.mu.Unlock()
		if tok := userTokenSince(t, o.gh, m); tok != issued {
			t.Errorf("the call carried %q, want the token the provider issued", tok)
		}
	})

	t.Run("Deny", func(t *testing.T) {
		auth := s.ok(t, "authorize", map[string]any{"toolkit": "github"})
		run := consentInBrowser(t, node, chromium, auth["redirect_url"].(string), "octo-work", "deny")
		checkConnectPage(t, run)
		if !strings.Contains(run.Text, "declined") {
			t.Errorf("after Deny the page (%d) should say the authorization was declined:\n%s", run.Status, run.Text)
		}
		if strings.Contains(run.Text, "close this tab") && strings.Contains(run.Text, "Connected") {
			t.Errorf("after Deny the page claims a connection:\n%s", run.Text)
		}
		got := s.ok(t, "wait_for_connection", map[string]any{"connected_account_id": auth["connected_account_id"], "timeout_seconds": 5})
		if reason, _ := got["status_reason"].(string); got["status"] != "FAILED" || !strings.Contains(reason, "access_denied") {
			t.Errorf("after denial: %v", got)
		}
		list := s.ok(t, "list_accounts", map[string]any{"toolkit": "github"})["accounts"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["label"] != "octo-home" {
			t.Errorf("denial changed the active accounts: %v", list)
		}
	})
}
