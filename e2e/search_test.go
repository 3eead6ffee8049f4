package e2e

import (
	"slices"
	"testing"
)

// TestSearchModeWithTheOfficialClient runs a session in search mode end to
// end with the official TypeScript client: a listing of the meta tools and
// search_tools/execute_tool only, a search that finds the tool and says
// which account would act, and execute_tool acting as that account.
func TestSearchModeWithTheOfficialClient(t *testing.T) {
	node := needNode(t, "@modelcontextprotocol/sdk")
	gh := fakeGitHub(t)
	srv := serve(t, t.TempDir(), nil, "--toolkit-url", "github="+gh.URL(), "--tool-mode", "search")
	s := connectHTTP(t, srv.base+"/mcp", alice(nil))
	connectAccount(t, s, "github", aliceWorkToken, "work")
	connectAccount(t, s, "github", alicePersonalToken, "home")
	s.ok(t, "select_account", map[string]any{"toolkit": "github", "account": "work"})
	id := s.GetSessionId()

	m := mark(gh)
	out := drive(t, node, "sdk-client.mjs", driverInput{URL: srv.base + "/sessions/" + id + "/mcp", Headers: alice(nil), Steps: []step{
		listTools(),
		callTool("search_tools", map[string]any{"query": "who am I on github", "limit": 3}),
		callTool("execute_tool", map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER", "arguments": map[string]any{}}),
	}})
	names := out.tools(t, 0)
	slices.Sort(names)
	want := append(slices.Clone(metaTools), "execute_tool", "search_tools")
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("search mode lists %v, want %v", names, want)
	}
	found := out.ok(t, 1)["tools"].([]any)
	first := found[0].(map[string]any)
	if acct, _ := first["account"].(map[string]any); first["name"] != "GITHUB_GET_AUTHENTICATED_USER" || acct["alias"] != "work" || acct["selected_by"] != "session" {
		t.Errorf("search_tools' best match: %v", first)
	}
	if acct := out.ok(t, 2)["account"].(map[string]any); acct["alias"] != "work" {
		t.Errorf("execute_tool acted as %v", acct)
	}
	if tok := userTokenSince(t, gh, m); tok != aliceWorkToken {
		t.Errorf("GitHub saw %q, want the work account's token", tok)
	}
}
