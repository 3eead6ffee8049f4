package transport

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	mcpclient "github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
)

// notes counts the notifications a client received, by method.
type notes struct {
	mu sync.Mutex
	n  map[string]int
}

func (n *notes) add(note mcp.JSONRPCNotification) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.n == nil {
		n.n = map[string]int{}
	}
	n.n[note.Method]++
}

func (n *notes) count(method string) int {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.n[method]
}

// legacySession opens a legacy MCP session of alice without a GET stream
// and returns the client, its session id, and its notifications.
func (w *apiWorld) legacySession(tb testing.TB) (*mcpclient.Client, string, *notes) {
	tb.Helper()
	c := w.mcpClient(tb, true)
	got := &notes{}
	c.OnNotification(got.add)
	return c, c.GetSessionId(), got
}

// openStream opens the GET stream of MCP session id and returns its
// closer. The stream's SSE data lines go to lines, when it is not nil.
func (w *apiWorld) openStream(tb testing.TB, id string, lines chan<- string) func() {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, w.base+"/mcp", nil)
	req.Header.Set("Authorization", "Bearer "+opKey)
	req.Header.Set("X-User-Id", "alice")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set(mcpserver.HeaderKeySessionID, id)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		tb.Fatalf("GET stream answered %d", resp.StatusCode)
	}
	if lines != nil {
		go func() {
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					lines <- data
				}
			}
		}()
	}
	return func() { cancel(); resp.Body.Close() }
}

// awaitUnheld waits until mcp-go lets go of session id, as it does when
// it sees the session's GET stream closed.
func (w *apiWorld) awaitUnheld(tb testing.TB, id string) {
	tb.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if err := w.srv.MCP().SendNotificationToSpecificClient(id, "notifications/message", nil); errors.Is(err, mcpserver.ErrSessionNotFound) {
			return
		}
	}
	tb.Fatalf("mcp-go still holds session %s", id)
}

// awaitPending waits until a list_changed waits for session id.
func (w *apiWorld) awaitPending(tb testing.TB, id string) {
	tb.Helper()
	for deadline := time.Now().Add(5 * time.Second); !w.srv.Pending(id); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			tb.Fatalf("no list_changed waits for session %s", id)
		}
	}
}

// TestIdleLegacySessionHoldsNoMCPGoSession pins where an idle legacy
// session's memory is: in legacySessions (what the client declared), not
// in an mcp-go session with its channel buffers, which exists only while a
// GET stream is open.
func TestIdleLegacySessionHoldsNoMCPGoSession(t *testing.T) {
	w := newAPIWorld(t)
	c, id, _ := w.legacySession(t)
	if id == "" {
		t.Fatal("initialize answered without Mcp-Session-Id")
	}
	if _, err := c.ListTools(t.Context(), mcp.ListToolsRequest{}); err != nil {
		t.Fatal(err)
	}
	held := func() error {
		return w.srv.MCP().SendNotificationToSpecificClient(id, "notifications/message", nil)
	}
	if err := held(); !errors.Is(err, mcpserver.ErrSessionNotFound) {
		t.Errorf("mcp-go holds the idle session (notification answered %v)", err)
	}
	if w.http.live.byID[id] == nil {
		t.Errorf("legacySessions does not know session %s", id)
	}
	closeStream := w.openStream(t, id, nil)
	if err := held(); err != nil {
		t.Errorf("with its GET stream open, the session cannot be notified: %v", err)
	}
	closeStream()
}

// TestListChangedWaits pins that a legacy session with no GET stream open
// still learns of a new account, once: with the response to its next
// request (not to a notification it sends), or on the GET stream it opens
// next, whichever comes first. A GET stream that opened and closed before
// does not change that.
func TestListChangedWaits(t *testing.T) {
	w := newAPIWorld(t)
	const listChanged = "notifications/tools/list_changed"

	t.Run("NextRequest", func(t *testing.T) {
		c, id, got := w.legacySession(t)
		w.openStream(t, id, nil)()
		w.awaitUnheld(t, id)
		w.connect(t, id, opKey, aliceWork, "")
		w.awaitPending(t, id)
		if err := c.GetTransport().SendNotification(t.Context(), mcp.JSONRPCNotification{
			JSONRPC: mcp.JSONRPC_VERSION, Notification: mcp.Notification{Method: "notifications/roots/list_changed"},
		}); err != nil {
			t.Fatal(err)
		}
		if !w.srv.Pending(id) {
			t.Errorf("a notification the client sent took the list_changed, which its answer cannot carry")
		}
		for range 2 {
			if _, err := c.ListTools(t.Context(), mcp.ListToolsRequest{}); err != nil {
				t.Fatal(err)
			}
		}
		if n := got.count(listChanged); n != 1 {
			t.Errorf("the session got %d tools/list_changed, want 1", n)
		}
	})

	t.Run("StreamThatOpens", func(t *testing.T) {
		_, id, got := w.legacySession(t)
		w.connect(t, id, opKey, alicePersonal, "")
		w.awaitPending(t, id)
		lines := make(chan string, 16)
		defer w.openStream(t, id, lines)()
		select {
		case line := <-lines:
			if !strings.Contains(line, listChanged) {
				t.Errorf("the stream's first event is %s, want %s", line, listChanged)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("the GET stream got nothing")
		}
		if w.srv.Pending(id) || got.count(listChanged) != 0 {
			t.Errorf("the list_changed is still pending (%v) or went elsewhere too (%d)", w.srv.Pending(id), got.count(listChanged))
		}
	})
}

// TestLegacySessionState pins the life of legacySessions' entries: a
// client's DELETE forgets its session; the idle TTL forgets a session
// nothing used for that long, unless its GET stream is open.
func TestLegacySessionState(t *testing.T) {
	w := newAPIWorld(t)
	live := w.http.live
	known := func(id string) bool {
		live.mu.RLock()
		defer live.mu.RUnlock()
		return live.byID[id] != nil
	}
	// idleSince makes session id last used long ago, and lets the next
	// initialize sweep.
	idleSince := func(id string) {
		live.mu.Lock()
		defer live.mu.Unlock()
		live.byID[id].last.Store(time.Now().Add(-2 * live.ttl).UnixNano())
		live.swept = time.Time{}
	}

	t.Run("DeleteForgets", func(t *testing.T) {
		_, id, _ := w.legacySession(t)
		if !known(id) {
			t.Fatalf("session %s unknown after initialize", id)
		}
		w.doHeaders(t, http.MethodDelete, "/mcp", nil, map[string]string{
			"Authorization": "Bearer " + opKey, "X-User-Id": "alice", mcpserver.HeaderKeySessionID: id,
		}).want(t, http.StatusOK, "")
		if known(id) {
			t.Errorf("session %s still known after the client's DELETE", id)
		}
	})

	t.Run("IdleForgotten", func(t *testing.T) {
		c, id, _ := w.legacySession(t)
		idleSince(id)
		w.legacySession(t)
		if known(id) {
			t.Fatalf("session %s idle for twice the TTL is still known", id)
		}
		// Its stored session serves it still.
		if _, err := c.ListTools(t.Context(), mcp.ListToolsRequest{}); err != nil {
			t.Errorf("the forgotten session's next request failed: %v", err)
		}
	})

	t.Run("OpenStreamKeeps", func(t *testing.T) {
		_, id, _ := w.legacySession(t)
		defer w.openStream(t, id, nil)()
		idleSince(id)
		w.legacySession(t)
		if !known(id) {
			t.Errorf("session %s with its GET stream open was forgotten", id)
		}
	})
}
