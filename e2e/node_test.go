package e2e

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// sdkStory is alice's user story driven by the official TypeScript SDK
// (e2e/node/sdk-client.mjs) over streamable HTTP with headers. Each driver
// run is one Node process; a run that continues alice's session reconnects
// with its Mcp-Session-Id (no second initialize), as a client does after a
// restart — sessions live in the store.
type sdkStory struct {
	node, mcpURL string
}

func (s sdkStory) run(tb testing.TB, in driverInput) *driverOutput {
	tb.Helper()
	in.URL = s.mcpURL
	return drive(tb, s.node, "sdk-client.mjs", in)
}

// authorize calls authorize in session (a new one when empty) and returns
// the link, the account id and the session id.
func (s sdkStory) authorize(tb testing.TB, headers map[string]string, session string) (link, id, sessionID string) {
	tb.Helper()
	out := s.run(tb, driverInput{Headers: headers, ReuseSessionID: session, Steps: []step{callTool("authorize", map[string]any{"toolkit": "github"})}})
	auth := out.ok(tb, 0)
	link, _ = auth["redirect_url"].(string)
	id, _ = auth["connected_account_id"].(string)
	if !strings.Contains(link, "/connect/") || !strings.HasPrefix(id, "ca_") {
		tb.Fatalf("authorize through the SDK returned %v", auth)
	}
	if out.SessionID == "" {
		tb.Fatalf("the SDK got no Mcp-Session-Id from a legacy session")
	}
	return link, id, out.SessionID
}

func TestNodeSDKUserStory(t *testing.T) {
	node := needNode(t, "@modelcontextprotocol/sdk")
	gh := fakeGitHub(t)
	srv := serve(t, t.TempDir(), nil, "--toolkit-url", "github="+gh.URL())
	s := sdkStory{node: node, mcpURL: srv.base + "/mcp"}
	var first, second, session string

	t.Run("ConnectFirstAccount", func(t *testing.T) {
		link, id, sid := s.authorize(t, alice(nil), "")
		session = sid
		if status, body := completeLink(t, link, aliceWorkToken, "work"); status != http.StatusOK || !strings.Contains(body, "alice-work") {
			t.Fatalf("connect page answered %d:\n%s", status, body)
		}
		out := s.run(t, driverInput{Headers: alice(nil), ReuseSessionID: session, Steps: []step{
			callTool("wait_for_connection", map[string]any{"connected_account_id": id, "timeout_seconds": 10}),
		}})
		got := out.ok(t, 0)
		if got["status"] != "ACTIVE" || got["label"] != "alice-work" {
			t.Fatalf("wait_for_connection = %v", got)
		}
		first = got["connected_account_id"].(string)
	})
	if first == "" {
		t.FailNow()
	}

	t.Run("ConnectSecondAccountWithProgress", func(t *testing.T) {
		link, id, sid := s.authorize(t, alice(nil), session)
		if sid != session {
			t.Errorf("the reconnected SDK reports session %q, want %q", sid, session)
		}
		// The person opens the link while the agent is already waiting:
		// the server reports progress about once a second meanwhile.
		done := make(chan string, 1)
		go func() {
			time.Sleep(2500 * time.Millisecond)
			status, body := completeLinkNoFatal(link, alicePersonalToken, "home")
			if status != http.StatusOK || !strings.Contains(body, "alice-home") {
				done <- body
				return
			}
			done <- ""
		}()
		out := s.run(t, driverInput{Headers: alice(nil), ReuseSessionID: session, Progress: true, Steps: []step{
			callTool("wait_for_connection", map[string]any{"connected_account_id": id, "timeout_seconds": 30}),
		}})
		if problem := <-done; problem != "" {
			t.Fatalf("completing the link failed:\n%s", problem)
		}
		got := out.ok(t, 0)
		if got["status"] != "ACTIVE" || got["label"] != "alice-home" {
			t.Fatalf("wait_for_connection = %v", got)
		}
		second = got["connected_account_id"].(string)
		if len(out.Progress) == 0 {
			t.Errorf("no notifications/progress while waiting ~2.5 s for the connection (the SDK passed onprogress)")
		}
		for _, p := range out.Progress {
			if p.Tool != "wait_for_connection" {
				t.Errorf("progress for %q", p.Tool)
			}
		}
		t.Logf("%d progress notifications while waiting", len(out.Progress))
	})
	if second == "" {
		t.FailNow()
	}

	t.Run("ListAccountsShowsBothSecondActive", func(t *testing.T) {
		out := s.run(t, driverInput{Headers: alice(nil), ReuseSessionID: session, Steps: []step{callTool("list_accounts", nil)}})
		list, _ := out.ok(t, 0)["accounts"].([]any)
		if len(list) != 2 {
			t.Fatalf("list_accounts has %d accounts, want 2: %v", len(list), list)
		}
		byID := map[string]map[string]any{}
		for _, a := range list {
			m := a.(map[string]any)
			byID[m["id"].(string)] = m
		}
		if byID[first]["label"] != "alice-work" || byID[second]["label"] != "alice-home" || byID[second]["alias"] != "home" {
			t.Errorf("labels/aliases wrong: %v", list)
		}
		if byID[second]["active_in_session"] != true || byID[second]["selected_by"] != "session" || byID[first]["active_in_session"] != false {
			t.Errorf("the second account should be active in this session, chosen by it: %v", list)
		}
	})

	t.Run("ToolActsWithSecondAccountThenSelectSwitches", func(t *testing.T) {
		m := mark(gh)
		out := s.run(t, driverInput{Headers: alice(nil), ReuseSessionID: session, Steps: []step{callTool("GITHUB_GET_AUTHENTICATED_USER", nil)}})
		got := out.ok(t, 0)
		if tok := userTokenSince(t, gh, m); tok != alicePersonalToken {
			t.Fatalf("acted with %q, want the second account's token", tok)
		}
		if acct, _ := got["account"].(map[string]any); acct["id"] != second {
			t.Errorf("result names account %v, want %s", got["account"], second)
		}
		out = s.run(t, driverInput{Headers: alice(nil), ReuseSessionID: session, Steps: []step{
			callTool("select_account", map[string]any{"toolkit": "github", "account": "alice-work"}),
		}})
		out.ok(t, 0)
		m = mark(gh)
		out = s.run(t, driverInput{Headers: alice(nil), ReuseSessionID: session, Steps: []step{callTool("GITHUB_GET_AUTHENTICATED_USER", nil)}})
		out.ok(t, 0)
		if tok := userTokenSince(t, gh, m); tok != aliceWorkToken {
			t.Errorf("after select_account acted with %q, want the first account's token", tok)
		}
	})

	t.Run("NewSessionUsesMostRecent", func(t *testing.T) {
		m := mark(gh)
		out := s.run(t, driverInput{Headers: alice(nil), Steps: []step{callTool("GITHUB_GET_AUTHENTICATED_USER", nil), callTool("list_accounts", nil)}})
		out.ok(t, 0)
		if tok := userTokenSince(t, gh, m); tok != alicePersonalToken {
			t.Errorf("a new session acted with %q, want the most recent account", tok)
		}
		if out.SessionID == session {
			t.Errorf("a new SDK client got alice's old session id")
		}
		for _, a := range out.ok(t, 1)["accounts"].([]any) {
			m := a.(map[string]any)
			if (m["id"] == second) != (m["active_in_session"] == true) || m["id"] == second && m["selected_by"] != "default" {
				t.Errorf("in a new session the most recent account should be active by default: %v", m)
			}
		}
	})

	t.Run("HeaderFixesTheAccount", func(t *testing.T) {
		m := mark(gh)
		out := s.run(t, driverInput{Headers: alice(map[string]string{"X-Connected-Accounts": "github=" + first}), Steps: []step{
			callTool("GITHUB_GET_AUTHENTICATED_USER", nil),
			callTool("select_account", map[string]any{"toolkit": "github", "account": second}),
		}})
		out.ok(t, 0)
		if tok := userTokenSince(t, gh, m); tok != aliceWorkToken {
			t.Errorf("the header session acted with %q, want the first account", tok)
		}
		out.fails(t, 1, "ACCOUNT_FIXED_BY_HEADER")
	})

	t.Run("BobCannotReachAlice", func(t *testing.T) {
		bob := map[string]string{"X-User-Id": "bob"}
		out := s.run(t, driverInput{Headers: bob, Steps: []step{
			callTool("list_accounts", map[string]any{"include_inactive": true}),
			callTool("select_account", map[string]any{"toolkit": "github", "account": first}),
			listTools(),
		}})
		if list, _ := out.ok(t, 0)["accounts"].([]any); len(list) != 0 {
			t.Errorf("bob sees accounts: %v", list)
		}
		out.fails(t, 1, "ACCOUNT_NOT_FOUND")
		if names := out.tools(t, 2); slices.Contains(names, "GITHUB_GET_AUTHENTICATED_USER") {
			t.Errorf("bob, with no account, is offered GitHub tools: %v", names)
		}

		// Alice's account id in bob's header: refused before MCP handling.
		out = s.run(t, driverInput{Headers: map[string]string{"X-User-Id": "bob", "X-Connected-Accounts": "github=" + first}, AllowHTTPError: true, Steps: []step{listTools()}})
		if out.Error == nil || out.Error.Status != http.StatusForbidden || len(out.Results) != 0 {
			t.Errorf("bob naming alice's account in X-Connected-Accounts: %+v, results %d; want HTTP 403", out.Error, len(out.Results))
		}

		// Alice's MCP session id with bob's user id: refused like an unknown session.
		reused := s.run(t, driverInput{Headers: bob, ReuseSessionID: session, Steps: []step{listTools(), callTool("list_accounts", nil)}})
		unknown := s.run(t, driverInput{Headers: bob, ReuseSessionID: "ses_doesnotexist", Steps: []step{listTools()}})
		if reused.Error == nil || reused.Error.Status != http.StatusNotFound || len(reused.Results) != 0 {
			t.Errorf("bob reusing alice's session: error %+v, %d results; want HTTP 404 and nothing served", reused.Error, len(reused.Results))
		}
		if unknown.Error == nil || reused.Error == nil || unknown.Error.Status != reused.Error.Status {
			t.Errorf("alice's session and an unknown one answered differently: %+v vs %+v", reused.Error, unknown.Error)
		}
		// Alice's session is untouched.
		out = s.run(t, driverInput{Headers: alice(nil), ReuseSessionID: session, Steps: []step{callTool("list_accounts", nil)}})
		if list, _ := out.ok(t, 0)["accounts"].([]any); len(list) != 2 {
			t.Errorf("alice's session after bob's attempt lists %v", list)
		}
	})
}

// completeLinkNoFatal is completeLink for a goroutine other than the
// test's (which must not call t.Fatal): problems come back in the body.
func completeLinkNoFatal(link, credential, alias string) (int, string) {
	resp, err := http.Get(link)
	if err != nil {
		return 0, err.Error()
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		return resp.StatusCode, string(page)
	}
	resp, err = http.PostForm(link, url.Values{"csrf": {string(m[1])}, "credential": {credential}, "alias": {alias}})
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestNodeAgentsSDK pins that a stateless 2026-07-28 client (the OpenAI
// Agents SDK's MCPServerStreamableHttp) sees the same tools as a legacy
// client for the same user and can call them.
func TestNodeAgentsSDK(t *testing.T) {
	node := needNode(t, "@openai/agents", "@modelcontextprotocol/sdk")
	gh := fakeGitHub(t)
	srv := serve(t, t.TempDir(), nil, "--toolkit-url", "github="+gh.URL())
	mcpURL := srv.base + "/mcp"
	first := connectAccount(t, connectHTTP(t, mcpURL, alice(nil)), "github", aliceWorkToken, "")

	m := mark(gh)
	legacy := drive(t, node, "sdk-client.mjs", driverInput{URL: mcpURL, Headers: alice(nil), Steps: []step{listTools()}})
	agents := drive(t, node, "agents-client.mjs", driverInput{URL: mcpURL, Headers: alice(nil), Steps: []step{
		listTools(),
		callTool("GITHUB_GET_AUTHENTICATED_USER", nil),
		callTool("list_toolkits", nil),
	}})
	if agents.ProtocolVersion != "2026-07-28" || agents.ProtocolEra != "modern" || agents.SessionID != "" {
		t.Errorf("the Agents SDK negotiated %q (era %q, session %q); want the stateless 2026-07-28 revision",
			agents.ProtocolVersion, agents.ProtocolEra, agents.SessionID)
	}
	t.Logf("legacy SDK client: %s; Agents SDK: %s (%s)", legacy.ProtocolVersion, agents.ProtocolVersion, agents.ProtocolEra)
	if legacy.ProtocolVersion == "2026-07-28" {
		t.Errorf("the legacy SDK client negotiated %s", legacy.ProtocolVersion)
	}

	want, got := legacy.tools(t, 0), agents.tools(t, 0)
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(want, got) {
		t.Errorf("tools differ between eras for alice:\nlegacy (%s): %v\nstateless (%s): %v", legacy.ProtocolVersion, want, agents.ProtocolVersion, got)
	}
	if !slices.Contains(got, "GITHUB_GET_AUTHENTICATED_USER") {
		t.Errorf("the stateless client is not offered alice's GitHub tools: %v", got)
	}

	user := agents.ok(t, 1)
	if tok := userTokenSince(t, gh, m); tok != aliceWorkToken {
		t.Errorf("the stateless call acted with %q", tok)
	}
	if acct, _ := user["account"].(map[string]any); acct["id"] != first {
		t.Errorf("result names account %v, want %s", user["account"], first)
	}
	toolkits, _ := agents.ok(t, 2)["toolkits"].([]any)
	var github map[string]any
	for _, tk := range toolkits {
		if m, _ := tk.(map[string]any); m["slug"] == "github" {
			github = m
		}
	}
	if github == nil || github["connected"] != true {
		t.Errorf("list_toolkits over the stateless revision: github = %v (all: %v)", github, toolkits)
	} else if acct, _ := github["active_account"].(map[string]any); acct["id"] != first {
		t.Errorf("list_toolkits: github's active account %v, want %s", github["active_account"], first)
	}
}
