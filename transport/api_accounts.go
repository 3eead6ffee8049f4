package transport

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"switchboard/accounts"
	"switchboard/server"
)

// accountJSON is a connected account as the API shows it. Its credential
// is never part of it.
func accountJSON(a *accounts.Account) map[string]any {
	return map[string]any{
		"id":            a.ID,
		"user_id":       a.UserID,
		"toolkit":       a.Toolkit,
		"alias":         nullString(a.Alias),
		"label":         nullString(a.Label),
		"status":        a.Status,
		"status_reason": nullString(a.StatusReason),
		"auth_config":   a.AuthConfigID,
		"scheme":        a.Scheme,
		"created_at":    timeJSON(a.CreatedAt),
		"connected_at":  timeJSON(a.ConnectedAt),
		"last_used_at":  timeJSON(a.LastUsedAt),
		"policy":        server.PolicyJSON(a.Policy),
	}
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// listQuery is what GET /api/v1/connected_accounts accepts. Lists are
// comma-separated.
var listQuery = []string{"user_id", "toolkit", "status", "cursor", "limit"}

// listAccounts answers GET /api/v1/connected_accounts: every user's
// accounts the filters select, newest first, a page at a time.
func (h *HTTP) listAccounts(c *apiCall) (int, any, error) {
	q := c.r.URL.Query()
	if err := onlyParams(q, listQuery...); err != nil {
		return 0, nil, err
	}
	aq := accounts.AccountQuery{UserIDs: splitParam(q.Get("user_id")), Toolkits: splitParam(q.Get("toolkit")), Limit: 50}
	for _, st := range splitParam(q.Get("status")) {
		status := accounts.Status(strings.ToUpper(st))
		switch status {
		case accounts.StatusInitiated, accounts.StatusActive, accounts.StatusFailed, accounts.StatusExpired, accounts.StatusInactive:
			aq.Statuses = append(aq.Statuses, status)
		default:
			return 0, nil, badRequest("status %s is not one of INITIATED, ACTIVE, FAILED, EXPIRED, INACTIVE.", quote(st))
		}
	}
	if err := pageQuery(q, &aq); err != nil {
		return 0, nil, err
	}
	list, next, err := h.svc.ListAccounts(c.ctx(), aq)
	if err != nil {
		return 0, nil, err
	}
	items := []any{}
	for _, a := range list {
		items = append(items, accountJSON(a))
	}
	var cursor any
	if next > 0 {
		cursor = formatCursor(next)
	}
	return http.StatusOK, map[string]any{"items": items, "next_cursor": cursor}, nil
}

// pageQuery reads limit and cursor of a listing of accounts into aq.
func pageQuery(q url.Values, aq *accounts.AccountQuery) error {
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > accounts.MaxListLimit {
			return badRequest("limit must be a whole number from 1 to %d.", accounts.MaxListLimit)
		}
		aq.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		seq, ok := parseCursor(v)
		if !ok {
			return badRequest("cursor is not one this API returned.")
		}
		aq.Before = seq
	}
	return nil
}

// formatCursor and parseCursor carry the position of the next page: the
// insertion order of the last account shown. The prefix lets a later
// format replace this one.
func formatCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("a1:" + strconv.FormatInt(seq, 10)))
}

func parseCursor(s string) (int64, bool) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, false
	}
	rest, ok := strings.CutPrefix(string(b), "a1:")
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseInt(rest, 10, 64)
	return seq, err == nil && seq > 0
}

// splitParam reads a comma-separated query value.
func splitParam(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// onlyParams refuses query parameters a route does not take, as unknown
// JSON fields are refused.
func onlyParams(q url.Values, allowed ...string) error {
	if len(allowed) == 0 {
		for k := range q {
			return badRequest("unknown query parameter %s; this route takes none.", quote(k))
		}
	}
	for k := range q {
		known := false
		for _, a := range allowed {
			known = known || a == k
		}
		if !known {
			return badRequest("unknown query parameter %s; this route takes %s.", quote(k), strings.Join(allowed, ", "))
		}
	}
	return nil
}

// account loads the account of the route's {id}; ?user_id=, when given,
// must be its user (rule 8: another user's id answers as an unknown one).
func (h *HTTP) account(c *apiCall) (*accounts.Account, error) {
	q := c.r.URL.Query()
	if err := onlyParams(q, "user_id"); err != nil {
		return nil, err
	}
	return h.svc.AccountByID(c.ctx(), c.r.PathValue("id"), q.Get("user_id"))
}

func (h *HTTP) getAccount(c *apiCall) (int, any, error) {
	a, err := h.account(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, accountJSON(a), nil
}

// accountPatch is the body of PATCH /api/v1/connected_accounts/{id}.
type accountPatch struct {
	// Alias renames the account; null removes its alias.
	Alias optional[string] `json:"alias"`
	// Policy changes the fields of the account's policy it names; null
	// returns the whole policy to the default.
	Policy optional[policyPatch] `json:"policy"`
}

// policyPatch is the policy of an accountPatch, merged field by field
// (JSON merge patch): a field given replaces the account's, null returns
// it to the default, an absent one stays.
type policyPatch struct {
	Access     optional[accounts.Access]  `json:"access"`
	AllowTools optional[[]string]         `json:"allow_tools"`
	DenyTools  optional[[]string]         `json:"deny_tools"`
	Confirm    optional[accounts.Confirm] `json:"confirm"`
}

// UnmarshalJSON refuses unknown fields, as the body's decoder does for the
// top level (it does not reach into a field's own decoding).
func (pp *policyPatch) UnmarshalJSON(b []byte) error {
	type plain policyPatch
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	return dec.Decode((*plain)(pp))
}

// apply returns p changed as pp says.
func (pp policyPatch) apply(p accounts.Policy) accounts.Policy {
	if pp.Access.Set {
		p.Access = pp.Access.Value
	}
	if pp.AllowTools.Set {
		p.AllowTools = pp.AllowTools.Value
	}
	if pp.DenyTools.Set {
		p.DenyTools = pp.DenyTools.Value
	}
	if pp.Confirm.Set {
		p.Confirm = pp.Confirm.Value
	}
	return p
}

// patchAccount answers PATCH /api/v1/connected_accounts/{id}: a new alias,
// a new policy, or both. The policy is checked before anything is written,
// so a refused policy leaves the alias as it was too.
func (h *HTTP) patchAccount(c *apiCall) (int, any, error) {
	a, err := h.account(c)
	if err != nil {
		return 0, nil, err
	}
	var req accountPatch
	if err := c.decode(&req); err != nil {
		return 0, nil, err
	}
	policy := a.Policy
	if req.Policy.Set {
		policy = req.Policy.Value.apply(a.Policy)
		if req.Policy.Null {
			policy = accounts.Policy{}
		}
		if err := h.svc.CheckPolicy(a.Toolkit, policy); err != nil {
			return 0, nil, err
		}
	}
	if req.Alias.Set {
		if a, err = h.svc.SetAlias(c.ctx(), a, strings.TrimSpace(req.Alias.Value)); err != nil {
			return 0, nil, err
		}
	}
	if req.Policy.Set {
		if a, err = h.svc.SetPolicy(c.ctx(), a, policy); err != nil {
			return 0, nil, err
		}
	}
	return http.StatusOK, accountJSON(a), nil
}

// deleteAccount answers DELETE /api/v1/connected_accounts/{id}: the
// account goes, its OAuth grant revoked at the provider where it can be.
func (h *HTTP) deleteAccount(c *apiCall) (int, any, error) {
	a, err := h.account(c)
	if err != nil {
		return 0, nil, err
	}
	revoked, err := h.svc.Delete(c.ctx(), a)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]any{"id": a.ID, "deleted": true, "revoked": revoked}, nil
}

// disableAccount answers POST …/{id}/disable (INACTIVE: never chosen,
// never used) and …/enable.
func (h *HTTP) disableAccount(disabled bool) apiHandler {
	return func(c *apiCall) (int, any, error) {
		a, err := h.account(c)
		if err != nil {
			return 0, nil, err
		}
		if err := c.decode(&struct{}{}); err != nil {
			return 0, nil, err
		}
		if a, err = h.svc.Disable(c.ctx(), a, disabled); err != nil {
			return 0, nil, err
		}
		return http.StatusOK, accountJSON(a), nil
	}
}

// refreshAccount answers POST …/{id}/refresh: the OAuth token is refreshed
// now.
func (h *HTTP) refreshAccount(c *apiCall) (int, any, error) {
	a, err := h.account(c)
	if err != nil {
		return 0, nil, err
	}
	if err := c.decode(&struct{}{}); err != nil {
		return 0, nil, err
	}
	if a, err = h.svc.ForceRefresh(c.ctx(), a); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, accountJSON(a), nil
}
