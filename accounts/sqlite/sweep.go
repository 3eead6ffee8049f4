package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"switchboard/accounts"
)

// TouchSession moves the session's UpdatedAt forward to at, never back. It
// returns accounts.ErrNotFound when there is no such session.
func (d *DB) TouchSession(ctx context.Context, id string, at time.Time) error {
	res, err := d.q().ExecContext(ctx,
		`UPDATE sessions SET updated_at = max(coalesce(updated_at, 0), ?) WHERE id = ?`, at.UnixNano(), id)
	if err != nil {
		return fmt.Errorf("sqlite: touch session: %w", err)
	}
	return affected(res)
}

// CountSessions returns how many sessions of userID are stored.
func (d *DB) CountSessions(ctx context.Context, userID string) (int, error) {
	var n int
	if err := d.q().QueryRowContext(ctx, `SELECT count(*) FROM sessions WHERE user_id = ?`, userID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlite: count sessions: %w", err)
	}
	return n, nil
}

// Sweep deletes, in one write transaction, what p says has outlived its
// use as of now (see accounts.Retention), and lapsed lock leases. Several
// processes on one file sweep one after the other; the second finds
// nothing left.
func (d *DB) Sweep(ctx context.Context, now time.Time, p accounts.Retention) (accounts.Swept, error) {
	var n accounts.Swept
	err := d.write(ctx, func(tx *sql.Tx) error {
		var err error
		if p.Failed > 0 {
			// The accounts first: their links go with them, and the count of
			// links below is of those expired on their own.
			ids := `SELECT id FROM accounts
				WHERE status IN ('FAILED', 'INITIATED') AND connected_at IS NULL AND created_at < ?
				AND NOT EXISTS (SELECT 1 FROM links l WHERE l.user_id = accounts.user_id
					AND l.account_id = accounts.id AND l.used_at IS NULL AND l.expires_at > ?)`
			cutoff := now.Add(-p.Failed).UnixNano()
			for _, stmt := range []string{
				`DELETE FROM links WHERE account_id IN (` + ids + `)`,
				`DELETE FROM credentials WHERE account_id IN (` + ids + `)`,
				`DELETE FROM session_selections WHERE account_id IN (` + ids + `)`,
			} {
				if _, err := tx.ExecContext(ctx, stmt, cutoff, now.UnixNano()); err != nil {
					return fmt.Errorf("sqlite: sweep accounts: %w", err)
				}
			}
			if n.Accounts, err = count(tx.ExecContext(ctx, `DELETE FROM accounts WHERE id IN (`+ids+`)`, cutoff, now.UnixNano())); err != nil {
				return fmt.Errorf("sqlite: sweep accounts: %w", err)
			}
		}
		if p.Links > 0 {
			if n.Links, err = count(tx.ExecContext(ctx, `DELETE FROM links WHERE expires_at < ?`,
				now.Add(-p.Links).UnixNano())); err != nil {
				return fmt.Errorf("sqlite: sweep links: %w", err)
			}
		}
		idleCutoff := sql.NullInt64{}
		if p.SessionIdle > 0 {
			idleCutoff = sql.NullInt64{Int64: now.Add(-p.SessionIdle).UnixNano(), Valid: true}
		}
		if n.Sessions, err = count(tx.ExecContext(ctx, `DELETE FROM sessions
			WHERE (expires_at IS NOT NULL AND expires_at <= ?) OR (expires_at IS NULL AND updated_at < ?)`,
			now.UnixNano(), idleCutoff)); err != nil {
			return fmt.Errorf("sqlite: sweep sessions: %w", err)
		}
		if n.Confirmations, err = count(tx.ExecContext(ctx, `DELETE FROM confirmations WHERE expires_at < ?`, now.UnixNano())); err != nil {
			return fmt.Errorf("sqlite: sweep confirmations: %w", err)
		}
		if p.Audit > 0 {
			if n.Audit, err = count(tx.ExecContext(ctx, `DELETE FROM audit WHERE at < ?`, now.Add(-p.Audit).UnixNano())); err != nil {
				return fmt.Errorf("sqlite: sweep audit: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM locks WHERE expires_at < ?`, now.UnixNano()); err != nil {
			return fmt.Errorf("sqlite: sweep locks: %w", err)
		}
		return nil
	})
	if err != nil {
		return accounts.Swept{}, err
	}
	return n, nil
}

// count returns the rows a statement deleted.
func count(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
