package tools_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"testing/fstest"

	"switchboard/tools"
)

// rulesAPI exercises error code rules, {name*} placeholders, cut and extra
// on an API of the operator's.
const rulesAPI = `slug: rules
name: Rules
description: A test API.
base_url: https://api.rules.test
errors:
  ok_field: ok
  message_field: error.message
  code_field: error.details.code
  unauthorized: [bad_token]
  rate_limited: {slow_down: 5}
  unavailable: [backend_down]
  missing_scope: {codes: [no_scope], needed: error.scopes}
  detail_fields: [error.hint]
schemes:
  - kind: bearer_token
    credential_label: API token
    help: Settings.
tools:
  - name: RULES_GET_FILE
    title: Get a file
    description: Reads a file or the root.
    annotations: {read_only: true, destructive: false, idempotent: true, open_world: true}
    input_schema:
      type: object
      properties:
        path: {type: string, description: A path.}
      additionalProperties: false
    request: {method: GET, path: "/files/{path*}"}
    result: {fields: [name, body, meta.note], cut: {body: 5, meta.note: 3}, text: "{name}: {body}"}
  - name: RULES_SEARCH
    title: Search
    description: Searches.
    annotations: {read_only: true, destructive: false, idempotent: true, open_world: true}
    input_schema: {type: object, properties: {}, additionalProperties: false}
    request: {method: GET, path: /search}
    result: {list_path: hits, list_key: hits, extra: [total, partial], fields: [name, tags.label], cut: {tags.label: 2}, text: "{name} {tags.label}"}
`

// newRules serves the rules toolkit with answer and returns a function that
// reports the escaped path of the last request.
func newRules(tb testing.TB, answer func(r *http.Request) (int, http.Header, string)) (*tools.Catalog, *tools.Executor, func() string) {
	tb.Helper()
	cat, err := tools.LoadCatalog(fstest.MapFS{"rules.yaml": {Data: []byte(rulesAPI)}})
	if err != nil {
		tb.Fatal(err)
	}
	var mu sync.Mutex
	last := ""
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		last = r.URL.EscapedPath()
		mu.Unlock()
		status, header, body := answer(r)
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	tb.Cleanup(srv.Close)
	exec := tools.NewExecutor(cat, tools.ExecutorOptions{BaseURLs: map[string]string{"rules": srv.URL}})
	tools.SetRetryBackoff(exec)
	return cat, exec, func() string {
		mu.Lock()
		defer mu.Unlock()
		return last
	}
}

func TestErrorCodeRules(t *testing.T) {
	tests := []struct {
		name         string
		status       int
		header       http.Header
		body         string
		code         string
		unauthorized bool
		retry        int
		message      string
	}{
		{"OKFalseUnauthorizedCode", 200, nil, `{"ok":false,"error":{"details":[{"code":"bad_token"}]}}`,
			tools.CodeUpstreamError, true, 0, "Rules rejected the account's credential (bad_token)"},
		{"CodeAmongOthersOn400", 400, nil, `{"error":{"message":"Slow","details":[{"code":"other"},{"code":"slow_down"}]}}`,
			tools.CodeUpstreamRateLimited, false, 5, "(HTTP 400: slow_down); wait 5 seconds"},
		{"HeaderWaitWinsOverTheRule", 400, http.Header{"Retry-After": {"9"}}, `{"error":{"details":[{"code":"slow_down"}]}}`,
			tools.CodeUpstreamRateLimited, false, 9, "wait 9 seconds"},
		{"Status401AlwaysUnauthorized", 401, nil, `{"error":{"details":[{"code":"slow_down"}]}}`,
			tools.CodeUpstreamError, true, 0, "(HTTP 401)"},
		{"UnavailableCode", 400, nil, `{"error":{"details":[{"code":"backend_down"}]}}`,
			tools.CodeUpstreamUnavailable, false, 0, "Rules is unavailable (HTTP 400: backend_down)"},
		{"MissingScopeFromAList", 403, nil, `{"error":{"details":[{"code":"no_scope"}],"scopes":["files:read","admin"]}}`,
			tools.CodeUpstreamError, false, 0, "lacks a required scope (needs one of: files:read, admin)."},
		{"RateLimitWordsAloneDoNotCountWithCodes", 403, nil, `{"error":{"message":"rate limit of sharing reached","details":[{"code":"quota"}]}}`,
			tools.CodeUpstreamError, false, 0, "(HTTP 403): rate limit of sharing reached."},
		{"DetailFieldsRepeated", 422, nil, `{"error":{"message":"Invalid","hint":"path must be relative"}}`,
			tools.CodeUpstreamError, false, 0, "(HTTP 422): Invalid (path must be relative)."},
		{"UnknownCodeOKFalse", 200, nil, `{"ok":false,"error":{"message":"nope","details":[{"code":"other"}]}}`,
			tools.CodeUpstreamError, false, 0, "Rules refused the request: nope."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, exec, _ := newRules(t, func(*http.Request) (int, http.Header, string) { return tt.status, tt.header, tt.body })
			_, err := exec.Call(context.Background(), cat.Tool("RULES_SEARCH"), nil, nil)
			e := asToolError(t, err)
			got := []any{e.Code, e.Status, e.Unauthorized(), e.RetryAfterSeconds}
			want := []any{tt.code, tt.status, tt.unauthorized, tt.retry}
			assertDiff(t, "code, status, unauthorized, retry", want, got)
			assertContains(t, "message", e.Message, tt.message)
		})
	}
}

func TestMultiSegmentCutAndExtra(t *testing.T) {
	file := `{"name":"a b","body":"0123456789","meta":{"note":"abcdef","noise":1},"size":10}`
	search := `{"total":120,"partial":true,"hits":[{"name":"x","tags":[{"label":"long"},{"label":"ok"}]}]}`
	cat, exec, lastPath := newRules(t, func(r *http.Request) (int, http.Header, string) {
		if r.URL.Path == "/search" {
			return 200, nil, search
		}
		return 200, nil, file
	})
	call := func(tool string, args map[string]any) *tools.Result {
		t.Helper()
		res, err := exec.Call(context.Background(), cat.Tool(tool), args, nil)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	t.Run("SegmentsEscapedOneByOne", func(t *testing.T) {
		call("RULES_GET_FILE", map[string]any{"path": "dir one/a?b#c.txt"})
		if got := lastPath(); got != "/files/dir%20one/a%3Fb%23c.txt" {
			t.Errorf("path = %s", got)
		}
	})
	t.Run("AbsentAddsNoSegment", func(t *testing.T) {
		call("RULES_GET_FILE", nil)
		if got := lastPath(); got != "/files/" {
			t.Errorf("path = %s", got)
		}
	})
	t.Run("CutFieldsOfAnObject", func(t *testing.T) {
		res := call("RULES_GET_FILE", map[string]any{"path": "a"})
		want := `{"name":"a b","body":"01234… [cut: 5 more characters]","meta":{"note":"abc… [cut: 3 more characters]"}}`
		assertSameJSON(t, "structured", want, res.Structured)
		if res.Text != "a b: 01234… [cut: 5 more characters]" {
			t.Errorf("text = %q", res.Text)
		}
	})
	t.Run("ExtraKeptNextToTheList", func(t *testing.T) {
		res := call("RULES_SEARCH", nil)
		want := `{"count":1,"total":120,"partial":true,"hits":[{"name":"x","tags":[{"label":"lo… [cut: 2 more characters]"},{"label":"ok"}]}]}`
		assertSameJSON(t, "structured", want, res.Structured)
		if want := "hits: 1 item (total: 120, partial: true):\n- x lo… [cut: 2 more characters], ok"; res.Text != want {
			t.Errorf("text = %q\nwant   %q", res.Text, want)
		}
	})
}
