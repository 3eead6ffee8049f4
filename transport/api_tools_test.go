package transport

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAPISessionToolkitsAndTools(t *testing.T) {
	w := newAPIWorld(t)
	sess, token := w.newSession(t, map[string]any{"user_id": "alice"})
	id := sess["id"].(string)

	t.Run("BeforeAnyAccount", func(t *testing.T) {
		tk := w.do(t, "GET", "/api/v1/sessions/"+id+"/toolkits", token, nil).want(t, http.StatusOK, "")
		gh := toolkitItem(t, tk, "github")
		if gh["connected"] != false || gh["connected_account"] != nil || gh["selected_by"] != nil {
			t.Errorf("github before any account: %v", gh)
		}
		if e, _ := gh["selection_error"].(map[string]any); e["code"] != "ACCOUNT_REQUIRED" {
			t.Errorf("selection_error = %v", gh["selection_error"])
		}
		tools := w.do(t, "GET", "/api/v1/sessions/"+id+"/tools", token, nil).want(t, http.StatusOK, "")
		if n := len(tools.body["items"].([]any)); n != 0 {
			t.Errorf("%d tools listed with no account and no toolkit named", n)
		}
	})

	work := w.connect(t, id, token, aliceWork, "work")
	home := w.connect(t, id, token, alicePersonal, "home")

	t.Run("MostRecentThenSession", func(t *testing.T) {
		// The link was issued by this session, so the newest account is its
		// selection (rule 4); a new session follows rule 3's default.
		gh := toolkitItem(t, w.do(t, "GET", "/api/v1/sessions/"+id+"/toolkits", opKey, nil).want(t, http.StatusOK, ""), "github")
		if gh["connected_account"].(map[string]any)["id"] != home || gh["selected_by"] != "session" || gh["account_count"] != float64(2) {
			t.Errorf("github in the linking session: %v", gh)
		}
		fresh, freshToken := w.newSession(t, map[string]any{"user_id": "alice"})
		gh = toolkitItem(t, w.do(t, "GET", "/api/v1/sessions/"+fresh["id"].(string)+"/toolkits", freshToken, nil).want(t, http.StatusOK, ""), "github")
		if acct := gh["connected_account"].(map[string]any); acct["id"] != home || acct["alias"] != "home" || acct["label"] != "alice-home" || gh["selected_by"] != "default" {
			t.Errorf("github in a new session: %v", gh)
		}
		pinned, pinnedToken := w.newSession(t, map[string]any{"user_id": "alice", "connected_accounts": map[string]any{"github": work}})
		gh = toolkitItem(t, w.do(t, "GET", "/api/v1/sessions/"+pinned["id"].(string)+"/toolkits", pinnedToken, nil).want(t, http.StatusOK, ""), "github")
		if gh["connected_account"].(map[string]any)["id"] != work || gh["selected_by"] != "session" {
			t.Errorf("github in a pinned session: %v", gh)
		}
	})
	t.Run("ToolsOfConnectedToolkits", func(t *testing.T) {
		tools := w.do(t, "GET", "/api/v1/sessions/"+id+"/tools", token, nil).want(t, http.StatusOK, "")
		items := tools.body["items"].([]any)
		if len(items) != len(w.svc.Catalog().Toolkit("github").Tools) {
			t.Errorf("%d tools, want github's %d", len(items), len(w.svc.Catalog().Toolkit("github").Tools))
		}
		for _, it := range items {
			tool := it.(map[string]any)
			schema, _ := tool["input_schema"].(map[string]any)
			ann, _ := tool["annotations"].(map[string]any)
			if tool["toolkit"] != "github" || schema["type"] != "object" || len(ann) != 4 {
				t.Errorf("tool %v", tool)
			}
		}
	})
	t.Run("NamedToolkitListsAhead", func(t *testing.T) {
		named, namedToken := w.newSession(t, map[string]any{"user_id": "carol", "toolkits": []string{"github", "gmail"}})
		path := "/api/v1/sessions/" + named["id"].(string)
		tools := w.do(t, "GET", path+"/tools", namedToken, nil).want(t, http.StatusOK, "")
		for _, it := range tools.body["items"].([]any) {
			if it.(map[string]any)["toolkit"] != "github" {
				t.Errorf("lists %v", it.(map[string]any)["name"])
			}
		}
		if n := len(tools.body["items"].([]any)); n != len(w.svc.Catalog().Toolkit("github").Tools) {
			t.Errorf("a session naming github lists %d tools before any account, want all of github's", n)
		}
		// Gmail has no auth config here: no one can connect it, so its
		// tools are not listed, and its state says what the operator lacks.
		gm := toolkitItem(t, w.do(t, "GET", path+"/toolkits", namedToken, nil).want(t, http.StatusOK, ""), "gmail")
		if e, _ := gm["selection_error"].(map[string]any); e["code"] != "TOOLKIT_NOT_CONFIGURED" || !strings.Contains(e["message"].(string), "SWITCHBOARD_OAUTH_GMAIL_CLIENT_ID") {
			t.Errorf("gmail = %v", gm)
		}
		w.do(t, "POST", path+"/link", namedToken, map[string]any{"toolkit": "gmail"}).want(t, http.StatusConflict, "TOOLKIT_NOT_CONFIGURED")
	})
}

func TestAPIExecute(t *testing.T) {
	w := newAPIWorld(t)
	sess, token := w.newSession(t, map[string]any{"user_id": "alice"})
	id := sess["id"].(string)
	path := "/api/v1/sessions/" + id + "/execute"

	t.Run("NoAccount", func(t *testing.T) {
		w.do(t, "POST", path, token, map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER"}).want(t, http.StatusConflict, "ACCOUNT_REQUIRED")
	})
	work := w.connect(t, id, token, aliceWork, "work")
	w.connect(t, id, token, alicePersonal, "home")

	t.Run("ActsAsTheSessionsAccount", func(t *testing.T) {
		w.do(t, "PATCH", "/api/v1/sessions/"+id, opKey, map[string]any{"connected_accounts": map[string]any{"github": "work"}}).want(t, http.StatusOK, "")
		for _, cred := range []string{token, opKey} {
			got := w.do(t, "POST", path, cred, map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER", "arguments": map[string]any{}}).want(t, http.StatusOK, "")
			acct := got.body["account"].(map[string]any)
			if acct["id"] != work || acct["selected_by"] != "session" || acct["toolkit"] != "github" {
				t.Errorf("account = %v", acct)
			}
			if tok := w.lastGitHubToken(t); tok != aliceWork {
				t.Errorf("the upstream saw %q, want the work account's token", tok)
			}
			if !strings.Contains(got.body["text"].(string), "alice-work") || got.body["result"] == nil {
				t.Errorf("text/result = %s", got.raw)
			}
		}
	})
	t.Run("ArgumentsRefusedBeforeUpstream", func(t *testing.T) {
		before := len(w.gh.Requests())
		for name, body := range map[string]any{
			"UnknownArgument": map[string]any{"tool": "GITHUB_GET_REPOSITORY", "arguments": map[string]any{"owner": "a", "repo": "b", "extra": 1}},
			"MissingArgument": map[string]any{"tool": "GITHUB_GET_REPOSITORY", "arguments": map[string]any{"owner": "a"}},
			"WrongType":       map[string]any{"tool": "GITHUB_GET_REPOSITORY", "arguments": map[string]any{"owner": 1, "repo": "b"}},
			"ArgumentsString": `{"tool":"GITHUB_GET_REPOSITORY","arguments":"owner=a"}`,
			"ArgumentsArray":  `{"tool":"GITHUB_GET_REPOSITORY","arguments":[]}`,
			"ArgumentsNumber": `{"tool":"GITHUB_GET_REPOSITORY","arguments":7}`,
		} {
			t.Run(name, func(t *testing.T) {
				w.do(t, "POST", path, token, body).want(t, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS")
			})
		}
		if after := len(w.gh.Requests()); after != before {
			t.Errorf("refused arguments made %d upstream requests", after-before)
		}
	})
	t.Run("Malformed", func(t *testing.T) {
		w.do(t, "POST", path, token, map[string]any{"tool": "NO_SUCH_TOOL"}).want(t, http.StatusNotFound, "NOT_FOUND")
		w.do(t, "POST", path, token, map[string]any{}).want(t, http.StatusBadRequest, "INVALID_ARGUMENTS")
		w.do(t, "POST", path, token, map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER", "args": map[string]any{}}).want(t, http.StatusBadRequest, "INVALID_ARGUMENTS")
	})
	t.Run("InactiveNeverFallsBack", func(t *testing.T) {
		w.do(t, "POST", "/api/v1/connected_accounts/"+work+"/disable", opKey, nil).want(t, http.StatusOK, "")
		defer w.do(t, "POST", "/api/v1/connected_accounts/"+work+"/enable", opKey, nil)
		before := len(w.gh.Requests())
		got := w.do(t, "POST", path, token, map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER"}).want(t, http.StatusConflict, "ACCOUNT_INACTIVE")
		if acct := got.body["error"].(map[string]any)["account"].(map[string]any); acct["id"] != work {
			t.Errorf("the refusal names %v", acct)
		}
		if after := len(w.gh.Requests()); after != before {
			t.Errorf("a disabled selection reached the upstream (%d requests)", after-before)
		}
	})
	t.Run("UpstreamFailure", func(t *testing.T) {
		w.gh.Fail("/user", http.StatusBadGateway, nil, "", 10)
		defer w.gh.Reset()
		got := w.do(t, "POST", path, token, map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER"})
		if got.status/100 != 5 || !strings.HasPrefix(got.code(), "UPSTREAM_") {
			t.Errorf("an upstream 502 answered %d %s", got.status, got.raw)
		}
	})
}

func TestAPILink(t *testing.T) {
	w := newAPIWorld(t)
	sess, token := w.newSession(t, map[string]any{"user_id": "alice", "toolkits": []string{"github"}})
	id := sess["id"].(string)
	path := "/api/v1/sessions/" + id + "/link"

	t.Run("CallbackAfterCompletion", func(t *testing.T) {
		link := w.do(t, "POST", path, token, map[string]any{
			"toolkit": "github", "auth_config": "ac_github_bearer_token", "alias": "work",
			"callback_url": "https://app.example.com/done?step=2",
		}).want(t, http.StatusCreated, "")
		caID := link.body["connected_account_id"].(string)
		if link.body["status"] != "INITIATED" || !strings.HasPrefix(link.body["redirect_url"].(string), w.base+"/connect/") {
			t.Errorf("link = %s", link.raw)
		}
		resp := completeLink(t, link.body["redirect_url"].(string), aliceWork)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Host != "app.example.com" || loc.Path != "/done" {
			t.Fatalf("completion answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
		q := loc.Query()
		if q.Get("status") != "success" || q.Get("connected_account_id") != caID || q.Get("step") != "2" {
			t.Errorf("callback query = %v", q)
		}
		acct := w.do(t, "GET", "/api/v1/connected_accounts/"+caID, opKey, nil).want(t, http.StatusOK, "")
		if acct.body["status"] != "ACTIVE" || acct.body["alias"] != "work" {
			t.Errorf("account = %s", acct.raw)
		}
	})
	t.Run("CallbackOnDenial", func(t *testing.T) {
		link := w.do(t, "POST", path, opKey, map[string]any{"toolkit": "github", "callback_url": "https://app.example.com/done"}).want(t, http.StatusCreated, "")
		back := w.oauthConsent(t, link.body["redirect_url"].(string), false)
		resp, err := noRedirect.Get(back)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || loc == nil || loc.Host != "app.example.com" || loc.Query().Get("status") != "failed" ||
			loc.Query().Get("connected_account_id") != link.body["connected_account_id"] {
			t.Errorf("denial answered %d to %q", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	for _, tt := range []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"CallbackOtherHost", map[string]any{"toolkit": "github", "callback_url": "https://evil.example.net/x"}, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS"},
		{"CallbackLookalikeHost", map[string]any{"toolkit": "github", "callback_url": "https://app.example.com.evil.net/x"}, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS"},
		{"CallbackWithCredentials", map[string]any{"toolkit": "github", "callback_url": "https://user:pw@app.example.com/x"}, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS"},
		{"CallbackNotHTTP", map[string]any{"toolkit": "github", "callback_url": "javascript:alert(1)"}, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS"},
		{"CallbackRelative", map[string]any{"toolkit": "github", "callback_url": "/done"}, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS"},
		{"NoToolkit", map[string]any{}, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"UnknownToolkit", map[string]any{"toolkit": "myspace"}, http.StatusUnprocessableEntity, "TOOLKIT_UNKNOWN"},
		{"ToolkitNotInSession", map[string]any{"toolkit": "gmail"}, http.StatusForbidden, "TOOLKIT_NOT_ENABLED"},
		{"UnknownAccountToReauthorize", map[string]any{"toolkit": "github", "account": "ca_nope"}, http.StatusNotFound, "ACCOUNT_NOT_FOUND"},
		{"UnknownField", map[string]any{"toolkit": "github", "user_id": "bob"}, http.StatusBadRequest, "INVALID_ARGUMENTS"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w.do(t, "POST", path, token, tt.body).want(t, tt.status, tt.code)
		})
	}
}

// oauthConsent plays the person through an OAuth connect link: the page's
// button, then the provider's consent, approving or not. It returns the
// URL the provider sends the browser back to.
func (w *apiWorld) oauthConsent(tb testing.TB, link string, approve bool) string {
	tb.Helper()
	resp, err := http.Get(link)
	if err != nil {
		tb.Fatal(err)
	}
	page := new(strings.Builder)
	_, _ = io.Copy(page, resp.Body)
	resp.Body.Close()
	m := csrfField.FindStringSubmatch(page.String())
	if m == nil {
		tb.Fatalf("connect page without a form:\n%s", page)
	}
	resp, err = noRedirect.PostForm(link, url.Values{"csrf": {m[1]}, "action": {"oauth"}})
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	back, err := w.op.Consent(resp.Header.Get("Location"), octo.Subject, approve)
	if err != nil {
		tb.Fatal(err)
	}
	return back.String()
}
