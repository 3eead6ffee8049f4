package accounts

import (
	"context"
	"sync"
	"time"
)

// A request memo lets the reads of one request share one generation check
// per user, for a store without stamps (PostgreSQL), where each check is a
// round trip: a request reads its session and then the user's accounts, and
// a toolkit call the credential too, within a millisecond.
//
// What a request then sees is the store as of its first check, as if its
// reads had come a moment earlier: a change made elsewhere during the
// request is seen by the next request, which is what the cache promises
// (cachedStore). The memo ends memoTTL after the check, so a request that
// waits (wait_for_connection) checks again; and any write through this
// service ends it at once, so a request sees its own writes.
type requestMemo struct {
	mu     sync.Mutex
	user   string
	gen    int64
	writes uint64    // cachedStore.writes when gen was read
	at     time.Time // when gen was read; zero before the first check
}

// memoTTL bounds how long one check serves the reads of a request.
const memoTTL = 10 * time.Millisecond

type memoKey struct{}

// RequestContext returns ctx for one request's reads: with a memo of the
// generation checks when the store needs one (see requestMemo), ctx itself
// otherwise.
func (s *Service) RequestContext(ctx context.Context) context.Context {
	if c, ok := s.store.(*cachedStore); !ok || c.stamps != nil {
		return ctx
	}
	return context.WithValue(ctx, memoKey{}, &requestMemo{})
}

// memoized returns the generation of userID that the memo of ctx holds,
// if it still may serve.
func (m *requestMemo) memoized(userID string, writes uint64, now time.Time) (int64, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.at.IsZero() || m.user != userID || m.writes != writes || now.Sub(m.at) >= memoTTL {
		return 0, false
	}
	return m.gen, true
}

func (m *requestMemo) remember(userID string, gen int64, writes uint64, at time.Time) {
	m.mu.Lock()
	m.user, m.gen, m.writes, m.at = userID, gen, writes, at
	m.mu.Unlock()
}
