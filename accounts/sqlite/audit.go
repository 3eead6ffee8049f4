package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"switchboard/accounts"
)

// auditColumns is the column list scanAudit reads, in its order.
const auditColumns = `seq, at, user_id, session_id, via, tool, toolkit, account_id, account_alias,
	account_label, selected_by, outcome, upstream_status, latency_us, args_hash, confirmation_id`

// AppendAudit records the entries in one write transaction, setting each
// one's Seq.
func (d *DB) AppendAudit(ctx context.Context, entries []*accounts.AuditEntry) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		q := d.inTx(tx)
		for _, e := range entries {
			err := q.QueryRowContext(ctx, `INSERT INTO audit (at, user_id, session_id, via, tool, toolkit,
				account_id, account_alias, account_label, selected_by, outcome, upstream_status, latency_us,
				args_hash, confirmation_id)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
				e.At.UnixNano(), e.UserID, e.SessionID, e.Via, e.Tool, e.Toolkit,
				e.AccountID, e.AccountAlias, e.AccountLabel, string(e.SelectedBy), e.Outcome, e.UpstreamStatus,
				e.Latency.Microseconds(), e.ArgsHash, e.ConfirmationID).Scan(&e.Seq)
			if err != nil {
				return fmt.Errorf("sqlite: append audit: %w", err)
			}
		}
		return nil
	})
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
