package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
)

// The compare mode talks raw JSON-RPC over streamable HTTP, with the same
// few lines of code for every server it measures, so that the client's own
// cost is the same on every side and as small as it can be (the driver
// shares the machine's cores with the servers).

// rpcEndpoint is one MCP endpoint and the headers every request to it
// carries (an operator key and a user, for Switchboard).
type rpcEndpoint struct {
	hc     *http.Client
	url    string
	header http.Header
}

// rpcSession is one client of an endpoint: a legacy session (after
// initialize, with its Mcp-Session-Id) or a stateless 2026-07-28 client
// (no session; every request declares its version in _meta and headers).
type rpcSession struct {
	ep        *rpcEndpoint
	id        string // Mcp-Session-Id, "" when stateless
	version   string // the negotiated (or, stateless, declared) protocol version
	stateless bool
	next      atomic.Int64 // the next request id
}

// rpcReply is the part of a JSON-RPC answer to tools/call the driver reads.
type rpcReply struct {
	Result *struct {
		IsError           bool            `json:"isError"`
		StructuredContent json.RawMessage `json:"structuredContent"`
		Content           []struct {
			Text string `json:"text"`
		} `json:"content"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// statelessMeta is the _meta a 2026-07-28 request carries.
var statelessMeta = `"_meta":{"` + mcp.MetaKeyProtocolVersion + `":"` + mcp.ProtocolVersion20260728 +
	`","` + mcp.MetaKeyClientCapabilities + `":{},"` + mcp.MetaKeyClientInfo + `":{"name":"switchboard-bench","version":"1"}}`

// initialize opens a legacy session: initialize, then
// notifications/initialized.
func (ep *rpcEndpoint) initialize(ctx context.Context) (*rpcSession, error) {
	body := `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"` + mcp.LATEST_LEGACY_PROTOCOL_VERSION +
		`","capabilities":{},"clientInfo":{"name":"switchboard-bench","version":"1"}}}`
	s := &rpcSession{ep: ep}
	resp, raw, err := s.post(ctx, []byte(body), nil)
	if err != nil {
		return nil, err
	}
	var init struct {
		Result *struct {
			ProtocolVersion string `json:"protocolVersion"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &init); err != nil || init.Result == nil {
		return nil, fail("protocol", "initialize answered %d: %.300s", resp.StatusCode, raw)
	}
	s.id, s.version = resp.Header.Get(mcp.HeaderSessionID), init.Result.ProtocolVersion
	if s.id == "" {
		return nil, fail("protocol", "initialize answered without an Mcp-Session-Id")
	}
	resp, raw, err = s.post(ctx, []byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`), nil)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusAccepted {
		return nil, fail("protocol", "notifications/initialized answered %d: %.300s", resp.StatusCode, raw)
	}
	return s, nil
}

// stateless returns a 2026-07-28 client of ep.
func (ep *rpcEndpoint) stateless() *rpcSession {
	return &rpcSession{ep: ep, version: mcp.ProtocolVersion20260728, stateless: true}
}

// callTool sends tools/call with args (a JSON object) and returns the
// answer's result; a JSON-RPC error or a tool error is a *failure.
func (s *rpcSession) callTool(ctx context.Context, name string, args []byte) (*rpcReply, error) {
	body := make([]byte, 0, 256)
	body = append(body, `{"jsonrpc":"2.0","id":`...)
	body = strconv.AppendInt(body, s.next.Add(1), 10)
	body = append(body, `,"method":"tools/call","params":{"name":"`...)
	body = append(body, name...)
	body = append(body, `","arguments":`...)
	body = append(body, args...)
	var extra map[string]string
	if s.stateless {
		body = append(body, ',')
		body = append(body, statelessMeta...)
		extra = map[string]string{mcp.HeaderMethod: string(mcp.MethodToolsCall), mcp.HeaderName: name}
	}
	body = append(body, "}}"...)
	resp, raw, err := s.post(ctx, body, extra)
	if err != nil {
		return nil, err
	}
	var r rpcReply
	if err := json.Unmarshal(raw, &r); err != nil {
		return nil, fail("protocol", "%s answered %d: %.300s", name, resp.StatusCode, raw)
	}
	switch {
	case r.Error != nil:
		return nil, fail("protocol", "%s: JSON-RPC error %d: %s", name, r.Error.Code, r.Error.Message)
	case r.Result == nil:
		return nil, fail("protocol", "%s answered %d without a result: %.300s", name, resp.StatusCode, raw)
	case r.Result.IsError:
		return nil, fail("tool_error", "%s: %.300s", name, raw)
	}
	return &r, nil
}

// post sends one JSON-RPC message and returns the response and the
// JSON-RPC message it carries: the body, or the last message of an SSE
// stream (a server may stream notifications before the answer).
func (s *rpcSession) post(ctx context.Context, body []byte, extra map[string]string) (*http.Response, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.ep.url, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	s.setHeaders(req.Header)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range extra {
		req.Header.Set(k, v)
	}
	resp, err := s.ep.hc.Do(req)
	if err != nil {
		return nil, nil, protocolFailure(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, nil, protocolFailure(err)
	}
	if ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); ct == "text/event-stream" {
		raw = lastSSEData(raw)
	}
	return resp, raw, nil
}

func (s *rpcSession) setHeaders(h http.Header) {
	for k, v := range s.ep.header {
		h[k] = v
	}
	if s.id != "" {
		h.Set(mcp.HeaderSessionID, s.id)
	}
	if s.version != "" {
		h.Set(mcp.HeaderProtocolVersion, s.version)
	}
}

// lastSSEData returns the data of the last event of an SSE body.
func lastSSEData(b []byte) []byte {
	var last []byte
	for _, line := range bytes.Split(b, []byte("\n")) {
		if d, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r"), []byte("data:")); ok {
			last = bytes.TrimSpace(d)
		}
	}
	return last
}

// listen opens the session's GET stream, the one a desktop client keeps for
// server notifications, and returns it open; the caller closes it.
func (s *rpcSession) listen(ctx context.Context) (io.Closer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.ep.url, nil)
	if err != nil {
		return nil, err
	}
	s.setHeaders(req.Header)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := s.ep.hc.Do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		resp.Body.Close()
		return nil, fmt.Errorf("GET stream answered %d: %s", resp.StatusCode, b)
	}
	return resp.Body, nil
}

// end deletes a legacy session.
func (s *rpcSession) end(ctx context.Context) error {
	if s.stateless {
		return nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, s.ep.url, nil)
	if err != nil {
		return err
	}
	s.setHeaders(req.Header)
	resp, err := s.ep.hc.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil
}
