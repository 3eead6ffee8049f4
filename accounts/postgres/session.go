package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"switchboard/accounts"
)

// CreateSession inserts s with its selections. Each selection must name an
// account of s.UserID for that toolkit, or CreateSession returns
// accounts.ErrNotFound and stores nothing: the store is the last line that
// keeps a session from pointing at another user's account (rule 8).
func (d *DB) CreateSession(ctx context.Context, s *accounts.Session) error {
	toolkits, configs, err := sessionSettings(s)
	if err != nil {
		return fmt.Errorf("postgres: create session: %w", err)
	}
	return d.write(ctx, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO sessions (id, user_id, key_id, toolkits,
			auth_configs, require_explicit_selection, tool_mode, token_hash, expires_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			s.ID, s.UserID, s.KeyID, toolkits, configs, s.RequireExplicitSelection, s.ToolMode,
			s.TokenHash, ts(s.ExpiresAt), ts(s.CreatedAt), ts(s.UpdatedAt))
		if err != nil {
			return fmt.Errorf("postgres: create session: %w", err)
		}
		for toolkit, accountID := range s.Selected {
			if accountID == "" {
				continue
			}
			if err := putSelection(ctx, tx, s.UserID, s.ID, toolkit, accountID); err != nil {
				return err
			}
		}
		return nil
	})
}

// sessionSettings encodes the JSON columns of s: toolkits is NULL when the
// session allows every toolkit and "[]" when it allows none.
func sessionSettings(s *accounts.Session) (toolkits, configs []byte, err error) {
	if s.Toolkits != nil {
		if toolkits, err = json.Marshal(s.Toolkits); err != nil {
			return nil, nil, err
		}
	}
	authConfigs := s.AuthConfigs
	if authConfigs == nil {
		authConfigs = map[string]string{}
	}
	configs, err = json.Marshal(authConfigs)
	return toolkits, configs, err
}

// UpdateSession writes the settings of s and applies the selection
// changes in one transaction; see accounts.Store. The settings are written
// first: that locks the session's row, so concurrent updates of one
// session apply one after the other.
func (d *DB) UpdateSession(ctx context.Context, s *accounts.Session, changes map[string]string) error {
	toolkits, configs, err := sessionSettings(s)
	if err != nil {
		return fmt.Errorf("postgres: update session: %w", err)
	}
	return d.write(ctx, func(tx pgx.Tx) error {
		var userID string
		err := tx.QueryRow(ctx, `UPDATE sessions SET toolkits = $1, auth_configs = $2,
			require_explicit_selection = $3, tool_mode = $4, expires_at = $5, updated_at = $6 WHERE id = $7
			RETURNING user_id`,
			toolkits, configs, s.RequireExplicitSelection, s.ToolMode, ts(s.ExpiresAt), ts(s.UpdatedAt), s.ID).Scan(&userID)
		if errors.Is(err, pgx.ErrNoRows) {
			return accounts.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("postgres: update session: %w", err)
		}
		for toolkit, accountID := range changes {
			if accountID == "" {
				_, err = tx.Exec(ctx,
					`DELETE FROM session_selections WHERE session_id = $1 AND toolkit = $2`, s.ID, toolkit)
			} else {
				err = putSelection(ctx, tx, userID, s.ID, toolkit, accountID)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// Session returns the session id with its selections, read in one
// statement (every request reads its session), or accounts.ErrNotFound.
// Selected and AuthConfigs are never nil; Toolkits is nil exactly when it
// was created nil.
func (d *DB) Session(ctx context.Context, id string) (*accounts.Session, error) {
	var (
		s                           = accounts.Session{Selected: map[string]string{}}
		toolkits, configs, selected []byte
		created, updated, expires   pgtype.Timestamptz
	)
	err := d.pool.QueryRow(ctx, sessionQuery, id).
		Scan(&s.ID, &s.UserID, &s.KeyID, &toolkits, &configs, &s.RequireExplicitSelection,
			&s.ToolMode, &s.TokenHash, &expires, &created, &updated, &selected)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, accounts.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: session: %w", err)
	}
	if toolkits != nil {
		s.Toolkits = []string{} // "[]" must come back empty, not nil
		if err := json.Unmarshal(toolkits, &s.Toolkits); err != nil {
			return nil, fmt.Errorf("postgres: session %s toolkits: %w", id, err)
		}
	}
	if err := json.Unmarshal(configs, &s.AuthConfigs); err != nil {
		return nil, fmt.Errorf("postgres: session %s auth configs: %w", id, err)
	}
	if selected != nil {
		if err := json.Unmarshal(selected, &s.Selected); err != nil {
			return nil, fmt.Errorf("postgres: session %s selections: %w", id, err)
		}
	}
	s.CreatedAt, s.UpdatedAt, s.ExpiresAt = timeOf(created), timeOf(updated), timeOf(expires)
	return &s, nil
}

// SelectAccount records accountID as the session's account for toolkit, or
// clears the choice when accountID is empty, and sets the session's
// UpdatedAt to now. It returns accounts.ErrNotFound for an unknown session,
// and for an account that is unknown, of another toolkit, or not the
// session user's.
func (d *DB) SelectAccount(ctx context.Context, sessionID, toolkit, accountID string) error {
	return d.write(ctx, func(tx pgx.Tx) error {
		return selectAccount(ctx, tx, sessionID, toolkit, accountID)
	})
}

// selectAccount is SelectAccount inside tx, shared with Complete. Touching
// the session first locks its row, which orders concurrent selections in
// one session.
func selectAccount(ctx context.Context, tx pgx.Tx, sessionID, toolkit, accountID string) error {
	var userID string
	err := tx.QueryRow(ctx, `UPDATE sessions SET updated_at = $1 WHERE id = $2 RETURNING user_id`,
		ts(time.Now()), sessionID).Scan(&userID)
	if errors.Is(err, pgx.ErrNoRows) {
		return accounts.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("postgres: select account: %w", err)
	}
	if accountID == "" {
		_, err = tx.Exec(ctx,
			`DELETE FROM session_selections WHERE session_id = $1 AND toolkit = $2`, sessionID, toolkit)
		if err != nil {
			return fmt.Errorf("postgres: select account: %w", err)
		}
		return nil
	}
	return putSelection(ctx, tx, userID, sessionID, toolkit, accountID)
}

// putSelection upserts the selection of accountID for toolkit in the
// session, provided the account is userID's and of that toolkit.
func putSelection(ctx context.Context, tx pgx.Tx, userID, sessionID, toolkit, accountID string) error {
	tag, err := tx.Exec(ctx, `INSERT INTO session_selections (session_id, toolkit, account_id)
		SELECT $1, toolkit, id FROM accounts WHERE id = $2 AND user_id = $3 AND toolkit = $4
		ON CONFLICT (session_id, toolkit) DO UPDATE SET account_id = excluded.account_id`,
		sessionID, accountID, userID, toolkit)
	if err != nil {
		return fmt.Errorf("postgres: select account: %w", err)
	}
	return affected(tag)
}

// DeleteSession removes the session; its selections go with it (ON DELETE
// CASCADE). It returns accounts.ErrNotFound when there is no such session.
func (d *DB) DeleteSession(ctx context.Context, id string) error {
	tag, err := d.pool.Exec(ctx, `DELETE FROM sessions WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("postgres: delete session: %w", err)
	}
	return affected(tag)
}

// Generation returns userID's change counter (accounts.Generations), kept
// by the triggers of migration 0003; 0 for a user with no change yet.
func (d *DB) Generation(ctx context.Context, userID string) (int64, error) {
	var n int64
	err := d.pool.QueryRow(ctx, `SELECT n FROM generations WHERE user_id = $1`, userID).Scan(&n)
	if errors.Is(err, pgx.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("postgres: generation: %w", err)
	}
	return n, nil
}
