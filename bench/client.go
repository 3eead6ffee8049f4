package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// headerTransport sets one session's identity headers on every request, the
// DELETE that ends a legacy session included: mcp-go's WithHTTPHeaders
// leaves them off that one, and the server refuses a DELETE without the
// operator key, so the session would never be ended.
type headerTransport struct {
	base   http.RoundTripper
	header map[string]string
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.header {
		r.Header.Set(k, v)
	}
	return t.base.RoundTrip(r)
}

// connect opens an MCP session for u with the operator key: a legacy
// session (initialize, with the GET stream open for server notifications,
// as a desktop client keeps it) or, when stateless, a client of the
// 2026-07-28 revision without continuous listening. Close the client when
// done.
func (e *env) connect(ctx context.Context, u *user, stateless bool) (*mcpclient.Client, error) {
	hc := &http.Client{Transport: headerTransport{base: e.pool, header: map[string]string{
		"Authorization": "Bearer " + e.key, "X-User-Id": u.id,
	}}}
	topts := []transport.StreamableHTTPCOption{
		transport.WithHTTPBasicClient(hc),
		// Failures reach the report as errors; the transport's log
		// would only interleave with it.
		transport.WithHTTPLogger(slog.New(slog.DiscardHandler)),
	}
	var copts []mcpclient.ClientOption
	version := mcp.LATEST_PROTOCOL_VERSION
	if !stateless {
		//lint:ignore SA1019 legacy sessions (initialize, GET stream) are what these scenarios load
		topts = append(topts, transport.WithContinuousListening())
		//lint:ignore SA1019 legacy sessions (initialize, GET stream) are what these scenarios load
		copts = append(copts, mcpclient.WithLegacyProtocolOnly())
		version = mcp.LATEST_LEGACY_PROTOCOL_VERSION
	}
	tr, err := transport.NewStreamableHTTP(e.srv.base+"/mcp", topts...)
	if err != nil {
		return nil, err
	}
	c := mcpclient.NewClient(tr, copts...)
	// Start's context lives as long as the transport, so not ctx.
	if err := c.Start(context.Background()); err != nil {
		return nil, err
	}
	ictx, cancel := context.WithTimeout(ctx, e.cfg.timeout)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ProtocolVersion = version
	req.Params.ClientInfo = mcp.Implementation{Name: "switchboard-bench", Version: "1"}
	if _, err := c.Initialize(ictx, req); err != nil {
		c.Close()
		return nil, err
	}
	if got := c.ProtocolVersion(); got != version {
		c.Close()
		return nil, fmt.Errorf("negotiated protocol %q, want %q", got, version)
	}
	return c, nil
}

// failure is a request that went wrong, with its kind for the report.
type failure struct {
	kind   string // timeout, protocol, tool:<code>, wrong_account, …
	detail string
}

func (f *failure) Error() string { return f.kind + ": " + f.detail }

func fail(kind, format string, args ...any) *failure {
	return &failure{kind: kind, detail: fmt.Sprintf(format, args...)}
}

// protocolFailure classifies an error that came instead of an answer.
func protocolFailure(err error) *failure {
	if errors.Is(err, context.DeadlineExceeded) {
		return fail("timeout", "%v", err)
	}
	return fail("protocol", "%v", err)
}

// callTool calls a tool and returns its structuredContent; a protocol
// error, a tool error (by code) or a result without structured content is
// a *failure.
func callTool(ctx context.Context, c *mcpclient.Client, name string, args map[string]any) (map[string]any, error) {
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	res, err := c.CallTool(ctx, req)
	if err != nil {
		return nil, protocolFailure(err)
	}
	sc, err := structured(res)
	if err != nil {
		return nil, fail("malformed_result", "%s: %v", name, err)
	}
	if res.IsError {
		code := "unknown"
		if e, ok := sc["error"].(map[string]any); ok {
			if c, ok := e["code"].(string); ok {
				code = c
			}
		}
		return nil, fail("tool:"+code, "%s: %s", name, resultText(res))
	}
	return sc, nil
}

// structured returns a result's structuredContent as a map.
func structured(res *mcp.CallToolResult) (map[string]any, error) {
	raw := res.RawStructuredContent
	if len(raw) == 0 {
		var err error
		if raw, err = json.Marshal(res.StructuredContent); err != nil {
			return nil, err
		}
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, fmt.Errorf("structuredContent is not an object: %.200s", raw)
	}
	return m, nil
}

// resultText joins a result's text contents, cut to a report-sized length.
func resultText(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	s := strings.Join(parts, " ")
	if len(s) > 300 {
		s = s[:300] + "…"
	}
	return s
}
