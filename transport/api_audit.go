package transport

import (
	"net/http"
	"strconv"
	"time"

	"switchboard/accounts"
	"switchboard/server"
)

// auditQuery is what GET /api/v1/audit accepts.
var auditQuery = []string{"user_id", "account_id", "since", "cursor", "limit"}

// listAudit answers GET /api/v1/audit: the audit trail, newest first, a
// page at a time, for the operator (a session token is refused before
// this runs). Users read their own entries through list_activity.
func (h *HTTP) listAudit(c *apiCall) (int, any, error) {
	q := c.r.URL.Query()
	if err := onlyParams(q, auditQuery...); err != nil {
		return 0, nil, err
	}
	aq := accounts.AuditQuery{UserID: q.Get("user_id"), AccountID: q.Get("account_id"), Limit: 50} // exact, as stored
	if v := q.Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			return 0, nil, badRequest("since must be a time in RFC 3339 (2026-01-02T15:04:05Z); %s is not one.", quote(v))
		}
		aq.Since = t
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > accounts.MaxAuditLimit {
			return 0, nil, badRequest("limit must be a whole number from 1 to %d.", accounts.MaxAuditLimit)
		}
		aq.Limit = n
	}
	if v := q.Get("cursor"); v != "" {
		seq, err := server.ParseAuditCursor(v)
		if err != nil {
			return 0, nil, badRequest("cursor is not one this API returned.")
		}
		aq.Before = seq
	}
	list, next, err := h.svc.Audit(c.ctx(), aq)
	if err != nil {
		return 0, nil, err
	}
	items := []any{}
	for _, e := range list {
		items = append(items, server.AuditJSON(e))
	}
	var cursor any
	if next > 0 {
		cursor = server.FormatAuditCursor(next)
	}
	return http.StatusOK, map[string]any{"items": items, "next_cursor": cursor}, nil
}
