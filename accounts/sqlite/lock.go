package sqlite

import (
	"context"
	"crypto/rand"
	"fmt"
	"time"

	"switchboard/accounts"
)

var _ accounts.Locker = (*DB)(nil)

// lockLease bounds how long a lock outlives a holder that died without
// releasing it; longer than any refresh (30 s) takes.
const lockLease = time.Minute

// lockPoll is how often a waiter retries.
const lockPoll = 20 * time.Millisecond

// Lock holds key for this process against every process sharing the file:
// a lease row, taken when absent or lapsed, released by the returned
// function. It waits, polling, until the key is free or ctx ends.
func (d *DB) Lock(ctx context.Context, key string) (func(), error) {
	holder := rand.Text()
	for {
		now := time.Now()
		res, err := d.q().ExecContext(ctx, `INSERT INTO locks (key, holder, expires_at) VALUES (?, ?, ?)
			ON CONFLICT (key) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
			WHERE locks.expires_at < ?`, key, holder, now.Add(lockLease).UnixNano(), now.UnixNano())
		if err != nil {
			return nil, fmt.Errorf("sqlite: lock %s: %w", key, err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return func() {
				// The release must happen even when the caller's context is
				// done, or the key stays held until the lease lapses.
				_, _ = d.q().ExecContext(context.Background(), `DELETE FROM locks WHERE key = ? AND holder = ?`, key, holder)
			}, nil
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(lockPoll):
		}
	}
}
