package transport

import (
	"context"
	"encoding/json"
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
// A session in use is another matter: building mcp-go's session for each
// request costs about 10 KiB of garbage and a few percent of the request's
// time. So a session's first request (not a notification) has mcp-go hold
// the request's session (hold: RegisterSession, where mcp-go's handlePost
// looks first), and later requests reuse it, until the session is idle for
// holdIdle. Only sessions clients use pay for a held session, and idle ones
// stay light. mcp-go gets its session back (UnregisterSession, release):
//
//   - before a GET stream of the session reaches mcp-go, whose handleGet
//     registers a session of its own and refuses the stream if one is
//     registered. The release and the stream count change under mu
//     together, and a POST holds nothing while a stream is open (the
//     stream's session serves POSTs then, as mcp-go does), so no POST can
//     register in between.
//   - before a notification POST reaches mcp-go: its 202 answer carries no
//     notification, and mcp-go would take a queued one off the session and
//     drop it.
//   - when the session is ended (DELETE) or forgotten (ttl).
//   - when it is idle for holdIdle. The held sessions are swept at most
//     twice per holdIdle, by a request of any legacy session or an
//     initialize, so without a goroutine: while no request comes, held
//     sessions stay, but their number cannot grow either.
//
// While mcp-go keeps a session for one of ours (held, or its GET stream's),
// a tools/call of it may be answered without mcp-go's per-request
// handling, with that session (serveDirect, direct.go); the stream's
// session is learnt from mcp-go's session hooks (registered, unregistered).
//
// A notification queued in a released session is not lost: server.Server
// sees the session unregistered with a non-empty queue and keeps the
// list_changed pending for the next request or stream.
//
// Sessions idle for longer than ttl are forgotten: a client that comes back
// finds its stored session again, as before. The sweep runs at initialize,
// the only moment sessions are added, so that memory is bounded without a
// goroutine of its own. A session with a GET stream open is not idle.
//
// It is safe for concurrent use.
type legacySessions struct {
	srv      *server.Server
	ttl      time.Duration
	holdIdle time.Duration // defaultHoldIdle; tests shorten it

	mu        sync.RWMutex
	byID      map[string]*legacySession
	profiles  map[string]*clientProfile // by profileKey: most clients are alike
	held      map[string]*legacySession // the sessions mcp-go holds
	swept     time.Time
	heldSwept atomic.Int64 // unix nanoseconds of the last sweep of held

	direct directCalls // see direct.go
}

// defaultHoldIdle is how long mcp-go holds an unused session's session. A
// client busy with a task sends requests seconds apart; one that waits for
// its user for minutes can afford a new session when it comes back.
const defaultHoldIdle = 2 * time.Minute

// legacySession is one session's entry.
type legacySession struct {
	client  *clientProfile
	last    atomic.Int64 // unix nanoseconds of the last request
	streams int          // GET streams open; guarded by legacySessions.mu
	// hold is the session mcp-go holds for this one, or nil; guarded by
	// legacySessions.mu.
	hold mcpserver.ClientSession
	// stream is the session mcp-go registered for the session's GET
	// stream, while it is open, or nil; guarded by legacySessions.mu.
	stream mcpserver.ClientSession
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

// newLegacySessions follows the legacy sessions of srv's MCP server, whose
// session hooks it joins: one per server.Server.
func newLegacySessions(srv *server.Server, ttl time.Duration) *legacySessions {
	ls := &legacySessions{
		srv: srv, ttl: ttl, holdIdle: defaultHoldIdle,
		byID: map[string]*legacySession{}, profiles: map[string]*clientProfile{}, held: map[string]*legacySession{},
	}
	hooks := srv.MCP().GetHooks()
	hooks.AddOnRegisterSession(ls.registered)
	hooks.AddOnUnregisterSession(ls.unregistered)
	return ls
}

// post is a legacy POST on its way through mcp-go. At initialize,
// sessionIDs names the session (id) and sends its header, and restore
// captures mcp-go's session of the request, which initialize fills. A
// request (not a notification) of a session for which a list_changed waits
// carries it (deliver).
type post struct {
	header       http.Header
	body         []byte
	method       string
	modern       bool // params._meta declares a protocol version (2026-07-28)
	request      bool // a JSON-RPC request: it has an id and a method
	notification bool // a JSON-RPC notification: a method and no id
	id           string
	session      mcpserver.ClientSession
	deliver      bool
}

type postKey struct{}

// newPostContext is ctx for the POST of msg (body), whose response headers
// are header. guardMCP, which reads the body anyway, makes it, so that
// legacySessions need not read the body again.
func newPostContext(ctx context.Context, header http.Header, body []byte, msg message) context.Context {
	return context.WithValue(ctx, postKey{}, &post{
		header:       header,
		body:         body,
		method:       msg.method,
		modern:       msg.metaVersion != "",
		request:      msg.id != nil && msg.method != "",
		notification: msg.id == nil && msg.method != "",
	})
}

// handler wraps mcp-go's handler: it remembers the sessions that POSTs
// initialize, counts the GET streams open on each, and releases what
// mcp-go holds before a stream or a notification reaches it.
func (ls *legacySessions) handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodPost:
			p, _ := r.Context().Value(postKey{}).(*post)
			if id := checkedID(r, p != nil && p.modern); id != "" && p != nil {
				p.deliver = p.request && ls.srv.Pending(id)
				if p.notification {
					ls.release(id)
					if p.method == string(mcp.MethodNotificationCancelled) {
						ls.cancelDirect(r, id, p.body)
					}
				}
				if p.request && !p.deliver && ls.serveDirect(w, r, id, p) {
					return
				}
			} else if p != nil && p.modern && ls.serveStateless(w, r, p) {
				return
			}
			next.ServeHTTP(w, r)
			if p != nil && p.id != "" && p.session != nil {
				ls.open(p.id, server.ScopeFromContext(r.Context()), p.session)
			}
		case http.MethodGet:
			if s := ls.streamOpens(checkedID(r, false)); s != nil {
				st := &stream{session: s}
				defer ls.streamEnds(st)
				r = r.WithContext(context.WithValue(r.Context(), streamKey{}, st))
			}
			next.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// checkedID is the Mcp-Session-Id of r when r is a legacy request of the
// session guardMCP resolved it to (modern: its body declares 2026-07-28),
// and "" otherwise. guardMCP resolves a 2026-07-28 request to its key's
// standing session whatever that header says, so the header of such a
// request names no session this type may act on: another key could
// otherwise release, or cancel the calls of, a session it cannot reach.
func checkedID(r *http.Request, modern bool) string {
	id := r.Header.Get(mcpserver.HeaderKeySessionID)
	sc := server.ScopeFromContext(r.Context())
	if id == "" || modern || mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)) ||
		sc == nil || sc.Session == nil || storedSessionID(id) != sc.Session.ID {
		return ""
	}
	return id
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
	held := s != nil && s.hold == cs
	ls.mu.RUnlock()
	if s == nil {
		return ctx
	}
	now := time.Now()
	s.last.Store(now.UnixNano())
	if !held {
		// The held session has it from the request that made it.
		s.client.applyTo(cs)
		if p.request {
			ls.hold(ctx, id, s, cs)
		}
	}
	if p.deliver {
		ls.srv.DeliverPending(id, cs)
	}
	ls.sweepHeld(now)
	return ctx
}

// hold has mcp-go keep cs, the session of a request of session id, for
// the requests that follow, unless it keeps one already or a GET stream is
// open (whose session serves the session's POSTs). Registering cs makes it
// the session list_changed goes to, and hands it what waited.
func (ls *legacySessions) hold(ctx context.Context, id string, s *legacySession, cs mcpserver.ClientSession) {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	if s.hold != nil || s.streams > 0 || ls.byID[id] != s {
		return
	}
	if ls.srv.MCP().RegisterSession(ctx, cs) != nil {
		return // mcp-go has a session of that id already: it serves
	}
	s.hold = cs
	ls.held[id] = s
}

// release takes back from mcp-go the session it holds for session id, if
// any.
func (ls *legacySessions) release(id string) {
	ls.mu.RLock()
	s := ls.byID[id]
	held := s != nil && s.hold != nil
	ls.mu.RUnlock()
	if !held {
		return
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.releaseHoldLocked(id, s)
}

// releaseHoldLocked takes back the session mcp-go holds for s (of id), if
// any. server.Server's unregister hook keeps the list_changed that may
// wait in its queue. ls.mu is held.
func (ls *legacySessions) releaseHoldLocked(id string, s *legacySession) {
	if s.hold == nil {
		return
	}
	s.hold = nil
	delete(ls.held, id)
	ls.srv.MCP().UnregisterSession(context.Background(), id)
}

// sweepHeld releases the held sessions unused for holdIdle, at most twice
// per holdIdle: the request that finds the time come sweeps.
func (ls *legacySessions) sweepHeld(now time.Time) {
	if !ls.heldSweepDue(now) {
		return
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.sweepHeldLocked(now)
}

// heldSweepDue reports whether the held sessions are due for a sweep at
// now, and if so claims it, so that one caller sweeps.
func (ls *legacySessions) heldSweepDue(now time.Time) bool {
	last := ls.heldSwept.Load()
	return now.UnixNano()-last >= int64(ls.holdIdle/2) && ls.heldSwept.CompareAndSwap(last, now.UnixNano())
}

// sweepHeldLocked releases the held sessions unused for holdIdle. ls.mu
// is held.
func (ls *legacySessions) sweepHeldLocked(now time.Time) {
	cutoff := now.Add(-ls.holdIdle).UnixNano()
	for id, s := range ls.held {
		if s.last.Load() < cutoff {
			ls.releaseHoldLocked(id, s)
		}
	}
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
	if ls.heldSweepDue(now) {
		ls.sweepHeldLocked(now)
	}
	if prev := ls.byID[id]; prev != nil {
		ls.releaseHoldLocked(id, prev)
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

// dropLocked forgets session id, and releases what mcp-go holds for it.
// Unwatch runs under ls.mu, so that a GET stream cannot open between the
// two and lose its notifications.
func (ls *legacySessions) dropLocked(id string, s *legacySession) {
	ls.releaseHoldLocked(id, s)
	delete(ls.byID, id)
	ls.releaseLocked(s.client)
	ls.srv.Unwatch(id)
}

func (ls *legacySessions) releaseLocked(p *clientProfile) {
	if p.refs--; p.refs == 0 && p.key != "" {
		delete(ls.profiles, p.key)
	}
}

// streamOpens counts a GET stream of session id, if it is known here, and
// releases what mcp-go holds for it, so that the stream can register its
// own session.
func (ls *legacySessions) streamOpens(id string) *legacySession {
	if id == "" {
		return nil
	}
	ls.mu.Lock()
	defer ls.mu.Unlock()
	s := ls.byID[id]
	if s != nil {
		s.streams++
		ls.releaseHoldLocked(id, s)
	}
	return s
}

// streamEnds uncounts a GET stream that streamOpens counted; the session's
// idle time starts now.
func (ls *legacySessions) streamEnds(st *stream) {
	s := st.session
	s.last.Store(time.Now().UnixNano())
	ls.mu.Lock()
	s.streams--
	if st.cs != nil && s.stream == st.cs {
		// unregistered did, unless mcp-go let go of the stream's session
		// without the stream's context (a DELETE, shutdown).
		s.stream = nil
	}
	ls.mu.Unlock()
}

// stream is a GET stream of a legacy session on its way through mcp-go,
// and the session mcp-go registers for it (cs, once registered).
type stream struct {
	session *legacySession
	cs      mcpserver.ClientSession // guarded by legacySessions.mu
}

type streamKey struct{}

// registered is mcp-go's OnRegisterSession hook. The session that mcp-go
// registers for a GET stream serves the session's POSTs while the stream
// is open, in mcp-go and on the direct path (serveDirect) alike; it gets
// what the client declared at initialize at once, which restore would
// give it at the session's next POST through mcp-go.
func (ls *legacySessions) registered(ctx context.Context, cs mcpserver.ClientSession) {
	st, _ := ctx.Value(streamKey{}).(*stream)
	if st == nil {
		return // a held session (hold), or a stream of no session known here
	}
	st.session.client.applyTo(cs)
	ls.mu.Lock()
	st.cs = cs
	st.session.stream = cs
	ls.mu.Unlock()
}

// unregistered is mcp-go's OnUnregisterSession hook: once mcp-go lets go of
// a GET stream's session (as the stream ends, before streamEnds runs), that
// session serves the session's POSTs no more. mcp-go also calls it when
// legacySessions releases a held session, under ls.mu, with a context that
// carries no stream: it returns before locking then.
func (ls *legacySessions) unregistered(ctx context.Context, cs mcpserver.ClientSession) {
	st, _ := ctx.Value(streamKey{}).(*stream)
	if st == nil {
		return
	}
	ls.mu.Lock()
	if st.session.stream == cs {
		st.session.stream = nil
	}
	ls.mu.Unlock()
}

// applyTo gives cs, a session mcp-go made for a request or a GET stream,
// what the client declared at initialize, as mcp-go's own session of the
// client would have it.
func (p *clientProfile) applyTo(cs mcpserver.ClientSession) {
	if ci, ok := cs.(mcpserver.SessionWithClientInfo); ok {
		ci.SetClientInfo(p.info)
		ci.SetClientCapabilities(p.caps)
	}
	if v, ok := cs.(interface{ SetProtocolVersion(string) }); ok {
		v.SetProtocolVersion(p.version)
	}
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
