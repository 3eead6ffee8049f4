package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"switchboard/accounts"
)

// metaTool is the listing of one meta tool: what data cannot say is in its
// handler.
type metaTool struct {
	name, title, description, schema string
	readOnly, idempotent, openWorld  bool
	handler                          metaHandler
}

func (s *Server) addMetaTools() {
	for _, m := range []metaTool{
		{
			name: "list_toolkits", title: "List toolkits", readOnly: true, idempotent: true,
			description: "The services (toolkits) of this session: whether each can be connected and is, the account active here (why, and its policy), account and tool counts. Call it first.",
			schema:      `{"type":"object","properties":{},"additionalProperties":false}`,
			handler:     s.listToolkits,
		},
		{
			name: "list_accounts", title: "List connected accounts", readOnly: true, idempotent: true,
			description: "The user's connected accounts, newest first: id, toolkit, alias, label (e.g. a GitHub login), status, policy, whether active in this session (selected_by). Non-ACTIVE ones only with include_inactive.",
			schema:      `{"type":"object","properties":{"toolkit":{"type":"string","description":"Only this toolkit's accounts."},"include_inactive":{"type":"boolean","default":false}},"additionalProperties":false}`,
			handler:     s.listAccounts,
		},
		{
			name: "authorize", title: "Connect an account",
			description: "Connect an account of a toolkit for the user, or re-authorize one (account). Returns a short-lived link (redirect_url): show it to the user, then call wait_for_connection. Each connection is a separate account; once connected it is active in this session.",
			schema:      `{"type":"object","properties":{"toolkit":{"type":"string","description":"e.g. \"github\"."},"alias":{"type":"string","description":"A name for it, e.g. \"work\"."},"auth_config":{"type":"string","description":"Auth config id (ac_…)."},"account":{"type":"string","description":"Re-authorize this account (id, alias or label)."}},"required":["toolkit"],"additionalProperties":false}`,
			handler:     s.authorize,
		},
		{
			name: "wait_for_connection", title: "Wait for a connection", readOnly: true, idempotent: true,
			description: "Wait until the user completes or abandons a link from authorize: the account ACTIVE, FAILED (link failed or expired), or pending=true if the timeout passed first (call again).",
			schema:      `{"type":"object","properties":{"connected_account_id":{"type":"string","description":"From authorize."},"timeout_seconds":{"type":"integer","minimum":1,"maximum":300,"default":60}},"required":["connected_account_id"],"additionalProperties":false}`,
			handler:     s.waitForConnection,
		},
		{
			name: "select_account", title: "Select the active account", idempotent: true,
			description: "Make one of the user's accounts this session's active one for a toolkit (by id, alias, or unique label). Refused when it is not ACTIVE, the name is ambiguous, or X-Connected-Accounts fixes the toolkit.",
			schema:      `{"type":"object","properties":{"toolkit":{"type":"string"},"account":{"type":"string","description":"Account id, alias or label."}},"required":["toolkit","account"],"additionalProperties":false}`,
			handler:     s.selectAccount,
		},
		{
			name: "search_tools", title: "Find tools", readOnly: true, idempotent: true,
			description: "Find tools for a task in plain words (\"archive this email\") among every service of this session, connected or not. Returns the best matches with input schemas and the account (and policy) each would act as; run one with execute_tool.",
			schema:      `{"type":"object","properties":{"query":{"type":"string","description":"What you want to do."},"toolkit":{"type":"string","description":"Only this toolkit's tools."},"limit":{"type":"integer","minimum":1,"maximum":20,"default":5}},"required":["query"],"additionalProperties":false}`,
			handler:     s.searchTools,
		},
		{
			name: "execute_tool", title: "Run a tool", openWorld: true,
			description: "Run a tool found with search_tools exactly as calling it by name would.",
			schema:      `{"type":"object","properties":{"tool":{"type":"string","description":"The tool's name, e.g. GMAIL_SEND_EMAIL."},"arguments":{"type":"object","description":"Per its input_schema."},"confirmation":{"type":"string","description":"From CONFIRMATION_REQUIRED, once the user allowed it."}},"required":["tool"],"additionalProperties":false}`,
			handler:     s.executeTool,
		},
		{
			name: "list_activity", title: "Recent activity", readOnly: true, idempotent: true,
			description: "The user's recent toolkit calls, newest first: tool, account and who chose it, outcome. Never arguments or results.",
			schema:      `{"type":"object","properties":{"limit":{"type":"integer","minimum":1,"maximum":50},"cursor":{"type":"string"}},"additionalProperties":false}`,
			handler:     s.listActivity,
		},
	} {
		m := m
		tool := mcp.Tool{
			Name:           m.name,
			Title:          m.title,
			Description:    m.description,
			RawInputSchema: json.RawMessage(m.schema),
			Annotations: mcp.ToolAnnotation{
				Title:           m.title,
				ReadOnlyHint:    mcp.ToBoolPtr(m.readOnly),
				DestructiveHint: mcp.ToBoolPtr(false),
				IdempotentHint:  mcp.ToBoolPtr(m.idempotent),
				OpenWorldHint:   mcp.ToBoolPtr(m.openWorld),
			},
		}
		s.mcp.AddTool(tool, s.handle(m.name, m.handler))
	}
}

// metaHandler is the shape of a meta tool's handler: the request's scope,
// its arguments, and the request itself for what else it carries.
type metaHandler func(ctx context.Context, sc *accounts.Scope, args map[string]any, req mcp.CallToolRequest) (*mcp.CallToolResult, error)

// handle wraps a handler with scope resolution, logging and the
// error-to-result translation.
func (s *Server) handle(tool string, h metaHandler) mcpserver.ToolHandlerFunc {
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		start := time.Now()
		sc, err := s.scope(ctx)
		if err == nil {
			err = argumentsObject(req)
		}
		if err == nil {
			var res *mcp.CallToolResult
			res, err = h(ctx, sc, req.GetArguments(), req)
			if err == nil {
				s.logCall(sc, tool, nil, start, nil)
				return res, nil
			}
		}
		s.logCall(sc, tool, nil, start, err)
		return errorResult(err), nil
	}
}

// argumentsObject refuses arguments that are not a JSON object (or
// absent): GetArguments would read them as none, and the call would run
// as if it had been given no arguments.
func argumentsObject(req mcp.CallToolRequest) error {
	switch a := req.Params.Arguments.(type) {
	case nil, map[string]any:
		return nil
	default:
		return accounts.Errorf(accounts.CodeInvalidArguments, "arguments must be an object of named arguments, not %s.", jsonKind(a))
	}
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "true or false"
	case []any:
		return "an array"
	}
	return "that"
}

// scope returns the request's scope with its session freshly loaded, so a
// selection made by another request, process or replica is seen; a scope
// the transport loaded for this request already is.
func (s *Server) scope(ctx context.Context) (*accounts.Scope, error) {
	sc := ScopeFromContext(ctx)
	if sc == nil {
		return nil, errors.New("server: request has no scope")
	}
	if sc.Loaded {
		return sc, nil
	}
	sess, err := s.svc.Store().Session(ctx, sc.Session.ID)
	if err != nil {
		return nil, fmt.Errorf("loading session %s: %w", sc.Session.ID, err)
	}
	fresh := *sc
	fresh.Session = sess
	return &fresh, nil
}

func stringArg(args map[string]any, key string) (string, error) {
	v, ok := args[key]
	if !ok || v == nil {
		return "", nil
	}
	str, ok := v.(string)
	if !ok {
		return "", accounts.Errorf(accounts.CodeInvalidArguments, "%s must be a string.", key)
	}
	return strings.TrimSpace(str), nil
}

func requiredArg(args map[string]any, key string) (string, error) {
	v, err := stringArg(args, key)
	if err == nil && v == "" {
		err = accounts.Errorf(accounts.CodeInvalidArguments, "%s is required.", key)
	}
	return v, err
}

// checkArgs refuses arguments a tool does not declare.
func checkArgs(args map[string]any, allowed ...string) error {
	for k := range args {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return accounts.Errorf(accounts.CodeInvalidArguments, "Unknown argument %s; this tool takes %s.", accounts.Quote(k), strings.Join(allowed, ", "))
		}
	}
	return nil
}
