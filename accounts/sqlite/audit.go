package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"switchboard/accounts"
)

// auditColumns is the column list scanAudit reads, in its order.
const auditColumns = `seq, at, user_id, session_id, via, tool, toolkit, account_id, account_alias,
	account_label, selected_by, outcome, upstream_status, latency_us, args_hash, confirmation_id`

// AppendAudit records the entries in one write transaction, setting each
// one's Seq.
//
// The entries go in by statements of several rows each (auditChunk): a
// statement per row cost about as much again as the row itself, and the
// audit queue hands over tens of entries at a time under load. Chunk sizes
// are powers of two, so that the statement cache holds a few texts rather
// than one per batch size. seq is assigned in the order the VALUES rows are
// inserted, which is the order given; RETURNING yields the rows in no
// promised order, so the seqs it returns are sorted before they are handed
// out in that order.
func (d *DB) AppendAudit(ctx context.Context, entries []*accounts.AuditEntry) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		q := d.inTx(tx)
		for rest := entries; len(rest) > 0; {
			n := auditChunk(len(rest))
			if err := appendAuditRows(ctx, q, rest[:n]); err != nil {
				return fmt.Errorf("sqlite: append audit: %w", err)
			}
			rest = rest[n:]
		}
		return nil
	})
}

// maxAuditChunk is the most rows one INSERT carries: 15 parameters a row,
// well under SQLite's limit of 32,766.
const maxAuditChunk = 64

// auditChunk is how many of n entries the next statement takes: the
// largest power of two not above n or maxAuditChunk.
func auditChunk(n int) int {
	c := 1
	for c*2 <= n && c*2 <= maxAuditChunk {
		c *= 2
	}
	return c
}

// auditInsert is the INSERT of rows entries, built once per size.
var auditInsert sync.Map // int → string

func auditInsertQuery(rows int) string {
	if q, ok := auditInsert.Load(rows); ok {
		return q.(string)
	}
	var b strings.Builder
	b.WriteString(`INSERT INTO audit (at, user_id, session_id, via, tool, toolkit, account_id, account_alias,
		account_label, selected_by, outcome, upstream_status, latency_us, args_hash, confirmation_id) VALUES `)
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	}
	b.WriteString(` RETURNING seq`)
	q, _ := auditInsert.LoadOrStore(rows, b.String())
	return q.(string)
}

// appendAuditRows inserts entries with one statement and sets their Seq.
func appendAuditRows(ctx context.Context, q prepared, entries []*accounts.AuditEntry) error {
	args := make([]any, 0, 15*len(entries))
	for _, e := range entries {
		args = append(args, e.At.UnixNano(), e.UserID, e.SessionID, e.Via, e.Tool, e.Toolkit,
			e.AccountID, e.AccountAlias, e.AccountLabel, string(e.SelectedBy), e.Outcome, e.UpstreamStatus,
			e.Latency.Microseconds(), e.ArgsHash, e.ConfirmationID)
	}
	rows, err := q.QueryContext(ctx, auditInsertQuery(len(entries)), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	seqs := make([]int64, 0, len(entries))
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			return err
		}
		seqs = append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(seqs) != len(entries) {
		return fmt.Errorf("%d rows inserted for %d entries", len(seqs), len(entries))
	}
	slices.Sort(seqs)
	for i, e := range entries {
		e.Seq = seqs[i]
	}
	return nil
}

// Audit returns the entries q selects, newest first.
func (d *DB) Audit(ctx context.Context, q accounts.AuditQuery) ([]*accounts.AuditEntry, error) {
	if q.Limit <= 0 {
		return nil, errors.New("sqlite: audit: the limit must be positive")
	}
	before := q.Before
	if before <= 0 {
		before = math.MaxInt64
	}
	// Nanoseconds since 1970 fit an int64 from 1678 to 2262; a bound
	// beyond either end selects all or nothing.
	since := int64(math.MinInt64)
	switch {
	case q.Since.IsZero() || q.Since.Year() < 1678:
	case q.Since.Year() >= 2262:
		since = math.MaxInt64
	default:
		since = q.Since.UnixNano()
	}
	rows, err := d.q().QueryContext(ctx, `SELECT `+auditColumns+` FROM audit
		WHERE seq < ? AND (? = '' OR user_id = ?) AND (? = '' OR account_id = ?) AND at >= ?
		ORDER BY seq DESC LIMIT ?`,
		before, q.UserID, q.UserID, q.AccountID, q.AccountID, since, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: audit: %w", err)
	}
	defer rows.Close()
	var list []*accounts.AuditEntry
	for rows.Next() {
		var (
			e          accounts.AuditEntry
			at, micros int64
			by         string
		)
		if err := rows.Scan(&e.Seq, &at, &e.UserID, &e.SessionID, &e.Via, &e.Tool, &e.Toolkit,
			&e.AccountID, &e.AccountAlias, &e.AccountLabel, &by, &e.Outcome, &e.UpstreamStatus,
			&micros, &e.ArgsHash, &e.ConfirmationID); err != nil {
			return nil, fmt.Errorf("sqlite: audit: %w", err)
		}
		e.At = time.Unix(0, at).UTC()
		e.SelectedBy = accounts.SelectedBy(by)
		e.Latency = time.Duration(micros) * time.Microsecond
		list = append(list, &e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: audit: %w", err)
	}
	return list, nil
}

// confirmationColumns is the column list scanConfirmation reads.
const confirmationColumns = `id, user_id, session_id, account_id, tool, args_hash, token_hash, summary,
	created_at, expires_at, decided_at, approved, used_at`

// CreateConfirmation inserts c.
func (d *DB) CreateConfirmation(ctx context.Context, c *accounts.Confirmation) error {
	var token sql.NullString
	if c.TokenHash != "" {
		token = sql.NullString{String: c.TokenHash, Valid: true}
	}
	_, err := d.q().ExecContext(ctx, `INSERT INTO confirmations (`+confirmationColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.ID, c.UserID, c.SessionID, c.AccountID, c.Tool, c.ArgsHash, token, c.Summary,
		nanos(c.CreatedAt), c.ExpiresAt.UnixNano(), nanos(c.DecidedAt), c.Approved, nanos(c.UsedAt))
	if err != nil {
		return fmt.Errorf("sqlite: create confirmation: %w", err)
	}
	return nil
}

// Confirmation returns the confirmation id of userID, or
// accounts.ErrNotFound.
func (d *DB) Confirmation(ctx context.Context, userID, id string) (*accounts.Confirmation, error) {
	return scanConfirmation(d.q().QueryRowContext(ctx,
		`SELECT `+confirmationColumns+` FROM confirmations WHERE id = ? AND user_id = ?`, id, userID))
}

// ConfirmationByToken returns the confirmation of a link token hash, or
// accounts.ErrNotFound.
func (d *DB) ConfirmationByToken(ctx context.Context, tokenHash string) (*accounts.Confirmation, error) {
	return scanConfirmation(d.q().QueryRowContext(ctx,
		`SELECT `+confirmationColumns+` FROM confirmations WHERE token_hash = ?`, tokenHash))
}

// DecideConfirmation records the answer of a pending, unexpired
// confirmation in one statement, so that two answers cannot both land.
func (d *DB) DecideConfirmation(ctx context.Context, userID, id string, approved bool, at time.Time) error {
	res, err := d.q().ExecContext(ctx, `UPDATE confirmations SET decided_at = ?, approved = ?
		WHERE id = ? AND user_id = ? AND decided_at IS NULL AND expires_at > ?`,
		at.UnixNano(), approved, id, userID, at.UnixNano())
	if err != nil {
		return fmt.Errorf("sqlite: decide confirmation: %w", err)
	}
	return d.settledUnlessChanged(ctx, res, userID, id)
}

// UseConfirmation marks an approved, unused, unexpired confirmation used,
// in one statement, so that it allows one call however many race for it.
func (d *DB) UseConfirmation(ctx context.Context, userID, id string, at time.Time) error {
	res, err := d.q().ExecContext(ctx, `UPDATE confirmations SET used_at = ?
		WHERE id = ? AND user_id = ? AND approved = 1 AND used_at IS NULL AND expires_at > ?`,
		at.UnixNano(), id, userID, at.UnixNano())
	if err != nil {
		return fmt.Errorf("sqlite: use confirmation: %w", err)
	}
	return d.settledUnlessChanged(ctx, res, userID, id)
}

// settledUnlessChanged tells why a conditional update of a confirmation
// changed nothing: it does not exist (accounts.ErrNotFound) or was not in
// the state the update needs (accounts.ErrConfirmationSettled).
func (d *DB) settledUnlessChanged(ctx context.Context, res sql.Result, userID, id string) error {
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return err
	}
	if _, err := d.Confirmation(ctx, userID, id); err != nil {
		return err
	}
	return accounts.ErrConfirmationSettled
}

func scanConfirmation(row *sql.Row) (*accounts.Confirmation, error) {
	var (
		c                      accounts.Confirmation
		token                  sql.NullString
		created, decided, used sql.NullInt64
		expires                int64
	)
	err := row.Scan(&c.ID, &c.UserID, &c.SessionID, &c.AccountID, &c.Tool, &c.ArgsHash, &token, &c.Summary,
		&created, &expires, &decided, &c.Approved, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accounts.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: confirmation: %w", err)
	}
	c.TokenHash = token.String
	c.CreatedAt, c.DecidedAt, c.UsedAt = timeOf(created), timeOf(decided), timeOf(used)
	c.ExpiresAt = time.Unix(0, expires).UTC()
	return &c, nil
}
