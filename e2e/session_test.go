package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestSessionURLAndDelete pins /sessions/{id}/mcp — it serves that stored
// session with its selection, to its own user only, and never another
// session named by Mcp-Session-Id — and that a client's DELETE ends a
// session for good.
func TestSessionURLAndDelete(t *testing.T) {
	gh := fakeGitHub(t)
	srv := serve(t, t.TempDir(), nil, "--toolkit-url", "github="+gh.URL())
	s := connectHTTP(t, srv.base+"/mcp", alice(nil))
	connectAccount(t, s, "github", aliceWorkToken, "work")
	connectAccount(t, s, "github", alicePersonalToken, "home")
	s.ok(t, "select_account", map[string]any{"toolkit": "github", "account": "work"})
	id := s.GetSessionId()
	other := connectHTTP(t, srv.base+"/mcp", alice(nil)).GetSessionId()
	sessionURL := srv.base + "/sessions/" + id + "/mcp"

	t.Run("ServesTheStoredSession", func(t *testing.T) {
		byURL := connectHTTP(t, sessionURL, alice(nil))
		again := connectHTTP(t, sessionURL, alice(nil))
		// Each client of the URL has its own MCP session within the stored one.
		if !strings.HasPrefix(byURL.GetSessionId(), id+".") || byURL.GetSessionId() == again.GetSessionId() {
			t.Errorf("MCP session ids %q and %q, want two distinct ones within %q", byURL.GetSessionId(), again.GetSessionId(), id)
		}
		got := byURL.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		if acct := got["account"].(map[string]any); acct["alias"] != "work" || acct["selected_by"] != "session" {
			t.Errorf("acted as %v, want the session's selection", acct)
		}
		// One client leaving the URL (DELETE) leaves the stored session to the others.
		if status := deleteSession(t, sessionURL, byURL.GetSessionId()); status/100 != 2 {
			t.Fatalf("DELETE of a URL connection answered %d", status)
		}
		again.ok(t, "list_accounts", nil)
	})

	t.Run("OtherUserOrOtherSessionRefused", func(t *testing.T) {
		if status, _ := rawInitialize(t, sessionURL, map[string]string{"X-User-Id": "bob"}); status != http.StatusNotFound {
			t.Errorf("bob on alice's session URL: %d", status)
		}
		h := alice(map[string]string{"Mcp-Session-Id": other, "MCP-Protocol-Version": "2025-06-18"})
		if status, _ := rawPost(t, sessionURL, h, toolsList); status != http.StatusNotFound {
			t.Errorf("another session's id on this session's URL: %d", status)
		}
		if status, _ := rawInitialize(t, srv.base+"/sessions/ses_doesnotexist/mcp", alice(nil)); status != http.StatusNotFound {
			t.Errorf("unknown session URL: %d", status)
		}
	})

	t.Run("ForeignConnectionIDRefused", func(t *testing.T) {
		h := alice(map[string]string{"Mcp-Session-Id": other + ".abcdefghij", "MCP-Protocol-Version": "2025-06-18"})
		if status, _ := rawPost(t, sessionURL, h, toolsList); status != http.StatusNotFound {
			t.Errorf("a connection id of another session on this URL: %d", status)
		}
	})

	t.Run("DeleteEndsTheSession", func(t *testing.T) {
		h := alice(map[string]string{"Mcp-Session-Id": other, "MCP-Protocol-Version": "2025-06-18"})
		if status := deleteSession(t, srv.base+"/mcp", other); status/100 != 2 {
			t.Fatalf("DELETE answered %d", status)
		}
		if status, _ := rawPost(t, srv.base+"/mcp", h, toolsList); status != http.StatusNotFound {
			t.Errorf("the deleted session still answers %d", status)
		}
		if status, _ := rawPost(t, srv.base+"/mcp", alice(map[string]string{"Mcp-Session-Id": id, "MCP-Protocol-Version": "2025-06-18"}), toolsList); status != http.StatusOK {
			t.Errorf("deleting one session ended another: %d", status)
		}
	})
}

// deleteSession sends alice's DELETE of MCP session sid to url.
func deleteSession(tb testing.TB, url, sid string) int {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodDelete, url, nil)
	for k, v := range alice(map[string]string{"Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-06-18"}) {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestStatelessListenGetsListChanged pins that a 2026-07-28 client's
// subscriptions/listen stream is told when its user's tools change, and
// only then: an account connected by another of alice's sessions reaches
// alice's stream, bob's stream hears nothing.
func TestStatelessListenGetsListChanged(t *testing.T) {
	gh := fakeGitHub(t)
	srv := serve(t, t.TempDir(), nil, "--toolkit-url", "github="+gh.URL())
	listen := func(user string) *session {
		s, err := connectStateless(srv.base+"/mcp", map[string]string{"X-User-Id": user})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		stop, err := s.ListenAsync(context.Background(), mcp.SubscriptionFilter{ToolsListChanged: true}, func(error) {})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(stop)
		return s
	}
	a, b := listen("alice"), listen("bob")
	time.Sleep(200 * time.Millisecond) // the listen requests reach the server
	connectAccount(t, connectHTTP(t, srv.base+"/mcp", alice(nil)), "github", aliceWorkToken, "")
	if !a.notes.await("notifications/tools/list_changed", 3*time.Second) {
		t.Error("alice's listen stream got no tools/list_changed")
	}
	time.Sleep(200 * time.Millisecond)
	if n := b.notes.count("notifications/tools/list_changed"); n != 0 {
		t.Errorf("bob's listen stream got %d tools/list_changed for alice's account", n)
	}
}
