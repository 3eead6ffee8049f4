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
	readOnly, idempotent             bool
	handler                          metaHandler
}

func (s *Server) addMetaTools() {
	for _, m := range []metaTool{
		{
			name: "list_toolkits", title: "List toolkits", readOnly: true, idempotent: true,
			description: "List the services (toolkits) this session may use, and for each: whether the user has connected it, which account is active in this session (id, alias, label, status), how many accounts the user has, and how many tools it offers. Call this first to see what you can act in and as whom.",
			schema:      `{"type":"object","properties":{},"additionalProperties":false}`,
			handler:     s.listToolkits,
		},
		{
			name: "list_accounts", title: "List connected accounts", readOnly: true, idempotent: true,
			description: "List the user's connected accounts, most recently connected first: id, toolkit, alias, label (e.g. the GitHub login), status, when connected and last used, whether it is the account active in this session and why (selected_by: header, session or default). Inactive accounts (expired, failed, disabled) are left out unless include_inactive is true.",
			schema:      `{"type":"object","properties":{"toolkit":{"type":"string","description":"Only this toolkit's accounts, e.g. \"github\"."},"include_inactive":{"type":"boolean","description":"Also list accounts that are not ACTIVE.","default":false}},"additionalProperties":false}`,
			handler:     s.listAccounts,
		},
		{
			name: "authorize", title: "Connect an account",
			description: "Start connecting an account of a toolkit for the user, or re-authorize an existing one (pass account). Returns a connect link (redirect_url) that expires in minutes: show it to the user and ask them to open it, then call wait_for_connection with the returned connected_account_id. Each authorization creates a separate account; once connected it becomes the active account of this session for that toolkit.",
			schema:      `{"type":"object","properties":{"toolkit":{"type":"string","description":"The toolkit to connect, e.g. \"github\"."},"alias":{"type":"string","description":"A short name for the new account, e.g. \"work\" or \"personal\"; unique per toolkit."},"auth_config":{"type":"string","description":"The auth config id to use (ac_…); the toolkit's default when omitted."},"account":{"type":"string","description":"Re-authorize this existing account (id, alias or label) instead of connecting a new one, e.g. after it EXPIRED."}},"required":["toolkit"],"additionalProperties":false}`,
			handler:     s.authorize,
		},
		{
			name: "wait_for_connection", title: "Wait for a connection", readOnly: true, idempotent: true,
			description: "Wait until the user completes (or abandons) a connect link from authorize. Returns the account with its status: ACTIVE when connected, FAILED when the link expired or the authorization failed, or still INITIATED with pending=true when the timeout passed first (then call again).",
			schema:      `{"type":"object","properties":{"connected_account_id":{"type":"string","description":"The connected_account_id returned by authorize."},"timeout_seconds":{"type":"integer","minimum":1,"maximum":300,"default":60,"description":"How long to wait, 1 to 300 seconds."}},"required":["connected_account_id"],"additionalProperties":false}`,
			handler:     s.waitForConnection,
		},
		{
			name: "select_account", title: "Select the active account", idempotent: true,
			description: "Make one of the user's accounts the active account of a toolkit for the rest of this session. Name it by id (ca_…), alias, or label (e.g. the GitHub login or Gmail address) when unique. Fails if the account is not ACTIVE, if the name matches several accounts (the candidates are listed), or if the request's X-Connected-Accounts header fixes the toolkit's account.",
			schema:      `{"type":"object","properties":{"toolkit":{"type":"string","description":"The toolkit, e.g. \"github\"."},"account":{"type":"string","description":"Account id, alias or label."}},"required":["toolkit","account"],"additionalProperties":false}`,
			handler:     s.selectAccount,
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
				OpenWorldHint:   mcp.ToBoolPtr(false),
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
			return accounts.Errorf(accounts.CodeInvalidArguments, "Unknown argument %q; this tool takes %s.", k, strings.Join(allowed, ", "))
		}
	}
	return nil
}
