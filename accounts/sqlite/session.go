package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"switchboard/accounts"
)

// CreateSession inserts s with its selections. Each selection must name an
// account of s.UserID for that toolkit, or CreateSession returns
// accounts.ErrNotFound and stores nothing: the store is the last line that
// keeps a session from pointing at another user's account (rule 8).
func (d *DB) CreateSession(ctx context.Context, s *accounts.Session) error {
	toolkits, configs, err := sessionSettings(s)
	if err != nil {
		return fmt.Errorf("sqlite: create session: %w", err)
	}
	return d.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id, user_id, key_id, toolkits,
			auth_configs, require_explicit_selection, tool_mode, token_hash, expires_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.ID, s.UserID, s.KeyID, toolkits, configs, s.RequireExplicitSelection, s.ToolMode,
			s.TokenHash, nanos(s.ExpiresAt), nanos(s.CreatedAt), nanos(s.UpdatedAt))
		if err != nil {
			return fmt.Errorf("sqlite: create session: %w", err)
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
func sessionSettings(s *accounts.Session) (toolkits sql.NullString, configs string, err error) {
	if s.Toolkits != nil {
		b, err := json.Marshal(s.Toolkits)
		if err != nil {
			return toolkits, "", err
		}
		toolkits = sql.NullString{String: string(b), Valid: true}
	}
	authConfigs := s.AuthConfigs
	if authConfigs == nil {
		authConfigs = map[string]string{}
	}
	b, err := json.Marshal(authConfigs)
	return toolkits, string(b), err
}

// UpdateSession writes the settings of s and applies the selection
// changes in one transaction; see accounts.Store.
func (d *DB) UpdateSession(ctx context.Context, s *accounts.Session, changes map[string]string) error {
	toolkits, configs, err := sessionSettings(s)
	if err != nil {
		return fmt.Errorf("sqlite: update session: %w", err)
	}
	return d.write(ctx, func(tx *sql.Tx) error {
		var userID string
		err := tx.QueryRowContext(ctx, `SELECT user_id FROM sessions WHERE id = ?`, s.ID).Scan(&userID)
		if errors.Is(err, sql.ErrNoRows) {
			return accounts.ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("sqlite: update session: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE sessions SET toolkits = ?, auth_configs = ?,
			require_explicit_selection = ?, tool_mode = ?, expires_at = ?, updated_at = ? WHERE id = ?`,
			toolkits, configs, s.RequireExplicitSelection, s.ToolMode, nanos(s.ExpiresAt), nanos(s.UpdatedAt), s.ID); err != nil {
			return fmt.Errorf("sqlite: update session: %w", err)
		}
		for toolkit, accountID := range changes {
			if accountID == "" {
				_, err = tx.ExecContext(ctx,
					`DELETE FROM session_selections WHERE session_id = ? AND toolkit = ?`, s.ID, toolkit)
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

// Session returns the session id, or accounts.ErrNotFound. Selected and
// AuthConfigs are never nil; Toolkits is nil exactly when it was created
// nil. Every request reads its session, so the row and its selections
// come in one statement (the selections as a JSON object), which needs no
// transaction to be consistent.
func (d *DB) Session(ctx context.Context, id string) (*accounts.Session, error) {
	return sessionRow(ctx, d.q(), id)
}

// sessionRow reads the sessions row of id with its selections.
func sessionRow(ctx context.Context, tx querier, id string) (*accounts.Session, error) {
	var (
		s                  = accounts.Session{Selected: map[string]string{}}
		toolkits           sql.NullString
		configs, selected  string
		created, updatedAt sql.NullInt64
		expires            sql.NullInt64
	)
	err := tx.QueryRowContext(ctx, `SELECT id, user_id, key_id, toolkits, auth_configs,
		require_explicit_selection, tool_mode, token_hash, expires_at, created_at, updated_at,
		(SELECT coalesce(json_group_object(toolkit, account_id), '{}') FROM session_selections WHERE session_id = sessions.id)
		FROM sessions WHERE id = ?`, id).
		Scan(&s.ID, &s.UserID, &s.KeyID, &toolkits, &configs, &s.RequireExplicitSelection,
			&s.ToolMode, &s.TokenHash, &expires, &created, &updatedAt, &selected)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accounts.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: session: %w", err)
	}
	if toolkits.Valid {
		s.Toolkits = []string{} // "[]" must come back empty, not nil
		if err := json.Unmarshal([]byte(toolkits.String), &s.Toolkits); err != nil {
			return nil, fmt.Errorf("sqlite: session %s toolkits: %w", id, err)
		}
	}
	if err := json.Unmarshal([]byte(configs), &s.AuthConfigs); err != nil {
		return nil, fmt.Errorf("sqlite: session %s auth configs: %w", id, err)
	}
	if err := json.Unmarshal([]byte(selected), &s.Selected); err != nil {
		return nil, fmt.Errorf("sqlite: session %s selections: %w", id, err)
	}
	s.CreatedAt, s.UpdatedAt, s.ExpiresAt = timeOf(created), timeOf(updatedAt), timeOf(expires)
	return &s, nil
}

// SelectAccount records accountID as the session's account for toolkit, or
// clears the choice when accountID is empty, and sets the session's
// UpdatedAt to now. It returns accounts.ErrNotFound for an unknown session,
// and for an account that is unknown, of another toolkit, or not the
// session user's.
func (d *DB) SelectAccount(ctx context.Context, sessionID, toolkit, accountID string) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		return selectAccount(ctx, tx, sessionID, toolkit, accountID)
	})
}

// selectAccount is SelectAccount inside tx, shared with Complete.
func selectAccount(ctx context.Context, tx *sql.Tx, sessionID, toolkit, accountID string) error {
	var userID string
	err := tx.QueryRowContext(ctx,
		`SELECT user_id FROM sessions WHERE id = ?`, sessionID).Scan(&userID)
	if errors.Is(err, sql.ErrNoRows) {
		return accounts.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("sqlite: select account: %w", err)
	}
	if accountID == "" {
		_, err = tx.ExecContext(ctx,
			`DELETE FROM session_selections WHERE session_id = ? AND toolkit = ?`, sessionID, toolkit)
	} else {
		err = putSelection(ctx, tx, userID, sessionID, toolkit, accountID)
	}
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx,
		`UPDATE sessions SET updated_at = ? WHERE id = ?`, nanos(time.Now()), sessionID)
	if err != nil {
		return fmt.Errorf("sqlite: select account: %w", err)
	}
	return nil
}

// putSelection upserts the selection of accountID for toolkit in the
// session, provided the account is userID's and of that toolkit.
func putSelection(ctx context.Context, tx *sql.Tx, userID, sessionID, toolkit, accountID string) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO session_selections (session_id, toolkit, account_id)
		SELECT ?, toolkit, id FROM accounts WHERE id = ? AND user_id = ? AND toolkit = ?
		ON CONFLICT (session_id, toolkit) DO UPDATE SET account_id = excluded.account_id`,
		sessionID, accountID, userID, toolkit)
	if err != nil {
		return fmt.Errorf("sqlite: select account: %w", err)
	}
	return affected(res)
}

// DeleteSession removes the session; its selections go with it (ON DELETE
// CASCADE). It returns accounts.ErrNotFound when there is no such session.
func (d *DB) DeleteSession(ctx context.Context, id string) error {
	res, err := d.db.ExecContext(ctx, `DELETE FROM sessions WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("sqlite: delete session: %w", err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return accounts.ErrNotFound
	}
	return nil
}

// Generation returns userID's change counter (accounts.Generations), kept
// by the triggers of migration 0007; 0 for a user with no change yet.
func (d *DB) Generation(ctx context.Context, userID string) (int64, error) {
	var n int64
	err := d.q().QueryRowContext(ctx, `SELECT n FROM generations WHERE user_id = ?`, userID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("sqlite: generation: %w", err)
	}
	return n, nil
}
