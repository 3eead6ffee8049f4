package main

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"

	"switchboard/internal/fakeupstream"
)

const (
	initialize  = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	initialized = `{"jsonrpc":"2.0","method":"notifications/initialized"}`
	echo        = `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{}}}`
	// A 2026-07-28 request: no session, its version in _meta and headers.
	statelessEcho = `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{},"_meta":{` +
		`"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},` +
		`"io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"}}}}`
)

var statelessHeaders = map[string]string{"Mcp-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "echo"}

func post(h http.Handler, body, sid string, headers map[string]string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8090/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if sid != "" {
		req.Header.Set("Mcp-Session-Id", sid)
		req.Header.Set("Mcp-Protocol-Version", "2025-11-25")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// session opens a legacy session and returns its id.
func session(tb testing.TB, h http.Handler) string {
	tb.Helper()
	rec := post(h, initialize, "", nil)
	sid := rec.Header().Get("Mcp-Session-Id")
	if rec.Code != http.StatusOK || sid == "" {
		tb.Fatalf("initialize answered %d: %s", rec.Code, rec.Body)
	}
	if rec := post(h, initialized, sid, nil); rec.Code != http.StatusAccepted {
		tb.Fatalf("notifications/initialized answered %d: %s", rec.Code, rec.Body)
	}
	return sid
}

func TestEchoAnswersInBothEras(t *testing.T) {
	h, closeSessions := newHandler("")
	defer closeSessions()
	for name, rec := range map[string]*httptest.ResponseRecorder{
		"LegacySession": post(h, echo, session(t, h), nil),
		"Stateless":     post(h, statelessEcho, "", statelessHeaders),
	} {
		t.Run(name, func(t *testing.T) {
			if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"text":"pong"`) {
				t.Errorf("echo answered %d: %s", rec.Code, rec.Body)
			}
		})
	}
}

func TestUpstreamUserCallsTheUpstreamWithTheToken(t *testing.T) {
	gh := fakeupstream.NewGitHub()
	defer gh.Close()
	gh.AddUser("ghp_ceiling", "ceiling-user", 7)
	h, closeSessions := newHandler(gh.URL())
	defer closeSessions()
	rec := post(h, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"upstream_user","arguments":{"token":"ghp_ceiling"}}}`, session(t, h), nil)
	if !strings.Contains(rec.Body.String(), `"login":"ceiling-user"`) || strings.Contains(rec.Body.String(), `"isError":true`) {
		t.Errorf("upstream_user answered %d: %s", rec.Code, rec.Body)
	}
}

// TestFloorRoutes: POST /raw answers pong under the request's id, whatever
// its type, and refuses a body without one; GET /proxy/user passes the
// caller's token to the upstream and its answer back, refusals included.
func TestFloorRoutes(t *testing.T) {
	gh := fakeupstream.NewGitHub()
	defer gh.Close()
	gh.AddUser("ghp_floor", "floor-user", 8)
	h, closeSessions := newHandler(gh.URL())
	defer closeSessions()
	for body, want := range map[string]string{
		`{"jsonrpc":"2.0","id":41,"method":"tools/call","params":{"name":"echo","arguments":{}}}`: `{"jsonrpc":"2.0","id":41,"result":{"content":[{"type":"text","text":"pong"}]}}`,
		`{"jsonrpc":"2.0","id":"a\"b","method":"tools/call"}`:                                     `{"jsonrpc":"2.0","id":"a\"b","result":{"content":[{"type":"text","text":"pong"}]}}`,
	} {
		req := httptest.NewRequest(http.MethodPost, "/raw", strings.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK || rec.Body.String() != want {
			t.Errorf("POST /raw %s answered %d: %s", body, rec.Code, rec.Body)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/raw", strings.NewReader(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)))
	if rec.Code != http.StatusBadRequest {
		t.Errorf("POST /raw without an id answered %d", rec.Code)
	}
	for token, want := range map[string]int{"ghp_floor": http.StatusOK, "ghp_nobody": http.StatusUnauthorized} {
		req := httptest.NewRequest(http.MethodGet, "/proxy/user", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want || (want == http.StatusOK) != strings.Contains(rec.Body.String(), `"login":"floor-user"`) {
			t.Errorf("GET /proxy/user with %s answered %d: %s", token, rec.Code, rec.Body)
		}
	}
}

// BenchmarkHotPath is bench's BenchmarkHotPath for the ceiling: requests
// through the whole handler in process, to compare allocations and time
// per request with Switchboard's.
//
//	go test ./bench ./bench/ceiling -run XXX -bench HotPath -benchmem
func BenchmarkHotPath(b *testing.B) {
	gh := fakeupstream.NewGitHub()
	defer gh.Close()
	gh.AddUser("ghp_ceiling", "ceiling-user", 7)
	h, closeSessions := newHandler(gh.URL())
	defer closeSessions()
	sid := session(b, h)
	upstream := `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"upstream_user","arguments":{"token":"ghp_ceiling"}}}`
	for _, bc := range []struct {
		name, body, sid, want string
		headers               map[string]string
		parallel              bool
	}{
		{name: "echo", body: echo, sid: sid, want: "pong"},
		{name: "echo_parallel16", body: echo, sid: sid, want: "pong", parallel: true},
		{name: "upstream_user", body: upstream, sid: sid, want: "ceiling-user"},
		{name: "stateless_echo", body: statelessEcho, want: "pong", headers: statelessHeaders},
	} {
		b.Run(bc.name, func(b *testing.B) {
			do := func() {
				rec := post(h, bc.body, bc.sid, bc.headers)
				if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), bc.want) {
					b.Fatalf("answered %d: %.300s", rec.Code, rec.Body)
				}
			}
			do()
			b.ReportAllocs()
			b.ResetTimer()
			if bc.parallel {
				b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0)))
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						do()
					}
				})
				return
			}
			for b.Loop() {
				do()
			}
			gh.Reset()
		})
	}
}
