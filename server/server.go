// Package server is Switchboard's MCP server on mcp-go: the meta tools, the
// toolkit tools, the per-request tool filter, and the translation of every
// failure into a tool result with an error code.
//
// Per-user tools are one global registration plus a tool filter that reads
// the request's scope (see NewContext), not mcp-go session tools, so that
// legacy sessions and stateless 2026-07-28 requests see the same tools and
// any replica can serve any request.
package server

import (
	"context"
	"encoding/json"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"switchboard/accounts"
	"switchboard/tools"
)

// Config holds what a Server is built from.
type Config struct {
	// Service applies the account rules; required.
	Service *accounts.Service
	// Log is the logger; nil means none.
	Log *zap.Logger
	// Version is reported in serverInfo.
	Version string
	// ToolMode is the server's default tool mode: "all", "search", or
	// "auto" (search when a session would list more than AutoThreshold
	// toolkit tools). Empty means auto.
	ToolMode string
	// AutoThreshold is auto's limit; 0 means 30.
	AutoThreshold int
	// LocalLinks says that this process serves the connect links it issues
	// (stdio, on a loopback listener), so they work only while it runs;
	// authorize and wait_for_connection tell the agent so.
	LocalLinks bool
	// OnToolCall, when set, is told of every tool call: the tool, its
	// outcome ("ok" or the error code) and how long it took (metrics).
	OnToolCall func(tool, outcome string, took time.Duration)
}

// Server is Switchboard's MCP server. It is safe for concurrent use.
type Server struct {
	svc      *accounts.Service
	log      *zap.Logger
	mcp      *mcpserver.MCPServer
	sessions *listeners
	observe  func(tool, outcome string, took time.Duration)
	local    bool
	index    *tools.Index
	mode     string
	auto     int
	// version is the server's, as mcp-go names the server in results.
	version string
	// headerBound names the tools whose input schema binds a parameter to
	// an HTTP header (x-mcp-header): a stateless call of one is never
	// direct, since mcp-go checks the header against the body.
	headerBound map[string]bool
}

// metaTools are listed in every session, whatever its accounts and mode.
var metaTools = map[string]bool{
	"list_toolkits": true, "list_accounts": true, "authorize": true,
	"wait_for_connection": true, "select_account": true, "list_activity": true,
}

// searchTools are listed instead of the toolkit tools in search mode; in
// all mode they are not listed, but still answer.
var searchTools = map[string]bool{"search_tools": true, "execute_tool": true}

// New builds the MCP server and registers every tool once.
func New(cfg Config) *Server {
	s := &Server{svc: cfg.Service, log: cfg.Log, sessions: newListeners(), observe: cfg.OnToolCall, local: cfg.LocalLinks,
		index: tools.NewIndex(cfg.Service.Catalog().Tools()), mode: cfg.ToolMode, auto: cfg.AutoThreshold,
		version: cfg.Version, headerBound: map[string]bool{}}
	if s.mode == "" {
		s.mode = accounts.ToolModeAuto
	}
	if s.auto <= 0 {
		s.auto = 30
	}
	if s.observe == nil {
		s.observe = func(string, string, time.Duration) {}
	}
	if s.log == nil {
		s.log = zap.NewNop()
	}
	hooks := &mcpserver.Hooks{}
	hooks.AddOnRegisterSession(s.registerSession)
	hooks.AddOnUnregisterSession(s.unregisterSession)
	hooks.AddBeforeSubscriptionsListen(s.listen)
	s.mcp = mcpserver.NewMCPServer("switchboard", cfg.Version,
		// No WithElicitation: elicitation is a capability the client
		// declares; a server that advertised it would claim to answer
		// elicitation requests itself. authorize elicits when the client
		// declared it.
		mcpserver.WithToolCapabilities(true),
		mcpserver.WithToolFilter(s.filter),
		mcpserver.WithHooks(hooks),
		mcpserver.WithRecovery(),
		mcpserver.WithInstructions(instructions),
	)
	s.addMetaTools()
	for _, t := range s.svc.Catalog().Tools() {
		s.mcp.AddTool(mcpTool(t), s.callToolkitTool(t))
	}
	for name, t := range s.mcp.ListTools() {
		if len(mcp.ExtractParamHeaderBindings(&t.Tool)) > 0 {
			s.headerBound[name] = true
		}
	}
	return s
}

// MCP returns the underlying mcp-go server, for the transports.
func (s *Server) MCP() *mcpserver.MCPServer { return s.mcp }

const instructions = `Switchboard lets you act in the user's third-party services (GitHub, Gmail, Slack, …). ` +
	`The user may have several accounts per service; one is active per service in this session. ` +
	`list_toolkits shows which account is active for each service; list_accounts lists them all; ` +
	`select_account switches. To connect an account call authorize, show the user the link, then call wait_for_connection. ` +
	`Every tool result names the account that acted.`

// mcpTool converts a catalog tool to its MCP listing.
func mcpTool(t *tools.Tool) mcp.Tool {
	return mcp.Tool{
		Name:           t.Name,
		Title:          t.Title,
		Description:    t.Description,
		RawInputSchema: json.RawMessage(t.InputSchema),
		Annotations: mcp.ToolAnnotation{
			Title:           t.Title,
			ReadOnlyHint:    mcp.ToBoolPtr(t.ReadOnly),
			DestructiveHint: mcp.ToBoolPtr(t.Destructive),
			IdempotentHint:  mcp.ToBoolPtr(t.Idempotent),
			OpenWorldHint:   mcp.ToBoolPtr(t.OpenWorld),
		},
	}
}

// filter decides per request which tools exist: the meta tools always;
// in all mode the toolkit tools the scope lists (Service.Listing: allowed,
// named or with an ACTIVE account of the user, and not refused by the
// policy of the account that would act); in search mode search_tools and
// execute_tool instead of them (see toolMode).
//
// mcp-go applies the filter at tools/call as well, passing only the called
// tool. There every tool passes, so that the call answers with a code the
// agent can act on (ACCOUNT_REQUIRED with how to connect one,
// TOOLKIT_NOT_ENABLED) instead of a bare "tool not found", and so that in
// search mode a client that remembers a tool's name can still call it;
// Service.Call enforces the same rules. A list always holds the six meta
// tools, so a one-tool slice is a call.
func (s *Server) filter(ctx context.Context, in []mcp.Tool) []mcp.Tool {
	sc := ScopeFromContext(ctx)
	if len(in) == 1 {
		if sc == nil && !metaTools[in[0].Name] {
			return nil
		}
		return in
	}
	if sc == nil {
		out := in[:0:0]
		for _, t := range in {
			if metaTools[t.Name] {
				out = append(out, t)
			}
		}
		return out
	}
	listed, err := s.svc.Listing(ctx, sc)
	if err != nil {
		s.log.Error("listing toolkits for the tool filter", zap.String("user", sc.UserID()), zap.Error(err))
		listed = &accounts.Listing{}
	}
	search := s.toolMode(sc, listed) == accounts.ToolModeSearch
	out := in[:0:0]
	for _, t := range in {
		switch {
		case metaTools[t.Name]:
			out = append(out, t)
		case searchTools[t.Name]:
			if search {
				out = append(out, t)
			}
		case !search:
			if ct := s.svc.Catalog().Tool(t.Name); ct != nil && listed.Lists(ct) {
				out = append(out, t)
			}
		}
	}
	return out
}

// toolMode is the scope's effective tool mode, all or search: the
// request's X-Tool-Mode, else the session's, else the server's default;
// auto becomes search when the scope lists more than the threshold's
// toolkit tools.
func (s *Server) toolMode(sc *accounts.Scope, listed *accounts.Listing) string {
	mode := sc.ToolMode
	if mode == "" {
		mode = sc.Session.ToolMode
	}
	if mode == "" {
		mode = s.mode
	}
	if mode != accounts.ToolModeAuto {
		return mode
	}
	n := 0
	for slug := range listed.Toolkits {
		if tk := s.svc.Catalog().Toolkit(slug); tk != nil {
			for _, t := range tk.Tools {
				if listed.Lists(t) {
					n++
				}
			}
		}
	}
	if n > s.auto {
		return accounts.ToolModeSearch
	}
	return accounts.ToolModeAll
}

// logCall records one tool call: who, what, which account, outcome. The
// fields are built only when the logger takes the entry: production
// logging samples, and drops most lines of a busy server.
func (s *Server) logCall(sc *accounts.Scope, tool string, acct *accounts.Account, start time.Time, err error) {
	took := time.Since(start)
	outcome, level := "ok", zap.InfoLevel
	var e *accounts.Error
	if err != nil {
		e = accounts.ErrorOf(err)
		outcome = string(e.Code)
		if e.Code == accounts.CodeInternal {
			level = zap.ErrorLevel
		}
	}
	s.observe(tool, outcome, took)
	ce := s.log.Check(level, "tool call")
	if ce == nil {
		return
	}
	fields := make([]zap.Field, 0, 7)
	fields = append(fields, zap.String("tool", tool), zap.Duration("took", took))
	if sc != nil {
		fields = append(fields, zap.String("session", sc.Session.ID), zap.String("user", sc.UserID()))
	}
	if acct != nil {
		fields = append(fields, zap.String("account", acct.ID))
	}
	fields = append(fields, zap.String("outcome", outcome))
	if level == zap.ErrorLevel {
		fields = append(fields, zap.Error(e.Err))
	}
	ce.Write(fields...)
}
