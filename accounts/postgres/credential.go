package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"switchboard/accounts"
)

// Credential returns the sealed credential of accountID, or
// accounts.ErrNotFound when the account has none, does not exist or belongs
// to another user. The join on accounts is what scopes it to userID: the
// credentials table knows only account ids.
func (d *DB) Credential(ctx context.Context, userID, accountID string) ([]byte, error) {
	var sealed []byte
	err := d.pool.QueryRow(ctx, credentialQuery, accountID, userID).Scan(&sealed)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, accounts.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: credential: %w", err)
	}
	return sealed, nil
}

// SetCredential stores sealed, as given, as the credential of accountID,
// replacing any previous one. It returns accounts.ErrNotFound for an unknown
// or foreign account.
func (d *DB) SetCredential(ctx context.Context, userID, accountID string, sealed []byte) error {
	return setCredential(ctx, d.pool, userID, accountID, sealed)
}

// setCredential is SetCredential on q, shared with Complete. Selecting the
// id from accounts in the same statement makes the ownership check and the
// write one atomic step.
func setCredential(ctx context.Context, q querier, userID, accountID string, sealed []byte) error {
	if sealed == nil {
		sealed = []byte{} // the column is NOT NULL; nil would bind as NULL
	}
	tag, err := q.Exec(ctx, `INSERT INTO credentials (account_id, sealed)
		SELECT id, $1 FROM accounts WHERE id = $2 AND user_id = $3
		ON CONFLICT (account_id) DO UPDATE SET sealed = excluded.sealed`,
		sealed, accountID, userID)
	if err != nil {
		return fmt.Errorf("postgres: set credential: %w", err)
	}
	return affected(tag)
}
