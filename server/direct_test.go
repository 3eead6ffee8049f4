package server_test

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"switchboard/accounts"
)

// clientSession is a legacy client's session as mcp-go keeps it. Its
// client declares elicitation from the call numbered elicitFrom of
// GetClientCapabilities on (0: always), and answers every elicitation
// with accept.
type clientSession struct {
	elicitFrom int32
	capsAsked  atomic.Int32
	elicited   atomic.Int32
	ch         chan mcp.JSONRPCNotification
}

func (s *clientSession) Initialize()       {}
func (s *clientSession) Initialized() bool { return true }
func (s *clientSession) NotificationChannel() chan<- mcp.JSONRPCNotification {
	return s.ch
}
func (s *clientSession) SessionID() string { return "direct-test" }
func (s *clientSession) GetClientInfo() mcp.Implementation {
	return mcp.Implementation{Name: "direct-test", Version: "1"}
}
func (s *clientSession) SetClientInfo(mcp.Implementation) {}
func (s *clientSession) GetClientCapabilities() mcp.ClientCapabilities {
	if s.capsAsked.Add(1) < s.elicitFrom {
		return mcp.ClientCapabilities{}
	}
	return mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{}}
}
func (s *clientSession) SetClientCapabilities(mcp.ClientCapabilities) {}
func (s *clientSession) RequestElicitation(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	s.elicited.Add(1)
	return &mcp.ElicitationResult{ElicitationResponse: mcp.ElicitationResponse{Action: mcp.ElicitationResponseActionAccept}}, nil
}

// TestDirectCallNeverElicits pins that a direct call (server.CallDirect)
// never puts a request to the client, which it could not receive: a call
// that a policy may make ask the person is not taken directly, and one
// that finds it must ask only after it was taken (the policy changed in
// between) answers as for a client that cannot elicit, with a link.
func TestDirectCallNeverElicits(t *testing.T) {
	srv, ctx, _, svc := newGitHubServerMode(t, accounts.ToolModeAll)
	setPolicy(t, svc, accounts.Policy{Confirm: accounts.ConfirmWrites})
	create := mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "GITHUB_CREATE_ISSUE",
		Arguments: map[string]any{"owner": "alice-gh", "repo": "notes", "title": "from a direct call"}}}

	if got := srv.CallDirect(ctx, &clientSession{}, 1, create); got != nil {
		t.Errorf("a call its policy makes ask a client that elicits was taken directly: %+v", got)
	}
	if got := srv.CallDirect(ctx, &clientSession{}, 1, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "list_accounts"}}); got == nil {
		t.Errorf("list_accounts was not taken directly")
	}

	// The client is seen not to elicit when the call is taken, and to
	// elicit afterwards: as if the policy had changed in between.
	late := &clientSession{elicitFrom: 2}
	got := srv.CallDirect(ctx, late, 2, create)
	resp, ok := got.(mcp.JSONRPCResponse)
	if !ok {
		t.Fatalf("the call was not taken directly, or failed: %#v", got)
	}
	res, _ := resp.Result.(*mcp.CallToolResult)
	if res == nil {
		t.Fatalf("the answer carries no tool result: %#v", resp.Result)
	}
	var structured map[string]any
	raw, _ := json.Marshal(res.StructuredContent) // as the client reads it
	if err := json.Unmarshal(raw, &structured); err != nil {
		t.Fatal(err)
	}
	if e := errorOf(structured); e == nil || e["code"] != "CONFIRMATION_REQUIRED" {
		t.Errorf("the direct call answered %v, want CONFIRMATION_REQUIRED with a link", res.StructuredContent)
	}
	if n := late.elicited.Load(); n != 0 {
		t.Errorf("the direct call sent %d elicitation requests", n)
	}
}

// TestElicitationAsksThroughTheRegisteredSession pins that a call that
// asks the person does so through the session mcp-go has registered under
// the call's session id when that is not the call's own: mcp-go routes the
// client's answer to the registered one, so a question put through the
// other would never get its answer (a client that opens its GET stream
// while its first call runs).
func TestElicitationAsksThroughTheRegisteredSession(t *testing.T) {
	srv, ctx, _, svc := newGitHubServerMode(t, accounts.ToolModeAll)
	setPolicy(t, svc, accounts.Policy{Confirm: accounts.ConfirmWrites})
	stream, call := &clientSession{}, &clientSession{}
	if err := srv.MCP().RegisterSession(ctx, stream); err != nil {
		t.Fatal(err)
	}
	defer srv.MCP().UnregisterSession(ctx, stream.SessionID())
	got := srv.MCP().HandleMessage(srv.MCP().WithContext(ctx, call), json.RawMessage(`{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"GITHUB_CREATE_ISSUE","arguments":{"owner":"alice-gh","repo":"notes","title":"asked"}}}`))
	if _, ok := got.(mcp.JSONRPCResponse); !ok {
		t.Fatalf("the call answered %#v", got)
	}
	if stream.elicited.Load() != 1 || call.elicited.Load() != 0 {
		t.Errorf("asked through the registered session %d times, through the call's own %d times; want 1 and 0", stream.elicited.Load(), call.elicited.Load())
	}
}
