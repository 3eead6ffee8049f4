package e2e

import (
	"encoding/json"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/mark3labs/mcp-go/client/transport"
)

// TestMCPJSONExample parses mcp.json.example and starts what each entry
// describes, with the built binary in place of "switchboard" and temporary
// directories in place of the user's.
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
	stdioEntry, httpEntry := cfg.MCPServers["switchboard"], cfg.MCPServers["switchboard-http"]
	if stdioEntry.Command != "switchboard" || httpEntry.URL == "" {
		t.Fatalf("mcp.json.example lacks the stdio or the http entry: %+v", cfg)
	}
	gh := fakeGitHub(t)
	dataDir := t.TempDir()

	t.Run("Stdio", func(t *testing.T) {
		var env []string
		for k, v := range stdioEntry.Env {
			if k == "SWITCHBOARD_DATA_DIR" {
				v = dataDir
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
		// The HTTP entry names the alias "work": connect it here, as alice.
		connectAccount(t, s, "github", aliceWorkToken, "work")
	})

	t.Run("HTTP", func(t *testing.T) {
		u, err := url.Parse(httpEntry.URL)
		if err != nil {
			t.Fatal(err)
		}
		// Same host and path; a free port, since 8080 may be taken here.
		host, _, _ := net.SplitHostPort(u.Host)
		srv := serve(t, dataDir, nil, "--toolkit-url", "github="+gh.URL())
		_, port, _ := net.SplitHostPort(srv.base[len("http://"):])
		u.Host = net.JoinHostPort(host, port)
		s := connectHTTP(t, u.String(), httpEntry.Headers)
		got := s.ok(t, "GITHUB_GET_AUTHENTICATED_USER", nil)
		if acct := got["account"].(map[string]any); acct["alias"] != "work" || acct["selected_by"] != "header" {
			t.Errorf("the HTTP entry acted as %v, want alias work chosen by header", acct)
		}
	})
}
