package e2e

import (
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client/transport"
)

// TestMCPJSONExample parses mcp.json.example and starts what each entry
// describes on an empty store, as a brand-new user would: the built binary
// in place of the installed one, temporary directories in place of the
// user's, and for the stored-session entry a session the application API
// just created in place of the placeholders.
func TestMCPJSONExample(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "mcp.json.example"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		MCPServers map[string]struct {
			Command string            `json:"command"`
			Args    []string          `json:"args"`
			Env     map[string]string `json:"env"`
			URL     string            `json:"url"`
			Headers map[string]string `json:"headers"`
		} `json:"mcpServers"`
	}
	dec := json.NewDecoder(bytesReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		t.Fatalf("mcp.json.example: %v", err)
	}
	stdioEntry, httpEntry, sessionEntry := cfg.MCPServers["switchboard"], cfg.MCPServers["switchboard-http"], cfg.MCPServers["switchboard-session"]
	if !filepath.IsAbs(stdioEntry.Command) || filepath.Base(stdioEntry.Command) != "switchboard" || httpEntry.URL == "" || sessionEntry.URL == "" {
		t.Fatalf("mcp.json.example lacks the stdio entry (with an absolute path: Claude Desktop needs one), the http or the session entry: %+v", cfg)
	}
	gh := fakeGitHub(t)

	t.Run("Stdio", func(t *testing.T) {
		var env []string
		for k, v := range stdioEntry.Env {
			if k == "SWITCHBOARD_DATA_DIR" {
				v = t.TempDir()
			}
			env = append(env, k+"="+v)
		}
		env = append(env, "SWITCHBOARD_TOOLKIT_URLS=github="+gh.URL(), "SWITCHBOARD_CONNECT_ADDR=127.0.0.1:0")
		tr := transport.NewStdioWithOptions(binary, append(os.Environ(), env...), stdioEntry.Args, transport.WithCommandStderrWriter(&logBuffer{}))
		s, err := start(tr)
		if err != nil {
			t.Fatalf("starting the stdio entry: %v", err)
		}
		defer s.Close()
		connectAccount(t, s, "github", aliceWorkToken, "")
		if acct := s.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)["account"].(map[string]any); acct["label"] != "alice-work" {
			t.Errorf("the stdio entry acted as %v", acct)
		}
	})

	// The HTTP entry names the alias "work", which a new user does not
	// have: only GitHub's calls wait for it; authorize creates it.
	t.Run("HTTPOnAnEmptyStore", func(t *testing.T) {
		srv := serve(t, t.TempDir(), nil, "--toolkit-url", "github="+gh.URL())
		s := connectHTTP(t, sameHostNewPort(t, httpEntry.URL, srv.base), httpEntry.Headers)
		s.ok(t, "list_toolkits", nil)
		s.fails(t, "ACCOUNT_NOT_FOUND", "GITHUB_GET_AUTHENTICATED_USER", nil)
		connectAccount(t, s, "github", aliceWorkToken, "work")
		got := s.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		if acct := got["account"].(map[string]any); acct["alias"] != "work" || acct["selected_by"] != "header" {
			t.Errorf("the HTTP entry acted as %v, want alias work chosen by header", acct)
		}
	})

	t.Run("SessionURLWithoutHeaders", func(t *testing.T) {
		srv := serve(t, t.TempDir(), []string{"SWITCHBOARD_API_KEYS=" + apiKey}, "--toolkit-url", "github="+gh.URL())
		id, sessionURL, headers := apiSession(t, srv.base, map[string]any{"user_id": "alice"})
		token := strings.TrimPrefix(headers["Authorization"], "Bearer ")
		entry := strings.NewReplacer("ses_FROM_THE_API", id, "st_FROM_THE_API", token).Replace(sessionEntry.URL)
		entry = sameHostNewPort(t, entry, srv.base)
		if !strings.HasPrefix(entry, sessionURL+"?") {
			t.Fatalf("the session entry %s is not the API's mcp.url %s with a query", entry, sessionURL)
		}
		s := connectHTTP(t, entry, nil)
		connectAccount(t, s, "github", aliceWorkToken, "")
		if acct := s.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)["account"].(map[string]any); acct["label"] != "alice-work" {
			t.Errorf("the session entry acted as %v", acct)
		}
		// The token in a URL opens its session only.
		if status, _ := rawInitialize(t, srv.base+"/mcp?session_token="+token, nil); status != http.StatusUnauthorized {
			t.Errorf("the token in /mcp's query: %d", status)
		}
		if status, _ := rawInitialize(t, sessionURL+"?session_token="+apiKey, nil); status != http.StatusUnauthorized {
			t.Errorf("an operator key in the query: %d", status)
		}
	})
}

// sameHostNewPort moves raw (an example's URL) to the port of base, where
// the test's server listens: 8080 may be taken here.
func sameHostNewPort(tb testing.TB, raw, base string) string {
	tb.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		tb.Fatal(err)
	}
	host, _, _ := net.SplitHostPort(u.Host)
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(base, "http://"))
	u.Host = net.JoinHostPort(host, port)
	return u.String()
}
