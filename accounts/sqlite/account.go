package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"

	"switchboard/accounts"
)

// querier is what *sql.DB and *sql.Tx share, so that a statement can run on
// its own or inside a larger transaction such as Complete's.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// accountColumns is the column list scanAccount reads, in its order.
const accountColumns = `seq, id, user_id, toolkit, auth_config_id, scheme, alias, label,
	upstream_id, status, status_reason, created_at, connected_at, last_used_at, policy`

// aliasKey folds alias for the uniqueness index. Upper then lower maps the
// letters that have several case forms (ſ, K) onto one, as strings.EqualFold
// in accounts.Account.Matches does.
func aliasKey(alias string) string {
	return strings.ToLower(strings.ToUpper(alias))
}

// CreateAccount inserts a and sets a.Seq to its insertion order. It returns
// accounts.ErrAliasTaken when a.Alias (compared case-insensitively) names
// another account of the same user and toolkit.
func (d *DB) CreateAccount(ctx context.Context, a *accounts.Account) error {
	var seq int64
	err := d.db.QueryRowContext(ctx, `INSERT INTO accounts (id, user_id, toolkit, auth_config_id,
		scheme, alias, alias_key, label, upstream_id, status, status_reason,
		created_at, connected_at, last_used_at, policy)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
		a.ID, a.UserID, a.Toolkit, a.AuthConfigID, a.Scheme, a.Alias, aliasKey(a.Alias),
		a.Label, a.UpstreamID, string(a.Status), a.StatusReason,
		nanos(a.CreatedAt), nanos(a.ConnectedAt), nanos(a.LastUsedAt), policyJSON(a.Policy)).Scan(&seq)
	if isAliasConflict(err) {
		return accounts.ErrAliasTaken
	}
	if err != nil {
		return fmt.Errorf("sqlite: create account: %w", err)
	}
	a.Seq = seq
	return nil
}

// UpdateAccount writes the mutable fields of a: auth config and scheme (a
// re-authorization may switch both), alias, label, upstream id, status,
// reason, and the connected and last-used times. ID, UserID, Toolkit,
// CreatedAt and Seq never change, and the policy changes only through
// SetAccountPolicy.
func (d *DB) UpdateAccount(ctx context.Context, a *accounts.Account) error {
	res, err := d.db.ExecContext(ctx, `UPDATE accounts SET auth_config_id = ?, scheme = ?,
		alias = ?, alias_key = ?, label = ?, upstream_id = ?, status = ?, status_reason = ?,
		connected_at = ?, last_used_at = ?
		WHERE id = ? AND user_id = ?`,
		a.AuthConfigID, a.Scheme, a.Alias, aliasKey(a.Alias), a.Label, a.UpstreamID,
		string(a.Status), a.StatusReason, nanos(a.ConnectedAt), nanos(a.LastUsedAt),
		a.ID, a.UserID)
	if isAliasConflict(err) {
		return accounts.ErrAliasTaken
	}
	if err != nil {
		return fmt.Errorf("sqlite: update account: %w", err)
	}
	return affected(res)
}

// SetAccountAlias sets the account's alias and nothing else. It returns
// accounts.ErrNotFound for an unknown or foreign account, and
// accounts.ErrAliasTaken when another account of the user and toolkit
// holds alias.
func (d *DB) SetAccountAlias(ctx context.Context, userID, id, alias string) error {
	res, err := d.q().ExecContext(ctx, `UPDATE accounts SET alias = ?, alias_key = ? WHERE id = ? AND user_id = ?`,
		alias, aliasKey(alias), id, userID)
	if isAliasConflict(err) {
		return accounts.ErrAliasTaken
	}
	if err != nil {
		return fmt.Errorf("sqlite: set account alias: %w", err)
	}
	return affected(res)
}

// SetAccountStatus writes a's status and reason in one statement that
// also checks the stored account is in status from and connected at
// a.ConnectedAt. When it changed no row, a second look tells
// accounts.ErrAccountChanged from accounts.ErrNotFound.
func (d *DB) SetAccountStatus(ctx context.Context, a *accounts.Account, from accounts.Status) error {
	res, err := d.q().ExecContext(ctx, `UPDATE accounts SET status = ?, status_reason = ?
		WHERE id = ? AND user_id = ? AND status = ? AND connected_at IS ?`,
		string(a.Status), a.StatusReason, a.ID, a.UserID, string(from), nanos(a.ConnectedAt))
	if err != nil {
		return fmt.Errorf("sqlite: set account status: %w", err)
	}
	switch err := affected(res); {
	case err == nil:
		return nil
	case !errors.Is(err, accounts.ErrNotFound):
		return err
	}
	if _, err := d.Account(ctx, a.UserID, a.ID); err != nil {
		return err
	}
	return accounts.ErrAccountChanged
}

// TouchAccount sets the account's last-used time to a.LastUsedAt and nothing
// else, so that it cannot undo a concurrent status change. It returns
// accounts.ErrNotFound for an unknown or foreign account.
func (d *DB) TouchAccount(ctx context.Context, a *accounts.Account) error {
	res, err := d.q().ExecContext(ctx,
		`UPDATE accounts SET last_used_at = ? WHERE id = ? AND user_id = ?`,
		nanos(a.LastUsedAt), a.ID, a.UserID)
	if err != nil {
		return fmt.Errorf("sqlite: touch account: %w", err)
	}
	return affected(res)
}

// SetAccountPolicy replaces the account's policy and nothing else. It
// returns accounts.ErrNotFound for an unknown or foreign account.
func (d *DB) SetAccountPolicy(ctx context.Context, userID, id string, p accounts.Policy) error {
	res, err := d.q().ExecContext(ctx, `UPDATE accounts SET policy = ? WHERE id = ? AND user_id = ?`, policyJSON(p), id, userID)
	if err != nil {
		return fmt.Errorf("sqlite: set account policy: %w", err)
	}
	return affected(res)
}

// policyJSON encodes a policy for the policy column.
func policyJSON(p accounts.Policy) string {
	b, _ := json.Marshal(p) // strings and string slices always marshal
	return string(b)
}

// Account returns the account id of userID, or accounts.ErrNotFound.
func (d *DB) Account(ctx context.Context, userID, id string) (*accounts.Account, error) {
	row := d.q().QueryRowContext(ctx,
		`SELECT `+accountColumns+` FROM accounts WHERE id = ? AND user_id = ?`, id, userID)
	a, err := scanAccount(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accounts.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: account: %w", err)
	}
	return a, nil
}

// AccountByID returns the account id of any user, or accounts.ErrNotFound.
func (d *DB) AccountByID(ctx context.Context, id string) (*accounts.Account, error) {
	row := d.q().QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id)
	a, err := scanAccount(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, accounts.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("sqlite: account: %w", err)
	}
	return a, nil
}

// ListAccounts returns the accounts q matches, newest first. The filters
// are bound as JSON arrays and expanded by json_each, so the statement
// text, and with it the cached statement, is the same for every query.
func (d *DB) ListAccounts(ctx context.Context, q accounts.AccountQuery) ([]*accounts.Account, error) {
	if q.Limit <= 0 {
		return nil, errors.New("sqlite: list accounts: the limit must be positive")
	}
	statuses := make([]string, len(q.Statuses))
	for i, st := range q.Statuses {
		statuses[i] = string(st)
	}
	users, toolkits, states := jsonList(q.UserIDs), jsonList(q.Toolkits), jsonList(statuses)
	before := q.Before
	if before <= 0 {
		before = math.MaxInt64
	}
	rows, err := d.q().QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE seq < ?
		AND (? = '[]' OR user_id IN (SELECT value FROM json_each(?)))
		AND (? = '[]' OR toolkit IN (SELECT value FROM json_each(?)))
		AND (? = '[]' OR status IN (SELECT value FROM json_each(?)))
		ORDER BY seq DESC LIMIT ?`,
		before, users, users, toolkits, toolkits, states, states, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: list accounts: %w", err)
	}
	return collectAccounts(rows, "list accounts")
}

// jsonList encodes a filter list as a JSON array; nil becomes "[]".
func jsonList(values []string) string {
	if len(values) == 0 {
		return "[]"
	}
	b, _ := json.Marshal(values) // strings always marshal
	return string(b)
}

// Accounts returns userID's accounts of toolkit, or of every toolkit when
// toolkit is empty, ordered by Seq.
func (d *DB) Accounts(ctx context.Context, userID, toolkit string) ([]*accounts.Account, error) {
	rows, err := d.q().QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts
		WHERE user_id = ? AND (? = '' OR toolkit = ?) ORDER BY seq`,
		userID, toolkit, toolkit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: accounts: %w", err)
	}
	return collectAccounts(rows, "accounts")
}

// DeleteAccount removes the account with its credential, the session
// selections pointing at it, and its links: those issued for it and those
// whose completion resulted in it. It returns accounts.ErrNotFound for an
// unknown or foreign account.
func (d *DB) DeleteAccount(ctx context.Context, userID, id string) error {
	return d.write(ctx, func(tx *sql.Tx) error {
		if err := deleteAccount(ctx, tx, userID, id); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM links
			WHERE user_id = ? AND (account_id = ? OR result_account_id = ?)`, userID, id, id)
		if err != nil {
			return fmt.Errorf("sqlite: delete links: %w", err)
		}
		return nil
	})
}

// deleteAccount removes the account, its credential and the selections of
// it, leaving links alone; Complete discards placeholders with it. The
// dependent rows are deleted explicitly rather than left to the foreign keys'
// cascade, which a connection without foreign_keys on would skip silently.
func deleteAccount(ctx context.Context, tx *sql.Tx, userID, id string) error {
	var one int
	err := tx.QueryRowContext(ctx,
		`SELECT 1 FROM accounts WHERE id = ? AND user_id = ?`, id, userID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return accounts.ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("sqlite: delete account: %w", err)
	}
	for _, stmt := range []string{
		`DELETE FROM credentials WHERE account_id = ?`,
		`DELETE FROM session_selections WHERE account_id = ?`,
		`DELETE FROM accounts WHERE id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, stmt, id); err != nil {
			return fmt.Errorf("sqlite: delete account: %w", err)
		}
	}
	return nil
}

// collectAccounts reads every row of rows (accountColumns) and closes it;
// what names the query in errors.
func collectAccounts(rows *sql.Rows, what string) ([]*accounts.Account, error) {
	defer rows.Close()
	var list []*accounts.Account
	for rows.Next() {
		a, err := scanAccount(rows)
		if err != nil {
			return nil, fmt.Errorf("sqlite: %s: %w", what, err)
		}
		list = append(list, a)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return list, nil
}

// scanAccount reads one row of accountColumns.
func scanAccount(row interface{ Scan(...any) error }) (*accounts.Account, error) {
	var (
		a                            accounts.Account
		status                       string
		created, connected, lastUsed sql.NullInt64
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
