package transport

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// The Composio adapter's own refusals and shapes; the SDK itself runs the
// seed against the binary in e2e (TestComposioSDKRunsTheSeed).
func TestComposioAdapter(t *testing.T) {
	w := newAPIWorld(t)
	apiKey := map[string]string{"X-Api-Key": opKey}
	call := func(t *testing.T, method, path string, body any) reply {
		t.Helper()
		return w.doHeaders(t, method, path, body, apiKey)
	}
	created := call(t, "POST", "/api/v3.1/tool_router/session", map[string]any{
		"user_id": "alice", "manage_connections": map[string]any{"enable": true}, "toolkits": map[string]any{"enable": []string{"github"}},
	}).want(t, http.StatusCreated, "")
	id := created.body["session_id"].(string)
	if mcp := created.body["mcp"].(map[string]any); mcp["url"] != w.base+"/sessions/"+id+"/mcp" || created.body["config"] == nil {
		t.Errorf("session = %s", created.raw)
	}

	t.Run("ErrorsCarryATopLevelMessage", func(t *testing.T) {
		got := call(t, "GET", "/api/v3.1/connected_accounts/ca_unknown", nil)
		if got.status != http.StatusNotFound || got.body["message"] == nil || !strings.Contains(got.raw, `"slug":"ACCOUNT_NOT_FOUND"`) {
			t.Errorf("unknown account: %d %s", got.status, got.raw)
		}
	})
	t.Run("RefusedOptions", func(t *testing.T) {
		for name, body := range map[string]any{
			"ToolRestriction":       map[string]any{"user_id": "alice", "tools": map[string]any{"github": map[string]any{"enable": []string{"GITHUB_GET_REPOSITORY"}}}},
			"TagRestriction":        map[string]any{"user_id": "alice", "tags": map[string]any{"enable": []string{"readOnlyHint"}}},
			"TwoAccountsOneToolkit": map[string]any{"user_id": "alice", "connected_accounts": map[string]any{"github": []string{"ca_a", "ca_b"}}},
			"UnknownField":          map[string]any{"user_id": "alice", "entity_id": "x"},
			"UserWithNoBreakSpace":  map[string]any{"user_id": "alice\u00a0"},
			"UserWithLineSeparator": map[string]any{"user_id": "\u2028alice"},
		} {
			if got := call(t, "POST", "/api/v3.1/tool_router/session", body); got.status != http.StatusBadRequest {
				t.Errorf("%s: %d %s", name, got.status, got.raw)
			}
		}
	})
	t.Run("DisableListsTheOthers", func(t *testing.T) {
		got := call(t, "POST", "/api/v3.1/tool_router/session", map[string]any{"user_id": "alice", "toolkits": map[string]any{"disable": []string{"gmail"}}}).want(t, http.StatusCreated, "")
		enabled := got.body["config"].(map[string]any)["toolkits"].(map[string]any)["enabled"].([]any)
		for _, tk := range enabled {
			if tk == "gmail" {
				t.Errorf("disabled gmail is enabled: %v", enabled)
			}
		}
		if len(enabled) != len(w.svc.Catalog().Toolkits())-1 {
			t.Errorf("enabled = %v", enabled)
		}
	})
	t.Run("ToolFailureIs200WithError", func(t *testing.T) {
		got := call(t, "POST", "/api/v3.1/tool_router/session/"+id+"/execute", map[string]any{"tool_slug": "GITHUB_GET_AUTHENTICATED_USER", "arguments": map[string]any{}}).want(t, http.StatusOK, "")
		if msg, _ := got.body["error"].(string); !strings.HasPrefix(msg, "ACCOUNT_REQUIRED") || !strings.HasPrefix(got.body["log_id"].(string), "log_") {
			t.Errorf("execute without an account: %s", got.raw)
		}
		if _, ok := got.body["data"].(map[string]any); !ok {
			t.Errorf("data is not an object: %s", got.raw)
		}
	})
	t.Run("ExecuteWithAnotherUsersAccountAsUnknown", func(t *testing.T) {
		bob, bobST := w.newSession(t, map[string]any{"user_id": "bob"})
		bobs := w.connect(t, bob["id"].(string), bobST, bobToken, "")
		before := len(w.gh.Requests())
		foreign := call(t, "POST", "/api/v3.1/tool_router/session/"+id+"/execute", map[string]any{"tool_slug": "GITHUB_GET_AUTHENTICATED_USER", "account": bobs}).want(t, http.StatusOK, "")
		unknown := call(t, "POST", "/api/v3.1/tool_router/session/"+id+"/execute", map[string]any{"tool_slug": "GITHUB_GET_AUTHENTICATED_USER", "account": "ca_unknown"}).want(t, http.StatusOK, "")
		f, u := foreign.body["error"].(string), unknown.body["error"].(string)
		if !strings.HasPrefix(f, "ACCOUNT_NOT_FOUND") || strings.ReplaceAll(f, bobs, "X") != strings.ReplaceAll(u, "ca_unknown", "X") {
			t.Errorf("foreign and unknown differ:\n%s\n%s", f, u)
		}
		if after := len(w.gh.Requests()); after != before {
			t.Errorf("another user's account reached the upstream (%d requests)", after-before)
		}
	})
	t.Run("StatusesSwitchboardNeverGives", func(t *testing.T) {
		got := call(t, "GET", "/api/v3.1/connected_accounts?statuses=REVOKED", nil).want(t, http.StatusOK, "")
		if n := len(got.body["items"].([]any)); n != 0 {
			t.Errorf("REVOKED matched %d accounts", n)
		}
		call(t, "GET", "/api/v3.1/connected_accounts?statuses=BOGUS", nil).want(t, http.StatusBadRequest, "")
	})
	t.Run("Delete", func(t *testing.T) {
		got := call(t, "DELETE", "/api/v3.1/tool_router/session/"+id, nil).want(t, http.StatusOK, "")
		if got.body["deleted"] != true || got.body["session_id"] != id {
			t.Errorf("delete = %s", got.raw)
		}
		if got := call(t, "GET", "/api/v3.1/tool_router/session/"+id, nil); got.status != http.StatusNotFound {
			t.Errorf("after delete: %d", got.status)
		}
	})
}

// TestPageOf: a page is cut from the cursor to the limit, and any limit or
// cursor a whole number can say, up to the largest, gives a page or a
// refusal, never a panic.
func TestPageOf(t *testing.T) {
	items := []int{0, 1, 2, 3, 4}
	for _, tt := range []struct {
		cursor, limit string
		want          []int
		next          any
	}{
		{"", "", items, nil},
		{"", "2", []int{0, 1}, "2"},
		{"2", "2", []int{2, 3}, "4"},
		{"4", "2", []int{4}, nil},
		{"9", "2", []int{}, nil},
		{"1", "9223372036854775807", []int{1, 2, 3, 4}, nil},
		{"9223372036854775807", "9223372036854775807", []int{}, nil},
	} {
		got, next, err := pageOf(items, tt.cursor, tt.limit)
		if err != nil || !slices.Equal(got, tt.want) || next != tt.next {
			t.Errorf("pageOf(cursor %q, limit %q) = %v, %v, %v; want %v, %v", tt.cursor, tt.limit, got, next, err, tt.want, tt.next)
		}
	}
	for _, q := range [][2]string{{"-1", ""}, {"x", ""}, {"", "0"}, {"", "-5"}, {"", "1.5"}, {"", "9223372036854775808"}} {
		if _, _, err := pageOf(items, q[0], q[1]); err == nil {
			t.Errorf("pageOf(cursor %q, limit %q) accepted", q[0], q[1])
		}
	}
}
