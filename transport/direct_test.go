package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// rawSession is a legacy session driven with raw JSON-RPC, so that the
// test sees the exact bytes of every answer.
type rawSession struct {
	w       *apiWorld
	id      string // Mcp-Session-Id
	version string // the negotiated protocol version
}

// rawLegacySession opens a legacy session of alice (initialize and
// notifications/initialized, through mcp-go's client).
func (w *apiWorld) rawLegacySession(tb testing.TB) *rawSession {
	tb.Helper()
	_, id, _ := w.legacySession(tb)
	w.http.live.mu.RLock()
	s := w.http.live.byID[id]
	w.http.live.mu.RUnlock()
	if s == nil {
		tb.Fatalf("legacySessions does not know session %s", id)
	}
	return &rawSession{w: w, id: id, version: s.client.version}
}

// rawAnswer is an HTTP answer to a POST.
type rawAnswer struct {
	status      int
	contentType string
	body        string
}

// message is the JSON-RPC message of an answer: the body of a JSON one,
// the data of the last event of an SSE one; "" when there is none.
func (a rawAnswer) message() string {
	if a.contentType != "text/event-stream" {
		return strings.TrimSuffix(a.body, "\n")
	}
	msg := ""
	for line := range strings.Lines(a.body) {
		if data, ok := strings.CutPrefix(line, "data: "); ok {
			msg = strings.TrimSuffix(data, "\n")
		}
	}
	return msg
}

// sameAs reports whether a and b are the same answer: status and JSON-RPC
// message, byte for byte. A held mcp-go session that has once been sent a
// notification answers every later request as an SSE stream (so that
// notifications sent during a call could precede its answer), where the
// direct path answers application/json; a client that declares both in
// Accept, as the protocol requires, takes either.
func (a rawAnswer) sameAs(b rawAnswer) bool {
	return a.status == b.status && a.message() == b.message() && a.message() != ""
}

// post sends body (a JSON-RPC message) with the session's headers, and
// headers on top ("" removes one).
func (s *rawSession) post(tb testing.TB, body string, headers map[string]string) rawAnswer {
	tb.Helper()
	req, _ := http.NewRequestWithContext(tb.Context(), http.MethodPost, s.w.base+"/mcp", strings.NewReader(body))
	for k, v := range map[string]string{
		"Authorization": "Bearer " + opKey, "X-User-Id": "alice", "X-Tool-Mode": "all",
		"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
		mcpserver.HeaderKeySessionID: s.id, mcp.HeaderProtocolVersion: s.version,
	} {
		req.Header.Set(k, v)
	}
	for k, v := range headers {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return rawAnswer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: string(raw)}
}

// call sends body with the direct path on or off, and reports whether the
// direct path answered it.
func (s *rawSession) call(tb testing.TB, body string, direct bool, headers map[string]string) (rawAnswer, bool) {
	tb.Helper()
	live := s.w.http.live
	live.direct.off.Store(!direct)
	defer live.direct.off.Store(false)
	before := live.direct.served.Load()
	got := s.post(tb, body, headers)
	return got, live.direct.served.Load() > before
}

// TestDirectCall pins the direct path (server.CallDirect, serveDirect):
// every tools/call it answers gets the very bytes mcp-go's handling
// answers, and the calls that need mcp-go's handling still get it.
func TestDirectCall(t *testing.T) {
	w := newAPIWorld(t)
	// The accounts are connected before the MCP session opens, so that no
	// list_changed reaches it at a moment the test does not choose.
	api, _ := w.newSession(t, map[string]any{"user_id": "alice"})
	work := w.connect(t, api["id"].(string), opKey, aliceWork, "work")
	w.connect(t, api["id"].(string), opKey, alicePersonal, "home")
	s := w.rawLegacySession(t)
	// The first request goes through mcp-go, which then holds the session.
	if got, _ := s.call(t, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, true, nil); got.status != http.StatusOK {
		t.Fatalf("tools/list answered %d: %s", got.status, got.body)
	}
	if w.holding(s.id) == nil {
		t.Fatal("mcp-go holds nothing for the session after its first request")
	}

	call := func(id, name, args string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + name + `","arguments":` + args + `}}`
	}
	same := []struct{ name, body string }{
		{"list_accounts", call("2", "list_accounts", `{}`)},
		{"list_accounts of a toolkit", call("3", "list_accounts", `{"toolkit":"github","include_inactive":true}`)},
		{"a string id", call(`"req-é\u00e9"`, "list_accounts", `{}`)},
		{"a fractional id", call("4.5", "list_toolkits", `{}`)},
		{"list_accounts with a wrong argument", call("5", "list_accounts", `{"toolkit":5}`)},
		{"list_accounts with an unknown argument", call("6", "list_accounts", `{"bogus":true}`)},
		{"list_accounts of an unknown toolkit", call("7", "list_accounts", `{"toolkit":"nope"}`)},
		{"no arguments", `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"list_toolkits"}}`},
		{"arguments that are not an object", call("9", "list_toolkits", `[1,2]`)},
		{"select_account", call("10", "select_account", `{"toolkit":"github","account":"`+work+`"}`)},
		{"a toolkit tool", call("11", "GITHUB_GET_AUTHENTICATED_USER", `{}`)},
		{"a toolkit tool with a wrong argument", call("12", "GITHUB_GET_AUTHENTICATED_USER", `{"nope":1}`)},
		{"execute_tool", call("13", "execute_tool", `{"tool":"GITHUB_GET_AUTHENTICATED_USER","arguments":{}}`)},
		{"search_tools", call("14", "search_tools", `{"query":"open an issue"}`)},
		{"an integer id written as a fraction", call("1.0", "list_accounts", `{}`)},
		{"an id with an exponent", call("1e2", "list_accounts", `{}`)},
		{"an id of minus zero", call("-0", "list_accounts", `{}`)},
		{"an id beyond float64's integers", call("12345678901234567890", "list_accounts", `{}`)},
		{"an id that is true", call("true", "list_accounts", `{}`)},
		{"an id that is an object", call(`{"a":1}`, "list_accounts", `{}`)},
		{"HTML characters and a line separator in the id", call(`"<a href='x'>&\u2028"`, "list_accounts", `{}`)},
		{"HTML characters in the answer", call("19", "list_accounts", `{"toolkit":"<b>&amp;</b>\u2028"}`)},
		{"keys in another case", `{"JSONRPC":"2.0","ID":16,"Method":"tools/call","Params":{"Name":"list_accounts"}}`},
		{"a duplicate key", `{"jsonrpc":"2.0","id":17,"id":18,"method":"tools/call","params":{"name":"list_toolkits","name":"list_accounts"}}`},
		{"whitespace and key order", "\n {\"params\":{\"arguments\":{},\"name\":\"list_accounts\"},\"method\":\"tools/call\",\"id\":15,\"jsonrpc\":\"2.0\"} \n"},
	}
	for _, c := range same {
		t.Run(c.name, func(t *testing.T) {
			viaMCPGo, direct := s.call(t, c.body, false, nil)
			if direct {
				t.Fatal("the direct path answered with the direct path off")
			}
			got, direct := s.call(t, c.body, true, nil)
			if !direct {
				t.Fatalf("the direct path did not answer %s", c.body)
			}
			if !got.sameAs(viaMCPGo) {
				t.Errorf("the direct path answered\n%+v\nmcp-go answered\n%+v", got, viaMCPGo)
			}
		})
	}

	// What the direct path leaves to mcp-go, answered as before.
	mcpGo := []struct {
		name, body string
		headers    map[string]string
	}{
		{"an unknown tool", call("20", "NO_SUCH_TOOL", `{}`), nil},
		{"no tool name", `{"jsonrpc":"2.0","id":21,"method":"tools/call","params":{}}`, nil},
		{"authorize, which may elicit", call("22", "authorize", `{"toolkit":"github"}`), nil},
		{"wait_for_connection, which reports progress", call("23", "wait_for_connection", `{"connected_account_id":"`+work+`","timeout_seconds":1}`), nil},
		{"a progress token", `{"jsonrpc":"2.0","id":24,"method":"tools/call","params":{"name":"list_accounts","arguments":{},"_meta":{"progressToken":"p1"}}}`, nil},
		{"another method", `{"jsonrpc":"2.0","id":25,"method":"tools/list"}`, nil},
		{"no protocol version header", call("26", "list_accounts", `{}`), map[string]string{mcp.HeaderProtocolVersion: ""}},
		{"another protocol version header", call("27", "list_accounts", `{}`), map[string]string{mcp.HeaderProtocolVersion: "2025-03-26"}},
		{"another content type", call("28", "list_accounts", `{}`), map[string]string{"Content-Type": "text/plain"}},
		{"a JSON-RPC version that is not 2.0", `{"jsonrpc":"1.0","id":29,"method":"tools/call","params":{"name":"list_accounts"}}`, nil},
		{"params that are null", `{"jsonrpc":"2.0","id":31,"method":"tools/call","params":null}`, nil},
		{"a result member", `{"jsonrpc":"2.0","id":32,"method":"tools/call","params":{"name":"list_accounts"},"result":null}`, nil},
		{"no id", `{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"list_accounts"}}`, nil},
		{"a 2026-07-28 _meta", `{"jsonrpc":"2.0","id":30,"method":"tools/call","params":{"name":"list_accounts","_meta":{"` + mcp.MetaKeyProtocolVersion + `":"` + mcp.ProtocolVersion20260728 + `"}}}`, nil},
	}
	for _, c := range mcpGo {
		t.Run(c.name, func(t *testing.T) {
			viaMCPGo, _ := s.call(t, c.body, false, c.headers)
			got, direct := s.call(t, c.body, true, c.headers)
			if direct {
				t.Fatalf("the direct path answered %s: %s", c.body, got.body)
			}
			if c.name != "authorize, which may elicit" && got != viaMCPGo { // authorize makes a new link each time
				t.Errorf("with the direct path on, the answer is\n%+v\nwith it off\n%+v", got, viaMCPGo)
			}
		})
	}

	t.Run("ContentTypeParameters", func(t *testing.T) {
		h := map[string]string{"Content-Type": "application/json; charset=utf-8"}
		viaMCPGo, _ := s.call(t, call("35", "list_accounts", `{}`), false, h)
		got, direct := s.call(t, call("35", "list_accounts", `{}`), true, h)
		if !direct || !got.sameAs(viaMCPGo) {
			t.Errorf("with a charset: direct %v, answered\n%+v\nmcp-go answered\n%+v", direct, got, viaMCPGo)
		}
	})

	t.Run("QueuedNotificationGoesFirst", func(t *testing.T) {
		s.call(t, `{"jsonrpc":"2.0","id":40,"method":"tools/list"}`, true, nil) // held again
		if err := w.srv.MCP().SendNotificationToSpecificClient(s.id, "notifications/tools/list_changed", nil); err != nil {
			t.Fatal(err)
		}
		got, direct := s.call(t, call("41", "list_accounts", `{}`), true, nil)
		if direct || got.contentType != "text/event-stream" || !strings.Contains(got.body, "notifications/tools/list_changed") {
			t.Errorf("a call with a notification queued was answered directly (%v) or without it: %+v", direct, got)
		}
		if _, direct := s.call(t, call("42", "list_accounts", `{}`), true, nil); !direct {
			t.Errorf("the call after the queue was emptied did not take the direct path")
		}
	})

	t.Run("WithAStreamOpen", func(t *testing.T) {
		lines := make(chan string, 16)
		closeStream := w.openStream(t, s.id, lines)
		defer closeStream()
		live := w.http.live
		live.mu.RLock()
		streamSession, profile := live.byID[s.id].stream, live.byID[s.id].client
		live.mu.RUnlock()
		if streamSession == nil {
			t.Fatal("the GET stream's session is not known")
		}
		// It has what the client declared, before any POST through mcp-go
		// gave it: the direct path decides with it.
		ci, v := streamSession.(mcpserver.SessionWithClientInfo), streamSession.(mcpserver.SessionWithProtocolVersion)
		if !reflect.DeepEqual(ci.GetClientInfo(), profile.info) || !reflect.DeepEqual(ci.GetClientCapabilities(), profile.caps) || v.ProtocolVersion() != profile.version {
			t.Errorf("the stream's session has %+v, %+v, %q; want %+v, %+v, %q",
				ci.GetClientInfo(), ci.GetClientCapabilities(), v.ProtocolVersion(), profile.info, profile.caps, profile.version)
		}
		if w.holding(s.id) != nil {
			t.Errorf("a session is held while the GET stream is open")
		}
		body := call("50", "list_accounts", `{}`)
		viaMCPGo, _ := s.call(t, body, false, nil)
		got, direct := s.call(t, body, true, nil)
		if !direct || !got.sameAs(viaMCPGo) {
			t.Errorf("with a GET stream open: direct %v, answered\n%+v\nmcp-go answered\n%+v", direct, got, viaMCPGo)
		}
		// A list_changed goes to the stream, live.
		if err := w.srv.MCP().SendNotificationToSpecificClient(s.id, "notifications/tools/list_changed", nil); err != nil {
			t.Fatal(err)
		}
		if line := next(t, lines); !strings.Contains(line, "notifications/tools/list_changed") {
			t.Errorf("the stream got %s", line)
		}
		// mcp-go lets go of the stream's session (as a stream ends, before
		// the GET handler returns): from then on it serves nothing.
		gone := context.WithValue(t.Context(), streamKey{}, &stream{session: live.byID[s.id]})
		w.srv.MCP().UnregisterSession(gone, s.id)
		live.mu.RLock()
		left := live.byID[s.id].stream
		live.mu.RUnlock()
		if left != nil {
			t.Errorf("the session mcp-go let go of still serves the session")
		}
		if _, direct := s.call(t, call("51", "list_accounts", `{}`), true, nil); direct {
			t.Errorf("a call was answered directly with the session mcp-go let go of")
		}
		closeStream()
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			live.mu.RLock()
			streams := live.byID[s.id].streams
			live.mu.RUnlock()
			if streams == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the closed stream is still counted")
			}
		}
	})

	t.Run("Cancelled", func(t *testing.T) {
		s2 := w.rawLegacySession(t)
		s2.call(t, `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`, true, nil) // held
		w.gh.Stall("/user", time.Minute, 1)
		type result struct {
			got    rawAnswer
			direct bool
		}
		done := make(chan result, 1)
		go func() {
			got, direct := s2.call(t, call(`"slow"`, "GITHUB_GET_AUTHENTICATED_USER", `{}`), true, nil)
			done <- result{got, direct}
		}()
		// Wait for the call to reach the fake GitHub, then cancel it.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if _, ok := w.http.live.direct.inflight.Load(inflightKey(s2.id, "slow")); ok && len(w.gh.Requests()) > 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the direct call never reached the fake GitHub")
			}
		}
		// What mcp-go would not take as a cancellation of that call
		// cancels nothing: another content type, another JSON-RPC
		// version, the key in another case; nor does a 2026-07-28 request
		// that names the session in its header, from another key and user
		// (guardMCP resolves such a request to that key's standing
		// session, never to the one the header names).
		for _, bogus := range []struct {
			body    string
			headers map[string]string
		}{
			// First, while the session is held: alice's own notifications
			// below release it.
			{`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow"}}`, map[string]string{
				"Authorization": "Bearer " + otherOpKey, "X-User-Id": "mallory", mcp.HeaderProtocolVersion: mcp.ProtocolVersion20260728}},
			{`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow"}}`, map[string]string{"Content-Type": "text/plain"}},
			{`{"jsonrpc":"1.0","method":"notifications/cancelled","params":{"requestId":"slow"}}`, nil},
			{`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"RequestID":"slow"}}`, nil},
		} {
			s2.post(t, bogus.body, bogus.headers)
			if _, ok := w.http.live.direct.inflight.Load(inflightKey(s2.id, "slow")); !ok {
				t.Fatalf("%s with %v cancelled the call", bogus.body, bogus.headers)
			}
			if w.holding(s2.id) == nil && bogus.headers["X-User-Id"] == "mallory" {
				t.Errorf("another key's 2026-07-28 request released the session's held session")
			}
		}
		cancelled := s2.post(t, `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"slow","reason":"test"}}`, nil)
		if cancelled.status != http.StatusAccepted {
			t.Errorf("notifications/cancelled answered %d: %s", cancelled.status, cancelled.body)
		}
		select {
		case r := <-done:
			if !r.direct || r.got.status != http.StatusOK || !bytes.Contains([]byte(r.got.body), []byte(`"id":"slow"`)) {
				t.Errorf("the cancelled call: direct %v, %+v", r.direct, r.got)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the call went on after notifications/cancelled (the fake GitHub stalls for a minute)")
		}
	})
}

// TestInflightKeyIsPercentV: the key of an id formatted without fmt is the
// one fmt's %v gives, for every kind of id JSON decoding can give.
func TestInflightKeyIsPercentV(t *testing.T) {
	ids := []any{"", "req-1", "a:b", "é\u2028", 0.0, math.Copysign(0, -1), 1.0, -7.0, 4.5, 1e2, 1e6, 123456.0, 1e20, 1e21, 1e-4, 1e-5, 1.5e-7,
		12345678901234567890.0, math.MaxFloat64, math.SmallestNonzeroFloat64, 9007199254740993.0, true, nil, map[string]any{"a": 1.0}, []any{1.0}}
	for _, id := range ids {
		if got, want := inflightKey("s1", id), fmt.Sprintf("%s:%v", "s1", id); got != want {
			t.Errorf("inflightKey(%#v) = %q, want %q", id, got, want)
		}
	}
	for _, raw := range []string{"1", "-0", "1.0", "1e2", "4.5", "12345678901234567890", "0.000001", "1E+400"} {
		var id any
		if json.Unmarshal([]byte(raw), &id) != nil {
			continue // beyond float64: mcp-go refuses the request as well
		}
		if got, want := inflightKey("s1", id), fmt.Sprintf("%s:%v", "s1", id); got != want {
			t.Errorf("inflightKey(%s) = %q, want %q", raw, got, want)
		}
	}
}

// TestDirectStatelessCall pins the stateless direct path
// (server.CallStateless, serveStateless): every 2026-07-28 tools/call it
// answers gets the very status, content type and bytes that mcp-go's
// handling answers, and every request mcp-go refuses or must handle itself
// still goes to mcp-go.
func TestDirectStatelessCall(t *testing.T) {
	w := newAPIWorld(t)
	api, _ := w.newSession(t, map[string]any{"user_id": "alice"})
	work := w.connect(t, api["id"].(string), opKey, aliceWork, "work")
	w.connect(t, api["id"].(string), opKey, alicePersonal, "home")
	s := &rawSession{w: w, version: mcp.ProtocolVersion20260728}

	const (
		noCaps   = `"` + mcp.MetaKeyProtocolVersion + `":"` + mcp.ProtocolVersion20260728 + `"`
		meta     = `{` + noCaps + `,"` + mcp.MetaKeyClientCapabilities + `":{},"` + mcp.MetaKeyClientInfo + `":{"name":"t","version":"1"}}`
		eliciter = `{` + noCaps + `,"` + mcp.MetaKeyClientCapabilities + `":{"elicitation":{}}}`
	)
	call := func(id, name, args string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + name + `","arguments":` + args + `,"_meta":` + meta + `}}`
	}
	// send posts body as tools/call of name, with headers on top of the
	// stateless ones ("" removes one), the direct path on or off.
	send := func(t *testing.T, body, name string, headers map[string]string, direct bool) (rawAnswer, bool) {
		h := map[string]string{mcpserver.HeaderKeySessionID: "", mcp.HeaderMethod: "tools/call", mcp.HeaderName: name}
		for k, v := range headers {
			h[k] = v
		}
		return s.call(t, body, direct, h)
	}
	same := []struct{ name, tool, body string }{
		{"list_accounts", "list_accounts", call("2", "list_accounts", `{}`)},
		{"list_accounts of a toolkit", "list_accounts", call("3", "list_accounts", `{"toolkit":"github","include_inactive":true}`)},
		{"a string id", "list_accounts", call(`"req-é\u00e9"`, "list_accounts", `{}`)},
		{"a fractional id", "list_toolkits", call("4.5", "list_toolkits", `{}`)},
		{"a wrong argument", "list_accounts", call("5", "list_accounts", `{"toolkit":5}`)},
		{"an unknown argument", "list_accounts", call("6", "list_accounts", `{"bogus":true}`)},
		{"an unknown toolkit", "list_accounts", call("7", "list_accounts", `{"toolkit":"nope"}`)},
		{"no arguments", "list_toolkits", `{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"list_toolkits","_meta":` + meta + `}}`},
		{"arguments that are not an object", "list_toolkits", call("9", "list_toolkits", `[1,2]`)},
		{"select_account", "select_account", call("10", "select_account", `{"toolkit":"github","account":"`+work+`"}`)},
		{"a toolkit tool", "GITHUB_GET_AUTHENTICATED_USER", call("11", "GITHUB_GET_AUTHENTICATED_USER", `{}`)},
		{"a toolkit tool with a wrong argument", "GITHUB_GET_AUTHENTICATED_USER", call("12", "GITHUB_GET_AUTHENTICATED_USER", `{"nope":1}`)},
		{"execute_tool", "execute_tool", call("13", "execute_tool", `{"tool":"GITHUB_GET_AUTHENTICATED_USER","arguments":{}}`)},
		{"search_tools", "search_tools", call("14", "search_tools", `{"query":"open an issue"}`)},
		{"an id with an exponent", "list_accounts", call("1e2", "list_accounts", `{}`)},
		{"an id of minus zero", "list_accounts", call("-0", "list_accounts", `{}`)},
		{"an id beyond float64's integers", "list_accounts", call("12345678901234567890", "list_accounts", `{}`)},
		{"an id that is an object", "list_accounts", call(`{"a":1}`, "list_accounts", `{}`)},
		{"HTML characters in the id and the answer", "list_accounts", call(`"<a>&\u2028"`, "list_accounts", `{"toolkit":"<b>&amp;</b>"}`)},
		{"capabilities without client info", "list_accounts", `{"jsonrpc":"2.0","id":15,"method":"tools/call","params":{"name":"list_accounts","_meta":{` + noCaps + `,"` + mcp.MetaKeyClientCapabilities + `":{}}}}`},
		{"an eliciting client and no policy that confirms", "GITHUB_GET_AUTHENTICATED_USER", `{"jsonrpc":"2.0","id":16,"method":"tools/call","params":{"name":"GITHUB_GET_AUTHENTICATED_USER","_meta":` + eliciter + `}}`},
		{"keys in another case", "list_accounts", `{"JSONRPC":"2.0","ID":17,"Method":"tools/call","Params":{"Name":"list_accounts","_META":` + meta + `}}`},
		{"a duplicate key", "list_accounts", `{"jsonrpc":"2.0","id":18,"id":19,"method":"tools/call","params":{"name":"list_toolkits","name":"list_accounts","_meta":` + meta + `}}`},
		{"whitespace and key order", "list_accounts", "\n {\"params\":{\"_meta\":" + meta + ",\"arguments\":{},\"name\":\"list_accounts\"},\"method\":\"tools/call\",\"id\":20,\"jsonrpc\":\"2.0\"} \n"},
	}
	for _, c := range same {
		t.Run(c.name, func(t *testing.T) {
			viaMCPGo, direct := send(t, c.body, c.tool, nil, false)
			if direct {
				t.Fatal("the direct path answered with the direct path off")
			}
			got, direct := send(t, c.body, c.tool, nil, true)
			if !direct {
				t.Fatalf("the direct path did not answer %s: %+v", c.body, got)
			}
			if got != viaMCPGo || got.message() == "" {
				t.Errorf("the direct path answered\n%+v\nmcp-go answered\n%+v", got, viaMCPGo)
			}
		})
	}
	t.Run("a base64 Mcp-Name", func(t *testing.T) {
		h := map[string]string{mcp.HeaderName: "=?base64?bGlzdF9hY2NvdW50cw==?="}
		viaMCPGo, _ := send(t, call("21", "list_accounts", `{}`), "", h, false)
		got, direct := send(t, call("21", "list_accounts", `{}`), "", h, true)
		if !direct || got != viaMCPGo || got.status != http.StatusOK {
			t.Errorf("direct %v, answered\n%+v\nmcp-go answered\n%+v", direct, got, viaMCPGo)
		}
	})

	// What the direct path leaves to mcp-go, answered as before.
	withMeta := func(id, name, m string) string {
		return `{"jsonrpc":"2.0","id":` + id + `,"method":"tools/call","params":{"name":"` + name + `","_meta":` + m + `}}`
	}
	mcpGo := []struct {
		name, tool, body string
		headers          map[string]string
	}{
		{"an unknown tool", "NO_SUCH_TOOL", call("30", "NO_SUCH_TOOL", `{}`), nil},
		{"no tool name", "", `{"jsonrpc":"2.0","id":31,"method":"tools/call","params":{"_meta":` + meta + `}}`, nil},
		{"authorize, which may ask for input", "authorize", call("32", "authorize", `{"toolkit":"github"}`), nil},
		{"wait_for_connection, which reports progress", "wait_for_connection", call("33", "wait_for_connection", `{"connected_account_id":"`+work+`","timeout_seconds":1}`), nil},
		{"a progress token", "list_accounts", withMeta("34", "list_accounts", `{`+noCaps+`,"`+mcp.MetaKeyClientCapabilities+`":{},"progressToken":"p1"}`), nil},
		{"a log level", "list_accounts", withMeta("35", "list_accounts", `{`+noCaps+`,"`+mcp.MetaKeyClientCapabilities+`":{},"`+mcp.MetaKeyLogLevel+`":"debug"}`), nil},
		{"no client capabilities", "list_accounts", withMeta("36", "list_accounts", `{`+noCaps+`}`), nil},
		{"client capabilities that are not an object", "list_accounts", withMeta("37", "list_accounts", `{`+noCaps+`,"`+mcp.MetaKeyClientCapabilities+`":"all"}`), nil},
		{"a version mcp-go does not know", "list_accounts", withMeta("38", "list_accounts", `{"`+mcp.MetaKeyProtocolVersion+`":"2099-01-01","`+mcp.MetaKeyClientCapabilities+`":{}}`), map[string]string{mcp.HeaderProtocolVersion: "2099-01-01"}},
		{"no protocol version header", "list_accounts", call("39", "list_accounts", `{}`), map[string]string{mcp.HeaderProtocolVersion: ""}},
		{"an older protocol version header", "list_accounts", call("40", "list_accounts", `{}`), map[string]string{mcp.HeaderProtocolVersion: "2025-11-25"}},
		{"an older version in _meta under a modern header", "list_accounts", withMeta("53", "list_accounts", `{"`+mcp.MetaKeyProtocolVersion+`":"2025-11-25","`+mcp.MetaKeyClientCapabilities+`":{}}`), nil},
		{"a modern header and no version in _meta", "list_accounts", withMeta("41", "list_accounts", `{"`+mcp.MetaKeyClientCapabilities+`":{}}`), nil},
		{"no Mcp-Method", "list_accounts", call("42", "list_accounts", `{}`), map[string]string{mcp.HeaderMethod: ""}},
		{"another Mcp-Method", "list_accounts", call("43", "list_accounts", `{}`), map[string]string{mcp.HeaderMethod: "tools/list"}},
		{"no Mcp-Name", "", call("44", "list_accounts", `{}`), nil},
		{"another Mcp-Name", "list_toolkits", call("45", "list_accounts", `{}`), nil},
		{"an Mcp-Name that is not base64", "=?base64?!!?=", call("46", "list_accounts", `{}`), nil},
		{"a Last-Event-ID", "list_accounts", call("47", "list_accounts", `{}`), map[string]string{mcp.HeaderLastEventID: "7"}},
		{"another content type", "list_accounts", call("48", "list_accounts", `{}`), map[string]string{"Content-Type": "text/plain"}},
		{"a JSON-RPC version that is not 2.0", "list_accounts", `{"jsonrpc":"1.0","id":49,"method":"tools/call","params":{"name":"list_accounts","_meta":` + meta + `}}`, nil},
		{"a result member", "list_accounts", `{"jsonrpc":"2.0","id":50,"method":"tools/call","params":{"name":"list_accounts","_meta":` + meta + `},"result":null}`, nil},
		{"no id", "list_accounts", `{"jsonrpc":"2.0","id":null,"method":"tools/call","params":{"name":"list_accounts","_meta":` + meta + `}}`, nil},
		{"a request state", "list_accounts", `{"jsonrpc":"2.0","id":51,"method":"tools/call","params":{"name":"list_accounts","requestState":"x","_meta":` + meta + `}}`, nil},
		{"another method", "", `{"jsonrpc":"2.0","id":52,"method":"tools/list","params":{"_meta":` + meta + `}}`, map[string]string{mcp.HeaderMethod: "tools/list"}},
	}
	for _, c := range mcpGo {
		t.Run(c.name, func(t *testing.T) {
			viaMCPGo, _ := send(t, c.body, c.tool, c.headers, false)
			got, direct := send(t, c.body, c.tool, c.headers, true)
			if direct {
				t.Fatalf("the direct path answered %s: %s", c.body, got.body)
			}
			if !strings.HasPrefix(c.name, "authorize") && got != viaMCPGo { // authorize makes a new link each time
				t.Errorf("with the direct path on, the answer is\n%+v\nwith it off\n%+v", got, viaMCPGo)
			}
		})
	}

	t.Run("a policy that confirms, for a client that can be asked", func(t *testing.T) {
		w.do(t, "PATCH", policyPath(work), opKey, map[string]any{"policy": map[string]any{"confirm": "writes"}}).want(t, http.StatusOK, "")
		defer func() {
			w.do(t, "PATCH", policyPath(work), opKey, map[string]any{"policy": map[string]any{"confirm": "none"}}).want(t, http.StatusOK, "")
		}()
		const issue = `{"owner":"alice-work","repo":"notes","title":"From the test"}`
		asking := `{"jsonrpc":"2.0","id":60,"method":"tools/call","params":{"name":"GITHUB_CREATE_ISSUE","arguments":` + issue + `,"_meta":` + eliciter + `}}`
		got, direct := send(t, asking, "GITHUB_CREATE_ISSUE", nil, true)
		if direct || !strings.Contains(got.body, `"resultType":"input_required"`) {
			t.Errorf("a call the person must confirm was answered directly (%v) or without asking: %+v", direct, got)
		}
		// A client that cannot be asked gets a link, directly or not.
		viaMCPGo, _ := send(t, call("61", "GITHUB_CREATE_ISSUE", issue), "GITHUB_CREATE_ISSUE", nil, false)
		got, direct = send(t, call("61", "GITHUB_CREATE_ISSUE", issue), "GITHUB_CREATE_ISSUE", nil, true)
		if !direct || got.status != viaMCPGo.status {
			t.Errorf("direct %v, answered\n%+v\nmcp-go answered\n%+v", direct, got, viaMCPGo)
		}
		for _, a := range []rawAnswer{got, viaMCPGo} {
			if !strings.Contains(a.body, "CONFIRMATION_REQUIRED") || !strings.Contains(a.body, "/confirm/") {
				t.Errorf("no confirmation link: %+v", a)
			}
		}
		if w.issuesCreated() != 0 {
			t.Errorf("%d issues opened without the person's consent", w.issuesCreated())
		}
	})
}
