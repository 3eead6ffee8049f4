package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// directCalls is what legacySessions keeps for the tools/call requests it
// answers itself (server.CallDirect says which and why): the cancel
// function of each call in flight, by session and request id, for
// notifications/cancelled, and a count for the tests.
type directCalls struct {
	off      atomic.Bool // every call goes through mcp-go; tests compare both ways
	inflight sync.Map    // inflightKey → *inflightCall
	served   atomic.Int64
}

// serveDirect answers the POST r of legacy session id, a request, when it
// is a tools/call that can be answered without mcp-go (see
// server.CallDirect), and reports whether it did. It answers only what
// mcp-go would answer with the same JSON-RPC message, byte for byte, and
// always as application/json (mcp-go answers every request of a session
// that was once sent a notification as an SSE stream, so that a
// notification sent during a call could precede the answer; a direct call
// has none to send, and clients accept both):
//   - mcp-go keeps a session for it in this process, which would serve the
//     request: the session's GET stream's, while one is open, or the one
//     held for a session in use (it has made a request since it was last
//     released). Notifications sent during the call then go to the stream,
//     as they may with mcp-go; without a stream they wait in the held
//     session for the next request, which mcp-go serves;
//   - nothing waits to be delivered to it: no list_changed pending (the
//     caller checks), and nothing queued in the held session, which mcp-go
//     would send first, in an SSE response;
//   - the request declares the session's negotiated protocol version in
//     its header, carries application/json, and is a plain legacy JSON-RPC
//     request (no 2026-07-28 _meta, no result or error members).
//
// Anything else returns false having written nothing, and mcp-go serves it.
func (ls *legacySessions) serveDirect(w http.ResponseWriter, r *http.Request, id string, p *post) bool {
	if ls.direct.off.Load() || p.method != string(mcp.MethodToolsCall) || p.modern {
		return false
	}
	ls.mu.RLock()
	s := ls.byID[id]
	var cs mcpserver.ClientSession
	if s != nil {
		cs = s.hold
		if cs == nil {
			cs = s.stream
		}
	}
	ls.mu.RUnlock()
	if cs == nil || len(cs.NotificationChannel()) > 0 {
		return false
	}
	if r.Header.Get(mcp.HeaderProtocolVersion) != s.client.version {
		return false
	}
	if !jsonBody(r) {
		return false
	}
	callID, req, ok := decodeCall(r, p.body)
	if !ok {
		return false
	}

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	key, call := inflightKey(id, callID), &inflightCall{cancel}
	ls.direct.inflight.Store(key, call)
	defer ls.direct.inflight.CompareAndDelete(key, call)

	// Used from now, as restore marks a request mcp-go serves: a long call
	// after an idle spell is not swept from under itself.
	s.last.Store(time.Now().UnixNano())
	resp := ls.srv.CallDirect(ctx, cs, callID, req)
	if resp == nil {
		return false
	}
	ls.direct.served.Add(1)
	now := time.Now()
	s.last.Store(now.UnixNano())
	ls.sweepHeld(now)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(answerBytes(resp))
	return true
}

// serveStateless answers the POST r, a stateless (2026-07-28) request,
// when it is a tools/call that can be answered without mcp-go (see
// server.CallStateless), and reports whether it did. It answers only what
// mcp-go would answer with the same status and JSON-RPC message, and
// serves only a request that mcp-go's transport would hand to the server
// as it stands:
//   - application/json, no Last-Event-ID (streams are not resumable);
//   - the Mcp-Protocol-Version header names 2026-07-28 or later, a version
//     mcp-go serves, and the same as the body's _meta;
//   - Mcp-Method and Mcp-Name match the body (mcp.ValidateStandardHeaders,
//     the check mcp-go makes);
//   - a plain JSON-RPC 2.0 request with an id.
//
// Anything else returns false having written nothing, and mcp-go serves it
// (and refuses what it refuses). A stateless request has no session of its
// own to cancel it by: it ends with its connection, as with mcp-go.
func (ls *legacySessions) serveStateless(w http.ResponseWriter, r *http.Request, p *post) bool {
	if ls.direct.off.Load() || p.method != string(mcp.MethodToolsCall) || !p.modern || !p.request {
		return false
	}
	version := r.Header.Get(mcp.HeaderProtocolVersion)
	if !mcp.IsModernProtocol(version) || !mcp.IsValidProtocolVersion(version) || r.Header.Get(mcp.HeaderLastEventID) != "" || !jsonBody(r) {
		return false
	}
	id, req, ok := decodeCall(r, p.body)
	if !ok || req.Params.Meta.ProtocolVersion() != version {
		return false
	}
	var raw struct {
		Params json.RawMessage `json:"params"`
	}
	if json.Unmarshal(p.body, &raw) != nil || mcp.ValidateStandardHeaders(r.Header.Get, version, mcp.MethodToolsCall, raw.Params) != nil {
		return false
	}
	resp := ls.srv.CallStateless(r.Context(), id, req)
	if resp == nil {
		return false
	}
	ls.direct.served.Add(1)
	// 2026-07-28 maps some JSON-RPC errors onto HTTP statuses (400, 404),
	// but none that a direct call can give: a result, or INTERNAL_ERROR
	// when a handler panics, both 200.
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(answerBytes(resp))
	return true
}

// decodeCall decodes the tools/call body of r once, into what mcp-go
// decodes a message into: its id as HandleMessage reads it, and the
// request as handleToolCall gets it, with r's headers. ok is false for
// anything but a plain JSON-RPC 2.0 request with an id (a response's
// result or error members, another version), which mcp-go handles.
func decodeCall(r *http.Request, body []byte) (id any, req mcp.CallToolRequest, ok bool) {
	var m struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      any             `json:"id"`
		Result  json.RawMessage `json:"result"`
		Error   json.RawMessage `json:"error"`
		mcp.CallToolRequest
	}
	if json.Unmarshal(body, &m) != nil || m.JSONRPC != mcp.JSONRPC_VERSION || m.ID == nil || m.Result != nil || m.Error != nil {
		return nil, mcp.CallToolRequest{}, false
	}
	req = m.CallToolRequest
	req.Header = r.Header
	return m.ID, req, true
}

// answerBytes is resp as mcp-go writes it, through a json.Encoder:
// compact, HTML characters escaped, a newline after. A tool's result is
// written as CallToolResult.MarshalJSON gives it, which is already so
// (json.Marshal made it): the encoder would only scan it again, a tenth of
// a direct call's CPU on the bench. Any other answer goes through the
// encoder as before.
func answerBytes(resp mcp.JSONRPCMessage) []byte {
	if r, ok := resp.(mcp.JSONRPCResponse); ok && r.JSONRPC == mcp.JSONRPC_VERSION {
		if res, ok := r.Result.(*mcp.CallToolResult); ok && res != nil {
			id, err := json.Marshal(r.ID.Value())
			var body []byte
			if err == nil {
				body, err = res.MarshalJSON()
			}
			if err == nil {
				const head, mid, tail = `{"jsonrpc":"2.0","id":`, `,"result":`, "}\n"
				b := make([]byte, 0, len(head)+len(id)+len(mid)+len(body)+len(tail))
				b = append(append(append(append(append(b, head...), id...), mid...), body...), tail...)
				return b
			}
		}
	}
	var buf bytes.Buffer
	_ = json.NewEncoder(&buf).Encode(resp)
	return buf.Bytes()
}

// cancelDirect cancels the direct call that the notifications/cancelled r
// (body) names in session id, if one is in flight, where mcp-go would have
// cancelled it: mcp-go cancels the calls it runs itself, once it accepts
// the notification (application/json, a protocol version it serves,
// JSON-RPC 2.0), reading params.requestId by that exact key.
func (ls *legacySessions) cancelDirect(r *http.Request, id string, body []byte) {
	if !jsonBody(r) {
		return
	}
	ls.mu.RLock()
	s := ls.byID[id]
	ls.mu.RUnlock()
	if v := r.Header.Get(mcp.HeaderProtocolVersion); s == nil || (v != "" && v != s.client.version) {
		return
	}
	var n struct {
		JSONRPC string         `json:"jsonrpc"`
		Params  map[string]any `json:"params"`
	}
	if json.Unmarshal(body, &n) != nil || n.JSONRPC != mcp.JSONRPC_VERSION || n.Params["requestId"] == nil {
		return
	}
	if call, ok := ls.direct.inflight.LoadAndDelete(inflightKey(id, n.Params["requestId"])); ok {
		call.(*inflightCall).cancel()
	}
}

// jsonBody reports whether r's body is application/json as mcp-go's
// handlePost requires it (the media type; parameters such as charset may
// follow), before it handles a POST at all.
func jsonBody(r *http.Request) bool {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && ct == "application/json"
}

// inflightCall is a direct call in flight; a pointer, so that the call
// removes its own entry and not a later call's of the same id.
type inflightCall struct{ cancel context.CancelFunc }

// inflightKey names a request in flight as mcp-go does: the session and
// the request id as JSON decoding gave it, formatted with %v. A string or a
// number, the ids clients send, is formatted as %v would without fmt's
// reflection.
func inflightKey(session string, requestID any) string {
	switch v := requestID.(type) {
	case string:
		return session + ":" + v
	case float64:
		return session + ":" + strconv.FormatFloat(v, 'g', -1, 64)
	}
	return fmt.Sprintf("%s:%v", session, requestID)
}
