package postgres

// The statements every tool call runs: the transport reads the request's
// session, the Service lists the user's accounts of the toolkit to choose
// the active one, opens its credential and records its use; list_accounts
// lists all of the user's accounts. Each must find its rows through an
// index whatever the size of the tables, which TestHotPathUsesIndexes
// checks with EXPLAIN on a large database.
const (
	sessionQuery = `SELECT s.id, s.user_id, s.key_id, s.toolkits, s.auth_configs,
		s.require_explicit_selection, s.tool_mode, s.token_hash, s.expires_at, s.created_at, s.updated_at,
		(SELECT jsonb_object_agg(toolkit, account_id) FROM session_selections WHERE session_id = s.id)
		FROM sessions s WHERE s.id = $1`
	toolkitAccountsQuery = `SELECT ` + accountColumns + ` FROM accounts
		WHERE user_id = $1 AND toolkit = $2 ORDER BY seq`
	userAccountsQuery = `SELECT ` + accountColumns + ` FROM accounts
		WHERE user_id = $1 ORDER BY seq`
	accountQuery    = `SELECT ` + accountColumns + ` FROM accounts WHERE id = $1 AND user_id = $2`
	credentialQuery = `SELECT c.sealed FROM credentials c
		JOIN accounts a ON a.id = c.account_id
		WHERE a.id = $1 AND a.user_id = $2`
	touchAccountQuery = `UPDATE accounts SET last_used_at = $1 WHERE id = $2 AND user_id = $3`
)
