package e2e

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"switchboard/internal/fakeupstream"
)

// Tokens of the fake GitHub: alice has two logins, bob one.
const (
	aliceWorkToken     = "ghp_aliceWorkTokenAAAAAAAAAAAAAAAAAAAA"
	alicePersonalToken = "ghp_alicePersonalTokenBBBBBBBBBBBBBBBB"
	bobToken           = "ghp_bobTokenCCCCCCCCCCCCCCCCCCCCCCCCCC"
)

func fakeGitHub(tb testing.TB) *fakeupstream.GitHub {
	tb.Helper()
	gh := fakeupstream.NewGitHub()
	gh.AddUser(aliceWorkToken, "alice-work", 1001)
	gh.AddUser(alicePersonalToken, "alice-home", 1002)
	gh.AddUser(bobToken, "bob", 2001)
	tb.Cleanup(gh.Close)
	return gh
}

// lastToken returns the token of the last request the fake GitHub saw on path.
func lastToken(tb testing.TB, gh *fakeupstream.GitHub, path string) string {
	tb.Helper()
	reqs := gh.Requests()
	for i := len(reqs) - 1; i >= 0; i-- {
		if reqs[i].Path == path {
			return reqs[i].Token
		}
	}
	tb.Fatalf("the fake GitHub saw no request to %s", path)
	return ""
}

func alice(extra map[string]string) map[string]string {
	h := map[string]string{"X-User-Id": "alice"}
	for k, v := range extra {
		h[k] = v
	}
	return h
}

// TestHTTP walks the core issue's user story over streamable HTTP, one
// numbered point per subtest, against one server and data dir.
func TestHTTP(t *testing.T) {
	gh := fakeGitHub(t)
	dataDir := t.TempDir()
	// Debug logging, so the search for tokens in the logs covers every line.
	srv := serve(t, dataDir, nil, "--toolkit-url", "github="+gh.URL(), "--log-level", "debug")
	mcpURL := srv.base + "/mcp"
	var first, second, aliceSessionID string

	t.Run("1_ServePrintsWhereItListens", func(t *testing.T) {
		if !strings.Contains(srv.logs.String(), mcpURL) {
			t.Errorf("the log does not say where it listens (%s):\n%s", mcpURL, srv.logs)
		}
		if _, err := os.Stat(filepath.Join(dataDir, "switchboard.db")); err != nil {
			t.Errorf("no SQLite store in the data dir: %v", err)
		}
	})

	s := connectHTTP(t, mcpURL, alice(nil))
	aliceSessionID = s.GetSessionId()

	t.Run("2_ConnectWithPersonalAccessToken", func(t *testing.T) {
		if names := s.toolNames(t); slices.Contains(names, "GITHUB_GET_AUTHENTICATED_USER") {
			t.Errorf("GitHub tools listed before any account is connected: %v", names)
		}
		auth := s.ok(t, "authorize", map[string]any{"toolkit": "github"})
		resp, err := http.Get(auth["redirect_url"].(string))
		if err != nil {
			t.Fatal(err)
		}
		page, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, want := range []string{"GitHub", "Personal access token", "alice", `type="password"`} {
			if !strings.Contains(string(page), want) {
				t.Errorf("connect page lacks %q", want)
			}
		}
		status, body := completeLink(t, auth["redirect_url"].(string), aliceWorkToken, "")
		if status != http.StatusOK || !strings.Contains(body, "alice-work") {
			t.Fatalf("connect page answered %d:\n%s", status, body)
		}
		if tok := lastToken(t, gh, "/user"); tok != aliceWorkToken {
			t.Errorf("identity check used token %q", tok)
		}
		got := s.ok(t, "wait_for_connection", map[string]any{"connected_account_id": auth["connected_account_id"]})
		if got["status"] != "ACTIVE" || got["label"] != "alice-work" {
			t.Fatalf("wait_for_connection = %v", got)
		}
		first = got["connected_account_id"].(string)
		if !s.notes.await("notifications/tools/list_changed", 3*time.Second) {
			t.Errorf("no notifications/tools/list_changed after the account connected")
		}
		if names := s.toolNames(t); !slices.Contains(names, "GITHUB_GET_AUTHENTICATED_USER") {
			t.Errorf("GitHub tools not listed after connecting: %v", names)
		}
	})

	t.Run("3_SecondAccountIsActive", func(t *testing.T) {
		second = connectAccount(t, s, "github", alicePersonalToken, "home")
		list := s.ok(t, "list_accounts", nil)["accounts"].([]any)
		if len(list) != 2 {
			t.Fatalf("list_accounts has %d accounts, want 2: %v", len(list), list)
		}
		byID := map[string]map[string]any{}
		for _, a := range list {
			m := a.(map[string]any)
			byID[m["id"].(string)] = m
		}
		if byID[second]["label"] != "alice-home" || byID[second]["alias"] != "home" || byID[first]["label"] != "alice-work" {
			t.Errorf("labels/aliases wrong: %v", list)
		}
		// Rule 4: authorizing inside this session made the new account the
		// session's own choice; other sessions get it as the default.
		if byID[second]["active_in_session"] != true || byID[second]["selected_by"] != "session" || byID[first]["active_in_session"] != false {
			t.Errorf("second account should be active, chosen by the session: %v", list)
		}
		other := connectHTTP(t, mcpURL, alice(nil))
		for _, a := range other.ok(t, "list_accounts", nil)["accounts"].([]any) {
			m := a.(map[string]any)
			if (m["id"] == second) != (m["active_in_session"] == true) || (m["id"] == second && m["selected_by"] != "default") {
				t.Errorf("in a new session the most recent account should be active by default: %v", m)
			}
		}
	})

	t.Run("4_SelectSwitchesAndNewSessionsUseMostRecent", func(t *testing.T) {
		got := s.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		if tok := lastToken(t, gh, "/user"); tok != alicePersonalToken {
			t.Fatalf("acted with %q, want the second account's token", tok)
		}
		if acct := got["account"].(map[string]any); acct["id"] != second {
			t.Errorf("result names account %v, want %s", acct, second)
		}
		for _, ref := range []string{"alice-work", first} {
			s.ok(t, "select_account", map[string]any{"toolkit": "github", "account": ref})
			s.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
			if tok := lastToken(t, gh, "/user"); tok != aliceWorkToken {
				t.Fatalf("after select_account %q acted with %q", ref, tok)
			}
		}
		fresh := connectHTTP(t, mcpURL, alice(nil))
		fresh.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		if tok := lastToken(t, gh, "/user"); tok != alicePersonalToken {
			t.Errorf("a new session acted with %q, want the most recent account", tok)
		}
	})

	t.Run("5_HeaderFixesTheAccount", func(t *testing.T) {
		fixed := connectHTTP(t, mcpURL, alice(map[string]string{"X-Connected-Accounts": "github=" + first}))
		fixed.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		if tok := lastToken(t, gh, "/user"); tok != aliceWorkToken {
			t.Errorf("header session acted with %q, want the first account", tok)
		}
		fixed.fails(t, "ACCOUNT_FIXED_BY_HEADER", "select_account", map[string]any{"toolkit": "github", "account": second})
		byAlias := connectHTTP(t, mcpURL, alice(map[string]string{"X-Connected-Accounts": "github=home"}))
		byAlias.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		if tok := lastToken(t, gh, "/user"); tok != alicePersonalToken {
			t.Errorf("header by alias acted with %q", tok)
		}
	})

	t.Run("6_BobCannotReachAlice", func(t *testing.T) {
		bob := connectHTTP(t, mcpURL, map[string]string{"X-User-Id": "bob"})
		if list := bob.ok(t, "list_accounts", map[string]any{"include_inactive": true})["accounts"].([]any); len(list) != 0 {
			t.Errorf("bob sees accounts: %v", list)
		}
		foreign := bob.fails(t, "ACCOUNT_NOT_FOUND", "select_account", map[string]any{"toolkit": "github", "account": first})
		unknown := bob.fails(t, "ACCOUNT_NOT_FOUND", "select_account", map[string]any{"toolkit": "github", "account": "ca_doesnotexist"})
		if strings.ReplaceAll(foreign["message"].(string), first, "X") != strings.ReplaceAll(unknown["message"].(string), "ca_doesnotexist", "X") {
			t.Errorf("foreign and unknown ids answered differently:\n%v\n%v", foreign, unknown)
		}
		bob.fails(t, "ACCOUNT_NOT_FOUND", "select_account", map[string]any{"toolkit": "github", "account": "alice-work"})

		fs, fb := rawInitialize(t, mcpURL, map[string]string{"X-User-Id": "bob", "X-Connected-Accounts": "github=" + first})
		us, ub := rawInitialize(t, mcpURL, map[string]string{"X-User-Id": "bob", "X-Connected-Accounts": "github=ca_doesnotexist"})
		if fs != http.StatusForbidden || us != http.StatusForbidden {
			t.Errorf("foreign override answered %d, unknown %d; want 403 for both", fs, us)
		}
		if strings.ReplaceAll(fb, first, "X") != strings.ReplaceAll(ub, "ca_doesnotexist", "X") {
			t.Errorf("foreign and unknown overrides answered differently:\n%s\n%s", fb, ub)
		}

		rs, rb := rawPost(t, mcpURL, map[string]string{"X-User-Id": "bob", "Mcp-Session-Id": aliceSessionID, "MCP-Protocol-Version": "2025-06-18"}, toolsList)
		ns, nb := rawPost(t, mcpURL, map[string]string{"X-User-Id": "bob", "Mcp-Session-Id": "ses_doesnotexist", "MCP-Protocol-Version": "2025-06-18"}, toolsList)
		if rs != http.StatusNotFound || ns != http.StatusNotFound || rb != nb {
			t.Errorf("reusing alice's session as bob: %d %s; unknown session: %d %s", rs, rb, ns, nb)
		}
	})

	t.Run("8_RestartKeepsEverythingAndSealsCredentials", func(t *testing.T) {
		s.ok(t, "select_account", map[string]any{"toolkit": "github", "account": "alice-work"})
		s.Close()
		srv.stop(t)
		for _, name := range []string{"switchboard.db", "switchboard.db-wal"} {
			b, err := os.ReadFile(filepath.Join(dataDir, name))
			if err != nil && name == "switchboard.db" {
				t.Fatal(err)
			}
			for _, tok := range []string{aliceWorkToken, alicePersonalToken} {
				if bytes.Contains(b, []byte(tok)) {
					t.Errorf("%s holds a token in clear", name)
				}
			}
		}
		again := serve(t, dataDir, nil, "--toolkit-url", "github="+gh.URL(), "--log-level", "debug")
		// The old MCP session id still works and keeps its selection.
		status, body := rawPost(t, again.base+"/mcp", map[string]string{"X-User-Id": "alice", "Mcp-Session-Id": aliceSessionID, "MCP-Protocol-Version": "2025-06-18"},
			`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"list_accounts","arguments":{}}}`)
		if status != http.StatusOK || !strings.Contains(body, `\"alias\":\"home\"`) && !strings.Contains(body, `"alias":"home"`) {
			t.Fatalf("after restart list_accounts answered %d: %s", status, body)
		}
		status, _ = rawPost(t, again.base+"/mcp", map[string]string{"X-User-Id": "alice", "Mcp-Session-Id": aliceSessionID, "MCP-Protocol-Version": "2025-06-18"},
			`{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"GITHUB_GET_AUTHENTICATED_USER","arguments":{}}}`)
		if status != http.StatusOK {
			t.Fatalf("tool call after restart answered %d", status)
		}
		if tok := lastToken(t, gh, "/user"); tok != aliceWorkToken {
			t.Errorf("after restart the session acted with %q, want its selection (the first account)", tok)
		}
		for _, tok := range []string{aliceWorkToken, alicePersonalToken} {
			if strings.Contains(srv.logs.String()+again.logs.String(), tok) {
				t.Errorf("a token appears in the logs")
			}
		}
	})
}

const toolsList = `{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`

// rawPost sends one JSON-RPC message and returns the status and body.
func rawPost(tb testing.TB, url string, headers map[string]string, body string) (int, string) {
	tb.Helper()
	status, _, b := rawPostHeader(tb, url, headers, body)
	return status, b
}

// rawPostHeader is rawPost that also returns the response's header.
func rawPostHeader(tb testing.TB, url string, headers map[string]string, body string) (int, http.Header, string) {
	tb.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

const rawInitializeBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`

func rawInitialize(tb testing.TB, url string, headers map[string]string) (int, string) {
	tb.Helper()
	return rawPost(tb, url, headers, rawInitializeBody)
}

// rawInitializeHeader is rawInitialize that also returns the response's header.
func rawInitializeHeader(tb testing.TB, url string, headers map[string]string) (int, http.Header, string) {
	tb.Helper()
	return rawPostHeader(tb, url, headers, rawInitializeBody)
}
