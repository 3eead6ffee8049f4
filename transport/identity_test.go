package transport

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"switchboard/accounts/postgres"
	"switchboard/accounts/postgres/pgtest"
)

func TestKeys(t *testing.T) {
	k := NewKeys([]string{" key-one ", "", "key-two"})
	if k.Empty() {
		t.Fatal("two keys read as none")
	}
	id1, ok1 := k.Check("key-one")
	id2, ok2 := k.Check("key-two")
	if !ok1 || !ok2 || id1 == id2 || id1 == "" {
		t.Errorf("Check: %q %v, %q %v", id1, ok1, id2, ok2)
	}
	for _, bad := range []string{"", "key-on", "key-one ", "KEY-ONE"} {
		if _, ok := k.Check(bad); ok {
			t.Errorf("Check(%q) accepted", bad)
		}
	}
	if !NewKeys(nil).Empty() || !(*Keys)(nil).Empty() {
		t.Error("no keys must be dev mode")
	}
}

func TestPresentedKey(t *testing.T) {
	for _, tc := range []struct {
		header map[string]string
		want   string
	}{
		{map[string]string{"Authorization": "Bearer abc"}, "abc"},
		{map[string]string{"Authorization": "bearer  abc "}, "abc"},
		{map[string]string{"Authorization": "Basic abc"}, ""},
		{map[string]string{"X-Api-Key": "xyz"}, "xyz"},
		// Two credentials that differ are neither: which one a proxy
		// added cannot be told. The same one twice is that one.
		{map[string]string{"Authorization": "Bearer abc", "X-Api-Key": "xyz"}, ""},
		{map[string]string{"Authorization": "Bearer abc", "X-Api-Key": "abc"}, "abc"},
		{map[string]string{"Authorization": "Bearer abc\x00Bearer xyz"}, ""},
		{map[string]string{"X-Api-Key": "abc\x00xyz"}, ""},
		{map[string]string{"X-Api-Key": "abc\x00abc"}, "abc"},
	} {
		r, _ := http.NewRequest(http.MethodGet, "/", nil)
		for k, v := range tc.header {
			for _, one := range strings.Split(v, "\x00") {
				r.Header.Add(k, one)
			}
		}
		if got := presentedKey(r); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.header, got, tc.want)
		}
	}
}

func TestHeaderParsing(t *testing.T) {
	known := func(s string) bool { return s == "github" || s == "gmail" }
	got, err := parseToolkits([]string{"github, gmail", "github"}, known)
	if err != nil || !slices.Equal(got, []string{"github", "gmail"}) {
		t.Errorf("parseToolkits: %v %v", got, err)
	}
	if got, err := parseToolkits(nil, known); err != nil || got != nil {
		t.Errorf("absent X-Toolkits must be nil (no restriction): %v %v", got, err)
	}
	if got, err := parseToolkits([]string{" , "}, known); err != nil || got == nil || len(got) != 0 {
		t.Errorf("an empty X-Toolkits restricts to nothing: %v %v", got, err)
	}
	if _, err := parseToolkits([]string{"github,gitlab"}, known); err == nil {
		t.Error("unknown toolkit accepted")
	}
	for v, want := range map[string]bool{"": false, "true": true, "TRUE": true, "1": true, "false": false, "no": false} {
		if got, err := parseBool(v); err != nil || got != want {
			t.Errorf("parseBool(%q) = %v %v", v, got, err)
		}
	}
	if _, err := parseBool("maybe"); err == nil {
		t.Error("parseBool(maybe) accepted")
	}
	for _, id := range []string{"", "a b", "a\tb", "x\x00", string(make([]byte, 257))} {
		if checkUserID("X-User-Id", id) == nil {
			t.Errorf("user id %q accepted", id)
		}
	}
	if err := checkUserID("X-User-Id", "alice@example.com"); err != nil {
		t.Error(err)
	}
}

func TestHostsAllowed(t *testing.T) {
	hs := hosts{public: "sb.example.com", listen: "10.0.0.5:8080"}
	for host, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:9": true, "[::1]:8080": true, "sb.example.com": true, "SB.example.com": true,
		"10.0.0.5:8080": true, "evil.example": false, "sb.example.com.evil.example": false, "10.0.0.6:8080": false, "": false,
	} {
		if got := hs.allowed(host); got != want {
			t.Errorf("allowed(%q) = %v, want %v", host, got, want)
		}
	}
}

// TestUserIDIsTakenAsSent: an X-User-Id with a space other than ASCII's at
// either end (which net/http leaves in place) is refused, never trimmed
// into another user's id: alice's account stays hers.
func TestUserIDIsTakenAsSent(t *testing.T) {
	w := newAPIWorld(t)
	api, _ := w.newSession(t, map[string]any{"user_id": "alice"})
	w.connect(t, api["id"].(string), opKey, aliceWork, "work")
	s := &rawSession{w: w, version: mcp.ProtocolVersion20260728}
	body := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_accounts","_meta":{"` + mcp.MetaKeyProtocolVersion + `":"` +
		mcp.ProtocolVersion20260728 + `","` + mcp.MetaKeyClientCapabilities + `":{}}}}`
	for _, id := range []string{"alice\u00a0", "\u3000alice", "alice\u2028", "alice\u0085", "alice\u205f"} {
		got := s.post(t, body, map[string]string{"X-User-Id": id, mcpserver.HeaderKeySessionID: "", mcp.HeaderMethod: "tools/call", mcp.HeaderName: "list_accounts"})
		if got.status != http.StatusBadRequest || strings.Contains(got.body, "alice-work") {
			t.Errorf("X-User-Id %q answered %d: %s", id, got.status, got.body)
		}
	}
	// A header sent twice (a proxy appending instead of replacing) is
	// refused, not read as its first or last value.
	for _, twice := range [][3]string{{"X-User-Id", "bob", "alice"}, {"X-User-Id", "alice", "alice"}, {"X-Tool-Mode", "all", "search"}, {"X-Require-Explicit-Selection", "true", "false"}} {
		want := http.StatusBadRequest
		if twice[1] == twice[2] {
			want = http.StatusOK // the same value again contradicts nothing
		}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, w.base+"/mcp", strings.NewReader(body))
		for k, v := range map[string]string{"Authorization": "Bearer " + opKey, "X-User-Id": "alice", "Content-Type": "application/json", "Accept": "application/json, text/event-stream",
			mcp.HeaderProtocolVersion: mcp.ProtocolVersion20260728, mcp.HeaderMethod: "tools/call", mcp.HeaderName: "list_accounts"} {
			req.Header.Set(k, v)
		}
		req.Header.Del(twice[0])
		req.Header.Add(twice[0], twice[1])
		req.Header.Add(twice[0], twice[2])
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("%s sent as %q and %q answered %d, want %d", twice[0], twice[1], twice[2], resp.StatusCode, want)
		}
	}
	got := s.post(t, body, map[string]string{"X-User-Id": " alice\t", mcpserver.HeaderKeySessionID: "", mcp.HeaderMethod: "tools/call", mcp.HeaderName: "list_accounts"})
	if got.status != http.StatusOK || !strings.Contains(got.body, "alice-work") {
		t.Errorf("X-User-Id alice, with the spaces HTTP allows around a value, answered %d: %s", got.status, got.body)
	}
}

// TestIdsThatNameNothing: an id in a path, a query or Mcp-Session-Id that
// is not valid UTF-8 or holds a control character names nothing, and is
// answered as such (404 for a path or session id, 400 for a query), on
// PostgreSQL too, which refuses such strings in a query with an error: the
// answer was a 500 and an error in the log, even without a credential.
func TestIdsThatNameNothing(t *testing.T) {
	store, err := postgres.Open(t.Context(), pgtest.SchemaURL(t, "transport_"+t.Name()), postgres.Options{MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	w := newAPIWorldOn(t, store)
	for _, tt := range []struct {
		method, path string
		headers      map[string]string
		want         int
	}{
		{"GET", "/api/v1/sessions/ses_%FF", bearer(opKey), http.StatusNotFound},
		{"GET", "/api/v1/sessions/ses_%00", bearer(opKey), http.StatusNotFound},
		{"GET", "/api/v1/connected_accounts/ca_%FF", bearer(opKey), http.StatusNotFound},
		{"GET", "/api/v1/connected_accounts?user_id=%FF", bearer(opKey), http.StatusBadRequest},
		{"GET", "/api/v1/audit?user_id=%00", bearer(opKey), http.StatusBadRequest},
		{"GET", "/api/v3.1/connected_accounts/ca_%FF", map[string]string{"x-api-key": opKey}, http.StatusNotFound},
		{"POST", "/sessions/ses_%FF/mcp", map[string]string{"Authorization": "Bearer st_x"}, http.StatusNotFound},
		{"POST", "/mcp", map[string]string{"Authorization": "Bearer " + opKey, "X-User-Id": "alice", mcpserver.HeaderKeySessionID: "ses_\xff"}, http.StatusNotFound},
	} {
		h := map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream", mcp.HeaderProtocolVersion: "2025-06-18"}
		for k, v := range tt.headers {
			h[k] = v
		}
		req, _ := http.NewRequestWithContext(t.Context(), tt.method, w.base+tt.path, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"tools/list"}`))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tt.want {
			t.Errorf("%s %s answered %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
		}
	}
}

// TestOtherMethodsOnMCPEndpoints: a method the transport does not have is
// 405 with Allow and a JSON-RPC error, on both endpoints, with or without
// a session.
func TestOtherMethodsOnMCPEndpoints(t *testing.T) {
	w := newAPIWorld(t)
	for _, path := range []string{"/mcp", "/sessions/ses_x/mcp"} {
		for _, method := range []string{http.MethodPut, http.MethodPatch, http.MethodOptions, http.MethodHead} {
			req, _ := http.NewRequestWithContext(t.Context(), method, w.base+path, nil)
			req.Header.Set("Authorization", "Bearer "+opKey)
			req.Header.Set(mcpserver.HeaderKeySessionID, "ses_x")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusMethodNotAllowed || resp.Header.Get("Allow") != "GET, POST, DELETE" ||
				(method != http.MethodHead && !strings.Contains(string(body), `"jsonrpc":"2.0"`)) {
				t.Errorf("%s %s answered %d (Allow %q): %s", method, path, resp.StatusCode, resp.Header.Get("Allow"), body)
			}
		}
	}
}

// TestQuoteCutsWholeCharacters: a long value is cut to 64 characters, not
// bytes, so the message stays valid UTF-8; control characters show as ?.
func TestQuoteCutsWholeCharacters(t *testing.T) {
	got := quote(strings.Repeat("é", 100))
	if want := `"` + strings.Repeat("é", 64) + `…"`; got != want {
		t.Errorf("quote = %q, want %q", got, want)
	}
	if got := quote("a\nb"); got != `"a?b"` {
		t.Errorf("quote(a\\nb) = %q", got)
	}
}
