package accounts

import (
	"bytes"
	"context"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Generations is implemented by a Store that keeps, per user, a number that
// changes in the same transaction as every write to that user's accounts
// and their credentials, to the settings or selections of that user's
// sessions, and to a session's existence (its deletion). It does not change
// when only a session's UpdatedAt moves (TouchSession), nor for links,
// audit entries or confirmations. A user who never had a change reads 0.
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
// right now. A store whose stamp can only say "maybe" must return ok false,
// never an unchanged stamp.
type Stamper interface {
	Stamp() (stamp uint64, ok bool)
}

// Cache bounds: past them an arbitrary entry is dropped for each new one,
// so that a server with many users keeps a bounded working set. A dropped
// entry costs one read from the store the next time it is asked for.
const (
	cacheUsers       = 8192
	cacheSessions    = 32768
	cacheCredentials = 16384
)

// cachedStore is a Store that answers the reads every request makes —
// Session, Accounts and, for toolkit calls, Credential — from memory while
// the user's generation in the store has not moved since they were read.
//
// Why it stays correct across processes and replicas: each answer from
// memory is preceded by a check of the user's generation against the store
// itself, and the generation moves in the same transaction as any change
// that could alter the answer, whoever makes it. So an account disabled by
// the CLI, a selection made on another replica, a token refreshed elsewhere
// or a session deleted elsewhere is seen by the very next call, exactly as
// an uncached read would see it. The generation is read before the rows it
// vouches for: a change committed between the two reads leaves the entry
// tagged with the older generation, so the next check reloads it.
//
// The check is one primary-key query, far cheaper than the reads it
// replaces. A store that is also a Stamper spares even that while nothing
// at all has been committed since the user's generation was last read:
// SQLite's stamp is the WAL-index header that every process's commit
// rewrites. Reads, the bulk of the traffic, then touch no database at all;
// any commit, whoever makes it and whatever it changes, sends the next
// check of each user back to the database once. Where there is no stamp
// (PostgreSQL), the reads of one request may share one check (requestMemo).
//
// Answers are copies: callers may change what they get without touching
// the cache. Links, confirmations, audit entries and single-account reads
// are not cached.
type cachedStore struct {
	Store
	gens   Generations
	stamps Stamper // nil when the store has none

	mu sync.Mutex
	// seen is, per user, the last generation read and the stamp read just
	// before it: while the store's stamp is still that one, the
	// generation cannot have moved.
	seen     map[string]seenGeneration
	users    map[string]*cachedAccounts
	sessions map[string]*cachedSession
	// owners remembers the user of each session id read, so that the next
	// read can check that user's generation before reading the session
	// row. A session's user never changes.
	owners      map[string]string
	credentials map[string]*cachedCredential // by account id
	// writes counts the writes through this store that may move a
	// generation, each counted once it returns: a request memo taken before
	// one is void (see requestMemo).
	writes atomic.Uint64
}

type seenGeneration struct {
	stamp uint64
	gen   int64
}

// Entries are never changed once stored: a reader may be copying one.
type cachedAccounts struct {
	gen      int64
	accounts []*Account // every toolkit, in the store's order (Seq)
}

type cachedSession struct {
	gen     int64
	session *Session
}

type cachedCredential struct {
	gen    int64
	userID string
	sealed []byte
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
		Store:       st,
		gens:        gens,
		stamps:      stamps,
		seen:        map[string]seenGeneration{},
		users:       map[string]*cachedAccounts{},
		sessions:    map[string]*cachedSession{},
		owners:      map[string]string{},
		credentials: map[string]*cachedCredential{},
	}
}

// generation returns userID's generation as of now: from memory while the
// store's stamp has not moved since it was last read, from the store
// otherwise.
func (c *cachedStore) generation(ctx context.Context, userID string) (int64, error) {
	var stamp uint64
	if c.stamps != nil {
		if st, ok := c.stamps.Stamp(); ok {
			stamp = st
		}
	}
	if stamp != 0 {
		c.mu.Lock()
		s, ok := c.seen[userID]
		c.mu.Unlock()
		if ok && s.stamp == stamp {
			return s.gen, nil
		}
	}
	if stamp == 0 {
		return c.memoGeneration(ctx, userID)
	}
	gen, err := c.gens.Generation(ctx, userID)
	if err != nil {
		return gen, err
	}
	c.mu.Lock()
	if _, ok := c.seen[userID]; !ok && len(c.seen) >= cacheUsers {
		dropOne(c.seen)
	}
	c.seen[userID] = seenGeneration{stamp: stamp, gen: gen}
	c.mu.Unlock()
	return gen, nil
}

// memoGeneration reads userID's generation from the store, or from the
// request's memo (see requestMemo) when ctx has one that may serve.
func (c *cachedStore) memoGeneration(ctx context.Context, userID string) (int64, error) {
	m, _ := ctx.Value(memoKey{}).(*requestMemo)
	if m == nil {
		return c.gens.Generation(ctx, userID)
	}
	// The write count and the time are taken before the query, so that a
	// write that ends during it invalidates what it returns.
	writes, now := c.writes.Load(), time.Now()
	if gen, ok := m.memoized(userID, writes, now); ok {
		return gen, nil
	}
	gen, err := c.gens.Generation(ctx, userID)
	if err == nil {
		m.remember(userID, gen, writes, now)
	}
	return gen, err
}

// Accounts returns userID's accounts of toolkit (every toolkit when empty),
// from memory when the user's generation has not moved.
func (c *cachedStore) Accounts(ctx context.Context, userID, toolkit string) ([]*Account, error) {
	gen, err := c.generation(ctx, userID)
	if err != nil {
		return c.Store.Accounts(ctx, userID, toolkit)
	}
	c.mu.Lock()
	e := c.users[userID]
	c.mu.Unlock()
	if e == nil || e.gen != gen {
		all, err := c.Store.Accounts(ctx, userID, "")
		if err != nil {
			return nil, err
		}
		e = &cachedAccounts{gen: gen, accounts: all}
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
// its user; the next one checks the generation first and then caches.
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
	gen, err := c.generation(ctx, owner)
	if err != nil {
		return c.Store.Session(ctx, id)
	}
	if e != nil && e.gen == gen {
		return e.session.clone(), nil
	}
	s, err := c.Store.Session(ctx, id)
	if err != nil {
		c.forget(id)
		return nil, err
	}
	if s.UserID == owner {
		c.remember(id, owner, &cachedSession{gen: gen, session: s.clone()})
	}
	return s, nil
}

// Credential returns the sealed credential of the account, from memory
// when its user's generation has not moved. A refresh reads it again under
// its lock and finds a token that another replica rotated meanwhile, since
// that rotation moved the generation.
func (c *cachedStore) Credential(ctx context.Context, userID, accountID string) ([]byte, error) {
	gen, err := c.generation(ctx, userID)
	if err != nil {
		return c.Store.Credential(ctx, userID, accountID)
	}
	c.mu.Lock()
	e := c.credentials[accountID]
	c.mu.Unlock()
	if e != nil && e.userID == userID && e.gen == gen {
		return bytes.Clone(e.sealed), nil
	}
	sealed, err := c.Store.Credential(ctx, userID, accountID)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if _, ok := c.credentials[accountID]; !ok && len(c.credentials) >= cacheCredentials {
		dropOne(c.credentials)
	}
	c.credentials[accountID] = &cachedCredential{gen: gen, userID: userID, sealed: bytes.Clone(sealed)}
	c.mu.Unlock()
	return sealed, nil
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
		touched := &cachedSession{gen: e.gen, session: e.session.clone()}
		touched.session.UpdatedAt = at
		c.sessions[id] = touched
	}
	c.mu.Unlock()
	return nil
}

// DeleteSession also forgets the session here; the generation moving would
// tell the next read anyway, this only frees the memory.
func (c *cachedStore) DeleteSession(ctx context.Context, id string) error {
	defer c.writes.Add(1)
	err := c.Store.DeleteSession(ctx, id)
	c.forget(id)
	return err
}

// The writes that may move a generation count themselves (writes), so that
// a request sees its own writes through its memo.

func (c *cachedStore) CreateAccount(ctx context.Context, a *Account) error {
	defer c.writes.Add(1)
	return c.Store.CreateAccount(ctx, a)
}

func (c *cachedStore) UpdateAccount(ctx context.Context, a *Account) error {
	defer c.writes.Add(1)
	return c.Store.UpdateAccount(ctx, a)
}

func (c *cachedStore) SetAccountAlias(ctx context.Context, userID, id, alias string) error {
	defer c.writes.Add(1)
	return c.Store.SetAccountAlias(ctx, userID, id, alias)
}

func (c *cachedStore) SetAccountStatus(ctx context.Context, a *Account, from Status) error {
	defer c.writes.Add(1)
	return c.Store.SetAccountStatus(ctx, a, from)
}

func (c *cachedStore) SetAccountPolicy(ctx context.Context, userID, id string, p Policy) error {
	defer c.writes.Add(1)
	return c.Store.SetAccountPolicy(ctx, userID, id, p)
}

func (c *cachedStore) TouchAccount(ctx context.Context, a *Account) error {
	defer c.writes.Add(1)
	return c.Store.TouchAccount(ctx, a)
}

func (c *cachedStore) DeleteAccount(ctx context.Context, userID, id string) error {
	defer c.writes.Add(1)
	return c.Store.DeleteAccount(ctx, userID, id)
}

func (c *cachedStore) SetCredential(ctx context.Context, userID, accountID string, sealed []byte) error {
	defer c.writes.Add(1)
	return c.Store.SetCredential(ctx, userID, accountID, sealed)
}

func (c *cachedStore) Complete(ctx context.Context, comp *Completion) error {
	defer c.writes.Add(1)
	return c.Store.Complete(ctx, comp)
}

func (c *cachedStore) CreateSession(ctx context.Context, s *Session) error {
	defer c.writes.Add(1)
	return c.Store.CreateSession(ctx, s)
}

func (c *cachedStore) UpdateSession(ctx context.Context, s *Session, changes map[string]string) error {
	defer c.writes.Add(1)
	return c.Store.UpdateSession(ctx, s, changes)
}

func (c *cachedStore) SelectAccount(ctx context.Context, sessionID, toolkit, accountID string) error {
	defer c.writes.Add(1)
	return c.Store.SelectAccount(ctx, sessionID, toolkit, accountID)
}

func (c *cachedStore) Sweep(ctx context.Context, now time.Time, p Retention) (Swept, error) {
	defer c.writes.Add(1)
	return c.Store.Sweep(ctx, now, p)
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
