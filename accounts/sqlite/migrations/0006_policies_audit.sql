-- Per-account policies, the confirmations of calls that a policy makes
-- ask the person first, and the audit trail of toolkit calls.

-- A policy is accounts.Policy as JSON; '{}' restricts nothing.
ALTER TABLE accounts ADD COLUMN policy TEXT NOT NULL DEFAULT '{}';

-- token_hash is NULL for a confirmation the MCP client asks through
-- elicitation (no link); summary is sealed, as it holds argument values.
-- Rows go once expired (the retention sweep).
CREATE TABLE confirmations (
	id         TEXT    NOT NULL PRIMARY KEY,
	user_id    TEXT    NOT NULL,
	session_id TEXT    NOT NULL DEFAULT '',
	account_id TEXT    NOT NULL,
	tool       TEXT    NOT NULL,
	args_hash  TEXT    NOT NULL,
	token_hash TEXT,
	summary    BLOB,
	created_at INTEGER,
	expires_at INTEGER NOT NULL,
	decided_at INTEGER,
	approved   INTEGER NOT NULL DEFAULT 0,
	used_at    INTEGER
);

CREATE UNIQUE INDEX confirmations_token ON confirmations (token_hash) WHERE token_hash IS NOT NULL;
CREATE INDEX confirmations_expires ON confirmations (expires_at);

-- One row per toolkit call; never an argument value or a result (args_hash
-- is a keyed hash). Accounts are named by value, without a foreign key: the
-- trail outlives a deleted account. latency_us is in microseconds.
CREATE TABLE audit (
	seq             INTEGER PRIMARY KEY AUTOINCREMENT,
	at              INTEGER NOT NULL,
	user_id         TEXT    NOT NULL,
	session_id      TEXT    NOT NULL DEFAULT '',
	via             TEXT    NOT NULL DEFAULT '',
	tool            TEXT    NOT NULL,
	toolkit         TEXT    NOT NULL,
	account_id      TEXT    NOT NULL DEFAULT '',
	account_alias   TEXT    NOT NULL DEFAULT '',
	account_label   TEXT    NOT NULL DEFAULT '',
	selected_by     TEXT    NOT NULL DEFAULT '',
	outcome         TEXT    NOT NULL,
	upstream_status INTEGER NOT NULL DEFAULT 0,
	latency_us      INTEGER NOT NULL DEFAULT 0,
	args_hash       TEXT    NOT NULL DEFAULT '',
	confirmation_id TEXT    NOT NULL DEFAULT ''
);

-- A user's own entries, an account's, and the sweep by age.
CREATE INDEX audit_user ON audit (user_id, seq);
CREATE INDEX audit_account ON audit (account_id, seq);
CREATE INDEX audit_at ON audit (at);
