// Command ceiling is the reference the load driver measures Switchboard
// against: a bare mcp-go server (the version in go.mod) with one trivial
// tool, served over streamable HTTP with the transport options Switchboard
// uses (see transport/http.go): a 25 s heartbeat, a 30 min idle session TTL
// and mcp-go's localhost protection off. Switchboard's own session id
// manager is left out; mcp-go's default one mints the session ids.
//
// Both protocol eras are served on /mcp, as in Switchboard: legacy sessions
// (initialize, Mcp-Session-Id) and stateless 2026-07-28 requests.
//
// The tool echo answers "pong" and does nothing else. When -upstream is
// set, a second tool, upstream_user, does what Switchboard's
// GITHUB_GET_AUTHENTICATED_USER does without any account logic: one GET of
// <upstream>/user with the token it is given, its JSON body returned as
// structured content. It prices the MCP hop in front of an upstream call.
//
// Two routes carry no MCP library at all. They are the floor under every
// server, Switchboard and this ceiling alike: what plain net/http on this
// machine costs for the same exchange.
//
//   - POST /raw answers any JSON-RPC request with the result echo gives,
//     "pong", under the request's id. It decodes nothing but the id.
//   - GET /proxy/user (with -upstream) forwards the request's Authorization
//     to <upstream>/user and copies the answer back: an HTTP hop in front
//     of the upstream and nothing else.
//
// Run it alone with:
//
//	go run ./bench/ceiling -addr 127.0.0.1:8090
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	_ "switchboard/bench/debugport" // profiles when SWITCHBOARD_BENCH_DEBUG_ADDR is set
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	upstream := flag.String("upstream", "", "base URL of a GitHub-like API; adds the tool upstream_user")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := serve(ctx, *addr, *upstream); err != nil {
		fmt.Fprintln(os.Stderr, "ceiling:", err)
		os.Exit(1)
	}
}

// serve listens on addr until ctx ends, then shuts down like Switchboard.
func serve(ctx context.Context, addr, upstream string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	h, closeSessions := newHandler(upstream)
	hs := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	hs.RegisterOnShutdown(closeSessions)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// newHandler builds the server: /mcp and /healthz. The second result ends
// every MCP session, for shutdown.
func newHandler(upstream string) (http.Handler, func()) {
	s := mcpserver.NewMCPServer("ceiling", "1", mcpserver.WithToolCapabilities(true))
	s.AddTool(mcp.Tool{
		Name:           "echo",
		Description:    "Answers pong.",
		RawInputSchema: json.RawMessage(`{"type":"object","properties":{},"additionalProperties":false}`),
	}, func(context.Context, mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		return mcp.NewToolResultText("pong"), nil
	})
	if upstream != "" {
		s.AddTool(mcp.Tool{
			Name:           "upstream_user",
			Description:    "GET <upstream>/user with the token given.",
			RawInputSchema: json.RawMessage(`{"type":"object","properties":{"token":{"type":"string"}},"required":["token"],"additionalProperties":false}`),
		}, upstreamUser(upstream))
	}
	mcpHTTP := mcpserver.NewStreamableHTTPServer(s,
		mcpserver.WithHeartbeatInterval(25*time.Second),
		mcpserver.WithSessionIdleTTL(30*time.Minute),
		mcpserver.WithDisableLocalhostProtection(true),
	)
	mux := http.NewServeMux()
	mux.Handle("/mcp", mcpHTTP)
	mux.HandleFunc("POST /raw", rawPong)
	if upstream != "" {
		mux.HandleFunc("GET /proxy/user", proxyUser(upstream))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintln(w, `{"status":"ok"}`)
	})
	return mux, func() { mcpHTTP.CloseSessions(context.Background()) }
}

// rawPong is POST /raw: echo's answer without an MCP library.
func rawPong(w http.ResponseWriter, r *http.Request) {
	var req struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&req); err != nil || len(req.ID) == 0 {
		http.Error(w, "a JSON-RPC request with an id", http.StatusBadRequest)
		return
	}
	b := make([]byte, 0, 128)
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = append(b, req.ID...)
	b = append(b, `,"result":{"content":[{"type":"text","text":"pong"}]}}`...)
	w.Header().Set("Content-Type", "application/json")
	w.Write(b)
}

// proxyUser is GET /proxy/user: one GET of <base>/user with the caller's
// Authorization, its status and body copied back.
func proxyUser(base string) http.HandlerFunc {
	client := &http.Client{Timeout: 10 * time.Second}
	return func(w http.ResponseWriter, r *http.Request) {
		hreq, err := http.NewRequestWithContext(r.Context(), http.MethodGet, base+"/user", nil)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		hreq.Header.Set("Authorization", r.Header.Get("Authorization"))
		hreq.Header.Set("Accept", "application/vnd.github+json")
		resp, err := client.Do(hreq)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(resp.StatusCode)
		w.Write(body)
	}
}

// upstreamUser is the handler of upstream_user.
func upstreamUser(base string) mcpserver.ToolHandlerFunc {
	client := &http.Client{Timeout: 10 * time.Second}
	return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		token, err := req.RequireString("token")
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		hreq, err := http.NewRequestWithContext(ctx, http.MethodGet, base+"/user", nil)
		if err != nil {
			return nil, err
		}
		hreq.Header.Set("Authorization", "Bearer "+token)
		hreq.Header.Set("Accept", "application/vnd.github+json")
		resp, err := client.Do(hreq)
		if err != nil {
			return mcp.NewToolResultError(err.Error()), nil
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if err != nil || resp.StatusCode != http.StatusOK {
			return mcp.NewToolResultError(fmt.Sprintf("upstream answered %d: %v", resp.StatusCode, err)), nil
		}
		return &mcp.CallToolResult{
			Content:              []mcp.Content{mcp.NewTextContent(string(body))},
			RawStructuredContent: json.RawMessage(body),
		}, nil
	}
}
