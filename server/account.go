package server

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"switchboard/accounts"
)

// listAccounts answers list_accounts.
func (s *Server) listAccounts(ctx context.Context, sc *accounts.Scope, args map[string]any, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	if err := checkArgs(args, "toolkit", "include_inactive"); err != nil {
		return nil, err
	}
	toolkit, err := stringArg(args, "toolkit")
	if err != nil {
		return nil, err
	}
	includeInactive := false
	if v, ok := args["include_inactive"]; ok && v != nil {
		b, ok := v.(bool)
		if !ok {
			return nil, accounts.Errorf(accounts.CodeInvalidArguments, "include_inactive must be true or false.")
		}
		includeInactive = b
	}
	if toolkit != "" && s.svc.Catalog().Toolkit(toolkit) == nil {
		return nil, accounts.Errorf(accounts.CodeToolkitUnknown, "There is no toolkit %s; list_toolkits shows the toolkits there are.", accounts.Quote(toolkit))
	}
	all, err := s.svc.Accounts(ctx, sc.UserID(), toolkit)
	if err != nil {
		return nil, err
	}
	// The active account of each toolkit seen so far; a user has accounts
	// of a few toolkits at most, so a slice beats a map.
	type choice struct {
		toolkit, id string
		by          accounts.SelectedBy
	}
	var active []choice
	// Sized once: items point into themselves (setTexts).
	items := make([]accountItem, 0, len(all))
	var text strings.Builder
	text.WriteString("Connected accounts, most recent first:")
	for _, a := range all {
		if !sc.Allows(a.Toolkit) || (!includeInactive && !a.Active()) {
			continue
		}
		i := slices.IndexFunc(active, func(c choice) bool { return c.toolkit == a.Toolkit })
		if i < 0 {
			// An error here (none ACTIVE, strict mode) leaves the toolkit
			// without an active account in the listing.
			c := choice{toolkit: a.Toolkit}
			if act, by, _ := s.svc.ActiveIn(sc, a.Toolkit, all); act != nil {
				c.id, c.by = act.ID, by
			}
			i, active = len(active), append(active, c)
		}
		c := active[i]
		items = appendAccountItem(items, a, c.id == a.ID, c.by)
		writeAccountLine(&text, a, c.id == a.ID, c.by)
	}
	if len(items) == 0 {
		return okResult("The user has no connected accounts here. Use authorize to connect one.", map[string]any{"accounts": items}), nil
	}
	return okResult(text.String(), map[string]any{"accounts": items}), nil
}

// accountItem is one account in list_accounts: id, toolkit, alias, label,
// status, status_reason, auth_config, connected_at, last_used_at,
// active_in_session, selected_by (null unless active) and policy. A struct
// instead of a map spares an allocation per value and the encoder's
// reflection on map keys; its fields are in sorted order, so it encodes as
// the map did. Nil pointers are JSON nulls.
type accountItem struct {
	ActiveInSession bool                 `json:"active_in_session"`
	Alias           *string              `json:"alias"`
	AuthConfig      string               `json:"auth_config"`
	ConnectedAt     *string              `json:"connected_at"`
	ID              string               `json:"id"`
	Label           *string              `json:"label"`
	LastUsedAt      *string              `json:"last_used_at"`
	Policy          PolicyView           `json:"policy"`
	SelectedBy      *accounts.SelectedBy `json:"selected_by"`
	Status          accounts.Status      `json:"status"`
	StatusReason    *string              `json:"status_reason"`
	Toolkit         string               `json:"toolkit"`

	// The texts that the nullable fields point to when not empty: copies,
	// so that the item does not share memory with the account.
	alias, label, statusReason, connectedAt, lastUsedAt string
	selectedBy                                          accounts.SelectedBy
}

// appendAccountItem appends a's item to items, whose capacity must hold it:
// the items point into themselves.
func appendAccountItem(items []accountItem, a *accounts.Account, active bool, by accounts.SelectedBy) []accountItem {
	items = append(items, accountItem{
		ActiveInSession: active,
		AuthConfig:      a.AuthConfigID,
		ID:              a.ID,
		Policy:          PolicyJSON(a.Policy),
		Status:          a.Status,
		Toolkit:         a.Toolkit,
		alias:           a.Alias,
		label:           a.Label,
		statusReason:    a.StatusReason,
		connectedAt:     timeText(a.ConnectedAt),
		lastUsedAt:      timeText(a.LastUsedAt),
		selectedBy:      by,
	})
	it := &items[len(items)-1]
	it.Alias, it.Label, it.StatusReason = nullableRef(&it.alias), nullableRef(&it.label), nullableRef(&it.statusReason)
	it.ConnectedAt, it.LastUsedAt = nullableRef(&it.connectedAt), nullableRef(&it.lastUsedAt)
	if active {
		it.SelectedBy = &it.selectedBy
	}
	return items
}

// writeAccountLine writes a's line of list_accounts' text, after a line
// break: "- github ca_x (alias work, login) [ACTIVE] (policy: …) — active
// in this session (default)".
func writeAccountLine(b *strings.Builder, a *accounts.Account, active bool, by accounts.SelectedBy) {
	for _, s := range [...]string{"\n- ", a.Toolkit, " ", name(a), " [", string(a.Status), "]"} {
		b.WriteString(s)
	}
	if note := policyNote(a.Policy); note != "" {
		b.WriteString(" (")
		b.WriteString(note)
		b.WriteString(")")
	}
	if active {
		b.WriteString(" — active in this session (")
		b.WriteString(string(by))
		b.WriteString(")")
	}
}

// authorize answers authorize: a connect link to show the user.
func (s *Server) authorize(ctx context.Context, sc *accounts.Scope, args map[string]any, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	if err := checkArgs(args, "toolkit", "alias", "auth_config", "account"); err != nil {
		return nil, err
	}
	var req accounts.AuthorizeRequest
	var err error
	if req.Toolkit, err = requiredArg(args, "toolkit"); err != nil {
		return nil, err
	}
	for key, dst := range map[string]*string{"alias": &req.Alias, "auth_config": &req.AuthConfig, "account": &req.Account} {
		if *dst, err = stringArg(args, key); err != nil {
			return nil, err
		}
	}
	auth, err := s.svc.Authorize(ctx, sc, req)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("Ask the user to open this link to connect their %s account: %s\nIt expires at %s. Then call wait_for_connection with connected_account_id %q.",
		req.Toolkit, auth.URL, auth.ExpiresAt.UTC().Format(time.RFC3339), auth.Account.ID) + s.localNote()
	out := map[string]any{
		"connected_account_id": auth.Account.ID,
		"toolkit":              req.Toolkit,
		"redirect_url":         auth.URL,
		"expires_at":           auth.ExpiresAt.UTC().Format(time.RFC3339),
		"status":               auth.Account.Status,
	}
	if action := s.elicitURL(ctx, auth); action != "" {
		out["elicitation"] = action
		if action == string(mcp.ElicitationResponseActionAccept) {
			text = fmt.Sprintf("The user was shown the link to connect their %s account and agreed to open it. Call wait_for_connection with connected_account_id %q.", req.Toolkit, auth.Account.ID)
		} else {
			text = fmt.Sprintf("The user was shown the link to connect their %s account (%s) but did not agree to open it (%s). You may show it again, or stop.", req.Toolkit, auth.URL, action)
		}
	}
	return okResult(text, out), nil
}

// localNote is what the agent must know of links this process serves.
func (s *Server) localNote() string {
	if !s.local {
		return ""
	}
	return " The link is served by this MCP server's own process (stdio, on this computer): it works only while the server keeps running, so the user must open it on this machine before the client is closed."
}

// elicitTimeout bounds how long authorize waits for the client to answer a
// URL elicitation before it returns the link as text anyway.
const elicitTimeout = 2 * time.Minute

// elicitURL shows the connect link through MCP URL-mode elicitation when
// the client declared it (a legacy session; the stateless revision has no
// server-initiated requests), and returns the user's answer: accept,
// decline or cancel; "" when elicitation was not used or failed, in which
// case the agent shows the link itself.
func (s *Server) elicitURL(ctx context.Context, auth *accounts.Authorization) string {
	if inDirectCall(ctx) { // never, authorize is not direct; but if it were
		return ""
	}
	cs := mcpserver.ClientSessionFromContext(ctx)
	info, ok := cs.(mcpserver.SessionWithClientInfo)
	if !ok {
		return ""
	}
	caps := info.GetClientCapabilities()
	if caps.Elicitation == nil || caps.Elicitation.URL == nil {
		return ""
	}
	ectx, cancel := context.WithTimeout(ctx, elicitTimeout)
	defer cancel()
	msg := fmt.Sprintf("Connect your %s account: open this link and follow the steps. It expires at %s.", auth.Account.Toolkit, auth.ExpiresAt.UTC().Format(time.Kitchen+" MST"))
	res, err := s.mcp.RequestURLElicitation(ectx, s.asker(ctx), "elicit_"+auth.Account.ID, auth.URL, msg)
	if err != nil {
		s.log.Debug("URL elicitation not delivered", zap.Error(err))
		return ""
	}
	return string(res.Action)
}

// waitForConnection answers wait_for_connection, with progress
// notifications when the request carries a progress token.
func (s *Server) waitForConnection(ctx context.Context, sc *accounts.Scope, args map[string]any, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	var token mcp.ProgressToken
	if req.Params.Meta != nil {
		token = req.Params.Meta.ProgressToken
	}
	return s.wait(ctx, sc, args, token)
}

func (s *Server) wait(ctx context.Context, sc *accounts.Scope, args map[string]any, token mcp.ProgressToken) (*mcp.CallToolResult, error) {
	if err := checkArgs(args, "connected_account_id", "timeout_seconds"); err != nil {
		return nil, err
	}
	id, err := requiredArg(args, "connected_account_id")
	if err != nil {
		return nil, err
	}
	timeout := 60
	if v, ok := args["timeout_seconds"]; ok && v != nil {
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) || f < 1 || f > 300 {
			return nil, accounts.Errorf(accounts.CodeInvalidArguments, "timeout_seconds must be a whole number from 1 to 300.")
		}
		timeout = int(f)
	}
	var progress func(time.Duration)
	if token != nil {
		total := float64(timeout)
		progress = func(waited time.Duration) {
			_ = s.mcp.SendNotificationToClient(ctx, "notifications/progress", map[string]any{
				"progressToken": token,
				"progress":      math.Floor(waited.Seconds()),
				"total":         total,
				"message":       "waiting for the user to complete the connect link",
			})
		}
	}
	res, err := s.svc.Wait(ctx, sc, id, time.Duration(timeout)*time.Second, progress)
	if err != nil {
		return nil, err
	}
	a := res.Account
	// Say what this session will act with, which is not always the new
	// account: a header may fix the toolkit, or the link may have been
	// issued by another session.
	activeHere := false
	if a.Active() && !res.Pending {
		act, _, err := s.svc.Active(ctx, sc, a.Toolkit)
		if e := accounts.ErrorOf(err); e != nil && e.Code == accounts.CodeInternal {
			return nil, err
		}
		activeHere = act != nil && act.ID == a.ID
	}
	out := map[string]any{
		"connected_account_id": a.ID,
		"toolkit":              a.Toolkit,
		"status":               a.Status,
		"status_reason":        nullable(a.StatusReason),
		"alias":                nullable(a.Alias),
		"label":                nullable(a.Label),
		"reconnected":          res.Reconnected,
		"pending":              res.Pending,
		"active_in_session":    activeHere,
	}
	var text string
	switch {
	case res.Pending:
		text = fmt.Sprintf("The user has not completed the link yet (account %s is %s). Call wait_for_connection again, or ask the user whether they opened the link.", a.ID, a.Status) + s.localNote()
	case a.Active():
		text = fmt.Sprintf("Connected: the %s account %s is ACTIVE.", a.Toolkit, name(a))
		if res.Reconnected {
			text = fmt.Sprintf("Reconnected: the %s account %s is ACTIVE again, with the same id.", a.Toolkit, name(a))
		}
		if activeHere {
			text += fmt.Sprintf(" It is the active %s account of this session.", a.Toolkit)
		} else {
			text += fmt.Sprintf(" This session still acts with another %s account (list_accounts shows which); use select_account to switch.", a.Toolkit)
		}
	default:
		text = fmt.Sprintf("The connection did not complete: account %s is %s (%s). Call authorize again for a new link.", a.ID, a.Status, a.StatusReason)
	}
	return okResult(text, out), nil
}

// selectAccount answers select_account.
func (s *Server) selectAccount(ctx context.Context, sc *accounts.Scope, args map[string]any, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	if err := checkArgs(args, "toolkit", "account"); err != nil {
		return nil, err
	}
	toolkit, err := requiredArg(args, "toolkit")
	if err != nil {
		return nil, err
	}
	ref, err := requiredArg(args, "account")
	if err != nil {
		return nil, err
	}
	a, err := s.svc.Select(ctx, sc, toolkit, ref)
	if err != nil {
		return nil, err
	}
	brief := AccountBrief(a)
	brief["selected_by"] = accounts.SelectedBySession
	return okResult(fmt.Sprintf("The active %s account of this session is now %s.", toolkit, name(a)),
		map[string]any{"toolkit": toolkit, "account": brief}), nil
}
