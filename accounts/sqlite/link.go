package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"switchboard/accounts"
)

// linkColumns is the column list scanLink reads, in its order.
const linkColumns = `token_hash, account_id, user_id, session_id, toolkit, auth_config_id,
	scheme, alias, expires_at, used_at, result_account_id, created_at, callback_url`

// CreateLink inserts l.
func (d *DB) CreateLink(ctx context.Context, l *accounts.Link) error {
	_, err := d.db.ExecContext(ctx, `INSERT INTO links (`+linkColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.TokenHash, l.AccountID, l.UserID, l.SessionID, l.Toolkit, l.AuthConfigID,
		l.Scheme, l.Alias, nanos(l.ExpiresAt), nanos(l.UsedAt), l.ResultAccountID,
		nanos(l.CreatedAt), l.CallbackURL)
	if err != nil {
		return fmt.Errorf("sqlite: create link: %w", err)
	}
	return nil
}

// Link returns the link whose token hashes to tokenHash, or
// accounts.ErrNotFound. It is not scoped to a user: knowing the token is
// what entitles the bearer to the link.
func (d *DB) Link(ctx context.Context, tokenHash string) (*accounts.Link, error) {
	row := d.db.QueryRowContext(ctx,
		`SELECT `+linkColumns+` FROM links WHERE token_hash = ?`, tokenHash)
	return linkOf(row)
}

// LatestLink returns the link most recently issued for accountID of userID
// (latest CreatedAt, then latest inserted), or accounts.ErrNotFound. It
// matches the account the link was issued for, never ResultAccountID: a
// caller waiting on a placeholder account finds its link, and through the
// link's ResultAccountID the account the authorization refreshed.
func (d *DB) LatestLink(ctx context.Context, userID, accountID string) (*accounts.Link, error) {
	row := d.db.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM links
		WHERE user_id = ? AND account_id = ?
		ORDER BY created_at DESC, rowid DESC LIMIT 1`, userID, accountID)
	return linkOf(row)
}

// LinkForAccount returns the link most recently issued for accountID,
// whoever's, or accounts.ErrNotFound.
func (d *DB) LinkForAccount(ctx context.Context, accountID string) (*accounts.Link, error) {
	row := d.db.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM links
		WHERE account_id = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`, accountID)
	return linkOf(row)
}

// Complete writes c in one transaction: it marks the link used, writes the
// account (its status decided on the stored one, see accounts.Completion)
// and its credential, discards the placeholder account and records the
// session's selection, unless the session is gone. The link's UsedAt
// becomes c.Account.ConnectedAt, the moment the authorization completed
// (the Completion carries no time of its own), or the current time if
// that is zero, since a zero UsedAt would leave the link usable.
//
// It returns accounts.ErrNotFound when the link or the account is unknown
// or belongs to a user other than the link's, accounts.ErrLinkUsed when
// the link already completed, and accounts.ErrAliasTaken when the
// account's alias collides. On any error nothing is written.
func (d *DB) Complete(ctx context.Context, c *accounts.Completion) error {
	a := c.Account
	usedAt := a.ConnectedAt
	if usedAt.IsZero() {
		usedAt = time.Now()
	}
	return d.write(ctx, func(tx *sql.Tx) error {
		var (
			linkUser string
			used     sql.NullInt64
		)
		err := tx.QueryRowContext(ctx,
			`SELECT user_id, used_at FROM links WHERE token_hash = ?`, c.LinkHash).Scan(&linkUser, &used)
		if errors.Is(err, sql.ErrNoRows) {
			return accounts.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("sqlite: complete: %w", err)
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
		if _, err := tx.ExecContext(ctx,
			`UPDATE links SET used_at = ?, result_account_id = ? WHERE token_hash = ?`,
			nanos(usedAt), a.ID, c.LinkHash); err != nil {
			return fmt.Errorf("sqlite: complete: %w", err)
		}
		if c.SessionID == "" {
			return nil
		}
		// A session deleted since the link was issued has no selection
		// left to make; the connection stands without it.
		var one int
		err = tx.QueryRowContext(ctx, `SELECT 1 FROM sessions WHERE id = ?`, c.SessionID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("sqlite: complete: %w", err)
		}
		return selectAccount(ctx, tx, c.SessionID, a.Toolkit, a.ID)
	})
}

// completeAccount writes what a completion changes of the account a, in
// tx: what UpdateAccount writes but the last-used time, which a call may
// have moved since a was read, and the status, which becomes ACTIVE unless
// the operator disabled the account (as stored now, not as a says). It
// sets a's status, reason and last-used time to what is stored.
func completeAccount(ctx context.Context, tx *sql.Tx, a *accounts.Account) error {
	var (
		status, reason string
		lastUsed       sql.NullInt64
	)
	err := tx.QueryRowContext(ctx, `UPDATE accounts SET auth_config_id = ?, scheme = ?,
		alias = ?, alias_key = ?, label = ?, upstream_id = ?,
		status = CASE WHEN status = ? THEN status ELSE ? END,
		status_reason = CASE WHEN status = ? THEN status_reason ELSE '' END,
		connected_at = ?
		WHERE id = ? AND user_id = ?
		RETURNING status, status_reason, last_used_at`,
		a.AuthConfigID, a.Scheme, a.Alias, aliasKey(a.Alias), a.Label, a.UpstreamID,
		string(accounts.StatusInactive), string(accounts.StatusActive), string(accounts.StatusInactive),
		nanos(a.ConnectedAt), a.ID, a.UserID).Scan(&status, &reason, &lastUsed)
	if errors.Is(err, sql.ErrNoRows) {
		return accounts.ErrNotFound
	}
	if isAliasConflict(err) {
		return accounts.ErrAliasTaken
	}
	if err != nil {
		return fmt.Errorf("sqlite: complete: %w", err)
	}
	a.Status, a.StatusReason, a.LastUsedAt = accounts.Status(status), reason, timeOf(lastUsed)
	return nil
}

// linkOf scans a single-row query of linkColumns.
func linkOf(row *sql.Row) (*accounts.Link, error) {
	var (
		l                        accounts.Link
		expires, used, createdAt sql.NullInt64
	)
	err := row.Scan(&l.TokenHash, &l.AccountID, &l.UserID, &l.SessionID, &l.Toolkit,
		&l.AuthConfigID, &l.Scheme, &l.Alias, &expires, &used, &l.ResultAccountID, &createdAt, &l.CallbackURL)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accounts.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: link: %w", err)
	}
	l.ExpiresAt, l.UsedAt, l.CreatedAt = timeOf(expires), timeOf(used), timeOf(createdAt)
	return &l, nil
}

// SetLinkState records the OAuth state hash and sealed PKCE verifier of an
// unused link, replacing any earlier ones (only the latest sign-in attempt
// of a link can complete). It returns accounts.ErrNotFound for an unknown
// link and accounts.ErrLinkUsed for a used one.
func (d *DB) SetLinkState(ctx context.Context, tokenHash, stateHash string, sealedVerifier []byte) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		var used sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT used_at FROM links WHERE token_hash = ?`, tokenHash).Scan(&used)
		if errors.Is(err, sql.ErrNoRows) {
			return accounts.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("sqlite: set link state: %w", err)
		}
		if used.Valid {
			return accounts.ErrLinkUsed
		}
		if _, err := tx.ExecContext(ctx, `UPDATE links SET state_hash = ?, verifier = ? WHERE token_hash = ?`,
			stateHash, sealedVerifier, tokenHash); err != nil {
			return fmt.Errorf("sqlite: set link state: %w", err)
		}
		return nil
	})
}

// ConsumeLinkState returns the link holding stateHash and its sealed
// verifier, and clears both in the same transaction, so a state works once.
// It returns accounts.ErrNotFound when no link holds it.
func (d *DB) ConsumeLinkState(ctx context.Context, stateHash string) (*accounts.Link, []byte, error) {
	var (
		l        *accounts.Link
		verifier []byte
	)
	err := d.write(ctx, func(tx *sql.Tx) error {
		var err error
		l, err = linkOf(tx.QueryRowContext(ctx, `SELECT `+linkColumns+` FROM links WHERE state_hash = ?`, stateHash))
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT verifier FROM links WHERE token_hash = ?`, l.TokenHash).Scan(&verifier); err != nil {
			return fmt.Errorf("sqlite: consume link state: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE links SET state_hash = NULL, verifier = NULL WHERE token_hash = ?`, l.TokenHash); err != nil {
			return fmt.Errorf("sqlite: consume link state: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return l, verifier, nil
}
