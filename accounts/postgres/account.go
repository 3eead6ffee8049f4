package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"switchboard/accounts"
)

// accountColumns is the column list scanAccount reads, in its order.
const accountColumns = `seq, id, user_id, toolkit, auth_config_id, scheme, alias, label,
	upstream_id, status, status_reason, created_at, connected_at, last_used_at, policy::text`

// aliasKey folds alias for the uniqueness index. Upper then lower maps the
// letters that have several case forms (ſ, K) onto one, as strings.EqualFold
// in accounts.Account.Matches does; accounts/sqlite folds the same way.
func aliasKey(alias string) string {
	return strings.ToLower(strings.ToUpper(alias))
}

// CreateAccount inserts a and sets a.Seq to its insertion order. It returns
// accounts.ErrAliasTaken when a.Alias (compared case-insensitively) names
// another account of the same user and toolkit.
func (d *DB) CreateAccount(ctx context.Context, a *accounts.Account) error {
	err := d.pool.QueryRow(ctx, `INSERT INTO accounts (id, user_id, toolkit, auth_config_id,
		scheme, alias, alias_key, label, upstream_id, status, status_reason,
		created_at, connected_at, last_used_at, policy)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15::text::jsonb) RETURNING seq`,
		a.ID, a.UserID, a.Toolkit, a.AuthConfigID, a.Scheme, a.Alias, aliasKey(a.Alias),
		a.Label, a.UpstreamID, string(a.Status), a.StatusReason,
		ts(a.CreatedAt), ts(a.ConnectedAt), ts(a.LastUsedAt), policyJSON(a.Policy)).Scan(&a.Seq)
	if isAliasConflict(err) {
		return accounts.ErrAliasTaken
	}
	if err != nil {
		return fmt.Errorf("postgres: create account: %w", err)
	}
	return nil
}

// UpdateAccount writes the mutable fields of a: auth config and scheme,
// alias, label, upstream id, status, reason, and the connected and
// last-used times. ID, UserID, Toolkit, CreatedAt and Seq never change,
// and the policy changes only through SetAccountPolicy.
func (d *DB) UpdateAccount(ctx context.Context, a *accounts.Account) error {
	tag, err := d.pool.Exec(ctx, `UPDATE accounts SET auth_config_id = $1, scheme = $2,
		alias = $3, alias_key = $4, label = $5, upstream_id = $6, status = $7, status_reason = $8,
		connected_at = $9, last_used_at = $10
		WHERE id = $11 AND user_id = $12`,
		a.AuthConfigID, a.Scheme, a.Alias, aliasKey(a.Alias), a.Label, a.UpstreamID,
		string(a.Status), a.StatusReason, ts(a.ConnectedAt), ts(a.LastUsedAt),
		a.ID, a.UserID)
	if isAliasConflict(err) {
		return accounts.ErrAliasTaken
	}
	if err != nil {
		return fmt.Errorf("postgres: update account: %w", err)
	}
	return affected(tag)
}

// SetAccountAlias sets the account's alias and nothing else. It returns
// accounts.ErrNotFound for an unknown or foreign account, and
// accounts.ErrAliasTaken when another account of the user and toolkit
// holds alias.
func (d *DB) SetAccountAlias(ctx context.Context, userID, id, alias string) error {
	tag, err := d.pool.Exec(ctx, `UPDATE accounts SET alias = $1, alias_key = $2 WHERE id = $3 AND user_id = $4`,
		alias, aliasKey(alias), id, userID)
	if isAliasConflict(err) {
		return accounts.ErrAliasTaken
	}
	if err != nil {
		return fmt.Errorf("postgres: set account alias: %w", err)
	}
	return affected(tag)
}

// SetAccountStatus writes a's status and reason in one statement that
// also checks the stored account is in status from and connected at
// a.ConnectedAt; the row lock the UPDATE takes makes the check and the
// write one step. When it changed no row, a second look tells
// accounts.ErrAccountChanged from accounts.ErrNotFound.
func (d *DB) SetAccountStatus(ctx context.Context, a *accounts.Account, from accounts.Status) error {
	tag, err := d.pool.Exec(ctx, `UPDATE accounts SET status = $1, status_reason = $2
		WHERE id = $3 AND user_id = $4 AND status = $5 AND connected_at IS NOT DISTINCT FROM $6`,
		string(a.Status), a.StatusReason, a.ID, a.UserID, string(from), ts(a.ConnectedAt))
	if err != nil {
		return fmt.Errorf("postgres: set account status: %w", err)
	}
	if tag.RowsAffected() > 0 {
		return nil
	}
	if _, err := d.Account(ctx, a.UserID, a.ID); err != nil {
		return err
	}
	return accounts.ErrAccountChanged
}

// TouchAccount sets the account's last-used time to a.LastUsedAt and nothing
// else, so that it cannot undo a concurrent status change. It returns
// accounts.ErrNotFound for an unknown or foreign account.
//
// Every tool call touches its account, so the write does not wait for the
// server to flush its log to disk (synchronous_commit off, for this one
// transaction): a crash of the database server may forget the last
// moments of use, which are bookkeeping, and nothing else. Both statements
// travel in one batch, one implicit transaction and one round trip.
func (d *DB) TouchAccount(ctx context.Context, a *accounts.Account) error {
	b := &pgx.Batch{}
	b.Queue(`SET LOCAL synchronous_commit = off`)
	touch := b.Queue(touchAccountQuery, ts(a.LastUsedAt), a.ID, a.UserID)
	var n int64
	touch.Exec(func(tag pgconn.CommandTag) error {
		n = tag.RowsAffected()
		return nil
	})
	if err := d.pool.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("postgres: touch account: %w", err)
	}
	if n == 0 {
		return accounts.ErrNotFound
	}
	return nil
}

// SetAccountPolicy replaces the account's policy and nothing else. It
// returns accounts.ErrNotFound for an unknown or foreign account.
func (d *DB) SetAccountPolicy(ctx context.Context, userID, id string, p accounts.Policy) error {
	tag, err := d.pool.Exec(ctx, `UPDATE accounts SET policy = $1::text::jsonb WHERE id = $2 AND user_id = $3`, policyJSON(p), id, userID)
	if err != nil {
		return fmt.Errorf("postgres: set account policy: %w", err)
	}
	return affected(tag)
}

// policyJSON encodes a policy for the policy column.
func policyJSON(p accounts.Policy) string {
	b, _ := json.Marshal(p) // strings and string slices always marshal
	return string(b)
}

// Account returns the account id of userID, or accounts.ErrNotFound.
func (d *DB) Account(ctx context.Context, userID, id string) (*accounts.Account, error) {
	rows, _ := d.pool.Query(ctx, accountQuery, id, userID)
	return oneAccount(rows)
}

// AccountByID returns the account id of any user, or accounts.ErrNotFound.
func (d *DB) AccountByID(ctx context.Context, id string) (*accounts.Account, error) {
	rows, _ := d.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id)
	return oneAccount(rows)
}

// Accounts returns userID's accounts of toolkit, or of every toolkit when
// toolkit is empty, ordered by Seq. The two cases are two statements, each
// with an index that yields the rows already in order.
func (d *DB) Accounts(ctx context.Context, userID, toolkit string) ([]*accounts.Account, error) {
	var rows pgx.Rows
	if toolkit == "" {
		rows, _ = d.pool.Query(ctx, userAccountsQuery, userID)
	} else {
		rows, _ = d.pool.Query(ctx, toolkitAccountsQuery, userID, toolkit)
	}
	list, err := pgx.CollectRows(rows, scanAccount)
	if err != nil {
		return nil, fmt.Errorf("postgres: accounts: %w", err)
	}
	return list, nil
}

// ListAccounts returns the accounts q matches, newest first. Each filter is
// bound as an array, an empty one matching everything, so that one
// statement serves every query.
func (d *DB) ListAccounts(ctx context.Context, q accounts.AccountQuery) ([]*accounts.Account, error) {
	if q.Limit <= 0 {
		return nil, errors.New("postgres: list accounts: the limit must be positive")
	}
	statuses := make([]string, len(q.Statuses))
	for i, st := range q.Statuses {
		statuses[i] = string(st)
	}
	before := q.Before
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, _ := d.pool.Query(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE seq < $1
		AND (cardinality($2::text[]) = 0 OR user_id = ANY ($2))
		AND (cardinality($3::text[]) = 0 OR toolkit = ANY ($3))
		AND (cardinality($4::text[]) = 0 OR status = ANY ($4))
		ORDER BY seq DESC LIMIT $5`,
		before, nonNil(q.UserIDs), nonNil(q.Toolkits), statuses, q.Limit)
	list, err := pgx.CollectRows(rows, scanAccount)
	if err != nil {
		return nil, fmt.Errorf("postgres: list accounts: %w", err)
	}
	return list, nil
}

// nonNil returns list, or an empty slice for nil: a nil slice binds as a
// NULL array, whose cardinality is NULL rather than 0.
func nonNil(list []string) []string {
	if list == nil {
		return []string{}
	}
	return list
}

// DeleteAccount removes the account with its credential, the session
// selections pointing at it, and its links: those issued for it and those
// whose completion resulted in it. It returns accounts.ErrNotFound for an
// unknown or foreign account.
func (d *DB) DeleteAccount(ctx context.Context, userID, id string) error {
	return d.write(ctx, func(tx pgx.Tx) error {
		if err := deleteAccount(ctx, tx, userID, id); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `DELETE FROM links
			WHERE user_id = $1 AND (account_id = $2 OR result_account_id = $2)`, userID, id)
		if err != nil {
			return fmt.Errorf("postgres: delete links: %w", err)
		}
		return nil
	})
}

// deleteAccount removes the account; its credential and the selections of
// it go with it (ON DELETE CASCADE). Links stay: Complete discards
// placeholders with it.
func deleteAccount(ctx context.Context, q querier, userID, id string) error {
	tag, err := q.Exec(ctx, `DELETE FROM accounts WHERE id = $1 AND user_id = $2`, id, userID)
	if err != nil {
		return fmt.Errorf("postgres: delete account: %w", err)
	}
	return affected(tag)
}

// oneAccount reads the single account of rows, or accounts.ErrNotFound.
func oneAccount(rows pgx.Rows) (*accounts.Account, error) {
	a, err := pgx.CollectExactlyOneRow(rows, scanAccount)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, accounts.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("postgres: account: %w", err)
	}
	return a, nil
}

// scanAccount reads one row of accountColumns.
func scanAccount(row pgx.CollectableRow) (*accounts.Account, error) {
	var (
		a                            accounts.Account
		status                       string
		created, connected, lastUsed pgtype.Timestamptz
		policy                       string
	)
	err := row.Scan(&a.Seq, &a.ID, &a.UserID, &a.Toolkit, &a.AuthConfigID, &a.Scheme,
		&a.Alias, &a.Label, &a.UpstreamID, &status, &a.StatusReason,
		&created, &connected, &lastUsed, &policy)
	if err != nil {
		return nil, err
	}
	// Most accounts have no policy: skip the decoder on the hot path.
	if policy != "{}" {
		if err := json.Unmarshal([]byte(policy), &a.Policy); err != nil {
			return nil, fmt.Errorf("policy of %s: %w", a.ID, err)
		}
	}
	a.Status = accounts.Status(status)
	a.CreatedAt, a.ConnectedAt, a.LastUsedAt = timeOf(created), timeOf(connected), timeOf(lastUsed)
	return &a, nil
}
