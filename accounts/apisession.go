package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"slices"
	"time"

	"go.uber.org/zap"
)

// Session lifetimes of the application API, when the Config leaves them
// unset. A session made by the API ends at a fixed moment (its TTL from
// creation, or from the PATCH that set a new one); use does not extend it,
// so a leaked session token stops working on a known date.
const (
	DefaultSessionTTL    = 24 * time.Hour
	DefaultMaxSessionTTL = 30 * 24 * time.Hour
	// minSessionTTL keeps a typo ("ttl": 5) from making a session that
	// dies before its client connects.
	minSessionTTL = time.Minute
)

// SessionTokenPrefix starts every session token, so that transports tell
// one from an operator key without a lookup.
const SessionTokenPrefix = "st_"

// newSessionToken returns a fresh session token and the hash that is
// stored: 32 random bytes, base64url.
func newSessionToken() (token, hash string) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	token = SessionTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, HashToken(token)
}

// sessionTTL checks a requested lifetime against the configured bounds; 0
// asks for the default.
func (s *Service) sessionTTL(ttl time.Duration) (time.Duration, error) {
	if ttl == 0 {
		return s.sessionDefaultTTL, nil
	}
	if ttl < minSessionTTL || ttl > s.sessionMaxTTL {
		return 0, Errorf(CodeInvalidArguments, "ttl must be from %d to %d seconds; %d is outside.", int64(minSessionTTL/time.Second), int64(s.sessionMaxTTL/time.Second), int64(ttl/time.Second))
	}
	return ttl, nil
}

// CreateAPISession stores a session made through the application API and
// returns it with its session token, which is shown this once: only its
// hash is kept. opts.TTL bounds its life (0: the default).
func (s *Service) CreateAPISession(ctx context.Context, opts SessionOptions) (*Session, string, error) {
	ttl, err := s.sessionTTL(opts.TTL)
	if err != nil {
		return nil, "", err
	}
	token, hash := newSessionToken()
	opts.tokenHash, opts.expiresAt = hash, s.now().Add(ttl)
	sess, err := s.CreateSession(ctx, opts)
	if err != nil {
		return nil, "", err
	}
	s.log.Info("session created", zap.String("session", sess.ID), zap.String("user", sess.UserID), zap.Time("expires", sess.ExpiresAt))
	return sess, token, nil
}

// ErrSessionExpired is the answer for a session whose ExpiresAt has passed;
// it is still stored until the sweep removes it, and it serves nothing.
var ErrSessionExpired = errors.New("session expired")

// OperatorSession returns the stored session id for a request made with
// the operator key keyID: ErrNotFound when it does not exist or was made
// with another key, ErrSessionExpired when it has ended.
func (s *Service) OperatorSession(ctx context.Context, id, keyID string) (*Session, error) {
	sess, err := s.store.Session(ctx, id)
	if err != nil {
		return nil, err
	}
	if sess.KeyID != keyID {
		return nil, ErrNotFound
	}
	if sess.Expired(s.now()) {
		return sess, ErrSessionExpired
	}
	return sess, nil
}

// TokenSession returns the stored session id when token is its session
// token and it has not ended; otherwise ErrNotFound, the same for a wrong
// token, another session's token and an ended session, so a token reveals
// nothing about sessions it does not open.
func (s *Service) TokenSession(ctx context.Context, id, token string) (*Session, error) {
	sess, err := s.store.Session(ctx, id)
	if err != nil {
		return nil, err
	}
	want := []byte(sess.TokenHash)
	if len(want) == 0 || subtle.ConstantTimeCompare(want, []byte(HashToken(token))) != 1 || sess.Expired(s.now()) {
		return nil, ErrNotFound
	}
	return sess, nil
}

// SessionUpdate is a change of a stored session through the application
// API (the seed's "switch accounts" without a new session). Nil fields are
// left as they are.
type SessionUpdate struct {
	// Toolkits, when set, replaces the session's toolkits; a nil slice
	// behind it allows every toolkit.
	Toolkits *[]string
	// Select maps a toolkit to the account (id, alias or label) the session
	// uses for it; "" clears the choice, returning that toolkit to the
	// default. Toolkits not named keep their selection.
	Select map[string]string
	// AuthConfigs, when set, replaces the auth config per toolkit.
	AuthConfigs *map[string]string
	// RequireExplicitSelection, when set, turns rule 6's strict mode on or off.
	RequireExplicitSelection *bool
	// ToolMode, when set, changes the session's tool mode ("" returns it
	// to the server's default).
	ToolMode *string
	// TTL, when not zero, makes the session end TTL from now.
	TTL time.Duration
}

// UpdateSession applies upd to the stored session sess and returns it as
// stored. Every account named must be the session user's, found by rule 7
// (a foreign id answers ACCOUNT_NOT_FOUND, as an unknown one does); nothing
// is written when any part is refused.
func (s *Service) UpdateSession(ctx context.Context, sess *Session, upd SessionUpdate) (*Session, error) {
	next := *sess
	if upd.Toolkits != nil {
		if err := s.checkToolkits(*upd.Toolkits); err != nil {
			return nil, err
		}
		next.Toolkits = slices.Clone(*upd.Toolkits)
		if *upd.Toolkits != nil && next.Toolkits == nil {
			next.Toolkits = []string{}
		}
	}
	if upd.AuthConfigs != nil {
		if err := s.checkAuthConfigs(*upd.AuthConfigs); err != nil {
			return nil, err
		}
		next.AuthConfigs = *upd.AuthConfigs
	}
	if upd.RequireExplicitSelection != nil {
		next.RequireExplicitSelection = *upd.RequireExplicitSelection
	}
	if upd.ToolMode != nil {
		if err := CheckToolMode(*upd.ToolMode, false); err != nil {
			return nil, err
		}
		next.ToolMode = *upd.ToolMode
	}
	if upd.TTL != 0 {
		ttl, err := s.sessionTTL(upd.TTL)
		if err != nil {
			return nil, err
		}
		next.ExpiresAt = s.now().Add(ttl)
	}
	changes := map[string]string{}
	for toolkit, ref := range upd.Select {
		if _, err := s.toolkit(toolkit); err != nil {
			return nil, err
		}
		if ref == "" {
			changes[toolkit] = ""
			continue
		}
		a, err := s.Find(ctx, sess.UserID, toolkit, ref)
		if err != nil {
			return nil, err
		}
		changes[toolkit] = a.ID
	}
	next.UpdatedAt = s.now()
	if err := s.store.UpdateSession(ctx, &next, changes); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, err
		}
		return nil, internal(err, "update the session")
	}
	stored, err := s.store.Session(ctx, sess.ID)
	if err != nil {
		return nil, internal(err, "load the session")
	}
	s.log.Info("session updated", zap.String("session", sess.ID), zap.String("user", sess.UserID))
	return stored, nil
}

// checkToolkits refuses an unknown toolkit slug.
func (s *Service) checkToolkits(slugs []string) error {
	for _, t := range slugs {
		if _, err := s.toolkit(t); err != nil {
			return err
		}
	}
	return nil
}

// checkAuthConfigs refuses an auth config that does not exist for its
// toolkit.
func (s *Service) checkAuthConfigs(m map[string]string) error {
	for toolkit, id := range m {
		if _, err := s.toolkit(toolkit); err != nil {
			return err
		}
		if _, ok := s.authConfigByID(id); !ok {
			return Errorf(CodeInvalidArguments, "There is no auth config %s for %s.", Quote(id), toolkit)
		}
		if ac, _ := s.authConfigByID(id); ac.Toolkit != toolkit {
			return Errorf(CodeInvalidArguments, "The auth config %s is for %s, not %s.", id, ac.Toolkit, toolkit)
		}
	}
	return nil
}

// DeleteSession ends a stored session for good: its URL and its token stop
// working on every replica at once.
func (s *Service) DeleteSession(ctx context.Context, sess *Session) error {
	if err := s.store.DeleteSession(ctx, sess.ID); err != nil {
		if errors.Is(err, ErrNotFound) {
			return err
		}
		return internal(err, "delete the session")
	}
	s.log.Info("session deleted", zap.String("session", sess.ID), zap.String("user", sess.UserID))
	return nil
}
