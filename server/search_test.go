package server_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"switchboard/accounts"
	"switchboard/server"
)

// callTool sends tools/call in ctx and returns the result's structured
// content and whether it is an error.
func callTool(tb testing.TB, srv *server.Server, ctx context.Context, tool string, args any) (map[string]any, bool) {
	tb.Helper()
	raw, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": map[string]any{"name": tool, "arguments": args}})
	out, _ := json.Marshal(srv.MCP().HandleMessage(ctx, raw))
	var resp struct {
		Result struct {
			IsError           bool           `json:"isError"`
			StructuredContent map[string]any `json:"structuredContent"`
		} `json:"result"`
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(out, &resp); err != nil || resp.Error != nil {
		tb.Fatalf("tools/call %s: %s", tool, out)
	}
	return resp.Result.StructuredContent, resp.Result.IsError
}

// withScope returns ctx whose scope is changed by f.
func withScope(ctx context.Context, f func(*accounts.Scope)) context.Context {
	sc := *server.ScopeFromContext(ctx)
	f(&sc)
	return server.NewContext(ctx, &sc)
}

func isSearchListing(got []string) bool {
	return slices.Contains(got, "search_tools") && slices.Contains(got, "execute_tool") && !slices.ContainsFunc(got, func(n string) bool { return strings.Contains(n, "_") && strings.ToUpper(n) == n })
}

// TestToolModeSources pins which mode a session lists in: the request's
// X-Tool-Mode above the session's tool_mode above the server's default,
// and auto choosing search past the threshold.
func TestToolModeSources(t *testing.T) {
	all := func(tb testing.TB) []string { return allToolkits(tb) }
	for _, tt := range []struct {
		name                     string
		server, session, request string
		toolkits                 func(testing.TB) []string
		search                   bool
	}{
		{"ServerAll", accounts.ToolModeAll, "", "", all, false},
		{"ServerSearch", accounts.ToolModeSearch, "", "", nil, true},
		{"AutoFewToolsListsAll", accounts.ToolModeAuto, "", "", func(testing.TB) []string { return []string{"github"} }, false},
		{"AutoManyToolsSearches", accounts.ToolModeAuto, "", "", all, true},
		{"SessionOverServer", accounts.ToolModeAll, accounts.ToolModeSearch, "", all, true},
		{"SessionAllOverAuto", accounts.ToolModeAuto, accounts.ToolModeAll, "", all, false},
		{"HeaderOverSession", accounts.ToolModeAll, accounts.ToolModeSearch, accounts.ToolModeAll, all, false},
		{"HeaderSearch", accounts.ToolModeAll, accounts.ToolModeAll, accounts.ToolModeSearch, all, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var toolkits []string
			if tt.toolkits != nil {
				toolkits = tt.toolkits(t)
			}
			srv, _, ctx := newServerMode(t, toolkits, tt.server)
			ctx = withScope(ctx, func(sc *accounts.Scope) {
				sess := *sc.Session
				sess.ToolMode = tt.session
				sc.Session, sc.ToolMode = &sess, tt.request
			})
			got := names(t, listTools(t, srv, ctx))
			if isSearchListing(got) != tt.search {
				t.Errorf("listed %v, want search mode %v", got, tt.search)
			}
			if tt.search && len(got) != 8 {
				t.Errorf("search mode lists %d tools, want the 6 meta tools and 2 search tools", len(got))
			}
		})
	}
}

func TestSearchAndExecuteTools(t *testing.T) {
	srv, ctx, gh, svc := newGitHubServerMode(t, accounts.ToolModeSearch)

	t.Run("SearchShowsTheActingAccount", func(t *testing.T) {
		got, isErr := callTool(t, srv, ctx, "search_tools", map[string]any{"query": "who am I on github", "limit": 3})
		found := got["tools"].([]any)
		if isErr || len(found) == 0 || len(found) > 3 {
			t.Fatalf("search_tools = %v", got)
		}
		first := found[0].(map[string]any)
		acct, _ := first["account"].(map[string]any)
		if first["name"] != "GITHUB_GET_AUTHENTICATED_USER" || acct["label"] != "alice-gh" || acct["selected_by"] != "session" {
			t.Errorf("first hit = %v", first)
		}
		if schema, _ := first["input_schema"].(map[string]any); schema["type"] != "object" {
			t.Errorf("input_schema = %v", first["input_schema"])
		}
		if ann, _ := first["annotations"].(map[string]any); ann["readOnlyHint"] != true {
			t.Errorf("annotations = %v", first["annotations"])
		}
	})
	t.Run("SearchCoversToolkitsWithoutAccount", func(t *testing.T) {
		got, _ := callTool(t, srv, ctx, "search_tools", map[string]any{"query": "post a message in a channel", "toolkit": "slack"})
		first := got["tools"].([]any)[0].(map[string]any)
		e, _ := first["account_error"].(map[string]any)
		if first["toolkit"] != "slack" || first["account"] != nil || e["code"] != "ACCOUNT_REQUIRED" {
			t.Errorf("a slack hit = %v", first)
		}
	})
	t.Run("SearchRefusals", func(t *testing.T) {
		for name, args := range map[string]map[string]any{
			"NoQuery": {}, "UnknownToolkit": {"query": "x", "toolkit": "myspace"}, "LimitTooBig": {"query": "x", "limit": 21},
			"LimitFraction": {"query": "x", "limit": 2.5}, "UnknownArgument": {"query": "x", "top": 3},
		} {
			if got, isErr := callTool(t, srv, ctx, "search_tools", args); !isErr {
				t.Errorf("%s: %v", name, got)
			}
		}
	})
	t.Run("ExecuteActsAsADirectCall", func(t *testing.T) {
		before := len(gh.Requests())
		viaExecute, isErr := callTool(t, srv, ctx, "execute_tool", map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER", "arguments": map[string]any{}})
		direct, isErr2 := callTool(t, srv, ctx, "GITHUB_GET_AUTHENTICATED_USER", map[string]any{})
		if isErr || isErr2 {
			t.Fatalf("execute %v / direct %v", viaExecute, direct)
		}
		if !jsonEqual(viaExecute, direct) {
			t.Errorf("execute_tool and a direct call differ:\n%v\n%v", viaExecute, direct)
		}
		if n := len(gh.Requests()) - before; n != 2 {
			t.Errorf("%d upstream requests, want 2", n)
		}
	})
	t.Run("ExecuteRefusesInvalidArgumentsBeforeUpstream", func(t *testing.T) {
		before := len(gh.Requests())
		for name, args := range map[string]any{
			"MissingArgument": map[string]any{"tool": "GITHUB_GET_REPOSITORY", "arguments": map[string]any{"owner": "a"}},
			"WrongType":       map[string]any{"tool": "GITHUB_GET_ISSUE", "arguments": map[string]any{"owner": "a", "repo": "b", "issue_number": "seven"}},
			"InexactInteger":  json.RawMessage(`{"tool":"GITHUB_GET_ISSUE","arguments":{"owner":"a","repo":"b","issue_number":9007199254740993}}`),
			"ArgumentsArray":  map[string]any{"tool": "GITHUB_GET_REPOSITORY", "arguments": []any{}},
			"UnknownTool":     map[string]any{"tool": "GITHUB_DELETE_EVERYTHING", "arguments": map[string]any{}},
			"ExtraField":      map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER", "arguments": map[string]any{}, "as": "bob"},
		} {
			got, isErr := callTool(t, srv, ctx, "execute_tool", args)
			if e, _ := got["error"].(map[string]any); !isErr || e["code"] != "INVALID_ARGUMENTS" {
				t.Errorf("%s: %v", name, got)
			}
		}
		if n := len(gh.Requests()) - before; n != 0 {
			t.Errorf("refused calls made %d upstream requests", n)
		}
	})
	t.Run("Rule6ThroughExecute", func(t *testing.T) {
		list, err := svc.Accounts(context.Background(), "alice", "github")
		if err != nil || len(list) != 1 {
			t.Fatalf("accounts: %v %v", list, err)
		}
		a := list[0].ID
		if _, err := svc.SetDisabled(context.Background(), "alice", "github", a, true); err != nil {
			t.Fatal(err)
		}
		defer svc.SetDisabled(context.Background(), "alice", "github", a, false)
		before := len(gh.Requests())
		got, isErr := callTool(t, srv, ctx, "execute_tool", map[string]any{"tool": "GITHUB_GET_AUTHENTICATED_USER"})
		if e, _ := got["error"].(map[string]any); !isErr || e["code"] != "ACCOUNT_INACTIVE" {
			t.Errorf("a disabled selection through execute_tool: %v", got)
		}
		if n := len(gh.Requests()) - before; n != 0 {
			t.Errorf("%d upstream requests with the selection disabled", n)
		}
	})
	t.Run("UnlistedToolStillCallable", func(t *testing.T) {
		got := names(t, listTools(t, srv, ctx))
		if slices.Contains(got, "GITHUB_GET_AUTHENTICATED_USER") {
			t.Fatalf("search mode lists toolkit tools: %v", got)
		}
		if res, isErr := callTool(t, srv, ctx, "GITHUB_GET_AUTHENTICATED_USER", map[string]any{}); isErr {
			t.Errorf("a direct call in search mode: %v", res)
		}
	})
}

func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// TestMetaToolsRefuseArgumentsThatAreNotAnObject: a string, number, array
// or boolean where the arguments object belongs is refused, as toolkit
// tools refuse it, not read as no arguments.
func TestMetaToolsRefuseArgumentsThatAreNotAnObject(t *testing.T) {
	srv, ctx, _, _ := newGitHubServerMode(t, accounts.ToolModeSearch)
	for _, tool := range []string{"list_accounts", "list_toolkits", "select_account", "list_activity", "search_tools"} {
		for _, args := range []any{"x", 5, []any{1}, true} {
			got, isErr := callTool(t, srv, ctx, tool, args)
			e, _ := got["error"].(map[string]any)
			if !isErr || e["code"] != string(accounts.CodeInvalidArguments) || !strings.Contains(e["message"].(string), "object of named arguments") {
				t.Errorf("%s with arguments %v: %v", tool, args, got)
			}
		}
		if _, isErr := callTool(t, srv, ctx, tool, nil); isErr && tool != "select_account" && tool != "search_tools" {
			t.Errorf("%s without arguments is refused", tool)
		}
	}
}

// TestLongInputIsNotEchoedInFull: a name of half a megabyte comes back in
// an error as its first 64 characters, not in full (twice over).
func TestLongInputIsNotEchoedInFull(t *testing.T) {
	srv, ctx, _, _ := newGitHubServerMode(t, accounts.ToolModeSearch)
	long := strings.Repeat("a", 500_000)
	for tool, args := range map[string]map[string]any{
		"list_accounts":  {"toolkit": long},
		"select_account": {"toolkit": "github", "account": long},
		"search_tools":   {"query": "x", "toolkit": long},
		"list_toolkits":  {long: true},
	} {
		got, isErr := callTool(t, srv, ctx, tool, args)
		b, _ := json.Marshal(got)
		if !isErr || len(b) > 4000 || !strings.Contains(string(b), strings.Repeat("a", 64)+"…") {
			t.Errorf("%s answered %d bytes (error %v): %.300s", tool, len(b), isErr, b)
		}
	}
}
