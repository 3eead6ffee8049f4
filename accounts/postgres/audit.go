package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"switchboard/accounts"
)

// auditColumns is the column list scanAudit reads, in its order.
const auditColumns = `seq, at, user_id, session_id, via, tool, toolkit, account_id, account_alias,
	account_label, selected_by, outcome, upstream_status, latency_us, args_hash, confirmation_id`

// appendAuditQuery records one toolkit call.
const appendAuditQuery = `INSERT INTO audit (at, user_id, session_id, via, tool, toolkit,
	account_id, account_alias, account_label, selected_by, outcome, upstream_status, latency_us,
	args_hash, confirmation_id)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING seq`

// The listings of the trail, one fixed text per combination of filters,
// each served by an index in seq order (audit_user, audit_account, the
// primary key).
const (
	auditAllQuery = `SELECT ` + auditColumns + ` FROM audit
		WHERE seq < $1 AND at >= $2 ORDER BY seq DESC LIMIT $3`
	auditUserQuery = `SELECT ` + auditColumns + ` FROM audit
		WHERE seq < $1 AND at >= $2 AND user_id = $4 ORDER BY seq DESC LIMIT $3`
	auditAccountQuery = `SELECT ` + auditColumns + ` FROM audit
		WHERE seq < $1 AND at >= $2 AND account_id = $4 ORDER BY seq DESC LIMIT $3`
	auditUserAccountQuery = `SELECT ` + auditColumns + ` FROM audit
		WHERE seq < $1 AND at >= $2 AND account_id = $4 AND user_id = $5 ORDER BY seq DESC LIMIT $3`
)

// AppendAudit records the entries and sets each one's Seq, in one round
// trip and one implicit transaction. As TouchAccount does, it does not
// wait for the server to flush its log (synchronous_commit off, for this
// one transaction): a crash of the database server may lose the last
// entries, and nothing else.
func (d *DB) AppendAudit(ctx context.Context, entries []*accounts.AuditEntry) error {
	b := &pgx.Batch{}
	b.Queue(`SET LOCAL synchronous_commit = off`)
	for _, e := range entries {
		b.Queue(appendAuditQuery, ts(e.At), e.UserID, e.SessionID, e.Via, e.Tool, e.Toolkit,
			e.AccountID, e.AccountAlias, e.AccountLabel, string(e.SelectedBy), e.Outcome, e.UpstreamStatus,
			e.Latency.Microseconds(), e.ArgsHash, e.ConfirmationID).QueryRow(func(row pgx.Row) error {
			return row.Scan(&e.Seq)
		})
	}
	if err := d.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres: append audit: %w", err)
	}
	return nil
}

// Audit returns the entries q selects, newest first.
func (d *DB) Audit(ctx context.Context, q accounts.AuditQuery) ([]*accounts.AuditEntry, error) {
	if q.Limit <= 0 {
		return nil, errors.New("postgres: audit: the limit must be positive")
	}
	before := q.Before
	if before <= 0 {
		before = math.MaxInt64
	}
	since := pgtype.Timestamptz{InfinityModifier: pgtype.NegativeInfinity, Valid: true}
	if !q.Since.IsZero() {
		since = ts(q.Since)
	}
	args := []any{before, since, q.Limit}
	query := auditAllQuery
	switch {
	case q.UserID != "" && q.AccountID != "":
		query, args = auditUserAccountQuery, append(args, q.AccountID, q.UserID)
	case q.UserID != "":
		query, args = auditUserQuery, append(args, q.UserID)
	case q.AccountID != "":
		query, args = auditAccountQuery, append(args, q.AccountID)
	}
	rows, _ := d.pool.Query(ctx, query, args...)
	list, err := pgx.CollectRows(rows, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("postgres: audit: %w", err)
	}
	return list, nil
}

func scanAudit(row pgx.CollectableRow) (*accounts.AuditEntry, error) {
	var (
		e      accounts.AuditEntry
		at     pgtype.Timestamptz
		by     string
		micros int64
	)
	err := row.Scan(&e.Seq, &at, &e.UserID, &e.SessionID, &e.Via, &e.Tool, &e.Toolkit,
		&e.AccountID, &e.AccountAlias, &e.AccountLabel, &by, &e.Outcome, &e.UpstreamStatus,
		&micros, &e.ArgsHash, &e.ConfirmationID)
	if err != nil {
		return nil, err
	}
	e.At = timeOf(at)
	e.SelectedBy = accounts.SelectedBy(by)
	e.Latency = time.Duration(micros) * time.Microsecond
	return &e, nil
}

// confirmationColumns is the column list scanConfirmation reads.
const confirmationColumns = `id, user_id, session_id, account_id, tool, args_hash, token_hash, summary,
	created_at, expires_at, decided_at, approved, used_at`

// CreateConfirmation inserts c.
func (d *DB) CreateConfirmation(ctx context.Context, c *accounts.Confirmation) error {
	var token pgtype.Text
	if c.TokenHash != "" {
		token = pgtype.Text{String: c.TokenHash, Valid: true}
	}
	_, err := d.pool.Exec(ctx, `INSERT INTO confirmations (`+confirmationColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		c.ID, c.UserID, c.SessionID, c.AccountID, c.Tool, c.ArgsHash, token, c.Summary,
		ts(c.CreatedAt), ts(c.ExpiresAt), ts(c.DecidedAt), c.Approved, ts(c.UsedAt))
	if err != nil {
		return fmt.Errorf("postgres: create confirmation: %w", err)
	}
	return nil
}

// Confirmation returns the confirmation id of userID, or
// accounts.ErrNotFound.
func (d *DB) Confirmation(ctx context.Context, userID, id string) (*accounts.Confirmation, error) {
	rows, _ := d.pool.Query(ctx, `SELECT `+confirmationColumns+` FROM confirmations WHERE id = $1 AND user_id = $2`, id, userID)
	return oneConfirmation(rows)
}

// ConfirmationByToken returns the confirmation of a link token hash, or
// accounts.ErrNotFound.
func (d *DB) ConfirmationByToken(ctx context.Context, tokenHash string) (*accounts.Confirmation, error) {
	rows, _ := d.pool.Query(ctx, `SELECT `+confirmationColumns+` FROM confirmations WHERE token_hash = $1`, tokenHash)
	return oneConfirmation(rows)
}

// DecideConfirmation records the answer of a pending, unexpired
// confirmation in one statement, so that two answers cannot both land.
func (d *DB) DecideConfirmation(ctx context.Context, userID, id string, approved bool, at time.Time) error {
	tag, err := d.pool.Exec(ctx, `UPDATE confirmations SET decided_at = $1, approved = $2
		WHERE id = $3 AND user_id = $4 AND decided_at IS NULL AND expires_at > $1`,
		ts(at), approved, id, userID)
	if err != nil {
		return fmt.Errorf("postgres: decide confirmation: %w", err)
	}
	return d.settledUnlessChanged(ctx, tag, userID, id)
}

// UseConfirmation marks an approved, unused, unexpired confirmation used,
// in one statement, so that it allows one call however many race for it.
func (d *DB) UseConfirmation(ctx context.Context, userID, id string, at time.Time) error {
	tag, err := d.pool.Exec(ctx, `UPDATE confirmations SET used_at = $1
		WHERE id = $2 AND user_id = $3 AND approved AND used_at IS NULL AND expires_at > $1`,
		ts(at), id, userID)
	if err != nil {
		return fmt.Errorf("postgres: use confirmation: %w", err)
	}
	return d.settledUnlessChanged(ctx, tag, userID, id)
}

// settledUnlessChanged tells why a conditional update of a confirmation
// changed nothing: it does not exist (accounts.ErrNotFound) or was not in
// the state the update needs (accounts.ErrConfirmationSettled).
func (d *DB) settledUnlessChanged(ctx context.Context, tag pgconn.CommandTag, userID, id string) error {
	if tag.RowsAffected() > 0 {
		return nil
	}
	if _, err := d.Confirmation(ctx, userID, id); err != nil {
		return err
	}
	return accounts.ErrConfirmationSettled
}

func oneConfirmation(rows pgx.Rows) (*accounts.Confirmation, error) {
	c, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (*accounts.Confirmation, error) {
		var (
			c                               accounts.Confirmation
			token                           pgtype.Text
			created, expires, decided, used pgtype.Timestamptz
		)
		err := row.Scan(&c.ID, &c.UserID, &c.SessionID, &c.AccountID, &c.Tool, &c.ArgsHash, &token, &c.Summary,
			&created, &expires, &decided, &c.Approved, &used)
		c.TokenHash = token.String
		c.CreatedAt, c.ExpiresAt, c.DecidedAt, c.UsedAt = timeOf(created), timeOf(expires), timeOf(decided), timeOf(used)
		return &c, err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, accounts.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: confirmation: %w", err)
	}
	return c, nil
}
