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
// only to sessions of the user whose account changed.
type listeners struct {
	mu     sync.Mutex
	cancel map[string]func()
}

func newListeners() *listeners { return &listeners{cancel: map[string]func(){}} }

func (s *Server) registerSession(ctx context.Context, cs mcpserver.ClientSession) {
	sc := ScopeFromContext(ctx)
	if sc == nil {
		return
	}
	id := cs.SessionID()
	events, cancel := s.svc.Subscribe(sc.UserID())
	done := make(chan struct{})
	s.sessions.mu.Lock()
	if prev := s.sessions.cancel[id]; prev != nil {
		prev()
	}
	s.sessions.cancel[id] = func() { cancel(); close(done) }
	s.sessions.mu.Unlock()
	go s.forward(done, sc, events, func() {
		if err := s.mcp.SendNotificationToSpecificClient(id, "notifications/tools/list_changed", nil); err != nil {
			s.log.Debug("tools/list_changed not delivered", zap.String("mcp_session", id), zap.Error(err))
		}
	})
}

// forward calls notify for every event that changes the tools sc lists:
// an account of an allowed toolkit that turned ACTIVE. Other events (a
// failed link, which only wakes waiters) pass. It returns when done closes.
func (s *Server) forward(done <-chan struct{}, sc *accounts.Scope, events <-chan accounts.Event, notify func()) {
	for {
		select {
		case <-done:
			return
		case ev := <-events:
			if ev.Account.Active() && sc.Allows(ev.Account.Toolkit) {
				notify()
			}
		}
	}
}

func (s *Server) unregisterSession(ctx context.Context, cs mcpserver.ClientSession) {
	s.sessions.mu.Lock()
	defer s.sessions.mu.Unlock()
	if cancel := s.sessions.cancel[cs.SessionID()]; cancel != nil {
		cancel()
		delete(s.sessions.cancel, cs.SessionID())
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
