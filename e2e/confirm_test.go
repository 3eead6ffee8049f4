package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"switchboard/internal/fakeupstream"
)

// setPolicy sets an account's policy through the application API of a
// dev-mode server (no keys: the loopback caller is the operator).
func setPolicy(tb testing.TB, base, accountID string, policy map[string]any) {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"policy": policy})
	req, err := http.NewRequest(http.MethodPatch, base+"/api/v1/connected_accounts/"+accountID, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if raw, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		tb.Fatalf("setting the policy answered %d: %s", resp.StatusCode, raw)
	}
}

// issuesCreated counts the issue creations the fake GitHub received.
func issuesCreated(gh *fakeupstream.GitHub) int {
	n := 0
	for _, r := range gh.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/issues") {
			n++
		}
	}
	return n
}

// allowOnPage plays the person on a confirmation link: it loads the page,
// presses Allow, and returns the page it was shown.
func allowOnPage(tb testing.TB, link string) string {
	tb.Helper()
	resp, err := http.Get(link)
	if err != nil {
		tb.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		tb.Fatalf("confirmation page answered %d without a form:\n%s", resp.StatusCode, page)
	}
	resp, err = http.PostForm(link, url.Values{"csrf": {string(m[1])}, "action": {"allow"}})
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if after, _ := io.ReadAll(resp.Body); resp.StatusCode != http.StatusOK {
		tb.Fatalf("allowing answered %d:\n%s", resp.StatusCode, after)
	}
	return string(page)
}

// TestNodeSDKConfirmFlow drives the confirm flow through the built binary
// with the official TypeScript SDK: under confirm: writes, a client that
// declared elicitation is asked (tool, account, arguments) and accept runs
// the call once while decline runs nothing; a client that did not gets a
// confirmation link, and once the person allowed it there, execute_tool
// with the confirmation runs the call once and a replay runs nothing.
// list_activity and the operator's trail show what happened.
func TestNodeSDKConfirmFlow(t *testing.T) {
	node := needNode(t, "@modelcontextprotocol/sdk")
	gh := fakeGitHub(t)
	gh.AddRepo("alice-work", "notes", false)
	srv := serve(t, t.TempDir(), nil, "--toolkit-url", "github="+gh.URL(), "--tool-mode", "all")
	g := connectHTTP(t, srv.base+"/mcp", alice(nil))
	work := connectAccount(t, g, "github", aliceWorkToken, "work")
	setPolicy(t, srv.base, work, map[string]any{"confirm": "writes"})
	s := sdkStory{node: node, mcpURL: srv.base + "/mcp"}
	issue := map[string]any{"owner": "alice-work", "repo": "notes", "title": "Launch checklist"}

	t.Run("ElicitationAccept", func(t *testing.T) {
		before := issuesCreated(gh)
		out := s.run(t, driverInput{Headers: alice(nil), Elicitation: "accept", Steps: []step{callTool("GITHUB_CREATE_ISSUE", issue)}})
		got := out.ok(t, 0)
		if got["account"].(map[string]any)["id"] != work {
			t.Errorf("acted as %v", got["account"])
		}
		if n := issuesCreated(gh) - before; n != 1 {
			t.Errorf("%d issues created, want 1", n)
		}
		if len(out.Elicitations) != 1 {
			t.Fatalf("the SDK was asked %d times: %+v", len(out.Elicitations), out.Elicitations)
		}
		e := out.Elicitations[0]
		if e.Mode != "" && e.Mode != "form" {
			t.Errorf("elicitation mode %q, want form", e.Mode)
		}
		for _, want := range []string{"GITHUB_CREATE_ISSUE", "alice-work", "alias work", "title: Launch checklist"} {
			if !strings.Contains(e.Message, want) {
				t.Errorf("the question lacks %q:\n%s", want, e.Message)
			}
		}
	})
	t.Run("ElicitationDecline", func(t *testing.T) {
		before := issuesCreated(gh)
		out := s.run(t, driverInput{Headers: alice(nil), Elicitation: "decline", Steps: []step{callTool("GITHUB_CREATE_ISSUE", issue)}})
		out.fails(t, 0, "CONFIRMATION_DECLINED")
		if n := issuesCreated(gh) - before; n != 0 {
			t.Errorf("a declined call created %d issues", n)
		}
		if len(out.Elicitations) != 1 {
			t.Errorf("the SDK was asked %d times", len(out.Elicitations))
		}
	})
	t.Run("LinkWithoutElicitation", func(t *testing.T) {
		before := issuesCreated(gh)
		out := s.run(t, driverInput{Headers: alice(nil), Steps: []step{callTool("GITHUB_CREATE_ISSUE", issue)}})
		e := out.fails(t, 0, "CONFIRMATION_REQUIRED")
		c, _ := e["confirmation"].(map[string]any)
		link, _ := c["url"].(string)
		if !strings.HasPrefix(link, srv.base+"/confirm/") || c["id"] == nil {
			t.Fatalf("the refusal's confirmation = %v", e)
		}
		if page := allowOnPage(t, link); !strings.Contains(page, "Launch checklist") || !strings.Contains(page, "alice-work") {
			t.Errorf("the confirmation page does not show the call:\n%s", page)
		}
		confirmed := map[string]any{"tool": "GITHUB_CREATE_ISSUE", "arguments": issue, "confirmation": c["id"]}
		out = s.run(t, driverInput{Headers: alice(nil), Steps: []step{
			callTool("execute_tool", confirmed),
			callTool("execute_tool", confirmed),
			callTool("list_activity", map[string]any{"limit": 3}),
		}})
		out.ok(t, 0)
		out.fails(t, 1, "CONFIRMATION_REQUIRED")
		if n := issuesCreated(gh) - before; n != 1 {
			t.Errorf("%d issues created, want the confirmed one", n)
		}
		var outcomes []string
		for _, entry := range out.ok(t, 2)["entries"].([]any) {
			e := entry.(map[string]any)
			outcomes = append(outcomes, e["via"].(string)+":"+e["outcome"].(string))
		}
		if strings.Join(outcomes, " ") != "execute_tool:CONFIRMATION_REQUIRED execute_tool:ok mcp:CONFIRMATION_REQUIRED" {
			t.Errorf("list_activity = %v", outcomes)
		}
	})

	resp, err := http.Get(srv.base + "/api/v1/audit?user_id=bob")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Items []any `json:"items"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil || resp.StatusCode != http.StatusOK || len(page.Items) != 0 {
		t.Errorf("bob's trail: %d, %v, %v", resp.StatusCode, err, page.Items)
	}
}
