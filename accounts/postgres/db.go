// Package postgres is the accounts.Store for several replicas: one
// PostgreSQL database shared by every Switchboard process, reached with pgx
// through a connection pool (pgxpool).
//
// Besides the Store it offers what only a shared server can: an
// accounts.Locker that holds across processes (advisory locks, lock.go), an
// accounts.Notifier that carries account events between replicas
// (LISTEN/NOTIFY, notify.go), and a retention sweep that one replica runs
// per period (sweep.go).
//
// Statements are prepared once per pooled connection and reused: pgx's
// default query mode (QueryExecModeCacheStatement) keeps a cache of them on
// each connection, so every query text in this package is parsed and planned
// once per connection, not once per call. Query texts are constants for
// that reason; a filter that varies picks one of a few fixed texts rather
// than building SQL. A connection pooler in transaction mode between the
// replicas and the server (PgBouncer) must therefore keep prepared
// statements per client (PgBouncer ≥ 1.21 with max_prepared_statements).
//
// Times are stored as timestamptz, which keeps microseconds: finer digits
// are dropped, and times come back in UTC. The zero time.Time is NULL.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"switchboard/accounts"
)

var (
	_ accounts.Store       = (*DB)(nil)
	_ accounts.Generations = (*DB)(nil)
	_ accounts.Locker      = (*DB)(nil)
	_ accounts.Notifier    = (*DB)(nil)
)

// Options tune Open. The zero value is usable.
type Options struct {
	// MaxConns bounds the pool of each process; zero keeps pgxpool's
	// default (four, or the number of CPUs when more). The server's
	// max_connections must cover MaxConns times the replicas, plus one
	// listening connection per replica and one per refresh under way.
	MaxConns int32
}

// DB is the PostgreSQL accounts.Store. It is safe for concurrent use, also
// by several processes (replicas) sharing the database.
type DB struct {
	pool   *pgxpool.Pool
	events *listener
}

// Open connects to the database at url (postgres://…; a search_path
// parameter selects the schema) and applies the embedded migrations it has
// not seen yet, under an advisory lock so that replicas starting together
// migrate once. The caller closes the returned DB.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// The error of ParseConfig may quote the URL, password included.
		return nil, errors.New("postgres: the database URL is not valid (want postgres://user@host:port/database?…)")
	}
	if opts.MaxConns > 0 {
		cfg.MaxConns = opts.MaxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: migrate: %w", err)
	}
	db := &DB{pool: pool}
	if db.events, err = newListener(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Close stops listening for events and closes the pool. Calling it again is
// harmless.
func (d *DB) Close() error {
	d.events.close()
	d.pool.Close()
	return nil
}

// Ping reports whether the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.pool.Ping(ctx) }

// querier is what the pool and a transaction share, so that a statement can
// run on its own or inside a larger transaction such as Complete's.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// write runs fn in a transaction, committing when fn succeeds.
func (d *DB) write(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := d.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("postgres: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback(context.WithoutCancel(ctx))
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: commit: %w", err)
	}
	return nil
}

// isAliasConflict reports whether err violates the unique index on
// (user_id, toolkit, alias_key).
func isAliasConflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && pe.ConstraintName == "accounts_alias"
}

// affected returns accounts.ErrNotFound when tag changed no row: the row does
// not exist or belongs to another user, which the store never tells apart.
func affected(tag pgconn.CommandTag) error {
	if tag.RowsAffected() == 0 {
		return accounts.ErrNotFound
	}
	return nil
}

// ts encodes t for a timestamptz parameter: NULL for the zero time.
func ts(t time.Time) pgtype.Timestamptz {
	if t.IsZero() {
		return pgtype.Timestamptz{}
	}
	return pgtype.Timestamptz{Time: t, Valid: true}
}

// timeOf decodes a timestamptz column in UTC; NULL is the zero time.
func timeOf(t pgtype.Timestamptz) time.Time {
	if !t.Valid {
		return time.Time{}
	}
	return t.Time.UTC()
}
