package accounts

import (
	"context"
	"errors"
	"time"

	"go.uber.org/zap"
)

// Session is one agent's working context for one user: which toolkits it
// may use and which account it selected per toolkit. Sessions are stored, so
// a selection survives a restart and any replica can serve the next request.
type Session struct {
	// ID is "ses_" followed by random characters. For legacy streamable HTTP
	// clients it doubles as the MCP session id.
	ID string
	// UserID is the user the session acts for; fixed at creation.
	UserID string
	// KeyID identifies the operator key the session was created with (a
	// fingerprint, never the key); empty in dev mode and over stdio. A
	// session is only served to requests carrying the same key and user.
	KeyID string
	// Toolkits restricts (and names) the toolkits the session may use; nil
	// means every configured toolkit.
	Toolkits []string
	// Selected maps a toolkit to the account id the session chose, by its
	// config or by select_account (rule 5's middle layer).
	Selected map[string]string
	// AuthConfigs maps a toolkit to the auth config new authorizations use.
	AuthConfigs map[string]string
	// RequireExplicitSelection turns on rule 6's strict mode.
	RequireExplicitSelection bool
	// ToolMode is how the session lists toolkit tools: ToolModeAll,
	// ToolModeSearch, or "" for the server's default.
	ToolMode string
	// TokenHash is the hash (HashToken) of the session token "st_…" that
	// lets an MCP client use this one session without the operator key;
	// empty for sessions that have none (those made by an MCP initialize or
	// over stdio). The token itself is shown once, when the session is
	// created through the API, and never stored.
	TokenHash string
	// ExpiresAt ends the session: from then on it is unknown to every
	// route, and its token with it. Zero means it does not expire.
	ExpiresAt time.Time
	// CreatedAt and UpdatedAt are bookkeeping.
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Expired reports whether the session has ended at now.
func (s *Session) Expired(now time.Time) bool {
	return !s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt)
}

// Allows reports whether the session may use toolkit.
func (s *Session) Allows(toolkit string) bool {
	if s.Toolkits == nil {
		return true
	}
	for _, t := range s.Toolkits {
		if t == toolkit {
			return true
		}
	}
	return false
}

// Names reports whether the session names toolkit explicitly, which lists
// its tools even before an account is connected.
func (s *Session) Names(toolkit string) bool {
	return s.Toolkits != nil && s.Allows(toolkit)
}

// SessionOptions are the settings a new session starts with.
type SessionOptions struct {
	// UserID is required.
	UserID string
	// KeyID is the fingerprint of the operator key, if any.
	KeyID string
	// Toolkits restricts the session; nil means all.
	Toolkits []string
	// Selected is the session config's choice of account per toolkit (id,
	// alias or label of the user's accounts).
	Selected map[string]string
	// AuthConfigs names the auth config per toolkit.
	AuthConfigs map[string]string
	// RequireExplicitSelection turns on rule 6's strict mode.
	RequireExplicitSelection bool
	// ToolMode is the session's tool mode; "" follows the server's default.
	ToolMode string
	// TTL is the lifetime of a session made by the application API
	// (CreateAPISession); 0 asks for the default. Other sessions ignore it.
	TTL time.Duration

	tokenHash string    // set by CreateAPISession
	expiresAt time.Time // set by CreateAPISession
}

// CreateSession stores a new session. Toolkits and accounts it names are
// checked: unknown toolkits are TOOLKIT_UNKNOWN, accounts must be the user's.
func (s *Service) CreateSession(ctx context.Context, opts SessionOptions) (*Session, error) {
	if opts.UserID == "" {
		return nil, Errorf(CodeInvalidArguments, "A session needs a user id.")
	}
	if err := s.checkToolkits(opts.Toolkits); err != nil {
		return nil, err
	}
	if err := s.checkAuthConfigs(opts.AuthConfigs); err != nil {
		return nil, err
	}
	if err := CheckToolMode(opts.ToolMode, false); err != nil {
		return nil, err
	}
	if s.maxSessions > 0 {
		n, err := s.store.CountSessions(ctx, opts.UserID)
		if err != nil {
			return nil, internal(err, "count the user's sessions")
		}
		if n >= s.maxSessions {
			return nil, Errorf(CodeSessionLimit, "This user already has %d sessions, the most this server keeps per user. End sessions that are no longer used (DELETE), or wait until idle ones are swept.", n)
		}
	}
	now := s.now()
	sess := &Session{
		ID:                       NewID("ses_"),
		UserID:                   opts.UserID,
		KeyID:                    opts.KeyID,
		Toolkits:                 opts.Toolkits,
		Selected:                 map[string]string{},
		AuthConfigs:              opts.AuthConfigs,
		RequireExplicitSelection: opts.RequireExplicitSelection,
		ToolMode:                 opts.ToolMode,
		TokenHash:                opts.tokenHash,
		ExpiresAt:                opts.expiresAt,
		CreatedAt:                now,
		UpdatedAt:                now,
	}
	for toolkit, ref := range opts.Selected {
		if _, err := s.toolkit(toolkit); err != nil {
			return nil, err
		}
		a, err := s.Find(ctx, opts.UserID, toolkit, ref)
		if err != nil {
			return nil, err
		}
		sess.Selected[toolkit] = a.ID
	}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, internal(err, "create the session")
	}
	return sess, nil
}

// Session returns the stored session id if it belongs to userID, was
// created with keyID and has not ended; otherwise ErrNotFound, the same
// for a session that does not exist, one that is someone else's and one
// that expired.
func (s *Service) Session(ctx context.Context, id, userID, keyID string) (*Session, error) {
	sess, err := s.store.Session(ctx, id)
	if err != nil {
		return nil, err
	}
	if sess.UserID != userID || sess.KeyID != keyID || sess.Expired(s.now()) {
		return nil, ErrNotFound
	}
	s.keepAlive(ctx, sess)
	return sess, nil
}

// CreateStandingSession stores a session with a caller-chosen id: the one
// session that stateless requests of a key and user share.
func (s *Service) CreateStandingSession(ctx context.Context, id, userID, keyID string) (*Session, error) {
	now := s.now()
	sess := &Session{ID: id, UserID: userID, KeyID: keyID, Selected: map[string]string{}, CreatedAt: now, UpdatedAt: now}
	if err := s.store.CreateSession(ctx, sess); err != nil {
		return nil, err
	}
	return sess, nil
}

// EndSession removes a stored session, as a client's DELETE asks; its id is
// unknown from then on.
func (s *Service) EndSession(ctx context.Context, sess *Session) error {
	if err := s.store.DeleteSession(ctx, sess.ID); err != nil && !errors.Is(err, ErrNotFound) {
		return internal(err, "end the session")
	}
	s.log.Info("session ended", zap.String("session", sess.ID), zap.String("user", sess.UserID))
	return nil
}

// Tool modes: how a session lists toolkit tools.
const (
	// ToolModeAll lists every toolkit tool the session may use.
	ToolModeAll = "all"
	// ToolModeSearch lists none; the agent finds them with search_tools and
	// runs them with execute_tool (or calls them by name).
	ToolModeSearch = "search"
	// ToolModeAuto is the server default's third value: search when the
	// session would list more toolkit tools than a threshold, else all.
	ToolModeAuto = "auto"
)

// CheckToolMode refuses a tool mode that is not all or search (or auto,
// where allowed: a server default or a request header may ask for it); ""
// is always allowed (no choice).
func CheckToolMode(mode string, auto bool) error {
	switch mode {
	case "", ToolModeAll, ToolModeSearch:
		return nil
	case ToolModeAuto:
		if auto {
			return nil
		}
	}
	return Errorf(CodeInvalidArguments, "tool_mode must be %q or %q; %q is neither.", ToolModeAll, ToolModeSearch, mode)
}
