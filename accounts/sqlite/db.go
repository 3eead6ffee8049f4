// Package sqlite is the embedded accounts.Store: one SQLite file in the data
// dir, opened with modernc.org/sqlite (pure Go, no cgo).
//
// Several processes may share the file — two stdio servers started by two
// desktop clients on one data dir — so the database runs in WAL mode (readers
// never wait for the writer), every connection waits up to five seconds for
// a lock instead of failing at once, and every write transaction takes the
// write lock when it begins (BEGIN IMMEDIATE). A transaction that started as
// a reader and later tried to write could otherwise fail with SQLITE_BUSY
// without waiting, because SQLite cannot upgrade it once another connection
// has written.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"switchboard/accounts"
)

var (
	_ accounts.Store       = (*DB)(nil)
	_ accounts.Generations = (*DB)(nil)
	_ accounts.Stamper     = (*DB)(nil)
)

// busyTimeout is how long a connection waits for another one's lock before
// giving up with SQLITE_BUSY. Write transactions here are short, so a wait
// this long means something is stuck.
const busyTimeout = 5 * time.Second

// DB is the SQLite accounts.Store. It is safe for concurrent use, also by
// several processes opening the same file.
type DB struct {
	db    *sql.DB
	stmts *stmts
	watch *shmWatch // nil when the WAL index could not be mapped
}

// q runs queries through the statement cache; inTx does so inside tx.
func (d *DB) q() prepared              { return prepared{s: d.stmts} }
func (d *DB) inTx(tx *sql.Tx) prepared { return prepared{s: d.stmts, tx: tx} }

// Open opens the SQLite database at path, creating the file if needed, and
// applies the embedded migrations that it has not seen yet. The caller
// closes the returned DB.
func Open(ctx context.Context, path string) (*DB, error) {
	db, err := sql.Open("sqlite", dsn(path))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// database/sql keeps two idle connections by default: under 16
	// concurrent requests the others were opened and closed per request,
	// each paying the DSN's pragmas and the statement cache's prepares
	// again (a seventh of a request's CPU in the bench's profiles).
	db.SetMaxIdleConns(16)
	if err := migrateRetrying(ctx, db); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: migrate %s: %w", path, err)
	}
	d := &DB{db: db, stmts: &stmts{db: db}}
	// Without the mapping the store still works; only the cache in front
	// of it asks the database more often.
	d.watch, _ = watchShm(ctx, db, path)
	return d, nil
}

// Stamp implements accounts.Stamper from the WAL-index header (see
// stamp_unix.go).
func (d *DB) Stamp() (uint64, bool) {
	if d.watch == nil {
		return 0, false
	}
	return d.watch.stamp()
}

// migrateRetrying runs migrate, trying again while the file is busy. When
// several processes open a new file at once (two desktop clients starting
// the first time), switching it to WAL needs a lock that SQLite does not
// wait for even with a busy timeout: the losers get SQLITE_BUSY at once.
// The winner finishes within milliseconds, so a short retry loop suffices.
func migrateRetrying(ctx context.Context, db *sql.DB) error {
	deadline := time.Now().Add(busyTimeout)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 250*time.Millisecond) {
		err := migrate(ctx, db)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

// isBusy reports whether err is SQLite's "database is locked".
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqlite3.SQLITE_BUSY
}

// dsn builds the data source name for path. The pragmas travel in the DSN,
// not in one-off statements, because database/sql opens connections as it
// pleases and each of them needs them.
func dsn(path string) string {
	// A file: URI keeps a '?' or '#' in the path from being read as the start
	// of the parameters; SQLite decodes the escapes.
	escaped := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	params := []string{
		fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeout.Milliseconds()),
		"_pragma=journal_mode(WAL)",
		"_pragma=foreign_keys(1)",
		// NORMAL is durable across application crashes in WAL mode; only a
		// power loss can undo the last commits, which FULL would prevent at
		// the cost of an fsync per commit.
		"_pragma=synchronous(NORMAL)",
		"_txlock=immediate",
	}
	return "file:" + escaped + "?" + strings.Join(params, "&")
}

// Close closes the database. Calling it again is harmless.
func (d *DB) Close() error {
	d.stmts.close()
	if d.watch != nil {
		d.watch.close()
	}
	return d.db.Close()
}

// write runs fn in a transaction that holds the write lock from its first
// statement (the DSN's _txlock=immediate), committing when fn succeeds.
func (d *DB) write(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := d.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	return nil
}

// isAliasConflict reports whether err is the violation of the unique index
// on (user_id, toolkit, alias_key).
func isAliasConflict(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) &&
		se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE &&
		strings.Contains(se.Error(), "alias_key")
}

// affected returns accounts.ErrNotFound when res changed no row: the row does
// not exist or belongs to another user, which the store never tells apart.
func affected(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlite: rows affected: %w", err)
	}
	if n == 0 {
		return accounts.ErrNotFound
	}
	return nil
}

// nanos encodes t as UTC unix nanoseconds, and the zero time as NULL, since
// the zero time.Time lies outside the range UnixNano can represent.
func nanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixNano(), Valid: true}
}

// timeOf decodes what nanos encoded, in UTC.
func timeOf(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}
