package transport

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

func TestAPICreateSession(t *testing.T) {
	w := newAPIWorld(t)
	alice, aliceToken := w.newSession(t, map[string]any{"user_id": "alice"})
	work := w.connect(t, alice["id"].(string), aliceToken, aliceWork, "work")
	bob, bobST := w.newSession(t, map[string]any{"user_id": "bob"})
	bobsAccount := w.connect(t, bob["id"].(string), bobST, bobToken, "")

	t.Run("ReturnsURLAndToken", func(t *testing.T) {
		before := time.Now().UTC().Truncate(time.Second)
		body, token := w.newSession(t, map[string]any{
			"user_id": "alice", "connected_accounts": map[string]any{"github": "work"},
			"toolkits": []string{"github", "gmail"}, "require_explicit_selection": true, "ttl": 3600, "tool_mode": "search",
		})
		id := body["id"].(string)
		if !strings.HasPrefix(id, "ses_") || body["user_id"] != "alice" {
			t.Errorf("id %q user %v", id, body["user_id"])
		}
		mcp := body["mcp"].(map[string]any)
		if mcp["type"] != "http" || mcp["url"] != w.base+"/sessions/"+id+"/mcp" {
			t.Errorf("mcp = %v", mcp)
		}
		wantConfig := map[string]any{
			"connected_accounts": map[string]any{"github": work}, "toolkits": []any{"github", "gmail"},
			"auth_configs": map[string]any{}, "require_explicit_selection": true, "tool_mode": "search",
		}
		if diff := cmp.Diff(wantConfig, body["config"]); diff != "" {
			t.Errorf("config (-want +got):\n%s", diff)
		}
		expires, err := time.Parse(time.RFC3339, body["expires_at"].(string))
		if err != nil || expires.Before(before.Add(time.Hour)) || expires.After(before.Add(time.Hour+5*time.Second)) {
			t.Errorf("expires_at %v, want an hour from now", body["expires_at"])
		}
		if token == aliceToken {
			t.Error("two sessions got the same token")
		}
	})
	t.Run("DefaultTTL", func(t *testing.T) {
		body, _ := w.newSession(t, map[string]any{"user_id": "alice"})
		expires, _ := time.Parse(time.RFC3339, body["expires_at"].(string))
		if d := time.Until(expires); d < 23*time.Hour || d > 25*time.Hour {
			t.Errorf("default expiry in %v, want 24h", d)
		}
		if body["config"].(map[string]any)["toolkits"] != nil {
			t.Errorf("toolkits = %v, want null (all)", body["config"])
		}
	})

	// Rule 8: another user's account answers exactly as an unknown one.
	t.Run("ForeignAccountAsUnknown", func(t *testing.T) {
		foreign := w.do(t, "POST", "/api/v1/sessions", opKey, map[string]any{"user_id": "alice", "connected_accounts": map[string]any{"github": bobsAccount}})
		unknown := w.do(t, "POST", "/api/v1/sessions", opKey, map[string]any{"user_id": "alice", "connected_accounts": map[string]any{"github": "ca_doesnotexist"}})
		foreign.want(t, http.StatusNotFound, "ACCOUNT_NOT_FOUND")
		unknown.want(t, http.StatusNotFound, "ACCOUNT_NOT_FOUND")
		if strings.ReplaceAll(foreign.message(), bobsAccount, "X") != strings.ReplaceAll(unknown.message(), "ca_doesnotexist", "X") {
			t.Errorf("foreign and unknown differ:\n%s\n%s", foreign.message(), unknown.message())
		}
	})

	for _, tt := range []struct {
		name   string
		cred   string
		body   any
		status int
		code   string
	}{
		{"NoKey", "", map[string]any{"user_id": "alice"}, http.StatusUnauthorized, "UNAUTHORIZED"},
		{"WrongKey", "nope", map[string]any{"user_id": "alice"}, http.StatusUnauthorized, "UNAUTHORIZED"},
		{"SessionTokenRefused", aliceToken, map[string]any{"user_id": "alice"}, http.StatusForbidden, "FORBIDDEN"},
		{"MissingUser", opKey, map[string]any{}, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"UserWithControlCharacter", opKey, map[string]any{"user_id": "al\nice"}, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		// Spaces at either end are refused, not trimmed: "alice\u00a0" is
		// not alice.
		{"UserWithSpaceAtTheEnd", opKey, map[string]any{"user_id": "alice "}, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"UserWithNoBreakSpace", opKey, map[string]any{"user_id": "alice\u00a0"}, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"UserWithIdeographicSpace", opKey, map[string]any{"user_id": "\u3000alice"}, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"UserWithNextLine", opKey, map[string]any{"user_id": "alice\u0085"}, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"UnknownField", opKey, map[string]any{"user_id": "alice", "mode": "x"}, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"UnknownToolMode", opKey, map[string]any{"user_id": "alice", "tool_mode": "auto"}, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS"},
		{"NotJSON", opKey, "{user_id", http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"NotAnObject", opKey, "[1]", http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"TwoObjects", opKey, `{"user_id":"a"}{"user_id":"b"}`, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"UserTwice", opKey, `{"user_id":"alice","user_id":"bob"}`, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"UserTwiceInAnotherCase", opKey, `{"user_id":"alice","User_Id":"bob"}`, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"WrongType", opKey, map[string]any{"user_id": "alice", "toolkits": "github"}, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"UnknownToolkit", opKey, map[string]any{"user_id": "alice", "toolkits": []string{"myspace"}}, http.StatusUnprocessableEntity, "TOOLKIT_UNKNOWN"},
		{"UnknownToolkitInAccounts", opKey, map[string]any{"user_id": "alice", "connected_accounts": map[string]any{"myspace": "x"}}, http.StatusUnprocessableEntity, "TOOLKIT_UNKNOWN"},
		{"UnknownAuthConfig", opKey, map[string]any{"user_id": "alice", "auth_configs": map[string]any{"github": "ac_nope"}}, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS"},
		{"TTLFraction", opKey, `{"user_id":"alice","ttl":90.5}`, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS"},
		{"TTLAsAString", opKey, `{"user_id":"alice","ttl":"3600"}`, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"TTLEmptyString", opKey, `{"user_id":"alice","ttl":""}`, http.StatusBadRequest, "INVALID_ARGUMENTS"},
		{"TTLExponent", opKey, `{"user_id":"alice","ttl":1e21}`, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS"},
		{"TTLTooShort", opKey, map[string]any{"user_id": "alice", "ttl": 5}, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS"},
		{"TTLTooLong", opKey, map[string]any{"user_id": "alice", "ttl": 31 * 24 * 3600}, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS"},
		{"TooLarge", opKey, `{"user_id":"` + strings.Repeat("a", 70<<10) + `"}`, http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w.do(t, "POST", "/api/v1/sessions", tt.cred, tt.body).want(t, tt.status, tt.code)
		})
	}
}

func TestAPIReadAndDeleteSession(t *testing.T) {
	w := newAPIWorld(t)
	alice, aliceToken := w.newSession(t, map[string]any{"user_id": "alice", "toolkits": []string{"github"}})
	id := alice["id"].(string)
	_, otherToken := w.newSession(t, map[string]any{"user_id": "alice"})

	t.Run("OperatorAndOwnToken", func(t *testing.T) {
		for _, cred := range []string{opKey, aliceToken} {
			got := w.do(t, "GET", "/api/v1/sessions/"+id, cred, nil).want(t, http.StatusOK, "")
			if got.body["id"] != id || got.body["user_id"] != "alice" {
				t.Errorf("GET = %s", got.raw)
			}
			if h := got.body["mcp"].(map[string]any)["headers"].(map[string]any); len(h) != 0 {
				t.Errorf("a read shows the token again: %v", h)
			}
		}
	})
	t.Run("RefusedAsUnknown", func(t *testing.T) {
		for name, cred := range map[string]string{"another session's token": otherToken, "another operator key": otherOpKey, "a forged token": "st_forged"} {
			if got := w.do(t, "GET", "/api/v1/sessions/"+id, cred, nil); got.status != http.StatusNotFound || got.code() != "NOT_FOUND" {
				t.Errorf("%s: %d %s", name, got.status, got.raw)
			}
		}
		w.do(t, "GET", "/api/v1/sessions/ses_unknown", opKey, nil).want(t, http.StatusNotFound, "NOT_FOUND")
		w.do(t, "GET", "/api/v1/sessions/"+id, "", nil).want(t, http.StatusUnauthorized, "UNAUTHORIZED")
	})
	t.Run("TokenCannotChangeOrEnd", func(t *testing.T) {
		w.do(t, "PATCH", "/api/v1/sessions/"+id, aliceToken, map[string]any{"toolkits": nil}).want(t, http.StatusForbidden, "FORBIDDEN")
		w.do(t, "DELETE", "/api/v1/sessions/"+id, aliceToken, nil).want(t, http.StatusForbidden, "FORBIDDEN")
		// Nor can it through the session's MCP route: a DELETE there ends
		// one connection, and the stored session's bare id is no
		// connection's.
		mcpDelete := func(cred, sid string) int {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, w.base+"/sessions/"+id+"/mcp", nil)
			req.Header.Set("Authorization", "Bearer "+cred)
			req.Header.Set(mcpserver.HeaderKeySessionID, sid)
			req.Header.Set(mcp.HeaderProtocolVersion, "2025-06-18")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp.StatusCode
		}
		if got := mcpDelete(aliceToken, id); got != http.StatusNotFound {
			t.Errorf("an MCP DELETE naming the stored session answered %d, want 404", got)
		}
		for _, cred := range []string{aliceToken, opKey} {
			init := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, w.base+"/sessions/"+id+"/mcp", strings.NewReader(init))
			req.Header.Set("Authorization", "Bearer "+cred)
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			conn := resp.Header.Get(mcpserver.HeaderKeySessionID)
			if resp.StatusCode != http.StatusOK || storedSessionID(conn) != id || conn == id {
				t.Fatalf("initialize answered %d with session %q", resp.StatusCode, conn)
			}
			if got := mcpDelete(cred, conn); got != http.StatusOK {
				t.Errorf("an MCP DELETE of the connection answered %d", got)
			}
			w.do(t, "GET", "/api/v1/sessions/"+id, opKey, nil).want(t, http.StatusOK, "")
		}
	})
	t.Run("Ended", func(t *testing.T) {
		short, shortToken := w.newSession(t, map[string]any{"user_id": "alice", "ttl": 60})
		w.skew.Store(int64(2 * time.Minute))
		defer w.skew.Store(0)
		w.do(t, "GET", "/api/v1/sessions/"+short["id"].(string), opKey, nil).want(t, http.StatusGone, "SESSION_EXPIRED")
		// The token of an ended session opens nothing, and says no more
		// than a wrong token would.
		w.do(t, "GET", "/api/v1/sessions/"+short["id"].(string), shortToken, nil).want(t, http.StatusNotFound, "NOT_FOUND")
		w.do(t, "GET", "/api/v1/sessions/"+short["id"].(string)+"/toolkits", shortToken, nil).want(t, http.StatusNotFound, "NOT_FOUND")
	})
	t.Run("Delete", func(t *testing.T) {
		w.do(t, "DELETE", "/api/v1/sessions/"+id, opKey, nil).want(t, http.StatusOK, "")
		w.do(t, "GET", "/api/v1/sessions/"+id, opKey, nil).want(t, http.StatusNotFound, "NOT_FOUND")
		w.do(t, "GET", "/api/v1/sessions/"+id+"/tools", aliceToken, nil).want(t, http.StatusNotFound, "NOT_FOUND")
		w.do(t, "DELETE", "/api/v1/sessions/"+id, opKey, nil).want(t, http.StatusNotFound, "NOT_FOUND")
	})
}

func TestAPIPatchSession(t *testing.T) {
	w := newAPIWorld(t)
	setup, setupToken := w.newSession(t, map[string]any{"user_id": "alice"})
	work := w.connect(t, setup["id"].(string), setupToken, aliceWork, "work")
	home := w.connect(t, setup["id"].(string), setupToken, alicePersonal, "home")
	bob, bobST := w.newSession(t, map[string]any{"user_id": "bob"})
	bobs := w.connect(t, bob["id"].(string), bobST, bobToken, "")

	sess, token := w.newSession(t, map[string]any{"user_id": "alice", "connected_accounts": map[string]any{"github": work}})
	id := sess["id"].(string)
	acting := func(t *testing.T) string {
		t.Helper()
		w.do(t, "POST", "/api/v1/sessions/"+id+"/execute", token, map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER"}).want(t, http.StatusOK, "")
		return w.lastGitHubToken(t)
	}
	if got := acting(t); got != aliceWork {
		t.Fatalf("the pinned account did not act: %q", got)
	}

	t.Run("SwitchAccount", func(t *testing.T) {
		got := w.do(t, "PATCH", "/api/v1/sessions/"+id, opKey, map[string]any{"connected_accounts": map[string]any{"github": "home"}}).want(t, http.StatusOK, "")
		if sel := got.body["config"].(map[string]any)["connected_accounts"]; !cmp.Equal(sel, map[string]any{"github": home}) {
			t.Errorf("connected_accounts = %v", sel)
		}
		if tok := acting(t); tok != alicePersonal {
			t.Errorf("after the switch the call used %q", tok)
		}
	})
	t.Run("NullReturnsToDefault", func(t *testing.T) {
		w.do(t, "PATCH", "/api/v1/sessions/"+id, opKey, map[string]any{"connected_accounts": map[string]any{"github": nil}}).want(t, http.StatusOK, "")
		tk := w.do(t, "GET", "/api/v1/sessions/"+id+"/toolkits", token, nil).want(t, http.StatusOK, "")
		gh := toolkitItem(t, tk, "github")
		if gh["selected_by"] != "default" || gh["connected_account"].(map[string]any)["id"] != home {
			t.Errorf("github after clearing: %v (want the most recent, %s, by default)", gh, home)
		}
	})
	t.Run("ToolkitsStrictnessAndTTL", func(t *testing.T) {
		got := w.do(t, "PATCH", "/api/v1/sessions/"+id, opKey, map[string]any{"toolkits": []string{"gmail"}, "require_explicit_selection": true, "ttl": 600, "tool_mode": "search"}).want(t, http.StatusOK, "")
		cfg := got.body["config"].(map[string]any)
		if !cmp.Equal(cfg["toolkits"], []any{"gmail"}) || cfg["require_explicit_selection"] != true || cfg["tool_mode"] != "search" {
			t.Errorf("config = %v", cfg)
		}
		expires, _ := time.Parse(time.RFC3339, got.body["expires_at"].(string))
		if d := time.Until(expires); d < 9*time.Minute || d > 11*time.Minute {
			t.Errorf("expires in %v, want 10 minutes", d)
		}
		w.do(t, "POST", "/api/v1/sessions/"+id+"/execute", token, map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER"}).want(t, http.StatusForbidden, "TOOLKIT_NOT_ENABLED")
		got = w.do(t, "PATCH", "/api/v1/sessions/"+id, opKey, map[string]any{"toolkits": nil, "tool_mode": nil}).want(t, http.StatusOK, "")
		if got.body["config"].(map[string]any)["toolkits"] != nil || got.body["config"].(map[string]any)["tool_mode"] != nil {
			t.Errorf("toolkits and tool_mode null did not return to the defaults: %s", got.raw)
		}
	})
	t.Run("RefusalsWriteNothing", func(t *testing.T) {
		before := w.do(t, "GET", "/api/v1/sessions/"+id, opKey, nil).want(t, http.StatusOK, "")
		foreign := w.do(t, "PATCH", "/api/v1/sessions/"+id, opKey, map[string]any{"toolkits": []string{"github"}, "connected_accounts": map[string]any{"github": bobs}})
		unknown := w.do(t, "PATCH", "/api/v1/sessions/"+id, opKey, map[string]any{"toolkits": []string{"github"}, "connected_accounts": map[string]any{"github": "ca_unknown"}})
		foreign.want(t, http.StatusNotFound, "ACCOUNT_NOT_FOUND")
		unknown.want(t, http.StatusNotFound, "ACCOUNT_NOT_FOUND")
		if strings.ReplaceAll(foreign.message(), bobs, "X") != strings.ReplaceAll(unknown.message(), "ca_unknown", "X") {
			t.Errorf("foreign and unknown differ:\n%s\n%s", foreign.message(), unknown.message())
		}
		w.do(t, "PATCH", "/api/v1/sessions/"+id, opKey, map[string]any{"toolkits": []string{"myspace"}}).want(t, http.StatusUnprocessableEntity, "TOOLKIT_UNKNOWN")
		w.do(t, "PATCH", "/api/v1/sessions/"+id, opKey, map[string]any{"connected_accounts": map[string]any{"github": ""}}).want(t, http.StatusBadRequest, "INVALID_ARGUMENTS")
		w.do(t, "PATCH", "/api/v1/sessions/"+id, opKey, map[string]any{"user_id": "bob"}).want(t, http.StatusBadRequest, "INVALID_ARGUMENTS")
		w.do(t, "PATCH", "/api/v1/sessions/"+id, opKey, map[string]any{"ttl": 1}).want(t, http.StatusUnprocessableEntity, "INVALID_ARGUMENTS")
		w.do(t, "PATCH", "/api/v1/sessions/"+id, otherOpKey, map[string]any{}).want(t, http.StatusNotFound, "NOT_FOUND")
		after := w.do(t, "GET", "/api/v1/sessions/"+id, opKey, nil).want(t, http.StatusOK, "")
		if diff := cmp.Diff(before.body, after.body); diff != "" {
			t.Errorf("refused PATCHes changed the session (-before +after):\n%s", diff)
		}
	})
}

// toolkitItem returns the item of slug in a toolkits answer.
func toolkitItem(tb testing.TB, r reply, slug string) map[string]any {
	tb.Helper()
	for _, it := range r.body["items"].([]any) {
		if m := it.(map[string]any); m["slug"] == slug {
			return m
		}
	}
	tb.Fatalf("no toolkit %s in %s", slug, r.raw)
	return nil
}
