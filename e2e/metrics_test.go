package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestMetrics pins /metrics: tool calls by tool and outcome, upstream
// latency by toolkit and status class, sessions; behind the operator key
// when keys are configured; and no user, account or token in any series.
func TestMetrics(t *testing.T) {
	gh := fakeGitHub(t)
	srv := serve(t, t.TempDir(), []string{"SWITCHBOARD_API_KEYS=op-key"}, "--toolkit-url", "github="+gh.URL())
	s := connectHTTP(t, srv.base+"/mcp", map[string]string{"Authorization": "Bearer op-key", "X-User-Id": "alice"})
	connectAccount(t, s, "github", aliceWorkToken, "work")
	s.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
	s.fails(t, "INVALID_ARGUMENTS", "GITHUB_CREATE_ISSUE", map[string]any{"owner": "x"})

	scrape := func(key string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, srv.base+"/metrics", nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if status, _ := scrape(""); status != http.StatusUnauthorized {
		t.Errorf("/metrics without the operator key answered %d", status)
	}
	status, body := scrape("op-key")
	if status != http.StatusOK {
		t.Fatalf("/metrics answered %d", status)
	}
	for _, want := range []string{
		`switchboard_tool_calls_total{outcome="ok",tool="GITHUB_GET_AUTHENTICATED_USER"} 1`,
		`switchboard_tool_calls_total{outcome="INVALID_ARGUMENTS",tool="GITHUB_CREATE_ISSUE"} 1`,
		`switchboard_upstream_request_seconds_count{status="2xx",toolkit="github"} 2`, // identity check + the call
		`switchboard_sessions_created_total{kind="mcp"} 1`,
		`switchboard_tool_call_seconds_bucket{tool="authorize"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	for _, secret := range []string{"alice", aliceWorkToken, "op-key", "ca_"} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics mentions %q", secret)
		}
	}
}
