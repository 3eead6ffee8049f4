package server_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"switchboard/accounts"
	"switchboard/server"
)

// alicesGitHub returns alice's connected GitHub account on svc.
func alicesGitHub(tb testing.TB, svc *accounts.Service) *accounts.Account {
	tb.Helper()
	list, err := svc.Accounts(context.Background(), "alice", "github")
	if err != nil || len(list) != 1 {
		tb.Fatalf("alice's github accounts: %v, %v", list, err)
	}
	return list[0]
}

// setPolicy gives alice's GitHub account p.
func setPolicy(tb testing.TB, svc *accounts.Service, p accounts.Policy) {
	tb.Helper()
	if _, err := svc.SetPolicy(context.Background(), alicesGitHub(tb, svc), p); err != nil {
		tb.Fatal(err)
	}
}

// errorOf returns the error object of a tool result, nil for success.
func errorOf(structured map[string]any) map[string]any {
	e, _ := structured["error"].(map[string]any)
	return e
}

// TestPolicyShapesTheListing pins that in all mode a session does not
// list the tools its active account's policy never lets run, that tools
// which ask first stay listed, and that a policy change shows in the
// session's next listing.
func TestPolicyShapesTheListing(t *testing.T) {
	srv, ctx, _, svc := newGitHubServerMode(t, accounts.ToolModeAll)
	listed := func() []string { return names(t, listTools(t, srv, ctx)) }
	if got := listed(); !slices.Contains(got, "GITHUB_CREATE_ISSUE") {
		t.Fatalf("without a policy: %v", got)
	}
	setPolicy(t, svc, accounts.Policy{Access: accounts.AccessReadOnly, DenyTools: []string{"GITHUB_GET_REPOSITORY"}})
	got := listed()
	for _, hidden := range []string{"GITHUB_CREATE_ISSUE", "GITHUB_UPDATE_ISSUE", "GITHUB_GET_REPOSITORY"} {
		if slices.Contains(got, hidden) {
			t.Errorf("read-only with a deny list, %s is listed", hidden)
		}
	}
	if !slices.Contains(got, "GITHUB_GET_ISSUE") || !slices.Contains(got, "list_activity") {
		t.Errorf("read-only lists %v", got)
	}
	setPolicy(t, svc, accounts.Policy{Confirm: accounts.ConfirmWrites})
	if got := listed(); !slices.Contains(got, "GITHUB_CREATE_ISSUE") {
		t.Errorf("a tool that asks first is not listed: %v", got)
	}
}

// TestPoliciesShown pins where a policy is shown: list_accounts,
// list_toolkits (the active account's), and search_tools, which marks
// what the policy makes of each tool and says why in its text.
func TestPoliciesShown(t *testing.T) {
	srv, ctx, _, svc := newGitHubServerMode(t, accounts.ToolModeSearch)
	setPolicy(t, svc, accounts.Policy{Access: accounts.AccessReadOnly, Confirm: accounts.ConfirmWrites})
	want := map[string]any{"access": "read_only", "allow_tools": []any{}, "deny_tools": []any{}, "confirm": "writes"}

	got, _ := callTool(t, srv, ctx, "list_accounts", map[string]any{})
	item := got["accounts"].([]any)[0].(map[string]any)
	if !jsonEqual(item["policy"], want) {
		t.Errorf("list_accounts policy = %v", item["policy"])
	}
	got, _ = callTool(t, srv, ctx, "list_toolkits", map[string]any{})
	for _, tk := range got["toolkits"].([]any) {
		tk := tk.(map[string]any)
		if tk["slug"] != "github" {
			continue
		}
		if a, _ := tk["active_account"].(map[string]any); !jsonEqual(a["policy"], want) {
			t.Errorf("list_toolkits active account = %v", a)
		}
	}
	got, _ = callTool(t, srv, ctx, "search_tools", map[string]any{"query": "open a new issue", "toolkit": "github", "limit": 20})
	decisions := map[string]any{}
	for _, hit := range got["tools"].([]any) {
		hit := hit.(map[string]any)
		decisions[hit["name"].(string)] = hit["policy_decision"]
		if a, _ := hit["account"].(map[string]any); !jsonEqual(a["policy"], want) {
			t.Errorf("search hit %s account = %v", hit["name"], a)
		}
	}
	if decisions["GITHUB_CREATE_ISSUE"] != "denied" || decisions["GITHUB_GET_ISSUE"] != "allowed" {
		t.Errorf("policy decisions = %v", decisions)
	}
}

// TestConfirmationLinkThroughExecuteTool pins the link flow over MCP for a
// client without elicitation: the direct call is refused with
// CONFIRMATION_REQUIRED carrying the link, the id and the policy, and
// sends nothing; once the person allowed it, execute_tool with the id
// runs it once, and a replay runs nothing.
func TestConfirmationLinkThroughExecuteTool(t *testing.T) {
	srv, ctx, gh, svc := newGitHubServerMode(t, accounts.ToolModeAll)
	gh.AddRepo("alice-gh", "notes", false)
	setPolicy(t, svc, accounts.Policy{Confirm: accounts.ConfirmWrites})
	args := map[string]any{"owner": "alice-gh", "repo": "notes", "title": "Ship it"}

	got, isErr := callTool(t, srv, ctx, "GITHUB_CREATE_ISSUE", args)
	e := errorOf(got)
	c, _ := e["confirmation"].(map[string]any)
	url, _ := c["url"].(string)
	if !isErr || e["code"] != "CONFIRMATION_REQUIRED" || c["id"] == nil || !strings.Contains(url, "/confirm/") {
		t.Fatalf("the direct call = %v", got)
	}
	if p, _ := e["policy"].(map[string]any); p["confirm"] != "writes" {
		t.Errorf("the refusal's policy = %v", e["policy"])
	}
	if n := len(gh.Requests()); n != 0 {
		t.Fatalf("asking sent %d requests", n)
	}
	_, token, _ := strings.Cut(url, "/confirm/")
	if _, err := svc.DecideByLink(context.Background(), token, true); err != nil {
		t.Fatal(err)
	}
	confirmed := map[string]any{"tool": "GITHUB_CREATE_ISSUE", "arguments": args, "confirmation": c["id"]}
	if got, isErr := callTool(t, srv, ctx, "execute_tool", confirmed); isErr {
		t.Fatalf("the confirmed call: %v", got)
	}
	got, isErr = callTool(t, srv, ctx, "execute_tool", confirmed)
	if e := errorOf(got); !isErr || e["code"] != "CONFIRMATION_REQUIRED" {
		t.Errorf("a replay: %v", got)
	}
	if n := len(gh.Requests()); n != 1 {
		t.Errorf("%d upstream requests, want the confirmed one only", n)
	}
}

// TestListActivityOnlyOwnEntries pins list_activity: the user's own calls,
// newest first, a page at a time; another user's session sees none of
// them, and no argument asks for someone else's.
func TestListActivityOnlyOwnEntries(t *testing.T) {
	srv, ctx, _, svc := newGitHubServerMode(t, accounts.ToolModeAll)
	for range 3 {
		if got, isErr := callTool(t, srv, ctx, "GITHUB_GET_AUTHENTICATED_USER", map[string]any{}); isErr {
			t.Fatal(got)
		}
	}
	setPolicy(t, svc, accounts.Policy{DenyTools: []string{"GITHUB_GET_AUTHENTICATED_USER"}})
	callTool(t, srv, ctx, "GITHUB_GET_AUTHENTICATED_USER", map[string]any{})

	got, isErr := callTool(t, srv, ctx, "list_activity", map[string]any{"limit": 3})
	entries, _ := got["entries"].([]any)
	if isErr || len(entries) != 3 || got["next_cursor"] == nil {
		t.Fatalf("first page = %v", got)
	}
	first := entries[0].(map[string]any)
	if first["outcome"] != "ACCOUNT_POLICY_DENIED" || first["tool"] != "GITHUB_GET_AUTHENTICATED_USER" || first["via"] != "mcp" || first["user_id"] != "alice" {
		t.Errorf("newest entry = %v", first)
	}
	if a, _ := first["account"].(map[string]any); a["label"] != "alice-gh" {
		t.Errorf("newest entry's account = %v", first["account"])
	}
	got, _ = callTool(t, srv, ctx, "list_activity", map[string]any{"cursor": got["next_cursor"]})
	if entries, _ := got["entries"].([]any); len(entries) != 1 || entries[0].(map[string]any)["outcome"] != "ok" || got["next_cursor"] != nil {
		t.Errorf("second page = %v", got)
	}

	sess, err := svc.CreateSession(context.Background(), accounts.SessionOptions{UserID: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	bob := server.NewContext(context.Background(), &accounts.Scope{Session: sess})
	if got, _ := callTool(t, srv, bob, "list_activity", map[string]any{}); len(got["entries"].([]any)) != 0 {
		t.Errorf("bob sees %v", got)
	}
	for _, args := range []map[string]any{{"user_id": "alice"}, {"cursor": "bm90IG91cnM"}, {"limit": 51}} {
		if got, isErr := callTool(t, srv, bob, "list_activity", args); !isErr || fmt.Sprint(errorOf(got)["code"]) != "INVALID_ARGUMENTS" {
			t.Errorf("list_activity %v = %v", args, got)
		}
	}
}
