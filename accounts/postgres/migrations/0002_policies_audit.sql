-- Per-account policies, the confirmations of calls that a policy makes
-- ask the person first, and the audit trail of toolkit calls.

-- A policy is accounts.Policy as JSON; '{}' restricts nothing.
ALTER TABLE accounts ADD COLUMN policy jsonb NOT NULL DEFAULT '{}';

-- token_hash is NULL for a confirmation the MCP client asks through
-- elicitation (no link); summary is sealed, as it holds argument values.
-- Rows go once expired (the retention sweep).
CREATE TABLE confirmations (
	id         text        NOT NULL PRIMARY KEY,
	user_id    text        NOT NULL,
	session_id text        NOT NULL DEFAULT '',
	account_id text        NOT NULL,
	tool       text        NOT NULL,
	args_hash  text        NOT NULL,
	token_hash text,
	summary    bytea,
	created_at timestamptz,
	expires_at timestamptz NOT NULL,
	decided_at timestamptz,
	approved   boolean     NOT NULL DEFAULT false,
	used_at    timestamptz
);

CREATE UNIQUE INDEX confirmations_token ON confirmations (token_hash) WHERE token_hash IS NOT NULL;
CREATE INDEX confirmations_expires ON confirmations (expires_at);

-- One row per toolkit call; never an argument value or a result (args_hash
-- is a keyed hash). Accounts are named by value, without a foreign key: the
-- trail outlives a deleted account. latency_us is in microseconds.
CREATE TABLE audit (
	seq             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at              timestamptz NOT NULL,
	user_id         text        NOT NULL,
	session_id      text        NOT NULL DEFAULT '',
	via             text        NOT NULL DEFAULT '',
	tool            text        NOT NULL,
	toolkit         text        NOT NULL,
	account_id      text        NOT NULL DEFAULT '',
	account_alias   text        NOT NULL DEFAULT '',
	account_label   text        NOT NULL DEFAULT '',
	selected_by     text        NOT NULL DEFAULT '',
	outcome         text        NOT NULL,
	upstream_status integer     NOT NULL DEFAULT 0,
	latency_us      bigint      NOT NULL DEFAULT 0,
	args_hash       text        NOT NULL DEFAULT '',
	confirmation_id text        NOT NULL DEFAULT ''
);

-- A user's own entries, an account's, and the sweep by age.
CREATE INDEX audit_user ON audit (user_id, seq);
CREATE INDEX audit_account ON audit (account_id, seq);
CREATE INDEX audit_at ON audit (at);
