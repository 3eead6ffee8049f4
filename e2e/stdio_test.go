package e2e

import (
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client/transport"
)

// connectStdio starts `switchboard stdio` with env and args as an MCP
// client's subprocess, and returns the session and its captured stderr.
func connectStdio(tb testing.TB, env []string, args ...string) (*session, *logBuffer) {
	tb.Helper()
	logs := &logBuffer{}
	full := append([]string{"stdio", "--connect-addr", "127.0.0.1:0"}, args...)
	tr := transport.NewStdioWithOptions(binary, append(os.Environ(), env...), full, transport.WithCommandStderrWriter(logs))
	s, err := start(tr)
	if err != nil {
		tb.Fatalf("starting switchboard stdio: %v\n%s", err, logs)
	}
	tb.Cleanup(func() { s.Close() })
	return s, logs
}

// TestStdio walks the same story over stdio: user and overrides from flags
// or environment, connect pages on the loopback connect listener, two
// processes sharing one data dir.
func TestStdio(t *testing.T) {
	gh := fakeGitHub(t)
	dataDir := t.TempDir()
	common := []string{"--data-dir", dataDir, "--toolkit-url", "github=" + gh.URL(), "--log-level", "debug"}
	var first, second string

	s, logs := connectStdio(t, []string{"SWITCHBOARD_USER_ID=alice"}, common...)
	// A second process on the same data dir, as Claude Desktop and Cursor at once.
	twin, twinLogs := connectStdio(t, nil, append(common, "--user-id", "alice")...)

	t.Run("ConnectTwoAccountsMostRecentActive", func(t *testing.T) {
		first = connectAccount(t, s, "github", aliceWorkToken, "work")
		if !s.notes.await("notifications/tools/list_changed", 3*time.Second) {
			t.Errorf("the stdio session got no notifications/tools/list_changed for its new account")
		}
		second = connectAccount(t, twin, "github", alicePersonalToken, "")
		// The first process sees the account the second process connected.
		s.ok(t, "select_account", map[string]any{"toolkit": "github", "account": "alice-home"})
		s.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		if tok := lastToken(t, gh, "/user"); tok != alicePersonalToken {
			t.Errorf("acted with %q after selecting alice-home", tok)
		}
		s.ok(t, "select_account", map[string]any{"toolkit": "github", "account": "work"})
		s.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		if tok := lastToken(t, gh, "/user"); tok != aliceWorkToken {
			t.Errorf("acted with %q after selecting work", tok)
		}
	})

	t.Run("NewProcessUsesMostRecent", func(t *testing.T) {
		fresh, _ := connectStdio(t, []string{"SWITCHBOARD_USER_ID=alice"}, common...)
		fresh.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		if tok := lastToken(t, gh, "/user"); tok != alicePersonalToken {
			t.Errorf("a new stdio session acted with %q, want the most recent account", tok)
		}
	})

	t.Run("OverrideFromFlagAndEnv", func(t *testing.T) {
		byFlag, _ := connectStdio(t, nil, append(common, "--user-id", "alice", "--connected-accounts", "github="+first)...)
		byFlag.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		if tok := lastToken(t, gh, "/user"); tok != aliceWorkToken {
			t.Errorf("--connected-accounts session acted with %q", tok)
		}
		byFlag.fails(t, "ACCOUNT_FIXED_BY_HEADER", "select_account", map[string]any{"toolkit": "github", "account": second})
		byEnv, _ := connectStdio(t, []string{"SWITCHBOARD_USER_ID=alice", "SWITCHBOARD_CONNECTED_ACCOUNTS=github=work"}, common...)
		byEnv.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		if tok := lastToken(t, gh, "/user"); tok != aliceWorkToken {
			t.Errorf("SWITCHBOARD_CONNECTED_ACCOUNTS session acted with %q", tok)
		}
	})

	t.Run("BobCannotReachAlice", func(t *testing.T) {
		bob, _ := connectStdio(t, []string{"SWITCHBOARD_USER_ID=bob"}, common...)
		if list := bob.ok(t, "list_accounts", map[string]any{"include_inactive": true})["accounts"].([]any); len(list) != 0 {
			t.Errorf("bob sees %v", list)
		}
		bob.fails(t, "ACCOUNT_NOT_FOUND", "select_account", map[string]any{"toolkit": "github", "account": first})
		bob.fails(t, "ACCOUNT_REQUIRED", "GITHUB_GET_AUTHENTICATED_USER", nil)
		// Naming alice's account in bob's override refuses to start.
		tr := transport.NewStdioWithOptions(binary, append(os.Environ(), "SWITCHBOARD_USER_ID=bob"),
			append([]string{"stdio", "--connect-addr", "127.0.0.1:0", "--connected-accounts", "github=" + first}, common...),
			transport.WithCommandStderrWriter(&logBuffer{}))
		if _, err := start(tr); err == nil {
			t.Errorf("bob's stdio session started with alice's account in --connected-accounts")
		}
	})

	t.Run("ConnectPageOnLoopbackListener", func(t *testing.T) {
		res := s.call(t, "authorize", map[string]any{"toolkit": "github"})
		if !strings.Contains(text(res), "works only while the server keeps running") {
			t.Errorf("authorize over stdio does not say the link lives with the process: %s", text(res))
		}
		auth := structured(t, res)
		link := auth["redirect_url"].(string)
		if !strings.HasPrefix(link, "http://127.0.0.1:") {
			t.Errorf("stdio connect link %q is not on the loopback listener", link)
		}
		resp, err := http.Get(link)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("connect page answered %d", resp.StatusCode)
		}
	})

	for _, tok := range []string{aliceWorkToken, alicePersonalToken} {
		if strings.Contains(logs.String()+twinLogs.String(), tok) {
			t.Errorf("a token appears in the stdio logs")
		}
	}
}
