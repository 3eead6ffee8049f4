package accounts

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"time"

	"go.uber.org/zap"
	"golang.org/x/oauth2"

	"switchboard/tools"
)

// refreshAhead is how long before expiry an access token is refreshed, so
// a token never expires in the middle of a call.
const refreshAhead = 2 * time.Minute

// Locker serializes work on one key, here the refresh of one account's
// token. Lock blocks until the key is free or ctx ends, and returns the
// function that frees it. The in-process implementation is the default; a
// store shared by replicas can supply one that holds across processes
// (PostgreSQL advisory locks). Implementations are safe for concurrent use.
type Locker interface {
	Lock(ctx context.Context, key string) (unlock func(), err error)
}

// localLocker is a Locker for one process: one channel per key in use.
type localLocker struct {
	mu   sync.Mutex
	keys map[string]*keyLock
}

type keyLock struct {
	ch    chan struct{}
	users int
}

func newLocalLocker() *localLocker { return &localLocker{keys: map[string]*keyLock{}} }

func (l *localLocker) Lock(ctx context.Context, key string) (func(), error) {
	l.mu.Lock()
	k := l.keys[key]
	if k == nil {
		k = &keyLock{ch: make(chan struct{}, 1)}
		l.keys[key] = k
	}
	k.users++
	l.mu.Unlock()
	release := func() {
		l.mu.Lock()
		if k.users--; k.users == 0 {
			delete(l.keys, key)
		}
		l.mu.Unlock()
	}
	select {
	case k.ch <- struct{}{}:
		return func() { <-k.ch; release() }, nil
	case <-ctx.Done():
		release()
		return nil, ctx.Err()
	}
}

// layered holds an in-process lock, then the shared one.
type layered struct{ local, shared Locker }

func (l layered) Lock(ctx context.Context, key string) (func(), error) {
	unlockLocal, err := l.local.Lock(ctx, key)
	if err != nil {
		return nil, err
	}
	unlockShared, err := l.shared.Lock(ctx, key)
	if err != nil {
		unlockLocal()
		return nil, err
	}
	return func() { unlockShared(); unlockLocal() }, nil
}

// credential returns the account's current credential, refreshed first
// when it is an OAuth token about to expire, or when rejected names the
// access token the upstream just refused (HTTP 401). Refreshes of one
// account are serialized, and a caller that waited re-reads the store: a
// refresh that happened meanwhile is its answer, so twenty calls on an
// expired (or rejected) token cause one refresh.
func (s *Service) credential(ctx context.Context, tk *tools.Toolkit, a *Account, rejected string) (Credential, error) {
	cred, err := s.loadCredential(ctx, a)
	if err != nil || a.Scheme != "oauth2" || cred.RefreshToken == "" {
		return cred, err
	}
	if rejected == "" && !expiresSoon(cred, s.now()) {
		return cred, nil
	}
	if rejected != "" && cred.Secret != rejected {
		return cred, nil // already replaced since the rejected call began
	}
	unlock, err := s.locker.Lock(ctx, "refresh:"+a.ID)
	if err != nil {
		return Credential{}, err
	}
	defer unlock()
	current, err := s.loadCredential(ctx, a)
	if err != nil {
		return Credential{}, err
	}
	if current.Secret != cred.Secret && (current.Expiry.IsZero() || s.now().Before(current.Expiry)) {
		return current, nil // someone refreshed while we waited: theirs is our answer
	}
	return s.refresh(ctx, tk, a, current)
}

// expiresSoon reports whether c should be refreshed before use: within
// refreshAhead of its expiry, or within the last quarter of its lifetime
// when that is shorter (a token that lives minutes is not refreshed on
// every call).
func expiresSoon(c Credential, now time.Time) bool {
	if c.Expiry.IsZero() {
		return false
	}
	margin := refreshAhead
	if !c.Obtained.IsZero() {
		if life := c.Expiry.Sub(c.Obtained); life/4 < margin {
			margin = life / 4
		}
	}
	return !now.Add(margin).Before(c.Expiry)
}

func (s *Service) loadCredential(ctx context.Context, a *Account) (Credential, error) {
	sealed, err := s.store.Credential(ctx, a.UserID, a.ID)
	if err != nil {
		return Credential{}, internal(err, "load the account's credential")
	}
	cred, err := s.keys.Open(a.ID, sealed)
	if err != nil {
		return Credential{}, internal(err, "open the account's credential")
	}
	return cred, nil
}

// refresh trades the refresh token for a new access token and stores both
// (a rotated refresh token included) in one sealed write. invalid_grant
// turns the account EXPIRED, unless another process rotated the token in
// the meantime, in which case its result is used.
func (s *Service) refresh(ctx context.Context, tk *tools.Toolkit, a *Account, cur Credential) (Credential, error) {
	ac, ok := s.authConfigByID(a.AuthConfigID)
	sc := tk.Scheme("oauth2")
	if !ok || sc == nil {
		return Credential{}, Errorf(CodeToolkitNotConfigured, "The auth config %s of account %s is no longer configured, so its token cannot be refreshed; the operator must restore it.", a.AuthConfigID, a.ID)
	}
	rctx, cancel := context.WithTimeout(ctx, oauthTimeout)
	defer cancel()
	var err error
	cfg := s.oauthConfig(ac, sc)
	var tok *oauth2.Token
	if sc.TokenResponse == tools.TokenResponseSlack {
		tok, err = slackToken(rctx, cfg, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {cur.RefreshToken}}, s.now())
	} else {
		tok, err = cfg.TokenSource(rctx, &oauth2.Token{RefreshToken: cur.RefreshToken, Expiry: time.Unix(1, 0)}).Token()
	}
	s.log.Info("token refresh", zap.String("account", a.ID), zap.String("toolkit", a.Toolkit), zap.Bool("ok", err == nil))
	if err != nil {
		code := oauthErrorCode(err)
		if code == "invalid_grant" {
			s.refreshed(a.Toolkit, "invalid_grant")
		} else {
			s.refreshed(a.Toolkit, "error")
		}
		if code != "invalid_grant" {
			return Credential{}, &Error{Code: CodeUpstreamUnavailable, Message: "Refreshing the " + tk.Name + " token failed (" + code + "); try again shortly.", Err: tokenEndpointError(err)}
		}
		if again, lerr := s.loadCredential(ctx, a); lerr == nil && again.RefreshToken != cur.RefreshToken {
			return again, nil
		}
		s.expire(ctx, a, tk.Name+" refused to refresh the token (invalid_grant): the authorization was revoked or has expired")
		return Credential{}, inactive(a)
	}
	s.refreshed(a.Toolkit, "ok")
	next := credentialOf(tok, s.now())
	if next.RefreshToken == "" {
		next.RefreshToken = cur.RefreshToken // not rotated: keep the old one
	}
	if next.UserSecret == "" {
		next.UserSecret = cur.UserSecret // a refresh renews the main token only
	}
	sealed, err := s.keys.Seal(a.ID, next)
	if err != nil {
		return Credential{}, internal(err, "seal the refreshed credential")
	}
	if err := s.store.SetCredential(ctx, a.UserID, a.ID, sealed); err != nil {
		return Credential{}, internal(err, "save the refreshed credential")
	}
	return next, nil
}

// isUnauthorized reports whether the upstream rejected the credential.
func isUnauthorized(err error) bool {
	var rejected interface{ Unauthorized() bool }
	return errors.As(err, &rejected) && rejected.Unauthorized()
}
