-- The first schema of the embedded store. Times are integer unix nanoseconds
-- in UTC; NULL stands for the zero time.Time.

-- seq is the rowid, so insertion order comes for free and AUTOINCREMENT keeps
-- it from ever reusing the number of a deleted account; id is the public
-- "ca_…" identifier.
CREATE TABLE accounts (
	seq            INTEGER PRIMARY KEY AUTOINCREMENT,
	id             TEXT    NOT NULL UNIQUE,
	user_id        TEXT    NOT NULL,
	toolkit        TEXT    NOT NULL,
	auth_config_id TEXT    NOT NULL DEFAULT '',
	scheme         TEXT    NOT NULL DEFAULT '',
	alias          TEXT    NOT NULL DEFAULT '',
	-- alias_key is the alias case-folded in Go, so that uniqueness agrees
	-- with accounts.Account.Matches also beyond ASCII (SQLite's lower() does
	-- not fold non-ASCII letters).
	alias_key      TEXT    NOT NULL DEFAULT '',
	label          TEXT    NOT NULL DEFAULT '',
	upstream_id    TEXT    NOT NULL DEFAULT '',
	status         TEXT    NOT NULL,
	status_reason  TEXT    NOT NULL DEFAULT '',
	created_at     INTEGER,
	connected_at   INTEGER,
	last_used_at   INTEGER
);

CREATE INDEX accounts_user_toolkit ON accounts (user_id, toolkit, seq);

-- The error mapping in account.go looks for "alias_key" in the constraint
-- message; keep the column name if this index changes.
CREATE UNIQUE INDEX accounts_alias ON accounts (user_id, toolkit, alias_key)
	WHERE alias_key <> '';

-- Sealed credentials are opaque to the store: the caller encrypts them with
-- the account id as additional data.
CREATE TABLE credentials (
	account_id TEXT NOT NULL PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	sealed     BLOB NOT NULL
);

-- Links name accounts by plain text, without a foreign key: a placeholder
-- account discarded by a completion leaves its link behind, still pointing
-- (through result_account_id) at the account that survived.
CREATE TABLE links (
	token_hash        TEXT NOT NULL PRIMARY KEY,
	account_id        TEXT NOT NULL,
	user_id           TEXT NOT NULL,
	session_id        TEXT NOT NULL DEFAULT '',
	toolkit           TEXT NOT NULL DEFAULT '',
	auth_config_id    TEXT NOT NULL DEFAULT '',
	scheme            TEXT NOT NULL DEFAULT '',
	alias             TEXT NOT NULL DEFAULT '',
	expires_at        INTEGER,
	used_at           INTEGER,
	result_account_id TEXT NOT NULL DEFAULT '',
	created_at        INTEGER
);

CREATE INDEX links_account ON links (user_id, account_id, created_at);
CREATE INDEX links_result ON links (result_account_id);

-- toolkits is a JSON array, NULL when the session allows every toolkit, so
-- that nil and empty stay distinct.
CREATE TABLE sessions (
	id                         TEXT    NOT NULL PRIMARY KEY,
	user_id                    TEXT    NOT NULL,
	key_id                     TEXT    NOT NULL DEFAULT '',
	toolkits                   TEXT,
	auth_configs               TEXT    NOT NULL DEFAULT '{}',
	require_explicit_selection INTEGER NOT NULL DEFAULT 0,
	created_at                 INTEGER,
	updated_at                 INTEGER
);

-- One row per toolkit, so that selections on different toolkits of one
-- session never overwrite each other the way a shared JSON column would.
CREATE TABLE session_selections (
	session_id TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
	toolkit    TEXT NOT NULL,
	account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	PRIMARY KEY (session_id, toolkit)
);

CREATE INDEX session_selections_account ON session_selections (account_id);
