package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"switchboard/accounts"
)

// sweepLock names the advisory lock a replica holds while it sweeps.
const sweepLock = "switchboard:sweep"

// TouchSession moves the session's UpdatedAt forward to at, never back. It
// returns accounts.ErrNotFound when there is no such session.
func (d *DB) TouchSession(ctx context.Context, id string, at time.Time) error {
	tag, err := d.pool.Exec(ctx, `UPDATE sessions SET updated_at = greatest(updated_at, $1) WHERE id = $2`, ts(at), id)
	if err != nil {
		return fmt.Errorf("postgres: touch session: %w", err)
	}
	return affected(tag)
}

// CountSessions returns how many sessions of userID are stored.
func (d *DB) CountSessions(ctx context.Context, userID string) (int, error) {
	var n int
	if err := d.pool.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE user_id = $1`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("postgres: count sessions: %w", err)
	}
	return n, nil
}

// Sweep deletes what p says has outlived its use as of now (see
// accounts.Retention), in one transaction. One replica sweeps at a time:
// the others find the sweep lock taken and return zero counts at once,
// rather than queueing to delete what is already gone. Every delete has an
// index to find its rows (accounts_unfinished, links_expires,
// sessions_updated, sessions_expires, confirmations_expires, audit_at).
func (d *DB) Sweep(ctx context.Context, now time.Time, p accounts.Retention) (accounts.Swept, error) {
	unlock, ok, err := d.tryLock(ctx, sweepLock)
	if err != nil {
		return accounts.Swept{}, fmt.Errorf("postgres: sweep lock: %w", err)
	}
	if !ok {
		return accounts.Swept{}, nil
	}
	defer unlock()
	var n accounts.Swept
	err = d.write(ctx, func(tx pgx.Tx) error {
		if p.Failed > 0 {
			// Credentials and selections go with the accounts (ON DELETE
			// CASCADE); links name accounts without a foreign key.
			rows, _ := tx.Query(ctx, `WITH gone AS (
					DELETE FROM accounts a
					WHERE status IN ('INITIATED', 'FAILED') AND connected_at IS NULL AND created_at < $1
					AND NOT EXISTS (SELECT 1 FROM links l WHERE l.user_id = a.user_id
						AND l.account_id = a.id AND l.used_at IS NULL AND l.expires_at > $2)
					RETURNING id, user_id
				), links_gone AS (
					DELETE FROM links l USING gone WHERE l.user_id = gone.user_id AND l.account_id = gone.id
				)
				SELECT count(*) FROM gone`, ts(now.Add(-p.Failed)), ts(now))
			var err error
			if n.Accounts, err = pgx.CollectExactlyOneRow(rows, pgx.RowTo[int64]); err != nil {
				return fmt.Errorf("postgres: sweep accounts: %w", err)
			}
		}
		if p.Links > 0 {
			tag, err := tx.Exec(ctx, `DELETE FROM links WHERE expires_at < $1`, ts(now.Add(-p.Links)))
			if err != nil {
				return fmt.Errorf("postgres: sweep links: %w", err)
			}
			n.Links = tag.RowsAffected()
		}
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at <= $1`, ts(now))
		if err != nil {
			return fmt.Errorf("postgres: sweep sessions: %w", err)
		}
		n.Sessions = tag.RowsAffected()
		if p.SessionIdle > 0 {
			tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE expires_at IS NULL AND updated_at < $1`, ts(now.Add(-p.SessionIdle)))
			if err != nil {
				return fmt.Errorf("postgres: sweep sessions: %w", err)
			}
			n.Sessions += tag.RowsAffected()
		}
		if tag, err = tx.Exec(ctx, `DELETE FROM confirmations WHERE expires_at < $1`, ts(now)); err != nil {
			return fmt.Errorf("postgres: sweep confirmations: %w", err)
		}
		n.Confirmations = tag.RowsAffected()
		if p.Audit > 0 {
			tag, err := tx.Exec(ctx, `DELETE FROM audit WHERE at < $1`, ts(now.Add(-p.Audit)))
			if err != nil {
				return fmt.Errorf("postgres: sweep audit: %w", err)
			}
			n.Audit = tag.RowsAffected()
		}
		return nil
	})
	if err != nil {
		return accounts.Swept{}, err
	}
	return n, nil
}
