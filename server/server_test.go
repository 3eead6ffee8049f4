package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"switchboard/accounts"
	"switchboard/accounts/sqlite"
	"switchboard/server"
	"switchboard/tools"
)

// newServer builds the MCP server on a fresh store, and a scope of alice's
// restricted to (and naming) toolkits, or allowing all when nil.
func newServer(tb testing.TB, toolkits []string) (*server.Server, *accounts.Service, context.Context) {
	tb.Helper()
	return newServerMode(tb, toolkits, accounts.ToolModeAll)
}

// newServerMode is newServer with the server's default tool mode.
func newServerMode(tb testing.TB, toolkits []string, mode string) (*server.Server, *accounts.Service, context.Context) {
	tb.Helper()
	// Every OAuth toolkit has an app, as on a server the operator set up:
	// a toolkit no one can connect lists no tools.
	svc := testService(tb, nil, func(c *tools.Catalog) (configs []accounts.AuthConfig) {
		for _, tk := range c.Toolkits() {
			if tk.Scheme("oauth2") != nil {
				configs = append(configs, accounts.AuthConfig{ID: "ac_" + tk.Slug, Toolkit: tk.Slug, Scheme: "oauth2", ClientID: "id", ClientSecret: "secret"})
			}
		}
		return configs
	})
	srv := server.New(server.Config{Service: svc, Version: "test", ToolMode: mode})
	sess, err := svc.CreateSession(context.Background(), accounts.SessionOptions{UserID: "alice"})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := server.NewContext(context.Background(), &accounts.Scope{Session: sess, Toolkits: toolkits})
	return srv, svc, ctx
}

// testService builds a Service on a fresh SQLite store with the built-in
// catalog, toolkits sent to urls, and the auth configs configs returns
// (none when nil).
func testService(tb testing.TB, urls map[string]string, configs func(*tools.Catalog) []accounts.AuthConfig) *accounts.Service {
	tb.Helper()
	catalog, err := tools.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(tb.TempDir(), "s.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	keys, _ := accounts.ParseKeyRing("k1:" + strings.Repeat("C", 43) + "=")
	cfg := accounts.Config{
		Store: store, Keys: keys, Catalog: catalog, PublicURL: "http://127.0.0.1",
		Executor: tools.NewExecutor(catalog, tools.ExecutorOptions{BaseURLs: urls}),
	}
	if configs != nil {
		cfg.AuthConfigs = configs(catalog)
	}
	svc, err := accounts.NewService(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return svc
}

// listTools answers tools/list in ctx and returns the raw result.
func listTools(tb testing.TB, srv *server.Server, ctx context.Context) []byte {
	tb.Helper()
	for _, m := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`,
	} {
		srv.MCP().HandleMessage(ctx, json.RawMessage(m))
	}
	resp := srv.MCP().HandleMessage(ctx, json.RawMessage(`{"jsonrpc":"2.0","id":2,"method":"tools/list","params":{}}`))
	b, err := json.Marshal(resp)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

type listing struct {
	Result struct {
		Tools []struct {
			Name        string          `json:"name"`
			Description string          `json:"description"`
			InputSchema json.RawMessage `json:"inputSchema"`
			Annotations map[string]any  `json:"annotations"`
		} `json:"tools"`
	} `json:"result"`
}

func names(tb testing.TB, raw []byte) []string {
	tb.Helper()
	var l listing
	if err := json.Unmarshal(raw, &l); err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, t := range l.Result.Tools {
		out = append(out, t.Name)
	}
	return out
}

func TestListingFollowsTheSession(t *testing.T) {
	meta := []string{"authorize", "list_accounts", "list_activity", "list_toolkits", "select_account", "wait_for_connection"}
	t.Run("NoAccountsOnlyMetaTools", func(t *testing.T) {
		srv, _, ctx := newServer(t, nil)
		if got := names(t, listTools(t, srv, ctx)); !slices.Equal(got, meta) {
			t.Errorf("tools %v, want only the meta tools", got)
		}
	})
	t.Run("NamedToolkitListedBeforeAnyAccount", func(t *testing.T) {
		srv, svc, ctx := newServer(t, []string{"github"})
		got := names(t, listTools(t, srv, ctx))
		want := len(meta) + len(svc.Catalog().Toolkit("github").Tools)
		if len(got) != want || !slices.Contains(got, "GITHUB_CREATE_ISSUE") || slices.Contains(got, "SLACK_POST_MESSAGE") {
			t.Errorf("%d tools %v, want the meta tools and github's %d", len(got), got, want-len(meta))
		}
	})
	t.Run("EveryToolAnnotatedWithSchema", func(t *testing.T) {
		srv, _, ctx := newServer(t, allToolkits(t))
		var l listing
		if err := json.Unmarshal(listTools(t, srv, ctx), &l); err != nil {
			t.Fatal(err)
		}
		for _, tl := range l.Result.Tools {
			for _, hint := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} {
				if _, ok := tl.Annotations[hint]; !ok {
					t.Errorf("%s lacks %s", tl.Name, hint)
				}
			}
			var schema map[string]any
			if json.Unmarshal(tl.InputSchema, &schema) != nil || schema["type"] != "object" {
				t.Errorf("%s: input schema %s", tl.Name, tl.InputSchema)
			}
			if tl.Description == "" {
				t.Errorf("%s has no description", tl.Name)
			}
		}
	})
}

func allToolkits(tb testing.TB) []string {
	tb.Helper()
	c, err := tools.Builtin()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for _, tk := range c.Toolkits() {
		out = append(out, tk.Slug)
	}
	return out
}

// BenchmarkToolsListAllToolkits measures the tools/list payload of a
// session with every toolkit: the figure the README quotes (bytes, and
// tokens estimated at four bytes each), the baseline tool discovery cuts.
func BenchmarkToolsListAllToolkits(b *testing.B) {
	benchmarkListing(b, accounts.ToolModeAll)
}

// BenchmarkToolsListSearchMode is the same session in search mode: the
// meta tools and search_tools and execute_tool, whatever the toolkits.
func BenchmarkToolsListSearchMode(b *testing.B) {
	benchmarkListing(b, accounts.ToolModeSearch)
}

func benchmarkListing(b *testing.B, mode string) {
	srv, _, ctx := newServerMode(b, allToolkits(b), mode)
	var raw []byte
	for b.Loop() {
		raw = listTools(b, srv, ctx)
	}
	var env struct {
		Result json.RawMessage `json:"result"`
	}
	_ = json.Unmarshal(raw, &env)
	b.ReportMetric(float64(len(env.Result)), "payload_bytes")
	b.ReportMetric(float64(len(env.Result))/4, "est_tokens")
	b.ReportMetric(float64(len(names(b, raw))), "tools")
}

// BenchmarkToolCall measures one toolkit tool call through the MCP server:
// session reload, rule 5's choice, credential unsealing, the upstream
// request to a local fake GitHub, result shaping and logging.
func BenchmarkToolCall(b *testing.B) {
	srv, ctx, gh := newGitHubServer(b)
	call := json.RawMessage(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"GITHUB_GET_AUTHENTICATED_USER","arguments":{}}}`)
	for b.Loop() {
		resp, _ := json.Marshal(srv.MCP().HandleMessage(ctx, call))
		if strings.Contains(string(resp), `"isError":true`) {
			b.Fatalf("call failed: %s", resp)
		}
		gh.Reset()
	}
}

var update = flag.Bool("update", false, "rewrite testdata/tools_list.golden.json")

// TestToolsListSnapshot pins the whole tools/list of a session with every
// toolkit — the meta tools and every catalog tool, as clients see them — so
// that any change to a name, description, schema or annotation is seen in
// review. Regenerate with go test ./server -run TestToolsListSnapshot -update.
func TestToolsListSnapshot(t *testing.T) {
	srv, _, ctx := newServer(t, allToolkits(t))
	var env struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(listTools(t, srv, ctx), &env); err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, env.Result, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", "tools_list.golden.json")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(want, pretty.Bytes()) {
		t.Errorf("tools/list changed; if intended, run go test ./server -run TestToolsListSnapshot -update and review the diff")
	}
}
