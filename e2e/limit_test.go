package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestSessionsPerUserCapped: a client that keeps initializing cannot fill
// the store. Past --max-sessions-per-user a user's new session is refused
// with a reason (429), over MCP and through the API, while another user
// and the user's existing sessions go on working.
func TestSessionsPerUserCapped(t *testing.T) {
	srv := serve(t, t.TempDir(), []string{"SWITCHBOARD_API_KEYS=" + apiKey}, "--max-sessions-per-user", "2")
	key := map[string]string{"Authorization": "Bearer " + apiKey}
	first := connectHTTP(t, srv.base+"/mcp", with(key, "X-User-Id", "alice"))
	connectHTTP(t, srv.base+"/mcp", with(key, "X-User-Id", "alice"))
	status, body := rawInitialize(t, srv.base+"/mcp", with(key, "X-User-Id", "alice"))
	if status != http.StatusTooManyRequests || !strings.Contains(body, "sessions") {
		t.Errorf("a third session for alice: %d %s", status, body)
	}
	if status, _ := rawInitialize(t, srv.base+"/mcp", with(key, "X-User-Id", "bob")); status != http.StatusOK {
		t.Errorf("bob's first session: %d", status)
	}
	first.ok(t, "list_accounts", nil)
	got := apiCall(t, "POST", srv.base+"/api/v1/sessions", map[string]any{"user_id": "alice"}, http.StatusTooManyRequests)
	if e, _ := got["error"].(map[string]any); e["code"] != "SESSION_LIMIT" {
		t.Errorf("the API's refusal: %v", got)
	}
}
