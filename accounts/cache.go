package accounts

import (
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Generations is implemented by a Store that keeps, per user, a number that
// changes in the same transaction as every write to that user's accounts,
// to the settings or selections of that user's sessions, and to a session's
// existence (its deletion). It does not change when only a session's
// UpdatedAt moves (TouchSession), nor for credentials, links, audit entries
// or confirmations. A user who never had a change reads 0.
//
// The number is kept by the database itself (triggers), so writes by other
// processes and replicas sharing the store move it exactly as this
// process's writes do.
type Generations interface {
	Generation(ctx context.Context, userID string) (int64, error)
}

// Stamper is implemented by a Store that can tell, without a query,
// whether anything at all may have been committed to it since an earlier
// moment, by any process: Stamp returns a value that differs from every
// earlier one once a commit has happened, and ok false when it cannot tell
// right now. The cache then skips the generation query as long as the
// stamp stays put. A store whose stamp can only say "maybe" must return
// ok false, never an unchanged stamp.
type Stamper interface {
	Stamp() (stamp uint64, ok bool)
}

// Cache bounds: past them an arbitrary entry is dropped for each new one,
// so that a server with many users keeps a bounded working set. A dropped
// entry costs one read from the store the next time it is asked for.
const (
	cacheUsers    = 8192
	cacheSessions = 32768
)

// cachedStore is a Store that answers the two reads every request makes,
// Session and Accounts, from memory while the user's generation in the
// store has not moved since they were read.
//
// Why it stays correct across processes and replicas: each answer from
// memory is preceded by a read of the user's generation from the store
// itself (one primary-key lookup, far cheaper than the reads it replaces),
// and the generation moves in the same transaction as any change that
// could alter the answer, whoever makes it. So an account disabled by the
// CLI, a selection made on another replica or a session deleted elsewhere
// is seen by the very next call, exactly as an uncached read would see it.
// The generation is read before the rows it vouches for: a change
// committed between the two reads leaves the entry tagged with the older
// generation, so the next check reloads it instead of trusting it.
//
// A store that is also a Stamper spares even that query while nothing at
// all has been committed since the generation was last seen to hold
// (SQLite's stamp is the WAL-index header that every process's commit
// rewrites): reads, the bulk of the traffic, then touch no database at
// all. Any commit, whoever makes it and whatever it changes, sends the next
// check back to the generation.
//
// What is not cached: credentials (a refresh must see a token rotated by
// another replica at once, under its lock), links, confirmations, audit
// entries, and single-account reads. Answers are copies: callers may change
// what they get without touching the cache.
type cachedStore struct {
	Store
	gens   Generations
	stamps Stamper // nil when the store has none

	mu       sync.Mutex
	users    map[string]*cachedAccounts
	sessions map[string]*cachedSession
	// owners remembers the user of each session id read, so that the next
	// read can fetch that user's generation before the session row. A
	// session's user never changes.
	owners map[string]string
}

type cachedAccounts struct {
	tag
	accounts []*Account // every toolkit, in the store's order (Seq)
}

type cachedSession struct {
	tag
	session *Session
}

// tag is what an entry was read at: the user's generation, and the latest
// store stamp at which that generation was seen to hold (0: none). The
// stamp and then the generation are read before the rows, so an entry is
// never newer than its tag says.
type tag struct {
	gen   int64
	stamp atomic.Uint64
}

// check reports whether an entry tagged t still holds for userID. When it
// does not, it returns the tag that rows read from now on carry.
func (c *cachedStore) check(ctx context.Context, userID string, t *tag) (ok bool, now int64, stamp uint64, err error) {
	if c.stamps != nil {
		if st, fine := c.stamps.Stamp(); fine && st != 0 {
			stamp = st
		}
	}
	if t != nil && stamp != 0 && t.stamp.Load() == stamp {
		return true, t.gen, stamp, nil
	}
	gen, err := c.gens.Generation(ctx, userID)
	if err != nil {
		return false, 0, 0, err
	}
	if t != nil && t.gen == gen {
		if stamp != 0 {
			t.stamp.Store(stamp)
		}
		return true, gen, stamp, nil
	}
	return false, gen, stamp, nil
}

// newCachedStore wraps st when it keeps generations; otherwise it returns
// st unchanged.
func newCachedStore(st Store) Store {
	gens, ok := st.(Generations)
	if !ok {
		return st
	}
	stamps, _ := st.(Stamper)
	return &cachedStore{
		Store:    st,
		gens:     gens,
		stamps:   stamps,
		users:    map[string]*cachedAccounts{},
		sessions: map[string]*cachedSession{},
		owners:   map[string]string{},
	}
}

// Accounts returns userID's accounts of toolkit (every toolkit when empty),
// from memory when the user's generation has not moved.
func (c *cachedStore) Accounts(ctx context.Context, userID, toolkit string) ([]*Account, error) {
	c.mu.Lock()
	e := c.users[userID]
	c.mu.Unlock()
	var t *tag
	if e != nil {
		t = &e.tag
	}
	ok, gen, stamp, err := c.check(ctx, userID, t)
	if err != nil {
		return c.Store.Accounts(ctx, userID, toolkit)
	}
	if !ok {
		all, err := c.Store.Accounts(ctx, userID, "")
		if err != nil {
			return nil, err
		}
		e = &cachedAccounts{accounts: all}
		e.gen = gen
		e.stamp.Store(stamp)
		c.mu.Lock()
		if _, ok := c.users[userID]; !ok && len(c.users) >= cacheUsers {
			dropOne(c.users)
		}
		c.users[userID] = e
		c.mu.Unlock()
	}
	out := make([]*Account, 0, len(e.accounts))
	for _, a := range e.accounts {
		if toolkit == "" || a.Toolkit == toolkit {
			out = append(out, a.clone())
		}
	}
	return out, nil
}

// Session returns the session id, from memory when its user's generation
// has not moved. The first read of an id goes to the store and only learns
// its user; the next one reads the generation first and then caches.
func (c *cachedStore) Session(ctx context.Context, id string) (*Session, error) {
	c.mu.Lock()
	owner, known := c.owners[id]
	e := c.sessions[id]
	c.mu.Unlock()
	if !known {
		s, err := c.Store.Session(ctx, id)
		if err == nil {
			c.remember(id, s.UserID, nil)
		}
		return s, err
	}
	var t *tag
	if e != nil {
		t = &e.tag
	}
	ok, gen, stamp, err := c.check(ctx, owner, t)
	if err != nil {
		return c.Store.Session(ctx, id)
	}
	if ok {
		return e.session.clone(), nil
	}
	s, err := c.Store.Session(ctx, id)
	if err != nil {
		c.forget(id)
		return nil, err
	}
	if s.UserID == owner {
		e := &cachedSession{session: s.clone()}
		e.gen = gen
		e.stamp.Store(stamp)
		c.remember(id, owner, e)
	}
	return s, nil
}

// TouchSession moves the session's UpdatedAt in the store and in memory:
// the generation does not move for it, and a cached session that kept its
// old UpdatedAt would be touched again on every request.
func (c *cachedStore) TouchSession(ctx context.Context, id string, at time.Time) error {
	if err := c.Store.TouchSession(ctx, id, at); err != nil {
		return err
	}
	c.mu.Lock()
	if e := c.sessions[id]; e != nil && at.After(e.session.UpdatedAt) {
		// Entries are never changed in place: a reader may be copying
		// the old one.
		touched := &cachedSession{session: e.session.clone()}
		touched.session.UpdatedAt = at
		touched.gen = e.gen
		touched.stamp.Store(e.stamp.Load())
		c.sessions[id] = touched
	}
	c.mu.Unlock()
	return nil
}

// DeleteSession also forgets the session here; the generation moving would
// tell the next read anyway, this only frees the memory.
func (c *cachedStore) DeleteSession(ctx context.Context, id string) error {
	err := c.Store.DeleteSession(ctx, id)
	c.forget(id)
	return err
}

func (c *cachedStore) remember(id, owner string, e *cachedSession) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.owners[id]; !ok && len(c.owners) >= cacheSessions {
		drop := dropOne(c.owners)
		delete(c.sessions, drop)
	}
	c.owners[id] = owner
	if e != nil {
		c.sessions[id] = e
	}
}

func (c *cachedStore) forget(id string) {
	c.mu.Lock()
	delete(c.owners, id)
	delete(c.sessions, id)
	c.mu.Unlock()
}

// dropOne deletes an arbitrary entry of m (map iteration picks one at
// random) and returns its key.
func dropOne[V any](m map[string]V) string {
	for k := range m {
		delete(m, k)
		return k
	}
	return ""
}

// clone returns a copy of a that shares nothing mutable with it.
func (a *Account) clone() *Account {
	b := *a
	b.Policy.AllowTools = slices.Clone(a.Policy.AllowTools)
	b.Policy.DenyTools = slices.Clone(a.Policy.DenyTools)
	return &b
}

// clone returns a copy of s that shares nothing mutable with it.
func (s *Session) clone() *Session {
	t := *s
	t.Toolkits = slices.Clone(s.Toolkits)
	t.Selected = maps.Clone(s.Selected)
	t.AuthConfigs = maps.Clone(s.AuthConfigs)
	if t.Selected == nil {
		t.Selected = map[string]string{}
	}
	if t.AuthConfigs == nil {
		t.AuthConfigs = map[string]string{}
	}
	return &t
}
