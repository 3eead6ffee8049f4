package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"switchboard/accounts"
)

// The direct path: a legacy session's tools/call answered without mcp-go's
// per-request machinery.
//
// For each POST, mcp-go's streamable HTTP handler decodes the body three
// times over (to tell requests from responses, to find the protocol era,
// then again in HandleMessage, and once more per method), starts a
// goroutine and two channels to forward notifications sent while the
// request runs, and looks the session up in two maps. On the bench that was
// most of the difference between a trivial mcp-go server and Switchboard's
// cheapest tool. The transport (transport/direct.go) therefore answers a
// legacy session's tools/call itself when mcp-go keeps a session for it in
// this process (its GET stream's, or one held while the session is in
// use), decoding the body once, when nothing in the call needs what
// mcp-go's handling adds:
// CallDirect decides, and runs the tool exactly as mcp-go's handleToolCall
// would. Everything else goes to mcp-go as before.
//
// What mcp-go's handling adds, and why a direct call does without it:
//
//   - A notification sent during the call may be delivered by mcp-go in
//     the call's response (an SSE upgrade). During a direct call it goes to
//     the session's GET stream when one is open (as it may with mcp-go);
//     otherwise it waits in the held session's queue, and the transport
//     sends the session's next request through mcp-go, which delivers it
//     there (or a GET stream that opens first). Only list_changed reaches a
//     session during a call that is not the call's own doing, and its
//     timing was never tied to a call: it comes from another goroutine, and
//     one that arrives between two requests waits in the same way.
//   - Progress (a call with a progress token) and requests to the client
//     (elicitation: authorize's connect link, a policy's confirmation)
//     need the response stream while the call runs: such calls are not
//     direct (directTool, mayAsk), and a direct call that finds it must ask
//     after all (a policy changed meanwhile) answers as for a client that
//     cannot elicit (inDirectCall).
//   - notifications/cancelled reaches mcp-go's own table of requests in
//     flight: the transport keeps one for direct calls and cancels them too.
//   - Hooks, tracing and mcp-go's request log: Switchboard registers no
//     request hooks (only session hooks, which a held session has run
//     already) and neither of the others; a server that adds one must
//     leave the direct path, or have it call them.
//   - Task-augmented calls and input schema validation: no Switchboard
//     tool supports tasks, and the server does not enable mcp-go's
//     validation (each handler checks its arguments).
//
// transport's TestDirectCall sends the same calls both ways and requires
// the same bytes back.

// directTool reports whether tools/call of name can be answered directly,
// before anything of the request is looked at: false for the tools that
// may talk to the client while they run.
func directTool(name string) bool {
	switch name {
	case "authorize": // elicits the connect link when the client can
		return false
	case "wait_for_connection": // reports progress
		return false
	}
	return true
}

// mayAsk reports whether a call of tool name may ask the person through
// elicitation before it runs: a toolkit tool, or execute_tool running one,
// when the client declared elicitation and one of the user's accounts has
// a policy that confirms (accounts.Policy.Confirm). Reading the accounts
// costs nothing while they are cached.
func (s *Server) mayAsk(ctx context.Context, sc *accounts.Scope, cs mcpserver.ClientSession, name string) (bool, error) {
	if metaTools[name] || name == "search_tools" {
		return false, nil
	}
	info, ok := cs.(mcpserver.SessionWithClientInfo)
	if !ok {
		return false, nil
	}
	caps := info.GetClientCapabilities()
	if caps.Elicitation == nil {
		return false, nil
	}
	all, err := s.svc.Accounts(ctx, sc.UserID(), "")
	if err != nil {
		return false, err
	}
	for _, a := range all {
		if a.Policy.Confirm != "" && a.Policy.Confirm != accounts.ConfirmNone {
			return true, nil
		}
	}
	return false, nil
}

// CallDirect runs the tools/call req of a legacy session whose mcp-go
// session is cs, as mcp-go's handleToolCall would, and returns the
// JSON-RPC answer to request id; nil, having run nothing, when the call
// must go through mcp-go instead (see the direct path above). ctx carries
// the request's scope.
func (s *Server) CallDirect(ctx context.Context, cs mcpserver.ClientSession, id any, req mcp.CallToolRequest) mcp.JSONRPCMessage {
	p := req.Params
	if p.Task != nil || (p.Meta != nil && p.Meta.ProgressToken != nil) || p.RequestState != "" || len(p.InputResponses) > 0 {
		return nil
	}
	if !directTool(p.Name) {
		return nil
	}
	if st, ok := cs.(mcpserver.SessionWithTools); ok && len(st.GetSessionTools()) > 0 {
		return nil // mcp-go looks there first; Switchboard adds none
	}
	tool := s.mcp.GetTool(p.Name)
	if tool == nil || tool.Tool.Execution != nil {
		return nil // mcp-go answers an unknown tool; no tool of ours has tasks
	}
	sc := ScopeFromContext(ctx)
	if sc == nil || len(s.filter(ctx, []mcp.Tool{tool.Tool})) == 0 {
		return nil
	}
	if ask, err := s.mayAsk(ctx, sc, cs, p.Name); ask || err != nil {
		return nil
	}
	ctx = context.WithValue(s.mcp.WithContext(ctx, cs), directKey{}, true)
	res, err := recovered(tool.Handler)(ctx, req)
	switch {
	case err != nil:
		if details, ok := urlElicitationRequired(err); ok {
			// As mcp-go's handlerError answers a legacy request.
			return mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(id),
				Error: mcp.NewJSONRPCErrorDetails(details.Code, err.Error(), details.Data)}
		}
		return jsonrpcError(id, mcp.INTERNAL_ERROR, err.Error())
	case res == nil:
		return jsonrpcError(id, mcp.INTERNAL_ERROR, fmt.Sprintf("tool '%s' handler returned no result", p.Name))
	case res.NeedsInput():
		// Only a 2026-07-28 request gets an input_required result
		// (runTool), and such a request is never direct.
		return jsonrpcError(id, mcp.INTERNAL_ERROR, fmt.Sprintf("tool '%s' asked a legacy session for input", p.Name))
	}
	return mcp.NewJSONRPCResultResponse(mcp.NewRequestId(id), res)
}

// directKey marks the context of a direct call.
type directKey struct{}

// inDirectCall reports whether ctx is a direct call's. Such a call has no
// response stream, so it cannot put a request to the client: CallDirect
// lets through no call that would (mayAsk), but an account's policy can
// change between that check and the call, and the call then answers as
// for a client that cannot elicit (a link for the person), rather than
// wait for an answer that could never come.
func inDirectCall(ctx context.Context) bool {
	v, _ := ctx.Value(directKey{}).(bool)
	return v
}

// urlElicitationRequired is the JSON-RPC error of the
// mcp.URLElicitationRequiredError in err's chain, by value or pointer.
func urlElicitationRequired(err error) (mcp.JSONRPCErrorDetails, bool) {
	var required mcp.URLElicitationRequiredError
	if errors.As(err, &required) {
		return required.JSONRPCError().Error, true
	}
	var pointer *mcp.URLElicitationRequiredError
	if errors.As(err, &pointer) && pointer != nil {
		return pointer.JSONRPCError().Error, true
	}
	return mcp.JSONRPCErrorDetails{}, false
}

// recovered is h with mcp-go's WithRecovery, which server.New installs
// for every tool: a panic becomes the call's error, in mcp-go's words.
func recovered(h mcpserver.ToolHandlerFunc) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
		defer func() {
			if r := recover(); r != nil {
				res, err = nil, fmt.Errorf("panic recovered in %s tool handler: %v", req.Params.Name, r)
			}
		}()
		return h(ctx, req)
	}
}

// jsonrpcError is the JSON-RPC error answer mcp-go gives a failed call.
func jsonrpcError(id any, code int, message string) mcp.JSONRPCMessage {
	return mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(id), Error: mcp.NewJSONRPCErrorDetails(code, message, nil)}
}
