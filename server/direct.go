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
	info, ok := cs.(mcpserver.SessionWithClientInfo)
	if !ok {
		return false, nil
	}
	return s.mayAskWith(ctx, sc, info.GetClientCapabilities(), name)
}

// mayAskWith is mayAsk for a client that declared caps: at initialize for a
// legacy session, in the request's _meta for a stateless one (which asks
// by answering input_required).
func (s *Server) mayAskWith(ctx context.Context, sc *accounts.Scope, caps mcp.ClientCapabilities, name string) (bool, error) {
	if metaTools[name] || name == "search_tools" {
		return false, nil
	}
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
	return s.answer(ctx, id, tool.Handler, req)
}

// answer runs handler for req as mcp-go's handleToolCall runs it (with
// WithRecovery) and returns its JSON-RPC answer to request id.
func (s *Server) answer(ctx context.Context, id any, handler mcpserver.ToolHandlerFunc, req mcp.CallToolRequest) mcp.JSONRPCMessage {
	p := req.Params
	res, err := recovered(handler)(ctx, req)
	switch {
	case err != nil:
		if details, ok := urlElicitationRequired(err); ok && !modern(ctx) {
			// As mcp-go's handlerError answers a legacy request; a
			// stateless one gets INTERNAL_ERROR there, as below.
			return mcp.JSONRPCError{JSONRPC: mcp.JSONRPC_VERSION, ID: mcp.NewRequestId(id),
				Error: mcp.NewJSONRPCErrorDetails(details.Code, err.Error(), details.Data)}
		}
		return jsonrpcError(id, mcp.INTERNAL_ERROR, err.Error())
	case res == nil:
		return jsonrpcError(id, mcp.INTERNAL_ERROR, fmt.Sprintf("tool '%s' handler returned no result", p.Name))
	case res.NeedsInput() && !modern(ctx):
		// Only a 2026-07-28 request gets an input_required result
		// (runTool); mcp-go refuses one for a legacy request, as here.
		return jsonrpcError(id, mcp.INTERNAL_ERROR, fmt.Sprintf("tool '%s' asked a legacy session for input", p.Name))
	}
	return mcp.NewJSONRPCResultResponse(mcp.NewRequestId(id), res)
}

// CallStateless runs the stateless (2026-07-28) tools/call req as mcp-go's
// HandleMessage and handleToolCall would, and returns the JSON-RPC answer
// to request id; nil, having run nothing, when the call must go through
// mcp-go instead. The transport has checked what lies outside the body
// (transport/direct.go, serveStateless): the protocol version header is
// the _meta's, the standard headers match the body, no Last-Event-ID.
// ctx carries the request's scope.
//
// What mcp-go's handling of a stateless request adds, and why a direct
// call does without it, beyond what CallDirect says of legacy calls:
//
//   - The protocol information of _meta (version, client capabilities and
//     identity, log level) is checked and put in the context: the same is
//     done here, and a request without capabilities, with a log level (a
//     request for notifications/message), or of a version mcp-go does not
//     know goes to mcp-go, which answers it.
//   - A tool whose schema binds a parameter to a header (x-mcp-header) has
//     the header checked against the body: such a tool is never direct.
//   - Each request gets an ephemeral session, which no broadcast reaches: a
//     direct call gets its own (statelessSession), equally unreachable, and
//     no direct call sends a notification (progress and elicitation are
//     not direct), so mcp-go would answer application/json as well.
//   - The result is decorated (resultType complete, the server named in
//     _meta): decorate does the same.
//
// transport's TestDirectStatelessCall sends the same calls both ways and
// requires the same status and bytes back.
func (s *Server) CallStateless(ctx context.Context, id any, req mcp.CallToolRequest) mcp.JSONRPCMessage {
	p := req.Params
	version := p.Meta.ProtocolVersion()
	caps := p.Meta.ClientCapabilities()
	if !mcp.IsModernProtocol(version) || !mcp.IsValidProtocolVersion(version) || caps == nil || p.Meta.LogLevel() != "" {
		return nil
	}
	if p.Task != nil || p.Meta.ProgressToken != nil || p.RequestState != "" || len(p.InputResponses) > 0 {
		return nil
	}
	if !directTool(p.Name) || s.headerBound[p.Name] {
		return nil
	}
	tool := s.mcp.GetTool(p.Name)
	if tool == nil || tool.Tool.Execution != nil {
		return nil
	}
	sc := ScopeFromContext(ctx)
	if sc == nil || len(s.filter(ctx, []mcp.Tool{tool.Tool})) == 0 {
		return nil
	}
	if ask, err := s.mayAskWith(ctx, sc, *caps, p.Name); ask || err != nil {
		return nil
	}
	// Not marked inDirectCall: a stateless call asks the person by
	// answering input_required, a plain result, which needs no response
	// stream; a policy that starts to confirm during the call is answered
	// as mcp-go would answer it.
	info := &mcpserver.RequestProtocolInfo{Modern: true, ProtocolVersion: version, ClientInfo: p.Meta.ClientInfo(), ClientCapabilities: caps}
	ctx = mcpserver.WithRequestProtocolInfo(s.mcp.WithContext(ctx, newStatelessSession()), info)
	resp := s.answer(ctx, id, tool.Handler, req)
	if r, ok := resp.(mcp.JSONRPCResponse); ok {
		if res, ok := r.Result.(*mcp.CallToolResult); ok {
			s.decorate(res)
		}
	}
	return resp
}

// decorate stamps a stateless result as mcp-go's decorateResponse does:
// resultType complete unless the tool set one, and the server named in
// _meta unless the tool named one, as mcp-go's serverImplementation names
// it: name and version from New, and no title, description, website or
// icons, which New does not set (TestDirectStatelessCall compares).
func (s *Server) decorate(res *mcp.CallToolResult) {
	if res.GetResultType() == "" {
		res.SetResultType(mcp.ResultTypeComplete)
	}
	if meta := res.EnsureResultMeta(); meta.ServerInfo() == nil {
		meta.SetServerInfo(mcp.Implementation{Name: "switchboard", Version: s.version})
	}
}

// statelessSession is the session of a direct stateless call: like the
// ephemeral one mcp-go makes for such a request, known to no one, so that
// no broadcast reaches it. Nothing reads its notification channel; a
// direct call sends nothing there (no progress, no elicitation), and the
// channel's room keeps a stray send from blocking the call.
type statelessSession struct{ notifications chan mcp.JSONRPCNotification }

func newStatelessSession() *statelessSession {
	return &statelessSession{notifications: make(chan mcp.JSONRPCNotification, 1)}
}

func (*statelessSession) SessionID() string { return "" }
func (*statelessSession) Initialize()       {}
func (*statelessSession) Initialized() bool { return true }
func (s *statelessSession) NotificationChannel() chan<- mcp.JSONRPCNotification {
	return s.notifications
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
