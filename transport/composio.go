package transport

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"switchboard/accounts"
	"switchboard/server"
)

// The Composio adapter answers the requests the @composio/core SDK (0.17)
// makes, under /api/v3.1, so that code written for that SDK runs against
// Switchboard with COMPOSIO_BASE_URL pointing here and an operator key as
// apiKey. It is a translation of shapes only: every decision is the
// application API's service (the same calls as /api/v1), and nothing here
// has rules of its own. The SDK's wire contract (paths, fields it reads,
// which it validates) was read from its source and checked against it.
//
// Differences that a user of the SDK may notice, decided here:
//   - session options Switchboard has no use for are accepted and ignored
//     (manage_connections, workbench, preload, search, execute,
//     experimental): connect links are always available, and tools run
//     without a sandbox. Restrictions it cannot honour (tools, tags) are
//     refused rather than ignored, so no session has more tools than its
//     application asked for.
//   - a session uses one account per toolkit (rule 2): connected_accounts
//     naming several for one toolkit is refused.
//   - a tool failure is HTTP 200 with error set, as the SDK expects;
//     failures of the request itself (key, session) are HTTP errors.

func (h *HTTP) composioRoutes() []apiRoute {
	return []apiRoute{
		{http.MethodPost, "/api/v3.1/tool_router/session", operatorOnly, h.composioCreateSession},
		{http.MethodGet, "/api/v3.1/tool_router/session/{id}", sessionRoute, h.composioGetSession},
		{http.MethodDelete, "/api/v3.1/tool_router/session/{id}", sessionOperator, h.composioDeleteSession},
		{http.MethodPost, "/api/v3.1/tool_router/session/{id}/link", sessionRoute, h.composioLink},
		{http.MethodGet, "/api/v3.1/tool_router/session/{id}/toolkits", sessionRoute, h.composioToolkits},
		{http.MethodGet, "/api/v3.1/tool_router/session/{id}/tools", sessionRoute, h.composioTools},
		{http.MethodPost, "/api/v3.1/tool_router/session/{id}/execute", sessionRoute, h.composioExecute},
		{http.MethodGet, "/api/v3.1/connected_accounts", operatorOnly, h.composioListAccounts},
		{http.MethodGet, "/api/v3.1/connected_accounts/{id}", operatorOnly, h.composioGetAccount},
	}
}

// writeComposioError answers as Composio does, with a top-level message
// too, so the SDK's errors read "404 <message>". Statuses the SDK would
// retry (409) carry x-should-retry: false, since retrying changes nothing.
func (h *HTTP) writeComposioError(w http.ResponseWriter, err error) {
	status, code, message := http.StatusInternalServerError, string(accounts.CodeInternal), ""
	var ae *apiError
	if errors.As(err, &ae) {
		status, code, message = ae.status, ae.code, ae.message
	} else {
		e := accounts.ErrorOf(err)
		if e.Code == accounts.CodeInternal {
			h.log.Error("composio API", zap.Error(e.Err))
		}
		status, code, message = statusOf(e.Code), string(e.Code), e.Message
	}
	if status == http.StatusConflict {
		w.Header().Set("X-Should-Retry", "false")
	}
	writeJSON(w, status, map[string]any{
		"message": message,
		"error":   map[string]any{"message": message, "slug": code, "status": status},
	})
}

// composioSessionRequest is the SDK's session body. Options without an
// effect here are kept as raw JSON only to be accepted.
type composioSessionRequest struct {
	UserID            string                     `json:"user_id"`
	ConnectedAccounts map[string]json.RawMessage `json:"connected_accounts"`
	Toolkits          json.RawMessage            `json:"toolkits"`
	AuthConfigs       map[string]string          `json:"auth_configs"`
	MultiAccount      *struct {
		Enable                   *bool `json:"enable"`
		MaxAccountsPerToolkit    *int  `json:"max_accounts_per_toolkit"`
		RequireExplicitSelection *bool `json:"require_explicit_selection"`
	} `json:"multi_account"`
	Tools             json.RawMessage `json:"tools"`
	Tags              json.RawMessage `json:"tags"`
	ManageConnections json.RawMessage `json:"manage_connections"`
	Workbench         json.RawMessage `json:"workbench"`
	Preload           json.RawMessage `json:"preload"`
	Search            json.RawMessage `json:"search"`
	Execute           json.RawMessage `json:"execute"`
	Experimental      json.RawMessage `json:"experimental"`
}

func (h *HTTP) composioCreateSession(c *apiCall) (int, any, error) {
	var req composioSessionRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if isSet(req.Tools) || isSet(req.Tags) {
		return 0, nil, badRequest("Switchboard does not restrict a session's tools one by one (tools, tags); restrict its toolkits instead.")
	}
	userID := req.UserID // not trimmed: see scope
	if err := checkUserID("X-User-Id", userID); err != nil {
		return 0, nil, badRequest("user_id %s.", strings.TrimPrefix(err.Error(), "X-User-Id "))
	}
	opts := accounts.SessionOptions{UserID: userID, KeyID: c.p.keyID, AuthConfigs: req.AuthConfigs, Selected: map[string]string{}}
	for toolkit, raw := range req.ConnectedAccounts {
		ids, err := oneOrMany(raw)
		if err != nil || len(ids) > 1 {
			return 0, nil, badRequest("connected_accounts.%s must name one account: a session uses one account per toolkit.", toolkit)
		}
		if len(ids) == 1 {
			opts.Selected[toolkit] = ids[0]
		}
	}
	toolkits, err := h.composioToolkitFilter(req.Toolkits)
	if err != nil {
		return 0, nil, err
	}
	opts.Toolkits = toolkits
	if m := req.MultiAccount; m != nil && (m.Enable == nil || *m.Enable) {
		opts.RequireExplicitSelection = m.RequireExplicitSelection == nil || *m.RequireExplicitSelection
	}
	sess, _, err := h.svc.CreateAPISession(c.ctx(), opts)
	if err != nil {
		return 0, nil, err
	}
	if h.cfg.Metrics != nil {
		h.cfg.Metrics.Session("api")
	}
	return http.StatusCreated, h.composioSession(sess), nil
}

// isSet reports whether an optional JSON field holds something.
func isSet(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s != "" && s != "null" && s != "{}" && s != "[]"
}

// oneOrMany reads a string or an array of strings.
func oneOrMany(raw json.RawMessage) ([]string, error) {
	var one string
	if json.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	err := json.Unmarshal(raw, &many)
	return many, err
}

// composioToolkitFilter reads the SDK's toolkits option: {"enable":[…]},
// {"disable":[…]} (every toolkit but those), or a plain list; nil when
// absent (every toolkit).
func (h *HTTP) composioToolkitFilter(raw json.RawMessage) ([]string, error) {
	if !isSet(raw) {
		return nil, nil
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		return list, nil
	}
	var f struct {
		Enable  *[]string `json:"enable"`
		Disable *[]string `json:"disable"`
	}
	if err := json.Unmarshal(raw, &f); err != nil || (f.Enable == nil) == (f.Disable == nil) {
		return nil, badRequest(`toolkits must be a list, {"enable": [...]} or {"disable": [...]}.`)
	}
	if f.Enable != nil {
		return *f.Enable, nil
	}
	for _, t := range *f.Disable {
		if h.svc.Catalog().Toolkit(t) == nil {
			return nil, accounts.Errorf(accounts.CodeToolkitUnknown, "There is no toolkit %q.", t)
		}
	}
	out := []string{}
	for _, tk := range h.svc.Catalog().Toolkits() {
		if !slices.Contains(*f.Disable, tk.Slug) {
			out = append(out, tk.Slug)
		}
	}
	return out, nil
}

// composioSession is a session in the SDK's shape.
func (h *HTTP) composioSession(sess *accounts.Session) map[string]any {
	selected := map[string][]string{}
	for toolkit, id := range sess.Selected {
		selected[toolkit] = []string{id}
	}
	config := map[string]any{
		"user_id":            sess.UserID,
		"connected_accounts": selected,
		"auth_configs":       orEmpty(sess.AuthConfigs),
		"manage_connections": map[string]any{"enabled": true},
		"multi_account":      map[string]any{"enabled": true, "require_explicit_selection": sess.RequireExplicitSelection},
		"preload":            map[string]any{"tools": []string{}},
	}
	if sess.Toolkits != nil {
		config["toolkits"] = map[string]any{"enabled": sess.Toolkits}
	}
	return map[string]any{
		"session_id":        sess.ID,
		"mcp":               map[string]any{"type": "http", "url": h.sessionURL(sess.ID)},
		"config":            config,
		"config_version":    1,
		"tool_router_tools": []string{},
		"warnings":          []string{},
	}
}

func orEmpty(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}

func (h *HTTP) composioGetSession(c *apiCall) (int, any, error) {
	return http.StatusOK, h.composioSession(c.session), nil
}

func (h *HTTP) composioDeleteSession(c *apiCall) (int, any, error) {
	if err := h.svc.DeleteSession(c.ctx(), c.session); err != nil {
		return 0, nil, sessionError(c.session.ID, err)
	}
	return http.StatusOK, map[string]any{"session_id": c.session.ID, "deleted": true}, nil
}

// composioLinkRequest is the body of session.authorize().
type composioLinkRequest struct {
	Toolkit      string          `json:"toolkit"`
	CallbackURL  string          `json:"callback_url"`
	Alias        string          `json:"alias"`
	Experimental json.RawMessage `json:"experimental"`
}

func (h *HTTP) composioLink(c *apiCall) (int, any, error) {
	var req composioLinkRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	if isSet(req.Experimental) {
		return 0, nil, badRequest("Switchboard has no shared accounts (experimental.account_type); every account is its user's own.")
	}
	auth, err := h.svc.Authorize(c.ctx(), c.scope(), accounts.AuthorizeRequest{Toolkit: req.Toolkit, Alias: req.Alias, CallbackURL: req.CallbackURL})
	if err != nil {
		return 0, nil, err
	}
	_, token, _ := strings.Cut(auth.URL, "/connect/")
	return http.StatusCreated, map[string]any{
		"connected_account_id": auth.Account.ID,
		"link_token":           token,
		"redirect_url":         auth.URL,
		"expires_at":           timeJSON(auth.ExpiresAt),
	}, nil
}

// composioScheme is an auth scheme as Composio names it.
func composioScheme(scheme string) string {
	switch scheme {
	case "oauth2":
		return "OAUTH2"
	case "api_key":
		return "API_KEY"
	case "bearer_token":
		return "BEARER_TOKEN"
	}
	return strings.ToUpper(scheme)
}

// pageOf cuts items to the query's limit from its cursor (an offset here:
// these lists are short and computed per request), returning the next
// cursor or nil.
func pageOf[T any](items []T, cursor, limit string) ([]T, any, error) {
	from := 0
	if cursor != "" {
		n, err := strconv.Atoi(cursor)
		if err != nil || n < 0 {
			return nil, nil, badRequest("cursor is not one this API returned.")
		}
		from = min(n, len(items))
	}
	n := len(items)
	if limit != "" {
		l, err := strconv.Atoi(limit)
		if err != nil || l < 1 {
			return nil, nil, badRequest("limit must be a positive whole number.")
		}
		n = l
	}
	to := from + min(n, len(items)-from) // from+n may overflow
	var next any
	if to < len(items) {
		next = strconv.Itoa(to)
	}
	return items[from:to], next, nil
}

// composioToolkits answers session.toolkits(): per toolkit, the account
// that acts in the session, chosen by the rules list_toolkits follows.
func (h *HTTP) composioToolkits(c *apiCall) (int, any, error) {
	q := c.r.URL.Query()
	states, err := h.svc.Toolkits(c.ctx(), c.scope())
	if err != nil {
		return 0, nil, err
	}
	only := splitParam(q.Get("toolkits"))
	search := strings.ToLower(q.Get("search"))
	var items []any
	for _, st := range states {
		tk := st.Toolkit
		active := st.Active != nil && st.Active.Active()
		if (len(only) > 0 && !slices.Contains(only, tk.Slug)) || (q.Get("is_connected") == "true" && !active) || (q.Get("is_connected") == "false" && active) {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(tk.Slug+" "+tk.Name), search) {
			continue
		}
		schemes := []string{}
		for _, s := range st.AuthSchemes {
			schemes = append(schemes, composioScheme(s))
		}
		item := map[string]any{
			"slug": tk.Slug, "name": tk.Name, "is_no_auth": false, "enabled": true,
			"meta":                          map[string]any{"logo": "", "description": tk.Name},
			"composio_managed_auth_schemes": []string{},
			"auth_schemes":                  schemes,
			"connected_account":             nil,
		}
		if a := st.Active; a != nil {
			item["connected_account"] = map[string]any{
				"id": a.ID, "status": a.Status, "user_id": a.UserID, "created_at": timeJSON(a.CreatedAt),
				"alias": nullString(a.Alias), "label": nullString(a.Label), "selected_by": st.SelectedBy,
				"auth_config": map[string]any{"id": a.AuthConfigID, "auth_scheme": composioScheme(a.Scheme), "is_composio_managed": false},
			}
		}
		items = append(items, item)
	}
	shown, next, err := pageOf(items, q.Get("cursor"), q.Get("limit"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"items": nonNilItems(shown), "next_cursor": next, "total_pages": 1, "current_page": 1, "total_items": len(items)}, nil
}

func nonNilItems(items []any) []any {
	if items == nil {
		return []any{}
	}
	return items
}

// composioTools answers session.tools(): the toolkit tools the session
// lists, with input schemas the SDK's strict parser accepts.
func (h *HTTP) composioTools(c *apiCall) (int, any, error) {
	list, err := h.svc.ListedTools(c.ctx(), c.scope())
	if err != nil {
		return 0, nil, err
	}
	var items []any
	for _, t := range list {
		var schema map[string]any
		if err := json.Unmarshal(t.InputSchema, &schema); err != nil {
			return 0, nil, err
		}
		var tags []string
		for tag, on := range map[string]bool{"readOnlyHint": t.ReadOnly, "destructiveHint": t.Destructive, "idempotentHint": t.Idempotent, "openWorldHint": t.OpenWorld} {
			if on {
				tags = append(tags, tag)
			}
		}
		slices.Sort(tags)
		items = append(items, map[string]any{
			"slug": t.Name, "name": t.Title, "description": t.Description,
			"input_parameters":  withoutNulls(schema),
			"output_parameters": map[string]any{},
			"toolkit":           map[string]any{"slug": t.Toolkit, "name": h.svc.Catalog().Toolkit(t.Toolkit).Name, "logo": ""},
			"tags":              append([]string{}, tags...),
			"scopes":            []string{}, "version": "1", "available_versions": []string{"1"},
			"no_auth": false, "deprecated": map[string]any{"is_deprecated": false},
		})
	}
	q := c.r.URL.Query()
	shown, next, err := pageOf(items, q.Get("cursor"), q.Get("limit"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"items": nonNilItems(shown), "next_cursor": next, "total_pages": 1, "current_page": 1, "total_items": len(items)}, nil
}

// withoutNulls drops null members from a JSON value: the SDK's parser
// refuses null where a schema keyword expects a string.
func withoutNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if x != nil {
				out[k] = withoutNulls(x)
			}
		}
		return out
	case []any:
		out := make([]any, 0, len(v))
		for _, x := range v {
			out = append(out, withoutNulls(x))
		}
		return out
	}
	return v
}

// composioExecuteRequest is the body of session.execute().
type composioExecuteRequest struct {
	ToolSlug  string          `json:"tool_slug"`
	Arguments json.RawMessage `json:"arguments"`
	// Account fixes the account for this call (id or alias of the user's),
	// as X-Connected-Accounts does for an MCP request.
	Account                    string          `json:"account"`
	EnableAutoWorkbenchOffload *bool           `json:"enable_auto_workbench_offload"`
	Experimental               json.RawMessage `json:"experimental"`
}

// composioExecute answers session.execute(): the tool runs as the session's
// tools/call would. Tool failures (no account, invalid arguments, the
// service's refusal) are HTTP 200 with error set, which the SDK hands to
// the model; log_id names the call in Switchboard's log.
func (h *HTTP) composioExecute(c *apiCall) (int, any, error) {
	var req composioExecuteRequest
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	logID := "log_" + strings.ToLower(rand.Text())
	failed := func(err error) (int, any, error) {
		e := accounts.ErrorOf(err)
		if e.Code == accounts.CodeInternal {
			return 0, nil, err
		}
		var ae *apiError
		msg := string(e.Code) + ": " + e.Message
		if errors.As(err, &ae) {
			msg = ae.code + ": " + ae.message
		}
		h.log.Info("composio execute", zap.String("log_id", logID), zap.String("session", c.session.ID), zap.String("tool", req.ToolSlug), zap.String("outcome", string(e.Code)))
		return http.StatusOK, map[string]any{"data": map[string]any{}, "error": msg, "log_id": logID}, nil
	}
	t, args, err := h.toolCall(req.ToolSlug, req.Arguments)
	if err != nil {
		return failed(err)
	}
	sc := c.scope()
	if req.Account != "" {
		id, err := h.svc.Override(c.ctx(), sc.UserID(), t.Toolkit, req.Account)
		if err != nil {
			return failed(err)
		}
		sc.Header = map[string]string{t.Toolkit: id}
	}
	res, err := h.srv.Execute(c.ctx(), sc, t, args, accounts.CallOptions{Via: accounts.ViaComposio})
	if err != nil {
		return failed(err)
	}
	text, data := server.CallOutput(res)
	data["text"] = text
	h.log.Info("composio execute", zap.String("log_id", logID), zap.String("session", c.session.ID), zap.String("tool", t.Name), zap.String("account", res.Account.ID), zap.String("outcome", "ok"))
	return http.StatusOK, map[string]any{"data": data, "error": nil, "log_id": logID}, nil
}

// composioAccount is a connected account in the SDK's shape. data and
// params, which hold credentials at Composio, are always empty here.
func composioAccount(a *accounts.Account) map[string]any {
	updated := a.CreatedAt
	if a.ConnectedAt.After(updated) {
		updated = a.ConnectedAt
	}
	return map[string]any{
		"id": a.ID, "user_id": a.UserID, "status": a.Status, "status_reason": nullString(a.StatusReason),
		"is_disabled": a.Status == accounts.StatusInactive,
		"created_at":  timeJSON(a.CreatedAt), "updated_at": timeJSON(updated),
		"toolkit":     map[string]any{"slug": a.Toolkit},
		"auth_config": map[string]any{"id": a.AuthConfigID, "auth_scheme": composioScheme(a.Scheme), "is_composio_managed": false, "is_disabled": false},
		"alias":       nullString(a.Alias), "word_id": nil, "label": nullString(a.Label),
		"data": map[string]any{}, "params": map[string]any{},
	}
}

// composioListAccounts answers connectedAccounts.list(): filters are
// comma-joined lists.
func (h *HTTP) composioListAccounts(c *apiCall) (int, any, error) {
	q := c.r.URL.Query()
	if err := onlyParams(q, "user_ids", "toolkit_slugs", "statuses", "auth_config_ids", "cursor", "limit", "order_by", "order_direction", "account_type", "connected_account_ids"); err != nil {
		return 0, nil, err
	}
	if ob := q.Get("order_by"); ob != "" && ob != "created_at" {
		return 0, nil, badRequest("order_by must be created_at: accounts are listed newest first.")
	}
	if od := q.Get("order_direction"); od != "" && od != "desc" {
		return 0, nil, badRequest("order_direction must be desc.")
	}
	aq := accounts.AccountQuery{UserIDs: splitParam(q.Get("user_ids")), Toolkits: splitParam(q.Get("toolkit_slugs")), Limit: 20}
	// Statuses Switchboard never gives (INITIALIZING, REVOKED) match
	// nothing; asked for alone, the answer is empty.
	asked := splitParam(q.Get("statuses"))
	for _, st := range asked {
		switch status := accounts.Status(st); status {
		case accounts.StatusInitiated, accounts.StatusActive, accounts.StatusFailed, accounts.StatusExpired, accounts.StatusInactive:
			aq.Statuses = append(aq.Statuses, status)
		case "INITIALIZING", "REVOKED":
		default:
			return 0, nil, badRequest("statuses: %s is not a status.", quote(st))
		}
	}
	known := len(asked) == 0 || len(aq.Statuses) > 0
	if t := q.Get("account_type"); t == "SHARED" {
		known = false
	} else if t != "" && t != "PRIVATE" && t != "ALL" {
		return 0, nil, badRequest("account_type must be PRIVATE, SHARED or ALL.")
	}
	if err := pageQuery(q, &aq); err != nil {
		return 0, nil, err
	}
	items := []any{}
	var next any
	if known {
		list, nextSeq, err := h.svc.ListAccounts(c.ctx(), aq)
		if err != nil {
			return 0, nil, err
		}
		configs, ids := splitParam(q.Get("auth_config_ids")), splitParam(q.Get("connected_account_ids"))
		for _, a := range list {
			if (len(configs) == 0 || slices.Contains(configs, a.AuthConfigID)) && (len(ids) == 0 || slices.Contains(ids, a.ID)) {
				items = append(items, composioAccount(a))
			}
		}
		if nextSeq > 0 {
			next = formatCursor(nextSeq)
		}
	}
	pages := 1
	if next != nil {
		pages = 2 // at least: the count of the rest is not computed
	}
	return http.StatusOK, map[string]any{"items": items, "next_cursor": next, "total_pages": pages, "current_page": 1, "total_items": len(items)}, nil
}

// composioGetAccount answers connectedAccounts.get(), which waitForConnection
// polls: the account's connection as it stands, an expired link turning it
// FAILED, and a link that reconnected an account the user already had
// answering with that account.
func (h *HTTP) composioGetAccount(c *apiCall) (int, any, error) {
	res, err := h.svc.Connection(c.ctx(), c.r.PathValue("id"), "")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, composioAccount(res.Account), nil
}
