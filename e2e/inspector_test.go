package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// The MCP Inspector CLI (@modelcontextprotocol/inspector --cli) drives
// switchboard over stdio and streamable HTTP: each run is one process that
// connects, does one method, prints {"result": …} and exits.

func assertMetaTools(tb testing.TB, names []string) {
	tb.Helper()
	for _, m := range metaTools {
		if !slices.Contains(names, m) {
			tb.Errorf("tools/list lacks meta tool %s: %v", m, names)
		}
	}
}

// TestInspectorStdio runs `switchboard stdio` under the Inspector, with the
// user, data dir, toolkit URL and connect listener from the environment.
func TestInspectorStdio(t *testing.T) {
	node := needInspector(t)
	gh := fakeGitHub(t)
	dataDir := t.TempDir()
	stdio := func(user string, extraEnv ...string) []string {
		args := []string{"-e", "SWITCHBOARD_USER_ID=" + user, "-e", "SWITCHBOARD_DATA_DIR=" + dataDir,
			"-e", "SWITCHBOARD_TOOLKIT_URLS=github=" + gh.URL(), "-e", "SWITCHBOARD_CONNECT_ADDR=127.0.0.1:0"}
		for _, e := range extraEnv {
			args = append(args, "-e", e)
		}
		return args
	}
	server := []string{"--", binary, "stdio"}
	run := func(t *testing.T, user string, env []string, method ...string) (json.RawMessage, int) {
		t.Helper()
		args := append(append(stdio(user, env...), method...), server...)
		res, code, _ := inspect(t, node, args...)
		return res, code
	}

	t.Run("ToolsListHasMetaTools", func(t *testing.T) {
		res, _ := run(t, "alice", nil, "--method", "tools/list")
		names := inspectorTools(t, res)
		assertMetaTools(t, names)
		if slices.Contains(names, "GITHUB_GET_AUTHENTICATED_USER") {
			t.Errorf("GitHub tools listed before any account is connected: %v", names)
		}
	})

	t.Run("ListAccountsEmpty", func(t *testing.T) {
		res, code := run(t, "alice", nil, "--method", "tools/call", "--tool-name", "list_accounts")
		r := inspectorCall(t, res)
		if code != 0 || r.IsError {
			t.Fatalf("list_accounts: exit %d: %s", code, r.text())
		}
		if list, ok := r.StructuredContent["accounts"].([]any); !ok || len(list) != 0 {
			t.Errorf("list_accounts before connecting: %v", r.StructuredContent)
		}
	})

	// Connect alice's two accounts through a second stdio process on the same
	// data dir (mcp-go's client), whose connect listener stays up.
	s, _ := connectStdio(t, []string{"SWITCHBOARD_USER_ID=alice"}, "--data-dir", dataDir, "--toolkit-url", "github="+gh.URL())
	first := connectAccount(t, s, "github", aliceWorkToken, "work")

	t.Run("CallActsWithTheConnectedAccount", func(t *testing.T) {
		res, _ := run(t, "alice", nil, "--method", "tools/list")
		if names := inspectorTools(t, res); !slices.Contains(names, "GITHUB_GET_AUTHENTICATED_USER") {
			t.Errorf("GitHub tools not listed after connecting: %v", names)
		}
		m := mark(gh)
		res, code := run(t, "alice", nil, "--method", "tools/call", "--tool-name", "GITHUB_GET_AUTHENTICATED_USER")
		if r := inspectorCall(t, res); code != 0 || r.IsError {
			t.Fatalf("GITHUB_GET_AUTHENTICATED_USER: exit %d: %s", code, r.text())
		}
		if tok := userTokenSince(t, gh, m); tok != aliceWorkToken {
			t.Errorf("acted with %q, want alice's connected account", tok)
		}
		res, _ = run(t, "alice", nil, "--method", "tools/call", "--tool-name", "list_accounts", "--tool-arg", "toolkit=github")
		list, _ := inspectorCall(t, res).StructuredContent["accounts"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["id"] != first || list[0].(map[string]any)["label"] != "alice-work" {
			t.Errorf("list_accounts: %v", list)
		}
	})

	connectAccount(t, s, "github", alicePersonalToken, "home")

	t.Run("MostRecentThenOverrideFromEnv", func(t *testing.T) {
		m := mark(gh)
		run(t, "alice", nil, "--method", "tools/call", "--tool-name", "GITHUB_GET_AUTHENTICATED_USER")
		if tok := userTokenSince(t, gh, m); tok != alicePersonalToken {
			t.Errorf("a new stdio session acted with %q, want the most recent account", tok)
		}
		m = mark(gh)
		run(t, "alice", []string{"SWITCHBOARD_CONNECTED_ACCOUNTS=github=work"}, "--method", "tools/call", "--tool-name", "GITHUB_GET_AUTHENTICATED_USER")
		if tok := userTokenSince(t, gh, m); tok != aliceWorkToken {
			t.Errorf("with SWITCHBOARD_CONNECTED_ACCOUNTS=github=work acted with %q", tok)
		}
	})

	t.Run("BobSeesNothing", func(t *testing.T) {
		res, _ := run(t, "bob", nil, "--method", "tools/call", "--tool-name", "list_accounts", "--tool-args-json", `{"include_inactive":true}`)
		if list, _ := inspectorCall(t, res).StructuredContent["accounts"].([]any); len(list) != 0 {
			t.Errorf("bob sees %v", list)
		}
	})
}

// TestInspectorHTTP runs the Inspector against `switchboard serve` with
// headers, connecting an account through it.
func TestInspectorHTTP(t *testing.T) {
	node := needInspector(t)
	gh := fakeGitHub(t)
	srv := serve(t, t.TempDir(), nil, "--toolkit-url", "github="+gh.URL())
	httpArgs := func(headers ...string) []string {
		return append([]string{"--transport", "http", "--server-url", srv.base + "/mcp", "--header"}, headers...)
	}
	run := func(t *testing.T, args ...string) (nodeToolResult, int) {
		t.Helper()
		res, code, _ := inspect(t, node, args...)
		return inspectorCall(t, res), code
	}
	ok := func(t *testing.T, args ...string) map[string]any {
		t.Helper()
		r, code := run(t, args...)
		if code != 0 || r.IsError {
			t.Fatalf("inspector %v: exit %d: %s", args, code, r.text())
		}
		return r.StructuredContent
	}
	aliceArgs := httpArgs("X-User-Id: alice", "X-Toolkits: github")
	var first string

	t.Run("ToolsListAndListAccounts", func(t *testing.T) {
		res, _, _ := inspect(t, node, append(aliceArgs, "--method", "tools/list")...)
		assertMetaTools(t, inspectorTools(t, res))
		got := ok(t, append(aliceArgs, "--method", "tools/call", "--tool-name", "list_accounts", "--tool-args-json", `{"toolkit":"github"}`)...)
		if list, isList := got["accounts"].([]any); !isList || len(list) != 0 {
			t.Errorf("list_accounts: %v", got)
		}
	})

	t.Run("AuthorizeAndWaitThroughTheInspector", func(t *testing.T) {
		auth := ok(t, append(aliceArgs, "--method", "tools/call", "--tool-name", "authorize", "--tool-arg", "toolkit=github")...)
		link, _ := auth["redirect_url"].(string)
		id, _ := auth["connected_account_id"].(string)
		if !strings.HasPrefix(link, srv.base+"/connect/") || !strings.HasPrefix(id, "ca_") {
			t.Fatalf("authorize: %v", auth)
		}
		if status, body := completeLink(t, link, aliceWorkToken, ""); status != http.StatusOK || !strings.Contains(body, "alice-work") {
			t.Fatalf("connect page answered %d:\n%s", status, body)
		}
		got := ok(t, append(aliceArgs, "--method", "tools/call", "--tool-name", "wait_for_connection",
			"--tool-args-json", `{"connected_account_id":"`+id+`","timeout_seconds":10}`)...)
		if got["status"] != "ACTIVE" || got["label"] != "alice-work" {
			t.Fatalf("wait_for_connection: %v", got)
		}
		first = id
	})

	t.Run("ToolCallCarriesTheToken", func(t *testing.T) {
		res, _, _ := inspect(t, node, append(aliceArgs, "--method", "tools/list")...)
		if names := inspectorTools(t, res); !slices.Contains(names, "GITHUB_GET_AUTHENTICATED_USER") {
			t.Errorf("GitHub tools not listed after connecting: %v", names)
		}
		m := mark(gh)
		got := ok(t, append(aliceArgs, "--method", "tools/call", "--tool-name", "GITHUB_GET_AUTHENTICATED_USER")...)
		if tok := userTokenSince(t, gh, m); tok != aliceWorkToken {
			t.Errorf("acted with %q", tok)
		}
		if acct, _ := got["account"].(map[string]any); first != "" && acct["id"] != first {
			t.Errorf("result names account %v, want %s", got["account"], first)
		}
	})

	t.Run("StatelessEraSameTools", func(t *testing.T) {
		legacy, _, _ := inspect(t, node, append(aliceArgs, "--method", "tools/list")...)
		modern, _, _ := inspect(t, node, append(append([]string{"--protocol-era", "modern"}, aliceArgs...), "--method", "tools/list")...)
		a, b := inspectorTools(t, legacy), inspectorTools(t, modern)
		slices.Sort(a)
		slices.Sort(b)
		if !slices.Equal(a, b) {
			t.Errorf("legacy and 2026-07-28 eras list different tools:\n%v\n%v", a, b)
		}
		m := mark(gh)
		ok(t, append(append([]string{"--protocol-era", "modern"}, aliceArgs...), "--method", "tools/call", "--tool-name", "GITHUB_GET_AUTHENTICATED_USER")...)
		if tok := userTokenSince(t, gh, m); tok != aliceWorkToken {
			t.Errorf("stateless call acted with %q", tok)
		}
	})

	t.Run("BobSeesNothing", func(t *testing.T) {
		got := ok(t, append(httpArgs("X-User-Id: bob"), "--method", "tools/call", "--tool-name", "list_accounts", "--tool-args-json", `{"include_inactive":true}`)...)
		if list, _ := got["accounts"].([]any); len(list) != 0 {
			t.Errorf("bob sees %v", list)
		}
		r, code := run(t, append(httpArgs("X-User-Id: bob"), "--method", "tools/call", "--tool-name", "select_account",
			"--tool-args-json", `{"toolkit":"github","account":"`+first+`"}`)...)
		if e, _ := r.StructuredContent["error"].(map[string]any); code != 5 || !r.IsError || e["code"] != "ACCOUNT_NOT_FOUND" {
			t.Errorf("bob selecting alice's account: exit %d, %v", code, r.StructuredContent)
		}
	})
}
