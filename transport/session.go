package transport

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"

	"switchboard/accounts"
	"switchboard/server"
)

// legacySessions is what this process keeps of each legacy (initialize)
// MCP session between its requests: what the client declared at
// initialize, and when the session was last used.
//
// mcp-go would keep a session object per legacy session for its whole life,
// with channel buffers for a hundred notifications and thirty server
// requests allocated up front: about 10 KiB each, most of the cost of an
// idle session. So mcp-go is told nothing of the session id at initialize
// (sessionIDs returns "" to it, and this type sends the Mcp-Session-Id
// header itself) and serves each later request with a session of that
// request's lifetime, or with the session of the GET stream while one is
// open; restore gives that session back what the client declared (its
// capabilities decide, for example, whether authorize elicits). The
// notifications of an idle session are server.Server's to keep (Watch).
//
// Sessions idle for longer than ttl are forgotten: a client that comes back
// finds its stored session again, as before. The sweep runs at initialize,
// the only moment sessions are added, so that memory is bounded without a
// goroutine of its own. A session with a GET stream open is not idle.
//
// It is safe for concurrent use.
type legacySessions struct {
	srv *server.Server
	ttl time.Duration

	mu       sync.RWMutex
	byID     map[string]*legacySession
	profiles map[string]*clientProfile // by profileKey: most clients are alike
	swept    time.Time
}

// legacySession is one session's entry.
type legacySession struct {
	client  *clientProfile
	last    atomic.Int64 // unix nanoseconds of the last request
	streams int          // GET streams open; guarded by legacySessions.mu
}

// clientProfile is what a client declared at initialize, and the protocol
// version negotiated there: what mcp-go's session would have remembered.
// Sessions share equal profiles.
type clientProfile struct {
	key     string // in legacySessions.profiles; "" when not shared
	refs    int    // sessions that use it; guarded by legacySessions.mu
	info    mcp.Implementation
	caps    mcp.ClientCapabilities
	version string
}

func newLegacySessions(srv *server.Server, ttl time.Duration) *legacySessions {
	return &legacySessions{srv: srv, ttl: ttl, byID: map[string]*legacySession{}, profiles: map[string]*clientProfile{}}
}

// post is a legacy POST on its way through mcp-go. At initialize,
// sessionIDs names the session (id) and sends its header, and restore
// captures mcp-go's session of the request, which initialize fills. A
// request (not a notification) of a session for which a list_changed waits
// carries it (deliver).
type post struct {
	header  http.Header
	id      string
	session mcpserver.ClientSession
	deliver bool
}

type postKey struct{}

// handler wraps mcp-go's handler: it remembers the sessions that POSTs
// initialize, and counts the GET streams open on each.
func (ls *legacySessions) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			p := &post{header: w.Header()}
			if id := r.Header.Get(mcpserver.HeaderKeySessionID); id != "" && ls.srv.Pending(id) {
				p.deliver = isRequest(r)
			}
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), postKey{}, p)))
			if p.id != "" && p.session != nil {
				ls.open(p.id, server.ScopeFromContext(r.Context()), p.session)
			}
		case http.MethodGet:
			if s := ls.streamOpens(r.Header.Get(mcpserver.HeaderKeySessionID)); s != nil {
				defer ls.streamEnds(s)
			}
			next.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// isRequest reports whether r's body is a JSON-RPC request (it has an id),
// leaving the body for the next reader.
func isRequest(r *http.Request) bool {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	return err == nil && json.Unmarshal(body, &m) == nil && len(m.ID) > 0 && string(m.ID) != "null" && m.Method != ""
}

// restore is mcp-go's HTTP context function, called for every POST with
// mcp-go's session of the request in ctx, before mcp-go handles it. At
// initialize it captures that session; later it gives the session what its
// client declared at initialize, and the list_changed that waits for it.
func (ls *legacySessions) restore(ctx context.Context, r *http.Request) context.Context {
	cs := mcpserver.ClientSessionFromContext(ctx)
	p, _ := ctx.Value(postKey{}).(*post)
	if cs == nil || p == nil {
		return ctx
	}
	if p.id != "" {
		p.session = cs
		return ctx
	}
	id := r.Header.Get(mcpserver.HeaderKeySessionID)
	if id == "" || cs.SessionID() != id {
		// A stateless request: its session is its own.
		return ctx
	}
	ls.mu.RLock()
	s := ls.byID[id]
	ls.mu.RUnlock()
	if s == nil {
		return ctx
	}
	s.last.Store(time.Now().UnixNano())
	c := s.client
	if ci, ok := cs.(mcpserver.SessionWithClientInfo); ok {
		ci.SetClientInfo(c.info)
		ci.SetClientCapabilities(c.caps)
	}
	if v, ok := cs.(interface{ SetProtocolVersion(string) }); ok {
		v.SetProtocolVersion(c.version)
	}
	if p.deliver {
		ls.srv.DeliverPending(id, cs)
	}
	return ctx
}

// open remembers session id, which an initialize of scope sc just opened,
// with what cs recorded of the client. An initialize that mcp-go refused
// recorded no protocol version, and opens nothing.
func (ls *legacySessions) open(id string, sc *accounts.Scope, cs mcpserver.ClientSession) {
	p := profileOf(cs)
	if p == nil || sc == nil {
		return
	}
	now := time.Now()
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.sweepLocked(now)
	if prev := ls.byID[id]; prev != nil {
		ls.releaseLocked(prev.client)
	}
	if shared := ls.profiles[p.key]; shared != nil && p.key != "" {
		p = shared
	} else if p.key != "" {
		ls.profiles[p.key] = p
	}
	p.refs++
	s := &legacySession{client: p}
	s.last.Store(now.UnixNano())
	ls.byID[id] = s
	ls.srv.Watch(id, sc)
}

// forget drops session id: its client ended it.
func (ls *legacySessions) forget(id string) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if s := ls.byID[id]; s != nil {
		ls.dropLocked(id, s)
	}
}

// sweepLocked drops the sessions idle for longer than ttl, at most twice
// per ttl. ls.mu is held.
func (ls *legacySessions) sweepLocked(now time.Time) {
	if now.Sub(ls.swept) < ls.ttl/2 {
		return
	}
	ls.swept = now
	cutoff := now.Add(-ls.ttl).UnixNano()
	for id, s := range ls.byID {
		if s.streams == 0 && s.last.Load() < cutoff {
			ls.dropLocked(id, s)
		}
	}
}

// dropLocked forgets session id. Unwatch runs under ls.mu, so that a GET
// stream cannot open between the two and lose its notifications.
func (ls *legacySessions) dropLocked(id string, s *legacySession) {
	delete(ls.byID, id)
	ls.releaseLocked(s.client)
	ls.srv.Unwatch(id)
}

func (ls *legacySessions) releaseLocked(p *clientProfile) {
	if p.refs--; p.refs == 0 && p.key != "" {
		delete(ls.profiles, p.key)
	}
}

// streamOpens counts a GET stream of session id, if it is known here.
func (ls *legacySessions) streamOpens(id string) *legacySession {
	if id == "" {
		return nil
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	s := ls.byID[id]
	if s != nil {
		s.streams++
	}
	return s
}

// streamEnds uncounts a GET stream that streamOpens counted; the session's
// idle time starts now.
func (ls *legacySessions) streamEnds(s *legacySession) {
	s.last.Store(time.Now().UnixNano())
	ls.mu.Lock()
	s.streams--
	ls.mu.Unlock()
}

// profileOf is what cs recorded at initialize; nil when it recorded no
// protocol version (initialize failed).
func profileOf(cs mcpserver.ClientSession) *clientProfile {
	v, ok := cs.(mcpserver.SessionWithProtocolVersion)
	ci, ok2 := cs.(mcpserver.SessionWithClientInfo)
	if !ok || !ok2 || v.ProtocolVersion() == "" {
		return nil
	}
	p := &clientProfile{info: ci.GetClientInfo(), caps: ci.GetClientCapabilities(), version: v.ProtocolVersion()}
	if key, err := json.Marshal(struct {
		Info    mcp.Implementation     `json:"i"`
		Caps    mcp.ClientCapabilities `json:"c"`
		Version string                 `json:"v"`
	}{p.info, p.caps, p.version}); err == nil {
		p.key = string(key)
	}
	return p
}
