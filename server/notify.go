package server

import (
	"context"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	mcpserver "github.com/mark3labs/mcp-go/server"
	"go.uber.org/zap"

	"switchboard/accounts"
)

// listeners tracks the MCP sessions of this process that can receive
// notifications (a legacy HTTP session's GET stream, the stdio session) and
// forwards account activations to them as notifications/tools/list_changed,
// only to sessions of the user whose account changed. One subscription and
// one goroutine serve all the sessions of a user: thousands of idle
// sessions of a few users cost a map entry each, not a goroutine each.
type listeners struct {
	mu    sync.Mutex
	users map[string]*userListeners
	user  map[string]string // MCP session id → user id
}

// userListeners are the sessions of one user and the subscription that
// feeds them.
type userListeners struct {
	sessions map[string]*accounts.Scope // MCP session id → its scope
	stop     func()
}

func newListeners() *listeners {
	return &listeners{users: map[string]*userListeners{}, user: map[string]string{}}
}

func (s *Server) registerSession(ctx context.Context, cs mcpserver.ClientSession) {
	sc := ScopeFromContext(ctx)
	if sc == nil {
		return
	}
	id, userID := cs.SessionID(), sc.UserID()
	l := s.sessions
	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, ok := l.user[id]; ok {
		l.removeLocked(id, prev)
	}
	u := l.users[userID]
	if u == nil {
		events, cancel := s.svc.Subscribe(userID)
		done := make(chan struct{})
		u = &userListeners{sessions: map[string]*accounts.Scope{}, stop: func() { cancel(); close(done) }}
		l.users[userID] = u
		go s.fanOut(done, u, events)
	}
	u.sessions[id] = sc
	l.user[id] = userID
}

// fanOut sends notifications/tools/list_changed to each session of u whose
// tools an event changes, until done closes.
func (s *Server) fanOut(done <-chan struct{}, u *userListeners, events <-chan accounts.Event) {
	for {
		select {
		case <-done:
			return
		case ev := <-events:
			var ids []string
			s.sessions.mu.Lock()
			for id, sc := range u.sessions {
				if changesTools(ev, sc) {
					ids = append(ids, id)
				}
			}
			s.sessions.mu.Unlock()
			for _, id := range ids {
				if err := s.mcp.SendNotificationToSpecificClient(id, "notifications/tools/list_changed", nil); err != nil {
					s.log.Debug("tools/list_changed not delivered", zap.String("mcp_session", id), zap.Error(err))
				}
			}
		}
	}
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

func (s *Server) unregisterSession(ctx context.Context, cs mcpserver.ClientSession) {
	l := s.sessions
	l.mu.Lock()
	defer l.mu.Unlock()
	if userID, ok := l.user[cs.SessionID()]; ok {
		l.removeLocked(cs.SessionID(), userID)
	}
}

// removeLocked forgets session id of userID, ending the user's
// subscription with its last session. l.mu is held.
func (l *listeners) removeLocked(id, userID string) {
	delete(l.user, id)
	u := l.users[userID]
	if u == nil {
		return
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
	note := mcp.JSONRPCNotification{JSONRPC: mcp.JSONRPC_VERSION, Notification: mcp.Notification{Method: "notifications/tools/list_changed"}}
	go func() {
		defer cancel()
		s.forward(ctx.Done(), sc, events, func() {
			select {
			case cs.NotificationChannel() <- note:
			default:
				s.log.Debug("tools/list_changed dropped: listen stream is full")
			}
		})
	}()
}
