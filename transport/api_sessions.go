package transport

import (
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"time"

	"switchboard/accounts"
	"switchboard/server"
	"switchboard/tools"
)

// sessionRequest is the body of POST /api/v1/sessions.
type sessionRequest struct {
	UserID                   string            `json:"user_id"`
	ConnectedAccounts        map[string]string `json:"connected_accounts"`
	Toolkits                 *[]string         `json:"toolkits"`
	AuthConfigs              map[string]string `json:"auth_configs"`
	RequireExplicitSelection bool              `json:"require_explicit_selection"`
	ToolMode                 string            `json:"tool_mode"`
	TTL                      *jsonNumber       `json:"ttl"`
}

// jsonNumber is a JSON number as written. json.Number alone also takes a
// string that holds one ("3600"), which the API's schema does not.
type jsonNumber struct{ json.Number }

func (n *jsonNumber) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		// As encoding/json reports a string given for a number field, so
		// that the answer names the field.
		return &json.UnmarshalTypeError{Value: "string", Type: reflect.TypeFor[int64]()}
	}
	return json.Unmarshal(b, &n.Number)
}

// ttlOf reads a ttl in whole seconds, exactly: no fractions, no exponents
// beyond what an integer holds.
func ttlOf(n *jsonNumber) (time.Duration, error) {
	if n == nil {
		return 0, nil
	}
	secs, err := n.Int64()
	if err != nil || secs <= 0 || secs > int64(365*24*time.Hour/time.Second) {
		return 0, accounts.Errorf(accounts.CodeInvalidArguments, "ttl must be a whole number of seconds, at least 60; %s is not one.", quote(n.String()))
	}
	return time.Duration(secs) * time.Second, nil
}

// createSession answers POST /api/v1/sessions: a session for the user,
// with the URL and headers an MCP client needs. The session token in
// mcp.headers is shown this once.
func (h *HTTP) createSession(c *apiCall) (int, any, error) {
	var req sessionRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	userID := req.UserID // not trimmed: see scope
	if userID == "" {
		return 0, nil, badRequest("user_id is required.")
	}
	if err := checkUserID("X-User-Id", userID); err != nil {
		return 0, nil, badRequest("user_id %s.", strings.TrimPrefix(err.Error(), "X-User-Id "))
	}
	ttl, err := ttlOf(req.TTL)
	if err != nil {
		return 0, nil, err
	}
	opts := accounts.SessionOptions{
		UserID:                   userID,
		KeyID:                    c.p.keyID,
		Selected:                 req.ConnectedAccounts,
		AuthConfigs:              req.AuthConfigs,
		RequireExplicitSelection: req.RequireExplicitSelection,
		ToolMode:                 req.ToolMode,
		TTL:                      ttl,
	}
	if req.Toolkits != nil {
		opts.Toolkits = *req.Toolkits
		if opts.Toolkits == nil {
			opts.Toolkits = []string{}
		}
	}
	sess, token, err := h.svc.CreateAPISession(c.ctx(), opts)
	if err != nil {
		return 0, nil, err
	}
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.Session("api")
	}
	return http.StatusCreated, h.sessionJSON(sess, token), nil
}

// sessionURL is the MCP URL of a stored session.
func (h *HTTP) sessionURL(id string) string {
	return strings.TrimRight(h.cfg.PublicURL, "/") + "/sessions/" + id + "/mcp"
}

// sessionJSON is a session as the API shows it. token, known only when the
// session was just created, goes into mcp.headers; later reads show no
// headers, since only the token's hash is kept.
func (h *HTTP) sessionJSON(sess *accounts.Session, token string) map[string]any {
	headers := map[string]string{}
	if token != "" {
		headers["Authorization"] = "Bearer " + token
	}
	selected := sess.Selected
	if selected == nil {
		selected = map[string]string{}
	}
	configs := sess.AuthConfigs
	if configs == nil {
		configs = map[string]string{}
	}
	return map[string]any{
		"id":      sess.ID,
		"user_id": sess.UserID,
		"config": map[string]any{
			"connected_accounts":         selected,
			"toolkits":                   sess.Toolkits,
			"auth_configs":               configs,
			"require_explicit_selection": sess.RequireExplicitSelection,
			"tool_mode":                  nullString(sess.ToolMode),
		},
		"mcp":        map[string]any{"type": "http", "url": h.sessionURL(sess.ID), "headers": headers},
		"created_at": timeJSON(sess.CreatedAt),
		"updated_at": timeJSON(sess.UpdatedAt),
		"expires_at": timeJSON(sess.ExpiresAt),
	}
}

// timeJSON is a time as the API writes it: RFC 3339 in UTC, or null.
func timeJSON(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func (h *HTTP) getSession(c *apiCall) (int, any, error) {
	return http.StatusOK, h.sessionJSON(c.session, ""), nil
}

// sessionPatch is the body of PATCH /api/v1/sessions/{id}: absent fields
// stay as they are.
type sessionPatch struct {
	// ConnectedAccounts changes the account per toolkit; a null value
	// returns that toolkit to the default.
	ConnectedAccounts        map[string]*string          `json:"connected_accounts"`
	Toolkits                 optional[[]string]          `json:"toolkits"`
	AuthConfigs              optional[map[string]string] `json:"auth_configs"`
	RequireExplicitSelection *bool                       `json:"require_explicit_selection"`
	ToolMode                 optional[string]            `json:"tool_mode"`
	TTL                      *jsonNumber                 `json:"ttl"`
}

// patchSession answers PATCH /api/v1/sessions/{id}: the seed's "switch
// accounts" without a new session, and changes of toolkits, strictness and
// lifetime.
func (h *HTTP) patchSession(c *apiCall) (int, any, error) {
	var req sessionPatch
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	upd := accounts.SessionUpdate{RequireExplicitSelection: req.RequireExplicitSelection}
	if req.ToolMode.Set {
		upd.ToolMode = &req.ToolMode.Value // null: the server's default
	}
	if req.ConnectedAccounts != nil {
		upd.Select = map[string]string{}
		for toolkit, ref := range req.ConnectedAccounts {
			upd.Select[toolkit] = ""
			if ref != nil {
				if strings.TrimSpace(*ref) == "" {
					return 0, nil, badRequest("connected_accounts.%s must name an account, or be null to return to the default.", toolkit)
				}
				upd.Select[toolkit] = *ref
			}
		}
	}
	if req.Toolkits.Set {
		tk := req.Toolkits.Value
		if !req.Toolkits.Null && tk == nil {
			tk = []string{}
		}
		upd.Toolkits = &tk
	}
	if req.AuthConfigs.Set {
		m := req.AuthConfigs.Value
		if m == nil {
			m = map[string]string{}
		}
		upd.AuthConfigs = &m
	}
	var err error
	if upd.TTL, err = ttlOf(req.TTL); err != nil {
		return 0, nil, err
	}
	next, err := h.svc.UpdateSession(c.ctx(), c.session, upd)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, h.sessionJSON(next, ""), nil
}

// deleteSession answers DELETE /api/v1/sessions/{id}: the session, its URL
// and its token end at once, on every replica (they read sessions from the
// store on every request).
func (h *HTTP) deleteSession(c *apiCall) (int, any, error) {
	if err := h.svc.DeleteSession(c.ctx(), c.session); err != nil {
		return 0, nil, sessionError(c.session.ID, err)
	}
	return http.StatusOK, map[string]any{"id": c.session.ID, "deleted": true}, nil
}

// sessionToolkits answers GET /api/v1/sessions/{id}/toolkits: the seed's
// session.toolkits(), with the account each toolkit acts with, chosen by
// the rules list_toolkits follows.
func (h *HTTP) sessionToolkits(c *apiCall) (int, any, error) {
	states, err := h.svc.Toolkits(c.ctx(), c.scope())
	if err != nil {
		return 0, nil, err
	}
	items := []any{}
	for _, st := range states {
		item := map[string]any{
			"slug":              st.Toolkit.Slug,
			"name":              st.Toolkit.Name,
			"auth_schemes":      nonNilStrings(st.AuthSchemes),
			"connected":         st.Connected,
			"connected_account": nil,
			"selected_by":       nil,
			"account_count":     st.AccountCount,
			"tool_count":        len(st.Toolkit.Tools),
		}
		if st.Active != nil {
			brief := server.AccountBrief(st.Active)
			brief["policy"] = server.PolicyJSON(st.Active.Policy)
			item["connected_account"] = brief
			item["selected_by"] = st.SelectedBy
		}
		if st.Problem != nil {
			item["selection_error"] = map[string]any{"code": st.Problem.Code, "message": st.Problem.Message}
		}
		items = append(items, item)
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// sessionTools answers GET /api/v1/sessions/{id}/tools: the toolkit tools
// the session lists (as tools/list does), with their input schemas.
func (h *HTTP) sessionTools(c *apiCall) (int, any, error) {
	list, err := h.svc.ListedTools(c.ctx(), c.scope())
	if err != nil {
		return 0, nil, err
	}
	items := []any{}
	for _, t := range list {
		items = append(items, toolJSON(t))
	}
	return http.StatusOK, map[string]any{"items": items}, nil
}

// toolJSON is a tool as the API lists it.
func toolJSON(t *tools.Tool) map[string]any {
	return map[string]any{
		"name":         t.Name,
		"title":        t.Title,
		"description":  t.Description,
		"toolkit":      t.Toolkit,
		"input_schema": json.RawMessage(t.InputSchema),
		"annotations": map[string]bool{
			"read_only": t.ReadOnly, "destructive": t.Destructive,
			"idempotent": t.Idempotent, "open_world": t.OpenWorld,
		},
	}
}

// executeRequest is the body of POST /api/v1/sessions/{id}/execute.
type executeRequest struct {
	Tool      string          `json:"tool"`
	Arguments json.RawMessage `json:"arguments"`
	// Confirmation is the id of a confirmation the person gave for this
	// call, when the account's policy made it answer CONFIRMATION_REQUIRED.
	Confirmation string `json:"confirmation"`
}

// sessionExecute answers POST /api/v1/sessions/{id}/execute: the tool runs
// exactly as a tools/call in the session would (same validation, account
// choice and refusals), for agents that use native tools rather than MCP.
func (h *HTTP) sessionExecute(c *apiCall) (int, any, error) {
	var req executeRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	t, args, err := h.toolCall(req.Tool, req.Arguments)
	if err != nil {
		return 0, nil, err
	}
	res, err := h.srv.Execute(c.ctx(), c.scope(), t, args, accounts.CallOptions{Via: accounts.ViaAPI, Confirmation: strings.TrimSpace(req.Confirmation)})
	if err != nil {
		return 0, nil, err
	}
	text, structured := server.CallOutput(res)
	structured["text"] = text
	return http.StatusOK, structured, nil
}

// toolCall resolves a tool name and its JSON arguments, which must be an
// object (absent or null means {}).
func (h *HTTP) toolCall(name string, raw json.RawMessage) (*tools.Tool, map[string]any, error) {
	if name == "" {
		return nil, nil, badRequest("tool is required.")
	}
	t := h.svc.Catalog().Tool(name)
	if t == nil {
		return nil, nil, apiErrorf(http.StatusNotFound, codeNotFound, "There is no tool %s; GET /api/v1/sessions/{id}/tools lists the session's tools.", quote(name))
	}
	// Numbers stay exact (json.Number) and anything but an object is
	// refused, as for a tools/call.
	args, err := t.Arguments(raw)
	if err != nil {
		return nil, nil, err
	}
	return t, args, nil
}

// linkRequest is the body of POST /api/v1/sessions/{id}/link.
type linkRequest struct {
	Toolkit     string `json:"toolkit"`
	Alias       string `json:"alias"`
	AuthConfig  string `json:"auth_config"`
	Account     string `json:"account"`
	CallbackURL string `json:"callback_url"`
}

// sessionLink answers POST /api/v1/sessions/{id}/link: the seed's
// session.authorize(). The link works like one from the authorize tool:
// completing it makes the account the session's for that toolkit.
func (h *HTTP) sessionLink(c *apiCall) (int, any, error) {
	var req linkRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if strings.TrimSpace(req.Toolkit) == "" {
		return 0, nil, badRequest("toolkit is required.")
	}
	auth, err := h.svc.Authorize(c.ctx(), c.scope(), accounts.AuthorizeRequest{
		Toolkit: strings.TrimSpace(req.Toolkit), Alias: req.Alias, AuthConfig: req.AuthConfig,
		Account: req.Account, CallbackURL: req.CallbackURL,
	})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, linkJSON(auth), nil
}

// linkJSON is an issued connect link as the API shows it.
func linkJSON(auth *accounts.Authorization) map[string]any {
	return map[string]any{
		"connected_account_id": auth.Account.ID,
		"toolkit":              auth.Account.Toolkit,
		"redirect_url":         auth.URL,
		"expires_at":           timeJSON(auth.ExpiresAt),
		"status":               auth.Account.Status,
	}
}
