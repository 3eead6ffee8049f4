package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"switchboard/accounts"
)

// linkColumns is the column list scanLink reads, in its order.
const linkColumns = `token_hash, account_id, user_id, session_id, toolkit, auth_config_id,
	scheme, alias, expires_at, used_at, result_account_id, created_at, callback_url`

// CreateLink inserts l.
func (d *DB) CreateLink(ctx context.Context, l *accounts.Link) error {
	_, err := d.pool.Exec(ctx, `INSERT INTO links (`+linkColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		l.TokenHash, l.AccountID, l.UserID, l.SessionID, l.Toolkit, l.AuthConfigID,
		l.Scheme, l.Alias, ts(l.ExpiresAt), ts(l.UsedAt), l.ResultAccountID,
		ts(l.CreatedAt), l.CallbackURL)
	if err != nil {
		return fmt.Errorf("postgres: create link: %w", err)
	}
	return nil
}

// Link returns the link whose token hashes to tokenHash, or
// accounts.ErrNotFound. It is not scoped to a user: knowing the token is
// what entitles the bearer to the link.
func (d *DB) Link(ctx context.Context, tokenHash string) (*accounts.Link, error) {
	rows, _ := d.pool.Query(ctx, `SELECT `+linkColumns+` FROM links WHERE token_hash = $1`, tokenHash)
	return oneLink(rows)
}

// LatestLink returns the link most recently issued for accountID of userID
// (latest CreatedAt, then latest inserted), or accounts.ErrNotFound. It
// matches the account the link was issued for, never ResultAccountID: a
// caller waiting on a placeholder account finds its link, and through the
// link's ResultAccountID the account the authorization refreshed.
func (d *DB) LatestLink(ctx context.Context, userID, accountID string) (*accounts.Link, error) {
	rows, _ := d.pool.Query(ctx, `SELECT `+linkColumns+` FROM links
		WHERE user_id = $1 AND account_id = $2
		ORDER BY created_at DESC, ins DESC LIMIT 1`, userID, accountID)
	return oneLink(rows)
}

// LinkForAccount returns the link most recently issued for accountID,
// whoever's, or accounts.ErrNotFound; it serves the operator's API.
func (d *DB) LinkForAccount(ctx context.Context, accountID string) (*accounts.Link, error) {
	rows, _ := d.pool.Query(ctx, `SELECT `+linkColumns+` FROM links
		WHERE account_id = $1 ORDER BY created_at DESC, ins DESC LIMIT 1`, accountID)
	return oneLink(rows)
}

// Complete writes c in one transaction: it marks the link used, writes the
// account (its status decided on the stored one, see accounts.Completion)
// and its credential, discards the placeholder account and records the
// session's selection, unless the session is gone. The link's UsedAt
// becomes c.Account.ConnectedAt, or the current time if that is zero,
// since a zero UsedAt would leave the link usable.
//
// The link's row is locked first (SELECT … FOR UPDATE), so that racing
// completions of one link queue there, and each one after the winner finds
// it used. It returns accounts.ErrNotFound when the link or the account is
// unknown or belongs to a user other than the link's, accounts.ErrLinkUsed
// when the link already completed, and accounts.ErrAliasTaken when the
// account's alias collides. On any error nothing is written.
func (d *DB) Complete(ctx context.Context, c *accounts.Completion) error {
	a := c.Account
	usedAt := a.ConnectedAt
	if usedAt.IsZero() {
		usedAt = time.Now()
	}
	return d.write(ctx, func(tx pgx.Tx) error {
		var (
			linkUser string
			used     pgtype.Timestamptz
		)
		err := tx.QueryRow(ctx, `SELECT user_id, used_at FROM links WHERE token_hash = $1 FOR UPDATE`,
			c.LinkHash).Scan(&linkUser, &used)
		if errors.Is(err, pgx.ErrNoRows) {
			return accounts.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("postgres: complete: %w", err)
		}
		if used.Valid {
			return accounts.ErrLinkUsed
		}
		if linkUser != a.UserID {
			return accounts.ErrNotFound
		}
		// The placeholder goes first, so that the alias it may hold is free
		// for the surviving account to take. One already gone is what we
		// wanted anyway.
		if c.DiscardAccountID != "" && c.DiscardAccountID != a.ID {
			err := deleteAccount(ctx, tx, a.UserID, c.DiscardAccountID)
			if err != nil && !errors.Is(err, accounts.ErrNotFound) {
				return err
			}
		}
		if err := completeAccount(ctx, tx, a); err != nil {
			return err
		}
		if err := setCredential(ctx, tx, a.UserID, a.ID, c.Sealed); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE links SET used_at = $1, result_account_id = $2 WHERE token_hash = $3`,
			ts(usedAt), a.ID, c.LinkHash); err != nil {
			return fmt.Errorf("postgres: complete: %w", err)
		}
		if c.SessionID == "" {
			return nil
		}
		// A session deleted since the link was issued has no selection
		// left to make; the connection stands without it. The row lock
		// holds a deletion racing this one off until the selection is
		// written, and it then takes the selection with the session.
		var one int
		err = tx.QueryRow(ctx, `SELECT 1 FROM sessions WHERE id = $1 FOR UPDATE`, c.SessionID).Scan(&one)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("postgres: complete: %w", err)
		}
		return selectAccount(ctx, tx, c.SessionID, a.Toolkit, a.ID)
	})
}

// completeAccount writes what a completion changes of the account a, in
// tx: what UpdateAccount writes but the last-used time, which a call may
// have moved since a was read, and the status, which becomes ACTIVE unless
// the operator disabled the account (as stored now, not as a says). It
// sets a's status, reason and last-used time to what is stored.
func completeAccount(ctx context.Context, tx pgx.Tx, a *accounts.Account) error {
	var (
		status, reason string
		lastUsed       pgtype.Timestamptz
	)
	err := tx.QueryRow(ctx, `UPDATE accounts SET auth_config_id = $1, scheme = $2,
		alias = $3, alias_key = $4, label = $5, upstream_id = $6,
		status = CASE WHEN status = $7 THEN status ELSE $8 END,
		status_reason = CASE WHEN status = $7 THEN status_reason ELSE '' END,
		connected_at = $9
		WHERE id = $10 AND user_id = $11
		RETURNING status, status_reason, last_used_at`,
		a.AuthConfigID, a.Scheme, a.Alias, aliasKey(a.Alias), a.Label, a.UpstreamID,
		string(accounts.StatusInactive), string(accounts.StatusActive),
		ts(a.ConnectedAt), a.ID, a.UserID).Scan(&status, &reason, &lastUsed)
	if errors.Is(err, pgx.ErrNoRows) {
		return accounts.ErrNotFound
	}
	if isAliasConflict(err) {
		return accounts.ErrAliasTaken
	}
	if err != nil {
		return fmt.Errorf("postgres: complete: %w", err)
	}
	a.Status, a.StatusReason, a.LastUsedAt = accounts.Status(status), reason, timeOf(lastUsed)
	return nil
}

// SetLinkState records the OAuth state hash and sealed PKCE verifier of an
// unused link, replacing any earlier ones (only the latest sign-in attempt
// of a link can complete). It returns accounts.ErrNotFound for an unknown
// link and accounts.ErrLinkUsed for a used one.
func (d *DB) SetLinkState(ctx context.Context, tokenHash, stateHash string, sealedVerifier []byte) error {
	tag, err := d.pool.Exec(ctx, `UPDATE links SET state_hash = $1, verifier = $2
		WHERE token_hash = $3 AND used_at IS NULL`, stateHash, sealedVerifier, tokenHash)
	if err != nil {
		return fmt.Errorf("postgres: set link state: %w", err)
	}
	if tag.RowsAffected() == 1 {
		return nil
	}
	// Nothing changed: tell an unknown link from a used one.
	if _, err := d.Link(ctx, tokenHash); err != nil {
		return err
	}
	return accounts.ErrLinkUsed
}

// ConsumeLinkState returns the link holding stateHash and its sealed
// verifier, and clears both in the same statement, so a state works once:
// of two callbacks racing with one state, the second waits for the first's
// row lock, then finds the state gone. It returns accounts.ErrNotFound when
// no link holds it.
func (d *DB) ConsumeLinkState(ctx context.Context, stateHash string) (*accounts.Link, []byte, error) {
	var verifier []byte
	rows, _ := d.pool.Query(ctx, `WITH old AS (
			SELECT token_hash, verifier FROM links WHERE state_hash = $1 FOR UPDATE
		)
		UPDATE links SET state_hash = NULL, verifier = NULL FROM old
		WHERE links.token_hash = old.token_hash
		RETURNING links.token_hash, links.account_id, links.user_id, links.session_id,
			links.toolkit, links.auth_config_id, links.scheme, links.alias, links.expires_at,
			links.used_at, links.result_account_id, links.created_at, links.callback_url, old.verifier`,
		stateHash)
	l, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (*accounts.Link, error) {
		return scanLink(row, &verifier)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, accounts.ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("postgres: consume link state: %w", err)
	}
	return l, verifier, nil
}

// oneLink reads the single link of rows, or accounts.ErrNotFound.
func oneLink(rows pgx.Rows) (*accounts.Link, error) {
	l, err := pgx.CollectExactlyOneRow(rows, func(row pgx.CollectableRow) (*accounts.Link, error) {
		return scanLink(row)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, accounts.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: link: %w", err)
	}
	return l, nil
}

// scanLink reads one row of linkColumns, followed by the columns of extra.
func scanLink(row pgx.CollectableRow, extra ...any) (*accounts.Link, error) {
	var (
		l                        accounts.Link
		expires, used, createdAt pgtype.Timestamptz
	)
	dest := append([]any{&l.TokenHash, &l.AccountID, &l.UserID, &l.SessionID, &l.Toolkit,
		&l.AuthConfigID, &l.Scheme, &l.Alias, &expires, &used, &l.ResultAccountID, &createdAt,
		&l.CallbackURL}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	l.ExpiresAt, l.UsedAt, l.CreatedAt = timeOf(expires), timeOf(used), timeOf(createdAt)
	return &l, nil
}
