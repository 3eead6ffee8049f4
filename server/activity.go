package server

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"switchboard/accounts"
)

// Limits of one page of list_activity.
const (
	activityDefaultLimit = 20
	activityMaxLimit     = 50
)

// listActivity answers list_activity: the user's own toolkit calls, newest
// first, from the audit trail. The query is always the scope's user: no
// argument names another, so no route to someone else's entries exists
// here.
func (s *Server) listActivity(ctx context.Context, sc *accounts.Scope, args map[string]any, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	if err := checkArgs(args, "limit", "cursor"); err != nil {
		return nil, err
	}
	q := accounts.AuditQuery{UserID: sc.UserID(), Limit: activityDefaultLimit}
	if v, ok := args["limit"]; ok && v != nil {
		n, ok := wholeNumber(v)
		if !ok || n < 1 || n > activityMaxLimit {
			return nil, accounts.Errorf(accounts.CodeInvalidArguments, "limit must be a whole number from 1 to %d.", activityMaxLimit)
		}
		q.Limit = n
	}
	cursor, err := stringArg(args, "cursor")
	if err != nil {
		return nil, err
	}
	if cursor != "" {
		if q.Before, err = ParseAuditCursor(cursor); err != nil {
			return nil, err
		}
	}
	list, next, err := s.svc.Audit(ctx, q)
	if err != nil {
		return nil, err
	}
	items := []any{}
	var lines []string
	for _, e := range list {
		items = append(items, AuditJSON(e))
		lines = append(lines, activityLine(e))
	}
	out := map[string]any{"entries": items, "next_cursor": nil}
	text := "No toolkit calls of this user are on record."
	if len(lines) > 0 {
		text = "Toolkit calls, most recent first:\n" + strings.Join(lines, "\n")
	}
	if next > 0 {
		out["next_cursor"] = FormatAuditCursor(next)
		text += fmt.Sprintf("\nMore: call list_activity with cursor %q.", FormatAuditCursor(next))
	}
	return okResult(text, out), nil
}

// activityLine is one entry in a line of result text.
func activityLine(e *accounts.AuditEntry) string {
	line := fmt.Sprintf("- %s %s", e.At.UTC().Format("2006-01-02 15:04:05Z"), e.Tool)
	if e.AccountID != "" {
		line += fmt.Sprintf(" as %s account %s", e.Toolkit, auditAccountName(e))
		if e.SelectedBy != "" {
			line += fmt.Sprintf(" (by %s)", e.SelectedBy)
		}
	}
	line += ": " + e.Outcome
	if e.UpstreamStatus > 0 {
		line += fmt.Sprintf(", HTTP %d", e.UpstreamStatus)
	}
	return line + fmt.Sprintf(", %d ms", e.Latency.Milliseconds())
}

func auditAccountName(e *accounts.AuditEntry) string {
	return name(&accounts.Account{ID: e.AccountID, Alias: e.AccountAlias, Label: e.AccountLabel})
}

// AuditJSON is how an audit entry is shown, by list_activity and the
// application API alike.
func AuditJSON(e *accounts.AuditEntry) map[string]any {
	var account any
	if e.AccountID != "" {
		account = map[string]any{"id": e.AccountID, "alias": nullable(e.AccountAlias), "label": nullable(e.AccountLabel)}
	}
	var status any
	if e.UpstreamStatus > 0 {
		status = e.UpstreamStatus
	}
	return map[string]any{
		"at":              e.At.UTC().Format(time.RFC3339Nano),
		"user_id":         e.UserID,
		"session_id":      e.SessionID,
		"via":             e.Via,
		"tool":            e.Tool,
		"toolkit":         e.Toolkit,
		"account":         account,
		"selected_by":     nullable(string(e.SelectedBy)),
		"outcome":         e.Outcome,
		"upstream_status": status,
		"latency_ms":      float64(e.Latency.Microseconds()) / 1000,
		"arguments_hash":  e.ArgsHash,
		"confirmation_id": nullable(e.ConfirmationID),
	}
}

// FormatAuditCursor and ParseAuditCursor carry the position of the next
// page of the audit trail: the insertion order of the last entry shown.
// The prefix lets a later format replace this one.
func FormatAuditCursor(seq int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("l1:" + strconv.FormatInt(seq, 10)))
}

// ParseAuditCursor reads what FormatAuditCursor wrote; anything else is
// INVALID_ARGUMENTS.
func ParseAuditCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if rest, ok := strings.CutPrefix(string(b), "l1:"); err == nil && ok {
		if seq, err := strconv.ParseInt(rest, 10, 64); err == nil && seq > 0 {
			return seq, nil
		}
	}
	return 0, accounts.Errorf(accounts.CodeInvalidArguments, "cursor is not one that a listing of the activity returned.")
}
