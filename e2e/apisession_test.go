package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

const apiKey = "op-key-e2e-api"

// apiPost sends a JSON body to the application API with the operator key
// and decodes the answer, failing unless it has status want.
func apiCall(tb testing.TB, method, url string, body any, want int) map[string]any {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		tb.Fatalf("%s %s answered %d, want %d: %s", method, url, resp.StatusCode, want, raw)
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("%s %s: %v: %s", method, url, err, raw)
	}
	return out
}

// apiSession creates a session through the application API and returns
// its MCP URL and headers as an application hands them to a client.
func apiSession(tb testing.TB, base string, body map[string]any) (id, url string, headers map[string]string) {
	tb.Helper()
	s := apiCall(tb, "POST", base+"/api/v1/sessions", body, http.StatusCreated)
	mcp := s["mcp"].(map[string]any)
	headers = map[string]string{}
	for k, v := range mcp["headers"].(map[string]any) {
		headers[k] = v.(string)
	}
	return s["id"].(string), mcp["url"].(string), headers
}

// apiConnect connects a GitHub account for the session through its link
// route and the connect page.
func apiConnect(tb testing.TB, base, sessionID, credential string) {
	tb.Helper()
	link := apiCall(tb, "POST", base+"/api/v1/sessions/"+sessionID+"/link", map[string]any{"toolkit": "github"}, http.StatusCreated)
	if status, page := completeLink(tb, link["redirect_url"].(string), credential, ""); status != http.StatusOK {
		tb.Fatalf("connect page answered %d:\n%s", status, page)
	}
}

// TestSessionTokenWithTheOfficialClient hands mcp.url and mcp.headers from
// POST /api/v1/sessions to the official TypeScript client, as an
// application hands them to its user's MCP client: the session token opens
// that session as its user, and nothing else — not another session's URL,
// not /mcp for another user or its own, not after DELETE.
func TestSessionTokenWithTheOfficialClient(t *testing.T) {
	node := needNode(t, "@modelcontextprotocol/sdk")
	gh := fakeGitHub(t)
	srv := serve(t, t.TempDir(), []string{"SWITCHBOARD_API_KEYS=" + apiKey}, "--toolkit-url", "github="+gh.URL())

	aliceID, aliceURL, aliceHeaders := apiSession(t, srv.base, map[string]any{"user_id": "alice", "toolkits": []string{"github"}})
	apiConnect(t, srv.base, aliceID, aliceWorkToken)
	bobID, bobURL, _ := apiSession(t, srv.base, map[string]any{"user_id": "bob"})
	apiConnect(t, srv.base, bobID, bobToken)
	if len(aliceHeaders) != 1 || !strings.HasPrefix(aliceHeaders["Authorization"], "Bearer st_") {
		t.Fatalf("mcp.headers = %v", aliceHeaders)
	}

	t.Run("ActsAsTheSessionsUser", func(t *testing.T) {
		m := mark(gh)
		out := drive(t, node, "sdk-client.mjs", driverInput{URL: aliceURL, Headers: aliceHeaders, Steps: []step{
			listTools(), callTool("GITHUB_GET_AUTHENTICATED_USER", nil), callTool("list_accounts", nil),
		}})
		if names := out.tools(t, 0); !strings.Contains(strings.Join(names, ","), "GITHUB_GET_AUTHENTICATED_USER") {
			t.Errorf("tools = %v", names)
		}
		acct := out.ok(t, 1)["account"].(map[string]any)
		if acct["label"] != "alice-work" {
			t.Errorf("acted as %v", acct)
		}
		if tok := userTokenSince(t, gh, m); tok != aliceWorkToken {
			t.Errorf("GitHub saw %q, want alice's token", tok)
		}
		for _, a := range out.ok(t, 2)["accounts"].([]any) {
			if a.(map[string]any)["label"] == "bob" {
				t.Error("alice's session lists bob's account")
			}
		}
	})
	t.Run("RefusedElsewhere", func(t *testing.T) {
		for name, tc := range map[string]struct {
			url     string
			headers map[string]string
			status  int
		}{
			"AnotherSessionsURL":    {bobURL, aliceHeaders, http.StatusNotFound},
			"MCPAsAnotherUser":      {srv.base + "/mcp", with(aliceHeaders, "X-User-Id", "bob"), http.StatusUnauthorized},
			"MCPAsItsOwnUser":       {srv.base + "/mcp", with(aliceHeaders, "X-User-Id", "alice"), http.StatusUnauthorized},
			"ItsURLNamingOtherUser": {aliceURL, with(aliceHeaders, "X-User-Id", "bob"), http.StatusNotFound},
		} {
			t.Run(name, func(t *testing.T) {
				out := drive(t, node, "sdk-client.mjs", driverInput{URL: tc.url, Headers: tc.headers, AllowHTTPError: true, Steps: []step{listTools()}})
				if out.Error == nil || out.Error.Status != tc.status {
					t.Errorf("got %+v, want HTTP %d", out.Error, tc.status)
				}
			})
		}
	})
	t.Run("OperatorKeyAloneOnTheURL", func(t *testing.T) {
		// The Composio SDK hands clients the operator key as x-api-key and
		// no user: the session's user is the stored one.
		out := drive(t, node, "sdk-client.mjs", driverInput{URL: aliceURL, Headers: map[string]string{"X-Api-Key": apiKey}, Steps: []step{
			callTool("GITHUB_GET_AUTHENTICATED_USER", nil),
		}})
		if acct := out.ok(t, 0)["account"].(map[string]any); acct["label"] != "alice-work" {
			t.Errorf("acted as %v", acct)
		}
	})
	t.Run("DeleteEndsTheToken", func(t *testing.T) {
		apiCall(t, "DELETE", srv.base+"/api/v1/sessions/"+aliceID, nil, http.StatusOK)
		out := drive(t, node, "sdk-client.mjs", driverInput{URL: aliceURL, Headers: aliceHeaders, AllowHTTPError: true, Steps: []step{listTools()}})
		if out.Error == nil || out.Error.Status != http.StatusNotFound {
			t.Errorf("after DELETE the token got %+v, want 404", out.Error)
		}
	})
}

// with returns a copy of h with key set to value.
func with(h map[string]string, key, value string) map[string]string {
	out := map[string]string{key: value}
	for k, v := range h {
		out[k] = v
	}
	return out
}
