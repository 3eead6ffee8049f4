package server_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"switchboard/server"
)

// TestUnconfiguredToolkit pins what an agent learns of a toolkit no user
// can connect because the operator has not configured it (here Gmail, with
// no OAuth app): list_toolkits says so and not "call authorize", its tools
// answer TOOLKIT_NOT_CONFIGURED, and naming it (X-Toolkits) does not list
// tools that could never work.
func TestUnconfiguredToolkit(t *testing.T) {
	srv, ctx, _ := newGitHubServer(t)

	msg := `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"list_toolkits","arguments":{}}}`
	raw, _ := json.Marshal(srv.MCP().HandleMessage(ctx, json.RawMessage(msg)))
	var resp struct {
		Result struct {
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
			StructuredContent struct {
				Toolkits []map[string]any `json:"toolkits"`
			} `json:"structuredContent"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatal(err)
	}
	text := resp.Result.Content[0].Text
	var gmailLine string
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "- gmail ") {
			gmailLine = line
		}
	}
	if !strings.Contains(gmailLine, "until the operator configures it") || strings.Contains(gmailLine, "authorize") {
		t.Errorf("list_toolkits says of gmail: %q", gmailLine)
	}
	for _, tk := range resp.Result.StructuredContent.Toolkits {
		if want := tk["slug"] != "gmail" && tk["slug"] != "googlecalendar"; tk["configured"] != want { // the Google toolkits are OAuth only
			t.Errorf("%v: configured = %v", tk["slug"], tk["configured"])
		}
	}

	if code := callRaw(t, srv, ctx, "GMAIL_GET_PROFILE", "{}"); code != "TOOLKIT_NOT_CONFIGURED" {
		t.Errorf("a gmail tool answered %q", code)
	}

	sc := *server.ScopeFromContext(ctx)
	sc.Toolkits = []string{"gmail", "github"}
	named := server.NewContext(ctx, &sc)
	got := names(t, listTools(t, srv, named))
	if slices.ContainsFunc(got, func(n string) bool { return strings.HasPrefix(n, "GMAIL_") }) || !slices.Contains(got, "GITHUB_CREATE_ISSUE") {
		t.Errorf("X-Toolkits gmail,github lists %v", got)
	}
}

// TestNoElicitationCapability: elicitation is a client capability; the
// server must not advertise it at initialize (the Inspector warns).
func TestNoElicitationCapability(t *testing.T) {
	srv, _, ctx := newServer(t, nil)
	raw, _ := json.Marshal(srv.MCP().HandleMessage(ctx, json.RawMessage(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"elicitation":{}},"clientInfo":{"name":"t","version":"1"}}}`)))
	var resp struct {
		Result struct {
			Capabilities map[string]any `json:"capabilities"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &resp); err != nil || resp.Result.Capabilities == nil {
		t.Fatalf("initialize: %s", raw)
	}
	if _, ok := resp.Result.Capabilities["elicitation"]; ok {
		t.Errorf("the server advertises elicitation: %s", raw)
	}
	if _, ok := resp.Result.Capabilities["tools"]; !ok {
		t.Errorf("no tools capability: %s", raw)
	}
}
