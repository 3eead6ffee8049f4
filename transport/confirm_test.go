package transport

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"

	mcpclient "github.com/mark3labs/mcp-go/client"
	mcptransport "github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// person answers elicitation requests as a person would, and remembers
// what they were shown.
type person struct {
	action mcp.ElicitationResponseAction
	mu     sync.Mutex
	shown  []string
}

func (p *person) Elicit(_ context.Context, req mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.shown = append(p.shown, req.Params.Message)
	res := &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: p.action}}
	if p.action == mcp.ElicitationResponseActionAccept {
		res.Content = map[string]any{}
	}
	return res, nil
}

func (p *person) asked() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.shown...)
}

// mcpClient connects an mcp-go client to /mcp as alice with the operator
// key; legacy picks the 2025-11-25 era (initialize, a session), otherwise
// the client speaks the stateless 2026-07-28 revision.
func (w *apiWorld) mcpClient(tb testing.TB, legacy bool, opts ...mcpclient.ClientOption) *mcpclient.Client {
	tb.Helper()
	tr, err := mcptransport.NewStreamableHTTP(w.base+"/mcp", mcptransport.WithHTTPHeaders(map[string]string{
		"Authorization": "Bearer " + opKey, "X-User-Id": "alice", "X-Tool-Mode": "all",
	}))
	if err != nil {
		tb.Fatal(err)
	}
	if legacy {
		//lint:ignore SA1019 the legacy era (initialize, a session) is one of the two under test
		opts = append(opts, mcpclient.WithLegacyProtocolOnly())
	}
	c := mcpclient.NewClient(tr, opts...)
	if err := c.Start(tb.Context()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { c.Close() })
	if _, err := c.Initialize(tb.Context(), mcp.InitializeRequest{Params: mcp.InitializeParams{
		ProtocolVersion: mcp.LATEST_PROTOCOL_VERSION, ClientInfo: mcp.Implementation{Name: "confirm-test", Version: "1"},
	}}); err != nil {
		tb.Fatal(err)
	}
	return c
}

// issueUpdates counts the issue updates the fake GitHub received.
func (w *apiWorld) issueUpdates() int {
	n := 0
	for _, r := range w.gh.Requests() {
		if r.Method == http.MethodPatch && strings.Contains(r.Path, "/issues/") {
			n++
		}
	}
	return n
}

// TestConfirmationByElicitation pins the confirm flow with MCP clients: a
// destructive call under confirm: destructive asks the person through form
// elicitation, naming the tool, the account and the arguments; accept runs
// it once, decline runs nothing. Both eras: a legacy session is asked
// within the call, a stateless 2026-07-28 client through the revision's
// multi round-trip request. A client that cannot elicit gets a link.
func TestConfirmationByElicitation(t *testing.T) {
	w := newAPIWorld(t)
	w.gh.AddRepo("alice-work", "notes", false)
	sess, token := w.newSession(t, map[string]any{"user_id": "alice"})
	work := w.connect(t, sess["id"].(string), token, aliceWork, "work")
	w.do(t, "POST", "/api/v1/sessions/"+sess["id"].(string)+"/execute", token, issueCall("to close")).want(t, http.StatusOK, "")
	w.do(t, "PATCH", policyPath(work), opKey, map[string]any{"policy": map[string]any{"confirm": "destructive"}}).want(t, http.StatusOK, "")
	closeIt := mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "GITHUB_UPDATE_ISSUE",
		Arguments: map[string]any{"owner": "alice-work", "repo": "notes", "issue_number": 1, "state": "closed"}}}

	for _, era := range []struct {
		name   string
		legacy bool
	}{{"Legacy", true}, {"Stateless", false}} {
		for _, tt := range []struct {
			action  mcp.ElicitationResponseAction
			updates int
			code    string
		}{
			{mcp.ElicitationResponseActionAccept, 1, ""},
			{mcp.ElicitationResponseActionDecline, 0, "CONFIRMATION_DECLINED"},
			{mcp.ElicitationResponseActionCancel, 0, "CONFIRMATION_DECLINED"},
		} {
			t.Run(era.name+"/"+string(tt.action), func(t *testing.T) {
				p := &person{action: tt.action}
				c := w.mcpClient(t, era.legacy, mcpclient.WithElicitationHandler(p))
				if era.legacy {
					// A session's second request may be answered without
					// mcp-go (server.CallDirect); one that must ask the
					// person may not.
					listTools(t, c)
				}
				w.gh.Reset()
				res, err := c.CallTool(t.Context(), closeIt)
				if err != nil {
					t.Fatal(err)
				}
				if code := resultCode(res); code != tt.code {
					t.Errorf("the call answered %q, want %q: %v", code, tt.code, res.Content)
				}
				if n := w.issueUpdates(); n != tt.updates {
					t.Errorf("%d updates reached GitHub, want %d", n, tt.updates)
				}
				asked := p.asked()
				if len(asked) != 1 {
					t.Fatalf("the person was asked %d times", len(asked))
				}
				for _, want := range []string{"GITHUB_UPDATE_ISSUE", "alice-work", "alias work", "state: closed", "issue_number: 1"} {
					if !strings.Contains(asked[0], want) {
						t.Errorf("the question lacks %q:\n%s", want, asked[0])
					}
				}
			})
		}
	}

	t.Run("NoElicitationGetsALink", func(t *testing.T) {
		c := w.mcpClient(t, true)
		w.gh.Reset()
		res, err := c.CallTool(t.Context(), closeIt)
		if err != nil {
			t.Fatal(err)
		}
		e, _ := res.StructuredContent.(map[string]any)["error"].(map[string]any)
		cf, _ := e["confirmation"].(map[string]any)
		if e["code"] != "CONFIRMATION_REQUIRED" || !strings.Contains(cf["url"].(string), "/confirm/") {
			t.Fatalf("without elicitation: %v", res.StructuredContent)
		}
		answer(t, cf["url"].(string), "allow", "")
		res, err = c.CallTool(t.Context(), mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "execute_tool", Arguments: map[string]any{
			"tool": "GITHUB_UPDATE_ISSUE", "arguments": closeIt.Params.Arguments, "confirmation": cf["id"]}}})
		if err != nil || res.IsError {
			t.Fatalf("execute_tool with the confirmation: %v %v", res, err)
		}
		if n := w.issueUpdates(); n != 1 {
			t.Errorf("%d updates reached GitHub, want 1", n)
		}
	})
}

// resultCode is the error code of a tool result, "" for a success.
func resultCode(res *mcp.CallToolResult) string {
	if !res.IsError {
		return ""
	}
	sc, _ := res.StructuredContent.(map[string]any)
	e, _ := sc["error"].(map[string]any)
	code, _ := e["code"].(string)
	return code
}
