package server

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"switchboard/accounts"
)

// listeners tracks the MCP sessions of this process that can receive
// notifications and forwards account activations to them as
// notifications/tools/list_changed, only to sessions of the user whose
// account changed. One subscription and one goroutine serve all the sessions
// of a user: thousands of idle sessions of a few users cost a map entry
// each, not a goroutine each.
//
// A session is watched while mcp-go has it registered (a legacy HTTP
// session's GET stream, or the session the transport has mcp-go hold while
// the client is busy; the stdio session), and, for legacy HTTP sessions,
// from initialize until the transport forgets it (Watch, Unwatch): mcp-go
// keeps no state between the requests of an idle session, so a
// list_changed that finds no session registered waits, as a flag, for the
// session's next request, whose response carries it.
type listeners struct {
	mu    sync.Mutex
	users map[string]*userListeners
	user  map[string]string // MCP session id → user id
	// pending counts the sessions with a pending list_changed, so that
	// requests look only while there are some.
	pending atomic.Int64
}

// userListeners are the sessions of one user and the subscription that
// feeds them.
type userListeners struct {
	sessions map[string]*watch // MCP session id → what it watches
	stop     func()
}

// watch is one watched session.
type watch struct {
	// scope is the session's scope, for the toolkits it allows; nil when it
	// allows every toolkit, which is most sessions, so that an idle session
	// does not keep its scope alive.
	scope *accounts.Scope
	// held says that Watch made the entry: it stays when mcp-go
	// unregisters the session (its GET stream ends).
	held bool
	// pending says that a list_changed found no stream open; the session's
	// next request carries it.
	pending bool
	// registered is the session mcp-go has registered for this one (a GET
	// stream's, or one held for a session in use), or nil: the session
	// whose requests to the client mcp-go can route answers to (Asker).
	registered mcpserver.ClientSession
}

// allows reports whether the watched session may use toolkit.
func (w *watch) allows(toolkit string) bool {
	return w.scope == nil || w.scope.Allows(toolkit)
}

func newListeners() *listeners {
	return &listeners{users: map[string]*userListeners{}, user: map[string]string{}}
}

// Watch makes the legacy MCP session id, of scope sc, receive
// notifications/tools/list_changed until Unwatch: on its GET stream while
// one is open, otherwise with the response to its next request. The HTTP
// transport calls it at initialize, because mcp-go keeps no session between
// requests. It is safe for concurrent use.
func (s *Server) Watch(id string, sc *accounts.Scope) {
	s.sessions.add(s, id, sc, nil)
}

// Unwatch forgets the session id that Watch named: it ended, or its
// in-memory state idled out.
func (s *Server) Unwatch(id string) {
	l := s.sessions
	l.mu.Lock()
	defer l.mu.Unlock()
	if userID, ok := l.user[id]; ok {
		l.removeLocked(id, userID)
	}
}

func (s *Server) registerSession(ctx context.Context, cs mcpserver.ClientSession) {
	if sc := ScopeFromContext(ctx); sc != nil {
		s.sessions.add(s, cs.SessionID(), sc, cs)
	}
}

// add watches session id of scope sc: for Watch (cs nil), or because
// mcp-go registered cs. An entry Watch made stays when mcp-go registers the
// session (a GET stream opens), and what waited goes to the stream.
func (l *listeners) add(s *Server, id string, sc *accounts.Scope, cs mcpserver.ClientSession) {
	userID, held := sc.UserID(), cs == nil
	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, ok := l.user[id]; ok {
		if prev == userID {
			w := l.users[prev].sessions[id]
			w.held = w.held || held
			if !held {
				w.registered = cs
				// A GET stream opened: it carries what waited.
				l.deliverLocked(id, cs)
			}
			return
		}
		l.removeLocked(id, prev)
	}
	u := l.users[userID]
	if u == nil {
		events, cancel := s.svc.Subscribe(userID)
		done := make(chan struct{})
		u = &userListeners{sessions: map[string]*watch{}, stop: func() { cancel(); close(done) }}
		l.users[userID] = u
		go s.fanOut(done, u, events)
	}
	w := &watch{held: held, registered: cs}
	if sc.Toolkits != nil || sc.Session.Toolkits != nil {
		w.scope = sc
	}
	u.sessions[id] = w
	l.user[id] = userID
}

// fanOut sends notifications/tools/list_changed to each session of u whose
// tools an event changes, until done closes. A watched session that mcp-go
// does not hold (no GET stream open) gets it with its next request.
func (s *Server) fanOut(done <-chan struct{}, u *userListeners, events <-chan accounts.Event) {
	for {
		select {
		case <-done:
			return
		case ev := <-events:
			// The sends happen under the lock (they do not block), so that
			// a session mcp-go lets go of meanwhile either is not found here
			// or has the notification queued when unregisterSession looks.
			s.sessions.mu.Lock()
			for id, w := range u.sessions {
				if !ev.Account.Active() || !w.allows(ev.Account.Toolkit) {
					continue
				}
				err := s.mcp.SendNotificationToSpecificClient(id, listChanged.Method, nil)
				if errors.Is(err, mcpserver.ErrSessionNotFound) {
					s.sessions.setPendingLocked(w)
					continue
				}
				if err != nil {
					s.log.Debug("tools/list_changed not delivered", zap.String("mcp_session", id), zap.Error(err))
				}
			}
			s.sessions.mu.Unlock()
		}
	}
}

// listChanged is the notification an account activation sends.
var listChanged = mcp.JSONRPCNotification{JSONRPC: mcp.JSONRPC_VERSION, Notification: mcp.Notification{Method: "notifications/tools/list_changed"}}

// setPendingLocked marks w's list_changed as waiting for the session's
// next request. l.mu is held.
func (l *listeners) setPendingLocked(w *watch) {
	if !w.pending {
		w.pending = true
		l.pending.Add(1)
	}
}

// Pending reports whether a list_changed waits for session id's next
// request (see Watch). It costs an atomic load while none waits.
func (s *Server) Pending(id string) bool {
	l := s.sessions
	if l.pending.Load() == 0 {
		return false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	w := l.watchLocked(id)
	return w != nil && w.pending
}

// DeliverPending hands session id's pending list_changed, if any, to cs,
// the session of one of its requests, whose response stream carries it
// before the response. The transport calls it before mcp-go handles the
// request, so that the notification is queued before mcp-go starts to
// forward the session's notifications, and only for requests: the answer
// to a JSON-RPC notification carries none.
func (s *Server) DeliverPending(id string, cs mcpserver.ClientSession) {
	l := s.sessions
	if l.pending.Load() == 0 {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.deliverLocked(id, cs)
}

// deliverLocked hands cs the pending list_changed of session id. l.mu is
// held.
func (l *listeners) deliverLocked(id string, cs mcpserver.ClientSession) {
	w := l.watchLocked(id)
	if w == nil || !w.pending {
		return
	}
	select {
	case cs.NotificationChannel() <- listChanged:
		w.pending = false
		l.pending.Add(-1)
	default:
		// The session's queue is full; the next request tries again.
	}
}

// watchLocked is session id's entry, or nil. l.mu is held.
func (l *listeners) watchLocked(id string) *watch {
	if u := l.users[l.user[id]]; u != nil {
		return u.sessions[id]
	}
	return nil
}

// changesTools reports whether ev changes the tools sc lists: an account of
// an allowed toolkit that turned ACTIVE. Other events (a failed link, which
// only wakes waiters) do not.
func changesTools(ev accounts.Event, sc *accounts.Scope) bool {
	return ev.Account.Active() && sc.Allows(ev.Account.Toolkit)
}

// forward calls notify for every event that changes the tools sc lists,
// until done closes.
func (s *Server) forward(done <-chan struct{}, sc *accounts.Scope, events <-chan accounts.Event, notify func()) {
	for {
		select {
		case <-done:
			return
		case ev := <-events:
			if changesTools(ev, sc) {
				notify()
			}
		}
	}
}

// unregisterSession forgets a session mcp-go lets go of (its GET stream
// ended, the stdio session closed), unless Watch keeps it. A session Watch
// keeps may leave notifications queued in cs that nothing will read now
// (the transport let go of a session mcp-go held between requests, or a
// GET stream ended): its list_changed then waits for the next request or
// stream, as if it had found no session. The queue may hold other
// notifications, so the session may get a list_changed it need not have:
// a cheap mistake, where losing one is not.
func (s *Server) unregisterSession(ctx context.Context, cs mcpserver.ClientSession) {
	l := s.sessions
	l.mu.Lock()
	defer l.mu.Unlock()
	id := cs.SessionID()
	userID, ok := l.user[id]
	if !ok {
		return
	}
	w := l.users[userID].sessions[id]
	if w.registered == cs {
		w.registered = nil
	}
	switch {
	case !w.held:
		l.removeLocked(id, userID)
	case len(cs.NotificationChannel()) > 0:
		l.setPendingLocked(w)
	}
}

// asker is the session through which a call served with ctx's session
// puts a request to the client (elicitation): the session mcp-go has
// registered under the same id, when it is another one. mcp-go routes the
// client's answer to the session it has registered (its activeSessions),
// and waits for it in the session that asked; the two differ when a GET
// stream opened while the call was running with a session of its own
// (a client opens its stream and sends its first call at once). Asking
// through the registered session keeps them the same.
func (s *Server) asker(ctx context.Context) mcpserver.ClientSession {
	cs := mcpserver.ClientSessionFromContext(ctx)
	if cs == nil {
		return nil
	}
	id := cs.SessionID()
	l := s.sessions
	l.mu.Lock()
	defer l.mu.Unlock()
	if userID, ok := l.user[id]; ok {
		if w := l.users[userID].sessions[id]; w != nil && w.registered != nil {
			return w.registered
		}
	}
	return cs
}

// removeLocked forgets session id of userID, ending the user's
// subscription with its last session. l.mu is held.
func (l *listeners) removeLocked(id, userID string) {
	delete(l.user, id)
	u := l.users[userID]
	if u == nil {
		return
	}
	if w := u.sessions[id]; w != nil && w.pending {
		l.pending.Add(-1)
	}
	delete(u.sessions, id)
	if len(u.sessions) == 0 {
		u.stop()
		delete(l.users, userID)
	}
}

// listen serves a stateless (2026-07-28) client's subscriptions/listen
// stream: while the request lasts, account activations of its user reach it
// as notifications/tools/list_changed, if it opted in to them. Such streams
// have no session id to address, so the notification goes straight to the
// stream's channel.
func (s *Server) listen(ctx context.Context, _ any, req *mcp.SubscriptionsListenRequest) {
	sc := ScopeFromContext(ctx)
	cs := mcpserver.ClientSessionFromContext(ctx)
	if sc == nil || cs == nil || req == nil || !req.Params.Notifications.ToolsListChanged {
		return
	}
	events, cancel := s.svc.Subscribe(sc.UserID())
	go func() {
		defer cancel()
		s.forward(ctx.Done(), sc, events, func() {
			select {
			case cs.NotificationChannel() <- listChanged:
			default:
				s.log.Debug("tools/list_changed dropped: listen stream is full")
			}
		})
	}()
}
