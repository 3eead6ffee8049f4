package accounts

import (
	"context"
	"math/rand/v2"
	"time"

	"go.uber.org/zap"
)

// Retention says how long the leftovers of finished work are kept before
// Store.Sweep deletes them. A zero duration keeps that kind forever.
type Retention struct {
	// Links: a connect link is deleted this long after it expired, used
	// or not. Until then wait_for_connection can still tell what became of
	// it.
	Links time.Duration
	// Failed: an account that never connected (FAILED, or INITIATED with
	// no unexpired link left) is deleted this long after it was created,
	// with its credential and links.
	Failed time.Duration
	// SessionIdle: a session without an expiry (one made by an MCP
	// initialize, the standing session of stateless clients) whose
	// UpdatedAt is older than this is deleted with its selections. A
	// session with an expiry (made through the application API with a TTL)
	// lives until it, however idle, and is deleted once past it whatever
	// this says. Every request that reads a session through the Service
	// keeps UpdatedAt fresh (see Service.Session).
	SessionIdle time.Duration
	// Audit: an audit entry is deleted this long after its call.
	Audit time.Duration
}

// Swept counts what one Sweep deleted. Confirmations past their expiry
// are deleted whatever the policy says: they can allow nothing more.
type Swept struct {
	Links, Accounts, Sessions, Audit, Confirmations int64
}

// touchEvery is the part of the idle TTL after which reading a session
// writes its UpdatedAt again: a session in use is written about eight
// times per TTL, not on every request.
const touchEvery = 8

// keepAlive moves sess's UpdatedAt to now when the last move is older than
// an eighth of the idle TTL. A failure only costs freshness: it is logged.
func (s *Service) keepAlive(ctx context.Context, sess *Session) {
	idle := s.retention.SessionIdle
	now := s.now()
	if idle <= 0 || now.Sub(sess.UpdatedAt) < idle/touchEvery {
		return
	}
	if err := s.store.TouchSession(ctx, sess.ID, now); err != nil {
		s.log.Warn("keeping the session alive", zap.String("session", sess.ID), zap.Error(err))
		return
	}
	sess.UpdatedAt = now
}

// Sweep deletes what the retention policy says has outlived its use, once.
func (s *Service) Sweep(ctx context.Context) (Swept, error) {
	return s.store.Sweep(ctx, s.now(), s.retention)
}

// RunRetention sweeps every period until ctx ends. The first sweep comes
// after a random part of the period, so that replicas started together do
// not sweep together.
func (s *Service) RunRetention(ctx context.Context, period time.Duration) {
	if period <= 0 || s.retention == (Retention{}) {
		return
	}
	wait := time.Duration(rand.Int64N(int64(period))) + time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = period
		n, err := s.Sweep(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Warn("retention sweep failed", zap.Error(err))
			}
			continue
		}
		if n != (Swept{}) {
			s.log.Info("retention sweep", zap.Int64("links", n.Links), zap.Int64("accounts", n.Accounts), zap.Int64("sessions", n.Sessions),
				zap.Int64("audit", n.Audit), zap.Int64("confirmations", n.Confirmations))
		}
	}
}
