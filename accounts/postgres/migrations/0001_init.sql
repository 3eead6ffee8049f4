-- The first schema of the shared store. It holds what accounts/sqlite holds,
-- in PostgreSQL's types: timestamptz (microseconds, NULL for the zero
-- time.Time), bytea for sealed secrets, jsonb for a session's settings.

-- seq is an identity column: insertion order, strictly increasing and never
-- reused (a sequence does not hand a number out twice); id is the public
-- "ca_…" identifier.
CREATE TABLE accounts (
	seq            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	id             text   NOT NULL UNIQUE,
	user_id        text   NOT NULL,
	toolkit        text   NOT NULL,
	auth_config_id text   NOT NULL DEFAULT '',
	scheme         text   NOT NULL DEFAULT '',
	alias          text   NOT NULL DEFAULT '',
	-- alias_key is the alias case-folded in Go (upper, then lower), as
	-- accounts/sqlite does, so that uniqueness agrees with
	-- accounts.Account.Matches whatever the database's collation.
	alias_key      text   NOT NULL DEFAULT '',
	label          text   NOT NULL DEFAULT '',
	upstream_id    text   NOT NULL DEFAULT '',
	status         text   NOT NULL,
	status_reason  text   NOT NULL DEFAULT '',
	created_at     timestamptz,
	connected_at   timestamptz,
	last_used_at   timestamptz
);

-- A user's accounts of a toolkit in insertion order: the tool-call path.
CREATE INDEX accounts_user_toolkit ON accounts (user_id, toolkit, seq);
-- A user's accounts of every toolkit in insertion order (list_accounts).
CREATE INDEX accounts_user_seq ON accounts (user_id, seq);
-- The operator's listing pages through accounts newest first.
CREATE INDEX accounts_toolkit_seq ON accounts (toolkit, seq);
-- The retention sweep looks for connection attempts that never finished.
CREATE INDEX accounts_unfinished ON accounts (created_at)
	WHERE status IN ('INITIATED', 'FAILED');

-- isAliasConflict in db.go recognizes this index by name.
CREATE UNIQUE INDEX accounts_alias ON accounts (user_id, toolkit, alias_key)
	WHERE alias_key <> '';

-- Sealed credentials are opaque to the store: the caller encrypts them with
-- the account id as additional data.
CREATE TABLE credentials (
	account_id text  NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	sealed     bytea NOT NULL
);

-- Links name accounts by plain text, without a foreign key: a placeholder
-- account discarded by a completion leaves its link behind, still pointing
-- (through result_account_id) at the account that survived. ins orders
-- links created at the same moment, as SQLite's rowid does.
CREATE TABLE links (
	token_hash        text   NOT NULL PRIMARY KEY,
	ins               bigint GENERATED ALWAYS AS IDENTITY,
	account_id        text   NOT NULL,
	user_id           text   NOT NULL,
	session_id        text   NOT NULL DEFAULT '',
	toolkit           text   NOT NULL DEFAULT '',
	auth_config_id    text   NOT NULL DEFAULT '',
	scheme            text   NOT NULL DEFAULT '',
	alias             text   NOT NULL DEFAULT '',
	callback_url      text   NOT NULL DEFAULT '',
	expires_at        timestamptz,
	used_at           timestamptz,
	result_account_id text   NOT NULL DEFAULT '',
	created_at        timestamptz,
	-- The hash of the current OAuth state parameter and the sealed PKCE
	-- verifier, both cleared when the callback consumes them.
	state_hash        text,
	verifier          bytea
);

CREATE INDEX links_account ON links (user_id, account_id, created_at DESC, ins DESC);
-- The operator's API follows a link from its account, whoever's it is.
CREATE INDEX links_account_only ON links (account_id, created_at DESC, ins DESC);
CREATE INDEX links_result ON links (result_account_id);
CREATE INDEX links_expires ON links (expires_at);
CREATE UNIQUE INDEX links_state ON links (state_hash) WHERE state_hash IS NOT NULL;

-- toolkits is a JSON array, NULL when the session allows every toolkit, so
-- that nil and empty stay distinct.
CREATE TABLE sessions (
	id                         text    NOT NULL PRIMARY KEY,
	user_id                    text    NOT NULL,
	key_id                     text    NOT NULL DEFAULT '',
	toolkits                   jsonb,
	auth_configs               jsonb   NOT NULL DEFAULT '{}',
	require_explicit_selection boolean NOT NULL DEFAULT false,
	tool_mode                  text    NOT NULL DEFAULT '',
	token_hash                 text    NOT NULL DEFAULT '',
	expires_at                 timestamptz,
	created_at                 timestamptz,
	updated_at                 timestamptz
);

-- Creating a session counts the user's sessions (the per-user cap).
CREATE INDEX sessions_user ON sessions (user_id);

-- The retention sweep finds idle and ended sessions.
CREATE INDEX sessions_updated ON sessions (updated_at) WHERE expires_at IS NULL;
CREATE INDEX sessions_expires ON sessions (expires_at) WHERE expires_at IS NOT NULL;

-- One row per toolkit, so that selections on different toolkits of one
-- session never overwrite each other.
CREATE TABLE session_selections (
	session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	toolkit    text NOT NULL,
	account_id text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	PRIMARY KEY (session_id, toolkit)
);

CREATE INDEX session_selections_account ON session_selections (account_id);
