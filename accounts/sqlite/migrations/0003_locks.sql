-- Leases that serialize work across processes sharing the file (token
-- refreshes of one account): a row per key held, with its holder and the
-- moment the lease lapses if the holder died without releasing it.
CREATE TABLE locks (
	key        TEXT    NOT NULL PRIMARY KEY,
	holder     TEXT    NOT NULL,
	expires_at INTEGER NOT NULL
);
