package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
)

// lockKey is the SQL expression that turns the text parameter $1 into the
// 64-bit key of an advisory lock. The key includes the schema, so that two
// installations sharing one database (or the tests, a schema each) never
// hold each other's locks; two texts hashing alike only serialize work
// that need not be, which is harmless.
const lockKey = `hashtextextended(current_schema() || '/' || $1::text, 0)`

// unlockTimeout bounds the release of a lock; a connection that cannot
// release in time is closed, which releases it too.
const unlockTimeout = 5 * time.Second

// Lock holds key for this process against every process sharing the
// database, until the returned function is called. It waits until the key
// is free or ctx ends.
//
// The lock is a session-level advisory lock (pg_advisory_lock) held on a
// connection taken from the pool for the duration, rather than a lease row:
// PostgreSQL releases it the moment the holder's connection ends, so a
// replica that dies mid-refresh (SIGKILL, a lost network) frees the key at
// once instead of after a lease, and waiters are woken by the server
// instead of polling. The price is one pooled connection per lock held
// (and per replica waiting): refreshes are rare and short, and the Service
// queues the waiters of one process in memory, so only one of them per
// replica waits here.
func (d *DB) Lock(ctx context.Context, key string) (func(), error) {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("postgres: lock %s: %w", key, err)
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock(`+lockKey+`)`, key); err != nil {
		// Whether the server granted the lock just as ctx ended is
		// unknowable here; ending the connection releases it either way.
		discard(conn)
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("postgres: lock %s: %w", key, err)
	}
	return func() {
		// The release must happen even when the caller's context is done.
		uctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock(`+lockKey+`)`, key); err != nil {
			discard(conn)
			return
		}
		conn.Release()
	}, nil
}

// tryLock takes key like Lock if it is free, and reports false at once if
// another session holds it.
func (d *DB) tryLock(ctx context.Context, key string) (func(), bool, error) {
	conn, err := d.pool.Acquire(ctx)
	if err != nil {
		return nil, false, err
	}
	var got bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(`+lockKey+`)`, key).Scan(&got); err != nil {
		discard(conn)
		return nil, false, err
	}
	if !got {
		conn.Release()
		return nil, false, nil
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
		defer cancel()
		if _, err := conn.Exec(uctx, `SELECT pg_advisory_unlock(`+lockKey+`)`, key); err != nil {
			discard(conn)
			return
		}
		conn.Release()
	}, true, nil
}

// discard closes a pooled connection and gives it back, so the pool drops
// it; any session-level lock it held ends with it.
func discard(conn *pgxpool.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), unlockTimeout)
	defer cancel()
	conn.Conn().Close(ctx)
	conn.Release()
}
