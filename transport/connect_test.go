package transport

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"switchboard/accounts"
)

// TestConnectPageSpeaksToThePerson pins the connect page's words: a person
// reads them, so they say in plain words what happened and what to do,
// name the application that asks and when the link expires, tell a
// refused credential from a service that could not be reached, and never
// carry HTTP codes, error codes or tool names.
func TestConnectPageSpeaksToThePerson(t *testing.T) {
	w := newAPIWorld(t)
	sess, token := w.newSession(t, map[string]any{"user_id": "alice"})
	newLink := func(t *testing.T) string {
		t.Helper()
		r := w.do(t, "POST", "/api/v1/sessions/"+sess["id"].(string)+"/link", token, map[string]any{"toolkit": "github", "auth_config": "ac_github_bearer_token"})
		return r.want(t, http.StatusCreated, "").body["redirect_url"].(string)
	}
	forAgents := []string{"HTTP", "401", "403", "503", "authorize", "ACCOUNT_", "UPSTREAM_", "INVALID_", "wait_for_connection", "agent"}
	plain := func(t *testing.T, page string) {
		t.Helper()
		main := page[strings.Index(page, "<main>"):]
		for _, word := range forAgents {
			if strings.Contains(main, word) {
				t.Errorf("the page says %q, which is for agents:\n%s", word, main)
			}
		}
	}
	submitAs := func(t *testing.T, link, credential, alias string) (int, string) {
		t.Helper()
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := csrfField.FindSubmatch(page)
		resp, err = noRedirect.PostForm(link, url.Values{"csrf": {string(m[1])}, "credential": {credential}, "alias": {alias}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	submit := func(t *testing.T, link, credential string) (int, string) {
		t.Helper()
		return submitAs(t, link, credential, "")
	}

	t.Run("NamesTheAppAndTheExpiry", func(t *testing.T) {
		resp, err := http.Get(newLink(t))
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{"<strong>Switchboard</strong> asks to act in your GitHub account", "This link works until", "(in 10 minutes)",
			`<a href="https://github.com/settings/tokens" rel="noreferrer noopener" target="_blank">https://github.com/settings/tokens</a>`} {
			if !strings.Contains(string(page), want) {
				t.Errorf("the page lacks %q:\n%s", want, page)
			}
		}
		plain(t, string(page))
	})
	t.Run("WrongCredential", func(t *testing.T) {
		status, page := submit(t, newLink(t), "ghp_wrongwrongwrongwrongwrongwrong")
		if status != http.StatusUnprocessableEntity || !strings.Contains(page, "GitHub did not accept this credential") {
			t.Errorf("%d:\n%s", status, page)
		}
		plain(t, page)
	})
	t.Run("CredentialWithALineBreak", func(t *testing.T) {
		calls := len(w.gh.Requests())
		status, page := submit(t, newLink(t), aliceWork+"\r\nX-Evil: 1")
		if status != http.StatusUnprocessableEntity || !strings.Contains(page, "line break") || strings.Contains(page, "could not reach") {
			t.Errorf("%d:\n%s", status, page)
		}
		if len(w.gh.Requests()) != calls {
			t.Error("a credential that can never be sent was sent to GitHub")
		}
		plain(t, page)
	})
	t.Run("AliasThatCannotBeUsed", func(t *testing.T) {
		for _, alias := range []string{"wor\u200bk", "ca_work", "my work", strings.Repeat("a", 65)} {
			status, page := submitAs(t, newLink(t), aliceWork, alias)
			if status != http.StatusUnprocessableEntity || !strings.Contains(page, "cannot be used") {
				t.Errorf("alias %q: %d:\n%s", alias, status, page)
			}
			for _, technical := range []string{"U+", "byte", "UTF-8"} {
				if strings.Contains(page, technical) {
					t.Errorf("alias %q: the page says %q", alias, technical)
				}
			}
			plain(t, page)
		}
	})
	t.Run("ServiceUnreachable", func(t *testing.T) {
		w.gh.Fail("/user", http.StatusServiceUnavailable, nil, "", 20)
		defer w.gh.Reset()
		status, page := submit(t, newLink(t), aliceWork)
		if status != http.StatusUnprocessableEntity || !strings.Contains(page, "could not reach GitHub") || strings.Contains(page, "did not accept") {
			t.Errorf("%d:\n%s", status, page)
		}
		plain(t, page)
	})
	t.Run("UnknownAndUsedLinks", func(t *testing.T) {
		resp, err := http.Get(w.base + "/connect/not-a-token")
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(page), "ask for a new link") && !strings.Contains(string(page), "Ask for a new link") {
			t.Errorf("an unknown link:\n%s", page)
		}
		plain(t, string(page))
		link := newLink(t)
		completeLink(t, link, aliceWork)
		resp, err = http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		page, _ = io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(page), "already used") {
			t.Errorf("a used link:\n%s", page)
		}
		plain(t, string(page))
	})
}

// TestBatchRefusedWithReason: a JSON-RPC batch gets a message that says
// batches are not supported, not that the body is not JSON.
func TestBatchRefusedWithReason(t *testing.T) {
	w := newAPIWorld(t)
	got := w.doHeaders(t, "POST", "/mcp", `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`,
		map[string]string{"Authorization": "Bearer " + opKey, "X-User-Id": "alice", "Accept": "application/json, text/event-stream", "Content-Type": "application/json"})
	e, _ := got.body["error"].(map[string]any)
	if got.status != http.StatusBadRequest || !strings.Contains(e["message"].(string), "batches are not supported") {
		t.Errorf("a batch answered %d %s", got.status, got.raw)
	}
}

// TestToolModeHeaderChecked: X-Tool-Mode takes all, search or auto.
func TestToolModeHeaderChecked(t *testing.T) {
	w := newAPIWorld(t)
	init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	for mode, status := range map[string]int{"search": http.StatusOK, "ALL": http.StatusOK, "auto": http.StatusOK, "everything": http.StatusBadRequest} {
		got := w.doHeaders(t, "POST", "/mcp", init, map[string]string{"Authorization": "Bearer " + opKey, "X-User-Id": "alice", "X-Tool-Mode": mode,
			"Accept": "application/json, text/event-stream", "Content-Type": "application/json"})
		if got.status != status {
			t.Errorf("X-Tool-Mode %s: %d %s", mode, got.status, got.raw)
		}
	}
}

// TestSignInFinishesInItsBrowser: the provider's answer is refused when it
// comes back through another browser than the one that pressed the button
// (someone forwarded the consent page to another person), and the sign-in
// is spent, so that its code completes nothing afterwards, not even in the
// starter's browser; a cookie holding the state's hash, which the starter
// could compute, is not the one. The right browser finishes a sign-in of
// its own; the cookie is sent to the callback only.
func TestSignInFinishesInItsBrowser(t *testing.T) {
	w := newAPIWorld(t)
	sess, token := w.newSession(t, map[string]any{"user_id": "alice"})
	link := w.do(t, "POST", "/api/v1/sessions/"+sess["id"].(string)+"/link", token, map[string]any{"toolkit": "github"}).want(t, http.StatusCreated, "")
	id := link.body["connected_account_id"].(string)
	status := func() any {
		return w.do(t, "GET", "/api/v1/connected_accounts/"+id, opKey, nil).want(t, http.StatusOK, "").body["status"]
	}
	get := func(t *testing.T, client *http.Client, back string) (int, string) {
		t.Helper()
		resp, err := client.Get(back)
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, string(page)
	}

	for name, client := range map[string]func(u *url.URL, state string) *http.Client{
		"another browser": func(*url.URL, string) *http.Client { return &http.Client{CheckRedirect: noRedirect.CheckRedirect} },
		"a cookie made from the state": func(u *url.URL, state string) *http.Client {
			return &http.Client{CheckRedirect: noRedirect.CheckRedirect, Jar: forgedJar(t, u, signInCookie(state), accounts.HashToken(state))}
		},
	} {
		t.Run(name, func(t *testing.T) {
			back := w.oauthConsent(t, link.body["redirect_url"].(string), true)
			u, _ := url.Parse(back)
			state := u.Query().Get("state")
			if code, page := get(t, client(u, state), back); code != http.StatusBadRequest || !strings.Contains(page, "started in another browser") {
				t.Errorf("the callback answered %d:\n%s", code, page)
			}
			if got := status(); got != "INITIATED" {
				t.Errorf("the account is %v", got)
			}
			// The code is spent: the starter's browser cannot use it now.
			if code, page := get(t, noRedirect, back); code != http.StatusBadRequest || !strings.Contains(page, "already used") {
				t.Errorf("the starter's browser, after the refusal, got %d:\n%s", code, page)
			}
			if got := status(); got != "INITIATED" {
				t.Errorf("the account is %v", got)
			}
		})
	}

	back := w.oauthConsent(t, link.body["redirect_url"].(string), true)
	u, _ := url.Parse(back)
	name := signInCookie(u.Query().Get("state"))
	found := false
	for _, c := range noRedirect.Jar.Cookies(u) { // other tests' sign-ins too: ports share cookies
		found = found || c.Name == name
	}
	if !found {
		t.Fatalf("the browser holds no %s for the callback: %v", name, noRedirect.Jar.Cookies(u))
	}
	if other, _ := url.Parse(w.base + "/connect/x"); len(noRedirect.Jar.Cookies(other)) != 0 {
		t.Error("the sign-in cookie is sent beyond the callback")
	}
	if code, page := get(t, noRedirect, back); code != http.StatusOK {
		t.Fatalf("the browser that started the sign-in got %d:\n%s", code, page)
	}
	if got := status(); got != "ACTIVE" {
		t.Errorf("the account is %v after the right browser came back", got)
	}
	// The same browser coming back again is told the sign-in was used.
	if code, page := get(t, noRedirect, back); code != http.StatusBadRequest || !strings.Contains(page, "already used") {
		t.Errorf("a replay answered %d:\n%s", code, page)
	}
}

// forgedJar holds a cookie named name with a value of the attacker's making.
func forgedJar(tb testing.TB, u *url.URL, name, value string) http.CookieJar {
	tb.Helper()
	jar := newJar()
	jar.SetCookies(u, []*http.Cookie{{Name: name, Value: value, Path: "/oauth/callback"}})
	return jar
}

// TestSignInCookieFollowsTheCallback: the cookie's path is the path the
// provider sends the browser back to, a public URL's prefix included, and
// it is Secure when that is https.
func TestSignInCookieFollowsTheCallback(t *testing.T) {
	w := newAPIWorld(t)
	for redirect, secure := range map[string]bool{
		"https://sb.example.com/switchboard/oauth/callback": true,
		"http://127.0.0.1:8080/oauth/callback":              false,
	} {
		rec := httptest.NewRecorder()
		w.http.pages.bindSignIn(rec, "https://provider.example/authorize?state=s1&redirect_uri="+url.QueryEscape(redirect))
		cookies := rec.Result().Cookies()
		back, _ := url.Parse(redirect)
		if len(cookies) != 1 || cookies[0].Path != back.Path || cookies[0].Secure != secure || !cookies[0].HttpOnly || cookies[0].SameSite != http.SameSiteLaxMode {
			t.Errorf("for %s: %+v", redirect, cookies)
		}
	}
}

// TestDeclinedLinkPageNamesNoId: after the person declined at the
// provider, the link's page does not present the never-connected account
// as one being authorized again under its raw id.
func TestDeclinedLinkPageNamesNoId(t *testing.T) {
	w := newAPIWorld(t)
	sess, token := w.newSession(t, map[string]any{"user_id": "alice"})
	link := w.do(t, "POST", "/api/v1/sessions/"+sess["id"].(string)+"/link", token, map[string]any{"toolkit": "github"}).want(t, http.StatusCreated, "")
	id := link.body["connected_account_id"].(string)
	back := w.oauthConsent(t, link.body["redirect_url"].(string), false)
	resp, err := noRedirect.Get(back)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := w.do(t, "GET", "/api/v1/connected_accounts/"+id, opKey, nil).want(t, http.StatusOK, "").body["status"]; got != "FAILED" {
		t.Fatalf("after declining, the account is %v", got)
	}
	resp, err = http.Get(link.body["redirect_url"].(string))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if strings.Contains(string(page), id) || strings.Contains(string(page), " again") {
		t.Errorf("the page names the account by its id, as one connected before:\n%s", page)
	}
}
