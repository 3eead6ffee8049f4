package e2e

import (
	"maps"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBadInput pins that bad input is answered clearly and loses nothing.
func TestBadInput(t *testing.T) {
	gh := fakeGitHub(t)
	srv := serve(t, t.TempDir(), nil, "--toolkit-url", "github="+gh.URL(), "--link-ttl", "2s", "--max-body-bytes", "4096")
	mcpURL := srv.base + "/mcp"
	s := connectHTTP(t, mcpURL, alice(nil))
	connectAccount(t, s, "github", aliceWorkToken, "work")

	t.Run("MalformedConnectedAccountsIs400", func(t *testing.T) {
		for _, v := range []string{"github", "github=", "=ca_1", "nosuchtoolkit=ca_1", "github=work,github=work"} {
			status, body := rawInitialize(t, mcpURL, alice(map[string]string{"X-Connected-Accounts": v}))
			if status != http.StatusBadRequest || !strings.Contains(body, `"error"`) || !strings.Contains(body, "X-Connected-Accounts") {
				t.Errorf("X-Connected-Accounts %q: %d %s", v, status, body)
			}
		}
	})

	t.Run("MalformedHeadersAre400", func(t *testing.T) {
		for h, v := range map[string]string{"X-Toolkits": "github,nosuch", "X-Require-Explicit-Selection": "maybe", "X-User-Id": "has space"} {
			status, body := rawInitialize(t, mcpURL, alice(map[string]string{h: v}))
			if status != http.StatusBadRequest || !strings.Contains(body, h) {
				t.Errorf("%s %q: %d %s", h, v, status, body)
			}
		}
	})

	// One value per class of character accounts.CheckIdentifier refuses.
	// Go's HTTP client sends no other control byte than tab, and its JSON
	// encoder turns invalid UTF-8 into U+FFFD, so that class is tested in
	// headers only.
	invisible := map[string]string{
		"Tab": "\t", "C1Control": "\u009b", "RightToLeftOverride": "\u202e", "Isolate": "\u2066",
		"ZeroWidthSpace": "\u200b", "ZeroWidthJoiner": "\u200d", "WordJoiner": "\u2060", "ByteOrderMark": "\ufeff",
	}

	t.Run("InvisibleCharactersInHeadersAre400", func(t *testing.T) {
		classes := maps.Clone(invisible)
		classes["InvalidUTF8"] = "\xff"
		for class, c := range classes {
			for h, v := range map[string]string{"X-User-Id": "ali" + c + "ce", "X-Connected-Accounts": "github=wo" + c + "rk", "X-Toolkits": "git" + c + "hub"} {
				status, header, body := rawInitializeHeader(t, mcpURL, alice(map[string]string{h: v}))
				if status != http.StatusBadRequest || !strings.Contains(body, h) || !strings.Contains(body, `"jsonrpc"`) {
					t.Errorf("%s with %s: %d %s", h, class, status, body)
				}
				if sid := header.Get("Mcp-Session-Id"); sid != "" {
					t.Errorf("%s with %s reached MCP handling: session %s", h, class, sid)
				}
			}
		}
	})

	t.Run("InvisibleCharactersInAliasRefused", func(t *testing.T) {
		for class, c := range invisible {
			e := s.fails(t, "INVALID_ARGUMENTS", "authorize", map[string]any{"toolkit": "github", "alias": "wo" + c + "rk"})
			if !strings.Contains(e["message"].(string), "alias") {
				t.Errorf("alias with %s: %v", class, e)
			}
		}
	})

	t.Run("UnknownToolkit", func(t *testing.T) {
		e := s.fails(t, "TOOLKIT_UNKNOWN", "authorize", map[string]any{"toolkit": "nosuch"})
		if !strings.Contains(e["message"].(string), "github") {
			t.Errorf("the error does not list the known toolkits: %v", e)
		}
		s.fails(t, "TOOLKIT_UNKNOWN", "select_account", map[string]any{"toolkit": "nosuch", "account": "x"})
	})

	t.Run("InvalidArgumentsNeverReachUpstream", func(t *testing.T) {
		gh.Reset()
		s.fails(t, "INVALID_ARGUMENTS", "GITHUB_CREATE_ISSUE", map[string]any{"owner": "alice-work", "repo": "demo"})
		s.fails(t, "INVALID_ARGUMENTS", "GITHUB_LIST_REPOSITORIES", map[string]any{"per_page": "lots"})
		s.fails(t, "INVALID_ARGUMENTS", "select_account", map[string]any{"toolkit": "github"})
		s.fails(t, "INVALID_ARGUMENTS", "wait_for_connection", map[string]any{"connected_account_id": "ca_x", "timeout_seconds": 9999})
		if n := len(gh.Requests()); n != 0 {
			t.Errorf("invalid arguments caused %d upstream requests", n)
		}
	})

	t.Run("ReusedLinkRefused", func(t *testing.T) {
		auth := s.ok(t, "authorize", map[string]any{"toolkit": "github"})
		link := auth["redirect_url"].(string)
		if status, _ := completeLink(t, link, alicePersonalToken, ""); status != http.StatusOK {
			t.Fatalf("first use answered %d", status)
		}
		status, body := completeLink(t, link, bobToken, "")
		if status != http.StatusGone || !strings.Contains(body, "already used") {
			t.Errorf("reused link answered %d:\n%s", status, body)
		}
		if got := s.ok(t, "list_accounts", nil)["accounts"].([]any); len(got) != 2 {
			t.Errorf("a reused link changed the accounts: %v", got)
		}
	})

	t.Run("RejectedCredentialKeepsLinkUsable", func(t *testing.T) {
		auth := s.ok(t, "authorize", map[string]any{"toolkit": "github"})
		link := auth["redirect_url"].(string)
		status, body := completeLink(t, link, "ghp_wrong", "")
		if status != http.StatusUnprocessableEntity || !strings.Contains(body, "did not accept") {
			t.Fatalf("a wrong token answered %d:\n%s", status, body)
		}
		if status, _ := completeLink(t, link, bobToken, "bobs"); status != http.StatusOK {
			t.Errorf("the link did not stay usable after a failed check: %d", status)
		}
	})

	t.Run("ExpiredLinkFails", func(t *testing.T) {
		auth := s.ok(t, "authorize", map[string]any{"toolkit": "github"})
		time.Sleep(2100 * time.Millisecond)
		status, body := completeLink(t, auth["redirect_url"].(string), alicePersonalToken, "")
		if status != http.StatusGone || !strings.Contains(body, "expired") {
			t.Errorf("expired link answered %d:\n%s", status, body)
		}
		got := s.ok(t, "wait_for_connection", map[string]any{"connected_account_id": auth["connected_account_id"], "timeout_seconds": 1})
		if got["status"] != "FAILED" || got["status_reason"] == nil {
			t.Errorf("expired link's account: %v", got)
		}
	})

	t.Run("OversizedBodyIs413", func(t *testing.T) {
		status, body := rawPost(t, mcpURL, alice(nil), `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"pad":"`+strings.Repeat("x", 5000)+`"}}`)
		if status != http.StatusRequestEntityTooLarge || !strings.Contains(body, "exceeds") {
			t.Errorf("oversized body answered %d %s", status, body)
		}
	})

	t.Run("WrongOriginIs403", func(t *testing.T) {
		status, body := rawInitialize(t, mcpURL, alice(map[string]string{"Origin": "https://evil.example"}))
		if status != http.StatusForbidden || !strings.Contains(body, "Origin") {
			t.Errorf("foreign Origin answered %d %s", status, body)
		}
		if status, _ := rawInitialize(t, mcpURL, alice(map[string]string{"Origin": srv.base})); status != http.StatusOK {
			t.Errorf("own Origin answered %d", status)
		}
	})

	t.Run("ForeignHostIs403", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodGet, srv.base+"/healthz", nil)
		req.Host = "rebound.example:80"
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("DNS-rebinding Host answered %d", resp.StatusCode)
		}
	})

	t.Run("StatelessClientSeesSameTools", func(t *testing.T) {
		modern, err := connectStateless(mcpURL, alice(nil))
		if err != nil {
			t.Fatal(err)
		}
		defer modern.Close()
		if v := modern.ProtocolVersion(); v != "2026-07-28" {
			t.Fatalf("the client negotiated %q, want the stateless 2026-07-28", v)
		}
		legacy := s.toolNames(t)
		got := modern.toolNames(t)
		slices.Sort(legacy)
		slices.Sort(got)
		if !slices.Equal(legacy, got) {
			t.Errorf("stateless client sees %v, legacy %v", got, legacy)
		}
		modern.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
	})
}

// TestAPIKeys pins operator keys: required when configured, bound to sessions,
// and dev mode only on loopback.
func TestAPIKeys(t *testing.T) {
	gh := fakeGitHub(t)
	srv := serve(t, t.TempDir(), []string{"SWITCHBOARD_API_KEYS=key-one,key-two"}, "--toolkit-url", "github="+gh.URL())
	mcpURL := srv.base + "/mcp"

	t.Run("MissingOrWrongKeyIs401", func(t *testing.T) {
		for _, h := range []map[string]string{{}, {"Authorization": "Bearer nope"}, {"X-Api-Key": "key-three"}} {
			h["X-User-Id"] = "alice"
			if status, body := rawInitialize(t, mcpURL, h); status != http.StatusUnauthorized || !strings.Contains(body, "API key") {
				t.Errorf("%v answered %d %s", h, status, body)
			}
		}
	})

	t.Run("UserIdRequiredWithKey", func(t *testing.T) {
		if status, _ := rawInitialize(t, mcpURL, map[string]string{"Authorization": "Bearer key-one"}); status != http.StatusBadRequest {
			t.Errorf("no X-User-Id answered %d", status)
		}
	})

	t.Run("SessionBoundToKey", func(t *testing.T) {
		s := connectHTTP(t, mcpURL, map[string]string{"Authorization": "Bearer key-one", "X-User-Id": "alice"})
		id := s.GetSessionId()
		status, _ := rawPost(t, mcpURL, map[string]string{"X-Api-Key": "key-two", "X-User-Id": "alice", "Mcp-Session-Id": id, "MCP-Protocol-Version": "2025-06-18"}, toolsList)
		if status != http.StatusNotFound {
			t.Errorf("session reused with another key answered %d", status)
		}
		status, _ = rawPost(t, mcpURL, map[string]string{"X-Api-Key": "key-one", "X-User-Id": "alice", "Mcp-Session-Id": id, "MCP-Protocol-Version": "2025-06-18"}, toolsList)
		if status != http.StatusOK {
			t.Errorf("session with its own key answered %d", status)
		}
	})

	t.Run("DevModeRefusedOffLoopback", func(t *testing.T) {
		out, err := exec.Command(binary, "serve", "--addr", "0.0.0.0:0", "--data-dir", t.TempDir()).CombinedOutput()
		if err == nil || !strings.Contains(string(out), "without an API key") {
			t.Errorf("serve on 0.0.0.0 without keys: err=%v\n%s", err, out)
		}
	})
}
