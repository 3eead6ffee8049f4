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

// holding returns the session mcp-go holds for legacy session id, or nil.
func (w *apiWorld) holding(id string) mcpserver.ClientSession {
	live := w.http.live
	live.mu.RLock()
	defer live.mu.RUnlock()
	if s := live.byID[id]; s != nil {
		return s.hold
	}
	return nil
}

// registered reports whether mcp-go has a session of id registered. A
// probe that finds one queues a notifications/message in it.
func (w *apiWorld) registered(id string) bool {
	err := w.srv.MCP().SendNotificationToSpecificClient(id, "notifications/message", nil)
	return !errors.Is(err, mcpserver.ErrSessionNotFound)
}

// listTools sends tools/list on c.
func listTools(tb testing.TB, c *mcpclient.Client) {
	tb.Helper()
	if _, err := c.ListTools(context.Background(), mcp.ListToolsRequest{}); err != nil {
		tb.Fatal(err)
	}
}

// TestIdleLegacySessionHoldsNoMCPGoSession pins where an idle legacy
// session's memory is: in legacySessions (what the client declared), not
// in an mcp-go session with its channel buffers, which exists only while a
// GET stream is open or the client is busy (see TestHeldSession).
func TestIdleLegacySessionHoldsNoMCPGoSession(t *testing.T) {
	w := newAPIWorld(t)
	_, id, _ := w.legacySession(t)
	if id == "" {
		t.Fatal("initialize answered without Mcp-Session-Id")
	}
	if w.registered(id) || w.holding(id) != nil {
		t.Errorf("initialize and notifications/initialized alone made mcp-go hold the session")
	}
	if w.http.live.byID[id] == nil {
		t.Errorf("legacySessions does not know session %s", id)
	}
	closeStream := w.openStream(t, id, nil)
	if !w.registered(id) {
		t.Errorf("with its GET stream open, the session cannot be notified")
	}
	closeStream()
}

// TestHeldSession pins the session mcp-go holds for a legacy session in
// use: its first request makes it, later requests reuse it, and it goes
// back to mcp-go before a GET stream or a notification reaches mcp-go, on
// DELETE, and after holdIdle, without losing a list_changed queued in it.
func TestHeldSession(t *testing.T) {
	w := newAPIWorld(t)
	const listChanged = "notifications/tools/list_changed"
	live := w.http.live
	// busy opens a legacy session and sends it one request.
	busy := func(t *testing.T) (*mcpclient.Client, string, *notes) {
		t.Helper()
		c, id, got := w.legacySession(t)
		listTools(t, c)
		if w.holding(id) == nil {
			t.Fatalf("mcp-go holds nothing for session %s after its first request", id)
		}
		return c, id, got
	}
	// queue puts a list_changed in the held session of id, as fanOut does.
	queue := func(t *testing.T, id string) {
		t.Helper()
		if err := w.srv.MCP().SendNotificationToSpecificClient(id, listChanged, nil); err != nil {
			t.Fatalf("the held session cannot be notified: %v", err)
		}
	}

	t.Run("SecondRequestReuses", func(t *testing.T) {
		c, id, got := busy(t)
		first := w.holding(id)
		if !w.registered(id) { // queues a notifications/message in it
			t.Fatal("mcp-go does not know the held session")
		}
		listTools(t, c)
		if w.holding(id) != first {
			t.Errorf("the second request made another held session")
		}
		if n := got.count("notifications/message"); n != 1 {
			t.Errorf("the second request carried %d notifications queued in the held session, want 1", n)
		}
	})

	t.Run("NotificationReleases", func(t *testing.T) {
		c, id, got := busy(t)
		queue(t, id)
		if err := c.GetTransport().SendNotification(t.Context(), mcp.JSONRPCNotification{
			JSONRPC: mcp.JSONRPC_VERSION, Notification: mcp.Notification{Method: "notifications/roots/list_changed"},
		}); err != nil {
			t.Fatal(err)
		}
		if w.holding(id) != nil || w.registered(id) {
			t.Fatal("mcp-go still holds the session after a notification POST")
		}
		if !w.srv.Pending(id) {
			t.Errorf("the list_changed queued in the released session does not wait")
		}
		listTools(t, c)
		listTools(t, c)
		if n := got.count(listChanged); n != 1 {
			t.Errorf("the session got %d tools/list_changed, want 1", n)
		}
	})

	t.Run("StreamOpens", func(t *testing.T) {
		c, id, got := busy(t)
		queue(t, id)
		lines := make(chan string, 16)
		closeStream := w.openStream(t, id, lines) // fails on 400
		defer closeStream()
		if line := next(t, lines); !strings.Contains(line, listChanged) {
			t.Errorf("the stream's first event is %s, want the queued %s", line, listChanged)
		}
		listTools(t, c)
		if w.holding(id) != nil {
			t.Errorf("a request held a session while the GET stream is open")
		}
		if n := got.count(listChanged); n != 0 || w.srv.Pending(id) {
			t.Errorf("the queued list_changed reached the stream and also the request (%d) or waits still (%v)", n, w.srv.Pending(id))
		}
		w.connect(t, id, opKey, aliceWork, "")
		if line := next(t, lines); !strings.Contains(line, listChanged) {
			t.Errorf("the stream's event after a new account is %s, want %s", line, listChanged)
		}
	})

	t.Run("StreamEndsHoldsAgain", func(t *testing.T) {
		c, id, _ := busy(t)
		w.openStream(t, id, nil)()
		w.awaitUnheld(t, id)
		listTools(t, c)
		if w.holding(id) == nil {
			t.Errorf("a request after the stream ended held nothing")
		}
	})

	t.Run("IdleReleases", func(t *testing.T) {
		c, id, got := busy(t)
		queue(t, id)
		live.byID[id].last.Store(time.Now().Add(-2 * live.holdIdle).UnixNano())
		live.heldSwept.Store(0)
		other, _, _ := w.legacySession(t)
		listTools(t, other)
		if w.holding(id) != nil || w.registered(id) {
			t.Fatalf("mcp-go still holds session %s, unused for twice holdIdle", id)
		}
		if !w.srv.Pending(id) {
			t.Errorf("the list_changed queued in the released session does not wait")
		}
		listTools(t, c)
		if n := got.count(listChanged); n != 1 {
			t.Errorf("the session got %d tools/list_changed, want 1", n)
		}
	})

	t.Run("DeleteReleases", func(t *testing.T) {
		_, id, _ := busy(t)
		w.doHeaders(t, http.MethodDelete, "/mcp", nil, map[string]string{
			"Authorization": "Bearer " + opKey, "X-User-Id": "alice", mcpserver.HeaderKeySessionID: id,
		}).want(t, http.StatusOK, "")
		live.mu.RLock()
		_, held := live.held[id]
		live.mu.RUnlock()
		if held || w.registered(id) {
			t.Errorf("mcp-go still holds session %s after the client's DELETE", id)
		}
	})
}

// next is the next line from lines, failing after 5 seconds.
func next(tb testing.TB, lines <-chan string) string {
	tb.Helper()
	select {
	case line := <-lines:
		return line
	case <-time.After(5 * time.Second):
		tb.Fatal("the GET stream got nothing")
		return ""
	}
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
